import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseRunResult } from '../../src/results/parse.js'
import { runActionBundle } from '../helpers/action.js'
import { buildEntry } from '../helpers/cli.js'
import { makeFifo, unlessStuckOn } from '../helpers/fifo.js'
import { runResult } from '../helpers/run-result.js'

let action: string
let results: string
beforeAll(async () => {
  action = await buildEntry('src/index.ts')
})
beforeEach(async () => {
  results = join(await mkdtemp(join(tmpdir(), 'evalgate-results-')), 'r.json')
})

/** Without a token, on a push to the default branch: the run, its outputs and job summary. */
function run(inputs: Record<string, string>, cwd = resolve('.')) {
  return runActionBundle(action, {
    cwd,
    inputs: { 'results-path': results, ...inputs },
    env: { GITHUB_SHA: 'f00dfeed', GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main' },
    // A push to the default branch: an event that compares with a baseline.
    payload: { repository: { default_branch: 'main' } }
  })
}

/** Shard `index` of 2 of a run of the commit the action runs on, written in `dir`. */
async function writeShard(dir: string, index: number): Promise<string> {
  const shard = runResult('f00dfeed')
  shard.run = { ...shard.run, id: `run-${index}`, shard: { index, total: 2 } }
  for (const suite of shard.suites) {
    suite.cases = suite.cases.map((info) => ({ ...info, id: `c${index}` }))
    suite.results = suite.results.map((result) => ({ ...result, caseId: `c${index}` }))
  }
  const path = join(dir, `results-${index}.json`)
  await writeFile(path, JSON.stringify(shard))
  return path
}

/** A workspace whose `one.eval.yaml` asks `app.js` (of `appSource`) one case. */
async function oneCaseWorkspace(appSource: string): Promise<string> {
  const workspace = await mkdtemp(join(tmpdir(), 'evalgate-one-'))
  await writeFile(join(workspace, 'app.js'), appSource)
  await writeFile(
    join(workspace, 'one.eval.yaml'),
    [
      'suite: one',
      'providers:',
      '  - { id: app, type: module, path: ./app.js }',
      "prompt: 'hi'",
      'cases:',
      '  - { id: a, vars: {} }',
      'scorers:',
      '  - { type: equals, expected: x }',
      ''
    ].join('\n')
  )
  return workspace
}

describe('the action bundle without a token', () => {
  it('runs the suites, writes the results, outputs and job summary', async () => {
    const result = await run({ specs: 'evals', concurrency: '4' })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('evalgate: running 131 answers')
    expect(result.stdout).toContain(
      '::warning::evalgate: no `github-token`: no baseline, comment or tracking issue'
    )
    expect(result.outputs).toEqual({
      'results-path': results,
      passed: 'true',
      verdict: 'no-baseline'
    })
    // Never a silent pass: the report says first that nothing was compared, and why.
    expect(result.summary).toMatch(
      /^### evalgate: no baseline\n\nNo `github-token`, so no baseline could be read: .* Nothing was compared and this check does not fail for it;/
    )
    expect(result.summary).toContain('| ticket-triage | router-v1 | 60 | 78.3% |')
    expect(result.summary).toContain(
      '<details><summary>ticket-triage / router-v1: 13 failed or errored</summary>'
    )
    const parsed = parseRunResult(await readFile(results, 'utf8'), results)
    expect(parsed.run).toMatchObject({ commit: 'f00dfeed', event: 'push', complete: true })
  })

  it('an event that compares nothing is not-compared without a token too', async () => {
    const release = await runActionBundle(action, {
      cwd: resolve('.'),
      inputs: { 'results-path': results, specs: 'evals/refunds.eval.yaml' },
      env: { GITHUB_SHA: 'f00dfeed', GITHUB_EVENT_NAME: 'release', GITHUB_REF: 'refs/tags/v1' }
    })
    expect(release.code).toBe(0)
    expect(release.outputs.verdict).toBe('not-compared')
    expect(release.stdout).toContain('evalgate: a release event compares nothing')
    expect(release.summary).toMatch(
      /^### evalgate: nothing compared\n\nNothing was compared, and this check does not fail for it: a release event compares nothing \(pull_request, merge_group, a push to the default branch, schedule and workflow_dispatch do\)\.\n/
    )
  })

  it('fails the step when a suite is below its min-pass-rate', async () => {
    const result = await run({ specs: 'threshold' }, resolve('__tests__/fixtures/cli'))
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /^::error::evalgate: pass rate below min-pass-rate in flaky\/half-right; results in .*r\.json$/m
    )
    expect(result.outputs.passed).toBe('false')
    // The report says first why the check fails, whatever a comparison would say.
    expect(result.summary).toMatch(
      /^> \[!CAUTION\]\n> \*\*Below min-pass-rate, so this check fails:\*\* flaky \/ half-right passed 50\.0% \(min-pass-rate 75\.0%\)\.\n/
    )
    const lenient = await run(
      { specs: 'threshold', 'fail-on-threshold': 'false' },
      resolve('__tests__/fixtures/cli')
    )
    expect(lenient.code).toBe(0)
    expect(lenient.summary).not.toContain('CAUTION')
  })

  it('withholds its inputs and the runner’s tokens from the code under test', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'evalgate-env-'))
    await writeFile(
      join(cwd, 'env.eval.yaml'),
      [
        'suite: env',
        'providers:',
        '  - id: printer',
        '    type: exec',
        '    command:',
        '      - node',
        '      - -e',
        "      - process.stdout.write(Object.keys(process.env).filter((k) => /^(INPUT_|ACTIONS_)/.test(k)).join(',') || 'none')",
        "prompt: 'x'",
        'cases: [{ id: one, vars: {} }]',
        "scorers: [{ type: equals, expected: 'none' }]"
      ].join('\n')
    )
    const result = await runActionBundle(action, {
      cwd,
      inputs: { 'results-path': results, specs: '.', 'github-token': 'ghs_notForTheCodeUnderTest' },
      env: {
        GITHUB_SHA: 'f00dfeed',
        // An event that compares nothing: no call to GitHub, only the run.
        GITHUB_EVENT_NAME: 'release',
        ACTIONS_RUNTIME_TOKEN: 'runtime-token-value',
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'id-token-value'
      }
    })
    expect(result.code).toBe(0)
    const [answer] =
      parseRunResult(await readFile(results, 'utf8'), results).suites[0]?.results ?? []
    expect(answer).toMatchObject({ output: 'none', pass: true })
  })

  it('reports a bad input as one error, without running', async () => {
    const result = await run({ specs: 'evals', concurrency: 'many' })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(
      '::error::evalgate: input `concurrency` must be a positive integer, got "many"'
    )
    expect(result.outputs).toEqual({})
  })

  it('names a spec path it cannot read among others, and the input `specs`, without denying the specs found', async () => {
    const result = await run({ specs: 'evals,nonexistent' })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /^::error::evalgate: input `specs`: 1 spec path could not be read:%0A {2}nonexistent: no such file or directory/m
    )
    expect(result.stdout).not.toContain('no eval specs to load')
  })

  it('says a `# comment` line of a YAML block of `specs` is read as a path, and what to do', async () => {
    const result = await run({ specs: '# the suites\nevals\n' })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(
      '# the suites: no such file or directory (a YAML block scalar (`specs: |`) keeps a `# comment` line as text, so it was read as a path: remove the line)'
    )
  })

  it('fails the step, and says why, when the code under test ends the process with exit code 0', async () => {
    const workspace = await oneCaseWorkspace('export default () => process.exit(0)\n')
    const result = await run({ specs: 'one.eval.yaml' }, workspace)
    expect(result.stdout).toContain(
      '::error::evalgate: the code under test ended the process (process.exit) before evalgate finished: no results written'
    )
    expect(result.code).toBe(1)
  })

  it('fails the step, and says why, when the code under test ends the process with exit code 2', async () => {
    const workspace = await oneCaseWorkspace('export default () => process.exit(2)\n')
    const result = await run({ specs: 'one.eval.yaml' }, workspace)
    expect(result.stdout).toContain(
      '::error::evalgate: the code under test ended the process (process.exit) before evalgate finished: no results written'
    )
    expect(result.code).toBe(1)
  })

  it('keeps a failed step failed when the code under test calls process.exit(0) after the run', async () => {
    const workspace = await oneCaseWorkspace(
      "export default () => { setTimeout(() => process.exit(0), 300); return 'wrong' }\n"
    )
    const result = await run({ specs: 'one.eval.yaml' }, workspace)
    expect(result.stdout).toMatch(/^::error::evalgate: pass rate below min-pass-rate in one\/app/m)
    expect(result.code).toBe(1)
  })

  it('fails the step, quoting the error, when an error the code under test throws in a timer ends the process', async () => {
    const workspace = await oneCaseWorkspace(
      "export default () => { setTimeout(() => { throw new TypeError('boom from a timer') }); return new Promise((done) => setTimeout(() => done('x'), 200)) }\n"
    )
    const result = await run({ specs: 'one.eval.yaml' }, workspace)
    expect(result.stdout).toContain(
      '::error::evalgate: an uncaught error ("TypeError: boom from a timer"; its stack follows) ended the process before evalgate finished: no results written\n'
    )
    expect(result.stderr).toContain('TypeError: boom from a timer\n    at ')
    expect(result.code).toBe(1)
  })

  it('passes a step that passed when the code under test set process.exitCode', async () => {
    const workspace = await oneCaseWorkspace(
      "export default () => { process.exitCode = 5; return 'x' }\n"
    )
    const result = await run({ specs: 'one.eval.yaml' }, workspace)
    expect(result.stdout).not.toContain('::error::')
    expect(result.outputs.passed).toBe('true')
    expect(result.code).toBe(0)
  })

  it('fails with a message, not Node’s exit 13, when a module never finishes loading', async () => {
    const workspace = await oneCaseWorkspace(
      'await new Promise(() => {})\nexport default () => "x"\n'
    )
    const result = await run({ specs: 'one.eval.yaml' }, workspace)
    expect(result.stderr).not.toMatch(/unsettled top-level await/)
    expect(result.stdout).toContain(
      '::error::evalgate: stalled: evalgate waits for something that can never settle: still importing app.js (a top-level await there, or in a module it imports, that nothing resolves)'
    )
    expect(result.stdout).toContain(
      `::error::evalgate: cancelled (stalled) while loading the specs, before any answer; partial results in ${results}`
    )
    expect(result.outputs).toEqual({
      'results-path': results,
      verdict: 'incomplete',
      passed: 'false'
    })
    expect(result.code).toBe(1)
  })

  it('refuses a results path that is a file other than results (one the code imports), before the run', async () => {
    const workspace = await oneCaseWorkspace(
      "import { answer } from './answer.js'\nexport default () => answer\n"
    )
    const imported = "export const answer = 'x'\n"
    await writeFile(join(workspace, 'answer.js'), imported)
    const result = await run({ specs: 'one.eval.yaml', 'results-path': 'answer.js' }, workspace)
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /^::error::evalgate: .*answer\.js, which is not an evalgate results file/m
    )
    expect(result.stdout).not.toContain('evalgate: running')
    expect(await readFile(join(workspace, 'answer.js'), 'utf8')).toBe(imported)
  })

  it('a run cancelled by the runner neither passes nor compares: its outputs and summary say so', async () => {
    // The runner cancels a job with SIGTERM; the code under test sends it while it is answering.
    const workspace = await oneCaseWorkspace(
      "export default (_input, { signal }) => { process.kill(process.pid, 'SIGTERM'); return new Promise((resolve) => signal.addEventListener('abort', () => resolve('x'))) }\n"
    )
    const result = await run({ specs: 'one.eval.yaml' }, workspace)
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/^::error::evalgate: cancelled \(SIGTERM\)/m)
    expect(result.outputs).toEqual({
      'results-path': results,
      verdict: 'incomplete',
      passed: 'false'
    })
    expect(result.summary).toMatch(
      /^### evalgate: incomplete run\n\nThe run did not finish \(cancelled \(SIGTERM\) after 0 of 1 answers\): nothing was compared/
    )
  })

  it('refuses merge-from into a results path that is one of the shards, leaving it as it was', async () => {
    const shards = await mkdtemp(join(tmpdir(), 'evalgate-shards-'))
    const [first] = await Promise.all([writeShard(shards, 1), writeShard(shards, 2)])
    const shard = await readFile(first, 'utf8')
    const result = await run({ 'merge-from': shards, 'results-path': first })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(
      `::error::evalgate: input \`results-path\` would overwrite the shard (${first}): set it to a file of its own, e.g. merged/results.json`
    )
    expect(await readFile(first, 'utf8')).toBe(shard)
    expect(result.outputs).toEqual({})
  })

  it('refuses merge-from into a results path that is a file other than results', async () => {
    const shards = await mkdtemp(join(tmpdir(), 'evalgate-shards-'))
    await Promise.all([writeShard(shards, 1), writeShard(shards, 2)])
    const notes = join(shards, 'notes.md')
    await writeFile(notes, '# notes\n')
    const result = await run({ 'merge-from': shards, 'results-path': notes })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /^::error::evalgate: input `results-path` would overwrite .*notes\.md, which is not an evalgate results file/m
    )
    expect(await readFile(notes, 'utf8')).toBe('# notes\n')
  })

  it('refuses a merge-from file that is a named pipe at once, naming it', async () => {
    const shards = await mkdtemp(join(tmpdir(), 'evalgate-shards-'))
    const fifo = join(shards, 'results-2.json')
    await makeFifo(fifo)
    const result = await unlessStuckOn(
      fifo,
      run({ 'merge-from': `${await writeShard(shards, 1)}\n${fifo}` })
    )
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(
      `${fifo}: not a regular file (point at the results file a run wrote)`
    )
  })

  it('says a merge-from directory of results run without --shard holds no shard', async () => {
    const shards = await mkdtemp(join(tmpdir(), 'evalgate-shards-'))
    await writeFile(join(shards, 'results.json'), JSON.stringify(runResult('f00dfeed')))
    const result = await run({ 'merge-from': shards })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(
      `::error::evalgate: ${join(shards, 'results.json')} is not a shard's results (it was run without --shard)`
    )
  })

  it('merges shards downloaded one directory per artifact, as download-artifact lays them out without merge-multiple', async () => {
    const shards = await mkdtemp(join(tmpdir(), 'evalgate-shards-'))
    await Promise.all(
      [1, 2].map(async (index) => {
        const artifact = join(shards, `evalgate-shard-${index}`)
        await mkdir(artifact)
        await writeShard(artifact, index)
      })
    )
    const result = await run({ 'merge-from': shards })
    expect(result.stdout).toContain(`evalgate: merged 2 shards into ${results}`)
    expect(result.code).toBe(0)
    const merged = parseRunResult(await readFile(results, 'utf8'), results)
    expect(merged.suites[0]?.cases.map(({ id }) => id)).toEqual(['c1', 'c2'])
  })

  it('says a merge-from directory without results, in it or its subdirectories, holds none, naming the input', async () => {
    const shards = await mkdtemp(join(tmpdir(), 'evalgate-shards-'))
    await mkdir(join(shards, 'evalgate-shard-1'))
    const result = await run({ 'merge-from': shards })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(
      `::error::evalgate: input \`merge-from\`: ${shards} holds no results file (*.json), nor does any directory directly in it (one per downloaded artifact)`
    )
  })

  it('refuses a merge-from pattern, saying it is not expanded and what to name instead', async () => {
    const result = await run({ 'merge-from': '.evalgate/*.json' })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(
      '::error::evalgate: input `merge-from` takes files and directories, not patterns (`*` and `?` are not expanded), got ".evalgate/*.json": name the directory the shards\' artifacts were downloaded to'
    )
  })

  it('warns of the inputs that do nothing in a merge-from job', async () => {
    const shards = await mkdtemp(join(tmpdir(), 'evalgate-shards-'))
    await Promise.all([writeShard(shards, 1), writeShard(shards, 2)])
    const result = await run({ 'merge-from': shards, filter: 't/c1', specs: 'evals', cache: 'off' })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(
      '::warning::evalgate: input `filter` does nothing with `merge-from`: it applies to the shard jobs that run the suites, and this job runs none; set it there, and remove it here'
    )
    // Inputs left at their defaults are no one's doing.
    expect(result.stdout).not.toMatch(/input `(specs|cache)` does nothing/)
  })

  it('refuses merge-from into a results path that is a directory, before reading any shard', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-out-'))
    const result = await runActionBundle(action, {
      cwd: resolve('.'),
      inputs: { 'results-path': dir, 'merge-from': 'no-such-shards' },
      env: { GITHUB_SHA: 'f00dfeed', GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main' }
    })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(
      `::error::evalgate: the results path ${dir} is a directory: name a file, e.g. ${join(dir, 'results.json')}`
    )
  })
})

describe('specs that cannot be loaded', () => {
  it('run nothing, and say so in the outputs and the job summary before the step fails', async () => {
    const workspace = await oneCaseWorkspace('export default () => "x"\n')
    const spec = join(workspace, 'one.eval.yaml')
    await writeFile(
      spec,
      (await readFile(spec, 'utf8')).replace('  - { id: a, vars: {} }', '  - file: ./cases.jsonl')
    )
    const result = await run({ specs: '.' }, workspace)
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /^::error::evalgate: 1 problem in eval specs:%0A {2}one\.eval\.yaml:6:11: cases\[0\]\.file: case file `\.\/cases\.jsonl` does not exist/m
    )
    // No results were written: no results-path.
    expect(result.outputs).toEqual({ verdict: 'invalid-specs', passed: 'false' })
    expect(result.summary).toMatch(
      /^### evalgate: invalid specs\n\nThe eval specs could not be loaded, so nothing was run or compared, and this check fails\. Fix these problems \(`evalgate validate` lists them too\):\n\n```text\n1 problem in eval specs:\n {2}one\.eval\.yaml:6:11: cases\[0\]\.file: case file `\.\/cases\.jsonl` does not exist/
    )
  })
})
