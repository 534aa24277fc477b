import { UsageError } from '../../src/errors.js'
import { parseShard, planRun, shardOf } from '../../src/run/plan.js'
import { cases, suiteSpec } from '../helpers/suite.js'

const provider = {
  id: 'p',
  type: 'module',
  path: '/x.js',
  export: 'default',
  configFingerprint: 'f',
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
  })
})

describe('parseShard', () => {
  it('accepts i/n', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, total: 4 })
  })
  it.each(['0/4', '5/4', '2', 'a/b', '1/0'])('rejects %s', (text) => {
    expect(() => parseShard(text)).toThrow(UsageError)
  })
})
