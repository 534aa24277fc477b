import type { Provider } from '../providers/types.js'
import type { Judge, JudgeFactory } from '../score/index.js'
import type { ProviderSpec, SecretValue } from '../spec/types.js'
import { callPolicy, callProvider } from './call.js'
import type { CallLimits, CallOptions } from './call.js'

/** Time limit of one judge call when the judge sets no `timeout`. */
const JUDGE_TIMEOUT_MS = 60_000

export interface JudgeFactoryOptions extends CallOptions {
  createProvider: (spec: ProviderSpec) => Promise<Provider>
  limiters: CallLimits
  /** The run's secrets, written back in every judge's answer. */
  secrets: SecretValue[]
}

/**
 * The judges of a run are called like the providers under test: each call with the judge's
 * `timeout` (60 s by default), `retry` policy, rate limits and `concurrency` (shared with every
 * caller of its endpoint), and through the run's cache — so a replay needs no judge, and no
 * judge's key, either.
 */
export function runJudges(options: JudgeFactoryOptions): JudgeFactory {
  return async (spec, scorer) => {
    const provider = await options.createProvider(spec)
    const policy = callPolicy(spec, provider, {
      timeoutMs: spec.timeoutMs ?? JUDGE_TIMEOUT_MS,
      limiters: options.limiters,
      secrets: options.secrets
    })
    const judge: Judge = {
      async call(request, signal, usable) {
        const what = `the judge of ${scorer}, case ${request.caseId}, repeat ${request.repeat}`
        const { response, cached } = await callProvider(
          policy,
          request,
          signal,
          options,
          what,
          usable
        )
        return { ...response, cached }
      },
      close: async () => {
        await provider.close?.()
      }
    }
    return judge
  }
}
