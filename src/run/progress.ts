import { plural } from '../compare/format.js'

/**
 * Receives the scheduler's progress; the CLI and the action pick how to show it. `missing`
 * counts the answers a replay did not find in the cache, which are no errors of the model.
 */
export interface ProgressReporter {
  start(total: number): void
  update(done: number, errors: number, missing?: number): void
  finish(done: number, errors: number, missing?: number): void
}

export interface ProgressOutput {
  write(text: string): void
  /** A terminal's width: a longer bar would wrap, and each redraw land below the last. */
  columns?: number
}

export const silentProgress: ProgressReporter = {
  start: () => undefined,
  update: () => undefined,
  finish: () => undefined
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?'
  const whole = Math.round(seconds)
  if (whole < 60) return `${whole}s`
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`
}

function describe(
  done: number,
  total: number,
  errors: number,
  missing: number,
  elapsedMs: number
): string {
  const percent = total === 0 ? 100 : Math.floor((done / total) * 100)
  const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0
  const eta = rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY
  const errorText =
    (errors === 0 ? '' : `, ${plural(errors, 'error')}`) +
    (missing === 0 ? '' : `, ${missing} missing from the cache`)
  // Slow models (minutes an answer) would read "0.0/s": a rate under 0.1/s is given per minute.
  const rateText = rate > 0 && rate < 0.1 ? `${(rate * 60).toFixed(1)}/min` : `${rate.toFixed(1)}/s`
  return `${done}/${total} answers (${percent}%)${errorText}, ${rateText}, ETA ${formatDuration(eta)}`
}

/** How often the bar is redrawn while no answer arrives, so its times stay current. */
const REDRAW_MS = 1000
/** How long without an answer before the bar says how long it has waited. */
const QUIET_NOTICE_MS = 15_000

/**
 * A bar redrawn in place: at the start, on answers (at most every 100 ms) and every second
 * between them, with the time elapsed and, once no answer has come for a while, how long it is.
 */
export function terminalProgress(
  out: ProgressOutput,
  now: () => number,
  { ticker = intervalTicker }: { ticker?: Ticker } = {}
): ProgressReporter {
  const width = 24
  let total = 0
  let startedAt = 0
  let lastAnswerAt = 0
  let drawnAt = Number.NEGATIVE_INFINITY
  let done = 0
  let errors = 0
  let missing = 0
  let stopRedrawing: (() => void) | undefined
  const draw = (): void => {
    drawnAt = now()
    const filled = total === 0 ? width : Math.round((done / total) * width)
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled)
    const waited = drawnAt - lastAnswerAt
    const quiet =
      waited >= QUIET_NOTICE_MS ? `; no answer for ${formatDuration(waited / 1000)}` : ''
    const elapsed = drawnAt - startedAt
    const times = `${formatDuration(elapsed / 1000)} elapsed${quiet}`
    const line = `${bar} ${describe(done, total, errors, missing, elapsed)}, ${times}`
    out.write(`\r\u001b[2K${out.columns ? line.slice(0, out.columns - 1) : line}`)
  }
  return {
    start(count) {
      total = count
      startedAt = lastAnswerAt = now()
      draw()
      stopRedrawing = ticker.every(REDRAW_MS, draw)
    },
    update(answered, failed, notCached = 0) {
      done = answered
      errors = failed
      missing = notCached
      lastAnswerAt = now()
      if (now() - drawnAt >= 100) draw()
    },
    finish(answered, failed, notCached = 0) {
      stopRedrawing?.()
      done = answered
      errors = failed
      missing = notCached
      draw()
      out.write('\n')
    }
  }
}

/** Calls `tick` every `ms` until cancelled; real timers never hold the process open. */
export interface Ticker {
  every(ms: number, tick: () => void): () => void
}

export const intervalTicker: Ticker = {
  every(ms, tick) {
    const timer = setInterval(tick, ms)
    timer.unref()
    return () => clearInterval(timer)
  }
}

/** How often the log reporter checks whether a line is due. */
const HEARTBEAT_CHECK_MS = 1000

export interface LineProgressOptions {
  /** The longest a log goes without a line while the run lasts (default 15 s). */
  intervalMs?: number
  ticker?: Ticker
}

/**
 * Plain lines for logs (GitHub Actions shows no carriage returns): one per 10% of the work, and
 * at least every `intervalMs` while the run lasts — also while no answer arrives (a slow model, a
 * long rate-limit wait), so a silent log never looks like a hung job.
 */
export function lineProgress(
  out: ProgressOutput,
  now: () => number,
  { intervalMs = 15_000, ticker = intervalTicker }: LineProgressOptions = {}
): ProgressReporter {
  let total = 0
  let startedAt = 0
  let lastAt = 0
  let lastAnswerAt = 0
  let lastDecile = 0
  let done = 0
  let errors = 0
  let missing = 0
  let stopHeartbeat: (() => void) | undefined
  const line = (suffix = ''): void => {
    lastAt = now()
    out.write(`evalgate: ${describe(done, total, errors, missing, lastAt - startedAt)}${suffix}\n`)
  }
  const heartbeat = (): void => {
    if (now() - lastAt < intervalMs) return
    const waited = now() - lastAnswerAt
    line(waited >= intervalMs ? `; no answer for ${formatDuration(waited / 1000)}` : '')
  }
  return {
    start(count) {
      total = count
      startedAt = lastAt = lastAnswerAt = now()
      out.write(`evalgate: running ${plural(count, 'answer')}\n`)
      // Checked every second, so a line follows the last one by the interval, not up to twice it.
      stopHeartbeat = ticker.every(Math.min(HEARTBEAT_CHECK_MS, intervalMs), heartbeat)
    },
    update(answered, failed, notCached = 0) {
      done = answered
      errors = failed
      missing = notCached
      lastAnswerAt = now()
      const decile = total === 0 ? 10 : Math.floor((done / total) * 10)
      if (decile > lastDecile || now() - lastAt >= intervalMs) {
        lastDecile = decile
        line()
      }
    },
    finish(answered, failed, notCached = 0) {
      stopHeartbeat?.()
      done = answered
      errors = failed
      missing = notCached
      if (lastDecile < 10) line()
    }
  }
}
