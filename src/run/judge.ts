import { abortError } from '../providers/abort.js'
import type { Provider } from '../providers/types.js'
import type { Judge, JudgeFactory } from '../score/index.js'
import type { ProviderSpec, SecretValue } from '../spec/types.js'
import { callPolicy, callProvider } from './call.js'
import type { CallOptions, RateLimiters } from './call.js'

/** Time limit of one judge call when the judge sets no `timeout`. */
const JUDGE_TIMEOUT_MS = 60_000

/** At most `limit` holders at once; waiters are served in order and leave on abort. */
class Slots {
  private held = 0
  private readonly waiting: (() => void)[] = []

  constructor(private readonly limit: number) {}

  async acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw abortError(signal)
    if (this.held < this.limit) {
      this.held++
      return
    }
    await new Promise<void>((resolve, reject) => {
      const admit = (): void => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = (): void => {
        this.waiting.splice(this.waiting.indexOf(admit), 1)
        reject(abortError(signal))
      }
      this.waiting.push(admit)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  release(): void {
    const next = this.waiting.shift()
    // The slot passes straight to the next waiter: `held` stays as it is.
    if (next) next()
    else this.held--
  }
}

export interface JudgeFactoryOptions extends CallOptions {
  createProvider: (spec: ProviderSpec) => Promise<Provider>
  limiters: RateLimiters
  /** The run's secrets, written back in every judge's answer. */
  secrets: SecretValue[]
}

/**
 * The judges of a run are called like the providers under test: each call with the judge's
 * `timeout` (60 s by default), `retry` policy and rate limits, at most its `concurrency` at once,
 * and through the run's cache — so a replay needs no judge, and no judge's key, either.
 */
export function runJudges(options: JudgeFactoryOptions): JudgeFactory {
  return async (spec) => {
    const provider = await options.createProvider(spec)
    const policy = callPolicy(spec, provider, {
      timeoutMs: spec.timeoutMs ?? JUDGE_TIMEOUT_MS,
      limiters: options.limiters,
      secrets: options.secrets
    })
    const slots = new Slots(spec.concurrency ?? Number.POSITIVE_INFINITY)
    const judge: Judge = {
      async call(request, signal, usable) {
        await slots.acquire(signal)
        try {
          const what = `judge ${spec.id}, case ${request.caseId}, repeat ${request.repeat}`
          const { response } = await callProvider(policy, request, signal, options, what, usable)
          return response
        } finally {
          slots.release()
        }
      },
      close: async () => {
        await provider.close?.()
      }
    }
    return judge
  }
}
