import { compareRuns } from '../../src/compare/index.js'
import { formatPointsApart, powerGuidance } from '../../src/compare/format.js'
import type { Comparison, MetricComparison, MetricName } from '../../src/compare/types.js'
import { renderComparisonTerminal } from '../../src/report/comparison-terminal.js'
import { errored, runPair, scored } from './build.js'
import type { SuiteBuild } from './build.js'

const seed = 'a'.repeat(40)

function metric(c: Comparison, name: MetricName): MetricComparison {
  const found = c.groups[0]?.metrics.find((m) => m.metric === name)
  if (!found) throw new Error(`no ${name}`)
  return found
}

function compared(base: SuiteBuild, head: SuiteBuild): Comparison {
  const runs = runPair(base, head)
  return compareRuns(runs.base, runs.head, { seed })
}

describe('the error rate’s interval and advice', () => {
  it('shows a real upper bound when no case’s errored share changed', () => {
    // Case 0 errors in both runs, 20 cases: the interval held to the per-case changes was
    // [0.0, 0.0] and passed. Newcombe's bound: Wilson's for 1 of 20 is [0.0089, 0.2361], so
    // √((0.2361 − 0.05)² + (0.05 − 0.0089)²) = +19.1 pts.
    const same = (i: number) => (i === 0 ? errored('provider:bad-request', '400') : scored(1))
    const c = compared({ cases: 20, answer: same }, { cases: 20, answer: same })
    const errorRate = metric(c, 'error-rate')
    expect(errorRate).toMatchObject({
      verdict: 'inconclusive',
      reason:
        'error rate changed ±0.0 pts, not significant, and the 95% CI reaches +19.1 pts, beyond the +2.0 pts noise floor'
    })
    expect(renderComparisonTerminal(c, { color: false })).toMatch(
      /error rate +5\.0% +5\.0% +±0\.0 pts +\[0\.0, 19\.1\] pts .* INCONCLUSIVE/
    )
    // No case changed, yet a rate's spread is binomial: advice from p(1 − p) at 5%, not none.
    expect(powerGuidance(errorRate)).toMatch(
      /^needs ~[\d,]+ more paired cases for the 95% CI to rule out a rise of more than 2 points, 80% of the time if nothing changed; this run could detect a rise of/
    )
  })

  it('passes when no answer errored, saying what so many clean answers can vouch for', () => {
    // 1 − 0.05^(1/40) = 7.2%: a rate below it leaves 40 answers clean more than 5% of the time.
    const c = compared(
      { cases: 40, answer: () => scored(1) },
      { cases: 40, answer: () => scored(1) }
    )
    expect(metric(c, 'error-rate')).toMatchObject({
      verdict: 'pass',
      reason:
        'no answer errored in either run (40 answers each; a rate under 7.2% could go unseen on this many)'
    })
  })

  it('detects a rise at the spread of the raised rate, not of the unchanged one', () => {
    // 8 of 40 cases error in both runs and one more in the head: the per-case changes spread
    // only √(1/40) = 0.158, but a rise r from 20% spreads √(0.2 · 0.8 + (0.2 + r)(0.8 − r)).
    // At α = 0.05 (the error rate alone in its family), 40 cases, the rise found 80% of the time
    // solves r = max(0.02, t_{0.95, 39} · s(r) / √40) + t_{0.8, 39} · s(r) / √40, with
    // t_{0.95, 39} = 1.6849 and t_{0.8, 39} = 0.8513: r = 25.6 pts (the measured spread said 6.3).
    const errs = (k: number) => (i: number) =>
      i < k ? errored('provider:bad-request', '400') : scored(1)
    const c = compared({ cases: 40, answer: errs(8) }, { cases: 40, answer: errs(9) })
    const errorRate = metric(c, 'error-rate')
    expect(errorRate.verdict).toBe('inconclusive')
    expect(errorRate.power?.minimumDetectableEffect).toBeCloseTo(0.25613, 4)
    expect(powerGuidance(errorRate)).toContain(
      'this run could detect a rise of 25.6 pts or more 80% of the time'
    )
  })
})

describe('the advice on an inconclusive score', () => {
  it('sizes a few cases with t quantiles and says the power', () => {
    // 6 cases, per-case changes −10, 0, −5, 0, −15, +5 pts: sd 0.07360, mean −4.2 pts.
    // Detectable: max(0.02, t_{0.95, 5} · 0.0736 / √6) + t_{0.8, 5} · 0.0736 / √6 with
    // t_{0.95, 5} = 2.0150 and t_{0.8, 5} = 0.9195: 0.0605 + 0.0276 = 8.8 pts (z said 7.5).
    // Settling: an unchanged run's 95% CI clears −5 pts 80% of the time once
    // (t_{0.975, n−1} + t_{0.8, n−1}) · 0.0736 / √n ≤ 0.05: at 19 df 2.0930 + 0.8610 gives
    // (2.9540 · 0.0736 / 0.05)² = 18.9, so 20 cases, 14 more (at 18 df, 19.02 > 19).
    const changes = [-0.1, 0, -0.05, 0, -0.15, 0.05]
    const c = compared(
      { cases: 6, answer: () => scored(0.9) },
      { cases: 6, answer: (i) => scored(0.9 + (changes[i] ?? 0)) }
    )
    const score = metric(c, 'score')
    expect(score.power).toMatchObject({ requiredCases: 20, additionalCases: 14 })
    expect(score.power?.minimumDetectableEffect).toBeCloseTo(0.0881735, 6)
    expect(powerGuidance(score)).toBe(
      'needs ~14 more paired cases for the 95% CI to rule out a drop of more than 5 points, 80% of the time if nothing changed; this run could detect a drop of 8.8 pts or more 80% of the time'
    )
  })

  it('says no drop could be detected rather than one beyond 100 points', () => {
    // 5 cases at one answer: two fell, two rose. The approximation's detectable drop is 137 pts.
    const c = compared(
      { cases: 5, answer: (i) => scored(i < 2 || i === 4 ? 1 : 0) },
      { cases: 5, answer: (i) => scored(i < 2 ? 0 : 1) }
    )
    const guidance = powerGuidance(metric(c, 'score'))
    expect(guidance).toContain('this run could not detect even a 100-point drop 80% of the time')
    expect(guidance).not.toMatch(/\d{3}\.\d pts/)
  })

  it('says no run size settles a tolerance of nothing, and writes no −0.0 margin', () => {
    const gate = { score: { noise: 0, 'max-drop': 0 } }
    const c = compared(
      { cases: 30, gate, answer: () => scored(1) },
      {
        cases: 30,
        gate,
        answer: (i) => (i < 2 ? errored('provider:bad-request', '400') : scored(i === 5 ? 0 : 1))
      }
    )
    const score = metric(c, 'score')
    expect(score.reason).toContain('the 95% CI reaches below the no-drop margin')
    expect(powerGuidance(score)).toMatch(
      /; no run size can rule out every drop when none is tolerated$/
    )
    const errorRate = metric(c, 'error-rate')
    expect(errorRate.reason).toContain('beyond the +0.0 pts noise floor')
    // No CI settles a floor of 0, so the advice is for the rise measured to be a regression.
    expect(powerGuidance(errorRate)).toMatch(
      /^needs ~[\d,]+ more paired cases for the \+6\.7 pts measured to be a regression 80% of the time, if it is the true change; this run could detect a rise of [\d.]+ pts or more 80% of the time; no run size can rule out every rise when none is tolerated$/
    )
    const text = renderComparisonTerminal(c, { color: false })
    expect(text).not.toContain('0.0000000000')
    expect(text).not.toContain('−0.0 pts margin')
    expect(formatPointsApart(0, 0)).toEqual(['±0.0 pts', '0.0 pts'])
    expect(formatPointsApart(-0.02, 0.02)).toEqual(['−2.0 pts', '2.0 pts'])
  })

  it('says no run size settles `max-ratio: 1`, not "a ×1.00 slowdown"', () => {
    const gate = { 'latency-p50': { 'max-ratio': 1 } }
    const c = compared(
      { cases: 12, gate, answer: (i) => scored(1, { latencyMs: 400 + 10 * i }) },
      {
        cases: 12,
        gate,
        answer: (i) => scored(1, { latencyMs: (400 + 10 * i) * (i % 2 ? 1.3 : 0.8) })
      }
    )
    const guidance = powerGuidance(metric(c, 'latency-p50'))
    expect(guidance).toMatch(/no run size can rule out every slowdown when none is tolerated$/)
    expect(guidance).not.toContain('×1.00 slowdown')
  })
})

describe('the cost ratio’s interval on few cases', () => {
  it('spans the bootstrap and the delta method with t quantiles', () => {
    // Costs 1–6 m$ → 1.3, 1.9, 3.6, 4.1, 6.2, 6.1 m$: ratio 1.1048, delta-method standard error
    // 0.05355; t_{0.975, 5} = 2.5706 gives [0.9671, 1.2424] (the normal quantile [0.9998, 1.2097],
    // which the percentile bootstrap alone undercovers like).
    const base = [1, 2, 3, 4, 5, 6]
    const head = [1.3, 1.9, 3.6, 4.1, 6.2, 6.1]
    const c = compared(
      { cases: 6, answer: (i) => scored(1, { cost: (base[i] ?? 0) / 1000 }) },
      { cases: 6, answer: (i) => scored(1, { cost: (head[i] ?? 0) / 1000 }) }
    )
    const cost = metric(c, 'cost')
    expect(cost.interval?.method).toBe('bootstrap-and-delta-t-ratio')
    expect(cost.interval?.low).toBeCloseTo(0.96709913, 7)
    expect(cost.interval?.high).toBeCloseTo(1.24242468, 7)
  })
})
