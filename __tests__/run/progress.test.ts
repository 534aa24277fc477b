import { lineProgress, terminalProgress } from '../../src/run/progress.js'

function recorder() {
  const writes: string[] = []
  let clock = 0
  return {
    writes,
    out: { write: (text: string) => void writes.push(text) },
    now: () => clock,
    advance: (ms: number) => (clock += ms)
  }
}

describe('lineProgress (logs)', () => {
  it('prints a line per 10% and at the end, not one per answer', () => {
    const r = recorder()
    const progress = lineProgress(r.out, r.now)
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

  it('prints at least every interval while answers trickle in', () => {
    const r = recorder()
    const progress = lineProgress(r.out, r.now, 15_000)
    progress.start(1000)
    for (let done = 1; done <= 5; done++) {
      r.advance(10_000)
      progress.update(done, 0)
    }
    expect(r.writes.slice(1)).toEqual([
      'evalgate: 2/1000 answers (0%), 0.1/s, ETA 2h46m\n',
      'evalgate: 4/1000 answers (0%), 0.1/s, ETA 2h46m\n'
    ])
  })
})

describe('terminalProgress', () => {
  it('redraws one line in place, throttled, and ends it with a newline', () => {
    const r = recorder()
    const progress = terminalProgress(r.out, r.now)
    progress.start(4)
    progress.update(1, 0)
    progress.update(2, 0)
    r.advance(500)
    progress.update(3, 1)
    progress.finish(4, 1)
    expect(r.writes).toHaveLength(4)
    expect(r.writes[0]?.startsWith('\r\u001b[2K')).toBe(true)
    expect(r.writes[0]).toMatch(/█{6}░{18} 1\/4 answers \(25%\)/)
    expect(r.writes[1]).toContain('3/4 answers (75%), 1 error, 6.0/s')
    expect(r.writes[3]).toBe('\n')
  })
})
