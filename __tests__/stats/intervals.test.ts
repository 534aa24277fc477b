import {
  bootstrapMeanInterval,
  bootstrapRatioInterval,
  clusteredStandardError,
  createRng,
  deltaMethodRatioInterval,
  standardDeviation,
  studentTCdf,
  tInterval
} from '../../src/stats/index.js'
import { expectRelativelyClose } from './closeTo.js'

// R's sleep data, paired differences group 1 − group 2.
const sleep = [-1.2, -2.4, -1.3, -1.3, 0, -1.0, -1.8, -0.8, -4.6, -1.4]

describe('tInterval', () => {
  it('matches R t.test(1:5)', () => {
    // R: t.test(1:5)$conf.int = 1.036757 4.963243; mean 3, SE sqrt(2.5/5) = 0.7071068, df 4
    const interval = tInterval([1, 2, 3, 4, 5])
    expect(interval.estimate).toBe(3)
    expect(interval.df).toBe(4)
    expect(interval.level).toBe(0.95)
    expect(interval.standardError).toBeCloseTo(Math.sqrt(0.5), 15)
    expectRelativelyClose(interval.low, 1.036757, 1e-6)
    expectRelativelyClose(interval.high, 4.963243, 1e-6)
  })

  it('matches R on the paired sleep data', () => {
    // R: t.test(extra ~ group, data = sleep, paired = TRUE): t = -4.0621, df = 9,
    // p-value = 0.002833, 95% CI -2.4598858 -0.7001142, mean difference -1.58
    const interval = tInterval(sleep)
    expect(interval.estimate).toBeCloseTo(-1.58, 14)
    expectRelativelyClose(interval.low, -2.4598858, 1e-7)
    expectRelativelyClose(interval.high, -0.7001142, 1e-7)
    const t = interval.estimate / interval.standardError
    expectRelativelyClose(t, -4.0621, 1e-4)
    // SciPy: stats.ttest_rel(...).pvalue = 0.002832890197384273
    expectRelativelyClose(2 * studentTCdf(t, interval.df), 0.002832890197384273, 1e-10)
  })

  it('honours the level', () => {
    // 90%: qt(0.95, 4) = 2.131847 → 3 ± 2.131847 × 0.7071068
    const interval = tInterval([1, 2, 3, 4, 5], 0.9)
    expectRelativelyClose(interval.high, 3 + 2.131847 * Math.sqrt(0.5), 1e-6)
    expect(() => tInterval([1, 2], 1)).toThrow(RangeError)
    expect(() => tInterval([1, 2], 0)).toThrow(RangeError)
  })

  it('handles the edges: n = 0, n = 1 and all-equal differences', () => {
    const empty = tInterval([])
    expect(empty.estimate).toBeNaN()
    expect(empty.low).toBeNaN()
    const single = tInterval([0.4])
    expect(single.estimate).toBe(0.4)
    expect(single.low).toBeNaN()
    expect(single.high).toBeNaN()
    expect(single.df).toBe(0)
    const constant = tInterval([0.2, 0.2, 0.2])
    expect([constant.low, constant.high, constant.standardError]).toEqual([0.2, 0.2, 0])
  })
})

describe('bootstrapMeanInterval', () => {
  it('is reproducible for a seed and differs for another seed', () => {
    const run = (seed: string) => bootstrapMeanInterval(sleep, { rng: createRng(seed) })
    expect(run('abc')).toEqual(run('abc'))
    expect(run('abc').low).not.toBe(run('abd').low)
  })

  it('brackets the mean and agrees with the t-interval for a large symmetric sample', () => {
    const source = createRng('bootstrap-data')
    const diffs = Array.from({ length: 400 }, () => source() + source() + source() - 1.5)
    const bootstrap = bootstrapMeanInterval(diffs, { rng: createRng('resample') })
    const t = tInterval(diffs)
    expect(bootstrap.estimate).toBe(t.estimate)
    expect(bootstrap.low).toBeLessThan(bootstrap.estimate)
    expect(bootstrap.high).toBeGreaterThan(bootstrap.estimate)
    // The percentile interval of a mean is close to mean ± 1.96 SE for n = 400; allow 15% of
    // the half-width for Monte Carlo error with 2,000 resamples.
    const halfWidth = t.high - t.estimate
    expect(Math.abs(bootstrap.low - t.low)).toBeLessThan(0.15 * halfWidth)
    expect(Math.abs(bootstrap.high - t.high)).toBeLessThan(0.15 * halfWidth)
  })

  it('narrows with a lower level and takes the number of resamples', () => {
    const wide = bootstrapMeanInterval(sleep, { rng: createRng('x'), level: 0.99 })
    const narrow = bootstrapMeanInterval(sleep, { rng: createRng('x'), level: 0.5 })
    expect(wide.high - wide.low).toBeGreaterThan(narrow.high - narrow.low)
    expect(narrow.level).toBe(0.5)
    const few = bootstrapMeanInterval(sleep, { rng: createRng('x'), resamples: 1 })
    expect(few.low).toBe(few.high)
  })

  it('handles the edges', () => {
    const rng = createRng('edges')
    expect(bootstrapMeanInterval([], { rng }).estimate).toBeNaN()
    const single = bootstrapMeanInterval([3], { rng })
    expect([single.estimate, single.low, single.high]).toEqual([3, NaN, NaN])
    const constant = bootstrapMeanInterval([1, 1, 1], { rng })
    expect([constant.low, constant.high]).toEqual([1, 1])
    expect(() => bootstrapMeanInterval([1, NaN], { rng })).toThrow(RangeError)
    expect(() => bootstrapMeanInterval([1, 2], { rng, resamples: 0 })).toThrow(RangeError)
  })
})

describe('deltaMethodRatioInterval', () => {
  it('matches the delta-method formula computed by hand', () => {
    // base 1..4, head [2, 3, 5, 6]: R = 4 / 2.5 = 1.6, s_x² = 5/3, s_y² = 10/3, s_xy = 7/3,
    // SE = sqrt((10/3 − 2·1.6·7/3 + 1.6²·5/3) / 4) / 2.5 = 0.0730297; ± 1.959964 × SE.
    const interval = deltaMethodRatioInterval([1, 2, 3, 4], [2, 3, 5, 6])
    expect(interval.estimate).toBeCloseTo(1.6, 12)
    expect(interval.low).toBeCloseTo(1.4568644685, 9)
    expect(interval.high).toBeCloseTo(1.7431355315, 9)
  })

  it('agrees with the paired bootstrap on a large sample', () => {
    const rng = createRng('costs')
    const base = Array.from({ length: 3000 }, () => 1 + rng())
    const head = base.map((b) => b * 1.1 + (rng() - 0.5) * 0.2)
    const delta = deltaMethodRatioInterval(base, head)
    const bootstrap = bootstrapRatioInterval(base, head, { rng: createRng('b') })
    expect(Math.abs(delta.low - bootstrap.low)).toBeLessThan(0.002)
    expect(Math.abs(delta.high - bootstrap.high)).toBeLessThan(0.002)
  })
})

describe('bootstrapRatioInterval', () => {
  it('gives exactly the constant ratio when head is a multiple of base', () => {
    // Every resample has Σhead / Σbase = 1.25, so both bounds are 1.25.
    const base = [0.01, 0.03, 0.02, 0.05, 0.04]
    const head = base.map((cost) => cost * 1.25)
    const interval = bootstrapRatioInterval(base, head, { rng: createRng('ratio') })
    expect(interval.estimate).toBeCloseTo(1.25, 14)
    expect(interval.low).toBeCloseTo(1.25, 14)
    expect(interval.high).toBeCloseTo(1.25, 14)
  })

  it('covers the true ratio for paired noisy costs and is reproducible', () => {
    const source = createRng('costs')
    const base = Array.from({ length: 300 }, () => 0.5 + source())
    const head = base.map((cost) => cost * (1.1 + (source() - 0.5) * 0.2))
    const run = () => bootstrapRatioInterval(base, head, { rng: createRng('seed') })
    const interval = run()
    expect(interval).toEqual(run())
    expect(interval.low).toBeLessThan(1.1)
    expect(interval.high).toBeGreaterThan(1.1)
    expect(interval.high - interval.low).toBeLessThan(0.05)
  })

  it('reads 0/0 as 1 and x/0 as Infinity', () => {
    const rng = createRng('zero')
    const free = bootstrapRatioInterval([0, 0, 0], [0, 0, 0], { rng })
    expect([free.estimate, free.low, free.high]).toEqual([1, 1, 1])
    expect(bootstrapRatioInterval([0, 0], [1, 2], { rng }).estimate).toBe(Infinity)
  })

  it('rejects unpaired or non-finite input', () => {
    const rng = createRng('bad')
    expect(() => bootstrapRatioInterval([1, 2], [1], { rng })).toThrow(RangeError)
    expect(() => bootstrapRatioInterval([1, 2], [1, NaN], { rng })).toThrow(RangeError)
    expect(bootstrapRatioInterval([], [], { rng }).estimate).toBeNaN()
    expect(bootstrapRatioInterval([2], [3], { rng }).low).toBeNaN()
  })
})

describe('clusteredStandardError', () => {
  it('reduces to the ordinary SE, sd/√n, when every case is its own cluster', () => {
    const ids = sleep.map((_, i) => `case-${i}`)
    expect(clusteredStandardError(sleep, ids)).toBeCloseTo(
      standardDeviation(sleep) / Math.sqrt(sleep.length),
      14
    )
  })

  it('matches a hand computation with two clusters', () => {
    // x = [1, 2, 3, 4], mean 2.5, residuals −1.5, −0.5, 0.5, 1.5; clusters {a: 1, 2}, {b: 3, 4}:
    // E_a = −2, E_b = 2; SE² = G/(G − 1) · ΣE²/n² = 2 · 8/16 = 1 → SE = 1
    // (the ordinary SE would be sd/2 = 0.6455: within-cluster correlation inflates it).
    expect(clusteredStandardError([1, 2, 3, 4], ['a', 'a', 'b', 'b'])).toBeCloseTo(1, 15)
    // Interleaved clusters cancel: E_a = −1.5 + 0.5 = −1, E_b = 1 → SE² = 2 · 2/16 → 0.5
    expect(clusteredStandardError([1, 2, 3, 4], ['a', 'b', 'a', 'b'])).toBeCloseTo(0.5, 15)
  })

  it('does not depend on the order of the cases', () => {
    const values = [0.2, 0.9, 0.4, 0.7, 0.1, 0.8]
    const clusters = ['x', 'y', 'x', 'z', 'y', 'z']
    const reversed = clusteredStandardError([...values].reverse(), [...clusters].reverse())
    expect(clusteredStandardError(values, clusters)).toBeCloseTo(reversed, 15)
  })

  it('is NaN with fewer than two clusters and rejects unpaired input', () => {
    expect(clusteredStandardError([1, 2, 3], ['a', 'a', 'a'])).toBeNaN()
    expect(clusteredStandardError([], [])).toBeNaN()
    expect(() => clusteredStandardError([1, 2], ['a'])).toThrow(RangeError)
  })
})
