import { checkComparison, compareRuns } from '../../src/compare/index.js'
import type { Comparison } from '../../src/compare/index.js'
import { regression } from '../report/comparison-fixtures.js'
import { buildRun, buildSuite, errored, lcg, runPair, scored } from './build.js'

const seed = 'a'.repeat(40)

/** Comparisons of many shapes, as compareRuns makes them. */
function comparisons(): Record<string, Comparison> {
  const rng = lcg(7)
  const operational = runPair(
    {
      cases: 60,
      repeats: 3,
      cluster: (i) => `topic-${i % 6}`,
      answer: () =>
        scored(rng() < 0.8 ? 1 : 0, {
          latencyMs: 100 + 50 * rng(),
          cost: 0.001,
          tokens: { input: 100, output: 20 }
        })
    },
    {
      cases: 60,
      repeats: 3,
      cluster: (i) => `topic-${i % 6}`,
      answer: (i) =>
        i % 10 === 0
          ? errored('provider:server', '503')
          : scored(rng() < 0.6 ? 1 : 0, {
              latencyMs: 200 + 50 * rng(),
              cost: 0.002,
              tokens: { input: 100, output: 40 },
              attempts: 2
            })
    }
  )
  const scorersChanged = runPair(
    { cases: 10, answer: () => scored(1) },
    { cases: 12, firstCase: 2, scorersFingerprint: 'other', answer: () => scored(0.5) }
  )
  const gated = runPair(
    { cases: 30, gate: { score: { min: 0.9 } }, answer: () => scored(1) },
    { cases: 30, gate: { score: { min: 0.9 } }, answer: (i) => scored(i < 10 ? 0 : 1) }
  )
  const suiteAdded = {
    base: buildRun([buildSuite({ cases: 5, answer: () => scored(1) })]),
    head: buildRun([
      buildSuite({ cases: 5, answer: () => scored(1) }),
      buildSuite({ suite: 'refunds', providers: ['a', 'b'], cases: 4, answer: () => scored(1) })
    ])
  }
  const small = runPair(
    { cases: 8, answer: (i) => scored(i < 6 ? 1 : 0) },
    { cases: 8, answer: (i) => scored(i < 5 ? 1 : 0) }
  )
  for (const run of [small.base, small.head]) {
    const provider = run.suites[0]?.providers[0]
    if (provider) provider.label = 'GPT (labelled)'
  }
  return {
    'inconclusive with power advice, a labelled provider': compareRuns(small.base, small.head, {
      seed
    }),
    'regression with flipped outputs': regression({ cases: 40, flipped: 12 }),
    'errors, latency, cost, clusters, repeats': compareRuns(operational.base, operational.head, {
      seed
    }),
    'changed scorers, added and removed cases': compareRuns(
      scorersChanged.base,
      scorersChanged.head,
      { seed, strict: true }
    ),
    'an absolute floor': compareRuns(gated.base, gated.head, { seed }),
    'a new suite': compareRuns(suiteAdded.base, suiteAdded.head, { seed })
  }
}

describe('checkComparison against schema/comparison.schema.json', () => {
  it.each(Object.entries(comparisons()))('accepts what compareRuns makes: %s', (_, made) => {
    // Through JSON, as the file is read back.
    const checked = checkComparison(JSON.parse(JSON.stringify(made)))
    expect(checked.problem).toBeUndefined()
  })

  it('refuses a forged field where a report would put it unescaped, saying where', () => {
    const made = regression({ cases: 20, flipped: 5 })
    const forged = (edit: (c: Record<string, unknown>) => void) => {
      const copy = JSON.parse(JSON.stringify(made)) as Record<string, unknown>
      edit(copy)
      return checkComparison(copy).problem
    }
    expect(
      forged((c) => ((c.options as Record<string, unknown>).alpha = '0.05 @octo-org/security'))
    ).toMatch(/^\/options\/alpha must be number/)
    expect(
      forged((c) => {
        const group = (c.groups as Record<string, Record<string, unknown>>[])[0]
        if (group?.flips) group.flips.passToFail = '10 @everyone #1'
      })
    ).toMatch(/^\/groups\/0\/flips\/passToFail must be integer/)
    expect(forged((c) => (c.extra = '<img src=x>'))).toMatch(/must NOT have additional properties/)
    expect(forged((c) => (c.verdict = 'pass <b>'))).toMatch(/^\/verdict must be equal to one of/)
  })
})
