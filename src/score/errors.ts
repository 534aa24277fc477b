import { EvalgateError, errorMessage } from '../errors.js'

/**
 * A scorer threw (or returned something that is not a score) while scoring one output. The caller
 * records that case as errored (kind `scorer`) and the run goes on.
 */
export class ScorerFailure extends EvalgateError {
  /** The failing scorer's name, as reports show it. */
  readonly scorer: string
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
