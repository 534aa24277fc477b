import { createRng, hodgesLehmann } from '../../src/stats/index.js'

/** The definition, O(n²): the median of all Walsh averages (d_i + d_j)/2, i ≤ j. */
function bruteForce(diffs: readonly number[]): number {
  const averages: number[] = []
  for (let i = 0; i < diffs.length; i++) {
    for (let j = i; j < diffs.length; j++) averages.push((diffs[i]! + diffs[j]!) / 2)
  }
  const sorted = Float64Array.from(averages).sort()
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
