import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Comparison } from '../../src/compare/index.js'
import { runCliInProcess } from '../helpers/cli.js'

// Right on every case, unless its prompt says to be sloppy: then 8 of the 20 cases go wrong.
const APP = `export function answer({ prompt, vars }) {
  return prompt.startsWith('sloppy') && vars.n < 8 ? 'wrong' : String(vars.n)
}
`

const SCORERS = `  - { type: equals, expected: '{{n}}' }
  - { type: similarity, expected: '{{n}}', threshold: 0.8, weight: 2 }
`

const CASES = Array.from({ length: 20 }, (_, n) => `  - { id: c${n}, vars: { n: ${n} } }`)

interface SuiteShape {
  prompt?: string
  scorers?: string
  /** The spec's folder under the repository's root. */
  folder?: string
  /** The provider entry's lines after `type: module`. */
  provider?: string
}

/** The spec of suite `echo`, whose module is the repository's `app.js`. */
function specText(shape: SuiteShape): string {
  const up = '../'.repeat((shape.folder ?? 'evals').split('/').length)
  return `suite: echo
providers:
  - id: app
    type: module
${shape.provider ?? `    path: ${up}app.js\n    export: answer\n`}prompt: '${shape.prompt ?? 'echo {{n}}'}'
cases:
${CASES.join('\n')}
scorers:
${shape.scorers ?? SCORERS}`
}

let root: string

/** A run of the suite shaped so, written to `out` in the repository. */
async function run(shape: SuiteShape, out: string) {
  const folder = shape.folder ?? 'evals'
  await mkdir(join(root, folder), { recursive: true })
  const spec = join(folder, `echo-${out}.eval.yaml`)
  await writeFile(join(root, spec), specText(shape))
  const ran = await runCliInProcess(
    ['run', spec, '--out', out, '--quiet', '--commit', 'abc123'],
    root
  )
  expect(ran.stderr).toBe('')
  return out
}

async function compare(base: string, head: string, format = 'terminal') {
  return runCliInProcess(['compare', base, head, '--format', format, '--no-color'], root)
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'evalgate-comparability-'))
  await mkdir(join(root, '.git'))
  await writeFile(join(root, 'app.js'), APP)
  await run({}, 'base.json')
})

describe('a scorer edit that cannot change a score or a pass', () => {
  it.each([
    [
      'scorers swapped',
      `  - { type: similarity, expected: '{{n}}', threshold: 0.8, weight: 2 }
  - { type: equals, expected: '{{n}}' }
`
    ],
    [
      'a scorer named',
      `  - { type: equals, name: exact, expected: '{{n}}' }
  - { type: similarity, expected: '{{n}}', threshold: 0.8, weight: 2 }
`
    ],
    [
      'a placeholder spaced',
      `  - { type: equals, expected: '{{ n }}' }
  - { type: similarity, expected: '{{n }}', threshold: 0.8, weight: 2 }
`
    ],
    [
      'weights in the same proportion',
      `  - { type: equals, expected: '{{n}}', weight: 3 }
  - { type: similarity, expected: '{{n}}', threshold: 0.8, weight: 6 }
`
    ]
  ])('keeps the suite comparable, so a real drop fails: %s', async (_edit, scorers) => {
    const head = await run({ prompt: 'sloppy {{n}}', scorers }, 'head.json')
    const compared = await compare('base.json', head)
    expect(compared.stdout).not.toContain('NOT COMPARABLE')
    expect(compared.stdout).toMatch(/^\s+mean score\s.*REGRESSION/m)
    expect(compared.code).toBe(1)
  })
})

describe('a judge command of a spec moved a folder down, its working directory fixed', () => {
  // A judge that grades every answer 5 of 5, run from the repository's root wherever the spec is.
  const judge = (cwd: string) => `  - type: llm-judge
    rubric: Any answer will do.
    judge: { type: exec, command: ['${process.execPath}', judge.mjs], cwd: ${cwd} }
`
  beforeAll(async () => {
    await writeFile(
      join(root, 'judge.mjs'),
      'process.stdout.write(JSON.stringify({ score: 5, reasoning: "fine" }))\n'
    )
  })

  it('keeps the suite comparable, so a real drop fails', async () => {
    const scorers = `  - { type: equals, expected: '{{n}}' }\n`
    await run({ scorers: scorers + judge('..') }, 'judged.json')
    const head = await run(
      { prompt: 'sloppy {{n}}', folder: 'evals/echo', scorers: scorers + judge('../..') },
      'head.json'
    )
    const compared = await compare('judged.json', head)
    expect(compared.stdout).toMatch(/^\s+mean score\s.*REGRESSION/m)
    expect(compared.code).toBe(1)
  })
})

describe('a javascript scorer checked out on Windows (CRLF line ends, a BOM)', () => {
  const scorer = [
    'export function grade({ output, vars }) {',
    '  return { score: output === String(vars.n) ? 1 : 0 }',
    '}',
    ''
  ]
  const scorers = `  - { type: javascript, path: ../grade.js, export: grade }\n`

  it('is the same scorer, so a real drop against a Linux baseline fails', async () => {
    await writeFile(join(root, 'grade.js'), scorer.join('\n'))
    await run({ scorers }, 'linux.json')
    await writeFile(join(root, 'grade.js'), `\uFEFF${scorer.join('\r\n')}`)
    const head = await run({ prompt: 'sloppy {{n}}', scorers }, 'head.json')
    const compared = await compare('linux.json', head)
    expect(compared.stdout).not.toContain('NOT COMPARABLE')
    expect(compared.stdout).toMatch(/^\s+mean score\s.*REGRESSION/m)
    expect(compared.code).toBe(1)
  })

  it('compares with a baseline stored from that checkout before the upgrade, as it did', async () => {
    // Written by evalgate 0.x (format 3) from this suite with this CRLF and BOM scorer file: its
    // scorers' fingerprint hashes the file as it was, which is all it has to compare on.
    const before = resolve('__tests__/fixtures/results/v3-echo-windows-baseline.json')
    await writeFile(join(root, 'grade.js'), `\uFEFF${scorer.join('\r\n')}`)
    const head = await run({ prompt: 'sloppy {{n}}', scorers }, 'head.json')
    const compared = await compare(before, head)
    expect(compared.stdout).not.toContain('NOT COMPARABLE')
    expect(compared.stdout).toMatch(/^\s+mean score\s.*REGRESSION/m)
    expect(compared.code).toBe(1)
  })
})

describe('a scorer edit that changes what passes', () => {
  it('makes the suite not comparable', async () => {
    const scorers = SCORERS.replace('threshold: 0.8', 'threshold: 0.9')
    const head = await run({ prompt: 'sloppy {{n}}', scorers }, 'head.json')
    const compared = await compare('base.json', head)
    expect(compared.stdout).toContain('the scorers changed: scores are not comparable')
    expect(compared.stdout).toMatch(/^\s+mean score\s.*NOT COMPARABLE/m)
    expect(compared.code).toBe(0)
  })
})

describe("a provider's configuration", () => {
  const NOTE = 'provider configuration changed in this run'
  const MARKDOWN_NOTE = 'Provider configuration changed in this run.'

  it('is not said to change when only its label does', async () => {
    const head = await run(
      { provider: '    label: The app\n    path: ../app.js\n    export: answer\n' },
      'head.json'
    )
    expect((await compare('base.json', head)).stdout).not.toContain(NOTE)
    expect((await compare('base.json', head, 'markdown')).stdout).not.toContain(MARKDOWN_NOTE)
  })

  it('is not said to change when its spec moved a folder down, its path fixed to the same module', async () => {
    const head = await run({ folder: 'evals/echo' }, 'head.json')
    const compared = await compare('base.json', head, 'json')
    expect((JSON.parse(compared.stdout) as Comparison).groups[0]?.configChanged).toBe(false)
    expect((await compare('base.json', head)).stdout).not.toContain(NOTE)
    expect((await compare('base.json', head, 'markdown')).stdout).not.toContain(MARKDOWN_NOTE)
  })

  it('is said to change in the terminal report as in the Markdown one when it does', async () => {
    const head = await run(
      { provider: '    path: ../app.js\n    export: answer\n    timeout: 5s\n' },
      'head.json'
    )
    expect((await compare('base.json', head)).stdout).toContain(`\n  ${NOTE}\n`)
    expect((await compare('base.json', head, 'markdown')).stdout).toContain(MARKDOWN_NOTE)
  })
})

describe('a baseline written before evalgate recorded what decides scores (format 3)', () => {
  // Written by evalgate 0.x with format 3 from this suite as `run` writes it above: its
  // fingerprints are as they always were, and it has none of format 4.
  const before = resolve('__tests__/fixtures/results/v3-echo-baseline.json')

  it('is compared on the fingerprints it has: the same scorers compare, and a drop fails', async () => {
    const baseline = JSON.parse(await readFile(before, 'utf8')) as { schemaVersion: number }
    expect(baseline.schemaVersion).toBe(3)
    const head = await run({ prompt: 'sloppy {{n}}' }, 'head.json')
    const compared = await compare(before, head)
    expect(compared.stdout).toMatch(/^\s+mean score\s.*REGRESSION/m)
    expect(compared.stdout).not.toContain('provider configuration changed')
    expect(compared.code).toBe(1)
  })

  it('is not comparable with scorers edited as it cannot tell from a real change', async () => {
    const scorers = SCORERS.replace('type: equals,', 'type: equals, name: exact,')
    const head = await run({ prompt: 'sloppy {{n}}', scorers }, 'head.json')
    const compared = await compare(before, head)
    expect(compared.stdout).toMatch(/^\s+mean score\s.*NOT COMPARABLE/m)
    expect(compared.code).toBe(0)
  })
})

describe('one-string exec commands with a `${NAME}`, replayed by a fork’s pull request', () => {
  it('compare with the run that had the variable set: no changed scorers or configuration', async () => {
    const dir = join(root, 'keyed')
    await mkdir(dir)
    const script = (answer: string) => `#!/bin/sh\ncat >/dev/null\necho '${answer}'\n`
    await writeFile(join(dir, 'app.sh'), script('hello'), { mode: 0o755 })
    await writeFile(join(dir, 'judge.sh'), script('{"score":5,"reasoning":"ok"}'), { mode: 0o755 })
    await writeFile(
      join(dir, 'keyed.eval.yaml'),
      `suite: keyed
providers:
  - { id: app, type: exec, command: './app.sh --key \${MYKEY}' }
prompt: 'hi {{n}}'
cases:
${CASES.join('\n')}
scorers:
  - type: llm-judge
    rubric: A greeting.
    judge: { id: j, type: exec, command: './judge.sh --key \${MYKEY}' }
`
    )
    const cache = ['--cache-dir', join(dir, 'cache'), '--quiet']
    const runWith = async (env: Record<string, string>, mode: string, out: string) => {
      const args = ['run', 'keyed/keyed.eval.yaml', '--out', out, '--cache', mode, ...cache]
      expect((await runCliInProcess(args, root, env)).code).toBe(0)
    }
    const PATH = process.env.PATH ?? ''
    await runWith({ PATH, MYKEY: 'abcdef' }, 'write', 'keyed-base.json')
    await runWith({ PATH }, 'replay', 'keyed-head.json')
    const compared = await compare('keyed-base.json', 'keyed-head.json')
    expect(compared.stdout).not.toContain('NOT COMPARABLE')
    expect(compared.stdout).not.toContain('the scorers changed')
    expect(compared.stdout).not.toContain('provider configuration changed')
    const json = JSON.parse((await compare('keyed-base.json', 'keyed-head.json', 'json')).stdout)
    expect((json as Comparison).groups[0]?.configChanged).toBe(false)
  })
})
