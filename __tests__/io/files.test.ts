import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readRunResult, writeRunResult } from '../../src/io/files.js'
import type { RunResult } from '../../src/results/types.js'
import { runResult } from '../helpers/run-result.js'

async function roundTrip(run: RunResult): Promise<{ text: string; read: RunResult }> {
  const path = join(await mkdtemp(join(tmpdir(), 'evalgate-write-')), 'results.json')
  await writeRunResult(path, run)
  return { text: await readFile(path, 'utf8'), read: await readRunResult(path) }
}

describe('writeRunResult', () => {
  it('writes, a piece at a time, the JSON that reads back as the same run', async () => {
    const run = runResult('abc123')
    const suite = run.suites[0]
    if (!suite) throw new Error('the helper run has a suite')
    const answer = suite.results[0]
    if (!answer) throw new Error('the helper run has an answer')
    suite.cases.push({ id: 'c2', source: 'evals/triage.eval.yaml:10' })
    suite.results.push({ ...answer, caseId: 'c2', output: 'line\n"quoted" é🚀' })
    const second = { ...structuredClone(suite), suite: 'empty', cases: [], results: [] }
    const wide = { ...run, suites: [suite, second] }
    const { text, read } = await roundTrip(wide)
    expect(read).toEqual(wide)
    expect(JSON.parse(text)).toEqual(wide)
    // One line per answer, so a large file stays readable with line tools.
    expect(text.split('\n').filter((line) => line.includes('"caseId"'))).toHaveLength(2)
    expect(text.endsWith('}\n')).toBe(true)
  })

  it('writes a run without suites', async () => {
    const empty = { ...runResult('abc123'), suites: [] }
    expect((await roundTrip(empty)).read).toEqual(empty)
  })
})
