import { abortError, whenAborted } from '../providers/abort.js'
import type { ChatMessage } from '../spec/types.js'
import type { Gate } from './slots.js'

export interface RateLimiterOptions {
  requestsPerMinute?: number
  tokensPerMinute?: number
  now: () => number
  /** Resolves after `ms`, rejects as soon as `signal` aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
}

const MINUTE_MS = 60_000

/**
 * How late a timer may wake a waiter without the rate losing what refilled meanwhile: a bucket
 * holds that much beyond one unit. Late timers are common (a few milliseconds, tens while the
 * machine is busy), and what a full bucket cannot hold is lost for good.
 */
const LATE_WAKE_MS = 50

/**
 * One token bucket, paced evenly at `perMinute`: it holds one unit plus what refills in
 * LATE_WAKE_MS, and starts full. A unit is taken only from a level of at least one (a call of
 * many tokens takes them all, leaving the bucket in debt that later calls wait out), so any window
 * admits at most the bucket, the refill during it and the last call's size less one: in a second,
 * a second's worth, 5% more, and one call. OpenAI enforces per-minute limits over shorter windows
 * ("60,000 requests per minute may be enforced as 1,000 requests per second"), so a burst would
 * be refused. What the leeway adds to a minute, MinuteRecord holds back.
 */
class Bucket {
  private readonly capacity: number
  private readonly perMs: number
  level: number
  private updatedAt: number

  constructor(perMinute: number, now: number) {
    this.perMs = perMinute / MINUTE_MS
    this.capacity = 1 + this.perMs * LATE_WAKE_MS
    this.level = this.capacity
    this.updatedAt = now
  }

  refill(now: number): void {
    this.level = Math.min(this.capacity, this.level + (now - this.updatedAt) * this.perMs)
    this.updatedAt = now
  }

  /** Milliseconds until the level reaches `needed` (0 when it has). */
  waitFor(needed: number): number {
    return this.level >= needed ? 0 : (needed - this.level) / this.perMs
  }
}

/**
 * What was charged in the last 60 seconds: a bucket alone admits its leeway for late timers on
 * top of a minute's refill, and lets a call of many tokens through once its debt is paid, at the
 * end of a minute that its refill already spent. A charge is admitted only while the minute before it holds no
 * more than `perMinute` with it — or holds nothing, for a call larger than a whole minute's.
 */
class MinuteRecord {
  private readonly charges: { at: number; amount: number }[] = []
  private total = 0

  constructor(private readonly perMinute: number) {}

  private expire(now: number): void {
    for (let first = this.charges[0]; first && first.at <= now - MINUTE_MS;) {
      this.charges.shift()
      this.total -= first.amount
      first = this.charges[0]
    }
  }

  /** Milliseconds until `amount` more fits in the 60 seconds before it (0 when it does). */
  waitFor(amount: number, now: number): number {
    this.expire(now)
    if (this.total <= 0 || this.total + amount <= this.perMinute) return 0
    let left = this.total
    for (const charge of this.charges) {
      left -= charge.amount
      if (left <= 0 || left + amount <= this.perMinute) return charge.at + MINUTE_MS - now
    }
    return 0
  }

  charge(amount: number, now: number): void {
    if (amount <= 0) return
    this.charges.push({ at: now, amount })
    this.total += amount
  }
}

/**
 * Per-provider requests-per-minute and tokens-per-minute limits. Waiters are served first come,
 * first served. Tokens are charged at `acquire` with the caller's estimate — as OpenAI counts
 * them against its limit, from the request's size and max_tokens — and `record` charges what a
 * call used beyond that estimate (a call cannot take back what it was charged). Calls are spaced
 * evenly: no second admits more than about a second's worth (and one call), none after an idle
 * spell either. A call of many tokens goes once the debt of the last is paid and the last 60
 * seconds leave room for it. No 60-second window admits more than either limit (bar a call
 * estimated above a whole minute's tokens, which goes alone).
 */
export class RateLimiter {
  private readonly requests: Bucket | undefined
  private readonly requestsInMinute: MinuteRecord | undefined
  private readonly tokens: Bucket | undefined
  private readonly tokensInMinute: MinuteRecord | undefined
  private readonly now: () => number
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>
  /** The last waiter in line: each acquire starts when the previous one is served. */
  private line: Promise<void> = Promise.resolve()

  constructor(options: RateLimiterOptions) {
    const start = options.now()
    if (options.requestsPerMinute !== undefined) {
      this.requests = new Bucket(options.requestsPerMinute, start)
      this.requestsInMinute = new MinuteRecord(options.requestsPerMinute)
    }
    if (options.tokensPerMinute !== undefined) {
      this.tokens = new Bucket(options.tokensPerMinute, start)
      this.tokensInMinute = new MinuteRecord(options.tokensPerMinute)
    }
    this.now = options.now
    this.sleep = options.sleep
  }

  /**
   * Waits for a request slot and `estimatedTokens` of budget, then charges both. With a `gate`
   * (the slots a call holds while it is made), the waiter first in line takes it once the limits
   * let it go, and the limits are charged only then: a call held back by its limits holds no
   * slot meanwhile, and its charge is when it is sent. Resolves holding the gate.
   */
  acquire(estimatedTokens: number, signal: AbortSignal, gate?: Gate): Promise<void> {
    if (!this.requests && !this.tokens) return gate ? gate.acquire(signal) : Promise.resolve()
    const turn = this.line.then(() => this.admit(estimatedTokens, signal, gate))
    this.line = turn.catch(() => undefined)
    if (signal.aborted) return Promise.reject(abortError(signal))
    // Leave the line at once on abort; the turn itself also ends as soon as it starts.
    return new Promise((resolve, reject) => {
      let left = false
      const stop = whenAborted(signal, () => {
        left = true
        reject(abortError(signal))
      })
      turn.then(
        () => {
          stop()
          // Admitted as the caller left: nobody will make the call, or give the gate back.
          if (left) gate?.release()
          else resolve()
        },
        (error: unknown) => {
          stop()
          reject(error)
        }
      )
    })
  }

  /** Milliseconds until both limits let `estimatedTokens` go (0 when they do). */
  private waitMs(estimatedTokens: number): number {
    const now = this.now()
    this.requests?.refill(now)
    this.tokens?.refill(now)
    return Math.max(
      this.requests?.waitFor(1) ?? 0,
      this.requestsInMinute?.waitFor(1, now) ?? 0,
      this.tokens?.waitFor(Math.min(estimatedTokens, 1)) ?? 0,
      this.tokensInMinute?.waitFor(estimatedTokens, now) ?? 0
    )
  }

  private async admit(estimatedTokens: number, signal: AbortSignal, gate?: Gate): Promise<void> {
    let holding = false
    try {
      for (;;) {
        if (signal.aborted) throw abortError(signal)
        const waitMs = this.waitMs(estimatedTokens)
        if (waitMs > 0) {
          // Given back while the limits hold the call back: a call that used more tokens than
          // it was charged may have finished while this one waited for the gate.
          if (holding) gate?.release()
          holding = false
          await this.sleep(Math.ceil(waitMs), signal)
        } else if (gate && !holding) {
          await gate.acquire(signal)
          holding = true
        } else {
          const now = this.now()
          if (this.requests) this.requests.level -= 1
          this.requestsInMinute?.charge(1, now)
          if (this.tokens) this.tokens.level -= estimatedTokens
          this.tokensInMinute?.charge(estimatedTokens, now)
          return
        }
      }
    } catch (error) {
      if (holding) gate?.release()
      throw error
    }
  }

  /** After a call: charges the tokens it used beyond what `acquire` reserved for it. */
  record(actualTokens: number, estimatedTokens = 0): void {
    if (!this.tokens || actualTokens <= estimatedTokens) return
    const now = this.now()
    this.tokens.refill(now)
    this.tokens.level -= actualTokens - estimatedTokens
    this.tokensInMinute?.charge(actualTokens - estimatedTokens, now)
  }
}

/**
 * A request's token estimate for `acquire`, the way OpenAI counts it against the limit: about four
 * characters a token for the prompt, plus the output it may produce (`max_completion_tokens` or
 * `max_tokens`, when set).
 */
export function estimateTokens(
  messages: readonly ChatMessage[],
  params: Record<string, unknown> = {}
): number {
  const characters = messages.reduce((sum, m) => sum + m.content.length, 0)
  const maxOutput = params['max_completion_tokens'] ?? params['max_tokens']
  return Math.ceil(characters / 4) + (typeof maxOutput === 'number' ? maxOutput : 0)
}
