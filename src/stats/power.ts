/**
 * Power analysis for the one-sided paired tests, used to turn an "inconclusive" verdict into
 * advice: the smallest effect this run could have detected, and the cases needed for a given one.
 * Both use the normal approximation of a one-sided paired z-test (Cohen 1988, "Statistical Power
 * Analysis for the Behavioral Sciences", ch. 2; Chow, Shao & Wang 2008, "Sample Size Calculations
 * in Clinical Research", §3.1): n = ((z_{1−α} + z_{power}) σ / δ)².
 */
import { normalQuantile } from './distributions.js'
import { assertOpenUnit } from './validation.js'

const DEFAULT_ALPHA = 0.05
const DEFAULT_POWER = 0.8

function zSum(alpha: number, power: number): number {
  assertOpenUnit(alpha, 'alpha')
  assertOpenUnit(power, 'power')
  return normalQuantile(1 - alpha) + normalQuantile(power)
}

/**
 * Minimum detectable effect (z_{1−α} + z_{power}) · sd / √n, in the units of `sd`. Defaults:
 * α = 0.05, power = 0.8 (factor 2.486). n = 0 gives Infinity (nothing is detectable), sd = 0
 * gives 0. Throws RangeError for α or power outside (0, 1), a negative sd or n, or NaN.
 */
export function minimumDetectableEffect(options: {
  sd: number
  n: number
  alpha?: number
  power?: number
}): number {
  const factor = zSum(options.alpha ?? DEFAULT_ALPHA, options.power ?? DEFAULT_POWER)
  if (!(options.sd >= 0)) throw new RangeError(`sd must be ≥ 0, got ${options.sd}`)
  if (!(options.n >= 0)) throw new RangeError(`n must be ≥ 0, got ${options.n}`)
  if (options.n === 0) return Infinity
  return (factor * options.sd) / Math.sqrt(options.n)
}

/**
 * Cases needed to detect a shift of `effect` (its magnitude; the sign only says the direction):
 * ⌈((z_{1−α} + z_{power}) · sd / effect)²⌉, at least 1. A result within 1e-9 above an integer is
 * rounded down to it, so floating-point noise cannot add a case. effect = 0 gives Infinity.
 * Throws RangeError for α or power outside (0, 1), a negative sd, or NaN.
 */
export function requiredSampleSize(options: {
  sd: number
  effect: number
  alpha?: number
  power?: number
}): number {
  const factor = zSum(options.alpha ?? DEFAULT_ALPHA, options.power ?? DEFAULT_POWER)
  if (!(options.sd >= 0)) throw new RangeError(`sd must be ≥ 0, got ${options.sd}`)
  if (Number.isNaN(options.effect)) throw new RangeError('effect must be a number, got NaN')
  const effect = Math.abs(options.effect)
  if (effect === 0) return options.sd === 0 ? 1 : Infinity
  const exact = ((factor * options.sd) / effect) ** 2
  return Math.max(1, Math.ceil(exact - 1e-9 * Math.max(1, exact)))
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
