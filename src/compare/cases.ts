/**
 * One side (base or head) of a suite × provider, reduced to what the tests need: the case is the
 * unit (DESIGN "Statistics"), so each case's K repeats are summarised first.
 */
import { median } from '../stats/index.js'
import { isMissingAnswer, resultsByProvider } from '../results/summary.js'
import type { CaseResult, SuiteResult } from '../results/types.js'

/**
 * Errors that say the provider, an LLM judge or the network was unavailable, or that the judge
 * answered with no verdict, rather than that the change under test broke something: more of
 * them is an `error` verdict, never a `regression`. A judge's broken verdict (cut off at its
 * token limit, prose from a judge that ignores the answer format) is the judge's problem, not the
 * graded model's.
 */
const OUTAGE_CAUSES = ['rate-limited', 'server', 'timeout', 'network', 'auth', 'unknown']
const INVALID_VERDICT = 'judge:invalid-verdict'
const OUTAGE_KINDS = new Set([
  ...OUTAGE_CAUSES.flatMap((cause) => [`provider:${cause}`, `judge:${cause}`]),
  INVALID_VERDICT
])

export function isOutageKind(kind: string): boolean {
  return OUTAGE_KINDS.has(kind)
}

/**
 * What an outage of a side's answers lost them, for its verdict's reason: `could not be obtained
 * from the provider`, `could not be graded: the judge was unavailable` (or gave no usable
 * verdict), or both.
 */
export function outageLoss(side: SideSummary): string {
  const kinds = [...side.errorKinds.keys()].filter(isOutageKind)
  const provider = kinds.some((kind) => kind.startsWith('provider:'))
  const judgeDown = kinds.some((kind) => kind.startsWith('judge:') && kind !== INVALID_VERDICT)
  const invalid = kinds.includes(INVALID_VERDICT)
  const judge =
    judgeDown && invalid
      ? 'the judge was unavailable or gave no usable verdict'
      : invalid
        ? 'the judge gave no usable verdict'
        : 'the judge was unavailable'
  if (provider && (judgeDown || invalid)) {
    return judgeDown && !invalid
      ? 'could not be obtained from the provider or graded by the judge (both unavailable)'
      : `could not be obtained from the provider, or graded (${judge})`
  }
  return judgeDown || invalid
    ? `could not be graded: ${judge}`
    : 'could not be obtained from the provider'
}

/** How many of a side's answers failed for want of the provider (an outage, not a change). */
export function outageErrors(side: SideSummary): number {
  let count = 0
  for (const [kind, errors] of side.errorKinds) if (isOutageKind(kind)) count += errors
  return count
}

/** The share of a side's answers lost to an outage; null without answers. */
export function outageShare(side: SideSummary): number | null {
  return side.answers === 0 ? null : outageErrors(side) / side.answers
}

/**
 * Timings under 10 ms are scheduling noise on a shared CI runner (a GC pause or a busy core turns
 * an in-process 0.1 ms answer into 5 ms), not a slowdown that matters, so latency ratios are taken
 * on values floored at 10 ms. A model call takes hundreds of ms and is untouched by the floor.
 */
export const LATENCY_FLOOR_MS = 10

/**
 * A latency change smaller than this is the runner's timing noise whatever its p-value: a few
 * answers held up by a GC pause or a busy core make the signed-rank test significant on an
 * in-process function while the estimate moved by a fraction of a millisecond.
 */
export const TIMING_NOISE_MS = 1

export interface CaseSummary {
  caseId: string
  /** Answers that were obtained and scored. */
  answered: CaseResult[]
  errored: number
  missing: number
  /** Mean score of the answered repeats; null when none was answered. */
  score: number | null
  /** Share of the answered repeats that passed. */
  passRate: number | null
  /** Every answered repeat scored exactly 0 or 1. */
  binaryScores: boolean
  /** Every answered repeat has pass ⇔ score = 1, so pass rate and score are the same number. */
  passMatchesScore: boolean
  /** Measured (not cached) latencies of the answered repeats. */
  latencies: number[]
  latency: number | null
  ttft: number | null
  /** Mean USD per answered repeat; null when some answered repeat has no known cost. */
  cost: number | null
  inputTokens: number | null
  outputTokens: number | null
  /** Errored share of the answers obtained (errored + answered); null when none was obtained. */
  errorRate: number | null
  calls: number
  retried: number
}

export interface SideSummary {
  cases: Map<string, CaseSummary>
  answers: number
  errors: number
  missing: number
  /** Of `missing`, answers obtained whose LLM judge's grade was not in the replay cache. */
  missingGrades: number
  errorKinds: Map<string, number>
  errorExamples: Map<string, string>
  models: Set<string>
  fingerprints: Set<string>
  /** Answered repeats with a numeric cost, and without one (no price, or no token counts). */
  pricedAnswers: number
  unpricedAnswers: number
  /** USD over the priced answers. */
  totalCost: number
  /** Priced answers replayed from the cache: their cost was paid when they were recorded. */
  cachedPricedAnswers: number
  /** Answers replayed from the cache: they have no latency. */
  cachedAnswers: number
  /** Measured latencies over all cases. */
  measuredLatencies: number
  /** Answers an LLM judge answered on, of which without a cost, and from the cache. */
  judgedAnswers: number
  unpricedJudgedAnswers: number
  cachedJudgedAnswers: number
  /** USD the judges spent over the judged answers with a cost. */
  judgeCost: number
}

/** One pass over a case's answers: this runs for every case of both runs (100,000s). */
function summarizeCase(caseId: string, answers: readonly CaseResult[]): CaseSummary {
  const answered: CaseResult[] = []
  const latencies: number[] = []
  const ttfts: number[] = []
  let errored = 0
  let missing = 0
  let calls = 0
  let retried = 0
  let scoreSum = 0
  let passed = 0
  let binaryScores = true
  let passMatchesScore = true
  let costSum = 0
  let costs = 0
  let inputTokens = 0
  let outputTokens = 0
  let withTokens = 0
  for (const answer of answers) {
    if (answer.error && isMissingAnswer(answer)) {
      missing++
      continue
    }
    if (!answer.cached) {
      calls++
      if (answer.attempts > 1) retried++
    }
    if (answer.error || answer.score === null || answer.pass === null) {
      errored++
      continue
    }
    answered.push(answer)
    const score = answer.score
    scoreSum += score
    if (answer.pass) passed++
    if (score !== 0 && score !== 1) binaryScores = false
    if (answer.pass !== (score === 1)) passMatchesScore = false
    if (!answer.cached && answer.latencyMs !== null) latencies.push(answer.latencyMs)
    if (!answer.cached && answer.ttftMs !== undefined) ttfts.push(answer.ttftMs)
    if (typeof answer.cost === 'number') {
      costSum += answer.cost
      costs++
    }
    if (answer.tokens) {
      inputTokens += answer.tokens.input
      outputTokens += answer.tokens.output
      withTokens++
    }
  }
  const n = answered.length
  const obtained = n + errored
  const allTokens = n > 0 && withTokens === n
  return {
    caseId,
    answered,
    errored,
    missing,
    score: n === 0 ? null : scoreSum / n,
    passRate: n === 0 ? null : passed / n,
    binaryScores,
    passMatchesScore,
    latencies,
    latency: latencies.length === 0 ? null : median(latencies),
    ttft: ttfts.length === 0 ? null : median(ttfts),
    cost: n > 0 && costs === n ? costSum / n : null,
    inputTokens: allTokens ? inputTokens / n : null,
    outputTokens: allTokens ? outputTokens / n : null,
    errorRate: obtained === 0 ? null : errored / obtained,
    calls,
    retried
  }
}

/**
 * Each suite's answers by provider, grouped once: summarizing every provider of a suite by
 * scanning all its answers each time would be quadratic in a run of many providers.
 */
const groupedByProvider = new WeakMap<SuiteResult, Map<string, CaseResult[]>>()

function answersOf(suite: SuiteResult, providerId: string): readonly CaseResult[] {
  let grouped = groupedByProvider.get(suite)
  if (!grouped) {
    grouped = resultsByProvider(suite)
    groupedByProvider.set(suite, grouped)
  }
  return grouped.get(providerId) ?? []
}

/** Groups a suite's answers for one provider by case, in first-seen order. */
export function summarizeSide(suite: SuiteResult, providerId: string): SideSummary {
  const byCase = new Map<string, CaseResult[]>()
  const errorKinds = new Map<string, number>()
  const errorExamples = new Map<string, string>()
  const models = new Set<string>()
  const fingerprints = new Set<string>()
  let totalCost = 0
  let pricedAnswers = 0
  let unpricedAnswers = 0
  let cachedPricedAnswers = 0
  let cachedAnswers = 0
  let missingGrades = 0
  let judgedAnswers = 0
  let unpricedJudgedAnswers = 0
  let cachedJudgedAnswers = 0
  let judgeCost = 0
  for (const result of answersOf(suite, providerId)) {
    // Of the answers counted (`answers`): one whose judge's grade was not in the replay cache
    // came from the cache, but is missing.
    if (result.cached && !isMissingAnswer(result)) cachedAnswers++
    // An answer never obtained has no output; one whose grade is missing has one.
    if (result.error?.kind === 'cache-miss' && result.output !== null) missingGrades++
    if (result.judgeCost !== undefined || result.judgeTokens !== undefined) {
      judgedAnswers++
      if (result.judgeCached) cachedJudgedAnswers++
      if (typeof result.judgeCost === 'number') judgeCost += result.judgeCost
      else unpricedJudgedAnswers++
    }
    const group = byCase.get(result.caseId)
    if (group) group.push(result)
    else byCase.set(result.caseId, [result])
    if (result.model !== undefined) models.add(result.model)
    if (result.fingerprint !== undefined) fingerprints.add(result.fingerprint)
    if (result.error && !isMissingAnswer(result)) {
      errorKinds.set(result.error.kind, (errorKinds.get(result.error.kind) ?? 0) + 1)
      if (!errorExamples.has(result.error.kind)) {
        errorExamples.set(result.error.kind, result.error.message)
      }
    }
    if (typeof result.cost === 'number') {
      totalCost += result.cost
      pricedAnswers++
      if (result.cached) cachedPricedAnswers++
    } else if (!result.error && result.score !== null) unpricedAnswers++
  }
  const cases = new Map<string, CaseSummary>()
  let answers = 0
  let errors = 0
  let missing = 0
  let measuredLatencies = 0
  for (const [caseId, group] of byCase) {
    const summary = summarizeCase(caseId, group)
    cases.set(caseId, summary)
    answers += summary.answered.length + summary.errored
    errors += summary.errored
    missing += summary.missing
    measuredLatencies += summary.latencies.length
  }
  return {
    cases,
    answers,
    errors,
    missing,
    missingGrades,
    errorKinds,
    errorExamples,
    models,
    fingerprints,
    pricedAnswers,
    unpricedAnswers,
    totalCost,
    cachedPricedAnswers,
    cachedAnswers,
    measuredLatencies,
    judgedAnswers,
    unpricedJudgedAnswers,
    cachedJudgedAnswers,
    judgeCost
  }
}
