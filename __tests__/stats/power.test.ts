import {
  fewestSignificantUnits,
  minimumDetectableEffect,
  requiredSampleSize
} from '../../src/stats/index.js'

// The t quantiles on n − 1 degrees of freedom, from SciPy 1.17:
// stats.t.ppf(0.95, 99) + stats.t.ppf(0.8, 99) = 2.5056581879704876
const T_SUM_99 = 2.5056581879704876

describe('minimumDetectableEffect', () => {
  it('is (t_{1−α, n−1} + t_{power, n−1}) · sd / √n with α = 0.05 and power 0.8 by default', () => {
    expect(minimumDetectableEffect({ sd: 1, n: 100 })).toBeCloseTo(T_SUM_99 / 10, 12)
    expect(minimumDetectableEffect({ sd: 0.5, n: 100 })).toBeCloseTo(T_SUM_99 / 20, 12)
  })

  it('uses t quantiles, not z ones, on a few cases', () => {
    // 6 cases: t_{0.95, 5} + t_{0.8, 5} = 2.9345921535738504 (SciPy), where the normal
    // quantiles gave 2.486: the effect detectable 80% of the time is 1.198 sd, not 1.015.
    expect(minimumDetectableEffect({ sd: 1, n: 6 })).toBeCloseTo(
      2.9345921535738504 / Math.sqrt(6),
      10
    )
  })

  it('takes alpha and power', () => {
    // α = 0.025, power 0.9, 16 cases: t_{0.975, 15} + t_{0.9, 15} = 3.4720551534102317 (SciPy)
    expect(minimumDetectableEffect({ sd: 2, n: 16, alpha: 0.025, power: 0.9 })).toBeCloseTo(
      (3.4720551534102317 * 2) / 4,
      10
    )
  })

  it('asks the estimate to pass a threshold too', () => {
    // 100 cases, sd 1: the test's bound alone is t_{0.95, 99} / 10 = 0.166; beyond a threshold
    // of 0.3 the estimate must be found 80% of the time: 0.3 + t_{0.8, 99} / 10 = 0.3845
    // (stats.t.ppf(0.8, 99) = 0.8452670319534962).
    expect(minimumDetectableEffect({ sd: 1, n: 100, threshold: 0.3 })).toBeCloseTo(
      0.3 + 0.08452670319534962,
      12
    )
    expect(minimumDetectableEffect({ sd: 1, n: 100, threshold: 0.1 })).toBeCloseTo(
      T_SUM_99 / 10,
      12
    )
  })

  it('handles the edges', () => {
    expect(minimumDetectableEffect({ sd: 1, n: 0 })).toBe(Infinity)
    expect(minimumDetectableEffect({ sd: 1, n: 1 })).toBe(Infinity)
    expect(minimumDetectableEffect({ sd: 0, n: 10 })).toBe(0)
    expect(minimumDetectableEffect({ sd: 0, n: 10, threshold: 0.02 })).toBe(0.02)
    expect(() => minimumDetectableEffect({ sd: 1, n: 10, alpha: 0 })).toThrow(RangeError)
    expect(() => minimumDetectableEffect({ sd: -1, n: 10 })).toThrow(RangeError)
    expect(() => minimumDetectableEffect({ sd: 1, n: 10, threshold: -0.1 })).toThrow(RangeError)
  })
})

describe('requiredSampleSize', () => {
  it('is the smallest n whose t-based detectable effect reaches the effect', () => {
    // Half a standard deviation: the normal formula's 24.73 → 25 (Cohen 1988), but at 25 cases
    // t_{0.95, 24} + t_{0.8, 24} = 2.5540, (2.5540 / 0.5)² = 26.09; 27 is the first n whose own
    // quantiles suffice (SciPy search over n).
    expect(requiredSampleSize({ sd: 1, effect: 0.5 })).toBe(27)
    // (2.486475 × 0.3 / 0.02)² = 1391.05 by z; by t 1393.
    expect(requiredSampleSize({ sd: 0.3, effect: 0.02 })).toBe(1393)
    // The sign of the effect does not matter.
    expect(requiredSampleSize({ sd: 0.3, effect: -0.02 })).toBe(1393)
    // One sd: the normal formula said 7 cases (6.18), which detect it 72% of the time; t says 8.
    expect(requiredSampleSize({ sd: 1, effect: 1 })).toBe(8)
  })

  it('counts the threshold the estimate must pass', () => {
    // Effect 0.5 beyond a threshold of 0.45: t_{0.8, n−1} · 1 / √n ≤ 0.05 from n = 285 (SciPy).
    expect(requiredSampleSize({ sd: 1, effect: 0.5, threshold: 0.45 })).toBe(285)
    expect(requiredSampleSize({ sd: 1, effect: 0.5, threshold: 0.5 })).toBe(Infinity)
  })

  it('is consistent with minimumDetectableEffect', () => {
    const n = requiredSampleSize({ sd: 0.4, effect: 0.05, alpha: 0.01, power: 0.9 })
    expect(minimumDetectableEffect({ sd: 0.4, n, alpha: 0.01, power: 0.9 })).toBeLessThanOrEqual(
      0.05
    )
    expect(minimumDetectableEffect({ sd: 0.4, n: n - 1, alpha: 0.01, power: 0.9 })).toBeGreaterThan(
      0.05
    )
  })

  it('handles the edges', () => {
    expect(requiredSampleSize({ sd: 1, effect: 0 })).toBe(Infinity)
    expect(requiredSampleSize({ sd: 0, effect: 0.1 })).toBe(1)
    expect(requiredSampleSize({ sd: 1, effect: 100 })).toBe(2)
    expect(() => requiredSampleSize({ sd: 1, effect: 0.1, power: 1 })).toThrow(RangeError)
    expect(() => requiredSampleSize({ sd: 1, effect: NaN })).toThrow(RangeError)
  })
})

describe('fewestSignificantUnits', () => {
  // The exact one-sided sign test's smallest p on u units is 2^−u (R: binom.test(4, 4,
  // alternative = "greater")$p.value = 0.0625, and 0.03125 for 5 of 5).
  it('is the smallest u with 2^−u ≤ α', () => {
    expect(fewestSignificantUnits(0.05)).toBe(5)
    expect(fewestSignificantUnits(0.0625)).toBe(4)
    expect(fewestSignificantUnits(0.025)).toBe(6)
    expect(fewestSignificantUnits(0.01)).toBe(7)
  })

  it('refuses an α outside (0, 1)', () => {
    expect(() => fewestSignificantUnits(0)).toThrow(RangeError)
    expect(() => fewestSignificantUnits(1)).toThrow(RangeError)
  })
})
