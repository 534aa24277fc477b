/**
 * Hodges–Lehmann location estimate and its confidence interval, computed exactly in O(n log n)
 * expected time.
 */
import { normalQuantile } from './distributions.js'
import type { Interval } from './intervals.js'
import { createRng } from './rng.js'
import { assertOpenUnit } from './validation.js'

/** Enumerate the remaining candidates directly once there are at most this many (or n). */
const ENUMERATION_LIMIT = 2048

/** Walsh average of two sorted values; one expression everywhere so rounding is consistent. */
function walsh(a: number, b: number): number {
  return (a + b) / 2
}

/** #{i ≤ j : W(i, j) ≤ t} (or < t when `strict`) over sorted x, by a two-pointer sweep in O(n). */
function countWalshBelow(x: Float64Array, t: number, strict: boolean): number {
  const n = x.length
  let count = 0
  let j = n - 1
  for (let i = 0; i < n; i++) {
    // W(i, j) grows with both i and j, so the last admissible j never increases with i.
    while (j >= i) {
      const w = walsh(x[i] as number, x[j] as number)
      if (strict ? w < t : w <= t) break
      j--
    }
    if (j < i) break
    count += j - i + 1
  }
  return count
}

/** The Walsh averages still in play: lower < W < upper; `atOrBelowLower` = #{W ≤ lower}. */
interface WalshRange {
  lower: number
  atOrBelowLower: number
  upper: number
}

const EVERY_WALSH_AVERAGE: WalshRange = { lower: -Infinity, atOrBelowLower: 0, upper: Infinity }

/**
 * The candidate columns first[i]..last[i] of each row i of sorted x within `range`, by two
 * monotone sweeps in O(n). Returns how many candidates there are.
 */
function candidateColumns(
  x: Float64Array,
  range: WalshRange,
  first: Int32Array,
  last: Int32Array
): number {
  const n = x.length
  let candidates = 0
  let firstAbove = n
  let lastBelow = n - 1
  for (let i = 0; i < n; i++) {
    while (firstAbove > 0 && walsh(x[i] as number, x[firstAbove - 1] as number) > range.lower) {
      firstAbove--
    }
    while (lastBelow >= 0 && walsh(x[i] as number, x[lastBelow] as number) >= range.upper) {
      lastBelow--
    }
    first[i] = Math.max(i, firstAbove)
    last[i] = lastBelow
    candidates += Math.max(0, lastBelow - (first[i] as number) + 1)
  }
  return candidates
}

/** The target-th (0-based) candidate, in row order. */
function candidateAt(x: Float64Array, first: Int32Array, last: Int32Array, target: number): number {
  for (let i = 0; i < x.length; i++) {
    const width = Math.max(0, (last[i] as number) - (first[i] as number) + 1)
    if (target < width) return walsh(x[i] as number, x[(first[i] as number) + target] as number)
    target -= width
  }
  return NaN
}

/**
 * Narrows the range of sorted x's Walsh averages around ranks low..high (1-based), by randomized
 * selection on the implicit sorted matrix W(i, j) = (x_i + x_j)/2, i ≤ j (Monahan 1984, "Algorithm
 * 616: Fast computation of the Hodges–Lehmann location estimator", ACM TOMS 10(3); Johnson &
 * Mizoguchi 1978): pick a random candidate as pivot, rank it with two O(n) sweeps and discard the
 * side that holds none of the ranks. The pivot and all its ties leave at once, so heavily tied data
 * (many zero latency log-ratios) converge as fast as continuous data. Stops once at most
 * max(2,048, n) candidates remain, or a pivot falls among the ranks (returned as `hit`). The pivot
 * stream is seeded with a constant: the result is exact whatever the pivots, and the run time is
 * reproducible. Narrowing once for several close ranks (an interval's limits and the estimate)
 * spares each of them the same first sweeps.
 */
function narrowWalsh(
  x: Float64Array,
  low: number,
  high: number,
  start: WalshRange
): { range: WalshRange; hit?: { value: number; below: number; atOrBelow: number } } {
  const n = x.length
  const rng = createRng('evalgate:hodges-lehmann')
  const first = new Int32Array(n)
  const last = new Int32Array(n)
  const range = { ...start }
  for (;;) {
    const candidates = candidateColumns(x, range, first, last)
    if (candidates <= Math.max(ENUMERATION_LIMIT, n)) return { range }
    const pivot = candidateAt(x, first, last, Math.floor(rng() * candidates))
    const below = countWalshBelow(x, pivot, true)
    const atOrBelow = countWalshBelow(x, pivot, false)
    if (atOrBelow < low) {
      range.lower = pivot
      range.atOrBelowLower = atOrBelow
    } else if (below >= high) {
      range.upper = pivot
    } else {
      return { range, hit: { value: pivot, below, atOrBelow } }
    }
  }
}

/** The k-th smallest (1-based) Walsh average of sorted x, searched within `start` (see `narrowWalsh`). */
function selectWalsh(x: Float64Array, k: number, start = EVERY_WALSH_AVERAGE): number {
  const { range, hit } = narrowWalsh(x, k, k, start)
  if (hit !== undefined) return hit.value
  const n = x.length
  const first = new Int32Array(n)
  const last = new Int32Array(n)
  const values = new Float64Array(candidateColumns(x, range, first, last))
  let filled = 0
  for (let i = 0; i < n; i++) {
    for (let j = first[i] as number; j <= (last[i] as number); j++) {
      values[filled++] = walsh(x[i] as number, x[j] as number)
    }
  }
  values.sort()
  return values[k - range.atOrBelowLower - 1] as number
}

/** Smallest Walsh average strictly greater than t, in O(n); Infinity if none. */
function nextWalshAbove(x: Float64Array, t: number): number {
  const n = x.length
  let best = Infinity
  let j = n
  for (let i = 0; i < n; i++) {
    // First column j ≥ i with W(i, j) > t; it never increases with i.
    while (j > 0 && walsh(x[i] as number, x[j - 1] as number) > t) j--
    const column = Math.max(i, j)
    if (column < n) best = Math.min(best, walsh(x[i] as number, x[column] as number))
  }
  return best
}

/**
 * Hodges–Lehmann estimate of the location of the differences (Hodges & Lehmann 1963, "Estimates
 * of location based on rank tests", Ann. Math. Statist. 34:598–611): the median of the
 * n(n + 1)/2 Walsh averages (d_i + d_j)/2, i ≤ j, of all differences (zeros included). It is the
 * estimate that goes with the Wilcoxon signed-rank test.
 *
 * Exact for every n, never approximated or subsampled: the middle order statistic(s) are found by
 * selection (see `selectWalsh`), O(n log n) expected time and O(n) memory; a brute-force list of
 * all averages is built only when there are at most 2,048 of them. NaN for an empty array or
 * any non-finite difference.
 */
export function hodgesLehmann(diffs: readonly number[]): number {
  const x = sortedFinite(diffs)
  return x === null ? NaN : walshMedian(x)
}

/** The differences sorted ascending, or null when empty or any is non-finite. */
function sortedFinite(diffs: readonly number[]): Float64Array | null {
  if (diffs.length === 0 || diffs.some((d) => !Number.isFinite(d))) return null
  return Float64Array.from(diffs).sort()
}

/** The median Walsh average of sorted x; `select(k)` gives the k-th smallest. */
function walshMedian(x: Float64Array, select = (k: number) => selectWalsh(x, k)): number {
  const n = x.length
  const total = (n * (n + 1)) / 2
  const middle = Math.ceil(total / 2)
  const lower = select(middle)
  if (total % 2 === 1) return lower
  const upper = countWalshBelow(x, lower, false) >= middle + 1 ? lower : nextWalshAbove(x, lower)
  return (lower + upper) / 2
}

/** Below this many differences the interval's ranks come from the exact null distribution, as in R. */
const EXACT_INTERVAL_LIMIT = 50

/**
 * The rank C of the lower confidence limit among the Walsh averages: the α/2 quantile of the
 * signed-rank statistic V under the null, i.e. the smallest q with P(V ≤ q) ≥ α/2 (R's
 * `qsignrank(α/2, n)`), at least 1. From 50 differences its normal approximation,
 * round(n(n+1)/4 − z_{1−α/2} √(n(n+1)(2n+1)/24)) (Hollander, Wolfe & Chicken 2014, §3.3).
 */
function lowerLimitRank(n: number, level: number): number {
  const tail = (1 - level) / 2
  if (n >= EXACT_INTERVAL_LIMIT) {
    const spread = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24)
    return Math.max(1, Math.round((n * (n + 1)) / 4 - normalQuantile(1 - tail) * spread))
  }
  // counts[v] = the number of the 2^n sign patterns of the ranks 1..n whose positive ranks sum to v.
  const maximum = (n * (n + 1)) / 2
  const counts = new Float64Array(maximum + 1)
  counts[0] = 1
  for (let rank = 1; rank <= n; rank++) {
    for (let v = maximum; v >= rank; v--)
      counts[v] = (counts[v] as number) + (counts[v - rank] as number)
  }
  const patterns = 2 ** n
  let atOrBelow = 0
  for (let q = 0; q <= maximum; q++) {
    atOrBelow += counts[q] as number
    if (atOrBelow / patterns >= tail) return Math.max(1, q)
  }
  return 1
}

/**
 * Distribution-free confidence interval for the location of the differences that goes with the
 * Hodges–Lehmann estimate and the Wilcoxon signed-rank test (Hollander, Wolfe & Chicken 2014,
 * "Nonparametric Statistical Methods", §3.3; R's `wilcox.test(d, conf.int = TRUE)`): the Walsh
 * averages of order C and M + 1 − C among the M = n(n + 1)/2, C from `lowerLimitRank`. It always
 * contains the estimate, since both are order statistics of the same averages.
 *
 * Like the estimate, it counts every difference, zeros included, and takes the ranks from the
 * null distribution without ties; R instead drops zeros and, with zeros or ties, inverts the
 * normal approximation of the test numerically. With fewer than 6 differences no pair of Walsh
 * averages reaches 95%, and the interval is their whole range (R's too, with a warning).
 * Exact order statistics by selection, O(n log n) expected time and O(n) memory. NaN bounds and
 * estimate for an empty array or any non-finite difference. Throws RangeError for a level
 * outside (0, 1).
 */
export function hodgesLehmannInterval(diffs: readonly number[], level = 0.95): Interval {
  assertOpenUnit(level, 'level')
  const x = sortedFinite(diffs)
  if (x === null) return { estimate: NaN, low: NaN, high: NaN, level }
  const n = x.length
  const lowRank = lowerLimitRank(n, level)
  const highRank = (n * (n + 1)) / 2 + 1 - lowRank
  // The limits and the estimate lie close together: narrow to them once, then select each.
  const { range, hit } = narrowWalsh(x, lowRank, highRank, EVERY_WALSH_AVERAGE)
  const select = (k: number): number => {
    if (hit === undefined) return selectWalsh(x, k, range)
    if (hit.below < k && k <= hit.atOrBelow) return hit.value
    return selectWalsh(
      x,
      k,
      hit.atOrBelow < k
        ? { ...range, lower: hit.value, atOrBelowLower: hit.atOrBelow }
        : { ...range, upper: hit.value }
    )
  }
  return {
    estimate: walshMedian(x, select),
    low: select(lowRank),
    high: select(highRank),
    level
  }
}
