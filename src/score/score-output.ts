import { EvalgateError } from '../errors.js'
import type { ScorerOutcome } from '../results/types.js'
import { ScorerFailure } from './errors.js'
import type { Outcome } from './outcome.js'
import type { ScoreInput, Scorer } from './types.js'

export interface CaseScore {
  /** Weighted mean of the scorers' scores, in [0, 1]. */
  score: number
  /** Every scorer passed. */
  pass: boolean
  /** One outcome per scorer, in the scorers' order. */
  scores: ScorerOutcome[]
}

/** Guards against scorers (the Scorer interface is open) that return something that is no score. */
function checkOutcome(outcome: unknown): Outcome {
  const { score, pass, reason } = (outcome ?? {}) as Partial<Record<keyof Outcome, unknown>>
  if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 1) {
    throw new Error(`returned score ${String(score)}, not a number between 0 and 1`)
  }
  if (typeof pass !== 'boolean') throw new Error(`returned pass ${String(pass)}, not true or false`)
  if (reason !== undefined && typeof reason !== 'string')
    throw new Error('returned a reason that is not text')
  return reason === undefined ? { score, pass } : { score, pass, reason }
}

async function runScorer(scorer: Scorer, input: ScoreInput): Promise<ScorerOutcome> {
  try {
    return { scorer: scorer.name, ...checkOutcome(await scorer.score(input)) }
  } catch (error) {
    throw new ScorerFailure(scorer.name, error)
  }
}

/**
 * Runs every scorer on one output. The case score is the weight-averaged score; pass = every
 * scorer passed. Rejects with ScorerFailure when a scorer throws or returns something invalid
 * (the first such scorer in order, so the message does not depend on timing); the caller marks
 * that case errored and the run goes on.
 */
export async function scoreOutput(
  scorers: readonly Scorer[],
  input: ScoreInput
): Promise<CaseScore> {
  if (scorers.length === 0) throw new EvalgateError('no scorers to score the output with')
  const settled = await Promise.allSettled(scorers.map((scorer) => runScorer(scorer, input)))
  const scores: ScorerOutcome[] = []
  for (const result of settled) {
    if (result.status === 'rejected') throw result.reason
    scores.push(result.value)
  }
  let weightedSum = 0
  let totalWeight = 0
  scores.forEach((outcome, index) => {
    const weight = (scorers[index] as Scorer).weight
    weightedSum += weight * outcome.score
    totalWeight += weight
  })
  if (!(totalWeight > 0)) throw new EvalgateError('the scorers\u2019 weights add up to 0')
  return {
    // Clamped: floating-point rounding of the mean must not leave [0, 1].
    score: Math.min(1, Math.max(0, weightedSum / totalWeight)),
    pass: scores.every((outcome) => outcome.pass),
    scores
  }
}
