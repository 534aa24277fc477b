/**
 * Secrets out of the RunResult: a server that echoes its Authorization header in an error, a
 * command that prints its environment, a model that repeats its key. What a call produced is
 * recorded with each secret value written back as the `${NAME}` it came from, which says what
 * was there without saying what it is.
 */
import type { CaseResult } from '../results/types.js'
import { redactText } from '../spec/secrets.js'
import type { SecretValue } from '../spec/types.js'

/**
 * The answer with its output, error message and scorer reasons redacted (its model and
 * fingerprint were, with its output, when it was called or read from the cache: callProvider).
 */
export function redactResult(result: CaseResult, secrets: readonly SecretValue[]): CaseResult {
  if (secrets.length === 0) return result
  const text = (value: string) => redactText(value, secrets)
  return {
    ...result,
    output: result.output === null ? null : text(result.output),
    scores: result.scores.map((score) =>
      score.reason === undefined ? score : { ...score, reason: text(score.reason) }
    ),
    ...(result.error ? { error: { ...result.error, message: text(result.error.message) } } : {})
  }
}
