/**
 * Comparison: the result of comparing a baseline RunResult with a head RunResult. It is plain
 * JSON (no NaN, no Infinity: a number that cannot be computed is null), the `--format json` output
 * and the only input of the renderers (PR comment, terminal, JUnit).
 */
import type { Alternative } from '../stats/index.js'

/**
 * Bumped with any change of shape: a `report-from` job reads comparisons that an evalgate of
 * another version wrote, and says which workflow to update rather than quote a schema error.
 * Version 1 files come in several shapes, as the format changed without a bump: all are older.
 * 2 added each group's `cases.unreached`. 3 added `cases.unreachedByBaseline` (the cases version 2
 * counted as added), `cases.edited` and `cases.sources`, the run's `pooledScore`, and a power
 * advice's `assumedChange`.
 */
export const COMPARISON_VERSION = 3

/**
 * What a metric's comparison concluded, most severe first:
 * - regression: a significant change for the worse beyond the tolerance (fails the check);
 * - fail: an absolute limit of the `gate:` block is broken, whatever the baseline (fails);
 * - error: the provider (or an LLM judge) mostly failed to answer, an outage rather than a
 *   quality change (fails);
 * - inconclusive: neither a regression nor shown non-inferior (neutral; fails with `strict`);
 * - not-comparable: the scorers changed, so scores cannot be compared (neutral);
 * - improvement: a significant change for the better beyond the tolerance;
 * - minor-change: significant, but within the noise floor;
 * - pass: non-inferior within the tolerance;
 * - not-gated: reported only (tokens, retries, unknown cost, too few samples, new suites).
 */
export type Verdict =
  | 'regression'
  | 'fail'
  | 'error'
  | 'inconclusive'
  | 'not-comparable'
  | 'improvement'
  | 'minor-change'
  | 'pass'
  | 'not-gated'

/** Most severe first: the verdict of a group (and of the run) is its most severe metric verdict. */
export const VERDICT_SEVERITY: readonly Verdict[] = [
  'regression',
  'fail',
  'error',
  'inconclusive',
  'not-comparable',
  'improvement',
  'minor-change',
  'pass',
  'not-gated'
]

export type MetricName =
  | 'score'
  | 'pass-rate'
  | 'error-rate'
  | 'latency-p50'
  | 'latency-p95'
  | 'ttft-p50'
  | 'cost'
  | 'cost-total'
  | 'judge-cost'
  | 'input-tokens'
  | 'output-tokens'
  | 'retry-rate'

/** fraction: in [0, 1], deltas in points; ms, usd, tokens: deltas as a ratio or a difference. */
export type MetricUnit = 'fraction' | 'ms' | 'usd' | 'tokens'

export interface MetricInterval {
  low: number | null
  high: number | null
  /** Two-sided confidence level, 0.95. */
  level: number
  /**
   * t, clustered-t, bootstrap-and-t, bootstrap-ratio, bootstrap-and-delta-t-ratio,
   * delta-method-ratio or hodges-lehmann-log-ratio; an error rate's may end in -and-newcombe.
   */
  method: string
}

export interface MetricTest {
  /** mcnemar-mid-p, sign-flip, sign-flip-clustered, wilcoxon or tail-exceedance-sign-flip. */
  method: string
  /** In the head − base convention: `less` = the head is lower. */
  alternative: Alternative
  pValue: number
  /** Holm-adjusted over every gated test of the same direction in the run; null if not gated. */
  pValueAdjusted: number | null
  exact: boolean
}

/** How far an inconclusive result is from settling, at the gate's α and 80% power. */
export interface PowerAdvice {
  /**
   * The smallest change (in the metric's delta units: points, or a ratio) this run would find a
   * regression 80% of the time.
   */
  minimumDetectableEffect: number | null
  /**
   * The change the advice is about: the non-inferiority margin, the error rate's noise floor, or
   * the tolerated ratio.
   */
  targetEffect: number
  /**
   * Paired cases (clusters, when the metric's test flips signs per cluster) with which the 95% CI
   * stays within `targetEffect` 80% of the time if the true change is `assumedChange` — or, for
   * a change at or beyond it, with which that change is a regression 80% of the time; null when
   * it cannot be estimated or more cases would not settle it.
   */
  requiredCases: number | null
  additionalCases: number | null
  /** Repeats per case that would settle it with the current cases; null if none up to 50 would. */
  requiredRepeats: number | null
  /**
   * The true change the advised cases and repeats assume, in the metric's delta units: no change
   * (0, or ×1 for a ratio), or the change this run measured when it has the cases an unchanged
   * run would need already. Absent from comparisons of earlier versions.
   */
  assumedChange?: number
}

export interface MetricTolerance {
  noise?: number
  margin?: number
  maxRatio?: number
  min?: number
  max?: number
}

export interface MetricComparison {
  metric: MetricName
  unit: MetricUnit
  /**
   * Base and head values over the paired units (`cost-total` and `judge-cost`: over every answer
   * of each run; the score and pass rate: over every answered repeat of the paired cases).
   */
  base: number | null
  head: number | null
  /**
   * head − base for `difference`, head / base for `ratio` (latency: exp of Hodges–Lehmann); of
   * `compared` when it is set.
   */
  delta: number | null
  /**
   * The score and pass rate when a paired case's sides have different numbers of answered repeats
   * (`repeats` changed, or answers errored): the means over m answered repeats of each side of a
   * case, m the fewer (the repeats both sides answered first, see sameRepeatPairs), which `delta`, the interval, the tests and the flipped cases
   * compare, while `base` and `head` stay over every answer, as the gate's floor reads them.
   */
  compared?: { base: number; head: number }
  /**
   * A metric with an absolute limit (the score's and pass rate's `tolerance.min`, the error
   * rate's and cost's `tolerance.max`), when the head has cases that `head` is not over (added
   * cases, cases the baseline answered or priced none of): the head's value over every case it
   * has one for, which the limit is judged on whatever the baseline.
   */
  limit?: { head: number; cases: number }
  deltaKind: 'difference' | 'ratio'
  /** Paired units behind the test: cases (clusters are reported in `clusters`). */
  n: number
  clusters?: number
  interval: MetricInterval | null
  /** The test for a change for the worse (the one the gate acts on). */
  test: MetricTest | null
  /** The test for a change for the better, when the estimate points that way. */
  improvementTest: MetricTest | null
  gated: boolean
  /**
   * Set on the pass rate when every compared score is 0 or 1 with pass ⇔ score 1: the same numbers
   * as the score, tested once (its base and head stay its own, over every answer) (counted once in the Holm family and in `counts`).
   */
  duplicateOf?: MetricName
  tolerance: MetricTolerance
  verdict: Verdict
  /** One sentence: why this verdict. */
  reason: string
  power?: PowerAdvice
}

export interface OutputSample {
  text: string | null
  /** Characters cut from the end of `text`. */
  truncated: number
  repeat: number
  score: number | null
  pass: boolean | null
  /** Reasons of the scorers that failed this answer. */
  failures: string[]
  /** Why the model stopped short of finishing this answer (`length`…), as the results record. */
  finishReason?: string
}

export interface FlippedCase {
  caseId: string
  /** `file:line` of the case, for annotations. */
  source: string
  direction: 'pass-to-fail' | 'fail-to-pass'
  baseScore: number
  headScore: number
  scoreDelta: number
  basePassRate: number
  headPassRate: number
  base: OutputSample | null
  head: OutputSample | null
}

export interface Flips {
  /** Paired cases whose majority pass/fail status went from pass to fail, and back. */
  passToFail: number
  failToPass: number
  /** The largest |score change| first; at most a bounded number, see `omitted`. */
  cases: FlippedCase[]
  omitted: number
}

export interface ErrorKindCount {
  kind: string
  count: number
}

export interface SideInfo {
  cases: number
  answers: number
  errors: number
  /**
   * Answers missing from every metric: never obtained (replay cache misses, cancelled), or
   * obtained but not graded (`missingGrades`).
   */
  missing: number
  /**
   * Of `missing`, answers obtained whose LLM judge's grade was not in the replay cache; absent
   * when none.
   */
  missingGrades?: number
  /** Answers replayed from the cache, which have no latency; absent when none. */
  cached?: number
  /** What the LLM judges spent grading this side's answers; absent when no judge answered. */
  judges?: JudgeSpend
  models: string[]
  fingerprints: string[]
  configFingerprint: string
  errorKinds: ErrorKindCount[]
  /** One error message of the most frequent kind, truncated. */
  errorExample?: string
}

/**
 * What LLM judges spent grading a side's answers, apart from the system under test: reported,
 * never gated.
 */
export interface JudgeSpend {
  /** Answers a judge answered on (a judge that gave no verdict was paid all the same). */
  answers: number
  /** USD over those answers; null when some have no cost (`unpriced`). */
  cost: number | null
  /** Answers whose judging has no cost: no price for the judge's model, or no token counts. */
  unpriced: number
  /** Answers whose judges' answers came from the cache: paid for by the run that recorded them. */
  cached: number
}

export type GroupStatus = 'compared' | 'new' | 'removed'

/** One suite × provider. */
export interface GroupComparison {
  suite: string
  file: string
  providerId: string
  providerLabel?: string
  status: GroupStatus
  /**
   * False when the scorers changed: scores are not compared (their floors are judged on the head
   * alone), latency/cost/errors still are.
   */
  comparable: boolean
  reason?: string
  verdict: Verdict
  base: SideInfo | null
  head: SideInfo | null
  repeats: { base: number | null; head: number | null }
  cases: {
    paired: number
    added: number
    removed: number
    /** Up to 100 ids each. */
    addedIds: string[]
    removedIds: string[]
    /**
     * Cases of the baseline that the head run lists but never answered: it was cancelled or
     * stopped early before them. Absent when none.
     */
    unreached?: number
    unreachedIds?: string[]
    /**
     * Cases the head answered that the baseline run lists but never answered: it was cancelled or
     * stopped early before them. Not added, and not paired. Absent when none.
     */
    unreachedByBaseline?: number
    unreachedByBaselineIds?: string[]
    /**
     * Cases both runs list under the same id whose variables changed (a corrected expected
     * answer): not paired, as the old case's answers say nothing of the new one's. Absent when
     * none, or when either run's results predate the variables' fingerprints.
     */
    edited?: number
    editedIds?: string[]
    /**
     * `file:line` of each listed added, removed and edited case, by id (a removed case's in the
     * baseline's spec), so that an id derived from the variables can be found; absent when none.
     */
    sources?: Record<string, string>
  }
  /** The reported model id or system fingerprint differs between the runs: possible drift. */
  modelChanged: boolean
  configChanged: boolean
  gateChanged: boolean
  metrics: MetricComparison[]
  flips: Flips
}

export interface RunInfo {
  id: string
  commit: string | null
  ref: string | null
  event: string | null
  startedAt: string
  finishedAt: string
  complete: boolean
  incompleteReason: string | null
  toolVersion: string
}

export type VerdictCounts = Record<Verdict, number>

/**
 * The run's pooled drop test of the mean score: every paired case of every suite × provider whose
 * score was tested against its baseline, tested together as the suites' tests test theirs, in the
 * quality Holm family. A drop spread over many small suites, none of which can show it alone.
 */
export interface PooledScore {
  /** The suite × providers pooled (at least two). */
  groups: number
  /** Paired cases, each averaged over its compared repeats first. */
  n: number
  /** Clusters the signs flip by, when cases of a suite share one. */
  clusters?: number
  /** Mean compared scores over every pooled case. */
  base: number
  head: number
  /** head − base, the mean of the per-case differences. */
  delta: number
  interval: MetricInterval | null
  /** The drop test (`alternative: less`), Holm-adjusted in the quality family. */
  test: MetricTest
  /**
   * The noise floor the drop must be beyond: the pooled suites' own, averaged with their paired
   * cases as weights (the pooled drop when every suite dropped exactly its own floor).
   */
  noise: number
  /**
   * regression: significant after Holm and beyond the noise floor (fails the check);
   * minor-change: significant but within it; not-significant: no drop shown.
   */
  verdict: 'regression' | 'minor-change' | 'not-significant'
  /** One sentence: why this verdict. */
  reason: string
}

export interface Comparison {
  schemaVersion: typeof COMPARISON_VERSION
  tool: { name: 'evalgate'; version: string }
  /**
   * The most severe group verdict, or regression when the pooled score test is one; `pass` when
   * nothing at all was compared is never claimed.
   */
  verdict: Verdict
  /** One sentence for the top of a report. */
  summary: string
  options: { seed: string; strict: boolean; alpha: number }
  /** Gated tests per Holm family (direction worse): the m of the adjustment. */
  holmFamilySizes: Record<string, number>
  base: RunInfo
  head: RunInfo
  groups: GroupComparison[]
  /** Gated metric verdicts of all groups, by verdict (the pooled test's is not counted). */
  counts: VerdictCounts
  /**
   * Set when two or more suite × providers had their score tested: a pooled regression fails the
   * comparison even when every suite's own verdict passes or is inconclusive.
   */
  pooledScore?: PooledScore
  warnings: string[]
  /**
   * Of a pull request's comparison (set by the action): its merge base, and how many first
   * parents before it the baseline's commit (`base.commit`) is.
   */
  baseline?: { mergeBase: string; distance: number }
}
