import { EvalgateError, errorMessage } from '../errors.js'
import type { ProviderError, ProviderErrorKind } from '../errors.js'
import type { TokenUsage } from '../results/types.js'
import type { ScorerUsage } from './types.js'

/**
 * What LLM judges spent on one output: recorded apart from the system under test. `judgeCached`:
 * every judge's answer came from the cache, so its cost was spent by the run that recorded it.
 */
export interface JudgeSpending {
  judgeTokens?: TokenUsage
  judgeCost?: number | null
  judgeCached?: boolean
}

/**
 * A scorer threw (or returned something that is not a score) while scoring one output. The caller
 * records that case as errored (kind `scorer`) and the run goes on.
 */
export class ScorerFailure extends EvalgateError {
  /** The failing scorer's name, as reports show it. */
  readonly scorer: string
  /** What the judges that did answer spent before the case errored: paid for all the same. */
  judgeSpending: JudgeSpending = {}
  constructor(scorer: string, cause: unknown) {
    super(`scorer "${scorer}" failed: ${errorMessage(cause)}`, 1)
    this.scorer = scorer
    this.cause = cause
  }
}

/** A problem with one scorer's configuration, found while creating it; gathered into an InputError. */
export class ScorerConfigProblem extends Error {
  /** Field of the scorer spec at fault, e.g. `pattern`; empty for the scorer as a whole. */
  readonly field: string
  readonly hint: string | undefined
  constructor(field: string, message: string, hint?: string) {
    super(message)
    this.field = field
    this.hint = hint
  }
}

/**
 * A scorer that spent money before it failed: an LLM judge that answered with something that is
 * no judgement. The case is errored, and what the call cost is still counted.
 */
export class PaidScorerError extends EvalgateError {
  readonly usage: ScorerUsage
  constructor(message: string, usage: ScorerUsage) {
    super(message, 1)
    this.usage = usage
  }
}

/**
 * An LLM judge answered with no verdict (prose, a refusal, nothing, one cut off at its token
 * limit): the judge's problem, not the graded model's. The caller records the case as errored
 * with kind `judge:invalid-verdict`.
 */
export class InvalidVerdictError extends PaidScorerError {}

/**
 * An LLM judge's call failed: its provider's error kind is kept, so that a judge that was
 * unavailable (rate limited, down, timing out, refusing its key) is told from an answer that
 * broke a scorer. The caller records the case as errored with kind `judge:<kind>`.
 */
export class JudgeCallError extends EvalgateError {
  readonly kind: ProviderErrorKind
  constructor(cause: ProviderError, hint?: string) {
    super(`the judge's call failed: ${cause.message}${hint === undefined ? '' : ` (${hint})`}`, 1)
    this.kind = cause.kind
    this.cause = cause
  }
}
