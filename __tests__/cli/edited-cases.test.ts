import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Comparison } from '../../src/compare/index.js'
import { buildEntry, runBundle } from '../helpers/cli.js'

/**
 * Real runs of a spec whose cases change between the baseline and the head while the model's
 * answers do not: a module answering `answer <i>` to `question <i>`, right on every case.
 */
let cli: string
let dir: string

beforeAll(async () => {
  cli = await buildEntry('src/cli.ts')
})
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalgate-edited-'))
  await writeFile(
    join(dir, 'model.mjs'),
    'export function answer({ vars }) { return vars.q.replace("question", "answer") }\n'
  )
})

interface Row {
  id?: string
  q: string
  a: string
}

function rows(count: number, ids: (i: number) => string | undefined): Row[] {
  return Array.from({ length: count }, (_, i) => {
    const id = ids(i)
    return { ...(id !== undefined ? { id } : {}), q: `question ${i}`, a: `answer ${i}` }
  })
}

/** Writes `evals/qa.eval.yaml` (suite `suite`) and its cases, runs it, and names the results. */
async function run(name: string, cases: Row[], suite = 'qa'): Promise<string> {
  await mkdir(join(dir, 'evals'), { recursive: true })
  await writeFile(
    join(dir, 'evals/qa.eval.yaml'),
    [
      `suite: ${suite}`,
      'providers:',
      '  - id: m',
      '    type: module',
      '    path: ../model.mjs',
      '    export: answer',
      "prompt: 'Q: {{q}}'",
      'cases:',
      '  - file: ./cases.jsonl',
      'scorers:',
      '  - type: equals',
      "    expected: '{{a}}'",
      'min-pass-rate: 0',
      ''
    ].join('\n')
  )
  await writeFile(
    join(dir, 'evals/cases.jsonl'),
    cases.map((row) => JSON.stringify(row)).join('\n') + '\n'
  )
  const out = `${name}.json`
  const result = await runBundle(cli, ['run', 'evals', '--out', out, '--quiet'], { cwd: dir })
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  return out
}

function compare(base: string, head: string, ...flags: string[]) {
  return runBundle(cli, ['compare', base, head, '--no-color', ...flags], { cwd: dir })
}

async function comparisonJson(base: string, head: string): Promise<Comparison> {
  const result = await compare(base, head, '--format', 'json')
  return JSON.parse(result.stdout) as Comparison
}

describe('a case edited between the baseline and the head', () => {
  it('under its `id` is listed as edited, not compared with its old self: no false regression', async () => {
    const base = await run(
      'base',
      rows(50, (i) => `c${i}`)
    )
    // The pull request corrects 6 expected answers; the model answers as before.
    const corrected = rows(50, (i) => `c${i}`).map((row, i) =>
      i % 9 === 0 ? { ...row, a: `corrected ${i}` } : row
    )
    const head = await run('head', corrected)
    const terminal = await compare(base, head)
    expect(terminal.code).toBe(0)
    expect(terminal.stdout).toMatch(/^qa \/ m {2}PASS {2}44 paired cases · 6 edited$/m)
    expect(terminal.stdout).toContain(
      '\n  edited (their variables changed, so not compared): c0 (evals/cases.jsonl:1), c9 (evals/cases.jsonl:10), c18 (evals/cases.jsonl:19),'
    )
    expect(terminal.stdout).not.toMatch(/REGRESSION|flipped/)
    const markdown = await compare(base, head, '--format', 'markdown')
    expect(markdown.stdout).toContain('44 paired cases · 6 edited · 1 repeat')
    expect(markdown.stdout).toContain(
      '- Edited (their variables changed, so not compared): c0 (evals/cases.jsonl:1), c9 (evals/cases.jsonl:10),'
    )
    const junit = await compare(base, head, '--format', 'junit')
    expect(junit.stdout).toContain('<property name="edited-cases" value="6"/>')
    expect(junit.stdout).toContain(
      '<system-out>6 edited (their variables changed, so not compared): c0 (evals/cases.jsonl:1), c9 (evals/cases.jsonl:10), c18 (evals/cases.jsonl:19), c27 (evals/cases.jsonl:28), c36 (evals/cases.jsonl:37), c45 (evals/cases.jsonl:46)</system-out>'
    )
    const json = await comparisonJson(base, head)
    expect(json.verdict).toBe('pass')
    expect(json.groups[0]?.cases).toMatchObject({
      paired: 44,
      added: 0,
      removed: 0,
      edited: 6,
      editedIds: ['c0', 'c9', 'c18', 'c27', 'c36', 'c45']
    })
  })

  it('under its `id` against a baseline without the fingerprints of its variables, pairs by id as before', async () => {
    const base = await run(
      'base',
      rows(50, (i) => `c${i}`)
    )
    // As evalgate wrote it before format 4: none of that format's fingerprints.
    const older = JSON.parse(await readFile(join(dir, base), 'utf8')) as {
      schemaVersion: number
      suites: {
        scoringFingerprint?: string
        providers: { resolvedConfigFingerprint?: string }[]
        cases: { varsFingerprint?: string }[]
      }[]
    }
    older.schemaVersion = 3
    for (const suite of older.suites) {
      delete suite.scoringFingerprint
      for (const provider of suite.providers) delete provider.resolvedConfigFingerprint
      for (const info of suite.cases) delete info.varsFingerprint
    }
    await writeFile(join(dir, 'older.json'), JSON.stringify(older))
    const corrected = rows(50, (i) => `c${i}`).map((row, i) =>
      i % 9 === 0 ? { ...row, a: `corrected ${i}` } : row
    )
    const head = await run('head', corrected)
    const json = await comparisonJson('older.json', head)
    expect(json.groups[0]?.cases).toMatchObject({ paired: 50 })
    expect(json.groups[0]?.cases.edited).toBeUndefined()
  })

  it('every one of them under its `id`: not gated, saying why in every mode, with the head alone', async () => {
    const base = await run(
      'base',
      rows(5, (i) => `c${i}`)
    )
    const head = await run(
      'head',
      rows(5, (i) => `c${i}`).map((row) => ({ ...row, a: 'wrong' }))
    )
    const why = 'all 5 cases both runs list were edited (their variables changed, so not compared)'
    const json = await comparisonJson(base, head)
    expect(json.groups[0]?.reason).toBe(why)
    expect(json.warnings).toEqual([
      `qa / m: not compared with its baseline: ${why}; the head's values are shown alone`
    ])
    const terminal = await compare(base, head)
    expect(terminal.code).toBe(0)
    expect(terminal.stdout).toMatch(/^ {2}mean score +– +0\.0% +– /m)
    const strict = await compare(base, head, '--strict')
    expect(strict.code).toBe(1)
    expect(strict.stderr).toBe(
      `evalgate: --strict: qa / m could not be gated against its baseline (${why}): it fails as inconclusive\n`
    )
  })

  it('with an id derived from its variables is listed as removed and added, each with its file:line', async () => {
    const base = await run(
      'base',
      rows(10, () => undefined)
    )
    // A typo fixed in one expected answer gives the case another id.
    const head = await run(
      'head',
      rows(10, () => undefined).map((row, i) => (i === 5 ? { ...row, a: 'answer 5.' } : row))
    )
    const terminal = await compare(base, head)
    expect(terminal.stdout).toMatch(
      /^ {2}added \(not paired\): [0-9a-f]{12} \(evals\/cases\.jsonl:6\)$/m
    )
    expect(terminal.stdout).toMatch(
      /^ {2}removed \(not paired\): [0-9a-f]{12} \(evals\/cases\.jsonl:6\)$/m
    )
    const markdown = await compare(base, head, '--format', 'markdown')
    expect(markdown.stdout).toMatch(
      /^- Added \(not paired\): [0-9a-f]{12} \(evals\/cases\.jsonl:6\)$/m
    )
    const json = await comparisonJson(base, head)
    const cases = json.groups[0]?.cases
    expect(cases?.sources).toEqual({
      [cases?.addedIds[0] ?? '']: 'evals/cases.jsonl:6',
      [cases?.removedIds[0] ?? '']: 'evals/cases.jsonl:6'
    })
  })
})

describe('no case id in both runs', () => {
  it('is said in every mode, with the head alone, in words that fit how the ids changed', async () => {
    const base = await run(
      'base',
      rows(50, (i) => `c${i}`)
    )
    // Renamed ids, and a model right on half the cases: its 50% pass rate is shown.
    const head = await run(
      'head',
      rows(50, (i) => `case-${i}`).map((row, i) => (i % 2 === 0 ? { ...row, a: 'wrong' } : row))
    )
    const renamed = "no case id is in both runs: the cases' `id`s were renamed"
    const terminal = await compare(base, head)
    expect(terminal.code).toBe(0)
    expect(terminal.stdout).toContain(
      `warning: qa / m: not compared with its baseline: ${renamed}; the head's values are shown alone`
    )
    expect(terminal.stdout).toMatch(
      /^qa \/ m {2}NOT GATED {2}0 paired cases · 50 added · 50 removed\n {2}no case id is in both runs: the cases' `id`s were renamed$/m
    )
    expect(terminal.stdout).toMatch(/^ {2}pass rate +– +50\.0% +– /m)
    expect(terminal.stdout).not.toContain('derived')
    const json = await comparisonJson(base, head)
    expect(json.groups[0]?.reason).toBe(renamed)
    // The pass rate of no paired case repeats nothing.
    const junit = await compare(base, head, '--format', 'junit')
    expect(junit.stdout).not.toContain('repeats the')
    expect(junit.stderr).toContain('evalgate: warning: qa / m: not compared with its baseline')
    const strict = await compare(base, head, '--strict')
    expect(strict.code).toBe(1)
    expect(strict.stderr).toBe(
      `evalgate: --strict: qa / m could not be gated against its baseline (${renamed}): it fails as inconclusive\n`
    )

    // Derived ids that all changed (a column's values rewritten) are told to get an `id`.
    const derivedBase = await run(
      'derived-base',
      rows(5, () => undefined)
    )
    const derivedHead = await run(
      'derived-head',
      rows(5, () => undefined).map((row) => ({ ...row, a: row.a.toUpperCase() }))
    )
    expect((await comparisonJson(derivedBase, derivedHead)).groups[0]?.reason).toBe(
      'no case id is in both runs: ids derived from the variables (expected answers too) change with any edit; give cases an `id` to keep them paired across edits'
    )
    // Ids given for the first time cannot match the baseline's derived ones.
    const given = await run(
      'given',
      rows(5, (i) => `c${i}`)
    )
    expect((await comparisonJson(derivedBase, given)).groups[0]?.reason).toBe(
      'no case id is in both runs: the cases were given an `id`, and the baseline derived theirs from their variables; they are paired from the next baseline on'
    )
  })
})

describe('a suite renamed in its spec file', () => {
  it('is said to be renamed, it seems, and --strict does not fail it', async () => {
    const base = await run(
      'base',
      rows(20, (i) => `c${i}`)
    )
    const head = await run(
      'head',
      rows(20, (i) => `c${i}`).map((row) => ({ ...row, a: 'wrong' })),
      'qa-v2'
    )
    const warning =
      'qa / m is in the baseline but not in the head run, and qa-v2 / m is new in its spec file (evals/qa.eval.yaml): renamed, it seems; a suite is known by its name, so it was not compared with its baseline (--strict does not fail it) until a baseline of the new name is stored'
    const strict = await compare(base, head, '--strict', '--format', 'json')
    expect(strict.code).toBe(0)
    expect(strict.stderr).toBe(`evalgate: warning: ${warning}\n`)
    const json = JSON.parse(strict.stdout) as Comparison
    expect(json.warnings).toEqual([warning])
    expect(json.groups.map((g) => [g.suite, g.status, g.reason])).toEqual([
      ['qa-v2', 'new', 'no baseline for this suite and provider yet'],
      [
        'qa',
        'removed',
        'in the baseline but not in this run: renamed qa-v2, it seems (a suite is known by its name)'
      ]
    ])
  })
})
