/**
 * Descriptive statistics. Conventions follow R: an empty input gives NaN, a NaN in the input
 * propagates to the result.
 */

/**
 * Neumaier's compensated sum (1974) of `x − shift` over `xs`: no drift with n. The rounding error
 * of each subtraction is compensated too, so that the residuals of a mean sum to what they should
 * under cancellation (1e16 − ⅓ is 1e16 in floating point).
 */
function compensatedSum(xs: readonly number[], shift = 0): number {
  let sum = 0
  let compensation = 0
  for (const value of xs) {
    const x = value - shift
    compensation += Math.abs(value) >= Math.abs(shift) ? value - x - shift : value - (x + shift)
    const next = sum + x
    compensation += Math.abs(sum) >= Math.abs(x) ? sum - next + x : x - next + sum
    sum = next
  }
  return Number.isFinite(sum) ? sum + compensation : sum
}

/**
 * Arithmetic mean, NaN for an empty array: a compensated sum, refined as R's `mean.default` does
 * by the mean residual (summed the same way), so integer data (a 2-point drop, −5 / 250) and
 * constant data give their exact mean, which a verdict at a tolerance depends on. A sum that
 * overflows although every value is finite (−1e308, −1e308, 1e308) is taken over the values
 * scaled by a power of two, which is exact.
 */
export function mean(xs: readonly number[]): number {
  const n = xs.length
  if (n === 0) return NaN
  const first = compensatedSum(xs) / n
  if (Number.isFinite(first)) {
    const refined = first + compensatedSum(xs, first) / n
    if (Number.isFinite(refined)) return refined
  }
  if (!xs.every(Number.isFinite)) return first
  const scale = 2 ** -Math.ceil(Math.log2(n))
  return mean(xs.map((x) => x * scale)) / scale
}

/**
 * Sample variance with the n − 1 denominator; NaN when n < 2. Two-pass algorithm with the
 * compensation term of Chan, Golub & LeVeque (1983, "Algorithms for computing the sample
 * variance"), so a large common offset does not destroy precision.
 */
export function variance(xs: readonly number[]): number {
  const n = xs.length
  if (n < 2) return NaN
  const m = mean(xs)
  if (!Number.isFinite(m)) return NaN
  let squares = 0
  let residual = 0
  for (const x of xs) {
    const deviation = x - m
    squares += deviation * deviation
    residual += deviation
  }
  if (squares === Infinity) {
    // Squares past the largest double from finite values (deviations of 1e308): the same over
    // the values scaled by a power of two (exact), scaled back, Infinity only if it is that large.
    const scale = 2 ** -(514 + Math.ceil(Math.log2(n)))
    return variance(xs.map((x) => x * scale)) / scale / scale
  }
  return Math.max(0, (squares - (residual * residual) / n) / (n - 1))
}

/** Sample standard deviation, sqrt of `variance`; NaN when n < 2. */
export function standardDeviation(xs: readonly number[]): number {
  return Math.sqrt(variance(xs))
}

/**
 * Quantile of an ascending-sorted array by Hyndman & Fan (1996) definition 7, R's default:
 * h = (n − 1)p, result x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]). Accepts typed arrays so the
 * bootstrap can sort a Float64Array in place.
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length
  if (n === 0 || !(p >= 0 && p <= 1)) return NaN
  const h = (n - 1) * p
  const below = Math.floor(h)
  const low = sorted[below] as number
  if (below >= n - 1) return low
  const high = sorted[below + 1] as number
  const fraction = h - below
  return fraction === 0 ? low : low + fraction * (high - low)
}

/**
 * Type-7 quantile (R's `quantile(x, p)` default, NumPy's `linear`) of an unsorted array; the
 * input is copied, never reordered. NaN for an empty array, for p outside [0, 1], or when the
 * array contains NaN (R refuses such input unless `na.rm = TRUE`).
 */
export function quantile(xs: readonly number[], p: number): number {
  if (xs.length === 0 || !(p >= 0 && p <= 1)) return NaN
  const sorted = Float64Array.from(xs)
  if (sorted.some(Number.isNaN)) return NaN
  sorted.sort()
  return quantileSorted(sorted, p)
}

/** Median: the type-7 quantile at 0.5 (the mean of the two middle values for even n). */
export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5)
}
