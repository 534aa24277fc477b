import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseRunResult } from '../../src/results/parse.js'
import type { RunResult } from '../../src/results/types.js'
import { buildEntry, runBundle } from '../helpers/cli.js'
import { makeFifo, unlessStuckOn } from '../helpers/fifo.js'
import { runResult } from '../helpers/run-result.js'

let cli: string
let dir: string

beforeAll(async () => {
  cli = await buildEntry('src/cli.ts')
})
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalgate-shards-'))
})

async function readResults(path: string): Promise<RunResult> {
  return parseRunResult(await readFile(path, 'utf8'), path)
}

/** A spec of `count` cases whose number is echoed back by `command` (one provider each). */
async function writeSpec(
  suite: string,
  count: number,
  providers: { id: string; command: string }[] = [{ id: 'echo', command: 'cat' }]
): Promise<void> {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({ id: `${suite}-${i}`, n: i })
  )
  await writeFile(join(dir, `${suite}.jsonl`), lines.join('\n') + '\n')
  await writeFile(
    join(dir, `${suite}.eval.yaml`),
    [
      `suite: ${suite}`,
      'providers:',
      ...providers.map((p) => `  - { id: ${p.id}, type: exec, command: '${p.command}' }`),
      "prompt: '{{n}}'",
      'cases:',
      `  - file: ./${suite}.jsonl`,
      'scorers:',
      "  - { type: equals, expected: '{{n}}' }"
    ].join('\n') + '\n'
  )
}

/** Shard `index` of `total` of one small run, as `run --shard` writes it. */
async function writeShard(index: number, total: number): Promise<string> {
  const run = runResult('abc123')
  run.run = { ...run.run, id: `run-${index}`, shard: { index, total } }
  for (const suite of run.suites) {
    suite.cases = suite.cases.map((info) => ({ ...info, id: `c${index}` }))
    suite.results = suite.results.map((result) => ({ ...result, caseId: `c${index}` }))
  }
  const path = join(dir, `shard-${index}.json`)
  await writeFile(path, JSON.stringify(run))
  return path
}

describe('run --shard', () => {
  it('with --filter: a shard with none of the filtered cases exits 0 and writes a RunResult that merges', async () => {
    await writeSpec('alpha', 300)
    await writeSpec('beta', 3)
    const shards: string[] = []
    for (let index = 1; index <= 5; index++) {
      const out = join(dir, 'fsh', `r${index}.json`)
      const run = await runBundle(
        cli,
        ['run', '.', '--filter', 'beta', '--shard', `${index}/5`, '--out', out, '--quiet'],
        { cwd: dir, env: { NO_COLOR: '1' } }
      )
      expect(run.stderr).toBe('')
      expect(run.code).toBe(0)
      expect((await readResults(out)).suites.map((s) => s.suite)).toEqual(['beta'])
      shards.push(out)
    }
    const merged = join(dir, 'merged.json')
    const merge = await runBundle(cli, ['merge', join(dir, 'fsh'), '--out', merged], { cwd: dir })
    expect(merge.stderr).toBe('')
    expect(merge.code).toBe(0)
    expect(merge.stdout.endsWith(`merged 5 shards: 1 suite, 3 answers → ${merged}\n`)).toBe(true)
    const whole = await readResults(merged)
    expect(whole.run.complete).toBe(true)
    expect(whole.suites[0]?.cases.map((c) => c.id).sort()).toEqual(['beta-0', 'beta-1', 'beta-2'])
  })

  it.each(['1/99999999999999999999999', '1/10001'])(
    'exits 2 on --shard %s, past the limit of 10000 shards (a huge one ran nothing and exited 0)',
    async (shard) => {
      await writeSpec('alpha', 3)
      const out = join(dir, 'results.json')
      const run = await runBundle(cli, ['run', '.', '--shard', shard, '--out', out], { cwd: dir })
      expect(run.code).toBe(2)
      expect(run.stderr).toBe(
        `evalgate: --shard "${shard}" has ${shard.slice(2)} shards; at most 10000 are allowed, e.g. --shard 2/4\n`
      )
      expect(existsSync(out)).toBe(false)
    }
  )
})

describe('merge', () => {
  /** Shard 1 of 2 run on the spec as it is, shard 2 after `change` rewrote it. */
  async function shardsAcrossAChange(change: () => Promise<void>): Promise<string[]> {
    await writeSpec('echo', 8)
    const paths = [join(dir, 'r1.json'), join(dir, 'r2.json')]
    for (const [i, path] of paths.entries()) {
      if (i === 1) await change()
      const run = await runBundle(
        cli,
        ['run', '.', '--shard', `${i + 1}/2`, '--out', path, '--quiet', '--commit', 'abc123'],
        { cwd: dir }
      )
      expect(run.code).toBe(0)
    }
    return paths
  }

  it('refuses shards that asked different providers, naming the suite, shards and providers', async () => {
    const [first, second] = await shardsAcrossAChange(() =>
      writeSpec('echo', 8, [
        { id: 'echo', command: 'cat' },
        { id: 'echo3', command: 'cat' }
      ])
    )
    const out = join(dir, 'merged.json')
    const merge = await runBundle(cli, ['merge', first ?? '', second ?? '', '--out', out], {
      cwd: dir
    })
    expect(merge.code).toBe(2)
    expect(merge.stderr).toBe(
      `evalgate: suite echo has the providers echo, echo3 in ${second} (shard 2/2) but echo in ${first} (shard 1/2): merge shards of one run\n`
    )
    expect(existsSync(out)).toBe(false)
  })

  it("refuses shards that configured a provider differently, naming its configuration's fingerprints", async () => {
    const [first, second] = await shardsAcrossAChange(() =>
      writeSpec('echo', 8, [{ id: 'echo', command: 'cat -' }])
    )
    const out = join(dir, 'merged.json')
    const merge = await runBundle(cli, ['merge', first ?? '', second ?? '', '--out', out], {
      cwd: dir
    })
    expect(merge.code).toBe(2)
    expect(merge.stderr).toMatch(
      new RegExp(
        `^evalgate: suite echo: provider echo has the configuration fingerprint [0-9a-f]{12} in ${second} \\(shard 2/2\\) but [0-9a-f]{12} in ${first} \\(shard 1/2\\) \\(its model, parameters or settings changed between the shards\\): merge shards of one run\\n$`
      )
    )
    expect(existsSync(out)).toBe(false)
  })

  it.each([
    ['prompt', "prompt: 'number {{n}}'", 'its prompt'],
    ['timeout', 'timeout: 5s', 'timeout 5000 ms and 60000 ms'],
    ['min-pass-rate', 'min-pass-rate: 0.5', 'min-pass-rate 0.5 and 1']
  ])(
    'refuses shards run on specs of another %s, naming the suite and what differs',
    async (_what, line, difference) => {
      const [first, second] = await shardsAcrossAChange(async () => {
        const spec = join(dir, 'echo.eval.yaml')
        const text = await readFile(spec, 'utf8')
        const key = line.slice(0, line.indexOf(':') + 1)
        await writeFile(
          spec,
          text.includes(`\n${key}`)
            ? text.replace(new RegExp(`\n${key}.*\n`), `\n${line}\n`)
            : text + line + '\n'
        )
      })
      const out = join(dir, 'merged.json')
      const merge = await runBundle(cli, ['merge', first ?? '', second ?? '', '--out', out], {
        cwd: dir
      })
      expect(merge.stderr).toBe(
        `evalgate: suite echo differs between ${second} (shard 2/2) and ${first} (shard 1/2) (${difference}): merge shards of one run\n`
      )
      expect(merge.code).toBe(2)
      expect(existsSync(out)).toBe(false)
    }
  )

  it('prints no escape codes of the shards: suite, provider, case ids, failures, why a shard stopped', async () => {
    const hostile =
      '\u001b[2J\u001b]0;title\u0007\u001b]8;;https://evil.example\u0007link\u001b]8;;\u0007\u009b31m\u202eevil'
    const shards = []
    for (const index of [1, 2]) {
      const run = runResult('abc123', 0, `suite${hostile}`)
      run.run = {
        ...run.run,
        id: `run-${index}`,
        shard: { index, total: 2 },
        ...(index === 2 ? { complete: false, incompleteReason: `stopped ${hostile}` } : {})
      }
      for (const suite of run.suites) {
        suite.providers = suite.providers.map((p) => ({ ...p, id: `p${hostile}` }))
        suite.cases = suite.cases.map((info) => ({ ...info, id: `c${index}${hostile}` }))
        suite.results = suite.results.map((result) => ({
          ...result,
          providerId: `p${hostile}`,
          caseId: `c${index}${hostile}`
        }))
      }
      const path = join(dir, `shard-${index}.json`)
      await writeFile(path, JSON.stringify(run))
      shards.push(path)
    }
    const merge = await runBundle(cli, ['merge', ...shards, '--out', join(dir, 'merged.json')], {
      cwd: dir
    })
    expect(merge.code).toBe(1)
    expect(merge.stdout).toContain('c1[2J]0;title]8;;https://evil.example')
    expect(merge.stdout).toContain('(shard 2/2): stopped [2J]0;title')
    expect(merge.stderr).toContain('(shard 2/2): stopped [2J]0;title')
    // eslint-disable-next-line no-control-regex -- no control or bidi character may reach the terminal
    const unsafe = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/
    expect(merge.stdout).not.toMatch(unsafe)
    expect(merge.stderr).not.toMatch(unsafe)
  })

  it('quotes a shard in an error without its escape codes', async () => {
    const shards = [await writeShard(1, 2), await writeShard(2, 2)]
    const second = JSON.parse(await readFile(shards[1] ?? '', 'utf8')) as RunResult
    for (const suite of second.suites) suite.suite = 'evil\u001b]0;title\u0007\u001b[2J'
    await writeFile(shards[1] ?? '', JSON.stringify(second))
    const merge = await runBundle(cli, ['merge', ...shards, '--out', join(dir, 'm.json')], {
      cwd: dir
    })
    expect(merge.code).toBe(2)
    expect(merge.stderr).toContain('ran the suites evil]0;title[2J,')
  })

  it('merges a shard cancelled while its specs were loading into an incomplete run, exit 1', async () => {
    // Shard 2's module never finishes loading: evalgate cancels it as stalled, with no suite.
    await writeFile(
      join(dir, 'app.mjs'),
      'if (process.env.HANG) await new Promise(() => {})\nexport default ({ vars }) => String(vars.n)\n'
    )
    await writeFile(join(dir, 'app.jsonl'), [0, 1, 2, 3].map((n) => `{"n":${n}}`).join('\n'))
    await writeFile(
      join(dir, 'app.eval.yaml'),
      [
        'suite: app',
        'providers:',
        '  - { id: app, type: module, path: ./app.mjs }',
        "prompt: '{{n}}'",
        'cases:',
        '  - file: ./app.jsonl',
        'scorers:',
        "  - { type: equals, expected: '{{n}}' }"
      ].join('\n') + '\n'
    )
    const shards = [join(dir, 'r1.json'), join(dir, 'r2.json')]
    for (const [i, path] of shards.entries()) {
      const run = await runBundle(
        cli,
        ['run', '.', '--shard', `${i + 1}/2`, '--out', path, '--quiet', '--commit', 'abc123'],
        { cwd: dir, env: i === 1 ? { HANG: '1' } : {} }
      )
      expect(run.code).toBe(i === 1 ? 70 : 0)
    }
    const out = join(dir, 'merged.json')
    const merge = await runBundle(cli, ['merge', ...shards, '--out', out], { cwd: dir })
    const reason = `${shards[1]} (shard 2/2): cancelled (stalled) while loading the specs, before any answer`
    expect(merge.stderr).toBe(
      `evalgate: the merged run is incomplete (${reason}): rerun that shard, then merge again\n`
    )
    expect(merge.code).toBe(1)
    const merged = await readResults(out)
    expect(merged.run).toMatchObject({ complete: false, incompleteReason: reason })
    expect(merged.suites.map((suite) => suite.suite)).toEqual(['app'])
  })

  it('merges the shards a directory links to, as the files themselves', async () => {
    const [first, second] = [await writeShard(1, 2), await writeShard(2, 2)]
    const linked = join(dir, 'linked')
    await mkdir(linked)
    await symlink(first ?? '', join(linked, 'results-1.json'))
    await symlink(second ?? '', join(linked, 'results-2.json'))
    const out = join(dir, 'merged.json')
    const merge = await runBundle(cli, ['merge', linked, '--out', out], { cwd: dir })
    expect(merge.stderr).toBe('')
    expect(merge.code).toBe(0)
    const merged = parseRunResult(await readFile(out, 'utf8'), out)
    expect(merged.suites[0]?.cases.map((c) => c.id)).toEqual(['c1', 'c2'])
  })

  it('says a directory of results run without --shard holds no shard, as for a file named', async () => {
    const runs = join(dir, 'runs')
    await mkdir(runs)
    await writeFile(join(runs, 'results.json'), JSON.stringify(runResult('abc123')))
    const named = await runBundle(cli, ['merge', join(runs, 'results.json')], { cwd: dir })
    const fromDirectory = await runBundle(cli, ['merge', runs], { cwd: dir })
    for (const merge of [named, fromDirectory]) {
      expect(merge.code).toBe(2)
      expect(merge.stderr).toBe(
        `evalgate: ${join(runs, 'results.json')} is not a shard's results (it was run without --shard)\n`
      )
    }
  })

  it('exits 2 before merging when --out is a directory or lies under a file', async () => {
    const shards = [await writeShard(1, 2), await writeShard(2, 2)]
    const outDir = join(dir, 'out')
    await mkdir(outDir)
    const intoDir = await runBundle(cli, ['merge', ...shards, '--out', outDir], { cwd: dir })
    expect(intoDir.code).toBe(2)
    expect(intoDir.stderr).toBe(
      `evalgate: the results path ${outDir} is a directory: name a file, e.g. ${join(outDir, 'results.json')}\n`
    )
    const underFile = await runBundle(
      cli,
      ['merge', ...shards, '--out', join(shards[0] ?? '', 'merged.json')],
      { cwd: dir }
    )
    expect(underFile.code).toBe(2)
    expect(underFile.stderr).toMatch(
      /^evalgate: cannot write the results to \S+shard-1\.json\/merged\.json: ENOTDIR: [^\n]+\n$/
    )
    // The same shards merge where a file can be written.
    const merged = await runBundle(
      cli,
      ['merge', ...shards, '--out', join(outDir, 'merged.json')],
      {
        cwd: dir
      }
    )
    expect(merged.code).toBe(0)
  })
})

describe('a results file that is a named pipe', () => {
  it('compare, merge and run --baseline refuse it at once, naming it, rather than wait for ever', async () => {
    await writeSpec('echo', 2)
    await writeFile(join(dir, 'base.json'), JSON.stringify(runResult('abc123')))
    const fifo = join(dir, 'ff.json')
    await makeFifo(fifo)
    const refusal = [
      'evalgate: cannot read a results file:',
      `  ${fifo}: not a regular file (point at the results file a run wrote)`,
      ''
    ].join('\n')
    for (const args of [
      ['compare', 'base.json', 'ff.json'],
      ['merge', 'ff.json', '--out', 'merged.json'],
      ['run', '.', '--baseline', 'ff.json', '--out', 'head.json']
    ]) {
      const refused = await unlessStuckOn(fifo, runBundle(cli, args, { cwd: dir }))
      expect({ args, code: refused.code, stderr: refused.stderr }).toEqual({
        args,
        code: 2,
        stderr: refusal
      })
    }
    expect(existsSync(join(dir, 'merged.json'))).toBe(false)
    expect(existsSync(join(dir, 'head.json'))).toBe(false)
  })
})

describe('compare --out', () => {
  it('exits 2 before comparing when it is a directory or lies under a file', async () => {
    const base = join(dir, 'base.json')
    const head = join(dir, 'head.json')
    await writeFile(base, JSON.stringify(runResult('abc123')))
    await writeFile(head, JSON.stringify(runResult('def456')))
    const intoDir = await runBundle(
      cli,
      ['compare', base, head, '--format', 'markdown', '--out', dir],
      { cwd: dir }
    )
    expect(intoDir.code).toBe(2)
    expect(intoDir.stderr).toBe(
      `evalgate: the comparison path ${dir} is a directory: name a file, e.g. ${join(dir, 'comparison.md')}\n`
    )
    expect(intoDir.stdout).toBe('')
    const underFile = await runBundle(
      cli,
      ['compare', base, head, '--out', join(base, 'comparison.txt')],
      { cwd: dir }
    )
    expect(underFile.code).toBe(2)
    expect(underFile.stderr).toMatch(
      /^evalgate: cannot write the comparison to \S+base\.json\/comparison\.txt: ENOTDIR: [^\n]+\n$/
    )
  })
})

describe('run --cache-dir', () => {
  it.each(['read-write', 'replay'])(
    'exits 2 before running in %s mode when it is a file, not a directory',
    async (mode) => {
      await writeSpec('echo', 3)
      const cacheFile = join(dir, 'cache')
      await writeFile(cacheFile, '')
      const out = join(dir, 'results.json')
      const run = await runBundle(
        cli,
        ['run', '.', '--cache', mode, '--cache-dir', cacheFile, '--out', out],
        { cwd: dir }
      )
      expect(run.code).toBe(2)
      expect(run.stderr).toBe(
        `evalgate: the cache directory ${cacheFile} is not a directory: point cache-dir at a directory (default .evalgate/cache)\n`
      )
      expect(run.stdout).toBe('')
      expect(existsSync(out)).toBe(false)
    }
  )

  it('warns, once, that cached answers of code (providers and judges) do not follow the code', async () => {
    await writeSpec('echo', 3)
    await writeFile(
      join(dir, 'judge.mjs'),
      'export default () => JSON.stringify({ reasoning: "fine", score: 5 })\n'
    )
    const spec = await readFile(join(dir, 'echo.eval.yaml'), 'utf8')
    await writeFile(
      join(dir, 'echo.eval.yaml'),
      spec +
        "  - { type: llm-judge, name: graded, rubric: 'Is it right?', judge: { type: module, path: ./judge.mjs } }\n"
    )
    const args = ['run', '.', '--cache', 'read-write', '--cache-dir', join(dir, 'cache')]
    const run = await runBundle(cli, [...args, '--out', join(dir, 'results.json'), '-q'], {
      cwd: dir
    })
    expect(run.code).toBe(0)
    const warnings = run.stderr.split('\n').filter((line) => line.includes('by its request'))
    expect(warnings).toEqual([
      'evalgate: warning: the cache finds an answer by its request, not by the code that gave it: a cached answer of provider echo, the judge of graded (module or exec) does not follow a change of that code; use cache: off where the code is what you test'
    ])
  })
})

describe('an output that is an input of the command', () => {
  it('run refuses --out naming its spec, a case file or the code it runs, also through a link, before running', async () => {
    await writeSpec('echo', 3, [{ id: 'echo', command: 'node ./echo.mjs' }])
    await writeFile(join(dir, 'echo.mjs'), 'process.stdin.pipe(process.stdout)\n')
    await symlink(join(dir, 'echo.eval.yaml'), join(dir, 'latest.json'))
    const written = {
      'echo.eval.yaml': await readFile(join(dir, 'echo.eval.yaml'), 'utf8'),
      'echo.jsonl': await readFile(join(dir, 'echo.jsonl'), 'utf8'),
      'echo.mjs': await readFile(join(dir, 'echo.mjs'), 'utf8')
    }
    const refusals: [string, string][] = [
      ['echo.eval.yaml', 'the spec (echo.eval.yaml)'],
      ['latest.json', 'the spec (echo.eval.yaml)'],
      ['echo.jsonl', 'a case file (echo.jsonl)'],
      ['echo.mjs', 'a file of the command of provider echo (echo.mjs)']
    ]
    for (const [out, input] of refusals) {
      const run = await runBundle(cli, ['run', '.', '--out', out], { cwd: dir })
      expect(run.code).toBe(2)
      expect(run.stderr).toBe(
        `evalgate: --out ${out} would overwrite ${input}: write the results to another file\n`
      )
      expect(run.stdout).toBe('')
    }
    for (const [file, text] of Object.entries(written)) {
      expect(await readFile(join(dir, file), 'utf8')).toBe(text)
    }
  })

  it('run --baseline refuses the default --out when it is the baseline, saying to pass --out', async () => {
    await writeSpec('echo', 3)
    const first = await runBundle(cli, ['run', '.', '--quiet'], { cwd: dir })
    expect(first.code).toBe(0)
    const baseline = await readFile(join(dir, '.evalgate/results.json'), 'utf8')
    const rerun = await runBundle(cli, ['run', '.', '--baseline', '.evalgate/results.json'], {
      cwd: dir
    })
    expect(rerun.code).toBe(2)
    expect(rerun.stderr).toBe(
      'evalgate: the results, written by default to .evalgate/results.json, would overwrite the baseline (.evalgate/results.json): pass --out another file (e.g. --out .evalgate/head.json), or copy the baseline elsewhere and pass the copy to --baseline\n'
    )
    const named = await runBundle(
      cli,
      ['run', '.', '--baseline', '.evalgate/results.json', '--out', './.evalgate/results.json'],
      { cwd: dir }
    )
    expect(named.code).toBe(2)
    expect(named.stderr).toBe(
      'evalgate: --out ./.evalgate/results.json would overwrite the baseline (.evalgate/results.json): write the results to another file\n'
    )
    expect(await readFile(join(dir, '.evalgate/results.json'), 'utf8')).toBe(baseline)
    const elsewhere = await runBundle(
      cli,
      ['run', '.', '--baseline', '.evalgate/results.json', '--out', 'head.json', '--quiet'],
      { cwd: dir }
    )
    expect(elsewhere.code).toBe(0)
  })

  it('compare refuses --out naming the base or head run; merge, a shard', async () => {
    await writeFile(join(dir, 'base.json'), JSON.stringify(runResult('abc123')))
    await writeFile(join(dir, 'head.json'), JSON.stringify(runResult('def456')))
    const head = await readFile(join(dir, 'head.json'), 'utf8')
    const compare = await runBundle(
      cli,
      ['compare', 'base.json', 'head.json', '--out', 'head.json'],
      {
        cwd: dir
      }
    )
    expect(compare.code).toBe(2)
    expect(compare.stderr).toBe(
      'evalgate: --out head.json would overwrite the head run (head.json): write the report to another file, e.g. comparison.txt\n'
    )
    expect(compare.stdout).toBe('')
    expect(await readFile(join(dir, 'head.json'), 'utf8')).toBe(head)

    const shards = [await writeShard(1, 2), await writeShard(2, 2)]
    const shard = await readFile(shards[0] ?? '', 'utf8')
    const merge = await runBundle(cli, ['merge', dir, '--out', 'shard-1.json'], { cwd: dir })
    expect(merge.code).toBe(2)
    expect(merge.stderr).toBe(
      'evalgate: --out shard-1.json would overwrite the shard (shard-1.json): write the merged run to another file, e.g. --out merged.json\n'
    )
    expect(await readFile(shards[0] ?? '', 'utf8')).toBe(shard)
  })
})

describe('an output that holds something else', () => {
  it('run and merge refuse --out naming a file that is not a results file (one a module imports), before running', async () => {
    await writeFile(join(dir, 'rules.mjs'), 'export const expected = (n) => String(n)\n')
    await writeFile(
      join(dir, 'app.mjs'),
      "import { expected } from './rules.mjs'\nexport default ({ vars }) => expected(vars.n)\n"
    )
    await writeFile(
      join(dir, 'app.eval.yaml'),
      [
        'suite: app',
        'providers:',
        '  - { id: app, type: module, path: ./app.mjs }',
        "prompt: '{{n}}'",
        'cases:',
        '  - { id: one, vars: { n: 1 } }',
        'scorers:',
        "  - { type: equals, expected: '{{n}}' }"
      ].join('\n') + '\n'
    )
    const rules = await readFile(join(dir, 'rules.mjs'), 'utf8')
    const run = await runBundle(cli, ['run', '.', '--out', 'rules.mjs'], { cwd: dir })
    expect(run.code).toBe(2)
    expect(run.stderr).toBe(
      "evalgate: --out rules.mjs would overwrite rules.mjs, which is not an evalgate results file (code, data or another tool's file, perhaps one the run reads): write the results to another file, or remove that one first if it can go\n"
    )
    expect(run.stdout).toBe('')
    expect(await readFile(join(dir, 'rules.mjs'), 'utf8')).toBe(rules)

    const shards = [await writeShard(1, 2), await writeShard(2, 2)]
    const merge = await runBundle(cli, ['merge', ...shards, '--out', 'rules.mjs'], { cwd: dir })
    expect(merge.code).toBe(2)
    expect(merge.stderr).toBe(
      "evalgate: --out rules.mjs would overwrite rules.mjs, which is not an evalgate results file (code, data or another tool's file, perhaps one the run reads): write the results to another file, or remove that one first if it can go\n"
    )
    expect(await readFile(join(dir, 'rules.mjs'), 'utf8')).toBe(rules)
  })

  it('run and merge replace an earlier results file, also one damaged after its opening, and an empty file', async () => {
    await writeSpec('echo', 2)
    expect((await runBundle(cli, ['run', '.', '-q', '--out', 'run.json'], { cwd: dir })).code).toBe(
      0
    )
    const earlier = await readResults(join(dir, 'run.json'))
    const again = await runBundle(cli, ['run', '.', '-q', '--out', 'run.json'], { cwd: dir })
    expect(again.code).toBe(0)
    expect((await readResults(join(dir, 'run.json'))).run.id).not.toBe(earlier.run.id)
    // Cut short by a disk that filled while it was copied: still the run's own file.
    const text = await readFile(join(dir, 'run.json'), 'utf8')
    await writeFile(join(dir, 'run.json'), text.slice(0, 200))
    const damaged = await runBundle(cli, ['run', '.', '-q', '--out', 'run.json'], { cwd: dir })
    expect(damaged.code).toBe(0)
    expect((await readResults(join(dir, 'run.json'))).run.complete).toBe(true)
    await writeFile(join(dir, 'empty.json'), '')
    const empty = await runBundle(cli, ['run', '.', '-q', '--out', 'empty.json'], { cwd: dir })
    expect(empty.code).toBe(0)
    expect((await readResults(join(dir, 'empty.json'))).run.complete).toBe(true)

    const shards = [await writeShard(1, 2), await writeShard(2, 2)]
    const merged = join(dir, 'merged.json')
    // A compact JSON results file, as another tool may rewrite one.
    await writeFile(merged, JSON.stringify(runResult('old')))
    const merge = await runBundle(cli, ['merge', ...shards, '--out', merged], { cwd: dir })
    expect(merge.code).toBe(0)
    expect((await readResults(merged)).run.commit).toBe('abc123')
  })

  it('run and merge replace a results file whose keys were sorted (jq -S), its tool named past the first 4 KB', async () => {
    await writeSpec('echo', 40)
    const out = join(dir, 'sorted.json')
    expect((await runBundle(cli, ['run', '.', '-q', '--out', out], { cwd: dir })).code).toBe(0)
    const earlier = await readResults(out)
    const sorted = JSON.stringify(sortedKeys(earlier), null, 2)
    expect(sorted.indexOf('"tool"')).toBeGreaterThan(4096)
    await writeFile(out, sorted)
    const again = await runBundle(cli, ['run', '.', '-q', '--out', out], { cwd: dir })
    expect(again.stderr).toBe('')
    expect(again.code).toBe(0)
    expect((await readResults(out)).run.id).not.toBe(earlier.run.id)
    await writeFile(out, JSON.stringify(sortedKeys(earlier)))
    const shards = [await writeShard(1, 2), await writeShard(2, 2)]
    const merge = await runBundle(cli, ['merge', ...shards, '--out', out], { cwd: dir })
    expect(merge.code).toBe(0)
    expect((await readResults(out)).run.commit).toBe('abc123')

    // Its tool field cut at the end of the first 4 KB, the name past it: read on, replaced.
    const straddling = `{"run": {}, "suites": ["${'x'.repeat(4052)}"], "tool": {"name": "evalgate"}}\n`
    expect(straddling.indexOf('"tool"')).toBe(4080)
    await writeFile(out, straddling)
    expect((await runBundle(cli, ['run', '.', '-q', '--out', out], { cwd: dir })).code).toBe(0)

    // A file that shows such keys, but whose tool is none or another, is still refused.
    for (const tool of ['', ',\n  "tool": { "name": "other" }']) {
      const other = `{\n  "run": "npm test",\n  "suites": ["${'x'.repeat(5000)}"]${tool}\n}\n`
      await writeFile(out, other)
      const refused = await runBundle(cli, ['run', '.', '-q', '--out', out], { cwd: dir })
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain('which is not an evalgate results file')
      expect(await readFile(out, 'utf8')).toBe(other)
    }
  })
})

/** A JSON value with the keys of every object sorted, as `jq -S` writes it. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, field]) => [key, sortedKeys(field)])
  )
}
