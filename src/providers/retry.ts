import { setTimeout as delay } from 'node:timers/promises'
import { ProviderError } from '../errors.js'
import { abortError } from './abort.js'

export interface RetryPolicy {
  /** Calls in all, the first included. */
  maxAttempts: number
  /** Backoff cap of the first retry; doubles with every further one. */
  baseDelayMs: number
  /** No single wait is longer; a provider asking for more (Retry-After) is not retried. */
  maxDelayMs: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000
}

export interface RetryDeps {
  /** Resolves after `ms`, rejects as soon as `signal` aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
  /** Uniform in [0, 1): the jitter. */
  random: () => number
  /** The run's (or the case's overall) signal: once aborted, nothing is retried. */
  signal: AbortSignal
}

export interface RetryOutcome<T> {
  value: T
  /** Calls made, the successful one included. */
  attempts: number
  /** Total backoff slept between attempts. */
  waitedMs: number
}

/**
 * How a call finally failed: the last attempt's error (same kind, same message, plus the attempt
 * count) and how many attempts and how much waiting it took — the RunResult records both even
 * for errored cases. Still a ProviderError, so `kind` reads as before.
 */
export class ProviderFailure extends ProviderError {
  readonly attempts: number
  readonly waitedMs: number
  readonly lastError: ProviderError
  constructor(lastError: ProviderError, attempts: number, waitedMs: number, note?: string) {
    const suffix = [attempts > 1 ? `after ${attempts} attempts` : '', note ?? ''].filter(Boolean)
    super(
      lastError.kind,
      suffix.length ? `${lastError.message} (${suffix.join('; ')})` : lastError.message,
      {
        retryable: lastError.retryable,
        ...(lastError.retryAfterMs !== undefined ? { retryAfterMs: lastError.retryAfterMs } : {})
      }
    )
    this.attempts = attempts
    this.waitedMs = waitedMs
    this.lastError = lastError
  }
}

/** Attempts and backoff behind an error thrown by `withRetries` (one attempt for anything else). */
export function attemptsOf(error: unknown): { attempts: number; waitedMs: number } {
  return error instanceof ProviderFailure
    ? { attempts: error.attempts, waitedMs: error.waitedMs }
    : { attempts: 1, waitedMs: 0 }
}

/**
 * "Full jitter" backoff (Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog,
 * 2015): sleep = random_between(0, min(cap, base × 2^(retry − 1))). Spreading retries uniformly
 * over the whole window de-synchronises concurrent callers that failed together, which bounded
 * "equal" or plain exponential backoff does not.
 */
export function fullJitterDelayMs(
  retry: number,
  policy: RetryPolicy,
  random: () => number
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1))
  return Math.floor(random() * ceiling)
}

/**
 * Calls `attempt(1)`, `attempt(2)`… until one succeeds. Retried: ProviderErrors marked `retryable`
 * (429, 5xx, timeouts of one attempt, connection resets) — never other 4xx, never anything else.
 *
 * The wait before retry r is the full-jitter backoff, but at least the `retryAfterMs` the provider
 * asked for (Retry-After and friends): retrying earlier only burns a request on a certain 429.
 * When the provider asks for more than `maxDelayMs`, the call fails now rather than sleeping
 * longer than the policy allows or retrying too early; the message says so.
 *
 * Failure throws a ProviderFailure wrapping the last ProviderError with attempts and waitedMs;
 * an error that is not a ProviderError (a bug) is rethrown as it is. An abort of `deps.signal`
 * during an attempt or a backoff ends the loop with the abort's error (cancelled or timeout).
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  deps: RetryDeps
): Promise<RetryOutcome<T>> {
  let waitedMs = 0
  for (let n = 1; ; n++) {
    if (deps.signal.aborted) throw new ProviderFailure(abortError(deps.signal), n - 1, waitedMs)
    let error: unknown
    try {
      return { value: await attempt(n), attempts: n, waitedMs }
    } catch (caught) {
      error = caught
    }
    if (!(error instanceof ProviderError)) throw error
    if (deps.signal.aborted) throw new ProviderFailure(abortError(deps.signal), n, waitedMs)
    if (!error.retryable || n >= policy.maxAttempts) {
      throw new ProviderFailure(error, n, waitedMs)
    }
    const askedMs = error.retryAfterMs ?? 0
    if (askedMs > policy.maxDelayMs) {
      const note = `not retried: the provider asked to wait ${Math.ceil(askedMs / 1000)} s, more than the ${policy.maxDelayMs / 1000} s retry limit`
      throw new ProviderFailure(error, n, waitedMs, note)
    }
    const waitMs = Math.max(askedMs, fullJitterDelayMs(n, policy, deps.random))
    try {
      await deps.sleep(waitMs, deps.signal)
    } catch {
      throw new ProviderFailure(abortError(deps.signal), n, waitedMs)
    }
    waitedMs += waitMs
  }
}

/** The real sleep for `RetryDeps`: rejects when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal })
}

/** Go-style durations OpenAI sends in `x-ratelimit-reset-*`: `1s`, `6m0s`, `20ms`, `1h2m3.5s`. */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim()
  if (!/^(\d+(\.\d+)?(ms|h|m|s))+$/.test(trimmed)) return undefined
  const unitMs: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }
  let total = 0
  for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    total += Number(amount) * (unitMs[unit as string] as number)
  }
  return total
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
const MONTH = `(?<month>${MONTHS.join('|')})`
const SHORT_DAY = `(?<weekday>${DAY_NAMES.map((name) => name.slice(0, 3)).join('|')})`
const TIME = '(?<hour>\\d\\d):(?<minute>\\d\\d):(?<second>\\d\\d)'
/** The three forms of an HTTP-date (RFC 9110 §5.6.7), the current one first. */
const HTTP_DATE_FORMS = [
  // IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
  `${SHORT_DAY}, (?<day>\\d\\d) ${MONTH} (?<year>\\d{4}) ${TIME} GMT`,
  // RFC 850, obsolete: `Sunday, 06-Nov-94 08:49:37 GMT`, a two-digit year.
  `(?<weekday>${DAY_NAMES.join('|')}), (?<day>\\d\\d)-${MONTH}-(?<year>\\d\\d) ${TIME} GMT`,
  // asctime, obsolete: `Sun Nov  6 08:49:37 1994`, a day below 10 padded with a space.
  `${SHORT_DAY} ${MONTH} (?<day>[ \\d]\\d) ${TIME} (?<year>\\d{4})`
].map((form) => new RegExp(`^${form}$`))

/**
 * An HTTP-date in any of the three forms a recipient must accept (RFC 9110 §5.6.7) as epoch
 * milliseconds; anything else is undefined, as is a date that does not exist (31 February) or
 * whose weekday is wrong. `Date.parse` alone reads almost any text as some date (`abc 2` is a day
 * in 2001), and gets a two-digit year wrong. A two-digit year more than 50 years after `nowMs` is the most recent past year with
 * those digits, as §5.6.7 says.
 */
export function parseHttpDate(text: string, nowMs: number): number | undefined {
  const fields = HTTP_DATE_FORMS.map((form) => form.exec(text)?.groups).find(Boolean)
  if (!fields) return undefined
  const { weekday = '', day = '', month = '', year = '', hour, minute, second } = fields
  let fullYear = Number(year)
  if (year.length === 2) {
    const thisYear = new Date(nowMs).getUTCFullYear()
    fullYear += thisYear - (thisYear % 100)
    if (fullYear > thisYear + 50) fullYear -= 100
  }
  const ms = Date.UTC(
    fullYear,
    MONTHS.indexOf(month),
    Number(day),
    Number(hour),
    Number(minute),
    Number(second)
  )
  // What the date named prints as (IMF-fixdate): a day past the month's end, an hour past 23 or
  // a wrong weekday prints as another date.
  const asNamed = `${weekday.slice(0, 3)}, ${day.trim().padStart(2, '0')} ${month} ${fullYear} ${hour}:${minute}:${second} GMT`
  return new Date(ms).toUTCString() === asNamed ? ms : undefined
}

/**
 * How long a 429 or 5xx answer (its `status`) asks us to wait, from its headers, or undefined
 * when it does not say — the full-jitter backoff then decides. In order of precision:
 * `retry-after-ms` (milliseconds; OpenAI and Azure), `retry-after` (delta-seconds or an
 * HTTP-date, RFC 9110 §10.2.3); a value in any other form is ignored, as if absent. Then, for a
 * 429 only, OpenAI's `x-ratelimit-reset-requests` / `-tokens` of a limit used up (remaining
 * `0`): a reset is when a limit refills in full, which says nothing of when the next request may
 * go while some of it is left.
 */
export function retryAfterFromHeaders(
  header: (name: string) => string | null | undefined,
  nowMs: number,
  status: number
): number | undefined {
  const millis = header('retry-after-ms')?.trim() ?? ''
  if (/^\d+(\.\d+)?$/.test(millis)) return Number(millis)
  const retryAfter = header('retry-after')?.trim() ?? ''
  if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000
  const date = parseHttpDate(retryAfter, nowMs)
  if (date !== undefined) return Math.max(0, date - nowMs)
  if (status !== 429) return undefined
  const exhausted: number[] = []
  for (const limit of ['requests', 'tokens']) {
    const reset = parseDurationMs(header(`x-ratelimit-reset-${limit}`) ?? '')
    if (reset !== undefined && header(`x-ratelimit-remaining-${limit}`)?.trim() === '0') {
      exhausted.push(reset)
    }
  }
  return exhausted.length ? Math.max(...exhausted) : undefined
}
