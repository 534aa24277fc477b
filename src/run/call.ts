import { ProviderError } from '../errors.js'
import { abortAfter, raceAbort } from '../providers/abort.js'
import {
  formerProviderCacheIdentity,
  providerCacheIdentity,
  rateLimitIdentity
} from '../providers/identity.js'
import { DEFAULT_RETRY_POLICY, sleep, withRetries } from '../providers/retry.js'
import type { RetryPolicy } from '../providers/retry.js'
import type { Provider, ProviderRequest, ProviderResponse } from '../providers/types.js'
import { durationText } from '../spec/duration.js'
import { recordedTokens, tokenCountProblem } from '../providers/tokens.js'
import { redactText } from '../spec/secrets.js'
import type { ProviderSpec, SecretValue } from '../spec/types.js'
import { cacheKey } from './cache.js'
import type { CachedAnswer, ResponseCache } from './cache.js'
import { RateLimiter, estimateTokens } from './rate-limit.js'
import { Slots, allOf } from './slots.js'
import type { Gate } from './slots.js'

/** What every call of the run shares: the cache, and the clock and dice of retries and limits. */
export interface CallOptions {
  /** Calls in flight across all providers and judges; unbounded by default. */
  concurrency?: number
  cache?: ResponseCache
  /**
   * Where the providers and judges whose `${VAR}`s are not set find their answers: they cannot
   * be called, only replayed (a fork's pull request has no secrets), whatever `cache` does.
   */
  replayCache?: ResponseCache
  /** Backoff and rate-limit waits, and the jitter; real ones by default. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  random?: () => number
  /** Milliseconds on a monotonic clock, for rate limits; `performance.now` by default. */
  clock?: () => number
}

/** How one provider is called: its timeout, retries, rate limits and what its answers are cached under. */
export interface CallPolicy {
  provider: Provider
  timeoutMs: number
  retry: RetryPolicy
  limiter: RateLimiter | undefined
  /**
   * Held while an attempt is made, not while it waits for its rate limit or a retry: a share of
   * its endpoint's `concurrency` and of the run's.
   */
  inFlight: Gate
  /** Request parameters (max tokens) that rate-limit estimates count. */
  params: Record<string, unknown>
  cacheIdentity: string
  /** The identity an older evalgate keyed the same answers by (formerProviderCacheIdentity). */
  formerCacheIdentity?: string
  /** The provider's secrets are not set: its answers come from `replayCache`, never a call. */
  replays: boolean
  /**
   * Whether the case's variables reach the provider (module and exec providers get them, an
   * http body is rendered from them): an openai provider sends only the messages, so a variable
   * it never sends (a fix of an expected label) must not miss its recorded answers.
   */
  keysVars: boolean
  /**
   * Whether the case id reaches the provider (a module is given it, an exec command has it in
   * EVALGATE_CASE_ID): two cases with the same variables may get two answers, never each other's.
   */
  keysCaseId: boolean
  /**
   * Written back as `${NAME}` in what the provider answers (its output, its errors, cached or
   * not), before anything else sees it.
   */
  secrets: SecretValue[]
}

/** An answer as the run records it: from a call (with its attempts) or from the cache. */
export interface Answer {
  response: Omit<ProviderResponse, 'latencyMs' | 'attempts'> & { latencyMs: number | null }
  attempts: number
  /** Time spent between attempts. */
  waitedMs: number
  cached: boolean
}

/**
 * The limits every suite and judge of the run share: one rate limiter per endpoint (and model)
 * and limits, one cap on calls in flight per endpoint — the smallest `concurrency` any of its
 * callers sets — and the run's own cap. A limit is the account's or the server's, not one
 * suite's.
 */
export class CallLimits {
  /** Calls in flight across the run. */
  private readonly run: Slots
  private readonly limiters = new Map<string, RateLimiter>()
  private readonly endpoints = new Map<string, Slots>()

  constructor(private readonly options: CallOptions) {
    this.run = new Slots(options.concurrency ?? Number.POSITIVE_INFINITY)
  }

  rateLimiter(spec: ProviderSpec): RateLimiter | undefined {
    const { rateLimit } = spec
    if (!rateLimit || !(rateLimit.requestsPerMinute || rateLimit.tokensPerMinute)) return undefined
    const key = JSON.stringify([rateLimitIdentity(spec), rateLimit])
    let limiter = this.limiters.get(key)
    if (!limiter) {
      limiter = new RateLimiter({
        ...rateLimit,
        now: this.options.clock ?? (() => performance.now()),
        sleep: this.options.sleep ?? sleep
      })
      this.limiters.set(key, limiter)
    }
    return limiter
  }

  /**
   * What a call to `spec`'s endpoint holds while it is made: a share of the endpoint's cap,
   * lowered to `spec`'s `concurrency`, then of the run's. Every caller is given it before the
   * run's first call.
   */
  inFlight(spec: ProviderSpec): Gate {
    const identity = rateLimitIdentity(spec)
    let endpoint = this.endpoints.get(identity)
    if (!endpoint) {
      endpoint = new Slots(Number.POSITIVE_INFINITY)
      this.endpoints.set(identity, endpoint)
    }
    if (spec.concurrency !== undefined) endpoint.cap(spec.concurrency)
    return allOf([endpoint, this.run])
  }
}

export function callPolicy(
  spec: ProviderSpec,
  provider: Provider,
  run: {
    timeoutMs: number
    limiters: CallLimits
    /** The run's secrets, written back in whatever this provider answers. */
    secrets: SecretValue[]
  }
): CallPolicy {
  return {
    provider,
    timeoutMs: run.timeoutMs,
    retry: spec.retry ?? DEFAULT_RETRY_POLICY,
    limiter: run.limiters.rateLimiter(spec),
    inFlight: run.limiters.inFlight(spec),
    params: spec.type === 'openai' ? spec.params : {},
    cacheIdentity: providerCacheIdentity(spec),
    formerCacheIdentity: formerProviderCacheIdentity(spec),
    replays: spec.unsetVariables !== undefined,
    keysVars: spec.type !== 'openai',
    keysCaseId: spec.type === 'module' || spec.type === 'exec',
    secrets: run.secrets
  }
}

/** An answer with the secrets written back in every text the server sent. */
function redactAnswer<T extends CachedAnswer>(answer: T, secrets: readonly SecretValue[]): T {
  const text = (value: string | undefined) =>
    value === undefined ? undefined : redactText(value, secrets)
  return {
    ...answer,
    output: redactText(answer.output, secrets),
    ...(answer.model === undefined ? {} : { model: text(answer.model) }),
    ...(answer.fingerprint === undefined ? {} : { fingerprint: text(answer.fingerprint) }),
    ...(answer.serviceTier === undefined ? {} : { serviceTier: text(answer.serviceTier) }),
    ...(answer.finishReason === undefined ? {} : { finishReason: text(answer.finishReason) })
  }
}

/** A provider's error with its secrets written back, as its answers are. */
function withSecretsRedacted(error: unknown, secrets: readonly SecretValue[]): unknown {
  if (!(error instanceof ProviderError) || secrets.length === 0) return error
  const message = redactText(error.message, secrets)
  if (message === error.message) return error
  return new ProviderError(error.kind, message, {
    retryable: error.retryable,
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {})
  })
}

/**
 * Token counts as a provider reported them (a module returns them, an endpoint or a compatible
 * server sends them): a count that is not a number from 0 to MAX_TOKENS is a malformed answer,
 * never written into a RunResult that its own reader would refuse; fields beyond the four
 * counts are left out.
 */
function checkedTokens(response: ProviderResponse, providerId: string): ProviderResponse {
  if (response.tokens === undefined) return response
  const problem = tokenCountProblem(response.tokens)
  if (problem) {
    throw new ProviderError('malformed-response', `provider ${providerId}: reported ${problem}`)
  }
  return { ...response, tokens: recordedTokens(response.tokens) }
}

/**
 * The longest a timed-out attempt of a provider that settles once stopped keeps its slot, in case
 * the system never lets it go: well past an exec command's SIGTERM-to-SIGKILL grace.
 */
const STOPPING_WAIT_MS = 10_000

/** Resolves once `call` has settled, the run is cancelled or STOPPING_WAIT_MS has passed. */
function stopped(call: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, STOPPING_WAIT_MS)
    signal.addEventListener('abort', done, { once: true })
    call.then(done, done)
  })
}

/**
 * One answer for a request: replayed from the cache when it has one, else called — each attempt
 * paced by the provider's rate limiter, made holding a share of its endpoint's and the run's
 * concurrency (none while it waits for its limit or a retry), given its own timeout, and retried
 * per the provider's policy — and recorded in the cache. `what` names the call in a cache-miss
 * error. An answer that is not `usable` (a judge's that is no verdict) is recorded all the same,
 * so that a replay gives the same error, but a mode that can call asks again rather than take it.
 */
export async function callProvider(
  policy: CallPolicy,
  request: ProviderRequest,
  signal: AbortSignal,
  options: CallOptions,
  what: string,
  usable: (answer: CachedAnswer) => boolean = () => true
): Promise<Answer> {
  const cache = policy.replays ? options.replayCache : options.cache
  const keyBy = (providerFingerprint: string) =>
    cacheKey({
      providerFingerprint,
      request: {
        messages: request.messages,
        ...(policy.keysVars ? { vars: request.vars } : {}),
        ...(policy.keysCaseId ? { caseId: request.caseId } : {})
      },
      repeat: request.repeat
    })
  const key = cache && (cache.reads || cache.writes) ? keyBy(policy.cacheIdentity) : undefined
  if (cache && key && cache.reads) {
    const { formerCacheIdentity: former } = policy
    const hit = await cache.get(
      key,
      what,
      usable,
      former === undefined ? undefined : () => keyBy(former)
    )
    if (hit) {
      // A cache recorded before a secret was known to this run is redacted on the way out.
      return {
        response: { ...redactAnswer(hit, policy.secrets), latencyMs: null },
        attempts: 0,
        waitedMs: 0,
        cached: true
      }
    }
  }
  const estimate = policy.limiter ? estimateTokens(request.messages, policy.params) : 0
  const { inFlight } = policy
  const outcome = await withRetries(
    async () => {
      await (policy.limiter
        ? policy.limiter.acquire(estimate, signal, inFlight)
        : inFlight.acquire(signal))
      // The timeout aborts with an error that names the provider and its limit.
      const attempt = abortAfter(
        signal,
        policy.timeoutMs,
        () =>
          new ProviderError(
            'timeout',
            `provider ${policy.provider.id}: no answer within its timeout of ${durationText(policy.timeoutMs)}`,
            { retryable: true }
          )
      )
      let call: Promise<ProviderResponse> | undefined
      try {
        const attemptSignal = attempt.signal
        call = policy.provider.call(request, attemptSignal)
        // Raced against the signal too: a provider that ignores it must not hold its slot forever.
        const answered = await raceAbort(call, attemptSignal).catch((error: unknown) => {
          throw withSecretsRedacted(error, policy.secrets)
        })
        const response = checkedTokens(answered, policy.provider.id)
        const used = (response.tokens?.input ?? 0) + (response.tokens?.output ?? 0)
        policy.limiter?.record(used, estimate)
        // Before the cache (restored into forks' runs) and the scorers (whose reasons quote it);
        // what else the server reports (its model, fingerprint, tier) is its text too.
        return redactAnswer(response, policy.secrets)
      } finally {
        attempt.dispose()
        // A timed-out command keeps its slot until it is gone, or the retry would run beside it.
        if (call && attempt.signal.aborted && policy.provider.settlesWhenStopped) {
          await stopped(call, signal)
        }
        inFlight.release()
      }
    },
    policy.retry,
    { sleep: options.sleep ?? sleep, random: options.random ?? Math.random, signal }
  )
  if (cache && key && cache.writes) await cache.set(key, outcome.value)
  const { value, attempts, waitedMs } = outcome
  return { response: value, attempts, waitedMs, cached: false }
}
