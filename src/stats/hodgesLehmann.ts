/**
 * Hodges–Lehmann location estimate, computed exactly in O(n log n) expected time.
 */
import { createRng } from './rng.js'

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

/**
 * The k-th smallest (1-based) Walsh average of sorted x, by randomized selection on the implicit
 * sorted matrix W(i, j) = (x_i + x_j)/2, i ≤ j (Monahan 1984, "Algorithm 616: Fast computation of
 * the Hodges–Lehmann location estimator", ACM TOMS 10(3); Johnson & Mizoguchi 1978): keep, per row,
 * the column range of candidates strictly between two bounds, pick a random candidate as pivot,
 * rank it with two O(n) sweeps and discard one side. The pivot and all its ties leave at once, so
 * heavily tied data (many zero latency log-ratios) converge as fast as continuous data. The pivot
 * stream is seeded with a constant: the result is exact whatever the pivots, and the run time is
 * reproducible.
 */
function selectWalsh(x: Float64Array, k: number): number {
  const n = x.length
  const rng = createRng('evalgate:hodges-lehmann')
  let lowerBound = -Infinity
  let upperBound = Infinity
  let countAtOrBelowLower = 0
  const first = new Int32Array(n)
  const last = new Int32Array(n)
  for (;;) {
    // Candidate columns of row i: first[i]..last[i], those with lowerBound < W < upperBound.
    let candidates = 0
    let firstAbove = n
    let lastBelow = n - 1
    for (let i = 0; i < n; i++) {
      while (firstAbove > 0 && walsh(x[i] as number, x[firstAbove - 1] as number) > lowerBound) {
        firstAbove--
      }
      while (lastBelow >= 0 && walsh(x[i] as number, x[lastBelow] as number) >= upperBound) {
        lastBelow--
      }
      first[i] = Math.max(i, firstAbove)
      last[i] = lastBelow
      candidates += Math.max(0, lastBelow - (first[i] as number) + 1)
    }
    const rankAmongCandidates = k - countAtOrBelowLower
    if (candidates <= Math.max(ENUMERATION_LIMIT, n)) {
      const values = new Float64Array(candidates)
      let filled = 0
      for (let i = 0; i < n; i++) {
        for (let j = first[i] as number; j <= (last[i] as number); j++) {
          values[filled++] = walsh(x[i] as number, x[j] as number)
        }
      }
      values.sort()
      return values[rankAmongCandidates - 1] as number
    }
    let target = Math.floor(rng() * candidates)
    let pivot = NaN
    for (let i = 0; i < n; i++) {
      const width = Math.max(0, (last[i] as number) - (first[i] as number) + 1)
      if (target < width) {
        pivot = walsh(x[i] as number, x[(first[i] as number) + target] as number)
        break
      }
      target -= width
    }
    const below = countWalshBelow(x, pivot, true)
    const atOrBelow = countWalshBelow(x, pivot, false)
    if (below < k && k <= atOrBelow) return pivot
    if (atOrBelow < k) {
      lowerBound = pivot
      countAtOrBelowLower = atOrBelow
    } else {
      upperBound = pivot
    }
  }
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
  const n = diffs.length
  if (n === 0 || diffs.some((d) => !Number.isFinite(d))) return NaN
  const x = Float64Array.from(diffs).sort()
  const total = (n * (n + 1)) / 2
  const middle = Math.ceil(total / 2)
  const lower = selectWalsh(x, middle)
  if (total % 2 === 1) return lower
  const upper = countWalshBelow(x, lower, false) >= middle + 1 ? lower : nextWalshAbove(x, lower)
  return (lower + upper) / 2
}
