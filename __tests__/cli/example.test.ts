import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { checkComparison } from '../../src/compare/index.js'
import type { Comparison, MetricComparison } from '../../src/compare/index.js'
import { parseRunResult } from '../../src/results/parse.js'
import { buildEntry, runBundle } from '../helpers/cli.js'

const repo = resolve('.')
let cli: string
let dir: string

beforeAll(async () => {
  cli = await buildEntry('src/cli.ts')
})
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalgate-example-'))
})

/** `evalgate compare base head --format json`: its exit code and comparison. */
async function compare(
  base: string,
  head: string
): Promise<{ code: number | null; c: Comparison }> {
  const run = await runBundle(cli, ['compare', base, head, '--format', 'json'], { cwd: repo })
  const checked = checkComparison(JSON.parse(run.stdout))
  if (checked.problem !== undefined) throw new Error(checked.problem)
  return { code: run.code, c: checked.comparison }
}

function latencyP50(comparison: Comparison, providerId: string): MetricComparison | undefined {
  return comparison.groups
    .find((group) => group.providerId === providerId)
    ?.metrics.find((metric) => metric.metric === 'latency-p50')
}

describe('the example compared with itself, as an unchanged pull request is', () => {
  it('is no regression, even when the runner is slower for the head', async () => {
    const [base, head] = [join(dir, 'base.json'), join(dir, 'head.json')]
    // Side by side, so both runs meet the same load of the machine (the other test workers).
    const runs = await Promise.all(
      [base, head].map((out) =>
        runBundle(cli, ['run', 'evals', '--quiet', '--out', out], { cwd: repo })
      )
    )
    expect(runs.map((run) => run.code)).toEqual([0, 0])
    const same = await compare(base, head)
    expect(same.code).toBe(0)
    expect(same.c.verdict).not.toBe('regression')

    // Run after run on a shared runner, the router's command came out up to ×1.6 slower, and the
    // calculator's few slow answers (a busy event loop) several times slower: a slower machine,
    // not a regression. The head's answers take the base's times ×1.6 exactly: the two runs'
    // own difference under this machine's load would add to it.
    const baseRun = parseRunResult(await readFile(base, 'utf8'), base)
    const baseLatency = new Map(
      baseRun.suites.flatMap((suite) =>
        suite.results.map((result) => [
          `${suite.suite}/${result.providerId}/${result.caseId}/${result.repeat}`,
          result.latencyMs
        ])
      )
    )
    const slowed = parseRunResult(await readFile(head, 'utf8'), head)
    for (const suite of slowed.suites) {
      for (const result of suite.results) {
        const key = `${suite.suite}/${result.providerId}/${result.caseId}/${result.repeat}`
        const before = baseLatency.get(key)
        if (result.latencyMs !== null && before !== undefined && before !== null) {
          result.latencyMs = before * 1.6
        }
      }
    }
    const slowHead = join(dir, 'slow-head.json')
    await writeFile(slowHead, JSON.stringify(slowed))
    const slower = await compare(base, slowHead)
    expect(slower.code).toBe(0)
    expect(slower.c.verdict).not.toBe('regression')
    const router = latencyP50(slower.c, 'router-v2')
    expect(router?.delta).toBeGreaterThan(1.4)
    expect(router?.tolerance.maxRatio).toBe(2)
    expect(router?.verdict).not.toBe('regression')
    expect(latencyP50(slower.c, 'calculator')?.tolerance.maxRatio).toBe(1000)
  })
})
