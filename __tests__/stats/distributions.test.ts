import {
  binomialCdf,
  binomialPmf,
  logBeta,
  logGamma,
  normalCdf,
  normalQuantile,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTQuantile
} from '../../src/stats/index.js'
import { expectRelativelyClose } from './closeTo.js'

// Reference values: R (7 significant digits as printed), SciPy 1.17.1 (`scipy.stats`,
// `scipy.special`, 16 digits), or closed forms stated next to them.

describe('logGamma', () => {
  it.each([
    // R: lgamma(0.5) = 0.5723649 = log(sqrt(pi))
    [0.5, Math.log(Math.sqrt(Math.PI)), 1e-14],
    // R: lgamma(10) = 12.80183 = log(9!) = log(362880)
    [10, Math.log(362880), 1e-14],
    // SciPy: special.gammaln(100) = 359.1342053695754 (R: lgamma(100) = 359.1342)
    [100, 359.1342053695754, 1e-14],
    // SciPy: special.gammaln(1e6) = 12815504.569147611
    [1e6, 12815504.569147611, 1e-13],
    // SciPy: special.gammaln(1e-8) = 18.42068073818021 (≈ −log(1e-8))
    [1e-8, 18.42068073818021, 1e-13],
    // SciPy: special.gammaln(3.7) = 1.428072326665388
    [3.7, 1.428072326665388, 1e-14],
    // log|Γ(−0.5)| = log(2√π): R: lgamma(-0.5) = 1.265512
    [-0.5, Math.log(2 * Math.sqrt(Math.PI)), 1e-14]
  ])('lgamma(%p)', (x, expected, relative) => {
    expectRelativelyClose(logGamma(x), expected, relative)
  })

  it('is exactly 0 at 1 and 2 to within 1e-15 and +Infinity at the poles, as R', () => {
    expect(Math.abs(logGamma(1))).toBeLessThan(1e-15)
    expect(Math.abs(logGamma(2))).toBeLessThan(1e-15)
    expect(logGamma(0)).toBe(Infinity)
    expect(logGamma(-3)).toBe(Infinity)
    expect(logGamma(NaN)).toBeNaN()
  })

  it('satisfies the recurrence log Γ(x+1) = log Γ(x) + log x', () => {
    for (const x of [0.3, 1.7, 4.2, 12.5, 150.25]) {
      expect(logGamma(x + 1)).toBeCloseTo(logGamma(x) + Math.log(x), 12)
    }
  })
})

describe('logBeta', () => {
  it('matches B(½, ½) = π and SciPy for large arguments, where log-gammas nearly cancel', () => {
    expectRelativelyClose(logBeta(0.5, 0.5), Math.log(Math.PI), 1e-14)
    // SciPy: special.betaln(1e4, 2e4) = -19098.908538220945
    expectRelativelyClose(logBeta(1e4, 2e4), -19098.908538220945, 1e-14)
    // Closed form B(3, n) = 2 / (n (n+1) (n+2)); for n = 1e6 its log is -40.75338749333037700
    // (mpmath, 30 digits). SciPy's special.betaln(3, 1e6) prints -40.75338749401271, 7e-10 off.
    expectRelativelyClose(logBeta(3, 1e6), -40.75338749333038, 1e-14)
  })
})

describe('regularizedIncompleteBeta', () => {
  it('matches closed forms', () => {
    // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 − (1 − x)^b; I_½(a, a) = ½
    expect(regularizedIncompleteBeta(0.37, 1, 1)).toBeCloseTo(0.37, 14)
    expect(regularizedIncompleteBeta(0.6, 4, 1)).toBeCloseTo(0.6 ** 4, 14)
    expect(regularizedIncompleteBeta(0.2, 1, 7)).toBeCloseTo(1 - 0.8 ** 7, 14)
    expect(regularizedIncompleteBeta(0.5, 37.5, 37.5)).toBeCloseTo(0.5, 13)
    // I_x(½, ½) = (2/π) asin(√x): SciPy special.betainc(0.5, 0.5, 0.2) = 0.2951672353008665
    expectRelativelyClose(regularizedIncompleteBeta(0.2, 0.5, 0.5), 0.2951672353008665, 1e-13)
  })

  it('matches SciPy', () => {
    // SciPy: special.betainc(2, 3, 0.3) = 0.3483 (exactly 0.3483 by the polynomial form)
    expectRelativelyClose(regularizedIncompleteBeta(0.3, 2, 3), 0.3483, 1e-13)
    // SciPy: special.betainc(100, 200, 0.3) = 0.10884306564490986
    expectRelativelyClose(regularizedIncompleteBeta(0.3, 100, 200), 0.10884306564490986, 1e-11)
  })

  it('returns NaN outside its domain', () => {
    expect(regularizedIncompleteBeta(1.2, 1, 1)).toBeNaN()
    expect(regularizedIncompleteBeta(0.5, 0, 1)).toBeNaN()
  })
})

describe('normalCdf', () => {
  it.each([
    // R: pnorm(-1.959964) = 0.025 (0.02499999 in SciPy's 9 digits: 2.49999991e-02)
    [-1.959964, 0.0249999991, 1e-8],
    // R: pnorm(1.644854) = 0.95
    [1.644854, 0.950000038, 1e-8],
    // R: pnorm(-10) = 7.619853e-24 — deep tail, must keep relative precision
    [-10, 7.619853e-24, 1e-6],
    // R: pnorm(-37.5) = 4.605353e-308, just above the underflow point
    [-37.5, 4.605353e-308, 1e-6],
    // R: pnorm(3) = 0.9986501
    [3, 0.9986501, 1e-7],
    [0, 0.5, 1e-16]
  ])('pnorm(%p)', (x, expected, relative) => {
    expectRelativelyClose(normalCdf(x), expected, relative)
  })

  it('is symmetric, monotone and saturates at ±Infinity', () => {
    for (const x of [0.1, 0.7, 1.3, 1.5, 2.2, 4, 8]) {
      expect(normalCdf(-x) + normalCdf(x)).toBeCloseTo(1, 15)
      expect(normalCdf(x + 0.01)).toBeGreaterThan(normalCdf(x))
    }
    expect(normalCdf(-Infinity)).toBe(0)
    expect(normalCdf(Infinity)).toBe(1)
    expect(normalCdf(-40)).toBe(0)
    expect(normalCdf(NaN)).toBeNaN()
  })
})

describe('normalQuantile', () => {
  it.each([
    // R: qnorm(0.975) = 1.959964
    [0.975, 1.959964, 1e-6],
    // SciPy: stats.norm.ppf(0.95) = 1.6448536269514722
    [0.95, 1.6448536269514722, 1e-14],
    // SciPy: stats.norm.ppf(1e-10) = -6.361340902404056
    [1e-10, -6.361340902404056, 1e-14],
    // SciPy: stats.norm.ppf(1e-300) = -37.04709629... (R: qnorm(1e-300) = -37.0471)
    [1e-300, -37.0470962, 1e-8],
    // SciPy: stats.norm.ppf(0.999) = 3.090232306167813
    [0.999, 3.090232306167813, 1e-14]
  ])('qnorm(%p)', (p, expected, relative) => {
    expectRelativelyClose(normalQuantile(p), expected, relative)
  })

  it('inverts normalCdf across the range, including both tails', () => {
    for (const p of [1e-250, 1e-20, 1e-6, 0.01, 0.02425, 0.3, 0.5, 0.77, 0.99, 1 - 1e-9]) {
      expectRelativelyClose(normalCdf(normalQuantile(p)), p, 1e-12)
    }
  })

  it('returns ±Infinity at 0 and 1 and NaN outside [0, 1]', () => {
    expect(normalQuantile(0)).toBe(-Infinity)
    expect(normalQuantile(1)).toBe(Infinity)
    expect(normalQuantile(0.5)).toBe(0)
    expect(normalQuantile(-0.1)).toBeNaN()
    expect(normalQuantile(1.1)).toBeNaN()
  })
})

describe('studentTCdf', () => {
  it.each([
    // R: pt(2.0, 5) = 0.9490303
    [2, 5, 0.9490303, 1e-7],
    // R: pt(-3, 1) = 0.1024164 (Cauchy: 1/2 + atan(-3)/π)
    [-3, 1, 0.5 + Math.atan(-3) / Math.PI, 1e-14],
    // R: pt(1.812461, 10) = 0.95 (the t table's one-sided 5% point for df = 10)
    [1.812461, 10, 0.95, 1e-7],
    // SciPy: stats.t.cdf(-40, 3) = 1.7190340394579253e-05
    [-40, 3, 1.7190340394579253e-5, 1e-12],
    // SciPy: stats.t.cdf(-2.5, 4.5) = 0.029952843251100272 (fractional df)
    [-2.5, 4.5, 0.029952843251100272, 1e-12],
    // SciPy: stats.t.cdf(1.96, 1e5) = 0.9750007184028492
    [1.96, 1e5, 0.9750007184028492, 1e-12],
    // SciPy: stats.t.cdf(-6, 2e7) = 9.866045057366984e-10 (normal-approximation branch)
    [-6, 2e7, 9.866045057366984e-10, 1e-8]
  ])('pt(%p, %p)', (t, df, expected, relative) => {
    expectRelativelyClose(studentTCdf(t, df), expected, relative)
  })

  it('matches the closed form for df = 2: F(t) = ½ + t / (2√(2 + t²))', () => {
    for (const t of [-50, -3, -0.4, 0, 1.1, 7]) {
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 14)
    }
  })

  it('handles the edges: df = Infinity is the normal, huge |t| does not overflow', () => {
    expect(studentTCdf(1.3, Infinity)).toBe(normalCdf(1.3))
    // Cauchy tail: F(−t) ≈ 1/(π t) for huge t.
    expectRelativelyClose(studentTCdf(-1e200, 1), 1 / (Math.PI * 1e200), 1e-12)
    expect(studentTCdf(-1e200, 5e5)).toBe(0)
    expect(studentTCdf(Infinity, 3)).toBe(1)
    expect(studentTCdf(0, 3)).toBe(0.5)
    expect(studentTCdf(1, 0)).toBeNaN()
    expect(studentTCdf(1, -2)).toBeNaN()
  })
})

describe('studentTQuantile', () => {
  it.each([
    // R: qt(0.975, 10) = 2.228139
    [0.975, 10, 2.228139, 1e-6],
    // R: qt(0.975, 1) = 12.7062 (= tan(0.475π))
    [0.975, 1, 12.706204736174694, 1e-13],
    // R: qt(0.95, 30) = 1.697261
    [0.95, 30, 1.697261, 1e-6],
    // R: qt(0.995, 5) = 4.032143
    [0.995, 5, 4.032143, 1e-6],
    // SciPy: stats.t.ppf(0.975, 99999) = 1.9599877077718442
    [0.975, 99999, 1.9599877077718442, 1e-10],
    // SciPy: stats.t.ppf(1e-10, 3) = -2225.769284683093
    [1e-10, 3, -2225.769284683093, 1e-10],
    // R: qt(0.025, 2) = -4.302653
    [0.025, 2, -4.302653, 1e-6],
    // SciPy: stats.t.ppf(0.9, 2.5) = 1.7302509288071766
    [0.9, 2.5, 1.7302509288071766, 1e-11]
  ])('qt(%p, %p)', (p, df, expected, relative) => {
    expectRelativelyClose(studentTQuantile(p, df), expected, relative)
  })

  it('inverts studentTCdf, including far tails and large df', () => {
    for (const df of [1.5, 3, 7, 49, 1000, 3e5]) {
      for (const p of [1e-200, 1e-12, 0.001, 0.2, 0.5, 0.8, 0.975]) {
        const t = studentTQuantile(p, df)
        expectRelativelyClose(studentTCdf(t, df), p, 1e-9)
      }
    }
  })

  it('handles the edges', () => {
    expect(studentTQuantile(0, 4)).toBe(-Infinity)
    expect(studentTQuantile(1, 4)).toBe(Infinity)
    expect(studentTQuantile(0.5, 4)).toBe(0)
    expect(studentTQuantile(0.975, Infinity)).toBe(normalQuantile(0.975))
    expect(studentTQuantile(0.5, 0)).toBeNaN()
    expect(studentTQuantile(2, 4)).toBeNaN()
  })
})

describe('binomial', () => {
  it('matches hand computations for n = 10, p = ½', () => {
    // C(10,3)/2^10 = 120/1024; R: dbinom(3, 10, 0.5) = 0.1171875
    expect(binomialPmf(3, 10, 0.5)).toBeCloseTo(120 / 1024, 15)
    // (1 + 10 + 45 + 120)/1024 = 176/1024; R: pbinom(3, 10, 0.5) = 0.171875
    expect(binomialCdf(3, 10, 0.5)).toBeCloseTo(176 / 1024, 15)
  })

  it.each([
    // SciPy: stats.binom.pmf(7, 20, 0.3) = 0.1642619852172366
    ['pmf', 7, 20, 0.3, 0.1642619852172366],
    // SciPy: stats.binom.pmf(50000, 100000, 0.5) = 0.0025231262141967386
    ['pmf', 50000, 100000, 0.5, 0.0025231262141967386],
    // SciPy: stats.binom.pmf(0, 100000, 1e-5) = 0.3678776017665722 (= (1 − 1e-5)^1e5)
    ['pmf', 0, 100000, 1e-5, 0.3678776017665722],
    // SciPy: stats.binom.cdf(12, 100, 0.2) = 0.02532875322139711
    ['cdf', 12, 100, 0.2, 0.02532875322139711],
    // SciPy: stats.binom.cdf(2, 1000, 0.01) = 0.00267943199379151
    ['cdf', 2, 1000, 0.01, 0.00267943199379151],
    // SciPy: stats.binom.cdf(50000, 100000, 0.5) = 0.5012615631070978
    ['cdf', 50000, 100000, 0.5, 0.5012615631070978]
  ])('%s(%p, %p, %p)', (kind, k, n, p, expected) => {
    const actual = kind === 'pmf' ? binomialPmf(k, n, p) : binomialCdf(k, n, p)
    expectRelativelyClose(actual, expected, 1e-10)
  })

  it('the CDF equals the running sum of the PMF', () => {
    for (const [n, p] of [
      [15, 0.5],
      [40, 0.13],
      [7, 0.9]
    ] as const) {
      let running = 0
      for (let k = 0; k <= n; k++) {
        running += binomialPmf(k, n, p)
        expect(binomialCdf(k, n, p)).toBeCloseTo(running, 13)
      }
    }
  })

  it('handles degenerate and invalid parameters like R', () => {
    expect(binomialPmf(0, 0, 0.3)).toBe(1)
    expect(binomialPmf(2, 5, 0)).toBe(0)
    expect(binomialPmf(5, 5, 1)).toBe(1)
    expect(binomialPmf(2.5, 5, 0.5)).toBe(0)
    expect(binomialPmf(6, 5, 0.5)).toBe(0)
    expect(binomialCdf(-1, 5, 0.5)).toBe(0)
    expect(binomialCdf(5, 5, 0.5)).toBe(1)
    expect(binomialCdf(2.7, 5, 0.5)).toBe(binomialCdf(2, 5, 0.5))
    expect(binomialCdf(1, 5, 1.5)).toBeNaN()
    expect(binomialPmf(1, 4.5, 0.5)).toBeNaN()
  })
})
