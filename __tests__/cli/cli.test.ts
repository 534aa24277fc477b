import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { once } from 'node:events'
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { unsupportedNode } from '../../src/cli/node-version.js'
import { checkComparison } from '../../src/compare/index.js'
import type { Comparison } from '../../src/compare/index.js'
import { parseRunResult } from '../../src/results/parse.js'
import type { CaseInfo, CaseResult, RunResult } from '../../src/results/types.js'
import { buildEntry, runBundle as runCliProcess, runInShell } from '../helpers/cli.js'
import { runResult } from '../helpers/run-result.js'

const repo = resolve('.')
const fixtures = resolve('__tests__/fixtures/cli')
let cli: string
let out: string

beforeAll(async () => {
  cli = await buildEntry('src/cli.ts')
})
beforeEach(async () => {
  out = join(await mkdtemp(join(tmpdir(), 'evalgate-out-')), 'results.json')
})

async function readResults(path: string): Promise<RunResult> {
  return parseRunResult(await readFile(path, 'utf8'), path)
}

describe('evalgate run on the example', () => {
  it('runs both suites offline, prints the report and writes a valid RunResult', async () => {
    const run = await runCliProcess(cli, ['run', 'evals', '--out', out, '--commit', 'abc123'], {
      cwd: repo
    })
    expect(run.stderr).toContain('evalgate: running 131 answers')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(
      /^suite\s+provider\s+cases\s+pass rate\s+mean score\s+p50\s+p95\s+errors$/m
    )
    expect(run.stdout).toMatch(/^ticket-triage\s+router-v1\s+60\s+78\.3%\s+0\.892\s/m)
    expect(run.stdout).toMatch(/^ticket-triage\s+router-v2\s+60\s+93\.3%\s+0\.967\s/m)
    expect(run.stdout).toMatch(/^refunds\s+calculator\s+11\s+100\.0%\s+1\.000\s/m)
    expect(run.stdout).toContain('ticket-triage / router-v1: 13 failed or errored')
    expect(run.stdout).toMatch(/right-queue: routed to \w+, expected \w+/)
    expect(run.stdout).toContain(`results: ${out}`)
    const results = await readResults(out)
    expect(results.run).toMatchObject({ complete: true, commit: 'abc123' })
    const triage = results.suites.find((s) => s.suite === 'ticket-triage')
    expect(triage?.results).toHaveLength(120)
    expect(triage?.cases).toHaveLength(60)
    expect(triage?.cases[0]?.source).toBe('evals/data/tickets.jsonl:1')
    const exec = triage?.results.find((r) => r.providerId === 'router-v2')
    expect(exec?.output).toMatch(/^\{"queue":"(billing|bug|account)","reply":"Hi! /)
  })

  it('records spec and case files relative to the repository root, from whatever directory it runs', async () => {
    const root = await mkdtemp(join(tmpdir(), 'evalgate-repo-'))
    await mkdir(join(root, '.git'))
    await mkdir(join(root, 'evals', 'data'), { recursive: true })
    await writeFile(join(root, 'evals', 'data', 'cases.jsonl'), '{"id":"a","n":1}\n')
    // A case file in a repository nested in this one (a submodule) is still this one's file.
    await mkdir(join(root, 'vendor', '.git'), { recursive: true })
    await writeFile(join(root, 'vendor', 'more.jsonl'), '{"id":"c","n":3}\n')
    await writeFile(
      join(root, 'evals', 'echo.eval.yaml'),
      `suite: echo
providers:
  - { id: echo, type: exec, command: cat }
prompt: '{{n}}'
cases:
  - file: ./data/cases.jsonl
  - { id: b, vars: { n: 2 } }
  - file: ../vendor/more.jsonl
scorers:
  - { type: equals, expected: '{{n}}' }
`
    )
    // The repository reached through a symbolic link from outside it.
    const outside = await mkdtemp(join(tmpdir(), 'evalgate-outside-'))
    await symlink(root, join(outside, 'linked'))
    const sources: string[][] = []
    for (const [cwd, spec] of [
      [root, 'evals/echo.eval.yaml'],
      [join(root, 'evals'), 'echo.eval.yaml'],
      [join(root, 'evals', 'data'), '../echo.eval.yaml'],
      [outside, 'linked/evals/echo.eval.yaml']
    ] as const) {
      const run = await runCliProcess(cli, ['run', spec, '--out', out, '--quiet'], { cwd })
      expect(run.code).toBe(0)
      const suite = (await readResults(out)).suites[0]
      sources.push([suite?.file ?? '', ...(suite?.cases.map((c) => c.source) ?? [])])
    }
    const expected = [
      'evals/echo.eval.yaml',
      'evals/data/cases.jsonl:1',
      'evals/echo.eval.yaml:7',
      'vendor/more.jsonl:1'
    ]
    expect(sources).toEqual([expected, expected, expected, expected])
    // A link to a directory inside the repository: the repository is found from where it leads.
    await writeFile(
      join(root, 'evals', 'solo.eval.yaml'),
      "suite: solo\nproviders:\n  - { id: echo, type: exec, command: cat }\nprompt: '{{n}}'\ncases:\n  - file: ./data/cases.jsonl\nscorers:\n  - { type: equals, expected: '{{n}}' }\n"
    )
    await symlink(join(root, 'evals'), join(outside, 'evals-link'))
    const linked = await runCliProcess(
      cli,
      ['run', 'evals-link/solo.eval.yaml', '--out', out, '--quiet'],
      { cwd: outside }
    )
    expect(linked.code).toBe(0)
    const solo = (await readResults(out)).suites[0]
    expect([solo?.file, solo?.cases[0]?.source]).toEqual([
      'evals/solo.eval.yaml',
      'evals/data/cases.jsonl:1'
    ])
  })

  it('renders number variables in templates as the case files write them; code still gets numbers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-numbers-'))
    await writeFile(
      join(dir, 'types.mjs'),
      'export const types = ({ vars }) => JSON.stringify([vars.zip, vars.price, vars.c.total])\n'
    )
    await writeFile(
      join(dir, 'cases.yaml'),
      '- { id: yaml, zip: 00501, price: 1e3, c: { total: 2.0 }, items: [1e3, 0.50] }\n'
    )
    await writeFile(
      join(dir, 'cases.jsonl'),
      '{"id": "jsonl", "zip": 12345, "price": 0.10, "c": {"total": 3.00}, "items": [1.10, 2]}\n'
    )
    await writeFile(
      join(dir, 'numbers.eval.yaml'),
      `suite: numbers
providers:
  - { id: echo, type: exec, command: cat }
  - { id: types, type: module, path: ./types.mjs, export: types }
prompt: 'zip {{zip}} price {{price}} total {{c.total}} c {{c}} items {{items}} second {{items.1}}'
cases:
  - { id: inline, vars: { zip: 02139, price: 9.90, c: { total: 1.50 }, items: [9.90, 02139] } }
  - file: ./cases.yaml
  - file: ./cases.jsonl
scorers:
  - { type: contains, value: 'price {{price}}' }
`
    )
    const run = await runCliProcess(cli, ['run', 'numbers.eval.yaml', '--out', out, '--quiet'], {
      cwd: dir
    })
    const results = (await readResults(out)).suites[0]?.results ?? []
    const outputs = (provider: string) =>
      Object.fromEntries(
        results.filter((r) => r.providerId === provider).map((r) => [r.caseId, r.output])
      )
    expect(outputs('echo')).toEqual({
      // In JSON (a whole object or list) as written where JSON allows: 02139 is not JSON.
      inline: 'zip 02139 price 9.90 total 1.50 c {"total":1.50} items [9.90,2139] second 02139',
      yaml: 'zip 00501 price 1e3 total 2.0 c {"total":2.0} items [1e3,0.50] second 0.50',
      jsonl: 'zip 12345 price 0.10 total 3.00 c {"total":3.00} items [1.10,2] second 2'
    })
    expect(results.filter((r) => r.providerId === 'echo').every((r) => r.pass)).toBe(true)
    expect(outputs('types')).toEqual({
      inline: '[2139,9.9,1.5]',
      yaml: '[501,1000,2]',
      jsonl: '[12345,0.1,3]'
    })
    // The module's answers fail the scorer: the run exits 1 for them, and only for them.
    expect(run.code).toBe(1)
  })

  it('shards split the cases with none lost or doubled, and merge back into the whole run', async () => {
    const ids: string[] = []
    const paths: string[] = []
    for (const shard of ['1/3', '2/3', '3/3']) {
      const path = `${out}.${shard.replace('/', '-')}`
      paths.push(path)
      const run = await runCliProcess(
        cli,
        ['run', 'evals/triage.eval.yaml', '--out', path, '--shard', shard, '--quiet'],
        { cwd: repo }
      )
      // A shard's pass rate is not its suite's: only merge checks min-pass-rate.
      expect(run.code).toBe(0)
      const results = await readResults(path)
      expect(results.run.shard).toEqual({ index: Number(shard[0]), total: 3 })
      ids.push(...(results.suites[0]?.cases.map((c) => c.id) ?? []))
    }
    expect(ids).toHaveLength(60)
    expect(new Set(ids).size).toBe(60)

    const partial = await runCliProcess(cli, ['merge', ...paths.slice(0, 2)], { cwd: repo })
    expect(partial.code).toBe(2)
    expect(partial.stderr).toBe(
      'evalgate: shard 3/3 is missing: merge the results of every shard (2 of 3 given)\n'
    )
    // Two shards downloaded together, the third in a folder of its own beside them: not read,
    // and named when its shard is missing.
    const mixedDir = await mkdtemp(join(tmpdir(), 'evalgate-mixed-shards-'))
    const ownFolder = join(mixedDir, 'evalgate-shard-3')
    await mkdir(ownFolder)
    for (const [i, path] of paths.entries()) {
      const into = i === 2 ? ownFolder : mixedDir
      await writeFile(join(into, `shard-${i}.json`), await readFile(path, 'utf8'))
    }
    const mixed = await runCliProcess(cli, ['merge', mixedDir, '--out', `${out}.mixed`], {
      cwd: repo
    })
    expect(mixed.code).toBe(2)
    expect(mixed.stderr).toBe(
      `evalgate: shard 3/3 is missing: merge the results of every shard (2 of 3 given); not read, as the directory holding them holds results files itself: ${ownFolder} (name them too)\n`
    )
    const named = ['merge', mixedDir, ownFolder, '--out', `${out}.mixed`]
    expect((await runCliProcess(cli, named, { cwd: repo })).code).toBe(0)
    const mergedPath = `${out}.merged`
    // Named twice, or found again in their directory beside a merged run and a cache: once each.
    const shardsDir = await mkdtemp(join(tmpdir(), 'evalgate-shards-'))
    for (const [i, path] of paths.entries()) {
      await writeFile(join(shardsDir, `shard-${i}.json`), await readFile(path, 'utf8'))
    }
    const unsharded = JSON.parse(await readFile(paths[0] as string, 'utf8')) as RunResult
    delete unsharded.run.shard
    await writeFile(join(shardsDir, 'results.json'), JSON.stringify(unsharded))
    await mkdir(join(shardsDir, 'cache', 'ab'), { recursive: true })
    await writeFile(join(shardsDir, 'cache', 'ab', 'entry.json'), '{"output": "cached"}')
    const fromDir = await runCliProcess(
      cli,
      ['merge', shardsDir, join(shardsDir, 'shard-0.json'), '--out', `${mergedPath}.dir`],
      { cwd: repo }
    )
    expect(fromDir.stderr).toBe('')
    expect(fromDir.code).toBe(0)
    const merged = await runCliProcess(cli, ['merge', ...paths, '--out', mergedPath], { cwd: repo })
    expect(merged.code).toBe(0)
    expect(merged.stdout).toContain('router-v1')
    expect(merged.stdout.endsWith(`merged 3 shards: 1 suite, 120 answers → ${mergedPath}\n`)).toBe(
      true
    )
    // The whole run's min-pass-rate is merge's to check: raised to 1, the merged run fails it.
    const strictDir = await mkdtemp(join(tmpdir(), 'evalgate-strict-shards-'))
    for (const [i, path] of paths.entries()) {
      const shardRun = JSON.parse(await readFile(path, 'utf8')) as RunResult
      for (const suite of shardRun.suites) suite.minPassRate = 1
      await writeFile(join(strictDir, `shard-${i}.json`), JSON.stringify(shardRun))
    }
    const strict = ['merge', strictDir, '--out', `${mergedPath}.strict`]
    expect((await runCliProcess(cli, strict, { cwd: repo })).code).toBe(1)
    expect((await runCliProcess(cli, [...strict, '--fail-on', 'never'], { cwd: repo })).code).toBe(
      0
    )
    // A shard that was cancelled leaves the merged run incomplete: its rates cannot stand.
    const cancelledDir = await mkdtemp(join(tmpdir(), 'evalgate-cancelled-shards-'))
    for (const [i, path] of paths.entries()) {
      const shardRun = JSON.parse(await readFile(path, 'utf8')) as RunResult
      if (i === 0) {
        shardRun.run.complete = false
        shardRun.run.incompleteReason = 'cancelled (SIGINT) after 3 of 40 answers'
      }
      await writeFile(join(cancelledDir, `shard-${i}.json`), JSON.stringify(shardRun))
    }
    const cancelled = await runCliProcess(
      cli,
      ['merge', cancelledDir, '--out', `${mergedPath}.cancelled`],
      { cwd: repo }
    )
    expect(cancelled.code).toBe(1)
    expect(cancelled.stderr).toBe(
      `evalgate: the merged run is incomplete (${join(cancelledDir, 'shard-0.json')} (shard 1/3): cancelled (SIGINT) after 3 of 40 answers): rerun that shard, then merge again\n`
    )
    const whole = await readResults(mergedPath)
    expect(whole.run.shard).toBeUndefined()
    expect(whole.run.complete).toBe(true)
    expect(new Set(whole.suites[0]?.cases.map((c) => c.id)).size).toBe(60)
    // The merged run compares with an unsharded one case for case, with no shard warning.
    const full = `${out}.full`
    await runCliProcess(cli, ['run', 'evals/triage.eval.yaml', '--out', full, '--quiet'], {
      cwd: repo
    })
    const compared = await runCliProcess(cli, ['compare', full, mergedPath, '--format', 'json'], {
      cwd: repo
    })
    const comparison = JSON.parse(compared.stdout) as {
      warnings: string[]
      groups: { cases: { paired: number } }[]
    }
    expect(comparison.warnings).toEqual([])
    expect(comparison.groups.map((g) => g.cases.paired)).toEqual([60, 60])
  })

  it('a replay with nothing cached says so, does not count the gaps as failures, and fails for want of any answer', async () => {
    const emptyCache = await mkdtemp(join(tmpdir(), 'evalgate-cache-'))
    const run = await runCliProcess(
      cli,
      [
        'run',
        'evals/refunds.eval.yaml',
        '--out',
        out,
        '--cache',
        'replay',
        '--cache-dir',
        emptyCache
      ],
      { cwd: repo, env: { NO_COLOR: '1' } }
    )
    // Nothing was measured: a pass rate of nothing must not pass for one that met its minimum.
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(
      `evalgate: warning: the cache directory ${emptyCache} holds no cached answer: every answer this run reads from the cache misses;`
    )
    expect(run.stdout).toMatch(/refunds +calculator +0 +no answer +– +– +– +0/)
    expect(run.stdout).toContain(
      'refunds / calculator: no answer obtained (11 missing), so the run fails\n  error (cache-miss): no cached answer for provider calculator, case '
    )
    expect(run.stdout).toContain(`in ${emptyCache}. Replay mode never calls a provider`)
    expect(run.stdout).toContain(
      '11 answers were never obtained (not in the replay cache, or cancelled), and left out of the rates'
    )
    // The progress counts them as the report does: missing, not errors.
    expect(run.stderr).toMatch(/^evalgate: 11\/11 answers \(100%\), 11 missing from the cache, /m)
    expect(run.stderr).not.toMatch(/\d+ errors?\b/)
    expect(run.stdout).not.toContain('failed or errored')
    // A module provider's answers are its code's: a cached one would hide a change of it.
    expect(run.stderr).toContain(
      'evalgate: warning: the cache finds an answer by its request, not by the code that gave it: a cached answer of provider calculator (module or exec)'
    )
  })

  it('a replay from the spec’s own directory finds every answer a run from the root recorded', async () => {
    const cacheDir = join(await mkdtemp(join(tmpdir(), 'evalgate-cache-')), 'cache')
    const recorded = await runCliProcess(
      cli,
      ['run', 'evals/refunds.eval.yaml', '--out', out, '-q', '--cache', 'write'].concat([
        '--cache-dir',
        cacheDir
      ]),
      { cwd: repo }
    )
    expect(recorded.code).toBe(0)
    const replayed = await runCliProcess(
      cli,
      ['run', 'refunds.eval.yaml', '--out', `${out}.replayed`, '-q', '--cache', 'replay'].concat([
        '--cache-dir',
        cacheDir
      ]),
      { cwd: join(repo, 'evals'), env: { NO_COLOR: '1' } }
    )
    expect(replayed.stderr).not.toContain('no cached answer')
    expect(replayed.stdout).not.toContain('missing')
    expect(replayed.code).toBe(0)
    const answers = (await readResults(`${out}.replayed`)).suites.flatMap((s) => s.results)
    expect(answers.length).toBeGreaterThan(0)
    expect(answers.every((answer) => answer.cached === true)).toBe(true)
  })

  it('a replay from a subdirectory finds what an older evalgate recorded there, keyed from the working directory', async () => {
    const root = await mkdtemp(join(tmpdir(), 'evalgate-former-keys-'))
    await mkdir(join(root, '.git'))
    const spec = `suite: echo
providers:
  - { id: echo, type: exec, command: cat }
prompt: '{{n}}'
cases:
  - { id: a, vars: { n: 1 } }
  - { id: b, vars: { n: 2 } }
scorers:
  - { type: equals, expected: '{{n}}' }
`
    const cacheDir = join(root, 'cache')
    // Before its keys started from the repository's root, evalgate keyed a run from `evals`
    // by `.`: the key this version gives a spec at the root, which records the cache here.
    await writeFile(join(root, 'echo.eval.yaml'), spec)
    const args = (mode: string, results: string) => [
      'run',
      'echo.eval.yaml',
      '--out',
      results,
      '--cache',
      mode,
      '--cache-dir',
      cacheDir
    ]
    const recorded = await runCliProcess(cli, args('write', out), { cwd: root })
    expect(recorded.code).toBe(0)
    await rm(join(root, 'echo.eval.yaml'))
    await mkdir(join(root, 'evals'))
    await writeFile(join(root, 'evals', 'echo.eval.yaml'), spec)
    const replayed = await runCliProcess(cli, args('replay', `${out}.replayed`), {
      cwd: join(root, 'evals'),
      env: { NO_COLOR: '1' }
    })
    expect(replayed.stderr).not.toContain('no cached answer')
    expect(replayed.code).toBe(0)
    const answers = (await readResults(`${out}.replayed`)).suites.flatMap((s) => s.results)
    expect(answers.map((answer) => [answer.output, answer.cached])).toEqual([
      ['1', true],
      ['2', true]
    ])
    const notes = replayed.stderr.split('\n').filter((line) => line.includes('older evalgate'))
    expect(notes).toEqual([
      `evalgate: warning: cache: answers of a module or exec provider in ${cacheDir} were found under the key of an older evalgate (its spec's directory from the working directory, not from the repository's root); a run with cache mode write records them under the current one`
    ])
  })

  it('a replay from a cache directory that does not exist names it, and fails with a baseline too', async () => {
    await runCliProcess(cli, ['run', 'evals/refunds.eval.yaml', '--out', out, '-q'], { cwd: repo })
    const head = `${out}.head`
    const missing = join(await mkdtemp(join(tmpdir(), 'evalgate-cache-')), 'nonexist')
    const run = await runCliProcess(
      cli,
      ['run', 'evals/refunds.eval.yaml', '--out', head, '-q', '--baseline', out].concat([
        '--cache',
        'replay',
        '--cache-dir',
        missing
      ]),
      { cwd: repo, env: { NO_COLOR: '1' } }
    )
    expect(run.stderr).toContain(
      `evalgate: warning: the cache directory ${missing} does not exist: every answer this run reads from the cache misses;`
    )
    // The comparison is inconclusive, which alone passes: the answers never obtained fail the run.
    expect(run.stdout).toContain('inconclusive')
    expect(run.code).toBe(1)
  })

  it('refuses an empty --cache-dir, and warns of one given while the cache is off', async () => {
    const empty = await runCliProcess(
      cli,
      ['run', 'evals/refunds.eval.yaml', '--out', out, '--cache', 'write', '--cache-dir='],
      { cwd: repo }
    )
    expect(empty.code).toBe(2)
    expect(empty.stderr).toBe(
      'evalgate: --cache-dir is empty: name the cache directory (default .evalgate/cache), or leave the option out\n'
    )
    const ignored = await runCliProcess(
      cli,
      ['run', 'evals/refunds.eval.yaml', '--out', out, '-q', '--cache-dir', 'elsewhere'],
      { cwd: repo }
    )
    expect(ignored.code).toBe(0)
    expect(ignored.stderr).toContain(
      'evalgate: warning: --cache-dir is ignored: the cache is off; add --cache read, write, read-write or replay to use it\n'
    )
  })

  it('run --baseline --format json leaves stdout to the comparison alone, for a pipe', async () => {
    const spec = 'evals/refunds.eval.yaml'
    await runCliProcess(cli, ['run', spec, '--out', out, '--quiet'], { cwd: repo })
    const head = `${out}.head`
    const run = await runCliProcess(
      cli,
      ['run', spec, '--out', head, '--quiet', '--baseline', out, '--format', 'json'],
      { cwd: repo, env: { NO_COLOR: '1' } }
    )
    expect(run.code).toBe(0)
    expect((JSON.parse(run.stdout) as { verdict: string }).verdict).toBe('pass')
    expect(run.stderr).toContain(`results: ${head}`)

    const alone = await runCliProcess(cli, ['run', spec, '--format', 'json'], { cwd: repo })
    expect(alone.code).toBe(2)
    expect(alone.stderr).toBe(
      'evalgate: --format applies to the comparison: add --baseline <file>, or compare later with `evalgate compare`\n'
    )
  })

  it.each(['json', 'junit', 'markdown'])(
    'run --baseline --format %s sends what the code under test prints to stderr, not into the comparison',
    async (format) => {
      const dir = await mkdtemp(join(tmpdir(), 'evalgate-noisy-'))
      await writeFile(
        join(dir, 'app.mjs'),
        `export function answer({ vars }) {
  console.log('provider says hello')
  process.stdout.write('provider writes to stdout\\n')
  return String(vars.n)
}
export function check({ output }) {
  console.log('scorer says hello')
  return output.length > 0
}
`
      )
      await writeFile(
        join(dir, 'noisy.eval.yaml'),
        `suite: noisy
providers:
  - { id: app, type: module, path: ./app.mjs, export: answer }
prompt: '{{n}}'
cases:
  - { id: one, vars: { n: 1 } }
scorers:
  - { type: equals, expected: '{{n}}' }
  - { type: javascript, path: ./app.mjs, export: check }
`
      )
      const baseline = join(dir, 'baseline.json')
      expect(
        (await runCliProcess(cli, ['run', '.', '--out', baseline, '-q'], { cwd: dir })).code
      ).toBe(0)
      const run = await runCliProcess(
        cli,
        [
          'run',
          '.',
          '--out',
          join(dir, 'head.json'),
          '-q',
          '--baseline',
          baseline,
          '--format',
          format
        ],
        { cwd: dir, env: { NO_COLOR: '1' } }
      )
      expect(run.code).toBe(0)
      expect(run.stdout).not.toContain('hello')
      expect(run.stdout).not.toContain('provider writes')
      if (format === 'json') expect(JSON.parse(run.stdout)).toHaveProperty('verdict')
      if (format === 'junit') expect(run.stdout).toMatch(/^<\?xml /)
      expect(run.stderr).toContain('provider says hello\n')
      expect(run.stderr).toContain('provider writes to stdout\n')
      expect(run.stderr).toContain('scorer says hello\n')
    }
  )

  it('--filter and --repeats narrow and widen the run', async () => {
    const run = await runCliProcess(
      cli,
      ['run', '--filter', 'refunds/annual-*', '--repeats', '2', '--out', out, '--quiet'],
      { cwd: repo }
    )
    expect(run.code).toBe(0)
    const results = await readResults(out)
    expect(results.suites.map((s) => s.suite)).toEqual(['refunds'])
    expect(results.suites[0]?.results.map((r) => `${r.caseId}#${r.repeat}`)).toEqual([
      'annual-quarter#0',
      'annual-quarter#1',
      'annual-half#0',
      'annual-half#1',
      'annual-week#0',
      'annual-week#1'
    ])
  })

  it("reports why an exec command failed, from the start of a Node.js script's stderr", async () => {
    const root = await mkdtemp(join(tmpdir(), 'evalgate-exec-fails-'))
    await mkdir(join(root, 'app'))
    await writeFile(
      join(root, 'app', 'cli.js'),
      "const fs = require('node:fs')\nconsole.log(JSON.parse(fs.readFileSync(__dirname + '/config.json', 'utf8')).a)\n"
    )
    await writeFile(
      join(root, 'e.eval.yaml'),
      'suite: e\nproviders:\n  - { id: cli, type: exec, command: node ./app/cli.js }\nprompt: x\ncases:\n  - { id: a, vars: {} }\nscorers:\n  - { type: equals, expected: x }\n'
    )
    const run = await runCliProcess(cli, ['run', '.', '--quiet', '--out', out], { cwd: root })
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(
      'a: error (provider:exec): provider cli: command exited with code 1: Error: ENOENT: no such file or directory'
    )
    const [answer] = (await readResults(out)).suites[0]?.results ?? []
    expect(answer?.error?.message).toContain(
      `Error: ENOENT: no such file or directory, open '${join(root, 'app', 'config.json')}'`
    )
  })
})

describe('exit codes', () => {
  it('exits 1 when a pass rate is below min-pass-rate, 0 with --fail-on never', async () => {
    const failing = await runCliProcess(cli, ['run', 'threshold', '--out', out], { cwd: fixtures })
    expect(failing.code).toBe(1)
    expect(failing.stdout).toMatch(/^flaky\s+half-right\s+4\s+50\.0% < 75\.0%/m)
    const lenient = await runCliProcess(
      cli,
      ['run', 'threshold', '--out', out, '--fail-on', 'never'],
      { cwd: fixtures }
    )
    expect(lenient.code).toBe(0)
  })

  it('compare --strict exits 1 when a suite with a baseline could not be gated; a new suite passes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-strict-'))
    const write = async (name: string, run: RunResult) => {
      await writeFile(join(dir, name), JSON.stringify(run))
      return name
    }
    const base = await write('base.json', runResult('abc123'))
    const renamedCases = runResult('def456')
    for (const suite of renamedCases.suites) {
      suite.cases = suite.cases.map((info) => ({ ...info, id: 'c9' }))
      suite.results = suite.results.map((result) => ({ ...result, caseId: 'c9' }))
    }
    const newScorers = runResult('def456')
    for (const suite of newScorers.suites) suite.scorersFingerprint = 'e'
    const cases: [string, string][] = [
      [
        await write('renamed.json', renamedCases),
        'no case id is in both runs: the case ids changed (renamed, or derived from variables that changed); give cases an `id` to keep them paired across edits'
      ],
      [await write('scorers.json', newScorers), 'its scorers changed']
    ]
    for (const [head, why] of cases) {
      const lenient = await runCliProcess(cli, ['compare', base, head], { cwd: dir })
      expect(lenient.code).toBe(0)
      expect(lenient.stderr).toBe('')
      const strict = await runCliProcess(cli, ['compare', base, head, '--strict'], { cwd: dir })
      expect(strict.code).toBe(1)
      expect(strict.stderr).toBe(
        `evalgate: --strict: triage / p could not be gated against its baseline (${why}): it fails as inconclusive\n`
      )
      // The report says so as well, from its first line: the exit code is not left to explain it.
      const [headline, , failure] = strict.stdout.split('\n')
      expect(headline).toMatch(/^evalgate compare: [A-Z ]+ · FAILS IN STRICT MODE$/)
      expect(failure).toBe(
        `fails in strict mode: triage / p could not be gated against its baseline (${why})`
      )
      // The reports a CI shows say it too: the test reporter fails it, the comment names it.
      const junit = await runCliProcess(
        cli,
        ['compare', base, head, '--strict', '--format', 'junit'],
        { cwd: dir }
      )
      expect(junit.code).toBe(1)
      expect(junit.stdout).toMatch(/<testsuites [^>]*failures="[1-9]/)
      expect(junit.stdout).toContain(
        `<failure message="fails in strict mode: could not be gated against its baseline (${why})"`
      )
      const markdown = await runCliProcess(
        cli,
        ['compare', base, head, '--strict', '--format', 'markdown'],
        { cwd: dir }
      )
      expect(markdown.stdout).toContain('**Fails in strict mode:** triage / p could not be gated')
      // The verdict itself says it fails, in every format: strict mode takes it as inconclusive.
      expect(markdown.stdout.split('\n')[0]).toBe(
        '## evalgate: INCONCLUSIVE · FAILS IN STRICT MODE'
      )
      const json = await runCliProcess(
        cli,
        ['compare', base, head, '--strict', '--format', 'json'],
        { cwd: dir }
      )
      expect(json.code).toBe(1)
      const comparison = JSON.parse(json.stdout) as Comparison
      expect(checkComparison(comparison).problem).toBeUndefined()
      expect(comparison.verdict).toBe('inconclusive')
      expect(comparison.summary).toMatch(/^Inconclusive: \d+ inconclusive results?/)
    }
    // A suite × provider new to this run has nothing to be held to yet.
    const withCases = (run: RunResult) => {
      for (const suite of run.suites) {
        const [info, result] = [suite.cases[0], suite.results[0]] as [CaseInfo, CaseResult]
        const ids = Array.from({ length: 40 }, (_, i) => `c${i}`)
        suite.cases = ids.map((id) => ({ ...info, id }))
        suite.results = ids.map((caseId) => ({ ...result, caseId }))
      }
      return run
    }
    const wholeBase = await write('whole.json', withCases(runResult('abc123')))
    const added = await write('added.json', {
      ...withCases(runResult('def456')),
      suites: [
        ...withCases(runResult('def456')).suites,
        ...runResult('def456', 1, 'refunds').suites
      ]
    })
    const strictAdded = await runCliProcess(cli, ['compare', wholeBase, added, '--strict'], {
      cwd: dir
    })
    expect(strictAdded.stderr).toBe('')
    expect(strictAdded.code).toBe(0)
  })

  it('compare reads a results file an earlier version wrote with a max-ratio below 1', async () => {
    const earlier = resolve('__tests__/fixtures/results/v1-gate-ratio-below-1.json')
    const compared = await runCliProcess(cli, ['compare', earlier, earlier], { cwd: repo })
    expect(compared.stderr).toBe('')
    expect(compared.code).toBe(0)
    expect(compared.stdout).toMatch(/^capitals \/ bot {2}INCONCLUSIVE {2}3 paired cases$/m)
  })

  it('compare refuses a head run whose gate has a noise floor above max-drop, as a spec would, not a baseline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-gate-order-'))
    const edited = runResult('def456')
    for (const suite of edited.suites) suite.gate = { score: { noise: 0.2, 'max-drop': 0.1 } }
    await writeFile(join(dir, 'base.json'), JSON.stringify(runResult('abc123')))
    await writeFile(join(dir, 'head.json'), JSON.stringify(edited))
    const compared = await runCliProcess(cli, ['compare', 'base.json', 'head.json'], { cwd: dir })
    expect(compared.code).toBe(2)
    expect(compared.stdout).toBe('')
    expect(compared.stderr).toContain(
      `  ${join(dir, 'head.json')}: suites.0.gate.score.noise: the noise floor 0.2 is above \`max-drop\` 0.1 (`
    )
    // As a baseline, stored by an evalgate that allowed it, its gate is never read: compared.
    const reversed = await runCliProcess(cli, ['compare', 'head.json', 'base.json'], { cwd: dir })
    expect(reversed.stderr).toBe('')
    expect(reversed.code).toBe(0)
  })

  it('compare refuses a format 2 results file that carries format 3 answer fields, naming them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-mixed-'))
    const edited = runResult('def456')
    for (const suite of edited.suites) {
      suite.results = suite.results.map((result) => ({ ...result, judgeCached: false }))
    }
    await writeFile(join(dir, 'base.json'), JSON.stringify(runResult('abc123')))
    await writeFile(join(dir, 'head.json'), JSON.stringify({ ...edited, schemaVersion: 2 }))
    const compared = await runCliProcess(cli, ['compare', 'base.json', 'head.json'], { cwd: dir })
    expect(compared.code).toBe(2)
    expect(compared.stdout).toBe('')
    expect(compared.stderr).toBe(
      'evalgate: cannot read a results file:\n' +
        `  ${join(dir, 'head.json')}: suites.0.results.0.judgeCached: \`judgeCached\` is a field of results format 3, but the file declares \`schemaVersion: 2\`: it was hand-edited or written by a different evalgate version (write it again with \`evalgate run\`, or, if its cases and answers are as an evalgate run wrote them, set \`schemaVersion\` to 3)\n`
    )
  })

  it('compare says a UTF-16 results file (Windows PowerShell 5’s `>`) is not UTF-8 text', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-utf16-'))
    const json = JSON.stringify(runResult('abc123'))
    await writeFile(join(dir, 'base.json'), `\ufeff${json}`, 'utf16le')
    await writeFile(join(dir, 'head.json'), JSON.stringify(runResult('def456')))
    const compared = await runCliProcess(cli, ['compare', 'base.json', 'head.json'], { cwd: dir })
    expect(compared.code).toBe(2)
    expect(compared.stdout).toBe('')
    expect(compared.stderr).toBe(
      'evalgate: cannot read a results file:\n' +
        `  ${join(dir, 'base.json')}: not UTF-8 text (save it as UTF-8)\n`
    )
  })

  it('exits 2 with every spec problem at once and no stack trace', async () => {
    const run = await runCliProcess(cli, ['run', 'broken', '--out', out], { cwd: fixtures })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('evalgate: 3 problems in eval specs:\n')
    expect(run.stderr).not.toContain('missing required key')
    expect(run.stderr).toContain(
      'broken/broken.eval.yaml:9:1: scorer: unknown key `scorer` (did you mean `scorers`?)'
    )
    expect(run.stderr).toContain(
      'broken/broken.eval.yaml:12:10: repeats: expected integer, got string "three"'
    )
    expect(run.stderr).toContain(
      'broken/broken.eval.yaml:5:11: providers[0].path: module `./missing.js` does not exist'
    )
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })

  it('exits 2 on a bad flag, naming it', async () => {
    const run = await runCliProcess(cli, ['run', '--concurrency', 'lots'], { cwd: repo })
    expect(run.code).toBe(2)
    expect(run.stderr).toBe('evalgate: --concurrency must be a positive integer, got "lots"\n')
    const exponent = await runCliProcess(cli, ['run', '--repeats', '1e2'], { cwd: repo })
    expect(exponent.code).toBe(2)
    expect(exponent.stderr).toBe('evalgate: --repeats must be a positive integer, got "1e2"\n')
    const many = await runCliProcess(cli, ['run', '--repeats', '1000'], { cwd: repo })
    expect(many.code).toBe(2)
    expect(many.stderr).toBe('evalgate: --repeats must be at most 100, as in a spec; got 1000\n')
    const unknown = await runCliProcess(cli, ['run', '--concurency', '3'], { cwd: repo })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toBe(
      'evalgate: unknown option --concurency (did you mean --concurrency?). See `evalgate run --help`.\n'
    )
    const unlike = await runCliProcess(cli, ['compare', '--zzz'], { cwd: repo })
    expect(unlike.stderr).toBe('evalgate: unknown option --zzz. See `evalgate compare --help`.\n')
    // A flag without its value, at the end or followed by another flag: one plain line.
    for (const args of [
      ['run', '--out'],
      ['run', '--out', '--quiet']
    ]) {
      const missing = await runCliProcess(cli, args, { cwd: repo })
      expect(missing.code).toBe(2)
      expect(missing.stderr).toBe(
        'evalgate: --out needs a value (one that starts with a dash is written --out=-value). See `evalgate run --help`.\n'
      )
    }
  })

  it('exits 2 before running when --out is a directory, instead of losing the run at the end', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-outdir-'))
    const run = await runCliProcess(cli, ['run', 'evals', '--out', dir], { cwd: repo })
    expect(run.code).toBe(2)
    expect(run.stderr).toBe(
      `evalgate: the results path ${dir} is a directory: name a file, e.g. ${join(dir, 'results.json')}\n`
    )
    expect(run.stdout).toBe('')
    // Under a file rather than a directory: refused before running, too.
    await writeFile(out, '')
    const underFile = await runCliProcess(cli, ['run', 'evals', '--out', join(out, 'x.json')], {
      cwd: repo
    })
    expect(underFile.code).toBe(2)
    expect(underFile.stderr).toMatch(/^evalgate: cannot write the results to .*x\.json: E[A-Z]+/)
    // A pipe (or a device) there would be replaced by the file renamed into place.
    const fifo = join(dir, 'pipe')
    await promisify(execFile)('mkfifo', [fifo])
    const toPipe = await runCliProcess(cli, ['run', 'evals', '--out', fifo], { cwd: repo })
    expect(toPipe.code).toBe(2)
    expect(toPipe.stderr).toBe(
      `evalgate: the results path ${fifo} is not a regular file (a device or a pipe), which writing would replace: name a file, e.g. results.json\n`
    )
    expect((await stat(fifo)).isFIFO()).toBe(true)
    // Where no directory can be made (Linux's /proc; Node's own recursive mkdir spins forever).
    if (existsSync('/proc/self')) {
      const proc = await runCliProcess(cli, ['run', 'evals', '--out', '/proc/evalgate-x/r.json'], {
        cwd: repo
      })
      expect(proc.code).toBe(2)
      expect(proc.stderr).toMatch(
        /^evalgate: cannot write the results to \/proc\/evalgate-x\/r\.json: ENOENT/
      )
    }
  })

  it('reports the run, saves its results to a temp file and exits 73 when the results path breaks during the run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-rescue-'))
    const resultsDir = join(dir, 'results')
    // The system under test replaces the results directory by a file: the write at the end fails.
    await writeFile(
      join(dir, 'app.mjs'),
      `import { rmSync, writeFileSync } from 'node:fs'
export function answer({ vars }) {
  rmSync(${JSON.stringify(resultsDir)}, { recursive: true, force: true })
  writeFileSync(${JSON.stringify(resultsDir)}, '')
  return String(vars.n)
}
`
    )
    await writeFile(
      join(dir, 'rescue.eval.yaml'),
      `suite: rescue
providers:
  - { id: app, type: module, path: ./app.mjs, export: answer }
prompt: '{{n}}'
cases:
  - { id: one, vars: { n: 1 } }
scorers:
  - { type: equals, expected: '{{n}}' }
`
    )
    const run = await runCliProcess(
      cli,
      ['run', 'rescue.eval.yaml', '--out', join(resultsDir, 'results.json'), '--quiet'],
      { cwd: dir, env: { TMPDIR: dir } }
    )
    expect(run.code).toBe(73)
    // The run is reported all the same: only where its file is has changed.
    expect(run.stdout).toMatch(/^rescue\s+app\s+1\s+100\.0%/m)
    expect(run.stdout).toContain('results: not written, see below')
    const saved = /they were saved to (\S+evalgate-results-[0-9a-f]+\.json) instead\n$/.exec(
      run.stderr
    )?.[1]
    expect(run.stderr).toMatch(/^evalgate: cannot write the results to \S+results\.json: E[A-Z]+: /)
    expect(saved?.startsWith(dir)).toBe(true)
    const rescued = await readResults(saved as string)
    expect(rescued.suites[0]?.results).toMatchObject([{ caseId: 'one', output: '1', pass: true }])
  })

  it('exits 2 with one line, not a stack trace, on a Node.js older than 22.19', async () => {
    // The child reports the version an older installation would; the check runs before undici loads.
    const older = 'Object.defineProperty(process.versions, "node", { value: "22.18.0" })'
    const run = await runCliProcess(cli, ['--version'], {
      cwd: repo,
      env: { NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(older)}` }
    })
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toBe(
      "evalgate: Node.js 22.19.0 or newer is needed, this is 22.18.0: install a current Node.js (24 is what GitHub's runners use)\n"
    )
  })

  it.each([
    ['22.19.0', false],
    ['v22.20.1', false],
    ['23.0.0', false],
    ['24.22.3', false],
    ['22.18.9', true],
    ['v20.20.2', true],
    ['18.0.0', true]
  ])('Node.js %s is refused: %s', (version, refused) => {
    expect(unsupportedNode(version) !== undefined).toBe(refused)
  })

  it('ends quietly when the reader of its output went away (`| head`), results written', async () => {
    const child = spawn(
      process.execPath,
      [cli, 'run', 'evals/refunds.eval.yaml', '--quiet', '--out', out],
      {
        cwd: repo,
        stdio: ['ignore', 'pipe', 'pipe']
      }
    )
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    // Like `| head -0`: the reader is gone before the CLI writes its report.
    child.stdout.destroy()
    const [code] = (await once(child, 'close')) as [number | null]
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /)
    expect(code).toBe(0)
    expect((await readResults(out)).run.complete).toBe(true)
  })

  it("runs the code under test under V8's own heap growth, not evalgate's bounds", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-heap-'))
    // Under evalgate's bounds the young generation keeps its starting 1 MB (2 MB once in use);
    // by default V8 grows it to 16 MB or more for code that keeps what it allocates.
    await writeFile(
      join(dir, 'holds.mjs'),
      `import { getHeapSpaceStatistics } from 'node:v8'
const held = []
export const holds = () => {
  for (let i = 0; i < 1e6; i++) held.push({ i })
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size
}
`
    )
    await writeFile(
      join(dir, 'heap.eval.yaml'),
      `suite: heap
providers:
  - { id: holds, type: module, path: ./holds.mjs, export: holds }
prompt: go
cases:
  - { id: once, vars: {} }
scorers:
  - { type: regex, pattern: '^[0-9]+$' }
`
    )
    const run = await runCliProcess(cli, ['run', 'heap.eval.yaml', '--out', out, '--quiet'], {
      cwd: dir
    })
    expect(run.code).toBe(0)
    const [result] = (await readResults(out)).suites[0]?.results ?? []
    expect(Number(result?.output)).toBeGreaterThanOrEqual(16 * 2 ** 20)
  })

  it('ends when its work is done although the code under test left a timer behind', async () => {
    const run = await runCliProcess(cli, ['run', 'lingering', '--out', out, '--quiet'], {
      cwd: fixtures
    })
    expect(run.code).toBe(0)
    expect((await readResults(out)).run.complete).toBe(true)
  })

  it('on SIGINT writes the partial results marked incomplete and exits 130', async () => {
    let sent = false
    const run = await runCliProcess(cli, ['run', 'slow', '--out', out, '--concurrency', '2'], {
      cwd: fixtures,
      onStderr: (chunk, child) => {
        if (!sent && /evalgate: \d+\/300 answers/.test(chunk)) {
          sent = true
          child.kill('SIGINT')
        }
      }
    })
    expect(run.code).toBe(130)
    expect(run.stderr).toContain('SIGINT received, stopping and writing partial results')
    expect(run.stdout).toMatch(/incomplete run: cancelled \(SIGINT\) after \d+ of 300 answers/)
    const results = await readResults(out)
    expect(results.run.complete).toBe(false)
    const answered = results.suites[0]?.results ?? []
    expect(answered.length).toBeGreaterThan(0)
    expect(answered.length).toBeLessThan(300)
    expect(answered.every((r) => r.pass === true)).toBe(true)
  })
})

describe('secrets', () => {
  it('of the specs, quoted by a module that fails to import, are written back in what validate and run print', async () => {
    const key = 'evalgate-spec-key-0123456789'
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-spec-secrets-'))
    await writeFile(
      join(dir, 'keyed.eval.yaml'),
      [
        'suite: keyed',
        'providers:',
        '  - id: api',
        '    type: openai',
        '    model: gpt-4o-mini',
        '    base-url: http://127.0.0.1:9/v1',
        "    api-key: '${EVALGATE_SPEC_KEY}'",
        "prompt: 'Say {{word}}'",
        'cases:',
        '  - vars: { word: hi }',
        'scorers:',
        '  - { type: javascript, path: ./keyed-scorer.js }',
        ''
      ].join('\n')
    )
    // The module reads the key the provider uses, as a client it builds at import would.
    await writeFile(
      join(dir, 'keyed-scorer.js'),
      "throw new Error('refused ' + process.env.EVALGATE_SPEC_KEY)\n"
    )
    const options = { cwd: dir, env: { EVALGATE_SPEC_KEY: key } }
    const quoted =
      ':12:31: scorers[0].path: cannot load scorer module `./keyed-scorer.js`: refused ${EVALGATE_SPEC_KEY} ('
    const runs = [
      await runCliProcess(cli, ['validate', 'keyed.eval.yaml'], options),
      await runCliProcess(cli, ['run', 'keyed.eval.yaml', '--out', out], options),
      // Read from a pipe, which cannot be read twice: its secrets are taken as it is loaded.
      await runInShell(cli, 'evalgate validate <(cat keyed.eval.yaml)', options)
    ]
    for (const run of runs) {
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(quoted)
      expect(run.stdout + run.stderr).not.toContain(key)
    }
  })

  it('never reach the results or the output, whatever a server or a command echoes', async () => {
    const secret = 'sk-test-0123456789abcdefSECRET'
    // A server that quotes the Authorization header it got in its 401, as some do.
    const server = createServer((req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: `unauthorized: ${req.headers.authorization ?? ''}` }))
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as AddressInfo).port
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-secrets-'))
    await writeFile(
      join(dir, 'leaky.eval.yaml'),
      [
        'suite: leaky',
        'providers:',
        '  - id: web',
        '    type: http',
        `    url: http://127.0.0.1:${port}/answer`,
        "    headers: { Authorization: 'Bearer ${LEAKY_KEY}' }",
        "    body: { q: '{{prompt}}' }",
        '    output: answer',
        '    retry: { max-attempts: 1 }',
        '  - id: printer',
        '    type: exec',
        '    command: \'echo "my key is $KEY"; echo "and again $KEY" >&2; exit 3\'',
        "    env: { KEY: '${LEAKY_KEY}' }",
        '  - id: echo',
        '    type: exec',
        '    command: \'echo "key $KEY"\'',
        "    env: { KEY: '${LEAKY_KEY}' }",
        "prompt: 'hi'",
        'cases:',
        '  - { id: one, vars: {} }',
        'scorers:',
        "  - { type: equals, expected: 'nothing' }",
        'min-pass-rate: 0'
      ].join('\n')
    )
    try {
      const run = await runCliProcess(cli, ['run', '.', '--out', out], {
        cwd: dir,
        env: { LEAKY_KEY: secret, NO_COLOR: '1' }
      })
      expect(run.code).toBe(0)
      const written = await readFile(out, 'utf8')
      for (const text of [written, run.stdout, run.stderr]) expect(text).not.toContain(secret)
      const results = (await readResults(out)).suites[0]?.results ?? []
      const byProvider = Object.fromEntries(results.map((r) => [r.providerId, r]))
      expect(byProvider.web?.error?.message).toContain('unauthorized: Bearer ${LEAKY_KEY}')
      expect(byProvider.printer?.error?.message).toContain('and again ${LEAKY_KEY}')
      expect(byProvider.echo?.output).toBe('key ${LEAKY_KEY}')
      expect(byProvider.echo?.scores[0]?.reason).toContain('${LEAKY_KEY}')
    } finally {
      server.close()
    }
  })

  it('held in a URL or body, are not needed to replay what a run with them recorded', async () => {
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ answer: req.url?.includes('key=') ? 'nothing' : 'no key' }))
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as AddressInfo).port
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-replay-'))
    await writeFile(
      join(dir, 'keyed.eval.yaml'),
      [
        'suite: keyed',
        'providers:',
        '  - id: web',
        '    type: http',
        "    url: '${KEYED_URL}/answer?key=${KEYED_KEY}'",
        "    body: { q: '{{prompt}}', token: '${KEYED_KEY}' }",
        '    output: answer',
        "prompt: 'hi'",
        'cases:',
        '  - { id: one, vars: {} }',
        'scorers:',
        "  - { type: equals, expected: 'nothing' }"
      ].join('\n')
    )
    const cache = ['--cache-dir', join(dir, 'cache')]
    try {
      const recorded = await runCliProcess(
        cli,
        ['run', '.', '--out', out, '--cache', 'write', ...cache],
        {
          cwd: dir,
          env: { KEYED_URL: `http://127.0.0.1:${port}`, KEYED_KEY: 'key-0123456789abcdef' }
        }
      )
      expect(recorded.code).toBe(0)
    } finally {
      server.close()
    }
    // A fork's pull request: neither variable is set, and nothing is called.
    const replayed = await runCliProcess(
      cli,
      ['run', '.', '--out', out, '--quiet', '--cache', 'replay', ...cache],
      { cwd: dir }
    )
    expect(replayed.stderr).toBe('')
    expect(replayed.code).toBe(0)
    const [answer] = (await readResults(out)).suites[0]?.results ?? []
    expect(answer).toMatchObject({ cached: true, output: 'nothing', pass: true })
  })

  it('of a suite that --filter leaves out are not needed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-filter-'))
    const suite = (name: string, url?: string) =>
      writeFile(
        join(dir, `${name}.eval.yaml`),
        [
          `suite: ${name}`,
          'providers:',
          '  - { id: p, type: exec, command: cat }',
          ...(url
            ? [`  - { id: web, type: http, url: '${url}', body: { q: '{{prompt}}' }, output: a }`]
            : []),
          "prompt: 'x'",
          'cases: [{ id: one, vars: {} }]',
          "scorers: [{ type: equals, expected: 'x' }]",
          'min-pass-rate: 0'
        ].join('\n')
      )
    await suite('needs-secret', '${NEVER_SET_URL}/a')
    await suite('plain')
    const all = await runCliProcess(cli, ['validate', '.'], { cwd: dir })
    expect(all.code).toBe(2)
    expect(all.stderr).toContain('environment variable `NEVER_SET_URL` is not set')
    const filtered = await runCliProcess(
      cli,
      ['run', '.', '--filter', 'plain/*', '--out', out, '--quiet'],
      { cwd: dir }
    )
    expect(filtered.stderr).toBe('')
    expect(filtered.code).toBe(0)
    expect((await readResults(out)).suites.map((s) => s.suite)).toEqual(['plain'])
  })

  it('never reach the cache, which a fork’s replay restores, nor a reason cut inside them', async () => {
    const secret = 'sk-proj-SUPERSECRET0123456789abcdefghijklmnopqrstuvwxyz'
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-cached-'))
    await writeFile(
      join(dir, 'cached.eval.yaml'),
      [
        'suite: cached',
        'providers:',
        '  - id: printer',
        '    type: exec',
        '    command: \'echo "The request was sent with key $TOK and more words after it"\'',
        "    env: { TOK: '${CACHED_TOKEN}' }",
        "prompt: 'hi'",
        'cases: [{ id: one, vars: {} }]',
        "scorers: [{ type: equals, expected: 'nothing' }]",
        'min-pass-rate: 0'
      ].join('\n')
    )
    const cacheDir = join(dir, 'cache')
    const recorded = await runCliProcess(
      cli,
      ['run', '.', '--out', out, '--cache', 'read-write', '--cache-dir', cacheDir],
      { cwd: dir, env: { CACHED_TOKEN: secret, NO_COLOR: '1' } }
    )
    expect(recorded.code).toBe(0)
    const cached = await readdir(cacheDir, { recursive: true, withFileTypes: true })
    const entries = cached.filter((entry) => entry.isFile())
    expect(entries.length).toBeGreaterThan(0)
    for (const entry of entries) {
      expect(await readFile(join(entry.parentPath, entry.name), 'utf8')).not.toContain(
        secret.slice(0, 12)
      )
    }
    // The reason quotes the output cut short, inside the secret: no piece of it is left.
    const [answer] = (await readResults(out)).suites[0]?.results ?? []
    expect(answer?.output).toBe(
      'The request was sent with key ${CACHED_TOKEN} and more words after it'
    )
    expect(answer?.scores[0]?.reason).not.toMatch(/SUPERSECRET|0123456789/)
    expect(recorded.stdout).not.toMatch(/SUPERSECRET|0123456789/)

    const replayed = await runCliProcess(
      cli,
      ['run', '.', '--out', out, '--cache', 'replay', '--cache-dir', cacheDir],
      { cwd: dir, env: { NO_COLOR: '1' } }
    )
    expect(replayed.code).toBe(0)
    expect(`${replayed.stdout}${await readFile(out, 'utf8')}`).not.toMatch(/SUPERSECRET/)
  })
})

describe('validate and help', () => {
  it('validate lists each suite and its size', async () => {
    const run = await runCliProcess(cli, ['validate'], { cwd: repo })
    expect(run.code).toBe(0)
    expect(run.stdout).toBe(
      'ok evals/refunds.eval.yaml: suite refunds, 11 cases × 1 provider × 1 repeat = 11 calls\n' +
        'ok evals/triage.eval.yaml: suite ticket-triage, 60 cases × 2 providers × 1 repeat = 120 calls\n'
    )
  })

  it('says a path starting with `#` is missing, with no word of the action’s YAML', async () => {
    const run = await runCliProcess(cli, ['validate', 'evals', '#comment'], { cwd: repo })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(
      '#comment: no such file or directory (spec files are named `*.eval.yaml` or `*.eval.yml`)'
    )
    expect(run.stderr).not.toContain('YAML')
  })

  /** A suite `suite` whose command echoes each case's `n`, read from `./cases.jsonl`. */
  const echoSpec = (suite: string): string =>
    [
      `suite: ${suite}`,
      'providers:',
      '  - { id: echo, type: exec, command: cat }',
      "prompt: '{{n}}'",
      'cases:',
      '  - file: ./cases.jsonl',
      'scorers:',
      "  - { type: equals, expected: '{{n}}' }",
      ''
    ].join('\n')

  it('reads a workspace under /dev (a tmpfs at /dev/shm) as any other: paths from the spec’s directory', async () => {
    const dir = await mkdtemp('/dev/shm/evalgate-workspace-')
    await mkdir(join(dir, 'evals'))
    await writeFile(join(dir, 'evals/shm.eval.yaml'), echoSpec('shm'))
    await writeFile(join(dir, 'evals/cases.jsonl'), '{"id":"a","n":1}\n')
    try {
      const validated = await runCliProcess(cli, ['validate'], { cwd: dir })
      expect(validated.stderr).toBe('')
      expect(validated.stdout).toMatch(/^ok evals\/shm\.eval\.yaml: suite shm, 1 case/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('says where an exec provider’s variables too long for the environment could not be written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-bigvars-'))
    await writeFile(
      join(dir, 'big.eval.yaml'),
      [
        'suite: big',
        'providers:',
        '  - { id: counter, type: exec, command: [wc, -c] }',
        "prompt: 'Summarize: {{document}}'",
        'cases:',
        `  - { id: doc, vars: { document: '${'word '.repeat(26_300)}' } }`,
        'scorers:',
        "  - { type: regex, pattern: '^ *[0-9]+$' }",
        ''
      ].join('\n')
    )
    const out = join(dir, 'results.json')
    const run = await runCliProcess(cli, ['run', 'big.eval.yaml', '-q', '--out', out], {
      cwd: dir,
      env: { TMPDIR: '/nonexistent-evalgate-tmp' }
    })
    expect(run.code).toBe(1)
    expect((await readResults(out)).suites[0]?.results[0]?.error).toMatchObject({
      kind: 'provider:exec',
      message: expect.stringMatching(
        /^provider counter: cannot write the case's variables, too long for EVALGATE_VARS, to a file in \/nonexistent-evalgate-tmp: ENOENT.*; set TMPDIR to a writable directory/
      )
    })
  })

  it('validate and run read a spec from a pipe, its relative paths from the working directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-piped-'))
    await writeFile(join(dir, 'spec.yaml'), echoSpec('piped'))
    await writeFile(join(dir, 'cases.jsonl'), '{"id":"a","n":1}\n{"id":"b","n":2}\n')
    const validated = await runInShell(cli, 'evalgate validate <(cat spec.yaml)', { cwd: dir })
    expect(validated.stderr).toBe('')
    expect(validated.code).toBe(0)
    expect(validated.stdout).toMatch(
      /^ok \/dev\/fd\/\d+: suite piped, 2 cases × 1 provider × 1 repeat = 2 calls\n$/
    )
    // Redirected from a file, /dev/stdin is that file, but still no directory the spec was written in.
    const redirected = await runInShell(cli, 'evalgate validate /dev/stdin < spec.yaml', {
      cwd: dir
    })
    expect(redirected.stderr).toBe('')
    expect(redirected.stdout).toBe(
      'ok /dev/stdin: suite piped, 2 cases × 1 provider × 1 repeat = 2 calls\n'
    )
    const run = await runInShell(cli, `cat spec.yaml | evalgate run /dev/stdin -q --out ${out}`, {
      cwd: dir
    })
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^piped\s+echo\s+2\s+100\.0%/m)
    expect((await readResults(out)).suites[0]?.results.map((r) => r.output)).toEqual(['1', '2'])
    // A case file missing is looked for, and said to be looked for, in the working directory.
    const missing = await runInShell(
      cli,
      "evalgate validate <(sed 's/cases.jsonl/gone.jsonl/' spec.yaml)",
      { cwd: dir }
    )
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(
      /^ {2}\/dev\/fd\/\d+:6:11: cases\[0\]\.file: case file `\.\/gone\.jsonl` does not exist \(resolved to `gone\.jsonl`; paths are relative to the working directory, as the spec is read from a pipe or a device\)$/m
    )
  })

  it.each(['run', 'validate', 'compare'])('%s --help prints its usage', async (command) => {
    const run = await runCliProcess(cli, [command, '--help'], { cwd: repo })
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(new RegExp(`^Usage: evalgate ${command}`))
  })

  it.each(['run', 'validate', 'compare', 'merge'])(
    '`help %s` prints the usage of that command',
    async (command) => {
      const run = await runCliProcess(cli, ['help', command], { cwd: repo })
      expect(run.code).toBe(0)
      expect(run.stdout).toMatch(new RegExp(`^Usage: evalgate ${command}`))
    }
  )

  it('`help` of no command exits 2 naming the commands', async () => {
    const run = await runCliProcess(cli, ['help', 'rnu'], { cwd: repo })
    expect(run.code).toBe(2)
    expect(run.stderr).toBe(
      'evalgate: help takes one command, one of validate, run, compare, merge; got "rnu"\n'
    )
  })

  it('with no command, prints the overview on stderr and exits 2', async () => {
    const run = await runCliProcess(cli, [], { cwd: repo })
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/^evalgate — gate changes/)
  })

  it.each(['run', 'validate', 'compare', 'merge'])(
    '%s --version prints the version, as evalgate --version does',
    async (command) => {
      const version = await runCliProcess(cli, ['--version'], { cwd: repo })
      expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/)
      const run = await runCliProcess(cli, [command, '--version'], { cwd: repo })
      expect(run.code).toBe(0)
      expect(run.stdout).toBe(version.stdout)
    }
  )

  it('a usage error names evalgate once', async () => {
    const run = await runCliProcess(cli, ['compare', 'base.json'], { cwd: repo })
    expect(run.code).toBe(2)
    expect(run.stderr).toBe(
      'evalgate: compare takes two files: <base.json> <head.json>. See `evalgate compare --help`.\n'
    )
    const merge = await runCliProcess(cli, ['merge'], { cwd: repo })
    expect(merge.stderr).toBe(
      "evalgate: merge takes every shard's results file (or a directory of them). See `evalgate merge --help`.\n"
    )
  })

  it('an unknown command exits 2 with the overview', async () => {
    const run = await runCliProcess(cli, ['rnu'], { cwd: repo })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('evalgate: unknown command "rnu"')
  })
})
