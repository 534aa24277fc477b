/**
 * Confidence intervals and standard errors for paired differences.
 */
import { mean, quantileSorted, standardDeviation } from './descriptive.js'
import { normalQuantile, studentTQuantile } from './distributions.js'
import { randomIndex, type Rng } from './rng.js'
import { assertFiniteValues, assertOpenUnit, assertPositiveInteger } from './validation.js'

export interface Interval {
  estimate: number
  low: number
  high: number
  /** Two-sided confidence level, e.g. 0.95. */
  level: number
}

const DEFAULT_LEVEL = 0.95
const DEFAULT_RESAMPLES = 2000

/**
 * Two-sided Student t confidence interval for the mean difference:
 * mean ± t_{(1+level)/2, n−1} · sd/√n (Student 1908; any textbook, e.g. Wasserman 2004 §7).
 * n = 0: everything NaN. n = 1: the estimate, with NaN bounds, standard error and width (no
 * spread can be estimated from one case); df = 0. All-equal differences give a zero-width
 * interval. Throws RangeError for a level outside (0, 1).
 */
export function tInterval(
  diffs: readonly number[],
  level: number = DEFAULT_LEVEL
): Interval & { standardError: number; df: number } {
  assertOpenUnit(level, 'level')
  const n = diffs.length
  const estimate = mean(diffs)
  const df = Math.max(0, n - 1)
  const standardError = standardDeviation(diffs) / Math.sqrt(n)
  if (!Number.isFinite(standardError)) {
    return { estimate, low: NaN, high: NaN, level, standardError: NaN, df }
  }
  const halfWidth = studentTQuantile((1 + level) / 2, df) * standardError
  return {
    estimate,
    low: estimate - halfWidth,
    high: estimate + halfWidth,
    level,
    standardError,
    df
  }
}

/** Percentile interval from replicates (sorted in place): Efron & Tibshirani 1993 §13.3. */
function percentileInterval(replicates: Float64Array, estimate: number, level: number): Interval {
  replicates.sort()
  const tail = (1 - level) / 2
  return {
    estimate,
    low: quantileSorted(replicates, tail),
    high: quantileSorted(replicates, 1 - tail),
    level
  }
}

/**
 * Paired bootstrap percentile interval for the mean difference (Efron & Tibshirani 1993, "An
 * Introduction to the Bootstrap", §13.3): `resamples` (default 2,000) resamples of the cases with
 * replacement, bounds at the type-7 quantiles (1 ∓ level)/2 of the resampled means.
 * Fewer than 2 differences: the estimate (NaN when empty) with NaN bounds, because a single case
 * would give a zero-width interval that overstates certainty. Throws RangeError for non-finite
 * differences, a level outside (0, 1) or a non-positive `resamples`.
 */
export function bootstrapMeanInterval(
  diffs: readonly number[],
  options: { rng: Rng; level?: number; resamples?: number }
): Interval {
  const level = options.level ?? DEFAULT_LEVEL
  const resamples = options.resamples ?? DEFAULT_RESAMPLES
  assertOpenUnit(level, 'level')
  assertPositiveInteger(resamples, 'resamples')
  assertFiniteValues(diffs, 'diffs')
  const n = diffs.length
  const estimate = mean(diffs)
  if (n < 2) return { estimate, low: NaN, high: NaN, level }
  const values = Float64Array.from(diffs)
  const replicates = new Float64Array(resamples)
  for (let r = 0; r < resamples; r++) {
    let sum = 0
    for (let i = 0; i < n; i++) sum += values[randomIndex(options.rng, n)] as number
    replicates[r] = sum / n
  }
  return percentileInterval(replicates, estimate, level)
}

/** Paired samples: equal lengths, finite values; RangeError otherwise. */
function assertPairs(base: readonly number[], head: readonly number[]): void {
  if (base.length !== head.length) {
    throw new RangeError(`base and head must pair up, got ${base.length} and ${head.length} values`)
  }
  assertFiniteValues(base, 'base')
  assertFiniteValues(head, 'head')
}

/** Σhead / Σbase, with 0/0 read as 1 ("both zero: no change"). */
function ratioOfSums(headSum: number, baseSum: number): number {
  if (headSum === 0 && baseSum === 0) return 1
  return headSum / baseSum
}

/**
 * Paired bootstrap percentile interval for the ratio mean(head) / mean(base), e.g. cost per case:
 * the (base, head) pairs are resampled together, which keeps the within-case correlation
 * (Efron & Tibshirani 1993 §13.3; ratio estimators §10.3). Default 2,000 resamples, level 0.95.
 *
 * Conventions: 0/0 is read as 1 (both sides cost nothing: no change), x/0 for x > 0 is Infinity,
 * both for the estimate and for each resample. Fewer than 2 pairs: the estimate with NaN bounds.
 * Throws RangeError when the arrays differ in length or hold non-finite values, for a level
 * outside (0, 1) or a non-positive `resamples`.
 */
export function bootstrapRatioInterval(
  base: readonly number[],
  head: readonly number[],
  options: { rng: Rng; level?: number; resamples?: number }
): Interval {
  const level = options.level ?? DEFAULT_LEVEL
  const resamples = options.resamples ?? DEFAULT_RESAMPLES
  assertOpenUnit(level, 'level')
  assertPositiveInteger(resamples, 'resamples')
  assertPairs(base, head)
  const n = base.length
  if (n === 0) return { estimate: NaN, low: NaN, high: NaN, level }
  const estimate = ratioOfSums(mean(head), mean(base))
  if (n < 2) return { estimate, low: NaN, high: NaN, level }
  const baseValues = Float64Array.from(base)
  const headValues = Float64Array.from(head)
  const replicates = new Float64Array(resamples)
  for (let r = 0; r < resamples; r++) {
    let baseSum = 0
    let headSum = 0
    for (let i = 0; i < n; i++) {
      const pick = randomIndex(options.rng, n)
      baseSum += baseValues[pick] as number
      headSum += headValues[pick] as number
    }
    replicates[r] = ratioOfSums(headSum, baseSum)
  }
  return percentileInterval(replicates, estimate, level)
}

/**
 * Cluster-robust standard error of the mean (Miller 2024, "Adding Error Bars to Evals: A
 * Statistical Approach to Language Model Evaluations", arXiv:2411.00640, clustered standard
 * errors; the Liang & Zeger 1986 sandwich for a mean). With residuals e_i = x_i − x̄, G clusters
 * and cluster residual sums E_g = Σ_{i∈g} e_i:
 *
 *   SE² = G/(G − 1) · Σ_g E_g² / n²
 *
 * i.e. Miller's within-cluster covariance sum Σ_g Σ_i Σ_j e_i e_j / n² with the CR1 small-sample
 * factor G/(G − 1) (Cameron & Miller 2015, "A Practitioner's Guide to Cluster-Robust Inference",
 * J. Human Resources 50(2)). With every case in its own cluster (G = n) this is exactly the
 * ordinary SE, sd/√n with the n − 1 denominator. Miller's equation (ordinary SE² plus the
 * within-cluster cross terms / n²) reaches the same limit by putting n − 1 on the diagonal term
 * only; CR1 keeps more of the correction when there are few clusters, where the sandwich is known
 * to be too small. Fewer than 2 clusters: NaN (the between-cluster variance cannot be estimated).
 * Throws RangeError when the arrays differ in length or values are non-finite.
 */
export function clusteredStandardError(
  values: readonly number[],
  clusters: readonly string[]
): number {
  if (values.length !== clusters.length) {
    throw new RangeError(
      `values and clusters must pair up, got ${values.length} and ${clusters.length}`
    )
  }
  assertFiniteValues(values, 'values')
  const n = values.length
  const center = mean(values)
  const residualSums = new Map<string, number>()
  values.forEach((value, i) => {
    const cluster = clusters[i] as string
    residualSums.set(cluster, (residualSums.get(cluster) ?? 0) + (value - center))
  })
  const clusterCount = residualSums.size
  if (clusterCount < 2) return NaN
  let sumOfSquares = 0
  for (const sum of residualSums.values()) sumOfSquares += sum * sum
  return Math.sqrt(((clusterCount / (clusterCount - 1)) * sumOfSquares) / (n * n))
}

/**
 * Normal interval for the ratio mean(head) / mean(base) of paired values by the delta method
 * (Casella & Berger 2002, "Statistical Inference", §5.5.4): with R = ȳ/x̄,
 * Var(R) ≈ (s_y² − 2R·s_xy + R²·s_x²) / (n·x̄²). For large samples, where it agrees with the
 * paired bootstrap in constant work per pair. With `studentT`, the quantile is t on n − 1 degrees
 * of freedom, as a paired t-interval's, for few pairs. Fewer than 2 pairs, or a zero base mean:
 * the estimate (0/0 read as 1) with NaN bounds.
 */
export function deltaMethodRatioInterval(
  base: readonly number[],
  head: readonly number[],
  level = DEFAULT_LEVEL,
  studentT = false
): Interval {
  assertOpenUnit(level, 'level')
  assertPairs(base, head)
  const n = base.length
  if (n === 0) return { estimate: NaN, low: NaN, high: NaN, level }
  const baseMean = mean(base)
  const headMean = mean(head)
  const estimate = ratioOfSums(headMean, baseMean)
  if (n < 2 || baseMean === 0) return { estimate, low: NaN, high: NaN, level }
  let varBase = 0
  let varHead = 0
  let covariance = 0
  for (let i = 0; i < n; i++) {
    const x = (base[i] as number) - baseMean
    const y = (head[i] as number) - headMean
    varBase += x * x
    varHead += y * y
    covariance += x * y
  }
  const variance =
    (varHead - 2 * estimate * covariance + estimate * estimate * varBase) / (n - 1) / n
  const standardError = Math.sqrt(Math.max(0, variance)) / Math.abs(baseMean)
  const upper = 1 - (1 - level) / 2
  const quantile = studentT ? studentTQuantile(upper, n - 1) : normalQuantile(upper)
  const half = quantile * standardError
  return { estimate, low: estimate - half, high: estimate + half, level }
}

/**
 * Wilson's score interval for a proportion of `events` in `trials` (Wilson 1927, JASA 22:209):
 * unlike the normal one, it stays within [0, 1] and keeps its coverage near 0 and 1.
 */
function wilsonInterval(events: number, trials: number, level = DEFAULT_LEVEL): Interval {
  assertOpenUnit(level, 'level')
  if (!(trials > 0) || !(events >= 0 && events <= trials)) {
    throw new RangeError(`events must be within 0..trials (> 0), got ${events} of ${trials}`)
  }
  const z = normalQuantile(1 - (1 - level) / 2)
  const p = events / trials
  const z2n = (z * z) / trials
  const centre = (p + z2n / 2) / (1 + z2n)
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2n / (4 * trials))) / (1 + z2n)
  return { estimate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half), level }
}

/**
 * Newcombe's hybrid score interval for a difference of two proportions, head − base (Newcombe
 * 1998, "Interval estimation for the difference between independent proportions", Stat. Med.
 * 17:873, method 10): each side's distance from its Wilson limits, added in quadrature. It treats
 * the two runs as independent, which paired answers that agree only make conservative.
 */
export function newcombeDifferenceInterval(
  base: { events: number; trials: number },
  head: { events: number; trials: number },
  level = DEFAULT_LEVEL
): Interval {
  const b = wilsonInterval(base.events, base.trials, level)
  const h = wilsonInterval(head.events, head.trials, level)
  const estimate = h.estimate - b.estimate
  return {
    estimate,
    low: estimate - Math.hypot(h.estimate - h.low, b.high - b.estimate),
    high: estimate + Math.hypot(h.high - h.estimate, b.estimate - b.low),
    level
  }
}

/**
 * The exact one-sided upper bound of a rate none of `trials` showed (Clopper & Pearson 1934):
 * 1 − (1 − level)^(1/trials), about 3 / trials at 95% (the "rule of three", Hanley & Lippman-Hand
 * 1983, JAMA 249:1743). A rate below it leaves no event on this many trials more than 5% of the
 * time.
 */
export function zeroEventUpperBound(trials: number, level = DEFAULT_LEVEL): number {
  assertOpenUnit(level, 'level')
  if (!(trials > 0)) throw new RangeError(`trials must be > 0, got ${trials}`)
  return 1 - (1 - level) ** (1 / trials)
}
