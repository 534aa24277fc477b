import { truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { derivedCaseId, loadSpecs, type EvalCase } from '../../src/spec/index.js'
import { removeWorkspaces, sha12, workspace, yaml } from './helpers.js'

afterAll(removeWorkspaces)

const APP = { 'evals/app.js': 'export default () => "ok"\n' }

function specWith(sources: string[]): string {
  return yaml(
    'suite: s',
    'providers:',
    '  - { id: app, type: module, path: ./app.js }',
    'prompt: "{{q}}"',
    'cases:',
    ...sources,
    'scorers:',
    '  - type: json-valid'
  )
}

/** Loads a suite whose cases come from `sources` (YAML lines under `cases:`) and `files`. */
async function loadCases(
  sources: string[],
  files: Record<string, string | Buffer>
): Promise<EvalCase[]> {
  const cwd = await workspace({ ...APP, 'evals/s.eval.yaml': specWith(sources), ...files })
  const [suite] = await loadSpecs([], { cwd, env: {} })
  return suite?.cases ?? []
}

describe('case sources', () => {
  it('reads flat and nested rows alike, from JSONL, YAML and inline entries', async () => {
    const cases = await loadCases(
      ['  - file: ./c.jsonl', '  - file: ./c.yml', '  - { id: 5, cluster: 9, vars: { q: e } }'],
      {
        'evals/c.jsonl': yaml(
          '{"id": 1, "cluster": "u1", "q": "a"}',
          '{"vars": {"q": "b"}, "id": "x"}'
        ),
        'evals/c.yml': yaml('- { q: c, cluster: u2 }', '- { id: y, vars: { q: d, n: 1 } }')
      }
    )
    expect(cases.map(({ id, cluster, vars }) => ({ id, cluster, vars }))).toEqual([
      { id: '1', cluster: 'u1', vars: { q: 'a' } },
      { id: 'x', cluster: undefined, vars: { q: 'b' } },
      { id: sha12('{"q":"c"}'), cluster: 'u2', vars: { q: 'c' } },
      { id: 'y', cluster: undefined, vars: { q: 'd', n: 1 } },
      { id: '5', cluster: '9', vars: { q: 'e' } }
    ])
  })

  it('keeps ids and clusters written as numbers as they are written, in YAML and JSONL', async () => {
    const cases = await loadCases(
      [
        '  - { id: 007, cluster: 0x10, vars: { q: a } }',
        '  - { id: 1.10, vars: { q: a } }',
        '  - { id: 1.1, vars: { q: a } }',
        '  - file: ./c.jsonl',
        '  - file: ./c.yml'
      ],
      {
        'evals/c.jsonl': yaml('{"id": 1.100, "cluster": 2.0, "q": "b"}', '{"id": 1e1, "q": "b"}'),
        'evals/c.yml': yaml('- { id: 08, q: c }', '- { id: 2.50, vars: { q: d } }')
      }
    )
    expect(cases.map(({ id, cluster }) => [id, cluster])).toEqual([
      ['007', '0x10'],
      ['1.10', undefined],
      ['1.1', undefined],
      ['1.100', '2.0'],
      ['1e1', undefined],
      ['08', undefined],
      ['2.50', undefined]
    ])
  })

  it('loads a case file of 200,000 rows', async () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => `{"id":"c${i}","q":"x"}`)
    const cases = await loadCases(['  - file: ./big.jsonl'], { 'evals/big.jsonl': rows.join('\n') })
    expect(cases).toHaveLength(200_000)
    expect(cases.at(-1)?.id).toBe('c199999')
  })

  it('keeps CSV values as strings and treats an empty id cell as no id', async () => {
    const cases = await loadCases(['  - file: ./c.csv'], {
      'evals/c.csv': '\uFEFFid,q,n\r\nr1,"a, b",1\r\n,c,2\r\n'
    })
    expect(cases).toEqual([
      { id: 'r1', vars: { q: 'a, b', n: '1' }, source: { file: 'evals/c.csv', line: 2 } },
      {
        id: sha12('{"n":"2","q":"c"}'),
        vars: { q: 'c', n: '2' },
        source: { file: 'evals/c.csv', line: 3 }
      }
    ])
  })

  it('gives a CSV row after blank lines the line it is on', async () => {
    const cases = await loadCases(['  - file: ./c.csv'], {
      'evals/c.csv': yaml('id,q', 'r1,a', '', '', 'r2,"b', 'c"', '', 'r3,d')
    })
    expect(cases.map(({ id, source }) => [id, source.line])).toEqual([
      ['r1', 2],
      ['r2', 5],
      ['r3', 8]
    ])
  })

  it('reports an empty case file', async () => {
    await expect(
      loadCases(['  - file: ./c.jsonl'], { 'evals/c.jsonl': '\n\n' })
    ).rejects.toMatchObject({
      diagnostics: [
        expect.objectContaining({
          line: 6,
          column: 11,
          path: 'cases[0].file',
          message: 'case file `./c.jsonl` has no cases'
        })
      ]
    })
  })
})

describe('case files that cannot be read as they are', () => {
  it('refuses text that is not UTF-8 rather than feed the model replacement characters', async () => {
    const latin1 = Buffer.from('id,q\nc1,caf\u00e9\n', 'latin1')
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,q\nc1,a\n', 'utf16le')])
    for (const bytes of [latin1, utf16]) {
      await expect(
        loadCases(['  - file: ./c.csv'], { 'evals/c.csv': bytes })
      ).rejects.toMatchObject({
        diagnostics: [
          expect.objectContaining({
            path: 'cases[0].file',
            message: 'case file `./c.csv` is not UTF-8 text',
            hint: 'save it as UTF-8 (from a spreadsheet: "CSV UTF-8")'
          })
        ]
      })
    }
    // A spec file too: its strings become prompts.
    const spec = Buffer.from("suite: s\nprompt: 'caf\u00e9'\n", 'latin1')
    const cwd = await workspace({ 'evals/s.eval.yaml': spec })
    await expect(loadSpecs([], { cwd, env: {} })).rejects.toMatchObject({
      diagnostics: [
        { file: 'evals/s.eval.yaml', path: '', message: 'the spec file is not UTF-8 text' }
      ]
    })
    const withBom = Buffer.from('\ufeffid,q\nc1,caf\u00e9\n', 'utf8')
    const [read] = await loadCases(['  - file: ./c.csv'], { 'evals/c.csv': withBom })
    expect(read).toMatchObject({ id: 'c1', vars: { q: 'caf\u00e9' } })
  })

  it('refuses a case file larger than 256 MB before reading it as text', async () => {
    const cwd = await workspace({
      ...APP,
      'evals/s.eval.yaml': specWith(['  - file: ./big.jsonl']),
      'evals/big.jsonl': ''
    })
    // Sparse: 257 MB on paper, nothing on disk.
    await truncate(join(cwd, 'evals/big.jsonl'), 257 * 2 ** 20)
    await expect(loadSpecs([], { cwd, env: {} })).rejects.toMatchObject({
      diagnostics: [
        expect.objectContaining({
          path: 'cases[0].file',
          message: 'case file `./big.jsonl` is 257 MB, more than the 256 MB a case file may hold',
          hint: 'split it into several files, each listed under `cases:`'
        })
      ]
    })
  })
})

describe('derived case ids', () => {
  it('hash the variables with keys sorted at every level', () => {
    const id = derivedCaseId({ b: { y: [1, { d: 2, c: 3 }], x: null }, a: 'text' })
    expect(id).toBe(sha12('{"a":"text","b":{"x":null,"y":[1,{"c":3,"d":2}]}}'))
    expect(derivedCaseId({ a: 'text', b: { x: null, y: [1, { c: 3, d: 2 }] } })).toBe(id)
    // Order inside lists matters: it is part of the data.
    expect(derivedCaseId({ a: 'text', b: { x: null, y: [{ c: 3, d: 2 }, 1] } })).not.toBe(id)
  })

  it('do not depend on how a file orders its keys, and are the same on every load', async () => {
    const files = {
      'evals/a.jsonl': yaml('{"q": "hi", "meta": {"lang": "en", "tags": ["x"]}}'),
      'evals/b.yaml': yaml('- meta: { tags: [x], lang: en }', '  q: hi')
    }
    const first = await loadCases(['  - file: ./a.jsonl'], files)
    const second = await loadCases(['  - file: ./b.yaml'], files)
    const again = await loadCases(['  - file: ./a.jsonl'], files)
    expect(first[0]?.id).toBe(sha12('{"meta":{"lang":"en","tags":["x"]},"q":"hi"}'))
    expect(second[0]?.id).toBe(first[0]?.id)
    expect(again[0]?.id).toBe(first[0]?.id)
  })
})
