import { UsageError } from '../../src/errors.js'
import { mergeShards } from '../../src/results/merge.js'
import type { RunResult, SuiteResult } from '../../src/results/types.js'
import { runResult } from '../helpers/run-result.js'

/** Shard `index` of `total` of one commit's run, holding the one case `caseId`. */
function shard(index: number, total: number, caseId: string, edit?: (run: RunResult) => void) {
  const run = runResult('abc123')
  run.run = {
    ...run.run,
    id: `run-${index}`,
    startedAt: `2026-11-28T10:0${index}:00.000Z`,
    finishedAt: `2026-11-28T10:1${index}:00.000Z`,
    shard: { index, total }
  }
  const suite = run.suites[0]
  if (!suite) throw new Error('the helper run has a suite')
  suite.cases = [{ id: caseId, source: `evals/triage.eval.yaml:${index + 8}` }]
  suite.results = suite.results.map((r) => ({ ...r, caseId }))
  edit?.(run)
  return { file: `shard-${index}.json`, run }
}

/** The prompt and timeout a current run records of each suite (older results have neither). */
function recordDefinition(run: RunResult): void {
  for (const suite of run.suites)
    Object.assign(suite, { promptFingerprint: 'f1', timeoutMs: 60000 })
}

describe('mergeShards', () => {
  it('makes the run a single job would have made: every case, no shard, the whole time span', () => {
    const merged = mergeShards([shard(2, 2, 'c2'), shard(1, 2, 'c1')])
    expect(merged.run.shard).toBeUndefined()
    expect(merged.run).toMatchObject({
      complete: true,
      commit: 'abc123',
      startedAt: '2026-11-28T10:01:00.000Z',
      finishedAt: '2026-11-28T10:12:00.000Z'
    })
    expect(merged.suites).toHaveLength(1)
    expect(merged.suites[0]?.cases.map((c) => c.id)).toEqual(['c1', 'c2'])
    expect(merged.suites[0]?.results.map((r) => r.caseId)).toEqual(['c1', 'c2'])
    // The same shards always merge into the same run.
    expect(mergeShards([shard(1, 2, 'c1'), shard(2, 2, 'c2')]).run.id).toBe(merged.run.id)
  })

  it('merges shards of 200,000 answers each', () => {
    const big = (index: number) =>
      shard(index, 2, `c${index}`, (run) => {
        const suite = run.suites[0]
        const answer = suite?.results[0]
        if (!suite || !answer) throw new Error('the helper run has an answer')
        suite.results = Array.from({ length: 200_000 }, (_, repeat) => ({ ...answer, repeat }))
      })
    const merged = mergeShards([big(1), big(2)])
    expect(merged.suites[0]?.results).toHaveLength(400_000)
  })

  it('is incomplete when a shard was, and says which', () => {
    const cancelled = shard(2, 2, 'c2', (run) => {
      run.run.complete = false
      run.run.incompleteReason = 'cancelled (SIGTERM) after 0 of 1 answers'
    })
    const merged = mergeShards([shard(1, 2, 'c1'), cancelled])
    expect(merged.run.complete).toBe(false)
    expect(merged.run.incompleteReason).toBe(
      'shard-2.json (shard 2/2): cancelled (SIGTERM) after 0 of 1 answers'
    )
  })

  it.each<[string, number, [number, number]]>([
    ['last', 3, [1, 2]],
    ['first', 1, [2, 3]]
  ])(
    'merges a shard cancelled while its specs were loading, given %s, into an incomplete run that says so',
    (_where, cancelledIndex, loadedIndexes) => {
      const reason = 'cancelled (SIGINT) while loading the specs, before any answer'
      const cancelled = shard(cancelledIndex, 3, 'none', (run) => {
        run.run.complete = false
        run.run.incompleteReason = reason
        run.suites = []
      })
      const loaded = loadedIndexes.map((index) => shard(index, 3, `c${index}`))
      const merged = mergeShards(
        cancelledIndex === 1 ? [cancelled, ...loaded] : [...loaded, cancelled]
      )
      expect(merged.run.complete).toBe(false)
      expect(merged.run.incompleteReason).toBe(
        `shard-${cancelledIndex}.json (shard ${cancelledIndex}/3): ${reason}`
      )
      expect(merged.suites.map((suite) => suite.suite)).toEqual(['triage'])
      expect(merged.suites[0]?.cases.map((c) => c.id)).toEqual(
        loadedIndexes.map((index) => `c${index}`)
      )
    }
  )

  it('still refuses loaded shards of different suites beside one cancelled while loading', () => {
    const cancelled = shard(3, 3, 'none', (run) => {
      run.run.complete = false
      run.suites = []
    })
    const other = shard(2, 3, 'c2', (run) => ((run.suites[0] as { suite: string }).suite = 'other'))
    expect(() => mergeShards([cancelled, shard(1, 3, 'c1'), other])).toThrow(
      new UsageError(
        'shard-2.json (shard 2/3) ran the suites other, shard-1.json (shard 1/3) triage: merge shards of one run'
      )
    )
  })

  it.each([
    ['nothing', [], 'nothing to merge: give the results files of every shard'],
    [
      'a run without --shard',
      [shard(1, 2, 'c1', (run) => delete run.run.shard)],
      "shard-1.json is not a shard's results (it was run without --shard)"
    ],
    [
      'a shard twice',
      [shard(1, 2, 'c1'), { ...shard(1, 2, 'c2'), file: 'again.json' }],
      'again.json and shard-1.json are both shard 1/2'
    ],
    [
      'shards of two commits',
      [shard(1, 2, 'c1'), shard(2, 2, 'c2', (run) => (run.run.commit = 'def456'))],
      'shard-2.json (shard 2/2) is of commit def456, shard-1.json (shard 1/2) of abc123: merge shards of one commit'
    ],
    [
      'two ways of splitting',
      [shard(1, 2, 'c1'), shard(2, 3, 'c2')],
      'shard-2.json (shard 2/3) and shard-1.json (shard 1/2) split the cases differently: merge shards of one run'
    ],
    [
      'a case in two shards',
      [shard(1, 2, 'c1'), shard(2, 2, 'c1')],
      'case c1 of suite triage is in both shard-1.json and shard-2.json: merge shards of one run'
    ],
    [
      'a suite whose cases changed',
      [
        shard(1, 2, 'c1'),
        shard(2, 2, 'c2', (run) => ((run.suites[0] as { fingerprint: string }).fingerprint = 'z'))
      ],
      'suite triage differs between shard-2.json (shard 2/2) and shard-1.json (shard 1/2) (its cases or scorers): merge shards of one run'
    ],
    [
      'shards of two evalgate versions',
      [shard(1, 2, 'c1'), shard(2, 2, 'c2', (run) => (run.tool.version = '0.2.0'))],
      'shard-2.json (shard 2/2) was written by evalgate 0.2.0, shard-1.json (shard 1/2) by 0.1.0: run every shard with one version of evalgate'
    ],
    [
      'shards of two results formats',
      [shard(1, 2, 'c1'), shard(2, 2, 'c2', (run) => (run.schemaVersion = 2))],
      'shard-2.json (shard 2/2) is in results format 2, shard-1.json (shard 1/2) in format 4: run every shard with one build of evalgate'
    ],
    ...(
      [
        ['repeats', (suite) => (suite.repeats = 3), 'repeats 3 and 1'],
        ['min-pass-rate', (suite) => (suite.minPassRate = 0.8), 'min-pass-rate 0.8 and 1'],
        [
          'gate',
          (suite) => (suite.gate = { score: { min: 0.9 } }),
          'gate {"score":{"min":0.9}} and {}'
        ],
        ['prompt', (suite) => (suite.promptFingerprint = 'f2'), 'its prompt'],
        ['timeout', (suite) => (suite.timeoutMs = 30000), 'timeout 30000 ms and 60000 ms']
      ] as [string, (suite: SuiteResult) => void, string][]
    ).map(([what, edit, difference]): [string, ReturnType<typeof shard>[], string] => [
      `a suite whose ${what} changed`,
      [
        shard(1, 2, 'c1', recordDefinition),
        shard(2, 2, 'c2', (run) => {
          recordDefinition(run)
          edit(run.suites[0] as SuiteResult)
        })
      ],
      `suite triage differs between shard-2.json (shard 2/2) and shard-1.json (shard 1/2) (${difference}): merge shards of one run`
    ]),
    [
      'shards that asked different providers',
      [
        shard(1, 2, 'c1'),
        shard(2, 2, 'c2', (run) =>
          run.suites[0]?.providers.push({ id: 'echo3', type: 'exec', configFingerprint: 'e' })
        )
      ],
      'suite triage has the providers echo3, p in shard-2.json (shard 2/2) but p in shard-1.json (shard 1/2): merge shards of one run'
    ],
    [
      'shards that configured a provider differently',
      [
        shard(1, 2, 'c1'),
        shard(2, 2, 'c2', (run) => {
          const provider = run.suites[0]?.providers[0]
          if (provider) provider.configFingerprint = '0123456789abcdef0123'
        })
      ],
      'suite triage: provider p has the configuration fingerprint 0123456789ab in shard-2.json (shard 2/2) but d in shard-1.json (shard 1/2) (its model, parameters or settings changed between the shards): merge shards of one run'
    ],
    [
      'filtered shards of different suites',
      [
        shard(1, 2, 'c1', (run) => (run.run.filter = 'triage,other')),
        shard(2, 2, 'c2', (run) => {
          run.run.filter = 'triage,other'
          ;(run.suites[0] as { suite: string }).suite = 'other'
        })
      ],
      'shard-2.json (shard 2/2) ran the suites other, shard-1.json (shard 1/2) triage: merge shards of one run'
    ],
    [
      'shards of different suites',
      [
        shard(1, 2, 'c1'),
        shard(2, 2, 'c2', (run) => ((run.suites[0] as { suite: string }).suite = 'other'))
      ],
      'shard-2.json (shard 2/2) ran the suites other, shard-1.json (shard 1/2) triage: merge shards of one run'
    ]
  ])('refuses %s with one clear error', (_what, shards, message) => {
    expect(() => mergeShards(shards)).toThrow(new UsageError(message))
  })

  it('merges shards whose results predate the recorded prompt and timeout, or one that has them', () => {
    const merged = mergeShards([shard(1, 2, 'c1'), shard(2, 2, 'c2', recordDefinition)])
    expect(merged.suites[0]?.cases.map((c) => c.id)).toEqual(['c1', 'c2'])
  })
})
