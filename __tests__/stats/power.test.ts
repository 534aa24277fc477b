import {
  fewestSignificantUnits,
  minimumDetectableEffect,
  requiredSampleSize
} from '../../src/stats/index.js'

// z_{0.95} + z_{0.8} = 1.644854 + 0.841621 = 2.486475
// (SciPy: stats.norm.ppf(0.95) + stats.norm.ppf(0.8) = 2.4864748605243863)
const Z_SUM = 2.4864748605243863

describe('minimumDetectableEffect', () => {
  it('is (z_{1−α} + z_power) · sd / √n with α = 0.05 and power 0.8 by default', () => {
    expect(minimumDetectableEffect({ sd: 1, n: 100 })).toBeCloseTo(Z_SUM / 10, 14)
    // Halving the noise or quadrupling the cases halves the detectable effect.
    expect(minimumDetectableEffect({ sd: 0.5, n: 100 })).toBeCloseTo(Z_SUM / 20, 14)
    expect(minimumDetectableEffect({ sd: 1, n: 400 })).toBeCloseTo(Z_SUM / 20, 14)
  })

  it('takes alpha and power', () => {
    // α = 0.025, power 0.9: 1.959964 + 1.281552 = 3.241516 (R: qnorm(0.975) + qnorm(0.9))
    expect(minimumDetectableEffect({ sd: 2, n: 16, alpha: 0.025, power: 0.9 })).toBeCloseTo(
      (3.241516 * 2) / 4,
      5
    )
  })

  it('handles the edges', () => {
    expect(minimumDetectableEffect({ sd: 1, n: 0 })).toBe(Infinity)
    expect(minimumDetectableEffect({ sd: 0, n: 10 })).toBe(0)
    expect(() => minimumDetectableEffect({ sd: 1, n: 10, alpha: 0 })).toThrow(RangeError)
    expect(() => minimumDetectableEffect({ sd: -1, n: 10 })).toThrow(RangeError)
  })
})

describe('requiredSampleSize', () => {
  it('matches the textbook formula', () => {
    // Effect of half a standard deviation: (2.486475 / 0.5)² = 24.73 → 25 cases
    // (Cohen 1988: one-sided α = 0.05, power 0.8, d = 0.5 needs 25 pairs by the normal formula).
    expect(requiredSampleSize({ sd: 1, effect: 0.5 })).toBe(25)
    // (2.486475 × 0.3 / 0.02)² = 1391.05 → 1392
    expect(requiredSampleSize({ sd: 0.3, effect: 0.02 })).toBe(1392)
    // The sign of the effect does not matter.
    expect(requiredSampleSize({ sd: 0.3, effect: -0.02 })).toBe(1392)
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
    expect(requiredSampleSize({ sd: 1, effect: 100 })).toBe(1)
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
