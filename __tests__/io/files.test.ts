import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ResultsWriteError } from '../../src/errors.js'
import { readRunResult, writeRunResult, writeRunResultOrRescue } from '../../src/io/files.js'
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

describe('writeRunResultOrRescue', () => {
  it('writes where asked when it can, and nothing in the rescue directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-rescue-'))
    const rescueDir = await mkdtemp(join(tmpdir(), 'evalgate-rescue-dir-'))
    await writeRunResultOrRescue(join(dir, 'results.json'), runResult('abc123'), rescueDir)
    expect(await readdir(dir)).toEqual(['results.json'])
    expect(await readdir(rescueDir)).toEqual([])
  })

  it('says so when the rescue fails too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-rescue-'))
    const blocker = join(dir, 'a-file')
    await writeFile(blocker, '')
    const failed = writeRunResultOrRescue(
      join(blocker, 'results.json'),
      runResult('abc123'),
      join(blocker, 'rescue')
    )
    await expect(failed).rejects.toThrow(ResultsWriteError)
    await expect(failed).rejects.toThrow(
      new RegExp(
        `^cannot write the results to ${blocker}/results\\.json: E[A-Z]+: .*; nor to ${blocker}/rescue/evalgate-results-[0-9a-f]+\\.json: E[A-Z]+: `
      )
    )
  })
})
