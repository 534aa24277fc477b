import { lineProgress, terminalProgress } from '../../src/run/progress.js'
import type { Ticker } from '../../src/run/progress.js'

/** A clock moved by hand, and a ticker whose ticks fire as the clock passes them. */
function recorder() {
  const writes: string[] = []
  let clock = 0
  const tickers: { every: number; next: number; tick: () => void; cancelled: boolean }[] = []
  const ticker: Ticker = {
    every(ms, tick) {
      const entry = { every: ms, next: clock + ms, tick, cancelled: false }
      tickers.push(entry)
      return () => void (entry.cancelled = true)
    }
  }
  return {
    writes,
    ticker,
    out: { write: (text: string) => void writes.push(text) },
    now: () => clock,
    advance: (ms: number) => {
      const until = clock + ms
      for (const entry of tickers) {
        while (!entry.cancelled && entry.next <= until) {
          clock = entry.next
          entry.next += entry.every
          entry.tick()
        }
      }
      clock = until
    }
  }
}

describe('lineProgress (logs)', () => {
  it('prints a line per 10% and at the end, not one per answer', () => {
    const r = recorder()
    const progress = lineProgress(r.out, r.now, { ticker: r.ticker })
    progress.start(200)
    for (let done = 1; done <= 200; done++) {
      r.advance(10)
      progress.update(done, done > 190 ? done - 190 : 0)
    }
    progress.finish(200, 10)
    expect(r.writes[0]).toBe('evalgate: running 200 answers\n')
    expect(r.writes).toHaveLength(11)
    expect(r.writes[1]).toBe('evalgate: 20/200 answers (10%), 100.0/s, ETA 2s\n')
    expect(r.writes.at(-1)).toBe('evalgate: 200/200 answers (100%), 10 errors, 100.0/s, ETA 0s\n')
  })

  it('says how many answers it runs, in the singular for one', () => {
    const r = recorder()
    const progress = lineProgress(r.out, r.now, { ticker: r.ticker })
    progress.start(1)
    r.advance(1000)
    progress.finish(1, 1)
    expect(r.writes).toEqual([
      'evalgate: running 1 answer\n',
      'evalgate: 1/1 answers (100%), 1 error, 1.0/s, ETA 0s\n'
    ])
  })

  it('counts answers missing from a replay cache apart from errors', () => {
    const r = recorder()
    const progress = lineProgress(r.out, r.now, { ticker: r.ticker })
    progress.start(100)
    r.advance(1000)
    progress.finish(100, 2, 98)
    expect(r.writes.at(-1)).toBe(
      'evalgate: 100/100 answers (100%), 2 errors, 98 missing from the cache, 100.0/s, ETA 0s\n'
    )
  })

  it('prints at least every interval while answers trickle in, between answers too', () => {
    const r = recorder()
    const progress = lineProgress(r.out, r.now, { intervalMs: 15_000, ticker: r.ticker })
    progress.start(1000)
    for (let done = 1; done <= 5; done++) {
      r.advance(10_000)
      progress.update(done, 0)
    }
    expect(r.writes.slice(1)).toEqual([
      'evalgate: 1/1000 answers (0%), 4.0/min, ETA 4h09m\n',
      'evalgate: 2/1000 answers (0%), 4.0/min, ETA 4h09m\n',
      'evalgate: 4/1000 answers (0%), 5.3/min, ETA 3h06m\n'
    ])
  })

  it('keeps printing while no answer arrives, saying how long it has waited, until the end', () => {
    const r = recorder()
    const progress = lineProgress(r.out, r.now, { intervalMs: 15_000, ticker: r.ticker })
    progress.start(10)
    r.advance(5_000)
    progress.update(1, 0)
    r.advance(60_000)
    expect(r.writes.slice(1)).toEqual([
      'evalgate: 1/10 answers (10%), 0.2/s, ETA 45s\n',
      // 15 s after the last line, whenever that was.
      'evalgate: 1/10 answers (10%), 3.0/min, ETA 3m00s; no answer for 15s\n',
      'evalgate: 1/10 answers (10%), 1.7/min, ETA 5m15s; no answer for 30s\n',
      'evalgate: 1/10 answers (10%), 1.2/min, ETA 7m30s; no answer for 45s\n',
      'evalgate: 1/10 answers (10%), 0.9/min, ETA 9m45s; no answer for 1m00s\n'
    ])
    progress.finish(1, 0)
    const atFinish = r.writes.length
    r.advance(120_000)
    expect(r.writes).toHaveLength(atFinish)
  })
})

describe('terminalProgress', () => {
  it('redraws one line in place, throttled, and ends it with a newline', () => {
    const r = recorder()
    const progress = terminalProgress(r.out, r.now, { ticker: r.ticker })
    progress.start(4)
    r.advance(250)
    progress.update(1, 0)
    progress.update(2, 0)
    r.advance(250)
    progress.update(3, 1)
    progress.finish(4, 1)
    expect(r.writes).toHaveLength(5)
    expect(r.writes[1]?.startsWith('\r\u001b[2K')).toBe(true)
    expect(r.writes[1]).toMatch(/█{6}░{18} 1\/4 answers \(25%\)/)
    expect(r.writes[2]).toContain('3/4 answers (75%), 1 error, 6.0/s')
    expect(r.writes[4]).toBe('\n')
  })

  it('draws the bar at the start and every second while no answer comes, until the end', () => {
    const r = recorder()
    const progress = terminalProgress(r.out, r.now, { ticker: r.ticker })
    progress.start(10)
    expect(r.writes).toEqual([
      `\r\u001b[2K${'░'.repeat(24)} 0/10 answers (0%), 0.0/s, ETA ?, 0s elapsed`
    ])
    r.advance(3000)
    expect(r.writes).toHaveLength(4)
    expect(r.writes.at(-1)).toContain('0/10 answers (0%), 0.0/s, ETA ?, 3s elapsed')
    r.advance(2000)
    progress.update(1, 0)
    r.advance(20_000)
    expect(r.writes.at(-1)).toContain(
      '1/10 answers (10%), 2.4/min, ETA 3m45s, 25s elapsed; no answer for 20s'
    )
    progress.finish(1, 0)
    const atFinish = r.writes.length
    r.advance(10_000)
    expect(r.writes).toHaveLength(atFinish)
  })

  it("cuts the bar to the terminal's width, so a redraw does not land below a wrapped line", () => {
    const writes: string[] = []
    const out = { write: (text: string) => void writes.push(text), columns: 40 }
    const progress = terminalProgress(out, () => 0, { ticker: recorder().ticker })
    progress.start(10)
    expect(writes).toEqual([`\r\u001b[2K${'░'.repeat(24)} 0/10 answers (`])
  })
})
