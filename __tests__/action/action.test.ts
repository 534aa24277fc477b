import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseRunResult } from '../../src/results/parse.js'
import { buildEntry, runBundle } from '../helpers/cli.js'

/** Runs the action's bundle as the runner does: inputs and file commands through the environment. */
async function runAction(inputs: Record<string, string>, cwd: string) {
  const dir = await mkdtemp(join(tmpdir(), 'evalgate-action-'))
  const output = join(dir, 'output')
  const summary = join(dir, 'summary')
  await writeFile(output, '')
  await writeFile(summary, '')
  const env: Record<string, string> = {
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_WORKSPACE: cwd,
    GITHUB_SHA: 'f00dfeed',
    GITHUB_EVENT_NAME: 'push'
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  const run = await runBundle(action, [], { cwd, env })
  return {
    ...run,
    outputs: await readFile(output, 'utf8'),
    summary: await readFile(summary, 'utf8'),
    dir
  }
}

/** The values of `name<<delimiter … delimiter` entries the runner reads from GITHUB_OUTPUT. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const pattern = /^(.+?)<<(.+)\n([\s\S]*?)\n\2$/gm
  for (const match of text.matchAll(pattern)) outputs[match[1] as string] = match[3] as string
  return outputs
}

let action: string
beforeAll(async () => {
  action = await buildEntry('src/index.ts')
})

describe('the action bundle', () => {
  it('runs the suites, writes the results, outputs and job summary', async () => {
    const results = join(await mkdtemp(join(tmpdir(), 'evalgate-results-')), 'r.json')
    const run = await runAction(
      { specs: 'evals', 'results-path': results, concurrency: '4' },
      resolve('.')
    )
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('evalgate: running 131 answers')
    expect(parseOutputs(run.outputs)).toEqual({ 'results-path': results, passed: 'true' })
    expect(run.summary).toContain('| ticket-triage | router-v1 | 60 | 78.3% |')
    expect(run.summary).toContain(
      '<details><summary>ticket-triage / router-v1: 13 failed or errored</summary>'
    )
    const parsed = parseRunResult(await readFile(results, 'utf8'), results)
    expect(parsed.run).toMatchObject({ commit: 'f00dfeed', event: 'push', complete: true })
  })

  it('fails the step when a suite is below its min-pass-rate', async () => {
    const run = await runAction(
      { specs: 'threshold', 'results-path': 'out/r.json' },
      resolve('__tests__/fixtures/cli')
    )
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(
      /^::error::evalgate: pass rate below min-pass-rate in flaky\/half-right; results in .*out\/r\.json$/m
    )
    expect(parseOutputs(run.outputs).passed).toBe('false')
  })

  it('reports a bad input as one error, without running', async () => {
    const run = await runAction({ specs: 'evals', concurrency: 'many' }, resolve('.'))
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(
      '::error::input `concurrency` must be a positive integer, got "many"'
    )
    expect(run.outputs).toBe('')
  })
})
