import { abortError } from '../providers/abort.js'
import type { ChatMessage } from '../spec/types.js'

export interface RateLimiterOptions {
  requestsPerMinute?: number
  tokensPerMinute?: number
  now: () => number
  /** Resolves after `ms`, rejects as soon as `signal` aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
}

const MINUTE_MS = 60_000

/**
 * One token bucket: refills continuously at `perMinute`, holds at most one second's worth (at
 * least one unit). OpenAI enforces per-minute limits over shorter windows ("60,000 requests per
 * minute may be enforced as 1,000 requests per second"), so a full minute's burst would be
 * refused; a one-second bucket paces calls evenly instead.
 */
class Bucket {
  readonly capacity: number
  private readonly perMs: number
  level: number
  private updatedAt: number

  constructor(perMinute: number, now: number) {
    this.perMs = perMinute / MINUTE_MS
    this.capacity = Math.max(1, perMinute / 60)
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
 * Per-provider requests-per-minute and tokens-per-minute limits. Waiters are served first come,
 * first served. Tokens are charged at `acquire` with the caller's estimate — as OpenAI counts
 * them against its limit, from the request's size and max_tokens — and `record` charges what a
 * call used beyond that estimate (a call cannot take back what it was charged). A call larger
 * than the bucket may go once the bucket is full, leaving it in debt that later calls wait out.
 */
export class RateLimiter {
  private readonly requests: Bucket | undefined
  private readonly tokens: Bucket | undefined
  private readonly now: () => number
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>
  /** The last waiter in line: each acquire starts when the previous one is served. */
  private line: Promise<void> = Promise.resolve()

  constructor(options: RateLimiterOptions) {
    const start = options.now()
    if (options.requestsPerMinute !== undefined) {
      this.requests = new Bucket(options.requestsPerMinute, start)
    }
    if (options.tokensPerMinute !== undefined) {
      this.tokens = new Bucket(options.tokensPerMinute, start)
    }
    this.now = options.now
    this.sleep = options.sleep
  }

  /** Waits for a request slot and `estimatedTokens` of budget, then charges both. */
  acquire(estimatedTokens: number, signal: AbortSignal): Promise<void> {
    if (!this.requests && !this.tokens) return Promise.resolve()
    const turn = this.line.then(() => this.admit(estimatedTokens, signal))
    this.line = turn.catch(() => undefined)
    if (signal.aborted) return Promise.reject(abortError(signal))
    // Leave the line at once on abort; the turn itself also ends as soon as it starts.
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(abortError(signal))
      signal.addEventListener('abort', onAbort, { once: true })
      turn.then(
        () => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort)
          reject(error)
        }
      )
    })
  }

  private async admit(estimatedTokens: number, signal: AbortSignal): Promise<void> {
    for (;;) {
      if (signal.aborted) throw abortError(signal)
      const now = this.now()
      this.requests?.refill(now)
      this.tokens?.refill(now)
      const waitMs = Math.max(
        this.requests?.waitFor(1) ?? 0,
        this.tokens?.waitFor(Math.min(estimatedTokens, this.tokens.capacity)) ?? 0
      )
      if (waitMs <= 0) {
        if (this.requests) this.requests.level -= 1
        if (this.tokens) this.tokens.level -= estimatedTokens
        return
      }
      await this.sleep(Math.ceil(waitMs), signal)
    }
  }

  /** After a call: charges the tokens it used beyond what `acquire` reserved for it. */
  record(actualTokens: number, estimatedTokens = 0): void {
    if (!this.tokens || actualTokens <= estimatedTokens) return
    this.tokens.refill(this.now())
    this.tokens.level -= actualTokens - estimatedTokens
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
