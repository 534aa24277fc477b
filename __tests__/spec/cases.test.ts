import { derivedCaseId, loadSpecs, type EvalCase } from '../../src/spec/index.js'
import { removeWorkspaces, sha12, workspace, yaml } from './helpers.js'

afterAll(removeWorkspaces)

const APP = { 'evals/app.js': 'export default () => "ok"\n' }

/** Loads a suite whose cases come from `sources` (YAML lines under `cases:`) and `files`. */
async function loadCases(sources: string[], files: Record<string, string>): Promise<EvalCase[]> {
  const spec = yaml(
    'suite: s',
    'providers:',
    '  - { id: app, type: module, path: ./app.js }',
    'prompt: "{{q}}"',
    'cases:',
    ...sources,
    'scorers:',
    '  - type: json-valid'
  )
  const cwd = await workspace({ ...APP, 'evals/s.eval.yaml': spec, ...files })
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
