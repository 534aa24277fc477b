/**
 * Power analysis for the one-sided paired tests, used to turn an "inconclusive" verdict into
 * advice: the smallest effect this run could have detected, and the cases needed for a given one.
 * Both use the one-sample t approximation of a one-sided paired test (Cohen 1988, "Statistical
 * Power Analysis for the Behavioral Sciences", ch. 2; Chow, Shao & Wang 2008, "Sample Size
 * Calculations in Clinical Research", §3.1 and §3.2.1, the t form solved for n by iteration):
 * n = ((t_{1−α, n−1} + t_{power, n−1}) σ / δ)². The normal quantiles alone understate the effect a
 * few cases can find: at 6–8 cases the effect they called detectable was found 56–64% of the time
 * instead of 80% (a simulation in the review of this gate).
 */
import { normalQuantile, studentTQuantile } from './distributions.js'
import { assertOpenUnit } from './validation.js'

const DEFAULT_ALPHA = 0.05
const DEFAULT_POWER = 0.8
/** From this many cases the t quantiles are the normal ones to five digits: no iteration. */
const ITERATE_UP_TO = 1_000_000

/** t_{1−α, n−1} and t_{power, n−1}; n ≥ 2. */
function tQuantiles(alpha: number, power: number, n: number): { test: number; power: number } {
  return { test: studentTQuantile(1 - alpha, n - 1), power: studentTQuantile(power, n - 1) }
}

function checkLevels(alpha: number, power: number): void {
  assertOpenUnit(alpha, 'alpha')
  assertOpenUnit(power, 'power')
}

/**
 * Minimum detectable effect (t_{1−α, n−1} + t_{power, n−1}) · sd / √n, in the units of `sd`: the
 * true effect the test finds significant `power` of the time. With `threshold`, a change must
 * also have its estimate beyond it (the gate's noise floor or tolerated ratio): both are bounds on
 * the same estimate, so the effect found `power` of the time is
 * max(threshold, t_{1−α} · sd/√n) + t_{power} · sd/√n. Defaults: α = 0.05, power = 0.8.
 * n < 2 gives Infinity (nothing is detectable), sd = 0 gives the threshold (or 0). Throws
 * RangeError for α or power outside (0, 1), a negative sd, n or threshold, or NaN.
 */
export function minimumDetectableEffect(options: {
  sd: number
  n: number
  alpha?: number
  power?: number
  threshold?: number
}): number {
  const alpha = options.alpha ?? DEFAULT_ALPHA
  const power = options.power ?? DEFAULT_POWER
  checkLevels(alpha, power)
  const threshold = options.threshold ?? 0
  if (!(options.sd >= 0)) throw new RangeError(`sd must be ≥ 0, got ${options.sd}`)
  if (!(options.n >= 0)) throw new RangeError(`n must be ≥ 0, got ${options.n}`)
  if (!(threshold >= 0)) throw new RangeError(`threshold must be ≥ 0, got ${threshold}`)
  if (options.n < 2) return Infinity
  if (options.sd === 0) return threshold
  const q = tQuantiles(alpha, power, options.n)
  const se = options.sd / Math.sqrt(options.n)
  return Math.max(threshold, q.test * se) + q.power * se
}

/**
 * Cases needed to detect a shift of `effect` (its magnitude; the sign only says the direction):
 * the smallest n ≥ 2 whose minimumDetectableEffect (with the same `threshold`) is at most
 * `effect`; without a threshold, (t_{1−α, n−1} + t_{power, n−1}) · sd / √n ≤ effect. A result within
 * 1e-9 above an integer is rounded down to it, so floating-point noise cannot add a case.
 * effect = 0, or an effect not beyond the threshold, gives Infinity; sd = 0 gives 1. Throws
 * RangeError for α or power outside (0, 1), a negative sd or threshold, or NaN.
 */
export function requiredSampleSize(options: {
  sd: number
  effect: number
  alpha?: number
  power?: number
  threshold?: number
}): number {
  const alpha = options.alpha ?? DEFAULT_ALPHA
  const power = options.power ?? DEFAULT_POWER
  checkLevels(alpha, power)
  const threshold = options.threshold ?? 0
  if (!(options.sd >= 0)) throw new RangeError(`sd must be ≥ 0, got ${options.sd}`)
  if (Number.isNaN(options.effect)) throw new RangeError('effect must be a number, got NaN')
  if (!(threshold >= 0)) throw new RangeError(`threshold must be ≥ 0, got ${threshold}`)
  const effect = Math.abs(options.effect)
  if (options.sd === 0) return 1
  if (effect === 0 || effect <= threshold) return Infinity
  // The estimate must pass the threshold `power` of the time and the test's bound too: n for
  // the larger of t_{power} · sd / (effect − threshold) and (t_{1−α} + t_{power}) · sd / effect.
  const sizeFor = (q: { test: number; power: number }) => {
    const exact = Math.max(
      ((q.power * options.sd) / (effect - threshold)) ** 2,
      (((q.test + q.power) * options.sd) / effect) ** 2
    )
    return Math.max(2, Math.ceil(exact - 1e-9 * Math.max(1, exact)))
  }
  // The t quantiles only ask for more than the normal ones, and a few cases more at most: count
  // up from the normal size to the first n that suffices on its own quantiles.
  let n = sizeFor({ test: normalQuantile(1 - alpha), power: normalQuantile(power) })
  if (n >= ITERATE_UP_TO) return n
  while (sizeFor(tQuantiles(alpha, power, n)) > n) n++
  return n
}

/**
 * The fewest paired units (cases, or clusters) with which an exact one-sided sign-flip test can
 * reach `alpha`: its smallest p-value on u units, all moved the same way, is 2^−u, so
 * u ≥ log2(1 / α) — 5 at α = 0.05. Below it no change, however large, is significant.
 * Throws RangeError for α outside (0, 1).
 */
export function fewestSignificantUnits(alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`)
  return Math.ceil(Math.log2(1 / alpha) - 1e-12)
}
