import { UsageError } from '../../src/errors.js'
import { MAX_SHARDS, parseShard, planRun, shardOf } from '../../src/run/plan.js'
import { cases, suiteSpec } from '../helpers/suite.js'

const provider = {
  id: 'p',
  type: 'module',
  path: '/x.js',
  export: 'default',
  configFingerprint: 'f',
  answerConfigFingerprint: 'f',
  specDirectory: '.',
  source: { file: 'x' }
} as const

describe('planRun', () => {
  const triage = suiteSpec({
    suite: 'triage',
    cases: cases(100, 'ticket'),
    providers: [provider, { ...provider, id: 'q' }],
    repeats: 3
  })
  const refunds = suiteSpec({ suite: 'refunds', cases: cases(10, 'refund'), providers: [provider] })

  it('counts calls as cases × providers × repeats', () => {
    const plan = planRun([triage, refunds])
    expect(plan.totalCalls).toBe(100 * 2 * 3 + 10)
  })

  it('--repeats overrides every suite', () => {
    expect(planRun([triage, refunds], { repeats: 1 }).totalCalls).toBe(200 + 10)
  })

  it('shards partition the cases: every case in exactly one shard, stable when cases are added', () => {
    const seen = new Map<string, number>()
    for (let index = 1; index <= 4; index++) {
      for (const c of planRun([triage], { shard: { index, total: 4 } }).suites[0]?.cases ?? []) {
        expect(seen.has(c.id)).toBe(false)
        seen.set(c.id, index)
      }
    }
    expect(seen.size).toBe(100)
    const grown = suiteSpec({ suite: 'triage', cases: cases(150, 'ticket'), providers: [provider] })
    for (let index = 1; index <= 4; index++) {
      for (const c of planRun([grown], { shard: { index, total: 4 } }).suites[0]?.cases ?? []) {
        if (seen.has(c.id)) expect(seen.get(c.id)).toBe(index)
      }
    }
    // Not all in one shard: the hash spreads them.
    expect(new Set(seen.values()).size).toBe(4)
  })

  it('shardOf depends on suite and case id only', () => {
    expect(shardOf('triage', 'ticket-1', 7)).toBe(shardOf('triage', 'ticket-1', 7))
  })

  it('filters by suite glob and case glob', () => {
    const plan = planRun([triage, refunds], { filter: 'triage/ticket-1?' })
    expect(plan.suites.map((s) => s.spec.suite)).toEqual(['triage'])
    expect(plan.suites[0]?.cases.map((c) => c.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `ticket-1${i}`)
    )
    expect(planRun([triage, refunds], { filter: 'ref*' }).suites.map((s) => s.spec.suite)).toEqual([
      'refunds'
    ])
    expect(
      planRun([triage, refunds], { filter: 'refunds/refund-1, triage/ticket-2' }).totalCalls
    ).toBe(1 + 6)
  })

  it('a filter that matches nothing is a usage error naming the suites', () => {
    expect(() => planRun([triage, refunds], { filter: 'nope' })).toThrow(
      /matches no case; suites: triage, refunds/
    )
    expect(() =>
      planRun([triage, refunds], { filter: 'nope', shard: { index: 1, total: 2 } })
    ).toThrow(/matches no case; suites: triage, refunds/)
  })

  it('with --filter, a shard that gets none of the filtered cases is an empty shard, not an error', () => {
    const alpha = suiteSpec({ suite: 'alpha', cases: cases(300, 'a'), providers: [provider] })
    const beta = suiteSpec({ suite: 'beta', cases: cases(3, 'b'), providers: [provider] })
    const plans = [1, 2, 3, 4, 5].map((index) =>
      planRun([alpha, beta], { filter: 'beta', shard: { index, total: 5 } })
    )
    // Every shard lists the filtered suite, so the shards merge; together they hold its 3 cases.
    for (const plan of plans) expect(plan.suites.map((s) => s.spec.suite)).toEqual(['beta'])
    const sizes = plans.map((plan) => plan.suites[0]?.cases.length ?? -1)
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(3)
    expect(sizes.filter((size) => size === 0).length).toBeGreaterThanOrEqual(2)
    expect(plans.map((plan) => plan.totalCalls)).toEqual(sizes)
  })
})

describe('parseShard', () => {
  it('accepts i/n', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, total: 4 })
  })
  it.each(['0/4', '5/4', '2', 'a/b', '1/0'])('rejects %s', (text) => {
    expect(() => parseShard(text)).toThrow(UsageError)
  })
  it('accepts up to MAX_SHARDS shards', () => {
    expect(parseShard(`${MAX_SHARDS}/${MAX_SHARDS}`)).toEqual({
      index: MAX_SHARDS,
      total: MAX_SHARDS
    })
  })
  it.each([
    '1/99999999999999999999999',
    '99999999999999999999999/99999999999999999999999',
    '1/10001'
  ])('rejects %s, which would run no case or the wrong ones, saying the limit', (text) => {
    expect(() => parseShard(text)).toThrow(
      new UsageError(
        `--shard "${text}" has ${text.split('/')[1]} shards; at most 10000 are allowed, e.g. --shard 2/4`
      )
    )
  })
})

describe('shardOf', () => {
  it('spreads cases over every shard up to MAX_SHARDS', () => {
    const counts = new Map<number, number>()
    for (let i = 0; i < 3 * MAX_SHARDS; i++) {
      const shard = shardOf('triage', `case-${i}`, MAX_SHARDS)
      expect(Number.isInteger(shard) && shard >= 1 && shard <= MAX_SHARDS).toBe(true)
      counts.set(shard, (counts.get(shard) ?? 0) + 1)
    }
    // Three cases per shard on average: about 95% of the shards get one (1 − e⁻³).
    expect(counts.size).toBeGreaterThan(0.93 * MAX_SHARDS)
    const upperHalf = [...counts.keys()].filter((shard) => shard > MAX_SHARDS / 2).length
    expect(Math.abs(upperHalf / counts.size - 0.5)).toBeLessThan(0.03)
  })
})
