import {
  createRng,
  holm,
  mcnemarExact,
  signFlipTest,
  wilcoxonSignedRank,
  type Alternative
} from '../../src/stats/index.js'
import { expectRelativelyClose } from './closeTo.js'

describe('mcnemarExact (mid-p)', () => {
  it('matches a hand computation for b = 5, c = 1', () => {
    // X ~ Bin(6, ½): P(X = 6) = 1/64, P(X = 5) = 6/64, P(X ≤ 1) = 7/64.
    // less:      P(X > 5) + ½ P(X = 5) = 1/64 + 3/64 = 0.0625
    // greater:   P(X < 5) + ½ P(X = 5) = 57/64 + 3/64 = 0.9375
    // two-sided: 2 P(X ≤ 1) − P(X = 1) = 14/64 − 6/64 = 0.125
    const less = mcnemarExact(5, 1, 'less')
    expect(less.pValue).toBeCloseTo(0.0625, 15)
    expect(less.statistic).toBe(5)
    expect(less.exact).toBe(true)
    expect(mcnemarExact(5, 1, 'greater').pValue).toBeCloseTo(0.9375, 14)
    expect(mcnemarExact(5, 1, 'two-sided').pValue).toBeCloseTo(0.125, 14)
  })

  it('matches a hand computation for b = 12, c = 3', () => {
    // n = 15: P(X > 12) = (105 + 15 + 1)/2^15, ½ P(X = 12) = 227.5/2^15 → 348.5/32768
    // SciPy: stats.binom.sf(12, 15, .5) + .5 * stats.binom.pmf(12, 15, .5) = 0.010635375976562493
    expect(mcnemarExact(12, 3).pValue).toBeCloseTo(348.5 / 32768, 15)
  })

  it.each([
    // SciPy: binom.sf(30, 40, .5) + .5*binom.pmf(30, 40, .5) = 0.0007252455070556598
    [30, 10, 'less', 0.0007252455070556598],
    // SciPy: binom.cdf(29, 40, .5) + .5*binom.pmf(30, 40, .5) = 0.9992747544929443
    [30, 10, 'greater', 0.9992747544929443],
    // SciPy: 2*binom.cdf(10, 40, .5) - binom.pmf(10, 40, .5) = 0.0014504910141113232
    [30, 10, 'two-sided', 0.0014504910141113232],
    // The mirror: head better shows up under 'greater'.
    [10, 30, 'greater', 0.0007252455070556598],
    // SciPy: binom.sf(100, 170, .5) + .5*binom.pmf(100, 170, .5) = 0.01075327123162513
    [100, 70, 'less', 0.01075327123162513]
  ] as const)('b = %p, c = %p, %s', (b, c, alternative, expected) => {
    expectRelativelyClose(mcnemarExact(b, c, alternative).pValue, expected, 1e-11)
  })

  it('defaults to the drop test (less) and keeps tiny p-values precise', () => {
    expect(mcnemarExact(30, 10)).toEqual(mcnemarExact(30, 10, 'less'))
    // b = 60, c = 0: P(X > 60) = 0, ½ P(X = 60) = 2^-61
    expectRelativelyClose(mcnemarExact(60, 0).pValue, 2 ** -61, 1e-12)
  })

  it('gives p = 1 with no discordant pairs and p = 1 two-sided when b = c', () => {
    expect(mcnemarExact(0, 0, 'less')).toEqual({
      pValue: 1,
      statistic: 0,
      exact: true,
      smallestPValue: 1
    })
    expect(mcnemarExact(0, 0, 'two-sided').pValue).toBe(1)
    expect(mcnemarExact(7, 7, 'two-sided').pValue).toBeCloseTo(1, 14)
    expect(mcnemarExact(7, 7, 'less').pValue).toBeCloseTo(0.5, 14)
  })

  it('is exact at small n, never below its own smallest p-value', () => {
    // X ~ Bin(1, ½): two-sided 2 P(X ≤ 0) − P(X = 0) = 1 − ½ = ½, the smallest p of one pair
    // (SciPy: 2*binom.cdf(0, 1, .5) - binom.pmf(0, 1, .5) = 0.5); one-sided ½ P(X = 1) = ¼.
    expect(mcnemarExact(1, 0, 'two-sided')).toEqual({
      pValue: 0.5,
      statistic: 1,
      exact: true,
      smallestPValue: 0.5
    })
    expect(mcnemarExact(0, 1, 'two-sided').pValue).toBe(0.5)
    expect(mcnemarExact(1, 0, 'less').pValue).toBe(0.25)
    expect(mcnemarExact(0, 1, 'greater').pValue).toBe(0.25)
    // n = 15 by hand above: 348.5 / 32768 exactly.
    expect(mcnemarExact(12, 3).pValue).toBe(348.5 / 32768)
    for (let n = 1; n <= 60; n++) {
      for (const alternative of ['less', 'greater', 'two-sided'] as const) {
        const result = mcnemarExact(n, 0, alternative)
        expect(result.pValue).toBeGreaterThanOrEqual(result.smallestPValue)
      }
    }
  })

  it('rejects non-count arguments', () => {
    expect(() => mcnemarExact(-1, 2)).toThrow(RangeError)
    expect(() => mcnemarExact(1.5, 2)).toThrow(RangeError)
    expect(() => mcnemarExact(1, NaN)).toThrow(RangeError)
  })
})

/**
 * Brute force: share of all 2^m sign patterns at least as extreme as the observed sum, visiting
 * the patterns in Gray-code order so each step flips one sign. Callers pass dyadic values
 * (multiples of 1/8), for which every partial sum is exact in floating point, so the comparison
 * with the observed sum needs no tolerance.
 */
function enumerateSignFlip(diffs: readonly number[], alternative: Alternative): number {
  const magnitudes = diffs.filter((d) => d !== 0).map(Math.abs)
  const observed = diffs.reduce((sum, d) => sum + d, 0)
  const m = magnitudes.length
  const patterns = 2 ** m
  let sum = magnitudes.reduce((total, d) => total + d, 0)
  const positive = new Array<boolean>(m).fill(true)
  let extreme = 0
  for (let step = 0; step < patterns; step++) {
    if (step > 0) {
      const flip = 31 - Math.clz32(step & -step)
      sum += positive[flip] ? -2 * magnitudes[flip]! : 2 * magnitudes[flip]!
      positive[flip] = !positive[flip]
    }
    if (alternative === 'greater' && sum >= observed) extreme++
    if (alternative === 'less' && sum <= observed) extreme++
    if (alternative === 'two-sided' && Math.abs(sum) >= Math.abs(observed)) extreme++
  }
  return extreme / patterns
}

describe('signFlipTest', () => {
  it('uses the normal approximation above 5,000 non-zero differences', () => {
    // 3,060 × (+1) and 2,940 × (−1): observed sum 120, variance Σd² = 6,000.
    // R: pnorm(120 / sqrt(6000), lower.tail = FALSE) = 0.06066763
    const diffs = [...Array<number>(3060).fill(1), ...Array<number>(2940).fill(-1), 0, 0]
    const greater = signFlipTest(diffs, { alternative: 'greater', rng: createRng('x') })
    expect(greater.exact).toBe(false)
    expect(greater.pValue).toBeCloseTo(0.06066763, 7)
    expect(signFlipTest(diffs, { alternative: 'less', rng: createRng('x') }).pValue).toBeCloseTo(
      1 - 0.06066763,
      7
    )
    expect(
      signFlipTest(diffs, { alternative: 'two-sided', rng: createRng('x') }).pValue
    ).toBeCloseTo(2 * 0.06066763, 7)
  })

  const rng = createRng('unused-for-exact')

  it('matches hand computations on [1, 2, 3]', () => {
    // Sums ±1±2±3 ∈ {6, 4, 2, 0, 0, −2, −4, −6}; observed 6.
    // greater: only +++ reaches 6 → 1/8; less: all 8 ≤ 6 → 1; two-sided: |S| ≥ 6 → 2/8.
    expect(signFlipTest([1, 2, 3], { alternative: 'greater', rng })).toEqual({
      pValue: 1 / 8,
      statistic: 2,
      exact: true,
      smallestPValue: 1 / 8
    })
    expect(signFlipTest([1, 2, 3], { alternative: 'less', rng }).pValue).toBe(1)
    expect(signFlipTest([1, 2, 3], { alternative: 'two-sided', rng }).pValue).toBe(0.25)
  })

  it('counts ties with the observed sum, even when rounding differs (0.1 + 0.2 vs 0.3)', () => {
    // [1, 2, −3]: observed 0; sums ≥ 0 are 6, 4, 2, 0, 0 → 5/8 (two ties at 0).
    expect(signFlipTest([1, 2, -3], { alternative: 'greater', rng }).pValue).toBe(5 / 8)
    // Same in tenths: 0.1 + 0.2 − 0.3 = 5.55e-17 in floating point, still a tie.
    expect(signFlipTest([0.1, 0.2, -0.3], { alternative: 'greater', rng }).pValue).toBe(5 / 8)
    expect(signFlipTest([0.1, 0.2, -0.3], { alternative: 'less', rng }).pValue).toBe(5 / 8)
  })

  it('drops zeros; the statistic is the mean of all differences', () => {
    const result = signFlipTest([0, 1, 0, 2, 3], { alternative: 'greater', rng })
    expect(result.pValue).toBe(1 / 8)
    expect(result.statistic).toBeCloseTo(6 / 5, 15)
  })

  it('agrees with brute-force enumeration (5 to 20 non-zero diffs)', () => {
    const source = createRng('signflip-data')
    for (const m of [5, 11, 20]) {
      const diffs = Array.from({ length: m }, () => Math.round((source() - 0.35) * 40) / 8)
      for (const alternative of ['less', 'greater', 'two-sided'] as const) {
        const result = signFlipTest(diffs, { alternative, rng })
        expect(result.exact).toBe(true)
        expect(result.pValue).toBeCloseTo(enumerateSignFlip(diffs, alternative), 14)
      }
    }
  })

  it('is exact up to 32 non-zero differences', () => {
    // 22 × (+1), 10 × (−1): S = 2·(#plus) − 32, observed 12. Under H0 #plus ~ Bin(32, ½):
    // greater: P(#plus ≥ 22) — SciPy: stats.binom.sf(21, 32, .5) = 0.025051229866221547
    // less:    P(#plus ≤ 22) — SciPy: stats.binom.cdf(22, 32, .5) = 0.9899691964965314
    const ones = [...Array<number>(22).fill(1), ...Array<number>(10).fill(-1)]
    const greater = signFlipTest(ones, { alternative: 'greater', rng })
    expect(greater.exact).toBe(true)
    expectRelativelyClose(greater.pValue, 0.025051229866221547, 1e-13)
    expectRelativelyClose(
      signFlipTest(ones, { alternative: 'less', rng }).pValue,
      0.9899691964965314,
      1e-13
    )
    // Mixed eighths, counted exactly in Python by subset-sum counts over the integers 8|d|
    // (S = 2·(positive part) − Σ|d|): 3676703403/2^32, 325529483/2^31, 325529483/2^30.
    const eighths = [
      -1.0, 0.125, -0.375, 0.875, 0.375, 2.375, -1.375, -1.25, -0.75, 1.0, 2.5, 1.125, -1.125, 2.25,
      1.375, -1.5, -0.5, -1.5, 2.375, 0.125, 0.75, 0.125, 2.0, -0.875, 1.125, -0.625, -1.25, -0.625,
      -0.25, 2.0, -1.375, 1.875
    ]
    expect(signFlipTest(eighths, { alternative: 'less', rng })).toMatchObject({
      pValue: 3676703403 / 2 ** 32,
      exact: true
    })
    expect(signFlipTest(eighths, { alternative: 'greater', rng }).pValue).toBe(325529483 / 2 ** 31)
    expect(signFlipTest(eighths, { alternative: 'two-sided', rng }).pValue).toBe(
      325529483 / 2 ** 30
    )
  })

  it('never gives a larger p for more units moved the same way', () => {
    // Exact: of the 2^m patterns, only "all down" reaches m equal drops, so p = 2^−m (2^−(m−1)
    // two-sided). 21 drops gave 2.75e-5 > 2^−20 once Monte Carlo took over from 21.
    let previous = 1
    for (let m = 19; m <= 64; m++) {
      const drops = Array<number>(m).fill(-0.8)
      const less = signFlipTest(drops, { alternative: 'less', rng: createRng('more') })
      if (m <= 32) expect(less).toMatchObject({ pValue: 2 ** -m, exact: true })
      expect(less.pValue).toBeGreaterThanOrEqual(2 ** -m)
      expect(less.pValue).toBeLessThan(previous)
      previous = less.pValue
    }
    // One large and many small drops, past the exact limit: still below the limit's own 2^−32.
    for (const m of [33, 40]) {
      const drops = [-5, ...Array<number>(m - 1).fill(-0.01)]
      const less = signFlipTest(drops, { alternative: 'less', rng: createRng('more') })
      expect(less.pValue).toBeLessThan(2 ** -32)
      expect(less.pValue).toBeGreaterThanOrEqual(2 ** -m)
    }
  })

  it('Monte Carlo (> 32 diffs) is close to the exact binomial value for ±1 differences', () => {
    // 26 × (+1), 14 × (−1): S = 2·(#plus) − 40, observed 12. Under H0 #plus ~ Bin(40, ½):
    // greater: P(#plus ≥ 26) — SciPy: stats.binom.sf(25, 40, .5) = 0.0403452338759962
    // less:    P(#plus ≤ 26) — SciPy: stats.binom.cdf(26, 40, .5) = 0.9807613458578999
    // two-sided: 2 × 0.0403452338759962
    const diffs = [...Array<number>(26).fill(1), ...Array<number>(14).fill(-1)]
    const cases = [
      ['greater', 0.0403452338759962],
      ['less', 0.9807613458578999],
      ['two-sided', 2 * 0.0403452338759962]
    ] as const
    for (const [alternative, exact] of cases) {
      const result = signFlipTest(diffs, { alternative, rng: createRng(`mc-${alternative}`) })
      expect(result.exact).toBe(false)
      // 10,000 samples: standard error sqrt(p(1 − p)/10^4) ≤ 0.005; allow 4 SE.
      const standardError = Math.sqrt((exact * (1 - exact)) / 10000)
      expect(Math.abs(result.pValue - exact)).toBeLessThan(4 * standardError + 1e-4)
    }
  })

  it('Monte Carlo is close to the exact count for 40 mixed differences', () => {
    // Counted exactly in Python by subset sums over 8|d|: P(S ≥ observed) = 80615098815/2^39.
    const diffs = [
      -1.125, -1.25, 1.25, 0.25, -0.25, 2.125, 0.875, 2.375, -0.25, 0.875, -0.875, -1.25, 0.75,
      0.25, 0.75, 1.125, -0.875, 0.375, 1.625, 0.75, 1.875, -1.0, 2.25, -1.5, -0.125, 2.0, -0.25,
      -0.875, -1.125, -0.5, 0.5, -1.125, 0.875, -0.375, 1.5, -1.125, 0.125, -1.25, 2.375, -1.5
    ]
    const exact = 80615098815 / 2 ** 39
    const result = signFlipTest(diffs, {
      alternative: 'greater',
      rng: createRng('mc-40'),
      samples: 20000
    })
    expect(result.exact).toBe(false)
    const standardError = Math.sqrt((exact * (1 - exact)) / 20000)
    expect(Math.abs(result.pValue - exact)).toBeLessThan(4 * standardError + 1e-4)
  })

  it('is deterministic for a seed and uses p = (1 + count)/(1 + samples)', () => {
    // 12 × (+1), 28 × (−1): exact P(#plus ≤ 12) — SciPy: stats.binom.cdf(12, 40, .5)
    // = 0.008294501687487355, above the floor 1/1000, where Chernoff's bound is no help.
    const diffs = [...Array<number>(12).fill(1), ...Array<number>(28).fill(-1)]
    const run = (seed: string) =>
      signFlipTest(diffs, { alternative: 'less', rng: createRng(seed), samples: 999 })
    expect(run('sha-a')).toEqual(run('sha-a'))
    const count = run('sha-a').pValue * 1000 - 1
    expect(count).toBeCloseTo(Math.round(count), 9)
    expect(Math.abs(run('sha-a').pValue - 0.008294501687487355)).toBeLessThan(
      4 * Math.sqrt((0.0083 * 0.9917) / 999) + 1e-3
    )
    const varied = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? 1 : -0.4) * (1 + i / 40))
    const p1 = signFlipTest(varied, { alternative: 'less', rng: createRng('s1'), samples: 999 })
    const p2 = signFlipTest(varied, { alternative: 'less', rng: createRng('s2'), samples: 999 })
    expect(p1.pValue).not.toBe(p2.pValue)
  })

  it('goes below the Monte Carlo floor 1/(1 + samples) by Chernoff’s bound, never below the exact p', () => {
    // 100 drops of 0.8, the tie tolerance 1e-9 Σ|d| given away: t = 80 − 8e-8. The bound
    // min over λ of exp(−λt) cosh(0.8λ)^100, at λ = atanh(t/80)/0.8 (mpmath, 50 digits):
    // 7.888617893931005e-31, just above the exact 2^−100 = 7.888609052210118e-31. Hoeffding's
    // exp(−t²/(2·64)) gave 1.9e-22; without a bound, p = 1/10001 whatever the drop.
    const collapse = Array<number>(100).fill(-0.8)
    const less = signFlipTest(collapse, { alternative: 'less', rng: createRng('h') })
    expectRelativelyClose(less.pValue, 7.888617893931005e-31, 1e-10)
    expect(less.pValue).toBeGreaterThanOrEqual(2 ** -100)
    expect(less).toMatchObject({ exact: false, smallestPValue: 2 ** -100 })
    const twoSided = signFlipTest(collapse, { alternative: 'two-sided', rng: createRng('h') })
    expectRelativelyClose(twoSided.pValue, 2 * 7.888617893931005e-31, 1e-10)
    // The other direction is untouched: the count is (nearly) every draw.
    expect(signFlipTest(collapse, { alternative: 'greater', rng: createRng('h') }).pValue).toBe(1)
  })

  it('never gives p = 0, even where the bound underflows', () => {
    // 3,000 drops of 1: the bound 2^−3000 is below the smallest double.
    const p = signFlipTest(Array<number>(3000).fill(-1), {
      alternative: 'less',
      rng: createRng('y')
    })
    expect(p.pValue).toBeGreaterThan(0)
    expect(p.pValue).toBeLessThan(1e-300)
  })

  it('handles the edges: no non-zero diffs → p = 1, bad input throws', () => {
    expect(signFlipTest([0, 0], { alternative: 'less', rng })).toEqual({
      pValue: 1,
      statistic: 0,
      exact: true,
      smallestPValue: 1
    })
    expect(signFlipTest([], { alternative: 'less', rng }).pValue).toBe(1)
    expect(() => signFlipTest([1, NaN], { alternative: 'less', rng })).toThrow(RangeError)
    expect(() => signFlipTest([1], { alternative: 'less', rng, samples: 0 })).toThrow(RangeError)
  })
})

describe('wilcoxonSignedRank', () => {
  // Hollander & Wolfe (1973) p. 29, the paired example of R's ?wilcox.test:
  // wilcox.test(x, y, paired = TRUE, alternative = "greater") → V = 40, p-value = 0.01953
  const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3]
  const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
  const depression = x.map((value, i) => value - y[i]!)

  it('reproduces R on the Hollander & Wolfe depression data (exact, n = 9)', () => {
    // Exact: P(V ≥ 40) = #{subsets of 1..9 with sum ≤ 5}/2^9 = 10/512 = 0.01953125
    expect(wilcoxonSignedRank(depression, 'greater')).toEqual({
      pValue: 10 / 512,
      statistic: 40,
      exact: true,
      smallestPValue: 1 / 512
    })
    // SciPy: stats.wilcoxon(x - y, alternative='two-sided').pvalue = 0.0390625
    expect(wilcoxonSignedRank(depression, 'two-sided').pValue).toBeCloseTo(0.0390625, 15)
    // SciPy: stats.wilcoxon(x - y, alternative='less').pvalue = 0.986328125 (= 505/512)
    expect(wilcoxonSignedRank(depression, 'less').pValue).toBeCloseTo(505 / 512, 15)
  })

  it('is exact on the sleep data, with ties and a zero, where R approximates', () => {
    // R: wilcox.test(extra ~ group, data = sleep, paired = TRUE) → V = 0, p = 0.009091 (normal
    // approximation: ties). SciPy: stats.wilcoxon(d, method=stats.PermutationMethod()).pvalue
    // = 0.00390625 two-sided, 0.001953125 less (= 2 / 2^9 and 1 / 2^9: the exact null of the
    // 9 non-zero differences' midranks).
    const sleep = [-1.2, -2.4, -1.3, -1.3, 0, -1.0, -1.8, -0.8, -4.6, -1.4]
    const twoSided = wilcoxonSignedRank(sleep, 'two-sided')
    expect(twoSided).toEqual({
      pValue: 0.00390625,
      statistic: 0,
      exact: true,
      smallestPValue: 2 / 512
    })
    expect(wilcoxonSignedRank(sleep, 'less').pValue).toBe(0.001953125)
  })

  it('never goes below the smallest p a few tied differences allow (five equal ratios: 1/32)', () => {
    // SciPy: stats.wilcoxon([log(1.5)] * 5, alternative='greater').pvalue = 0.03125
    expect(wilcoxonSignedRank(Array<number>(5).fill(Math.log(1.5)), 'greater').pValue).toBe(0.03125)
  })

  it.each([
    // d = [1, 1, 2, −1, 3, 3, 0, 4, −2, 5, −0.5, 2]: n = 11 after the zero, ties in 1, 2, 3;
    // V = 66 − (3 + 6 + 1) = 56. SciPy: stats.wilcoxon(d, alternative=...,
    // method=stats.PermutationMethod()).pvalue, exact over the 2^11 sign patterns
    ['less', 0.9833984375],
    ['greater', 0.02197265625],
    ['two-sided', 0.0439453125]
  ] as const)('exact with ties and a zero: %s', (alternative, expected) => {
    const d = [1, 1, 2, -1, 3, 3, 0, 4, -2, 5, -0.5, 2]
    const result = wilcoxonSignedRank(d, alternative)
    expect(result).toMatchObject({ pValue: expected, statistic: 56, exact: true })
    expect(result.smallestPValue).toBe(2 ** -11 * (alternative === 'two-sided' ? 2 : 1))
  })

  it.each([
    // d_i = ((i mod 5) + 1), negated when i is a multiple of 3, i = 1..30: n > 25 with ties.
    // SciPy: stats.wilcoxon(d, alternative=..., method='approx', correction=True), V = 310
    ['less', 0.9464979105928263],
    ['greater', 0.055788839826308195],
    ['two-sided', 0.11157767965261639]
  ] as const)(
    'normal approximation with tie correction for n = 30: %s',
    (alternative, expected) => {
      const d = Array.from(
        { length: 30 },
        (_, k) => (((k + 1) % 5) + 1) * ((k + 1) % 3 === 0 ? -1 : 1)
      )
      const result = wilcoxonSignedRank(d, alternative)
      expect(result.statistic).toBe(310)
      expect(result.exact).toBe(false)
      expectRelativelyClose(result.pValue, expected, 1e-12)
    }
  )

  it.each([
    // d_i = −i if i is a multiple of 3 else i, i = 1..30 (n > 25 → normal approximation)
    // SciPy: stats.wilcoxon(d, alternative=..., method='approx', correction=True)
    ['less', 0.9190405790019791],
    ['greater', 0.08408948986167625],
    ['two-sided', 0.1681789797233525]
  ] as const)('normal approximation without ties for n = 30: %s', (alternative, expected) => {
    const d = Array.from({ length: 30 }, (_, k) => ((k + 1) % 3 === 0 ? -(k + 1) : k + 1))
    const result = wilcoxonSignedRank(d, alternative)
    expect(result.statistic).toBe(300)
    expectRelativelyClose(result.pValue, expected, 1e-12)
  })

  it('uses the exact distribution for the non-zero differences after dropping zeros', () => {
    // Non-zero: 1.5, −0.2, 2.7, 3.1 → ranks 2, 1, 3, 4; V = 9 of a maximum 10.
    // P(V ≥ 9) = #{subsets of {1,2,3,4} with sum ≥ 9} / 16 = 2/16 ({2,3,4}, {1,2,3,4}).
    // (R would switch to the normal approximation because zeros were present.)
    expect(wilcoxonSignedRank([0, 1.5, -0.2, 2.7, 0, 3.1], 'greater')).toEqual({
      pValue: 0.125,
      statistic: 9,
      exact: true,
      smallestPValue: 1 / 16
    })
  })

  it('handles the edges', () => {
    expect(wilcoxonSignedRank([], 'less')).toEqual({
      pValue: 1,
      statistic: 0,
      exact: true,
      smallestPValue: 1
    })
    expect(wilcoxonSignedRank([0, 0, 0], 'two-sided').pValue).toBe(1)
    // One difference: V ∈ {0, 1} with probability ½ each.
    expect(wilcoxonSignedRank([-2], 'less').pValue).toBe(0.5)
    expect(() => wilcoxonSignedRank([Infinity], 'less')).toThrow(RangeError)
  })
})

describe('holm', () => {
  it('matches R p.adjust', () => {
    // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02
    const adjusted = holm([0.01, 0.04, 0.03, 0.005])
    const expected = [0.03, 0.06, 0.06, 0.02]
    adjusted.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 15))
    // R: p.adjust(c(0.5, 0.6), "holm") = 1 1 (capped, monotone)
    expect(holm([0.5, 0.6])).toEqual([1, 1])
  })

  it('keeps NaN in place without counting it, like R with NA', () => {
    // R: p.adjust(c(0.01, NA, 0.02), "holm") = 0.02 NA 0.02
    const adjusted = holm([0.01, NaN, 0.02])
    expect(adjusted[0]).toBeCloseTo(0.02, 15)
    expect(adjusted[1]).toBeNaN()
    expect(adjusted[2]).toBeCloseTo(0.02, 15)
  })

  it('handles empty input, a single p-value and out-of-range values', () => {
    expect(holm([])).toEqual([])
    expect(holm([0.2])).toEqual([0.2])
    expect(() => holm([0.2, 1.5])).toThrow(RangeError)
  })
})
