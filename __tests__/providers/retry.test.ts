import { ProviderError } from '../../src/errors.js'
import {
  DEFAULT_RETRY_POLICY,
  ProviderFailure,
  attemptsOf,
  fullJitterDelayMs,
  parseDurationMs,
  parseHttpDate,
  retryAfterFromHeaders,
  withRetries
} from '../../src/providers/retry.js'
import type { RetryDeps } from '../../src/providers/retry.js'

const policy = DEFAULT_RETRY_POLICY
const rateLimited = (retryAfterMs?: number) =>
  new ProviderError('rate-limited', 'provider gpt: HTTP 429', {
    retryable: true,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {})
  })
const serverError = () => new ProviderError('server', 'provider gpt: HTTP 500', { retryable: true })
const badRequest = () => new ProviderError('bad-request', 'provider gpt: HTTP 400: bad temperature')

/** A fake sleep that records what it was asked to wait and returns at once. */
function fakeDeps(random = 0.5, signal = new AbortController().signal) {
  const slept: number[] = []
  const deps: RetryDeps = {
    sleep: async (ms) => void slept.push(ms),
    random: () => random,
    signal
  }
  return { deps, slept }
}

/** An attempt function answering from a script: an error to throw or a value to return. */
function scripted<T>(...outcomes: (T | Error)[]) {
  const calls: number[] = []
  const attempt = async (n: number): Promise<T> => {
    calls.push(n)
    const outcome = outcomes[Math.min(n, outcomes.length) - 1] as T | Error
    if (outcome instanceof Error) throw outcome
    return outcome
  }
  return { attempt, calls }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('withRetries', () => {
  it('waits as long as a 429 asks (Retry-After) before the retry', async () => {
    const { attempt, calls } = scripted<string>(rateLimited(2000), 'ok')
    const { deps, slept } = fakeDeps(0.5)
    // Full jitter would wait 0.5 × 500 = 250 ms; the provider asked for 2000.
    await expect(withRetries(attempt, policy, deps)).resolves.toEqual({
      value: 'ok',
      attempts: 2,
      waitedMs: 2000
    })
    expect(calls).toEqual([1, 2])
    expect(slept).toEqual([2000])
  })

  it('retries a 500 after a full-jitter backoff and returns the success', async () => {
    const { attempt } = scripted<string>(serverError(), serverError(), 'ok')
    const { deps, slept } = fakeDeps(0.5)
    // Retry 1: 0.5 × min(30000, 500 × 2⁰) = 250; retry 2: 0.5 × min(30000, 500 × 2¹) = 500.
    await expect(withRetries(attempt, policy, deps)).resolves.toEqual({
      value: 'ok',
      attempts: 3,
      waitedMs: 750
    })
    expect(slept).toEqual([250, 500])
  })

  it('never retries a 400', async () => {
    const { attempt, calls } = scripted<string>(badRequest(), 'ok')
    const { deps, slept } = fakeDeps()
    const error = await rejection(withRetries(attempt, policy, deps))
    expect(error).toBeInstanceOf(ProviderFailure)
    expect(error).toMatchObject({
      kind: 'bad-request',
      attempts: 1,
      waitedMs: 0,
      message: 'provider gpt: HTTP 400: bad temperature'
    })
    expect(calls).toEqual([1])
    expect(slept).toEqual([])
  })

  it('gives up after maxAttempts with the last error, its attempts and the time waited', async () => {
    const { attempt, calls } = scripted<string>(serverError())
    const { deps, slept } = fakeDeps(0.5)
    const error = await rejection(withRetries(attempt, policy, deps))
    expect(calls).toEqual([1, 2, 3, 4])
    // 0.5 × 500, 0.5 × 1000, 0.5 × 2000
    expect(slept).toEqual([250, 500, 1000])
    expect(error).toMatchObject({
      kind: 'server',
      attempts: 4,
      waitedMs: 1750,
      message: 'provider gpt: HTTP 500 (after 4 attempts)'
    })
    expect(attemptsOf(error)).toEqual({ attempts: 4, waitedMs: 1750 })
  })

  it('stops at once when the signal aborts during a backoff', async () => {
    const controller = new AbortController()
    const { attempt, calls } = scripted<string>(serverError(), 'ok')
    const deps: RetryDeps = {
      random: () => 0.5,
      signal: controller.signal,
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason), { once: true })
          controller.abort()
        })
    }
    const error = await rejection(withRetries(attempt, policy, deps))
    expect(error).toMatchObject({ kind: 'cancelled', attempts: 1 })
    expect(calls).toEqual([1])
  })

  it('does not retry when the provider asks to wait longer than maxDelayMs', async () => {
    const { attempt, calls } = scripted<string>(rateLimited(360_000), 'ok')
    const { deps, slept } = fakeDeps()
    const error = await rejection(withRetries(attempt, policy, deps))
    expect(calls).toEqual([1])
    expect(slept).toEqual([])
    expect(error).toMatchObject({
      kind: 'rate-limited',
      attempts: 1,
      message:
        'provider gpt: HTTP 429 (not retried: the provider asked to wait 360 s, more than the 30 s retry limit)'
    })
  })

  it('waits out a long Retry-After once max-delay is raised to it', async () => {
    const { attempt, calls } = scripted<string>(rateLimited(120_000), 'ok')
    const { deps, slept } = fakeDeps()
    const patient = { ...policy, maxDelayMs: 5 * 60_000 }
    await expect(withRetries(attempt, patient, deps)).resolves.toMatchObject({ attempts: 2 })
    expect(calls).toEqual([1, 2])
    expect(slept).toEqual([120_000])
  })

  it('rethrows an error that is not a ProviderError without retrying it', async () => {
    const bug = new TypeError('x is undefined')
    const { attempt, calls } = scripted<string>(bug, 'ok')
    const error = await rejection(withRetries(attempt, policy, fakeDeps().deps))
    expect(error).toBe(bug)
    expect(calls).toEqual([1])
    expect(attemptsOf(error)).toEqual({ attempts: 1, waitedMs: 0 })
  })
})

describe('fullJitterDelayMs', () => {
  it('draws uniformly below min(maxDelay, base × 2^(retry − 1))', () => {
    expect(fullJitterDelayMs(1, policy, () => 0)).toBe(0)
    expect(fullJitterDelayMs(1, policy, () => 0.999)).toBe(499)
    expect(fullJitterDelayMs(4, policy, () => 0.5)).toBe(2000)
    // 500 × 2⁹ = 256000, capped at 30000
    expect(fullJitterDelayMs(10, policy, () => 0.5)).toBe(15_000)
  })
})

describe('retry-after headers', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  const headers = (values: Record<string, string>) => (name: string) => values[name]

  it('reads retry-after-ms, retry-after in seconds and as an HTTP date', () => {
    expect(retryAfterFromHeaders(headers({ 'retry-after-ms': '1500' }), now, 429)).toBe(1500)
    expect(retryAfterFromHeaders(headers({ 'retry-after': '7' }), now, 429)).toBe(7000)
    expect(
      retryAfterFromHeaders(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:12 GMT' }), now, 503)
    ).toBe(12_000)
    expect(retryAfterFromHeaders(headers({}), now, 429)).toBeUndefined()
    expect(retryAfterFromHeaders(headers({ 'retry-after': 'soon' }), now, 429)).toBeUndefined()
  })

  it('ignores a retry header in no form HTTP defines, and reads the next one', () => {
    const exhausted = { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '2s' }
    // V8's Date.parse reads `abc 2` as a date in 2001: a wait of 0, the reset never read.
    expect(retryAfterFromHeaders(headers({ 'retry-after': 'abc 2', ...exhausted }), now, 429)).toBe(
      2000
    )
    // Number('') is 0.
    expect(
      retryAfterFromHeaders(headers({ 'retry-after-ms': '', 'retry-after': '5' }), now, 429)
    ).toBe(5000)
    for (const malformed of ['-1', '1e3', '0x10', '1.5', '5 s', 'Thu, 01 Jan 2026 00:00:12']) {
      expect(retryAfterFromHeaders(headers({ 'retry-after': malformed }), now, 503)).toBeUndefined()
    }
    for (const malformed of ['', ' ', '-5', '1e3', 'Infinity', '0x10']) {
      expect(
        retryAfterFromHeaders(headers({ 'retry-after-ms': malformed }), now, 429)
      ).toBeUndefined()
    }
    // A date that is not one (31 February), or whose weekday is wrong.
    expect(
      retryAfterFromHeaders(headers({ 'retry-after': 'Sat, 31 Feb 2026 00:00:12 GMT' }), now, 503)
    ).toBeUndefined()
    expect(
      retryAfterFromHeaders(headers({ 'retry-after': 'Mon, 01 Jan 2026 00:00:12 GMT' }), now, 503)
    ).toBeUndefined()
    expect(parseHttpDate('Thu, 01 Jan 2026 00:00:12 GMT', now)).toBe(now + 12_000)
  })

  it('reads an HTTP date in the obsolete RFC 850 and asctime forms too', () => {
    // RFC 9110 §5.6.7: a recipient must accept all three forms.
    for (const date of [
      'Thursday, 01-Jan-26 00:00:12 GMT',
      'Thu Jan  1 00:00:12 2026',
      'Thu Jan 01 00:00:12 2026'
    ]) {
      expect({
        date,
        waitMs: retryAfterFromHeaders(headers({ 'retry-after': date }), now, 429)
      }).toEqual({ date, waitMs: 12_000 })
    }
    for (const malformed of [
      'Thu, 01-Jan-26 00:00:12 GMT',
      'Thursday, 01-Jan-2026 00:00:12 GMT',
      'Friday, 01-Jan-26 00:00:12 GMT',
      'Thursday, 01-Jan-26 00:00:12',
      'Thu Jan 1 00:00:12 2026',
      'Thu Jan  1 00:00:12 2026 GMT',
      'Thu Feb 30 00:00:12 2026',
      'Thu Jan  1 24:00:12 2026'
    ]) {
      expect({ malformed, date: parseHttpDate(malformed, now) }).toEqual({
        malformed,
        date: undefined
      })
    }
  })

  it('reads a two-digit year more than 50 years ahead as the most recent past one', () => {
    // From 2026: 76 is 2076, 50 years ahead; 77 would be 2077, more than 50, so it is 1977.
    expect(parseHttpDate('Wednesday, 01-Jan-76 00:00:00 GMT', now)).toBe(
      Date.parse('2076-01-01T00:00:00Z')
    )
    expect(parseHttpDate('Saturday, 01-Jan-77 00:00:00 GMT', now)).toBe(
      Date.parse('1977-01-01T00:00:00Z')
    )
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(
      Date.parse('1994-11-06T08:49:37Z')
    )
    // A date in the past asks for no wait.
    expect(
      retryAfterFromHeaders(headers({ 'retry-after': 'Sunday, 06-Nov-94 08:49:37 GMT' }), now, 429)
    ).toBe(0)
  })

  it("waits for the reset of OpenAI's limit only when a 429 says it is used up", () => {
    const both = { 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s' }
    expect(
      retryAfterFromHeaders(headers({ ...both, 'x-ratelimit-remaining-requests': '0' }), now, 429)
    ).toBe(1000)
    const bothUsedUp = {
      ...both,
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-remaining-tokens': '0'
    }
    expect(retryAfterFromHeaders(headers(bothUsedUp), now, 429)).toBe(360_000)
    // A reset is when a limit is full again, not when the next request may go.
    expect(retryAfterFromHeaders(headers(both), now, 429)).toBeUndefined()
    expect(
      retryAfterFromHeaders(
        headers({
          ...both,
          'x-ratelimit-remaining-requests': '12',
          'x-ratelimit-remaining-tokens': '900'
        }),
        now,
        429
      )
    ).toBeUndefined()
    // A server error is no rate limit, whatever the headers OpenAI sends on every answer say.
    expect(retryAfterFromHeaders(headers(bothUsedUp), now, 500)).toBeUndefined()
  })

  it('parses Go-style durations', () => {
    expect(parseDurationMs('20ms')).toBe(20)
    expect(parseDurationMs('1s')).toBe(1000)
    expect(parseDurationMs('6m0s')).toBe(360_000)
    expect(parseDurationMs('1h2m3.5s')).toBe(3_723_500)
    expect(parseDurationMs('soon')).toBeUndefined()
    expect(parseDurationMs('')).toBeUndefined()
  })
})
