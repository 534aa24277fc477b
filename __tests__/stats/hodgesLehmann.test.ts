import { createRng, hodgesLehmann, hodgesLehmannInterval } from '../../src/stats/index.js'

/** All Walsh averages (d_i + d_j)/2, i ≤ j, sorted, O(n²). */
function walshAverages(diffs: readonly number[]): Float64Array {
  const averages: number[] = []
  for (let i = 0; i < diffs.length; i++) {
    for (let j = i; j < diffs.length; j++) averages.push((diffs[i]! + diffs[j]!) / 2)
  }
  return Float64Array.from(averages).sort()
}

/** The definition, O(n²): the median of all Walsh averages. */
function bruteForce(diffs: readonly number[]): number {
  const sorted = walshAverages(diffs)
  const middle = sorted.length / 2
  return sorted.length % 2 === 1
    ? sorted[Math.floor(middle)]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2
}

describe('hodgesLehmann', () => {
  it('matches hand computations', () => {
    // [1, 2, 3]: Walsh averages 1, 1.5, 2, 2, 2.5, 3 → median (2 + 2)/2 = 2
    expect(hodgesLehmann([3, 1, 2])).toBe(2)
    // [1, 5, 10]: 1, 3, 5, 5.5, 7.5, 10 → (5 + 5.5)/2 = 5.25
    expect(hodgesLehmann([1, 5, 10])).toBe(5.25)
    // [0, 4]: 0, 2, 4 → 2
    expect(hodgesLehmann([0, 4])).toBe(2)
  })

  it('matches R on the Hollander & Wolfe depression data', () => {
    // NumPy: np.median of the 45 Walsh averages of x − y = 0.4600000000000001; this is the
    // "(pseudo)median" R's wilcox.test(x, y, paired = TRUE, conf.int = TRUE) reports (exact case).
    const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3]
    const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    expect(hodgesLehmann(x.map((value, i) => value - y[i]!))).toBeCloseTo(0.46, 12)
  })

  it('equals the brute-force definition on continuous, tied and zero-heavy data', () => {
    const rng = createRng('hodges-lehmann-data')
    const datasets: number[][] = []
    for (const n of [1, 2, 45, 46, 300, 1001]) {
      datasets.push(Array.from({ length: n }, () => Math.log(0.5 + rng() * 3)))
      datasets.push(Array.from({ length: n }, () => Math.round((rng() - 0.4) * 6) / 2))
      datasets.push(Array.from({ length: n }, () => (rng() < 0.7 ? 0 : rng() - 0.3)))
    }
    for (const diffs of datasets) expect(hodgesLehmann(diffs)).toBe(bruteForce(diffs))
  })

  it('stays exact above 2,000 differences (selection path, n = 2,500)', () => {
    const rng = createRng('hodges-lehmann-large')
    const continuous = Array.from({ length: 2500 }, () => (rng() - 0.45) * 10)
    const tied = Array.from({ length: 2500 }, () => Math.floor(rng() * 5) - 2)
    expect(hodgesLehmann(continuous)).toBe(bruteForce(continuous))
    expect(hodgesLehmann(tied)).toBe(bruteForce(tied))
  })

  it('handles the edges: empty → NaN, all equal → that value, non-finite → NaN', () => {
    expect(hodgesLehmann([])).toBeNaN()
    expect(hodgesLehmann([0.7])).toBe(0.7)
    expect(hodgesLehmann(Array<number>(5000).fill(-0.25))).toBe(-0.25)
    expect(hodgesLehmann([1, NaN])).toBeNaN()
    expect(hodgesLehmann([1, Infinity])).toBeNaN()
  })
})

describe('hodgesLehmannInterval', () => {
  it('matches R on the Hollander & Wolfe depression data', () => {
    // R: wilcox.test(x, y, paired = TRUE, conf.int = TRUE) prints
    //   95 percent confidence interval:
    //    0.010 0.786
    //   sample estimates:
    //   (pseudo)median
    //             0.46
    // Checked in Python (NumPy), by R's exact-case algorithm: qsignrank(0.025, 9) = 6 (P(V ≤ 6) =
    // 14/512), so the limits are the 6th and the 40th of the 45 sorted Walsh averages of x − y.
    const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3]
    const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    const interval = hodgesLehmannInterval(x.map((value, i) => value - y[i]!))
    expect(interval.low).toBeCloseTo(0.01, 12)
    expect(interval.high).toBeCloseTo(0.786, 12)
    expect(interval.estimate).toBeCloseTo(0.46, 12)
    expect(interval.level).toBe(0.95)
  })

  it('takes the normal-approximation ranks from 50 differences, exact and by selection', () => {
    // n = 50: round(50·51/4 − 1.959964 · √(50·51·101/24)) = round(434.46) = 434 (the exact
    // qsignrank(0.025, 50) is 435: the approximation is one rank wider).
    const rng = createRng('hodges-lehmann-interval')
    const continuous = Array.from({ length: 50 }, () => Math.log(0.5 + rng() * 3))
    const sorted = walshAverages(continuous)
    expect(hodgesLehmannInterval(continuous)).toEqual({
      estimate: bruteForce(continuous),
      low: sorted[434 - 1],
      high: sorted[sorted.length - 434],
      level: 0.95
    })
    const rank = Math.round(
      (2500 * 2501) / 4 - 1.959963984540054 * Math.sqrt((2500 * 2501 * 5001) / 24)
    )
    const zeroHeavy = Array.from({ length: 2500 }, () => (rng() < 0.6 ? 0 : rng() - 0.3))
    const tied = Array.from({ length: 2500 }, () => Math.floor(rng() * 5) - 2)
    for (const large of [zeroHeavy, tied]) {
      const all = walshAverages(large)
      expect(hodgesLehmannInterval(large)).toEqual({
        estimate: bruteForce(large),
        low: all[rank - 1],
        high: all[all.length - rank],
        level: 0.95
      })
    }
  })

  it('spans every Walsh average below 6 differences, and is NaN with no estimate', () => {
    expect(hodgesLehmannInterval([3, -1, 2, 5, 4])).toEqual({
      estimate: 3,
      low: -1,
      high: 5,
      level: 0.95
    })
    expect(hodgesLehmannInterval([])).toEqual({ estimate: NaN, low: NaN, high: NaN, level: 0.95 })
    expect(() => hodgesLehmannInterval([1, 2], 1)).toThrow(RangeError)
  })
})
