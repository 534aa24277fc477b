import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildEntry, runBundle } from '../helpers/cli.js'
import { removeWorkspaces, specProblems, workspace, yaml } from './helpers.js'

afterAll(removeWorkspaces)

const FILE = 'evals/s.eval.yaml'
const APP = yaml(
  'export function answer() { return "ok" }',
  'export function other() { return "ok" }',
  'export const notAFunction = 42'
)
const TAIL = ['prompt: "x"', 'cases:', '  - vars: {}']

describe('module exports, checked when the spec is loaded', () => {
  it('reports every export of a module provider or javascript scorer that is not a function, at once', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - { id: a, type: module, path: ./app.js, export: answr }', // line 3, export at column 52
      '  - { id: b, type: module, path: ./app.js, export: notAFunction }', // line 4
      ...TAIL,
      'scorers:',
      '  - { type: javascript, path: ./app.js, export: score }' // line 9, export at column 49
    )
    expect(await specProblems(spec, { 'evals/app.js': APP })).toEqual([
      {
        file: FILE,
        line: 3,
        column: 52,
        path: 'providers[0].export',
        message: 'module `./app.js` has no exported function `answr`',
        hint: 'did you mean `answer`? its exported functions: answer, other'
      },
      {
        file: FILE,
        line: 4,
        column: 52,
        path: 'providers[1].export',
        message: 'export `notAFunction` of module `./app.js` is a number, not a function',
        hint: 'its exported functions: answer, other'
      },
      {
        file: FILE,
        line: 9,
        column: 49,
        path: 'scorers[0].export',
        message: 'scorer module `./app.js` has no exported function `score`',
        hint: 'its exported functions: answer, other'
      }
    ])
  })

  it('reports a module without a default export, or that cannot be imported, at its path', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - { id: a, type: module, path: ./app.js }', // line 3, path at column 34
      '  - { id: b, type: module, path: ./broken.js }', // line 4
      ...TAIL,
      'scorers:',
      '  - { type: javascript, path: ./none.js }' // line 9, path at column 31
    )
    const files = {
      'evals/app.js': APP,
      'evals/broken.js': 'export function oops( {\n',
      'evals/none.js': 'export const version = 1\n'
    }
    expect(await specProblems(spec, files)).toEqual([
      {
        file: FILE,
        line: 3,
        column: 34,
        path: 'providers[0].path',
        message: 'module `./app.js` has no default export',
        hint: 'set `export` to one of its exported functions: answer, other'
      },
      {
        file: FILE,
        line: 4,
        column: 34,
        path: 'providers[1].path',
        message: expect.stringMatching(/^cannot load module `\.\/broken\.js`: \S/),
        hint: 'the module must import without an error, as `evalgate run` imports it; `node evals/broken.js` shows where it fails'
      },
      {
        file: FILE,
        line: 9,
        column: 31,
        path: 'scorers[0].path',
        message: 'scorer module `./none.js` has no default export',
        hint: 'export a function as `export default` (or `module.exports = function …`)'
      }
    ])
  })

  // In Node (not in Jest, which makes every key of `module.exports` a named export), a CommonJS
  // module imported from ESM only has the named exports Node's lexer detects.
  it('finds the functions of a CommonJS module.exports object in a real Node process', async () => {
    const cli = await buildEntry('src/cli.ts')
    const module = yaml(
      'module.exports = {',
      '  version: 1, // the lexer finds `version`, then gives up on the object',
      '  vars: async ({ vars }) => JSON.stringify(vars),',
      '  isA1: async ({ output }) => output === \'{"a":1}\'',
      '}'
    )
    const specWith = (exportName: string) =>
      yaml(
        'suite: s',
        'providers:',
        `  - { id: v, type: module, path: ./app.cjs, export: ${exportName} }`, // line 3, export at 53
        'prompt: "x"',
        'cases:',
        '  - { id: one, vars: { a: 1 } }',
        'scorers:',
        '  - { type: javascript, path: ./app.cjs, export: isA1 }'
      )

    const broken = await workspace({ 'evals/app.cjs': module, [FILE]: specWith('nope') })
    const validated = await runBundle(cli, ['validate'], { cwd: broken })
    expect(validated.stderr).toBe(
      'evalgate: 1 problem in eval specs:\n' +
        '  evals/s.eval.yaml:3:53: providers[0].export: module `./app.cjs` has no exported function `nope` (its exported functions: vars, isA1)\n'
    )
    expect(validated.code).toBe(2)

    const cwd = await workspace({ 'evals/app.cjs': module, [FILE]: specWith('vars') })
    const run = await runBundle(cli, ['run', '--out', 'results.json', '--quiet'], { cwd })
    expect(run.code).toBe(0)
    const results = JSON.parse(await readFile(join(cwd, 'results.json'), 'utf8')) as {
      suites: { results: unknown[] }[]
    }
    expect(results.suites[0]?.results).toMatchObject([{ output: '{"a":1}', pass: true }])
  })
})
