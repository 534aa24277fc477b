/**
 * Paired hypothesis tests and multiplicity correction.
 *
 * Direction convention, shared by every test here: differences are head − base, and
 * - 'less'      = the head is lower / worse (the gate's drop test),
 * - 'greater'   = the head is higher / better,
 * - 'two-sided' = either.
 */
import { binomialCdf, binomialPmf, normalCdf } from './distributions.js'
import { mean } from './descriptive.js'
import { randomUint32, type Rng } from './rng.js'
import { assertCount, assertFiniteValues, assertPositiveInteger } from './validation.js'

export type Alternative = 'less' | 'greater' | 'two-sided'

export interface TestResult {
  pValue: number
  statistic: number
  /** True when the p-value comes from the exact null distribution, false for approximations. */
  exact: boolean
  /**
   * No more than the smallest p-value the test could give on these data, had every unit moved the
   * tested way (2^−m for m non-zero differences of a sign test); 1 when there is nothing to test.
   * A test whose smallest p is ≥ α can never reject, so it can be left out of a Holm family
   * (Tarone 1990).
   */
  smallestPValue: number
}

/**
 * Up to this many discordant pairs the mid-p is counted exactly: every binomial coefficient
 * C(n, k), and C(n, k)·(n − k) on the way to the next, stays below 2^53.
 */
const MCNEMAR_COUNTED_LIMIT = 50

/**
 * The mid-p of `mcnemarExact` as (2 · #patterns beyond + #patterns at) / 2^(n+1), with the
 * pattern counts C(n, k) summed in integers: exact, where the incomplete beta gave
 * mcnemarExact(1, 0, 'two-sided') = 0.4999999999999982 < 2^−1.
 */
function midPCounted(b: number, c: number, alternative: Alternative): number {
  const n = b + c
  // Observed count k and the patterns strictly beyond it in the tested tail.
  const k = alternative === 'less' ? c : alternative === 'greater' ? b : Math.min(b, c)
  let beyond = 0
  let coefficient = 1
  for (let j = 0; j < k; j++) {
    beyond += coefficient
    coefficient = (coefficient * (n - j)) / (j + 1)
  }
  const doubled = 2 * beyond + coefficient
  return (alternative === 'two-sided' ? 2 * doubled : doubled) / 2 ** (n + 1)
}

/**
 * Exact McNemar test with the mid-p correction (Fagerland, Lydersen & Laake 2013, "The McNemar
 * test for binary matched-pairs data: mid-p and asymptotic are better than exact conditional",
 * BMC Med Res Methodol 13:91), for pass/fail cases run once on base and head.
 *
 * `b` = discordant pairs pass→fail (base passed, head failed), `c` = fail→pass. Conditional on
 * the b + c discordant pairs, b ~ Bin(b + c, ½) under H0. With X ~ Bin(b + c, ½):
 * - 'less' (head worse, default: the gate's drop test): p = P(X > b) + ½ P(X = b)
 * - 'greater' (head better): p = P(X < b) + ½ P(X = b)
 * - 'two-sided': p = 2 P(X ≤ min(b, c)) − P(X = min(b, c)), capped at 1 (Fagerland et al. eq. 3).
 *
 * No discordant pairs (b + c = 0) gives p = 1 by choice: the data carry no evidence either way,
 * and the mid-p formula's 0.5 would be an artefact that still counts in a Holm family.
 * `statistic` is b (the number of pass→fail pairs, as R's `binom.test(b, b + c)` reports).
 * Throws RangeError unless b and c are non-negative integers.
 */
export function mcnemarExact(b: number, c: number, alternative: Alternative = 'less'): TestResult {
  assertCount(b, 'b')
  assertCount(c, 'c')
  const n = b + c
  if (n === 0) return { pValue: 1, statistic: b, exact: true, smallestPValue: 1 }
  // All n discordant pairs one way: ½ P(X = n) one-sided, P(X = n) two-sided.
  const smallestPValue = 2 ** -(alternative === 'two-sided' ? n : n + 1)
  let pValue: number
  if (n <= MCNEMAR_COUNTED_LIMIT) {
    pValue = midPCounted(b, c, alternative)
  } else {
    const halfAtB = 0.5 * binomialPmf(b, n, 0.5)
    if (alternative === 'less') {
      // P(X > b) = P(X < n − b) = P(X ≤ n − b − 1) by symmetry of Bin(n, ½): no 1 − (near 1).
      pValue = binomialCdf(n - b - 1, n, 0.5) + halfAtB
    } else if (alternative === 'greater') {
      pValue = binomialCdf(b - 1, n, 0.5) + halfAtB
    } else {
      const smaller = Math.min(b, c)
      pValue = 2 * binomialCdf(smaller, n, 0.5) - binomialPmf(smaller, n, 0.5)
    }
  }
  // The incomplete beta behind binomialCdf is accurate to ~1e-12, not exact: never below the
  // smallest p these pairs allow.
  return {
    pValue: Math.min(1, Math.max(smallestPValue, pValue)),
    statistic: b,
    exact: true,
    smallestPValue
  }
}

/**
 * Exact enumeration up to this many non-zero differences: 2^32 sign patterns, counted from two
 * halves of 2^16 sums each in about a millisecond.
 */
const SIGN_FLIP_EXACT_LIMIT = 32
const SIGN_FLIP_DEFAULT_SAMPLES = 10000
/** Above this many non-zero differences the randomization distribution is taken as normal. */
const SIGN_FLIP_NORMAL_ABOVE = 5000
/**
 * Sums closer than this fraction of Σ|d| count as ties with the observed sum, so that equal
 * sums reached by different addition orders (e.g. 0.1 + 0.2 vs 0.3) are not split by rounding.
 */
const SIGN_FLIP_RELATIVE_TOLERANCE = 1e-9

/**
 * All 2^k sums ±v₀ ± v₁ … ± v_{k−1}, ascending. Each value doubles the sorted list by merging
 * its two shifted copies (list − v and list + v are each already sorted), so no sort is needed:
 * 2^(k+1) steps in all.
 */
function sortedSignedSums(values: readonly number[]): Float64Array {
  let sums = new Float64Array(2 ** values.length)
  let merged = new Float64Array(sums.length)
  let size = 1
  for (const value of values) {
    let minus = 0
    let plus = 0
    let out = 0
    while (minus < size && plus < size) {
      const lower = (sums[minus] as number) - value
      const upper = (sums[plus] as number) + value
      if (lower <= upper) {
        merged[out++] = lower
        minus++
      } else {
        merged[out++] = upper
        plus++
      }
    }
    while (minus < size) merged[out++] = (sums[minus++] as number) - value
    while (plus < size) merged[out++] = (sums[plus++] as number) + value
    ;[sums, merged] = [merged, sums]
    size *= 2
  }
  return sums
}

/**
 * Chernoff's bound on P(Σ sᵢaᵢ ≥ t) for independent fair signs sᵢ, aᵢ > 0 and 0 < t < Σaᵢ:
 * min over λ ≥ 0 of exp(−λt) E[exp(λ Σ sᵢaᵢ)] = exp(−λt) Π cosh(λaᵢ) (Chernoff 1952, "A measure
 * of asymptotic efficiency for tests of a hypothesis based on the sum of observations", Ann. Math.
 * Statist. 23; Markov's inequality, so valid at every λ). Since cosh x ≤ exp(x²/2) it is never
 * above Hoeffding's exp(−t²/(2Σaᵢ²)), and unlike it, it tends to the exact 2^−m as t → Σaᵢ (every
 * difference one way). Newton's method on the increasing, concave derivative Σ aᵢ tanh(λaᵢ) − t,
 * started at 0, approaches the minimum from below, so every step lowers the bound.
 */
function chernoffLogBound(magnitudes: readonly number[], total: number, t: number): number {
  // log(exp(−λt) Π cosh(λaᵢ)) = λ(Σaᵢ − t) + Σ log(1 + exp(−2λaᵢ)) − m log 2, without overflow.
  const gap = total - t
  const base = -magnitudes.length * Math.LN2
  let lambda = 0
  let logBound = 0
  for (let iteration = 0; iteration < 100; iteration++) {
    let slope = gap
    let curvature = 0
    let logSum = 0
    for (const a of magnitudes) {
      const decay = Math.exp(-2 * lambda * a)
      const onePlus = 1 + decay
      slope -= (2 * a * decay) / onePlus
      curvature += (4 * a * a * decay) / (onePlus * onePlus)
      logSum += Math.log1p(decay)
    }
    logBound = Math.min(logBound, lambda * gap + logSum + base)
    if (!(slope < 0 && curvature > 0)) break
    const step = -slope / curvature
    if (step <= 1e-12 * lambda) break
    lambda += step
  }
  return logBound
}

/**
 * Paired sign-flip (randomization) test on the mean of the differences d = head − base (Fisher
 * 1935, "The Design of Experiments", §21; Good 2005, "Permutation, Parametric and Bootstrap Tests
 * of Hypotheses", §3). Under H0 each difference is symmetric about 0, so every pattern of signs
 * is equally likely; the p-value is the share of patterns whose sum is at least as extreme as
 * the observed one. Zeros are dropped (their sign does not change the sum).
 *
 * - ≤ 32 non-zero differences: exact, all 2^m patterns, counted by meet-in-the-middle (two sorted
 *   halves of ≤ 2^16 sums, swept against each other), O(2^(m/2)): about a millisecond at 32.
 * - more: Monte Carlo with `samples` random patterns (default 10,000) drawn from `rng`,
 *   p = (1 + count) / (1 + samples) so that p is never 0 (Phipson & Smyth 2010, "Permutation
 *   P-values Should Never Be Zero"). Sign patterns are taken 32 bits per draw and summed four
 *   signs at a time from precomputed 16-entry tables, so 10,000 samples over 100,000 differences
 *   cost 2.5·10^8 table look-ups rather than 10^9 draws. That p cannot go below 1 / (1 + samples),
 *   which Holm's correction over a few hundred tests turns into "not significant" for any change,
 *   however large; where Chernoff's bound (`chernoffLogBound`, twice it two-sided) puts the tail
 *   below that floor, the bound is the p-value. It is never below the exact p-value, so at any
 *   level under the floor the test rejects only when the exact test would, and its size stays at
 *   most that level; above the floor the Monte Carlo estimate is used as before. With every
 *   difference one way it is the exact 2^−m, so one more unit moved that way past the exact limit
 *   never raises p.
 * - more than 5,000: the normal approximation of the randomization distribution. Σ sᵢ|dᵢ| with
 *   independent fair signs has mean 0 and variance Σ dᵢ², and is asymptotically normal when no
 *   single |dᵢ| dominates (Lindeberg; Lehmann & Romano 2005, "Testing Statistical Hypotheses",
 *   §15.2). At this size it agrees with the Monte Carlo estimate within its own error, in
 *   constant time per difference (the gate compares 100,000 cases in well under 2 s).
 *
 * 'less' counts sums ≤ observed, 'greater' sums ≥ observed, 'two-sided' |sum| ≥ |observed|, with
 * ties judged within 1e-9 Σ|d|. `statistic` is the mean of all differences (zeros included; NaN
 * for an empty array). No non-zero differences gives p = 1 (exact). `smallestPValue` is 2^−m
 * (2^−(m−1) two-sided), the exact test's smallest, which the Monte Carlo p-value, its floor
 * (1 / (1 + samples) or the bound) and the normal p-value do not go below either. Throws
 * RangeError for non-finite differences or a non-positive `samples`.
 */
export function signFlipTest(
  diffs: readonly number[],
  options: { alternative: Alternative; rng: Rng; samples?: number }
): TestResult {
  const { alternative, rng } = options
  const samples = options.samples ?? SIGN_FLIP_DEFAULT_SAMPLES
  assertPositiveInteger(samples, 'samples')
  assertFiniteValues(diffs, 'diffs')
  const statistic = mean(diffs)
  const magnitudes: number[] = []
  let observed = 0
  let total = 0
  for (const d of diffs) {
    if (d === 0) continue
    magnitudes.push(Math.abs(d))
    observed += d
    total += Math.abs(d)
  }
  const m = magnitudes.length
  if (m === 0) return { pValue: 1, statistic, exact: true, smallestPValue: 1 }
  const smallestPValue = 2 ** -(alternative === 'two-sided' ? m - 1 : m)
  const tolerance = SIGN_FLIP_RELATIVE_TOLERANCE * total
  const twoSidedThreshold = Math.abs(observed) - tolerance
  if (alternative === 'two-sided' && twoSidedThreshold <= 0) {
    return { pValue: 1, statistic, exact: m <= SIGN_FLIP_EXACT_LIMIT, smallestPValue }
  }

  if (m <= SIGN_FLIP_EXACT_LIMIT) {
    const half = Math.floor(m / 2)
    const left = sortedSignedSums(magnitudes.slice(0, half))
    const right = sortedSignedSums(magnitudes.slice(half))
    // Patterns (u, v) with u + v ≥ threshold, resp. u + v ≤ threshold. As v goes up the
    // threshold − v on u goes down, so one sweep of each ascending half counts them all.
    const countAtLeast = (threshold: number): number => {
      let count = 0
      let below = left.length
      for (const v of right) {
        while (below > 0 && (left[below - 1] as number) >= threshold - v) below--
        count += left.length - below
      }
      return count
    }
    const countAtMost = (threshold: number): number => {
      let count = 0
      let upTo = left.length
      for (const v of right) {
        while (upTo > 0 && (left[upTo - 1] as number) > threshold - v) upTo--
        count += upTo
      }
      return count
    }
    let extreme: number
    if (alternative === 'greater') extreme = countAtLeast(observed - tolerance)
    else if (alternative === 'less') extreme = countAtMost(observed + tolerance)
    else extreme = countAtLeast(twoSidedThreshold) + countAtMost(-twoSidedThreshold)
    return { pValue: Math.min(1, extreme / 2 ** m), statistic, exact: true, smallestPValue }
  }

  if (m > SIGN_FLIP_NORMAL_ABOVE) {
    const sumOfSquares = magnitudes.reduce((sum, d) => sum + d * d, 0)
    const z = observed / Math.sqrt(sumOfSquares)
    const pValue =
      alternative === 'greater'
        ? normalCdf(-z)
        : alternative === 'less'
          ? normalCdf(z)
          : Math.min(1, 2 * normalCdf(-Math.abs(z)))
    return { pValue, statistic, exact: false, smallestPValue }
  }

  const blocks = Math.ceil(m / 4)
  const table = new Float64Array(blocks * 16)
  for (let block = 0; block < blocks; block++) {
    for (let mask = 0; mask < 16; mask++) {
      let sum = 0
      for (let bit = 0; bit < 4; bit++) {
        const value = magnitudes[block * 4 + bit] ?? 0
        sum += mask & (1 << bit) ? -value : value
      }
      table[block * 16 + mask] = sum
    }
  }
  let extreme = 0
  for (let sample = 0; sample < samples; sample++) {
    let sum = 0
    let word = 0
    for (let block = 0; block < blocks; block++) {
      const slot = block & 7
      if (slot === 0) word = randomUint32(rng)
      sum += table[block * 16 + ((word >>> (slot * 4)) & 15)] as number
    }
    if (alternative === 'greater') {
      if (sum >= observed - tolerance) extreme++
    } else if (alternative === 'less') {
      if (sum <= observed + tolerance) extreme++
    } else if (Math.abs(sum) >= twoSidedThreshold) extreme++
  }
  const floor = 1 / (1 + samples)
  // The observed sum's distance from 0 in the tested direction (tolerance given away).
  const towards =
    alternative === 'greater'
      ? observed - tolerance
      : alternative === 'less'
        ? -observed - tolerance
        : twoSidedThreshold
  const logBound =
    towards > 0
      ? (alternative === 'two-sided' ? Math.LN2 : 0) + chernoffLogBound(magnitudes, total, towards)
      : 0
  // The bound underflows to 0 from about 1,075 units moved one way: the smallest positive double
  // keeps p a probability the run could have seen (Phipson & Smyth, above).
  const pValue =
    logBound < Math.log(floor)
      ? Math.max(Math.exp(logBound), smallestPValue, Number.MIN_VALUE)
      : (1 + extreme) / (1 + samples)
  return { pValue, statistic, exact: false, smallestPValue }
}

/**
 * Exact null distribution of 2V given the ranks (midranks where tied), doubled to integers:
 * counts[v] = the number of the 2^n sign patterns whose positive ranks sum to v / 2.
 */
function signedRankCounts(doubledRanks: readonly number[]): Float64Array {
  const maximum = doubledRanks.reduce((sum, rank) => sum + rank, 0)
  const counts = new Float64Array(maximum + 1)
  counts[0] = 1
  let reach = 0
  for (const rank of doubledRanks) {
    reach += rank
    for (let v = reach; v >= rank; v--)
      counts[v] = (counts[v] as number) + (counts[v - rank] as number)
  }
  return counts
}

const WILCOXON_EXACT_LIMIT = 25

/**
 * Wilcoxon signed-rank test (Wilcoxon 1945; Hollander, Wolfe & Chicken 2014, "Nonparametric
 * Statistical Methods", §3.1) on d = head − base, following R's `wilcox.test(d, alternative)`:
 * zeros are dropped (Wilcoxon's method), tied |d| get average ranks, and `statistic` is
 * V = the sum of the ranks of the positive differences.
 *
 * - n ≤ 25 non-zero differences: the exact null distribution of V given their ranks, midranks
 *   where tied (subset-sum counts; SciPy's permutation p-value). Unlike R, which falls back to
 *   the normal approximation whenever zeros or ties were present, so that five equal latency
 *   ratios got p = 0.018 where no sign pattern of five can go below 1/32.
 * - otherwise: normal approximation with mean n(n+1)/4, variance
 *   n(n+1)(2n+1)/24 − Σ(t³ − t)/48 over tie groups of size t, and continuity correction ½
 *   (R's `exact = FALSE, correct = TRUE`).
 *
 * Two-sided p-values are twice the smaller tail, capped at 1. No non-zero differences gives
 * p = 1 and V = 0. `smallestPValue` is the p of every rank on the tested side. Throws RangeError
 * for non-finite differences.
 */
export function wilcoxonSignedRank(diffs: readonly number[], alternative: Alternative): TestResult {
  assertFiniteValues(diffs, 'diffs')
  const nonzero = diffs.filter((d) => d !== 0)
  const n = nonzero.length
  if (n === 0) return { pValue: 1, statistic: 0, exact: true, smallestPValue: 1 }

  const order = Array.from(nonzero.keys()).sort(
    (i, j) => Math.abs(nonzero[i] as number) - Math.abs(nonzero[j] as number)
  )
  let statistic = 0
  let tieCorrection = 0
  const doubledRanks: number[] = []
  for (let start = 0; start < n;) {
    const magnitude = Math.abs(nonzero[order[start] as number] as number)
    let end = start + 1
    while (end < n && Math.abs(nonzero[order[end] as number] as number) === magnitude) end++
    const tied = end - start
    const averageRank = (start + 1 + end) / 2
    for (let k = start; k < end; k++) {
      if ((nonzero[order[k] as number] as number) > 0) statistic += averageRank
      doubledRanks.push(start + 1 + end)
    }
    tieCorrection += tied * tied * tied - tied
    start = end
  }
  const expected = (n * (n + 1)) / 4

  if (n <= WILCOXON_EXACT_LIMIT) {
    const counts = signedRankCounts(doubledRanks)
    const patterns = 2 ** n
    const atMost = (v: number): number => {
      let sum = 0
      for (let s = 0; s <= 2 * v; s++) sum += counts[s] ?? 0
      return sum / patterns
    }
    const atLeast = (v: number): number => atMost((n * (n + 1)) / 2 - v)
    let pValue: number
    if (alternative === 'less') pValue = atMost(statistic)
    else if (alternative === 'greater') pValue = atLeast(statistic)
    else pValue = Math.min(1, 2 * (statistic > expected ? atLeast(statistic) : atMost(statistic)))
    return {
      pValue,
      statistic,
      exact: true,
      smallestPValue: atMost(0) * (alternative === 'two-sided' ? 2 : 1)
    }
  }

  const sigma = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieCorrection / 48)
  const shift = statistic - expected
  let pValue: number
  if (alternative === 'less') pValue = normalCdf((shift + 0.5) / sigma)
  else if (alternative === 'greater') pValue = normalCdf(-(shift - 0.5) / sigma)
  else {
    const z = (shift - Math.sign(shift) * 0.5) / sigma
    pValue = Math.min(1, 2 * normalCdf(-Math.abs(z)))
  }
  // Every rank on the tested side: the approximation's p at |V − n(n+1)/4| = n(n+1)/4.
  const smallestPValue =
    normalCdf(-(expected - 0.5) / sigma) * (alternative === 'two-sided' ? 2 : 1)
  return { pValue, statistic, exact: false, smallestPValue }
}

/**
 * Holm's step-down adjustment (Holm 1979, "A simple sequentially rejective multiple test
 * procedure", Scand. J. Statist. 6:65–70), identical to R's `p.adjust(p, "holm")`: sorted
 * ascending, the i-th of m p-values becomes max over j ≤ i of min(1, (m − j + 1) p_(j)).
 * Returned in the input order. Like R, NaN entries stay NaN and do not count towards m.
 * Throws RangeError for a p-value outside [0, 1].
 */
export function holm(pValues: readonly number[]): number[] {
  const adjusted = pValues.map(() => NaN)
  const present: number[] = []
  pValues.forEach((p, index) => {
    if (Number.isNaN(p)) return
    if (!(p >= 0 && p <= 1)) throw new RangeError(`pValues[${index}] must be in [0, 1], got ${p}`)
    present.push(index)
  })
  present.sort((i, j) => (pValues[i] as number) - (pValues[j] as number) || i - j)
  const m = present.length
  let runningMax = 0
  present.forEach((index, rank) => {
    runningMax = Math.max(runningMax, Math.min(1, (m - rank) * (pValues[index] as number)))
    adjusted[index] = runningMax
  })
  return adjusted
}
