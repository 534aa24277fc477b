/**
 * The metrics of one suite × provider: each is measured and tested first (`PendingMetric`), the
 * run's p-values are then Holm-adjusted together (index.ts), and only then is each verdict decided.
 * The statistical methods follow DESIGN "Statistics"; the sources are cited in src/stats.
 */
import {
  bootstrapMeanInterval,
  bootstrapRatioInterval,
  deltaMethodRatioInterval,
  clusteredStandardError,
  createRng,
  fewestSignificantUnits,
  hodgesLehmann,
  hodgesLehmannInterval,
  mcnemarExact,
  mean,
  newcombeDifferenceInterval,
  median,
  minimumDetectableEffect,
  quantile,
  requiredSampleSize,
  signFlipTest,
  standardDeviation,
  studentTQuantile,
  tInterval,
  wilcoxonSignedRank,
  zeroEventUpperBound
} from '../stats/index.js'
import type { Rng, TestResult } from '../stats/index.js'
import type { CaseResult } from '../results/types.js'
import {
  LATENCY_FLOOR_MS,
  TIMING_NOISE_MS,
  outageErrors,
  outageLoss,
  outageShare
} from './cases.js'
import type { CaseSummary, SideSummary } from './cases.js'
import { P95_MIN_SAMPLES, beyond } from './gate.js'
import type { QualityTolerance } from './gate.js'
import {
  formatInterval,
  formatMs,
  formatPValue,
  formatPercent,
  formatPercentsApart,
  formatPoints,
  formatPointsApart,
  formatRatio,
  formatUsd,
  formatUsdsApart,
  judgeSpendCaveats,
  plural
} from './format.js'
import type {
  JudgeSpend,
  MetricComparison,
  MetricInterval,
  MetricName,
  MetricTest,
  MetricUnit,
  PooledScore,
  PowerAdvice
} from './types.js'

const LEVEL = 0.95
/** DESIGN "Statistics": the t-interval from this many paired cases, the bootstrap below. */
const T_INTERVAL_MIN_CASES = 50
/** Advice on repeats looks no further than this many per case. */
const MAX_ADVISED_REPEATS = 50

/** The mean of the values that are known; null when none is. */
export function meanOfKnown(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null)
  return known.length === 0 ? null : mean(known)
}

/** The α a test must beat at Holm's first step in a family of `familySize`, as a reason says it. */
function holmSplit(alpha: number, familySize: number): { alpha: number; text: string } {
  const size = Math.max(1, familySize)
  const split = alpha / size
  const shown = split >= 0.001 ? String(Number(split.toPrecision(2))) : split.toExponential(1)
  return {
    alpha: split,
    text: size === 1 ? `α = ${alpha}` : `α = ${alpha}/${size} = ${shown} (Holm over ${size} tests)`
  }
}

/**
 * The fewest paired cases with which a change can be significant at α: one fewer for McNemar's
 * mid-p, whose smallest p is half the sign-flip test's.
 */
function fewestCases(alpha: number, midP: boolean): number {
  return fewestSignificantUnits(alpha) - (midP ? 1 : 0)
}

/**
 * Inconclusive when `n` paired cases are fewer than any exact test needs to call a change
 * significant at α: then neither a change nor its absence can be shown — unless the spec set an
 * absolute limit that the head meets (`limitHeld`), which then decides: a pass, as README advises
 * a suite too small to compare ("give it an absolute floor instead"). Says whether it decided.
 */
function tooFewToJudge(
  metric: MetricComparison,
  change: string,
  n: number,
  alpha: number,
  midP = false,
  limitHeld?: string
): boolean {
  const fewest = fewestCases(alpha, midP)
  if (n >= fewest) return false
  const cannot = `${change}, but ${plural(n, 'paired case')} can show no change either way`
  if (limitHeld !== undefined) {
    setVerdict(metric, 'pass', `${cannot}, so its limit decides: ${limitHeld}`)
  } else {
    setVerdict(metric, 'inconclusive', `${cannot}: it takes ${fewest} or more`)
  }
  return true
}

/**
 * Why the head has no value for an absolute limit to read: every answer that came back errored,
 * or none came back.
 */
function noHeadValue(head: SideSummary): string {
  if (head.answers === 0 && head.missing === 0) return 'the head has no answer'
  if (head.missing === 0) return 'every head answer errored'
  if (head.answers === 0) {
    return 'no head answer was obtained and graded (replay cache misses or cancelled calls)'
  }
  return 'every head answer errored or was never obtained'
}

/**
 * A floor or maximum the spec sets that has no head value to read (`limit` names it: `the floor
 * 90.0% of the mean score`): inconclusive, never a pass — a limit is a promise, and "nothing
 * answered" does not keep it. Says whether it decided.
 */
function unreadLimit(
  metric: MetricComparison,
  limit: string | undefined,
  reading: number | null,
  head: SideSummary
): boolean {
  if (limit === undefined || reading !== null) return false
  metric.gated = true
  setVerdict(metric, 'inconclusive', `${limit} cannot be checked: ${noHeadValue(head)}`)
  return true
}

/**
 * Inconclusive, once the interval could not show the change within its tolerance, when `n` paired
 * cases are too few for a change to be significant at α split over the Holm family: more cases,
 * not a closer look, would settle it. `reach` is how far the interval went (`×1.20`). Says
 * whether it decided.
 */
function tooFewInFamily(
  metric: MetricComparison,
  change: string,
  n: number,
  reach: string,
  alpha: number,
  familySize: number,
  midP = false
): boolean {
  const split = holmSplit(alpha, familySize)
  const fewest = fewestCases(split.alpha, midP)
  if (n >= fewest) return false
  setVerdict(
    metric,
    'inconclusive',
    `${change}, not significant, and the 95% CI reaches ${reach}: with ${plural(n, 'paired case')} no change can be significant at ${split.text}; it takes ${fewest} or more`
  )
  return true
}

/** The tolerated ratio on the side a change went: ×1.20 for a slowdown, ×0.83 for a speed-up. */
function toleratedBound(ratio: number, maxRatio: number): string {
  return formatRatio(ratio < 1 ? 1 / maxRatio : maxRatio)
}

/** A case answered in both runs. */
export interface Pair {
  caseId: string
  base: CaseSummary
  head: CaseSummary
  /** Its cluster (same document, same user…), or undefined when the case is its own cluster. */
  cluster: string | undefined
}

/**
 * A case's summary over `answered` alone, for the quality metrics (score, pass rate and what they
 * are read from); its other fields stay those of all its answers.
 */
function overAnswers(summary: CaseSummary, answered: CaseResult[]): CaseSummary {
  const scores = answered.map((a) => a.score as number)
  return {
    ...summary,
    answered,
    score: answered.length === 0 ? null : mean(scores),
    passRate:
      answered.length === 0 ? null : answered.filter((a) => a.pass).length / answered.length,
    binaryScores: scores.every((x) => x === 0 || x === 1),
    passMatchesScore: answered.every((a) => a.pass === (a.score === 1))
  }
}

/** How many repeats a run asked of a case: its answers, errored and missing ones included. */
function repeatsAsked(summary: CaseSummary): number {
  return summary.answered.length + summary.errored + summary.missing
}

/**
 * The pairs the quality metrics compare: a case whose sides answered different repeats (repeats
 * changed between the runs, or answers errored) keeps the repeats both sides answered. Only when
 * the runs asked it for different numbers of repeats, whose extra ones have no counterpart, or
 * when no repeat was answered on both sides, are these topped up to m, the fewer answered, with
 * the first of the others of each side, in repeat order. The sign-flip test needs a case's two
 * means to be exchangeable when nothing changed, and a mean of 5 answers is not exchangeable with
 * one answer: an A/A run whose repeats went 1 → 5 gave 7.8% false regressions at α = 5%, and
 * 5 → 1 9% false improvements. Pairing by repeat keeps an errored repeat, of one side or of each,
 * from lining up different repeats of an unchanged case.
 */
export function sameRepeatPairs(pairs: readonly Pair[]): Pair[] {
  return pairs.map((pair) => {
    const headRepeats = new Set(pair.head.answered.map((a) => a.repeat))
    const common = new Set(
      pair.base.answered.map((a) => a.repeat).filter((repeat) => headRepeats.has(repeat))
    )
    const answeredAlike =
      common.size === pair.base.answered.length && common.size === pair.head.answered.length
    if (answeredAlike) return pair
    const toppedUp = repeatsAsked(pair.base) !== repeatsAsked(pair.head) || common.size === 0
    const m = toppedUp
      ? Math.min(pair.base.answered.length, pair.head.answered.length)
      : common.size
    const kept = (summary: CaseSummary) => {
      const inOrder = [...summary.answered].sort((a, b) => a.repeat - b.repeat)
      const filling = new Set(
        inOrder.filter((a) => !common.has(a.repeat)).slice(0, m - common.size)
      )
      return overAnswers(
        summary,
        inOrder.filter((a) => common.has(a.repeat) || filling.has(a))
      )
    }
    return { ...pair, base: kept(pair.base), head: kept(pair.head) }
  })
}

/**
 * A suite × provider's compared score of each paired case (averaged over its compared repeats),
 * with the key of its cluster (its own when it has none) and whether cases share clusters.
 */
export interface ComparedCases {
  base: readonly number[]
  head: readonly number[]
  clusterKeys: readonly string[]
  sharedClusters: boolean
}

export interface GroupContext {
  suite: string
  providerId: string
  seed: string
  alpha: number
}

export interface PendingMetric {
  metric: MetricComparison
  /** The Holm family this metric's tests belong to; null when it is not gated. */
  family: string | null
  /**
   * Set when this metric tests the very same per-case numbers as another one (pass rate = score
   * when every score is 0 or 1): it takes that metric's adjusted p-values and is not counted
   * twice in the family, which would only halve the power of both.
   */
  sameAs?: PendingMetric
  /** Sets `verdict`, `reason` (and `power`) once the adjusted p-values are known. */
  decide: (familySize: number) => void
  /** The per-case standard deviation behind a quality metric, for a duplicate to reuse. */
  measured?: { sd: number }
  /** The score's compared per-case values, which the run's pooled drop test pools (index.ts). */
  compared?: ComparedCases
  /** Why the head alone breaks an absolute limit of the gate, whatever the baseline. */
  brokenLimit?: () => string | undefined
}

/**
 * Every random number of a test comes from its own stream, named by the run's seed (the commit
 * SHA), the suite, the provider, the metric and the purpose: a rerun of the same commit draws
 * the same numbers, and no test's draws depend on how many another one made.
 */
function rngFor(ctx: GroupContext, metric: MetricName, purpose: string): Rng {
  return createRng([ctx.seed, ctx.suite, ctx.providerId, metric, purpose].join('\u0000'))
}

/** JSON has no NaN or Infinity: what cannot be computed is null. */
export function finiteOrNull(x: number | null | undefined): number | null {
  return x !== null && x !== undefined && Number.isFinite(x) ? x : null
}

/** The smallest p-value each test could have given on its data (src/stats `smallestPValue`). */
const smallestPValues = new WeakMap<MetricTest, number>()

/**
 * Whether `test` could reach `alpha` at all, however its units had moved: one that cannot (no
 * unit changed, or too few did) never rejects, and counting it in a Holm family would only dilute
 * the tests that can (Tarone 1990, "A modified Bonferroni method for discrete data", Biometrics
 * 46:1171–1176).
 */
export function canReach(test: MetricTest, alpha: number): boolean {
  return (smallestPValues.get(test) ?? 0) < alpha
}

function asTest(result: TestResult, method: string, alternative: MetricTest['alternative']) {
  const test = {
    method,
    alternative,
    pValue: result.pValue,
    pValueAdjusted: null,
    exact: result.exact
  } satisfies MetricTest
  smallestPValues.set(test, result.smallestPValue)
  return test
}

function emptyMetric(
  metric: MetricName,
  unit: MetricUnit,
  deltaKind: 'difference' | 'ratio'
): MetricComparison {
  return {
    metric,
    unit,
    base: null,
    head: null,
    delta: null,
    deltaKind,
    n: 0,
    interval: null,
    test: null,
    improvementTest: null,
    gated: false,
    tolerance: {},
    verdict: 'not-gated',
    reason: ''
  }
}

function setVerdict(
  metric: MetricComparison,
  verdict: MetricComparison['verdict'],
  reason: string
): void {
  metric.verdict = verdict
  metric.reason = reason
}

/** Adjusted p-value below α; an untested direction is never significant. */
function significant(test: MetricTest | null, alpha: number): boolean {
  return test !== null && test.pValueAdjusted !== null && test.pValueAdjusted < alpha
}

/** A test's p-value as a reason gives it (`p = 0.012`; Holm-adjusted when it was), or nothing. */
export function pText(test: MetricTest | null): string {
  if (!test) return ''
  const p = test.pValueAdjusted ?? test.pValue
  return `p ${p < 0.001 ? '<' : '='} ${formatPValue(p).replace('<', '')}`
}

/** Monte Carlo draws of a sign-flip test whose observed sum points away from its alternative. */
const AWAY_SAMPLES = 1000

/**
 * The sign-flip test of src/stats, with fewer draws when the observed sum points away from the
 * alternative: the null distribution is symmetric about 0, so such a p-value is about 0.5 or more
 * whatever the draws. It cannot decide a verdict, and in Holm's step-down a p-value that large
 * only changes adjusted p-values that are at least as large, so its last digits never matter.
 * At 100,000 cases this saves about half a second per test.
 */
function signFlip(units: readonly number[], alternative: 'less' | 'greater', rng: Rng): TestResult {
  let sum = 0
  for (const u of units) sum += u
  const away = alternative === 'less' ? sum >= 0 : sum <= 0
  return signFlipTest(units, { alternative, rng, ...(away ? { samples: AWAY_SAMPLES } : {}) })
}

/**
 * The worse-direction test (`metric.test`) and the better-direction test
 * (`metric.improvementTest`) of a metric, both sign-flip tests on `units` (head − base).
 */
function setSignFlipTests(
  metric: MetricComparison,
  units: readonly number[],
  worse: 'less' | 'greater',
  method: string,
  ctx: GroupContext,
  name: MetricName
): void {
  const better = worse === 'less' ? 'greater' : 'less'
  metric.test = asTest(signFlip(units, worse, rngFor(ctx, name, worse)), method, worse)
  metric.improvementTest = asTest(
    signFlip(units, better, rngFor(ctx, name, better)),
    method,
    better
  )
}

/** Sums of the differences per cluster: the units of a clustered sign-flip test. */
function clusterSums(diffs: readonly number[], clusters: readonly string[]): number[] {
  const sums = new Map<string, number>()
  diffs.forEach((d, i) => {
    const key = clusters[i] as string
    sums.set(key, (sums.get(key) ?? 0) + d)
  })
  return [...sums.values()]
}

function clusterKeys(pairs: readonly Pair[]): { keys: string[]; shared: boolean } {
  // A case without a cluster is its own cluster; the NUL prefix keeps its key apart from names.
  const keys = pairs.map((p) => (p.cluster === undefined ? `\u0000${p.caseId}` : `c:${p.cluster}`))
  return { keys, shared: new Set(keys).size < keys.length }
}

/**
 * A 95% interval for the mean paired difference and the per-case standard deviation behind it:
 * clustered SE with t on G − 1 df when cases share clusters (Miller 2024, "Adding Error Bars to
 * Evals", §3.2; Cameron & Miller 2015 for the G − 1 df), else the t-interval from 50 cases and
 * below that the span of the paired bootstrap interval (DESIGN "Statistics") and the t-interval.
 */
function differenceInterval(
  diffs: readonly number[],
  clusters: readonly string[] | null,
  rng: Rng
): { interval: MetricInterval | null; sd: number } {
  const n = diffs.length
  if (n < 2) return { interval: null, sd: NaN }
  if (clusters) {
    const groups = new Set(clusters).size
    // One cluster is one unit: its spread cannot be estimated, and the cases' own interval would
    // claim a precision that correlated cases do not have.
    if (groups < 2) return { interval: null, sd: NaN }
    const se = clusteredStandardError(diffs, clusters)
    if (Number.isFinite(se)) {
      const estimate = mean(diffs)
      const halfWidth = studentTQuantile((1 + LEVEL) / 2, groups - 1) * se
      return {
        interval: {
          low: finiteOrNull(estimate - halfWidth),
          high: finiteOrNull(estimate + halfWidth),
          level: LEVEL,
          method: 'clustered-t'
        },
        sd: se * Math.sqrt(n)
      }
    }
  }
  const sd = standardDeviation(diffs)
  const t = tInterval(diffs, LEVEL)
  if (n >= T_INTERVAL_MIN_CASES) {
    return {
      interval: { low: finiteOrNull(t.low), high: finiteOrNull(t.high), level: LEVEL, method: 't' },
      sd
    }
  }
  // The percentile bootstrap alone covers too little with few cases: where the true drop equals
  // the margin, its bound clears the margin 12% of the time at 3 cases and 7.5% at 5, for a
  // nominal 2.5% (a simulation in the review of this gate; the t-interval gives 2.0% and 2.8%).
  // Below 50 cases the interval is therefore the span of both.
  const bootstrap = bootstrapMeanInterval(diffs, { rng, level: LEVEL })
  return {
    interval: {
      low: finiteOrNull(Math.min(bootstrap.low, t.low)),
      high: finiteOrNull(Math.max(bootstrap.high, t.high)),
      level: LEVEL,
      method: 'bootstrap-and-t'
    },
    sd
  }
}

/**
 * differenceInterval of per-case differences of fractions (scores, pass or error rates), which lie
 * in [−1, 1], as their mean does: so does its interval, which a t quantile of a few cases would
 * stretch far past (±170 points at 3 cases) without changing any verdict.
 */
function fractionDifferenceInterval(
  diffs: readonly number[],
  clusters: readonly string[] | null,
  rng: Rng
): { interval: MetricInterval | null; sd: number } {
  const estimate = differenceInterval(diffs, clusters, rng)
  const { interval } = estimate
  if (interval === null) return estimate
  const clamp = (x: number | null) => (x === null ? null : Math.min(1, Math.max(-1, x)))
  return {
    ...estimate,
    interval: { ...interval, low: clamp(interval.low), high: clamp(interval.high) }
  }
}

/**
 * `interval` held to the range of the per-case differences: a mean of them lies there, and so
 * does every bootstrap mean. Errors are rare events, the differences mostly 0 and a few ±1, far
 * from normal, and the symmetric t-interval then reaches where no case went: one error fewer on
 * 30 cases, none more, gave [−10.2, +3.5] pts, an inconclusive rise that no case showed, and one
 * error more on 100 cases gave a fall below 0 that no case showed.
 */
function withinObservedRange(
  interval: MetricInterval | null,
  diffs: readonly number[]
): MetricInterval | null {
  if (interval === null) return null
  // A loop, not Math.min(...diffs): a spread of 100,000 cases can overflow the call stack.
  let lowest = Infinity
  let highest = -Infinity
  for (const d of diffs) {
    lowest = Math.min(lowest, d)
    highest = Math.max(highest, d)
  }
  return {
    ...interval,
    low: interval.low === null ? null : Math.min(highest, Math.max(lowest, interval.low)),
    high: interval.high === null ? null : Math.max(lowest, Math.min(highest, interval.high))
  }
}

/**
 * An error rate's interval whose upper bound is a 95% bound of the rise: the bound held to the
 * per-case changes (withinObservedRange) reads [0.0, 0.0] when no case's errored share changed,
 * and covers the true rise 54% of the time at 10 cases, so it is never below the upper bound of
 * Newcombe's hybrid score interval of the head's rate minus the base's over their answers
 * (src/stats/intervals.ts), exact-binomial-like near 0. The lower side stays held to the changes.
 */
function boundedRiseInterval(
  interval: MetricInterval | null,
  base: { events: number; trials: number },
  head: { events: number; trials: number }
): MetricInterval | null {
  if (interval === null || interval.high === null || base.trials === 0 || head.trials === 0) {
    return interval
  }
  const score = newcombeDifferenceInterval(base, head, LEVEL)
  if (score.high <= interval.high) return interval
  return { ...interval, high: Math.min(1, score.high), method: `${interval.method}-and-newcombe` }
}

/** The one-sided α of the 95% CI's bound that the non-inferiority rules read (1 − LEVEL) / 2. */
const INTERVAL_ALPHA = (1 - LEVEL) / 2

/**
 * How far an inconclusive result is from settling, by the t approximation of the paired test
 * (src/stats/power.ts). An inconclusive result settles as a pass once its 95% CI stays within the
 * tolerance, which is what `requiredCases` aims at: the cases with which the CI clears it 80% of
 * the time if nothing changed, on the unadjusted CI as the pass rule reads it. When the run has
 * that many already, yet is inconclusive, they are the cases for the change it measured
 * (`assumesMeasured`): for the CI to clear the tolerance if that change is the true one, or, for a
 * change at or beyond the tolerance, which no CI can clear, for it to be a regression 80% of the
 * time. (Sizing every run on its measured change instead would advise millions of cases for a
 * change measured just short of the tolerance.) `mde` is the change that would
 * be a regression 80% of the time: significant at α / m, Holm's first step (the gate's α split
 * over the family is what a future run must beat), and its estimate beyond `threshold` (the noise
 * floor or tolerated ratio), both bounds on the same estimate. `within` (mean within-case
 * variances of the repeats, per side) lets it advise repeats: with K repeats the variance of a
 * paired difference is τ² + (σ²_base + σ²_head) / K (Miller 2024, §4 "resampling"), so more
 * repeats shrink only the second term. `sdAt` gives the spread at a true change, when it grows
 * with the change (a rate's); the measured spread is the least used.
 */
function powerAdvice(options: {
  sd: number
  n: number
  alpha: number
  /** The pass rule's limit on the interval, on the test's scale (margin, noise floor, log ratio). */
  tolerance: number
  /** The limit a regression's estimate must pass, on the same scale. */
  threshold: number
  /** The change measured, positive when worse. */
  observed: number
  within?: { base: number; head: number; repeats: number } | undefined
  sdAt?: (change: number) => number
}): Omit<PowerAdvice, 'targetEffect' | 'minimumDetectableEffect' | 'assumedChange'> & {
  mde: number | null
  assumesMeasured: boolean
} {
  const { sd, n, alpha, tolerance, threshold } = options
  const spreadAt = (change: number) => Math.max(sd, options.sdAt?.(change) ?? 0)
  // Without spread (every case changed alike) the approximation would say any change is
  // detectable on two cases, which the exact tests cannot show: no advice rather than a wrong one.
  // A rate's spread is its binomial one even when no case's share changed.
  if (!Number.isFinite(sd) || spreadAt(0) === 0 || n < 2) {
    return {
      mde: null,
      requiredCases: null,
      additionalCases: null,
      requiredRepeats: null,
      assumesMeasured: false
    }
  }
  let mde = minimumDetectableEffect({ sd: spreadAt(0), n, alpha, threshold })
  // A rate's spread grows with the rise it is detecting: the detectable rise at its own spread.
  for (let step = 0; options.sdAt && step < 50 && Number.isFinite(mde); step++) {
    const next = minimumDetectableEffect({ sd: spreadAt(mde), n, alpha, threshold })
    if (Math.abs(next - mde) < 1e-9) break
    mde = next
  }
  // Within the tolerance, the cases for the CI to clear it; at or beyond it, where no CI can, the
  // cases for the change to be a regression.
  const sizeAssuming = (assumed: number, spread: number) => {
    if (tolerance - assumed > 0) {
      return requiredSampleSize({ sd: spread, effect: tolerance - assumed, alpha: INTERVAL_ALPHA })
    }
    return assumed > 0
      ? requiredSampleSize({ sd: spread, effect: assumed, alpha, threshold })
      : Infinity
  }
  const measured = Math.max(0, options.observed)
  let assumed = 0
  let required = finiteOrNull(sizeAssuming(0, spreadAt(0)))
  if ((required === null || required <= n) && measured > 0) {
    assumed = measured
    required = finiteOrNull(sizeAssuming(measured, spreadAt(measured)))
  }
  const settles = (spread: number) => sizeAssuming(assumed, spread)
  let requiredRepeats: number | null = null
  const within = options.within
  if (within && required !== null && required > n) {
    const withinSum = within.base + within.head
    const between = Math.max(0, sd * sd - withinSum / within.repeats)
    for (let k = within.repeats + 1; k <= MAX_ADVISED_REPEATS; k++) {
      if (settles(Math.sqrt(between + withinSum / k)) <= n) {
        requiredRepeats = k
        break
      }
    }
  }
  // Enough cases by the approximation, yet not settled (the bootstrap's wider interval, or a
  // change on a few cases): more cases of the same kind are not what it takes, so none are advised.
  const short = required !== null && required > n ? required : null
  return {
    mde: finiteOrNull(mde),
    requiredCases: short,
    additionalCases: short === null ? null : short - n,
    requiredRepeats,
    assumesMeasured: short !== null && assumed > 0
  }
}

/**
 * The power advice of an inconclusive latency, cost or error-rate metric, from the spread `sd` of
 * its per-case differences: `tolerance` is the target on the scale the test sees (a log ratio,
 * USD, a fraction) — for these metrics also the limit a regression's estimate must pass —,
 * `observed` the change measured on that scale, `target` the tolerance as the report shows it,
 * and `shown` turns the minimum detectable effect into that scale. No repeats are advised: their
 * spread within a case is not measured.
 */
function setPowerAdvice(
  metric: MetricComparison,
  options: {
    sd: number
    n: number
    alpha: number
    familySize: number
    tolerance: number
    observed: number
    target: number
    /** The change measured as the report shows it (metric.delta), and no change on that scale. */
    measured: number
    unchanged: number
    shown?: (mde: number) => number | null
    sdAt?: (change: number) => number
  }
): void {
  const { sd, n, tolerance, target, shown = (mde) => mde } = options
  const advice = powerAdvice({
    sd,
    n,
    alpha: options.alpha / Math.max(1, options.familySize),
    tolerance,
    // An earlier version's tolerated ratio below 1 is no threshold a rise can stay short of.
    threshold: Math.max(0, tolerance),
    observed: options.observed,
    ...(options.sdAt ? { sdAt: options.sdAt } : {})
  })
  metric.power = {
    minimumDetectableEffect: advice.mde === null ? null : shown(advice.mde),
    targetEffect: target,
    requiredCases: advice.requiredCases,
    additionalCases: advice.additionalCases,
    requiredRepeats: null,
    assumedChange: advice.assumesMeasured ? options.measured : options.unchanged
  }
}

/** Mean over cases (with ≥ 2 answers) of the sample variance of their answers' values. */
function meanWithinVariance(
  cases: readonly CaseSummary[],
  valueOf: (answer: CaseResult) => number
): number | null {
  const variances: number[] = []
  for (const c of cases) {
    if (c.answered.length < 2) continue
    const values = c.answered.map(valueOf)
    const m = mean(values)
    let sum = 0
    for (const v of values) sum += (v - m) * (v - m)
    variances.push(sum / (values.length - 1))
  }
  return variances.length === 0 ? null : mean(variances)
}

/** The head's value over every case it has one for, and how many: what an absolute limit reads. */
export interface HeadReading {
  value: number
  cases: number
}

/**
 * An absolute limit of the `gate:` block holds whatever the baseline, so it reads the head alone;
 * the table's head is over the `n` paired cases. When the head has others too (added cases, cases
 * the baseline has none of), the value the limit read is set as `metric.limit`, for the report to
 * show beside the table.
 */
function readLimitOnHead(
  metric: MetricComparison,
  reading: HeadReading | null,
  limit: number | undefined
): void {
  if (limit !== undefined && reading !== null && reading.cases !== metric.n) {
    metric.limit = { head: reading.value, cases: reading.cases }
  }
}

/**
 * How a broken limit's reason names the cases it read when they are not the table's (see
 * readLimitOnHead): ` over the 10 cases the head answered`; '' when they are.
 */
function overHeadCases(metric: MetricComparison, which = 'the head answered'): string {
  return metric.limit === undefined
    ? ''
    : ` over the ${plural(metric.limit.cases, 'case')} ${which}`
}

/**
 * Without a baseline the table's head is the head alone, which its limits read: shown as such,
 * with no value beside it.
 */
export function showHeadAlone(pending: PendingMetric, value: number | null): void {
  pending.metric.head = value
  delete pending.metric.limit
}

const QUALITY_LABEL = { score: 'mean score', 'pass-rate': 'pass rate' } as const

/**
 * Why the head's score or pass rate breaks its absolute floor, whatever the baseline: `mean score
 * 80.0% is below the floor 90.0%`, `over` saying which cases it read when the table shows others;
 * undefined when there is no floor, no value, or the value holds it.
 */
function belowFloor(
  name: 'score' | 'pass-rate',
  value: number | null,
  min: number | undefined,
  over = ''
): string | undefined {
  if (min === undefined || value === null || !beyond(value, min, 'beneath')) return undefined
  const [shown, floor] = formatPercentsApart(value, min)
  return `${QUALITY_LABEL[name]} ${shown}${over} is below the floor ${floor}`
}

/**
 * `the floor holds: mean score 95.0% (floor 90.0%)`; undefined when there is no floor, no value,
 * or the value breaks it.
 */
function floorHeld(
  name: 'score' | 'pass-rate',
  value: number | null,
  min: number | undefined,
  over = ''
): string | undefined {
  if (min === undefined || value === null || beyond(value, min, 'beneath')) return undefined
  const [shown, floor] = formatPercentsApart(value, min)
  return `the floor holds: ${QUALITY_LABEL[name]} ${shown}${over} (floor ${floor})`
}

/** `the floor 90.0% of the mean score`, for a floor that cannot be checked; undefined without one. */
function floorNamed(name: 'score' | 'pass-rate', min: number | undefined): string | undefined {
  return min === undefined
    ? undefined
    : `the floor ${formatPercent(min)} of the ${QUALITY_LABEL[name]}`
}

/**
 * Mean score or pass rate, per case averaged over its K repeats (errored answers excluded: they are
 * the error rate's business), d_i = head − base over the paired cases.
 * Test (one-sided, both directions): exact McNemar mid-p when K = 1 and every value is 0 or 1,
 * else the paired sign-flip permutation test; with shared clusters the signs flip per cluster
 * (the cluster is then the exchangeable unit, as in the clustered SE).
 */
export function qualityMetric(options: {
  name: 'score' | 'pass-rate'
  pairs: readonly Pair[]
  tolerance: QualityTolerance
  ctx: GroupContext
  /**
   * The head's value over every case it answered (and how many), which the absolute floor reads
   * whatever the baseline answered; null when it answered none.
   */
  headAll: HeadReading | null
  /** The head's answers, to say why the floor has nothing to read when no case was answered. */
  head: SideSummary
  /**
   * The paired cases with every answered repeat, when `pairs` kept fewer of some (see
   * sameRepeatPairs): base and head are shown over these, and what was compared beside them.
   */
  everyAnswer?: readonly Pair[]
  /**
   * Repeats per case of both runs; null when they differ, as more repeats of the head alone
   * would not be compared (see sameRepeatPairs): then no repeats are advised.
   */
  repeats: number | null
  family: string
  /**
   * The metric measuring the very same per-case numbers (the score, for a pass rate that equals
   * it): its tests and interval are reused instead of drawn again.
   */
  sameNumbersAs?: PendingMetric
}): PendingMetric {
  const { name, tolerance, ctx } = options
  const same = options.sameNumbersAs
  const valueOf = name === 'score' ? (c: CaseSummary) => c.score : (c: CaseSummary) => c.passRate
  const answerValue =
    name === 'score' ? (a: CaseResult) => a.score as number : (a: CaseResult) => (a.pass ? 1 : 0)
  const pairs = options.pairs.filter((p) => valueOf(p.base) !== null && valueOf(p.head) !== null)
  const baseValues = pairs.map((p) => valueOf(p.base) as number)
  const headValues = pairs.map((p) => valueOf(p.head) as number)
  const diffs = headValues.map((h, i) => h - (baseValues[i] as number))
  const n = pairs.length
  const metric = emptyMetric(name, 'fraction', 'difference')
  metric.n = n
  metric.tolerance = {
    noise: tolerance.noise,
    margin: tolerance.margin,
    ...(tolerance.min !== undefined ? { min: tolerance.min } : {})
  }
  // The table shows each run's own numbers, those its floor is checked on: a head whose three
  // answers per case average 70% must not read as the 90% of its first answers.
  const showEveryAnswer = (everyAnswer: readonly Pair[]) => {
    const shown = everyAnswer.filter((p) => valueOf(p.base) !== null && valueOf(p.head) !== null)
    metric.base = mean(shown.map((p) => valueOf(p.base) as number))
    metric.head = mean(shown.map((p) => valueOf(p.head) as number))
  }
  let sd = NaN
  let compared: ComparedCases | undefined
  if (n > 0 && same?.measured) {
    // Only the compared numbers are the score's: base and head over every answer are its own.
    const source = same.metric
    metric.base = source.base
    metric.head = source.head
    metric.delta = source.delta
    if (source.compared !== undefined) metric.compared = { ...source.compared }
    if (options.everyAnswer) showEveryAnswer(options.everyAnswer)
    if (source.clusters !== undefined) metric.clusters = source.clusters
    metric.test = source.test && { ...source.test }
    metric.improvementTest = source.improvementTest && { ...source.improvementTest }
    metric.interval = source.interval && { ...source.interval }
    sd = same.measured.sd
    metric.gated = true
  } else if (n > 0) {
    metric.base = mean(baseValues)
    metric.head = mean(headValues)
    metric.delta = mean(diffs)
    if (options.everyAnswer) {
      metric.compared = { base: metric.base, head: metric.head }
      showEveryAnswer(options.everyAnswer)
    }
    const { keys, shared } = clusterKeys(pairs)
    if (shared) metric.clusters = new Set(keys).size
    const singleAnswers = pairs.every(
      (p) => p.base.answered.length === 1 && p.head.answered.length === 1
    )
    const binary = [...baseValues, ...headValues].every((v) => v === 0 || v === 1)
    if (!shared && singleAnswers && binary) {
      let passToFail = 0
      let failToPass = 0
      for (const d of diffs) {
        if (d < 0) passToFail++
        else if (d > 0) failToPass++
      }
      metric.test = asTest(mcnemarExact(passToFail, failToPass, 'less'), 'mcnemar-mid-p', 'less')
      metric.improvementTest = asTest(
        mcnemarExact(passToFail, failToPass, 'greater'),
        'mcnemar-mid-p',
        'greater'
      )
    } else {
      const units = shared ? clusterSums(diffs, keys) : diffs
      const method = shared ? 'sign-flip-clustered' : 'sign-flip'
      setSignFlipTests(metric, units, 'less', method, ctx, name)
    }
    const estimate = fractionDifferenceInterval(
      diffs,
      shared ? keys : null,
      rngFor(ctx, name, 'interval')
    )
    metric.interval = estimate.interval
    sd = estimate.sd
    metric.gated = true
    compared = { base: baseValues, head: headValues, clusterKeys: keys, sharedClusters: shared }
  }
  const label = QUALITY_LABEL[name]
  // `max-drop: 0` is no margin to write as "−0.0 pts": it tolerates no drop.
  const margin = tolerance.margin === 0 ? 'no-drop' : `−${formatPoints(tolerance.margin, false)}`
  readLimitOnHead(metric, options.headAll, tolerance.min)
  const brokenLimit = () =>
    belowFloor(name, options.headAll?.value ?? null, tolerance.min, overHeadCases(metric))
  const decide = (familySize: number) => {
    const { alpha } = ctx
    const floorBroken = brokenLimit()
    const headAll = options.headAll?.value ?? null
    if (n === 0 || metric.delta === null) {
      if (floorBroken) return setVerdict(metric, 'fail', floorBroken)
      if (unreadLimit(metric, floorNamed(name, tolerance.min), headAll, options.head)) return
      metric.gated = false
      return setVerdict(metric, 'not-gated', 'no paired cases with answers on both sides')
    }
    const delta = metric.delta
    const drop = significant(metric.test, alpha)
    const gain = significant(metric.improvementTest, alpha)
    // The noise floor is a condition on the point estimate, on top of the significant drop test.
    // The alternative (the CI must exclude −noise, i.e. a test of Δ ≥ −noise) would have to show
    // a drop beyond the noise rather than a drop: at a true 5-point drop with a 2-point noise
    // floor it tests for 3 points and misses most real regressions at the usual 100–400 cases
    // (see bench/gate.ts). The false alarm rate is already held at α by the drop test; the
    // floor only keeps tiny, significant changes of very large suites from failing the check.
    const [change, noiseFloor] = formatPointsApart(delta, tolerance.noise)
    if (drop && beyond(delta, -tolerance.noise, 'beneath')) {
      const [fall, floor] = formatPointsApart(delta, tolerance.noise, false)
      // The regression decides the verdict; a floor it broke too is said, not hidden behind it.
      return setVerdict(
        metric,
        'regression',
        `${label} fell ${fall}, beyond the ${floor} noise floor (${pText(metric.test)})${floorBroken ? `; ${floorBroken}` : ''}`
      )
    }
    if (floorBroken) return setVerdict(metric, 'fail', floorBroken)
    if (gain && beyond(delta, tolerance.noise)) {
      return setVerdict(
        metric,
        'improvement',
        `${label} rose ${formatPoints(delta, false)} (${pText(metric.improvementTest)})`
      )
    }
    if (drop || gain) {
      return setVerdict(
        metric,
        'minor-change',
        `${label} changed ${change}: significant (${pText(drop ? metric.test : metric.improvementTest)}) but within the ${noiseFloor} noise floor`
      )
    }
    const within = (side: 'base' | 'head') =>
      meanWithinVariance(
        pairs.map((p) => p[side]),
        answerValue
      )
    const withinBase = within('base')
    const withinHead = within('head')
    // With shared clusters the cluster is the unit the test counts, and more of them, not more
    // cases of the same clusters, is what settles it: the advice is in clusters, from the spread
    // of the cluster totals (the clustered SE times √G).
    const clusters = metric.clusters
    const advice = powerAdvice({
      sd: clusters === undefined ? sd : sd * Math.sqrt(clusters / n),
      n: clusters ?? n,
      alpha: ctx.alpha / Math.max(1, familySize),
      tolerance: tolerance.margin,
      threshold: tolerance.noise,
      observed: -delta,
      within:
        clusters === undefined &&
        withinBase !== null &&
        withinHead !== null &&
        options.repeats !== null
          ? { base: withinBase, head: withinHead, repeats: options.repeats }
          : undefined
    })
    // Too few units for the exact test ever to reach α: say so, rather than advise from a normal
    // approximation that a total collapse of 4 cases "needs 0 more" — and before the
    // non-inferiority check, as no interval from so few cases can vouch for the margin either.
    // With α split over a Holm family, more units are needed for a change to be significant, but
    // not for the (unadjusted) interval to show there was none: that rule comes after the check.
    // McNemar's mid-p halves the smallest p of the sign-flip test: one case fewer suffices.
    const units = metric.clusters ?? n
    const unit = metric.clusters === undefined ? 'paired case' : 'cluster'
    const midP = metric.test?.method === 'mcnemar-mid-p'
    const tooFew = (split: { alpha: number; text: string } | null): boolean => {
      const fewest = fewestSignificantUnits(split?.alpha ?? alpha) - (midP ? 1 : 0)
      if (units >= fewest) return false
      const smallest = `the smallest possible p is ${formatPValue(2 ** -(units + (midP ? 1 : 0)))}`
      const cannot = `${label} changed ${formatPoints(delta)}, but with ${plural(units, unit)} no change can be significant`
      // A suite too small to compare is judged on the floor it met (README: "give it an absolute
      // floor instead"); with α split over a Holm family it is not too small, and stays so.
      const held =
        split === null ? floorHeld(name, headAll, tolerance.min, overHeadCases(metric)) : undefined
      if (held !== undefined) {
        setVerdict(metric, 'pass', `${cannot} (${smallest}), so its floor decides: ${held}`)
        return true
      }
      const required = Math.max(fewest, advice.requiredCases ?? fewest)
      metric.power = {
        minimumDetectableEffect: null,
        targetEffect: tolerance.margin,
        requiredCases: required,
        additionalCases: required - units,
        requiredRepeats: null,
        assumedChange: advice.assumesMeasured ? delta : 0
      }
      const at =
        split === null ? '' : ` at ${split.text}, and the 95% CI reaches below the ${margin} margin`
      // A floor the spec sets is not suggested again: met, it settles no change at α split over
      // a Holm family, which takes more units.
      const orFloor =
        tolerance.min === undefined
          ? `, or an absolute floor such as \`gate: { ${name}: { min: 0.8 } }\``
          : ''
      setVerdict(
        metric,
        'inconclusive',
        `${cannot}${at} (${smallest}): it takes ${fewest} or more${orFloor}`
      )
      return true
    }
    if (tooFew(null)) return
    const low = metric.interval?.low ?? null
    // At the margin is within it: `max-drop: 0` tolerates no drop, and an unchanged run has none.
    if (low !== null && !beyond(low, -tolerance.margin, 'beneath')) {
      return setVerdict(
        metric,
        'pass',
        `non-inferior: the 95% CI ${formatInterval(low, metric.interval?.high ?? null, 'difference', 'fraction')} stays within the ${margin} margin`
      )
    }
    if (familySize > 1 && tooFew(holmSplit(alpha, familySize))) return
    const fewest = fewestSignificantUnits(alpha / Math.max(1, familySize)) - (midP ? 1 : 0)
    metric.power = {
      minimumDetectableEffect: advice.mde,
      targetEffect: tolerance.margin,
      requiredCases: advice.requiredCases,
      additionalCases: advice.additionalCases,
      requiredRepeats: advice.requiredRepeats,
      assumedChange: advice.assumesMeasured ? delta : 0
    }
    // Whatever the approximation advises, the tests see only the units that changed, and cannot
    // reach α on fewer than `fewest` of them: say that, not "~0 more cases".
    const { keys, shared } = clusterKeys(pairs)
    const changed = (shared ? clusterSums(diffs, keys) : diffs).filter((d) => d !== 0).length
    if (changed < fewest) {
      return setVerdict(
        metric,
        'inconclusive',
        `${label} changed ${formatPoints(delta)}, carried by ${plural(changed, unit)} that changed: it takes ${fewest} or more for a change to be significant, and the 95% CI reaches below the ${margin} margin`
      )
    }
    setVerdict(
      metric,
      'inconclusive',
      n < 2
        ? 'one paired case cannot show a change either way'
        : `${label} changed ${formatPoints(delta)}, not significant, and the 95% CI reaches below the ${margin} margin`
    )
  }
  return {
    metric,
    family: n > 0 ? options.family : null,
    decide,
    brokenLimit,
    measured: { sd },
    ...(compared ? { compared } : {}),
    ...(same ? { sameAs: same } : {})
  }
}

/** A suite × provider's score, as the pooled drop test reads it. */
export interface PooledSource {
  compared: ComparedCases
  /** The suite's noise floor of the score. */
  noise: number
}

/**
 * The run's pooled drop test of the mean score (`Comparison.pooledScore`): the per-case
 * differences of every paired case of every `sources` suite × provider, tested together with the
 * suites' own paired sign-flip test (per cluster when cases share one, a suite's clusters its
 * own), which holds at α whenever each unit's difference is symmetric about 0 when nothing
 * changed, as the suites' tests assume. Its estimate is the mean of all the differences, its
 * interval that of a suite (t from 50 cases; clustered-t with shared clusters). It is a drop test
 * only, in the quality Holm family like any suite's: a regression when significant after Holm
 * and beyond the noise floor, the suites' floors averaged with their paired cases as weights, the
 * pooled drop were each suite to drop exactly its own floor.
 */
export function pooledScoreMetric(options: {
  sources: readonly PooledSource[]
  seed: string
  alpha: number
  family: string
}): { pending: PendingMetric; pooled: PooledScore } {
  const { sources, alpha } = options
  const diffs: number[] = []
  const keys: string[] = []
  let baseSum = 0
  let headSum = 0
  // Cases per noise floor: one floor for every suite is then that floor exactly.
  const casesByNoise = new Map<number, number>()
  sources.forEach(({ compared, noise }, index) => {
    compared.base.forEach((base, i) => {
      const head = compared.head[i] as number
      diffs.push(head - base)
      baseSum += base
      headSum += head
      // The NUL apart keeps one suite's cluster from meeting another's of the same name.
      keys.push(`${index}\u0000${compared.clusterKeys[i] as string}`)
    })
    casesByNoise.set(noise, (casesByNoise.get(noise) ?? 0) + compared.base.length)
  })
  const n = diffs.length
  const shared = sources.some((source) => source.compared.sharedClusters)
  const rng = (purpose: string) =>
    createRng([options.seed, 'pooled', 'score', purpose].join('\u0000'))
  const test = asTest(
    signFlip(shared ? clusterSums(diffs, keys) : diffs, 'less', rng('less')),
    shared ? 'sign-flip-clustered' : 'sign-flip',
    'less'
  )
  const metric = emptyMetric('score', 'fraction', 'difference')
  metric.test = test
  const pooled: PooledScore = {
    groups: sources.length,
    n,
    ...(shared ? { clusters: new Set(keys).size } : {}),
    base: baseSum / n,
    head: headSum / n,
    delta: mean(diffs),
    interval: fractionDifferenceInterval(diffs, shared ? keys : null, rng('interval')).interval,
    test,
    noise: [...casesByNoise].reduce((sum, [noise, cases]) => sum + noise * (cases / n), 0),
    verdict: 'not-significant',
    reason: ''
  }
  const decide = () => {
    const { delta, noise } = pooled
    const across = `mean score of the ${plural(n, 'paired case')} of ${sources.length} suites × providers`
    const drop = significant(test, alpha)
    if (drop && beyond(delta, -noise, 'beneath')) {
      const [fall, floor] = formatPointsApart(delta, noise, false)
      pooled.verdict = 'regression'
      pooled.reason = `${across} fell ${fall}, beyond the ${floor} noise floor (${pText(test)})`
      return
    }
    const [change, floor] = formatPointsApart(delta, noise)
    pooled.verdict = drop ? 'minor-change' : 'not-significant'
    pooled.reason = drop
      ? `${across} changed ${change}: significant (${pText(test)}) but within the ${floor} noise floor`
      : `${across} changed ${change}: no significant drop (${pText(test)})`
  }
  return { pending: { metric, family: options.family, decide }, pooled }
}

/**
 * Median latency of the measured (not cached) answers, compared through per-case log ratios
 * ln(head / base) of the cases' median latencies: Hodges–Lehmann estimate, reported as the ratio
 * exp(HL), and the Wilcoxon signed-rank test (DESIGN "Statistics"). The interval is the one that
 * goes with both, HL's distribution-free interval, exponentiated: an interval of the mean log ratio
 * could miss the estimate altogether (a few much slower cases pull the mean, not HL) and fail
 * the pass rule on a change HL and the test both call negligible. Like the test, it counts cases,
 * not clusters.
 */
export function latencyMetric(options: {
  pairs: readonly Pair[]
  maxRatio: number
  ctx: GroupContext
  family: string
}): PendingMetric {
  const { maxRatio, ctx } = options
  const pairs = options.pairs.filter((p) => p.base.latency !== null && p.head.latency !== null)
  const n = pairs.length
  const metric = emptyMetric('latency-p50', 'ms', 'ratio')
  metric.n = n
  metric.tolerance = { maxRatio }
  const floored = pairs.map((p) => ({
    base: Math.max(p.base.latency as number, LATENCY_FLOOR_MS),
    head: Math.max(p.head.latency as number, LATENCY_FLOOR_MS)
  }))
  const logs = floored.map((f) => Math.log(f.head / f.base))
  let sd = NaN
  if (n > 0) {
    metric.base = median(pairs.flatMap((p) => p.base.latencies))
    metric.head = median(pairs.flatMap((p) => p.head.latencies))
    const estimate = hodgesLehmannInterval(logs, LEVEL)
    metric.delta = finiteOrNull(Math.exp(estimate.estimate))
    metric.test = asTest(wilcoxonSignedRank(logs, 'greater'), 'wilcoxon', 'greater')
    metric.improvementTest = asTest(wilcoxonSignedRank(logs, 'less'), 'wilcoxon', 'less')
    metric.interval = {
      low: finiteOrNull(Math.exp(estimate.low)),
      high: finiteOrNull(Math.exp(estimate.high)),
      level: LEVEL,
      method: 'hodges-lehmann-log-ratio'
    }
    sd = standardDeviation(logs)
    metric.gated = true
  }
  const decide = (familySize: number) => {
    const ratio = metric.delta
    if (n === 0 || ratio === null) {
      metric.gated = false
      return setVerdict(
        metric,
        'not-gated',
        'no case has measured latencies on both sides (cached and errored answers carry none)'
      )
    }
    const change = `median latency ${formatRatio(ratio)}`
    if (tooFewToJudge(metric, change, n, ctx.alpha)) return
    const changeNote = (bound: string) => `significant but within ${bound}`
    const shift = typicalShift(floored)
    if (ratioChangeVerdict(metric, ratio, shift, maxRatio, ctx.alpha, 'median latency', changeNote))
      return
    const high = metric.interval?.high ?? null
    // At the tolerated ratio is within it: `max-ratio: 1` tolerates no rise, and an unchanged
    // run has none.
    if (high !== null && !beyond(high, maxRatio)) {
      return setVerdict(
        metric,
        'pass',
        `the 95% CI of the ratio stays within ${formatRatio(maxRatio)}`
      )
    }
    if (tooFewInFamily(metric, change, n, formatRatio(maxRatio), ctx.alpha, familySize)) return
    setPowerAdvice(metric, {
      sd,
      n,
      alpha: ctx.alpha,
      familySize,
      tolerance: Math.log(maxRatio),
      observed: Math.log(ratio),
      target: maxRatio,
      measured: ratio,
      unchanged: 1,
      shown: (mde) => finiteOrNull(Math.exp(mde))
    })
    setVerdict(
      metric,
      'inconclusive',
      `median latency ${formatRatio(ratio)}, not significant, and the 95% CI reaches ${formatRatio(maxRatio)}`
    )
  }
  return { metric, family: n > 0 ? options.family : null, decide }
}

/**
 * 95th-percentile latency over the measured answers of the paired cases, reported always and gated
 * only from P95_MIN_SAMPLES answers per side (DESIGN "Statistics"). The test is a paired form of
 * Mood's quantile test (Mood 1950, "Introduction to the Theory of Statistics", §16.4; the median
 * test generalised to any quantile): with q the 95th percentile of both runs' answers pooled, each
 * case contributes d_i = (share of its head answers above q) − (share of its base answers above q),
 * tested with the sign-flip test. q is symmetric in base and head, so flipping a case's sign
 * leaves it unchanged and the permutation null is exact.
 */
export function latencyTailMetric(options: {
  pairs: readonly Pair[]
  maxRatio: number
  ctx: GroupContext
  family: string
}): PendingMetric {
  const { maxRatio, ctx } = options
  const pairs = options.pairs.filter(
    (p) => p.base.latencies.length > 0 && p.head.latencies.length > 0
  )
  const metric = emptyMetric('latency-p95', 'ms', 'ratio')
  metric.n = pairs.length
  metric.tolerance = { maxRatio }
  const baseAll = pairs.flatMap((p) => p.base.latencies)
  const headAll = pairs.flatMap((p) => p.head.latencies)
  const enough = baseAll.length >= P95_MIN_SAMPLES && headAll.length >= P95_MIN_SAMPLES
  if (pairs.length > 0) {
    const baseP95 = quantile(baseAll, 0.95)
    const headP95 = quantile(headAll, 0.95)
    metric.base = baseP95
    metric.head = headP95
    metric.delta = finiteOrNull(
      Math.max(headP95, LATENCY_FLOOR_MS) / Math.max(baseP95, LATENCY_FLOOR_MS)
    )
  }
  if (enough) {
    const threshold = quantile([...baseAll, ...headAll], 0.95)
    const above = (xs: readonly number[]) => xs.filter((x) => x > threshold).length / xs.length
    const diffs = pairs.map((p) => above(p.head.latencies) - above(p.base.latencies))
    setSignFlipTests(metric, diffs, 'greater', 'tail-exceedance-sign-flip', ctx, 'latency-p95')
    metric.gated = true
  }
  const decide = () => {
    const ratio = metric.delta
    if (!enough || ratio === null) {
      metric.gated = false
      return setVerdict(
        metric,
        'not-gated',
        `reported only: gated from ${P95_MIN_SAMPLES} measured answers per side (base ${baseAll.length}, head ${headAll.length})`
      )
    }
    const changeNote = (bound: string) => `the slowest answers shifted, within ${bound}`
    const shift = timingShift(metric.base as number, ratio)
    if (ratioChangeVerdict(metric, ratio, shift, maxRatio, ctx.alpha, 'p95 latency', changeNote))
      return
    // Without an interval of the p95 ratio, a ratio past the tolerance that the test cannot
    // confirm (too few slow answers) is not shown to be within it.
    if (beyond(ratio, maxRatio)) {
      return setVerdict(
        metric,
        'inconclusive',
        `p95 latency ${formatRatio(ratio)}, beyond the tolerated ${formatRatio(maxRatio)} but not significant (${pText(metric.test)}): too few slow answers to tell`
      )
    }
    setVerdict(metric, 'pass', `no significant shift of the slowest 5% of answers`)
  }
  return { metric, family: enough ? options.family : null, decide }
}

/**
 * The shift in ms the p95's ratio stands for: the floored p95s' difference, the scale its ratio
 * was taken on (timings floored at LATENCY_FLOOR_MS). A floored shift is never larger than the
 * raw one.
 */
function timingShift(baseMs: number, ratio: number): number {
  return Math.max(baseMs, LATENCY_FLOOR_MS) * (ratio - 1)
}

/**
 * The typical case's shift in ms, on the floored timings the median's ratio was estimated on: the
 * Hodges–Lehmann estimate of the per-case differences, as the ratio is of their logs — or, when
 * larger, the median case's move either way, since cases that moved hundreds of ms both ways
 * cancel in the estimate but did move. Neither the median answer's time (tiny when most cases are
 * cache hits, though the model calls slowed by hundreds of ms) nor the slowest case's (one remote
 * call jittering by a fraction of a ms) stands for the shift the ratio measures.
 */
function typicalShift(floored: readonly { base: number; head: number }[]): number {
  const differences = floored.map((f) => f.head - f.base)
  const estimate = hodgesLehmann(differences)
  const move = median(differences.map(Math.abs))
  return Math.abs(estimate) >= move ? estimate : estimate < 0 ? -move : move
}

/**
 * The verdict of a latency ratio once a change is significant: a pass when the change is timing
 * noise (under TIMING_NOISE_MS) or rounds to ×1.00, a regression beyond the tolerated ratio, an
 * improvement beyond its inverse, else a minor change. False when neither the worse nor the
 * better test is significant, leaving the verdict to the caller.
 */
function ratioChangeVerdict(
  metric: MetricComparison,
  ratio: number,
  /** The shift in ms the ratio stands for (timingShift), negative when faster. */
  shift: number,
  maxRatio: number,
  alpha: number,
  label: string,
  /** The note of a change within the tolerated ratio, given the bound on its side (×1.20, ×0.83). */
  withinNote: (bound: string) => string
): boolean {
  const worse = significant(metric.test, alpha)
  const better = significant(metric.improvementTest, alpha)
  if (!worse && !better) return false
  const change = `${label} ${formatRatio(ratio)}`
  const p = pText(worse ? metric.test : metric.improvementTest)
  if (Math.abs(shift) < TIMING_NOISE_MS) {
    const shown = `${shift < 0 ? '−' : '+'}${formatMs(Math.abs(shift))}`
    setVerdict(
      metric,
      'pass',
      `${change} (${shown}): significant (${p}) but within the timing noise of a runner (under ${TIMING_NOISE_MS} ms)`
    )
  } else if (formatRatio(ratio) === formatRatio(1)) {
    setVerdict(metric, 'pass', `${change}: significant (${p}) but too small to show in the ratio`)
  } else if (worse && beyond(ratio, maxRatio)) {
    setVerdict(
      metric,
      'regression',
      `${change}, beyond the tolerated ${formatRatio(maxRatio)} (${pText(metric.test)})`
    )
  } else if (better && beyond(ratio, 1 / maxRatio, 'beneath')) {
    setVerdict(metric, 'improvement', `${change} (${pText(metric.improvementTest)})`)
  } else {
    setVerdict(metric, 'minor-change', `${change}: ${withinNote(toleratedBound(ratio, maxRatio))}`)
  }
  return true
}

/**
 * Mean cost per answer (USD of one call of the system under test, judges apart; averaged within
 * each case, then over the cases), a ratio head / base with the paired bootstrap CI of the ratio
 * (DESIGN "Statistics"), and the sign-flip test on the per-case cost differences (mean difference
 * > 0 ⇔ ratio of means > 1).
 * Regression = a significant increase AND a point ratio beyond the tolerance, the same shape as
 * the score rule: requiring the CI's lower bound above the tolerance would test for "more than
 * 10% dearer" and miss most 15–25% increases, while costs are close to deterministic per case,
 * so significance alone would flag every prompt that adds a few tokens.
 */
/** Pairs from which the cost ratio's interval is the delta method's rather than a bootstrap. */
const DELTA_METHOD_FROM = 1000

export function costMetric(options: {
  pairs: readonly Pair[]
  base: SideSummary
  head: SideSummary
  maxRatio: number
  max: number | undefined
  /** The head's mean cost per answer over every case it priced, which the maximum reads. */
  headAll: HeadReading | null
  ctx: GroupContext
  family: string
}): PendingMetric {
  const { maxRatio, ctx } = options
  const headAll = options.headAll?.value ?? null
  const metric = emptyMetric('cost', 'usd', 'ratio')
  metric.tolerance = { maxRatio, ...(options.max !== undefined ? { max: options.max } : {}) }
  // Gated on the cases priced in both runs: an answer without a price leaves its case out, not
  // the whole metric (and the maximum) ungated.
  const pairs = options.pairs.filter((p) => p.base.cost !== null && p.head.cost !== null)
  const n = pairs.length
  metric.n = n
  const unpriced = unpricedAnswers(options.base, options.head)
  if (n === 0) {
    // The side whose cost is known still shows it, so a cost that became unknown is seen.
    metric.base = meanOfKnown(options.pairs.map((p) => p.base.cost))
    metric.head = meanOfKnown(options.pairs.map((p) => p.head.cost))
  }
  const baseValues = pairs.map((p) => p.base.cost as number)
  const headValues = pairs.map((p) => p.head.cost as number)
  const diffs = headValues.map((h, i) => h - (baseValues[i] as number))
  let sd = NaN
  if (n > 0) {
    metric.base = mean(baseValues)
    metric.head = mean(headValues)
    // The bootstrap is 2,000 passes over the pairs: from 1,000 pairs the delta method gives the
    // same interval in one pass (100,000 cases compare in well under 2 s).
    const bootstrap = n < DELTA_METHOD_FROM
    const ratio = bootstrap
      ? bootstrapRatioInterval(baseValues, headValues, {
          rng: rngFor(ctx, 'cost', 'interval'),
          level: LEVEL
        })
      : deltaMethodRatioInterval(baseValues, headValues, LEVEL)
    metric.delta = finiteOrNull(ratio.estimate)
    if (n >= 2) {
      // As for the score, the percentile bootstrap alone covers too little with few cases: 82% at
      // 5 cases and 89.5% at 10, the true ratio above its upper bound 5–8% of the time for a
      // nominal 2.5% (a simulation in the review of this gate). Below 50 cases the interval is
      // therefore the span of it and the delta method's with t quantiles.
      const withT =
        bootstrap && n < T_INTERVAL_MIN_CASES
          ? deltaMethodRatioInterval(baseValues, headValues, LEVEL, true)
          : null
      // A ratio of costs is never negative, though the delta method's symmetric bound can be.
      const low =
        withT && !Number.isNaN(withT.low) ? Math.min(ratio.low, Math.max(0, withT.low)) : ratio.low
      const high =
        withT && !Number.isNaN(withT.high) ? Math.max(ratio.high, withT.high) : ratio.high
      metric.interval = {
        low: finiteOrNull(low),
        high: finiteOrNull(high),
        level: LEVEL,
        method: withT
          ? 'bootstrap-and-delta-t-ratio'
          : bootstrap
            ? 'bootstrap-ratio'
            : 'delta-method-ratio'
      }
    }
    setSignFlipTests(metric, diffs, 'greater', 'sign-flip', ctx, 'cost')
    sd = standardDeviation(diffs)
    metric.gated = true
  }
  readLimitOnHead(metric, options.headAll, options.max)
  const brokenLimit = () => {
    if (options.max === undefined || headAll === null || !beyond(headAll, options.max)) {
      return undefined
    }
    const over =
      overHeadCases(metric, 'the head priced') ||
      (options.head.unpricedAnswers > 0 ? ' (over the cases priced)' : '')
    const [value, max] = formatUsdsApart(headAll, options.max)
    return `mean cost per answer ${value}${over} is above the maximum ${max}`
  }
  const judge = (familySize: number) => {
    const floorBroken = brokenLimit()
    if (n === 0) {
      if (floorBroken) return setVerdict(metric, 'fail', floorBroken)
      // A maximum the spec sets is a promise: unknown is not "within it", and neither is a head
      // whose every answer errored.
      const headUnpriced = options.head.unpricedAnswers > 0 ? unpriced : undefined
      if (options.max !== undefined && headAll === null && headUnpriced) {
        metric.gated = true
        return setVerdict(
          metric,
          'inconclusive',
          `cost unknown: ${headUnpriced}; the maximum ${formatUsd(options.max)} per answer cannot be checked`
        )
      }
      const maximum =
        options.max === undefined ? undefined : `the maximum ${formatUsd(options.max)} per answer`
      if (unreadLimit(metric, maximum, headAll, options.head)) return
      metric.gated = false
      // A cost known on one side (or on other cases) is not unknown: it is not comparable.
      const known = metric.base !== null || metric.head !== null
      return setVerdict(
        metric,
        'not-gated',
        unpriced
          ? `${known ? 'no case is priced in both runs, so the cost cannot be compared' : 'cost unknown'}: ${unpriced}`
          : 'no paired cases with a cost'
      )
    }
    const ratio = metric.delta ?? Infinity
    const dearer = significant(metric.test, ctx.alpha)
    const cheaper = significant(metric.improvementTest, ctx.alpha)
    if (dearer && beyond(ratio, maxRatio)) {
      return setVerdict(
        metric,
        'regression',
        `mean cost per answer ${formatRatio(ratio)} (${formatUsd(metric.base as number)} → ${formatUsd(metric.head as number)}), beyond the tolerated ${formatRatio(maxRatio)} (${pText(metric.test)})${floorBroken ? `; ${floorBroken}` : ''}`
      )
    }
    if (floorBroken) return setVerdict(metric, 'fail', floorBroken)
    if (cheaper && beyond(ratio, 1 / maxRatio, 'beneath')) {
      return setVerdict(metric, 'improvement', `mean cost per answer ${formatRatio(ratio)}`)
    }
    if (dearer || cheaper) {
      return setVerdict(
        metric,
        'minor-change',
        `mean cost per answer ${formatRatio(ratio)}: significant but within ${toleratedBound(ratio, maxRatio)}`
      )
    }
    const change = `mean cost per answer ${formatRatio(ratio)}`
    const maxHeld = () => {
      const over =
        overHeadCases(metric, 'the head priced') ||
        (options.head.unpricedAnswers > 0 ? ' (over the cases priced)' : '')
      const [value, max] = formatUsdsApart(headAll as number, options.max as number)
      return `the maximum holds: mean cost per answer ${value}${over} (maximum ${max})`
    }
    const held = options.max !== undefined && headAll !== null ? maxHeld() : undefined
    if (tooFewToJudge(metric, change, n, ctx.alpha, false, held)) return
    const high = metric.interval?.high ?? null
    // At the tolerated ratio is within it: `max-ratio: 1` tolerates no rise, and an unchanged
    // run has none.
    if (high !== null && !beyond(high, maxRatio)) {
      return setVerdict(
        metric,
        'pass',
        `the 95% CI of the ratio stays within ${formatRatio(maxRatio)}`
      )
    }
    if (tooFewInFamily(metric, change, n, formatRatio(maxRatio), ctx.alpha, familySize)) return
    const baseMean = metric.base as number
    setPowerAdvice(metric, {
      sd,
      n,
      alpha: ctx.alpha,
      familySize,
      tolerance: (maxRatio - 1) * baseMean,
      observed: (ratio - 1) * baseMean,
      target: maxRatio,
      measured: ratio,
      unchanged: 1,
      shown: (mde) => (baseMean <= 0 ? null : 1 + mde / baseMean)
    })
    setVerdict(
      metric,
      'inconclusive',
      `mean cost per answer ${formatRatio(ratio)}, not significant, and the 95% CI reaches ${formatRatio(maxRatio)}`
    )
  }
  const decide = (familySize: number) => {
    judge(familySize)
    if (n > 0 && unpriced) {
      metric.reason = `${metric.reason ?? ''}; on the ${n} cases priced in both runs: ${unpriced}`
    }
  }
  return { metric, family: n > 0 ? options.family : null, decide, brokenLimit }
}

/**
 * The answers of either run without a cost, and why there can be none: `2 of 10 head answers
 * without a cost (…)`; undefined when every answer is priced.
 */
function unpricedAnswers(base: SideSummary, head: SideSummary): string | undefined {
  // Without a baseline the head stands in for the base: said once.
  const sides = (['base', 'head'] as const)
    .map((name) => ({ name, side: name === 'base' ? base : head }))
    .filter(({ name, side }) => side.unpricedAnswers > 0 && !(name === 'base' && base === head))
    .map(
      ({ name, side }) =>
        `${side.unpricedAnswers} of ${side.unpricedAnswers + side.pricedAnswers} ${name} answers`
    )
  return sides.length === 0
    ? undefined
    : `${sides.join(' and ')} without a cost (no price for the model or its service tier, or no token counts)`
}

function topKinds(side: SideSummary): string {
  return [...side.errorKinds.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([kind, count]) => `${kind} ×${count}`)
    .join(', ')
}

/**
 * Errored share of the answers obtained (answers never obtained, like replay misses, are left
 * out). Per case d_i = head − base of the errored shares; McNemar when every case was asked once,
 * else the sign-flip test. More errors of the provider's making (rate limits, 5xx, timeouts,
 * network, auth) is an `error` verdict, more errors of the system's making (bad requests,
 * malformed responses, a crashing module or command, a throwing scorer) a `regression`: errored
 * answers are excluded from the score, so without this a change that breaks 30% of the answers
 * would look like no change at all.
 */
export function errorRateMetric(options: {
  pairs: readonly Pair[]
  head: SideSummary
  noise: number
  max: number | undefined
  /** The head's errored share of every answer it obtained, which the maximum reads. */
  headAll: HeadReading | null
  outageRate: number
  ctx: GroupContext
  family: string
}): PendingMetric {
  const { ctx, noise, head } = options
  const metric = emptyMetric('error-rate', 'fraction', 'difference')
  metric.tolerance = {
    noise,
    ...(options.max !== undefined ? { max: options.max } : {})
  }
  const pairs = options.pairs.filter((p) => p.base.errorRate !== null && p.head.errorRate !== null)
  const n = pairs.length
  metric.n = n
  const obtained = (c: CaseSummary) => c.answered.length + c.errored
  const countOver = (side: 'base' | 'head') => ({
    events: pairs.reduce((sum, p) => sum + p[side].errored, 0),
    trials: pairs.reduce((sum, p) => sum + obtained(p[side]), 0)
  })
  const counts = { base: countOver('base'), head: countOver('head') }
  const rateOver = (side: 'base' | 'head') => {
    const { events, trials } = counts[side]
    return trials === 0 ? 0 : events / trials
  }
  let sd = NaN
  if (n > 0) {
    const diffs = pairs.map((p) => (p.head.errorRate as number) - (p.base.errorRate as number))
    metric.base = rateOver('base')
    metric.head = rateOver('head')
    metric.delta = metric.head - metric.base
    if (pairs.every((p) => obtained(p.base) === 1 && obtained(p.head) === 1)) {
      // In McNemar's terms an answer "passes" when it did not error: b = ok → error.
      let okToError = 0
      let errorToOk = 0
      for (const d of diffs) {
        if (d > 0) okToError++
        else if (d < 0) errorToOk++
      }
      metric.test = asTest(mcnemarExact(okToError, errorToOk, 'less'), 'mcnemar-mid-p', 'greater')
      metric.improvementTest = asTest(
        mcnemarExact(okToError, errorToOk, 'greater'),
        'mcnemar-mid-p',
        'less'
      )
    } else {
      setSignFlipTests(metric, diffs, 'greater', 'sign-flip', ctx, 'error-rate')
    }
    const estimate = fractionDifferenceInterval(diffs, null, rngFor(ctx, 'error-rate', 'interval'))
    metric.interval = boundedRiseInterval(
      withinObservedRange(estimate.interval, diffs),
      counts.base,
      counts.head
    )
    sd = estimate.sd
    metric.gated = true
  }
  readLimitOnHead(metric, options.headAll, options.max)
  const headAll = options.headAll?.value ?? null
  const decide = (familySize: number) => {
    // Only errors that say the provider or a judge was unreachable make an outage: a system
    // under test that crashes on most cases (module, exec, scorer errors) has regressed.
    const outage = outageShare(head)
    if (outage !== null && outage > options.outageRate) {
      metric.gated = true
      return setVerdict(
        metric,
        'error',
        `outage: ${formatPercent(outage)} of the head answers ${outageLoss(head)} (${topKinds(head)})`
      )
    }
    const floorBroken =
      options.max !== undefined && headAll !== null && beyond(headAll, options.max)
    const floorReason = () => {
      const [value, max] = formatPercentsApart(headAll as number, options.max as number)
      return `error rate ${value}${overHeadCases(metric)} is above the maximum ${max}`
    }
    if (n === 0 || metric.delta === null) {
      if (floorBroken) return setVerdict(metric, 'fail', floorReason())
      const maximum =
        options.max === undefined
          ? undefined
          : `the maximum ${formatPercent(options.max)} of the error rate`
      if (unreadLimit(metric, maximum, headAll, head)) return
      metric.gated = false
      return setVerdict(metric, 'not-gated', 'no paired cases with answers')
    }
    const delta = metric.delta
    const more = significant(metric.test, ctx.alpha)
    const fewer = significant(metric.improvementTest, ctx.alpha)
    if (more && beyond(delta, noise)) {
      const byProvider = outageErrors(head) * 2 >= head.errors
      return setVerdict(
        metric,
        byProvider ? 'error' : 'regression',
        `error rate rose ${formatPoints(delta, false)} to ${formatPercent(metric.head as number)} (${topKinds(head)}; ${pText(metric.test)})${floorBroken ? `; ${floorReason()}` : ''}`
      )
    }
    if (floorBroken) return setVerdict(metric, 'fail', floorReason())
    if (fewer && beyond(delta, -noise, 'beneath')) {
      return setVerdict(metric, 'improvement', `error rate fell ${formatPoints(delta, false)}`)
    }
    if (more || fewer) {
      return setVerdict(
        metric,
        'minor-change',
        `error rate changed ${formatPoints(delta)}: significant but within the noise floor`
      )
    }
    // Not significant is not the same as no rise: like the other metrics, it passes only when
    // the interval shows any rise within the noise floor (0% → 25% errors on 12 cases is p = 0.06).
    const change = `error rate changed ${formatPoints(delta)}`
    const midP = metric.test?.method === 'mcnemar-mid-p'
    const maxHeld = () => {
      const [value, max] = formatPercentsApart(headAll as number, options.max as number)
      return `the maximum holds: error rate ${value}${overHeadCases(metric)} (maximum ${max})`
    }
    const held = options.max !== undefined && headAll !== null ? maxHeld() : undefined
    if (tooFewToJudge(metric, change, n, ctx.alpha, midP, held)) return
    if (counts.head.events === 0) {
      // No interval can be read off no errors: say what so many clean answers can vouch for. The
      // head's, when the baseline's had errors too: a head with none shows no rise, as in a run
      // where neither had any.
      const baseAnswers = counts.base.trials.toLocaleString('en-US')
      const headAnswers = counts.head.trials.toLocaleString('en-US')
      const unseen = formatPercent(zeroEventUpperBound(counts.head.trials))
      const could = `a rate under ${unseen} could go unseen on this many`
      if (counts.base.events > 0) {
        return setVerdict(
          metric,
          'pass',
          `no answer errored in the head run (${headAnswers} answers; ${could}), ${plural(counts.base.events, 'answer')} of the baseline's did`
        )
      }
      const answers =
        counts.base.trials === counts.head.trials
          ? `${baseAnswers} answers each`
          : `${baseAnswers} and ${headAnswers} answers`
      return setVerdict(metric, 'pass', `no answer errored in either run (${answers}; ${could})`)
    }
    const { low, high } = metric.interval ?? { low: null, high: null }
    const [highShown, noiseShown] = formatPointsApart(high ?? 0, noise)
    if (high !== null && !beyond(high, noise)) {
      return setVerdict(
        metric,
        'pass',
        `the 95% CI ${formatInterval(low, high, 'difference', 'fraction')} stays within the +${noiseShown} noise floor`
      )
    }
    const reach = `${highShown}, beyond the +${noiseShown} noise floor`
    if (tooFewInFamily(metric, change, n, reach, ctx.alpha, familySize, midP)) return
    // A rate's variance grows with it: the spread of a rise is the binomial one at the raised
    // rate, p_b(1 − p_b) + p_h(1 − p_h) per answer, over the answers of a case.
    const baseRate = metric.base as number
    const perCase = (counts.base.trials + counts.head.trials) / (2 * n)
    const sdAt = (rise: number) => {
      const raised = Math.min(1, Math.max(0, baseRate + rise))
      return Math.sqrt((baseRate * (1 - baseRate) + raised * (1 - raised)) / perCase)
    }
    setPowerAdvice(metric, {
      sd,
      n,
      alpha: ctx.alpha,
      familySize,
      tolerance: noise,
      observed: delta,
      target: noise,
      measured: delta,
      unchanged: 0,
      sdAt
    })
    setVerdict(
      metric,
      'inconclusive',
      `${change}, not significant, and the 95% CI reaches ${reach}`
    )
  }
  return { metric, family: n > 0 ? options.family : null, decide }
}

/** A metric that is reported, never gated: the verdict is always `not-gated`. */
function reported(metric: MetricComparison, reason: string): PendingMetric {
  metric.reason = reason
  return { metric, family: null, decide: () => undefined }
}

/** Time to first token: medians of the measured answers of the paired cases, ratio head / base. */
export function ttftMetric(pairs: readonly Pair[]): PendingMetric | null {
  const used = pairs.filter((p) => p.base.ttft !== null && p.head.ttft !== null)
  if (used.length === 0) return null
  const metric = emptyMetric('ttft-p50', 'ms', 'ratio')
  metric.n = used.length
  metric.base = median(used.map((p) => p.base.ttft as number))
  metric.head = median(used.map((p) => p.head.ttft as number))
  metric.delta = finiteOrNull(
    Math.max(metric.head, LATENCY_FLOOR_MS) / Math.max(metric.base, LATENCY_FLOOR_MS)
  )
  return reported(metric, `reported only (median of the cases' median time to first token)`)
}

/** Mean tokens per answer over the paired cases: exact differences, no test (DESIGN). */
export function tokenMetric(
  pairs: readonly Pair[],
  name: 'input-tokens' | 'output-tokens'
): PendingMetric | null {
  const valueOf = (c: CaseSummary) => (name === 'input-tokens' ? c.inputTokens : c.outputTokens)
  const used = pairs.filter((p) => valueOf(p.base) !== null && valueOf(p.head) !== null)
  if (used.length === 0) return null
  const metric = emptyMetric(name, 'tokens', 'difference')
  metric.n = used.length
  metric.base = mean(used.map((p) => valueOf(p.base) as number))
  metric.head = mean(used.map((p) => valueOf(p.head) as number))
  metric.delta = metric.head - metric.base
  return reported(metric, 'reported only (mean per answer)')
}

/** Total spend of each run over all its answers. */
export function costTotalMetric(base: SideSummary, head: SideSummary): PendingMetric | null {
  const fullyPriced = (side: SideSummary) => side.pricedAnswers > 0 && side.unpricedAnswers === 0
  if (!fullyPriced(base) || !fullyPriced(head)) return null
  const metric = emptyMetric('cost-total', 'usd', 'ratio')
  metric.n = head.cases.size
  metric.base = base.totalCost
  metric.head = head.totalCost
  metric.delta = finiteOrNull(
    base.totalCost === 0 && head.totalCost === 0 ? 1 : head.totalCost / base.totalCost
  )
  const replayed = (['base', 'head'] as const)
    .map((name) => ({ name, side: name === 'base' ? base : head }))
    .filter(({ side }) => side.cachedPricedAnswers > 0)
    .map(({ name, side }) => `${side.cachedPricedAnswers} of ${side.pricedAnswers} ${name}`)
  const cached =
    replayed.length === 0
      ? ''
      : `; ${replayed.join(' and ')} answers came from the cache, paid for when they were recorded`
  return reported(
    metric,
    `reported only: what every answer of each run cost, cases added or removed included${cached}`
  )
}

/** What a side's LLM judges spent; undefined when no judge answered. */
export function judgeSpend(side: SideSummary): JudgeSpend | undefined {
  if (side.judgedAnswers === 0) return undefined
  return {
    answers: side.judgedAnswers,
    cost: side.unpricedJudgedAnswers > 0 ? null : side.judgeCost,
    unpriced: side.unpricedJudgedAnswers,
    cached: side.cachedJudgedAnswers
  }
}

/**
 * What the LLM judges spent per answer they judged, over every answer of each run: reported,
 * never gated, since it is not what the system under test costs, but a rubric or a judge model
 * that multiplies it should not pass unseen. A side with an answer whose judging has no cost is
 * unknown, not cheaper. Null when no judge answered on either side; `base` null without one.
 */
export function judgeCostMetric(base: SideSummary | null, head: SideSummary): PendingMetric | null {
  const baseSpend = base ? judgeSpend(base) : undefined
  const headSpend = judgeSpend(head)
  if (!baseSpend && !headSpend) return null
  const perAnswer = (spend: JudgeSpend | undefined) =>
    spend === undefined || spend.cost === null ? null : spend.cost / spend.answers
  const metric = emptyMetric('judge-cost', 'usd', 'ratio')
  metric.n = headSpend?.answers ?? 0
  metric.base = perAnswer(baseSpend)
  metric.head = perAnswer(headSpend)
  if (metric.base !== null && metric.head !== null) {
    metric.delta = finiteOrNull(
      metric.base === 0 && metric.head === 0 ? 1 : metric.head / metric.base
    )
  }
  const caveats = judgeSpendCaveats(baseSpend, headSpend)
  return reported(
    metric,
    [
      "reported only: the LLM judges' mean cost per answer judged, over every answer of each run, apart from the cost of the system under test",
      ...caveats
    ].join('; ')
  )
}

/** Share of the calls made (cache hits excluded) that needed more than one attempt. */
export function retryRateMetric(pairs: readonly Pair[]): PendingMetric | null {
  const calls = (side: 'base' | 'head') => pairs.reduce((sum, p) => sum + p[side].calls, 0)
  const retried = (side: 'base' | 'head') => pairs.reduce((sum, p) => sum + p[side].retried, 0)
  if (calls('base') === 0 || calls('head') === 0) return null
  const metric = emptyMetric('retry-rate', 'fraction', 'difference')
  metric.n = pairs.length
  metric.base = retried('base') / calls('base')
  metric.head = retried('head') / calls('head')
  metric.delta = metric.head - metric.base
  return reported(metric, 'reported only (calls that needed more than one attempt)')
}

/**
 * The not-comparable form of a quality metric: both values shown, nothing computed between them.
 * A floor needs no baseline, so it is judged on the head alone, as for a suite without one.
 */
export function incomparableQualityMetric(
  name: 'score' | 'pass-rate',
  base: SideSummary,
  head: SideSummary,
  tolerance: QualityTolerance
): PendingMetric {
  const metric = emptyMetric(name, 'fraction', 'difference')
  const sideMean = (side: SideSummary) => {
    const values = [...side.cases.values()].flatMap((c) => {
      const v = name === 'score' ? c.score : c.passRate
      return v === null ? [] : [v]
    })
    return values.length === 0 ? null : mean(values)
  }
  metric.base = sideMean(base)
  metric.head = sideMean(head)
  if (tolerance.min !== undefined) metric.tolerance = { min: tolerance.min }
  metric.verdict = 'not-comparable'
  metric.reason = 'the scorers changed: scores of the two runs measure different things'
  const brokenLimit = () => belowFloor(name, metric.head, tolerance.min)
  const decide = () => {
    const floorBroken = brokenLimit()
    if (floorBroken) {
      metric.gated = true
      return setVerdict(
        metric,
        'fail',
        `${floorBroken}: the scorers changed, so the floor is judged on the head alone`
      )
    }
    if (tolerance.min !== undefined && metric.head !== null) {
      metric.reason += `; the head alone meets the floor: ${QUALITY_LABEL[name]} ${formatPercent(metric.head)} (floor ${formatPercent(tolerance.min)})`
    }
    const reason = metric.reason
    if (unreadLimit(metric, floorNamed(name, tolerance.min), metric.head, head)) {
      metric.reason = `${reason}; ${metric.reason}`
    }
  }
  return { metric, family: null, decide, brokenLimit }
}

/**
 * A group's head-only quality metric (no baseline): only the absolute floor can fail it, and one
 * with nothing to read is inconclusive.
 */
export function headOnlyQualityMetric(
  name: 'score' | 'pass-rate',
  headAll: number | null,
  tolerance: QualityTolerance,
  head: SideSummary
): PendingMetric {
  const metric = emptyMetric(name, 'fraction', 'difference')
  metric.head = headAll
  metric.n = head.cases.size
  metric.tolerance = tolerance.min !== undefined ? { min: tolerance.min } : {}
  const floorBroken = belowFloor(name, headAll, tolerance.min)
  if (floorBroken) {
    metric.gated = true
    metric.verdict = 'fail'
    metric.reason = floorBroken
  } else if (!unreadLimit(metric, floorNamed(name, tolerance.min), headAll, head)) {
    metric.reason = 'no baseline to compare with'
  }
  return { metric, family: null, decide: () => undefined }
}
