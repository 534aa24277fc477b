import { EvalgateError } from '../errors.js'
import type { ScorerOutcome, TokenUsage } from '../results/types.js'
import { PaidScorerError, ScorerFailure } from './errors.js'
import type { JudgeSpending } from './errors.js'
import type { Outcome } from './outcome.js'
import type { ScoreInput, Scorer, ScorerUsage } from './types.js'

/**
 * judgeTokens: the tokens the LLM judges used on this output, summed; absent when none reported
 * any. judgeCost: USD they cost, summed; null when any judge's cost is unknown; absent without
 * judges. judgeCached: every judge's answer came from the cache; absent without judges.
 */
export interface CaseScore extends JudgeSpending {
  /** Weighted mean of the scorers' scores, in [0, 1]. */
  score: number
  /** Every scorer passed. */
  pass: boolean
  /** One outcome per scorer, in the scorers' order. */
  scores: ScorerOutcome[]
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}

function checkUsage(usage: unknown): ScorerUsage {
  const { tokens, cost, cached } = (usage ?? {}) as Record<string, unknown>
  if (cost !== null && !isCount(cost)) throw new Error('returned a usage cost that is not a price')
  const fromCache = cached === true ? { cached } : {}
  if (tokens === undefined) return { cost, ...fromCache }
  const { input, output, cachedInput, reasoning } = (tokens ?? {}) as Record<string, unknown>
  const optional = [cachedInput, reasoning].filter((count) => count !== undefined)
  if (!isCount(input) || !isCount(output) || !optional.every(isCount)) {
    throw new Error('returned usage tokens that are not counts')
  }
  return { tokens: tokens as TokenUsage, cost, ...fromCache }
}

/** Guards against scorers (the Scorer interface is open) that return something that is no score. */
function checkOutcome(outcome: unknown): Outcome {
  const { score, pass, reason, usage } = (outcome ?? {}) as Partial<Record<keyof Outcome, unknown>>
  if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 1) {
    throw new Error(`returned score ${String(score)}, not a number between 0 and 1`)
  }
  if (typeof pass !== 'boolean') throw new Error(`returned pass ${String(pass)}, not true or false`)
  if (reason !== undefined && typeof reason !== 'string')
    throw new Error('returned a reason that is not text')
  return {
    score,
    pass,
    ...(reason === undefined ? {} : { reason }),
    ...(usage === undefined ? {} : { usage: checkUsage(usage) })
  }
}

interface Scored {
  outcome: ScorerOutcome
  usage?: ScorerUsage
}

async function runScorer(scorer: Scorer, input: ScoreInput): Promise<Scored> {
  try {
    const { usage, ...outcome } = checkOutcome(await scorer.score(input))
    return { outcome: { scorer: scorer.name, ...outcome }, ...(usage ? { usage } : {}) }
  } catch (error) {
    throw new ScorerFailure(scorer.name, error)
  }
}

function addTokens(total: TokenUsage | undefined, tokens: TokenUsage): TokenUsage {
  if (total === undefined) return { ...tokens }
  const optional = (key: 'cachedInput' | 'reasoning') =>
    total[key] === undefined && tokens[key] === undefined
      ? {}
      : { [key]: (total[key] ?? 0) + (tokens[key] ?? 0) }
  return {
    input: total.input + tokens.input,
    output: total.output + tokens.output,
    ...optional('cachedInput'),
    ...optional('reasoning')
  }
}

/**
 * What the judges spent, kept apart from the system under test's tokens and cost, and whether
 * every judge's answer came from the cache.
 */
function judgeSpending(usages: readonly ScorerUsage[]): JudgeSpending {
  if (usages.length === 0) return {}
  let tokens: TokenUsage | undefined
  let cost: number | null = 0
  for (const usage of usages) {
    if (usage.tokens) tokens = addTokens(tokens, usage.tokens)
    cost = cost === null || usage.cost === null ? null : cost + usage.cost
  }
  return {
    ...(tokens ? { judgeTokens: tokens } : {}),
    judgeCost: cost,
    judgeCached: usages.every((usage) => usage.cached === true)
  }
}

/**
 * Runs every scorer on one output. The case score is the weight-averaged score; pass = every
 * scorer passed; what LLM judges spent is summed into judgeTokens / judgeCost. Rejects with
 * ScorerFailure when a scorer throws or returns something invalid (the first such scorer in
 * order, so the message does not depend on timing), carrying what the other judges spent; the
 * caller marks that case errored and the run goes on.
 */
export async function scoreOutput(
  scorers: readonly Scorer[],
  input: ScoreInput
): Promise<CaseScore> {
  if (scorers.length === 0) throw new EvalgateError('no scorers to score the output with')
  const settled = await Promise.allSettled(scorers.map((scorer) => runScorer(scorer, input)))
  const results = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
  const failures = settled.flatMap((result) =>
    result.status === 'rejected' ? [result.reason as ScorerFailure] : []
  )
  const [failure] = failures
  if (failure) {
    // Every judge that answered was paid, whether its scorer or another one failed.
    failure.judgeSpending = judgeSpending([
      ...results.flatMap(({ usage }) => (usage ? [usage] : [])),
      ...failures.flatMap(({ cause }) => (cause instanceof PaidScorerError ? [cause.usage] : []))
    ])
    throw failure
  }
  let weightedSum = 0
  let totalWeight = 0
  results.forEach(({ outcome }, index) => {
    const weight = (scorers[index] as Scorer).weight
    weightedSum += weight * outcome.score
    totalWeight += weight
  })
  if (!(totalWeight > 0)) throw new EvalgateError('the scorers\u2019 weights add up to 0')
  const scores = results.map(({ outcome }) => outcome)
  return {
    // Clamped: floating-point rounding of the mean must not leave [0, 1].
    score: Math.min(1, Math.max(0, weightedSum / totalWeight)),
    pass: scores.every((outcome) => outcome.pass),
    scores,
    ...judgeSpending(results.flatMap(({ usage }) => (usage ? [usage] : [])))
  }
}
