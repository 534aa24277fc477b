import { jest } from '@jest/globals'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { InputError } from '../../src/errors.js'
import { loadSpecs } from '../../src/spec/index.js'
import {
  FIXTURES,
  loadError,
  removeWorkspaces,
  sha12,
  specProblems,
  workspace,
  yaml
} from './helpers.js'

const FILE = 'evals/s.eval.yaml'
const APP = { 'evals/app.js': 'export default () => "ok"\n' }
const SUITE = 'suite: s'
const PROVIDERS = ['providers:', '  - { id: app, type: module, path: ./app.js }']
const PROMPT = 'prompt: "Q: {{question}}"'
const CASES = ['cases:', '  - vars: { question: why }']
const SCORERS = ['scorers:', '  - type: json-valid']

afterAll(removeWorkspaces)

/** The suite with its cases in the case file `file`. */
const withCaseFile = (file: string) =>
  yaml(SUITE, ...PROVIDERS, PROMPT, 'cases:', `  - file: ${file}`, ...SCORERS)

describe('spec file problems', () => {
  it('reports malformed YAML at the position yaml gives, and nothing else for that file', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - id: app',
      '    type: module', // line 4: column 11 is where yaml sees the nested mapping begin
      '     path: ./app.js'
    )
    // The first error only: the ones after it are that mistake seen from further on.
    expect(await specProblems(spec)).toEqual([
      {
        file: FILE,
        line: 4,
        column: 11,
        path: '',
        message:
          'invalid YAML: Nested mappings are not allowed in compact mappings (and 1 more after it, likely caused by it)'
      }
    ])
  })

  it('names each duplicate key, and says a second document is one', async () => {
    const duplicates = yaml(SUITE, 'suite: t', ...PROVIDERS, PROMPT, PROMPT, ...CASES, ...SCORERS)
    const hint = 'a key appears once in a mapping: remove or merge the other one'
    expect(await specProblems(duplicates, APP)).toEqual([
      { file: FILE, line: 2, column: 1, path: '', message: 'duplicate key `suite`', hint },
      { file: FILE, line: 6, column: 1, path: '', message: 'duplicate key `prompt`', hint }
    ])
    const twoDocuments = yaml(SUITE, ...PROVIDERS, PROMPT, ...CASES, ...SCORERS, '---', SUITE)
    expect(await specProblems(twoDocuments, APP)).toEqual([
      {
        file: FILE,
        line: 9,
        column: 1,
        path: '',
        message: 'a second YAML document (after `---`): a spec file holds one',
        hint: 'remove the `---` line, or move that document to a spec file of its own'
      }
    ])
  })

  it('says to quote an unquoted ${VAR} or {{var}} when YAML trips on one', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - id: cli',
      '    type: exec',
      '    command: ./run.sh',
      '    env: { KEY: ${API_KEY} }',
      "prompt: 'x'"
    )
    const [problem, ...others] = await specProblems(spec)
    expect(others).toEqual([])
    expect(problem).toMatchObject({
      line: 6,
      message: expect.stringMatching(
        /^invalid YAML: .*\(and \d+ more after it, likely caused by it\)$/
      ),
      hint: "quote a value holding `${VAR}` or `{{var}}`, e.g. `key: '${VAR}'`"
    })
  })

  it('reports an empty spec file', async () => {
    expect(await specProblems('# nothing yet\n')).toEqual([
      {
        file: FILE,
        line: 1,
        column: 1,
        path: '',
        message: 'the spec file is empty',
        hint: 'a spec needs `suite`, `providers`, `prompt`, `cases` and `scorers`'
      }
    ])
  })

  it('reports a spec that is not a mapping', async () => {
    expect(await specProblems('- suite: s\n')).toEqual([
      {
        file: FILE,
        line: 1,
        column: 1,
        path: '',
        message: 'expected a mapping of keys, got a list',
        hint: 'a spec needs `suite`, `providers`, `prompt`, `cases` and `scorers`'
      }
    ])
  })

  it('reports an unknown key at the key, suggesting the closest allowed key', async () => {
    const spec = yaml(SUITE, ...PROVIDERS, PROMPT, ...CASES, 'scorer:', '  - type: json-valid')
    // Not also `scorers` as a missing required key: the misspelling is the one mistake.
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 7,
        column: 1,
        path: 'scorer',
        message: 'unknown key `scorer`',
        hint: 'did you mean `scorers`?'
      }
    ])
  })

  it('lists the allowed keys when no key is close to an unknown one', async () => {
    const spec = yaml(SUITE, 'owner: me', ...PROVIDERS, PROMPT, ...CASES, ...SCORERS)
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 2,
        column: 1,
        path: 'owner',
        message: 'unknown key `owner`',
        hint:
          'allowed keys: suite, description, providers, prompt, cases, scorers, repeats, timeout, ' +
          'min-pass-rate, gate, $schema'
      }
    ])
  })

  it('reports a wrong type with the value found', async () => {
    const spec = yaml(SUITE, 'repeats: "three"', ...PROVIDERS, PROMPT, ...CASES, ...SCORERS)
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 2,
        column: 10,
        path: 'repeats',
        message: 'expected integer, got string "three"',
        hint: 'Answers asked per case and provider (1 to 100); more repeats measure nondeterministic models better.'
      }
    ])
  })

  it("says a number must be finite where YAML's .inf or .nan is written", async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      PROMPT,
      ...CASES,
      'scorers:',
      '  - type: equals', // line 8
      '    expected: ok',
      '    weight: .inf',
      '  - type: similarity',
      '    expected: ok',
      '    threshold: .nan'
    )
    const problems = await specProblems(spec, APP)
    expect(problems.map(({ line, path, message }) => ({ line, path, message }))).toEqual([
      { line: 10, path: 'scorers[0].weight', message: 'must be a finite number, got Infinity' },
      { line: 13, path: 'scorers[1].threshold', message: 'must be a finite number, got NaN' }
    ])
  })

  it('reports every mistake of a json-schema at its own line, with the allowed type names', async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      PROMPT,
      ...CASES,
      'scorers:',
      '  - type: json-schema', // line 8
      '    schema:',
      '      type: object',
      '      properties:',
      '        priority: { type: integr }', // line 12, `integr` at column 27
      '        size: { minimum: big }' // line 13, `big` at column 26
    )
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 12,
        column: 27,
        path: 'scorers[0].schema.properties.priority.type',
        message: 'invalid JSON Schema: "integr" is not one of its values',
        hint: 'did you mean `integer`?'
      },
      {
        file: FILE,
        line: 13,
        column: 26,
        path: 'scorers[0].schema.properties.size.minimum',
        message: 'invalid JSON Schema: must be number',
        hint: 'draft-07 by default, or draft-06, 2019-09 or 2020-12 declared in $schema'
      }
    ])
  })

  it('refuses a json-schema $schema naming a draft it cannot check, saying which drafts it can', async () => {
    const scorer = (uri: string) =>
      yaml(
        SUITE,
        ...PROVIDERS,
        PROMPT,
        ...CASES,
        'scorers:',
        '  - type: json-schema',
        '    schema:',
        `      $schema: '${uri}'`, // line 10, the URI at column 16
        '      type: object'
      )
    const drafts =
      'the drafts checked: http://json-schema.org/draft-07/schema#, http://json-schema.org/draft-06/schema#, https://json-schema.org/draft/2019-09/schema, https://json-schema.org/draft/2020-12/schema; without $schema, a schema is read as draft-07'
    expect(await specProblems(scorer('http://json-schema.org/draft-04/schema#'), APP)).toEqual([
      {
        file: FILE,
        line: 10,
        column: 16,
        path: 'scorers[0].schema.$schema',
        message:
          'invalid JSON Schema: http://json-schema.org/draft-04/schema# is not supported: draft-04 and older read `exclusiveMinimum`, `exclusiveMaximum` and `id` otherwise than later drafts',
        hint: `rewrite it for a later draft, where \`minimum: 5, exclusiveMinimum: true\` is \`exclusiveMinimum: 5\` and \`id\` is \`$id\`; ${drafts}`
      }
    ])
    expect(await specProblems(scorer('https://example.com/my-schema'), APP)).toEqual([
      expect.objectContaining({
        line: 10,
        path: 'scorers[0].schema.$schema',
        message:
          'invalid JSON Schema: $schema https://example.com/my-schema names no draft that evalgate checks',
        hint: drafts
      })
    ])
    expect(await specProblems(scorer('https://json-schema.org/draft-07/schema#'), APP)).toEqual([
      expect.objectContaining({
        path: 'scorers[0].schema.$schema',
        hint: `did you mean \`http://json-schema.org/draft-07/schema#\`? ${drafts}`
      })
    ])
  })

  it('suggests the keyword meant for an unknown json-schema keyword', async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      PROMPT,
      ...CASES,
      'scorers:',
      '  - type: json-schema',
      '    schema: { type: array, itms: { type: string } }'
    )
    const [problem] = await specProblems(spec, APP)
    expect(problem).toMatchObject({
      path: 'scorers[0].schema',
      message: 'invalid JSON Schema: strict mode: unknown keyword: "itms"',
      hint: expect.stringMatching(/^did you mean `items`\?/)
    })
  })

  it('reports a missing required key at the entry that lacks it', async () => {
    const spec = yaml(
      SUITE,
      'providers:',
      '  - id: app',
      '    type: module',
      PROMPT,
      ...CASES,
      ...SCORERS
    )
    expect(await specProblems(spec)).toEqual([
      {
        file: FILE,
        line: 3,
        column: 5,
        path: 'providers[0].path',
        message: 'missing required key `path`',
        hint: "The JS module, relative to the spec file's directory; it must exist. `${VAR}` is replaced by the environment variable VAR."
      }
    ])
  })

  it('reports a misspelled required key of an entry once, as the unknown key it is', async () => {
    const spec = yaml(
      SUITE,
      'providers:',
      '  - id: app',
      '    type: module',
      '    pth: ./app.js', // line 5
      PROMPT,
      ...CASES,
      ...SCORERS
    )
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 5,
        column: 5,
        path: 'providers[0].pth',
        message: 'unknown key `pth`',
        hint: 'did you mean `path`?'
      }
    ])
  })

  it('reports a bad enum value with the allowed values', async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      'prompt:',
      '  - role: admin', // line 5
      '    content: hi',
      ...CASES,
      ...SCORERS
    )
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 5,
        column: 11,
        path: 'prompt[0].role',
        message: 'invalid value `admin`',
        hint: 'allowed values: system, user, assistant'
      }
    ])
  })

  it('reports an unknown provider or scorer type once, with the closest type', async () => {
    const spec = yaml(
      SUITE,
      'providers:',
      '  - { id: app, type: modul, path: ./app.js }', // line 3, `modul` at column 22
      PROMPT,
      ...CASES,
      'scorers:',
      '  - type: equal', // line 8
      '    expected: x'
    )
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 3,
        column: 22,
        path: 'providers[0].type',
        message: 'unknown provider type `modul`',
        hint: 'did you mean `module`? allowed types: module, exec, http, openai'
      },
      {
        file: FILE,
        line: 8,
        column: 11,
        path: 'scorers[0].type',
        message: 'unknown scorer type `equal`',
        hint:
          'did you mean `equals`? allowed types: equals, contains, icontains, starts-with, regex, ' +
          'json-valid, json-schema, numeric, similarity, javascript, llm-judge'
      }
    ])
  })

  it('reports only the errors of the scorer type chosen, not of every other type', async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      PROMPT,
      ...CASES,
      'scorers:',
      '  - type: regex', // line 8: the entry lacks `pattern`
      '    flag: i' // line 9
    )
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 8,
        column: 5,
        path: 'scorers[0].pattern',
        message: 'missing required key `pattern`',
        hint: 'A JavaScript regular expression, matched anywhere in the answer (anchor it with `^…$` to match all of it).'
      },
      {
        file: FILE,
        line: 9,
        column: 5,
        path: 'scorers[0].flag',
        message: 'unknown key `flag`',
        hint: 'did you mean `flags`?'
      }
    ])
  })

  it('reports out-of-range numbers and malformed durations', async () => {
    const spec = yaml(
      SUITE,
      'timeout: 30 sec',
      'min-pass-rate: 2',
      'gate: { latency-p50: { max-ratio: 0.5 }, score: { noise: 0.5, max-drop: 0.01 }, pass-rate: { max-drop: 0.01 } }', // line 4
      ...PROVIDERS,
      PROMPT,
      ...CASES,
      ...SCORERS
    )
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 2,
        column: 10,
        path: 'timeout',
        message: 'invalid value `30 sec`',
        hint: 'A duration of at most 24 hours: a number of milliseconds, or a number with a unit, `ms`, `s`, `m` (minutes) or `h`, such as `500ms`, `30s`, `2m` or `1h`.'
      },
      {
        file: FILE,
        line: 3,
        column: 16,
        path: 'min-pass-rate',
        message: 'must be at most 1, got 2',
        hint: "The run fails when a provider's pass rate in this suite is below this fraction (0 to 1)."
      },
      {
        file: FILE,
        line: 4,
        column: 35,
        path: 'gate.latency-p50.max-ratio',
        message: 'must be at least 1, got 0.5',
        hint: 'Largest tolerated latency ratio head / baseline (e.g. 1.2); 1 tolerates no slowdown.'
      },
      {
        file: FILE,
        line: 4,
        column: 58,
        path: 'gate.score.noise',
        message: 'the noise floor 0.5 is above `max-drop` 0.01',
        hint: '`noise` is the change too small to matter (a significant drop beyond it is a regression), `max-drop` how far below the baseline the 95% CI of a change that is not significant may reach for it to pass: noise ≤ max-drop'
      },
      {
        file: FILE,
        line: 4,
        column: 104,
        path: 'gate.pass-rate.max-drop',
        message: 'the noise floor 0.02 (the default) is above `max-drop` 0.01',
        hint: '`noise` is the change too small to matter (a significant drop beyond it is a regression), `max-drop` how far below the baseline the 95% CI of a change that is not significant may reach for it to pass: noise ≤ max-drop'
      }
    ])
  })

  it('rejects durations longer than 24 hours, which would break every call', async () => {
    const spec = yaml(
      SUITE,
      'timeout: 99999999999999999999s', // line 2, the value at column 10
      'providers:',
      '  - { id: app, type: module, path: ./app.js, timeout: 2147483648 }', // line 4, column 55
      '  - { id: cli, type: exec, command: echo, retry: { max-delay: 1441m } }', // line 5, column 63
      PROMPT,
      ...CASES,
      ...SCORERS
    )
    const hint =
      'a duration is at most 24 hours: `24h`, `1440m`, `86400s` or `86400000` milliseconds'
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 4,
        column: 55,
        path: 'providers[0].timeout',
        message: 'must be at most 86400000, got 2147483648',
        hint: 'A duration of at most 24 hours: a number of milliseconds, or a number with a unit, `ms`, `s`, `m` (minutes) or `h`, such as `500ms`, `30s`, `2m` or `1h`.'
      },
      {
        file: FILE,
        line: 2,
        column: 10,
        path: 'timeout',
        message: 'duration `99999999999999999999s` is longer than 24 hours',
        hint
      },
      {
        file: FILE,
        line: 5,
        column: 63,
        path: 'providers[1].retry.max-delay',
        message: 'duration `1441m` is longer than 24 hours',
        hint
      }
    ])
  })

  it('rejects a zero duration written as text, as the schema rejects 0', async () => {
    const spec = yaml(
      SUITE,
      "timeout: '0s'", // line 2, the value at column 10
      ...PROVIDERS,
      PROMPT,
      ...CASES,
      ...SCORERS
    )
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 2,
        column: 10,
        path: 'timeout',
        message: 'duration `0s` is zero',
        hint: 'a duration is at least 1 ms, e.g. `500ms` or `30s`'
      }
    ])
  })

  it('reports an invalid suite name', async () => {
    const spec = yaml('suite: ticket triage', ...PROVIDERS, PROMPT, ...CASES, ...SCORERS)
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 1,
        column: 8,
        path: 'suite',
        message: 'invalid value `ticket triage`',
        hint: 'Name of the suite, unique across all spec files: ASCII letters, digits, `.`, `_` and `-`, starting with a letter or digit.'
      }
    ])
  })
})

describe('paths that must exist', () => {
  const hint = (resolved: string) =>
    `resolved to \`${resolved}\`; paths are relative to the spec file's directory`

  it('reports a module, exec program, exec cwd and javascript scorer that do not exist', async () => {
    const spec = yaml(
      SUITE,
      'providers:',
      '  - { id: app, type: module, path: ./src/app.js }', // line 3, path at column 36
      '  - { id: cli, type: exec, command: ./bin/answer --fast }', // line 4, command at 37
      '  - { id: argv, type: exec, command: [./bin/answer], cwd: ./tools }', // line 5, cwd at 59
      PROMPT,
      ...CASES,
      'scorers:',
      '  - { type: javascript, path: ./scorers/polite.js }' // line 10, path at column 31
    )
    expect(await specProblems(spec)).toEqual([
      {
        file: FILE,
        line: 3,
        column: 36,
        path: 'providers[0].path',
        message: 'module `./src/app.js` does not exist',
        hint: hint('evals/src/app.js')
      },
      {
        file: FILE,
        line: 4,
        column: 37,
        path: 'providers[1].command',
        message: 'program `./bin/answer` does not exist',
        hint: "resolved to `evals/bin/answer`; paths are relative to the command's `cwd`"
      },
      {
        file: FILE,
        line: 5,
        column: 59,
        path: 'providers[2].cwd',
        message: 'working directory `./tools` does not exist',
        hint: hint('evals/tools')
      },
      {
        file: FILE,
        line: 10,
        column: 31,
        path: 'scorers[0].path',
        message: 'scorer module `./scorers/polite.js` does not exist',
        hint: hint('evals/scorers/polite.js')
      }
    ])
  })

  it('reports an exec program that is not executable, which every call would fail to run', async () => {
    const spec = yaml(
      SUITE,
      'providers:',
      '  - { id: cli, type: exec, command: ./run.sh --fast }', // line 3, command at 37
      '  - { id: argv, type: exec, command: [./run.sh] }', // line 4, the program at 39
      '  - { id: ok, type: exec, command: [./ok.sh] }',
      PROMPT,
      ...CASES,
      ...SCORERS
    )
    const cwd = await workspace({ 'evals/s.eval.yaml': spec, 'evals/run.sh': 'echo hi\n' })
    await writeFile(join(cwd, 'evals/ok.sh'), 'echo hi\n', { mode: 0o755 })
    const problem = (line: number, column: number, path: string) => ({
      file: FILE,
      line,
      column,
      path,
      message: 'program `./run.sh` is not executable',
      hint: 'make it executable (`chmod +x ./run.sh`), or run it with its interpreter, e.g. `sh ./run.sh`'
    })
    expect((await loadError(cwd)).diagnostics).toEqual([
      problem(3, 37, 'providers[0].command'),
      problem(4, 39, 'providers[1].command[0]')
    ])
  })

  it('reports a case file that does not exist at its `file:` entry', async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      PROMPT,
      'cases:',
      '  - file: ./data/cases.jsonl',
      ...SCORERS
    )
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 6,
        column: 11,
        path: 'cases[0].file',
        message: 'case file `./data/cases.jsonl` does not exist',
        hint: hint('evals/data/cases.jsonl')
      }
    ])
  })

  it('reports an unsupported case file type', async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      PROMPT,
      'cases:',
      '  - file: ./data/cases.txt',
      ...SCORERS
    )
    expect(await specProblems(spec, { ...APP, 'evals/data/cases.txt': 'x' })).toEqual([
      {
        file: FILE,
        line: 6,
        column: 11,
        path: 'cases[0].file',
        message: 'unsupported case file type `.txt`',
        hint: 'case files are .jsonl, .csv, .yaml or .yml'
      }
    ])
  })
})

describe('case file rows', () => {
  it('reports JSONL lines that are not JSON or not objects, at the case file and line', async () => {
    const jsonl = yaml(
      '{"question": "a"}',
      '',
      '{"question": "b",}', // line 3: column 18 is the `}` after the trailing comma
      '[1, 2]',
      '{"question": "c"}',
      '{"question": "d", "meta": {"a": 1, "b": {"a": 2}}, "question": "e"}' // line 6, column 52
    )
    expect(
      await specProblems(withCaseFile('./cases.jsonl'), { ...APP, 'evals/cases.jsonl': jsonl })
    ).toEqual([
      {
        file: 'evals/cases.jsonl',
        line: 3,
        column: 18,
        path: '',
        message: 'line is not valid JSON',
        // The position is the diagnostic's: V8's own "(line 1 column 18)" would name line 1.
        hint: expect.not.stringContaining('line 1') as string
      },
      {
        file: 'evals/cases.jsonl',
        line: 4,
        path: '',
        message: 'expected a JSON object, got a list',
        hint: 'one case per line: {"id": ..., "var": ...}'
      },
      {
        file: 'evals/cases.jsonl',
        line: 6,
        column: 52,
        path: '',
        message: 'key `question` appears twice in one object',
        hint: 'JSON would keep the second value and drop the first without a word: keep one'
      }
    ])
  })

  it('reports the first 20 problems of a case file, then how many more', async () => {
    const jsonl = Array.from({ length: 1000 }, () => 'bad').join('\n')
    const problems = await specProblems(withCaseFile('./cases.jsonl'), {
      ...APP,
      'evals/cases.jsonl': jsonl
    })
    expect(problems).toHaveLength(21)
    expect(problems[19]).toMatchObject({ line: 20, message: 'line is not valid JSON' })
    expect(problems[20]).toEqual({
      file: 'evals/cases.jsonl',
      path: '',
      message: '…and 980 more problems in this file',
      hint: 'fix the ones above first: the rest are often the same mistake'
    })
    const sameRows = Array.from({ length: 100 }, () => '{"question": "why"}').join('\n')
    const duplicates = await specProblems(withCaseFile('./cases.jsonl'), {
      ...APP,
      'evals/cases.jsonl': sameRows
    })
    expect(duplicates).toHaveLength(21)
    expect(duplicates[20]).toEqual({
      file: 'evals/cases.jsonl',
      line: 22,
      path: '',
      message: '…and 79 more duplicate case ids'
    })
  })

  it('says a pretty-printed JSON array or object is not JSON Lines, once, with how to convert', async () => {
    const array = yaml('[', '  {"question": "a"},', '  {"question": "b"}', ']')
    expect(
      await specProblems(withCaseFile('./cases.jsonl'), { ...APP, 'evals/cases.jsonl': array })
    ).toEqual([
      {
        file: 'evals/cases.jsonl',
        line: 1,
        column: 1,
        path: '',
        message:
          'the file is one JSON array over several lines, not JSON Lines (one case per line)',
        hint: "write each case as a JSON object on a line of its own; `jq -c '.[]' cases.json > cases.jsonl` converts it"
      }
    ])
    const object = yaml('', '{', '  "question": "a"', '}')
    expect(
      await specProblems(withCaseFile('./cases.jsonl'), { ...APP, 'evals/cases.jsonl': object })
    ).toEqual([
      expect.objectContaining({
        line: 2,
        message:
          'the file is one JSON object over several lines, not JSON Lines (one case per line)',
        hint: "write each case as a JSON object on a line of its own; `jq -c '.' cases.json > cases.jsonl` converts it"
      })
    ])
    // Opened on its first line with the first case: still the whole file, parsed as one.
    const opened = yaml('[{"question": "a"},', ' {"question": "b"}]')
    expect(
      await specProblems(withCaseFile('./cases.jsonl'), { ...APP, 'evals/cases.jsonl': opened })
    ).toEqual([
      expect.objectContaining({ line: 1, message: expect.stringContaining('one JSON array') })
    ])
  })

  it('reports a mistake on the first line of JSON Lines where it is, not as a pretty-printed file', async () => {
    const typo = yaml('{"id": "a", "question": "b",}', '{"id": "b", "question": "c"}')
    expect(
      await specProblems(withCaseFile('./cases.jsonl'), { ...APP, 'evals/cases.jsonl': typo })
    ).toEqual([
      expect.objectContaining({
        line: 1,
        column: 29,
        message: expect.stringMatching(/^line is not valid JSON/)
      })
    ])
  })

  it('reports CSV rows with the wrong number of fields in plain words, at the extra field', async () => {
    const csv = yaml('id,question', 'q1,why', 'q2,how,extra', '', 'q3', 'q4,what')
    const columns = 'the columns are: id, question'
    expect(
      await specProblems(withCaseFile('./cases.csv'), { ...APP, 'evals/cases.csv': csv })
    ).toEqual([
      {
        file: 'evals/cases.csv',
        line: 3,
        column: 8, // `extra`
        path: '',
        message: 'row has 3 fields, the header has 2',
        hint: `quote a value that holds a comma, like "a, b"; ${columns}`
      },
      {
        file: 'evals/cases.csv',
        line: 5,
        column: 1,
        path: '',
        message: 'row has 1 field, the header has 2',
        hint: `give every column a value (an empty one is nothing between two commas); ${columns}`
      }
    ])
  })

  it('reports CSV quoting mistakes once per row, at the value and with how to quote', async () => {
    const csv = yaml(
      'id,question',
      'q1,say "hi"', // line 2: a quote inside an unquoted value, at column 4
      'q2,fine',
      'q3,"never closed', // line 4: swallows the rest of the file
      'q4,lost'
    )
    const trailing = yaml('id,question', 'q1,"hi" there') // text after the closing quote
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      PROMPT,
      'cases:',
      '  - file: ./cases.csv',
      '  - file: ./trailing.csv',
      ...SCORERS
    )
    const files = { ...APP, 'evals/cases.csv': csv, 'evals/trailing.csv': trailing }
    expect(await specProblems(spec, files)).toEqual([
      {
        file: 'evals/cases.csv',
        line: 2,
        column: 4,
        path: '',
        message: 'a quote `"` inside a value that does not start with one',
        hint: 'quote the whole value and double the quotes inside it: "say ""hi"""'
      },
      {
        file: 'evals/cases.csv',
        line: 4,
        column: 4,
        path: '',
        message: 'a quoted value is never closed',
        hint: 'add the closing `"`; write a quote inside a quoted value as `""`'
      },
      {
        file: 'evals/trailing.csv',
        line: 2,
        column: 4,
        path: '',
        message: 'text after the closing quote of a quoted value',
        hint: 'a quoted value ends at its closing `"`; write a quote inside it as `""`'
      }
    ])
  })

  it('reads on after a CSV quote mistake, so the rows after it get their own problems', async () => {
    const csv = yaml(
      'id,question',
      'e,"bad"x', // line 2: text after the closing quote, which would swallow the rest
      'f,ab"c', // line 3
      'g,ok',
      'h,"never closed', // line 5
      'i,one,two' // line 6: a field too many
    )
    const problems = await specProblems(withCaseFile('./cases.csv'), {
      ...APP,
      'evals/cases.csv': csv
    })
    expect(problems.map(({ line, column, message }) => [line, column, message])).toEqual([
      [2, 3, 'text after the closing quote of a quoted value'],
      [3, 3, 'a quote `"` inside a value that does not start with one'],
      [5, 3, 'a quoted value is never closed'],
      [6, 7, 'row has 3 fields, the header has 2']
    ])
  })

  it('reads on after the line of a CSV quote mistake in a multi-line value, and stops at one in the header', async () => {
    const problemsOf = async (...csvLines: string[]) =>
      (
        await specProblems(withCaseFile('./cases.csv'), {
          ...APP,
          'evals/cases.csv': yaml(...csvLines)
        })
      ).map(({ line, message }) => [line, message])
    // The mistake is on line 3, inside the value opened on line 2: line 3 is no row of its own.
    expect(await problemsOf('id,question', 'a,"multi', 'line"oops', 'b,ok')).toEqual([
      [2, 'text after the closing quote of a quoted value']
    ])
    // Without a header no row can be checked: the header's mistake alone, not one per row.
    expect(await problemsOf('id,"question"x', 'a,b', 'c,d')).toEqual([
      [1, 'text after the closing quote of a quoted value']
    ])
  })

  it('shows invisible characters in messages as \\uXXXX, and says a CSV column name has a space', async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      PROMPT,
      'cases:',
      '  - file: ./bad.jsonl',
      '  - file: ./spaced.jsonl',
      ...SCORERS
    )
    const cwd = await workspace({
      ...APP,
      [FILE]: spec,
      'evals/bad.jsonl': yaml('{"question": "a"}', '\uFEFF{"question": "b"}', '{"id": \u0000}'),
      'evals/spaced.jsonl': yaml('{" question": "c"}')
    })
    const lines = (await loadError(cwd)).message.split('\n')
    expect(lines).toContain(
      `  evals/bad.jsonl:2: line is not valid JSON (Unexpected token '\\ufeff', "\\ufeff{"question": "b"}" is not valid JSON)`
    )
    expect(lines).toContain(
      `  evals/bad.jsonl:3: line is not valid JSON (Unexpected token '\\u0000', "{"id": \\u0000}" is not valid JSON)`
    )
    expect(lines).toContainEqual(
      expect.stringContaining(
        `has no variable \`question\` (the case's variable " question" cannot be named in a placeholder: rename it with letters, digits, \`_\` and \`-\` only; the case's variables: " question")`
      )
    )
    const csv = await specProblems(withCaseFile('./cases.csv'), {
      ...APP,
      'evals/cases.csv': yaml('id, question', 'q1,why')
    })
    expect(csv).toEqual([
      {
        file: 'evals/cases.csv',
        line: 1,
        column: 4,
        path: '',
        message: 'column name " question" has a space before or after it',
        hint: 'a space after a comma is part of the name in CSV: write the header as `id,question`'
      }
    ])
    const noBreakIndent = yaml(
      SUITE,
      'providers:',
      '  - id: app',
      '    type: module',
      '\u00a0\u00a0\u00a0\u00a0path: ./app.js', // line 5
      PROMPT,
      ...CASES,
      ...SCORERS
    )
    expect(await specProblems(noBreakIndent, APP)).toContainEqual(
      expect.objectContaining({
        line: 5,
        hint: 'the key starts with \\u00a0, which looks like a space but is not one: indent with plain spaces'
      })
    )
  })

  it('reports a CSV header with a duplicate or an empty column name, at the column', async () => {
    const csv = yaml('question,,question', 'a,b,c')
    expect(
      await specProblems(withCaseFile('./cases.csv'), { ...APP, 'evals/cases.csv': csv })
    ).toEqual([
      {
        file: 'evals/cases.csv',
        line: 1,
        column: 10,
        path: '',
        message: 'column 2 has no name',
        hint: 'name every column in the header row (the first line)'
      },
      {
        file: 'evals/cases.csv',
        line: 1,
        column: 11,
        path: '',
        message: 'duplicate column `question`',
        hint: 'each column needs its own name: rename or remove one'
      }
    ])
  })

  it('reports an alias without an anchor, or inside what it stands for, at the alias', async () => {
    const unknown = yaml(SUITE, 'timeout: *t', ...PROVIDERS, PROMPT, ...CASES, ...SCORERS)
    expect(await specProblems(unknown, APP)).toEqual([
      {
        file: FILE,
        line: 2,
        column: 10,
        path: '',
        message: 'the alias `*t` has no anchor `&t` before it',
        hint: 'define `&name` on a value above it, or write the value itself'
      }
    ])
    const merged = yaml(
      SUITE,
      'providers:',
      '  - id: app',
      '    <<: *shared',
      '    type: module',
      '    path: ./app.js',
      PROMPT,
      ...CASES,
      ...SCORERS
    )
    expect(await specProblems(merged, APP)).toEqual([
      expect.objectContaining({
        line: 4,
        message: 'the alias `*shared` has no anchor `&shared` before it'
      })
    ])
    const recursive = yaml(
      SUITE,
      ...PROVIDERS,
      PROMPT,
      'cases:',
      '  - vars: &v { question: why, again: [*v] }',
      ...SCORERS
    )
    expect(await specProblems(recursive, APP)).toEqual([
      {
        file: FILE,
        line: 6,
        column: 39,
        path: '',
        message: 'the alias `*v` is inside the value it stands for, which would never end',
        hint: 'write the values out instead of the alias'
      }
    ])
  })

  it('reports a missing module function with another problem of the same provider, at once', async () => {
    const spec = yaml(
      SUITE,
      'providers:',
      '  - { id: app, type: module, path: ./app.js, export: nope, timeout: 0 }', // line 3
      PROMPT,
      ...CASES,
      ...SCORERS
    )
    expect((await specProblems(spec, APP)).map((p) => `${p.path}: ${p.message}`)).toEqual([
      'providers[0].timeout: must be greater than 0, got 0',
      'providers[0].export: module `./app.js` has no exported function `nope`'
    ])
  })

  it('reports an empty entry of a list for what it is, beside a valid one', async () => {
    const spec = yaml(SUITE, ...PROVIDERS, '  -', PROMPT, ...CASES, ...SCORERS)
    expect(await specProblems(spec, APP)).toEqual([
      expect.objectContaining({
        line: 4,
        path: 'providers[1]',
        message: 'expected a mapping, got null'
      })
    ])
  })

  it('reports YAML case files that are not a list of mappings', async () => {
    const cases = yaml('- question: a', '- just text')
    expect(
      await specProblems(withCaseFile('./cases.yaml'), { ...APP, 'evals/cases.yaml': cases })
    ).toEqual([
      {
        file: 'evals/cases.yaml',
        line: 2,
        column: 3,
        path: '[1]',
        message: 'expected a mapping (one case), got a string'
      }
    ])
  })

  it('reports an id that is neither a string nor a number', async () => {
    const jsonl = yaml('{"id": {"n": 1}, "question": "a"}')
    expect(
      await specProblems(withCaseFile('./cases.jsonl'), { ...APP, 'evals/cases.jsonl': jsonl })
    ).toEqual([
      {
        file: 'evals/cases.jsonl',
        line: 1,
        path: 'id',
        message: '`id` must be a string or a number, got an object',
        hint: '`id` is reserved'
      }
    ])
  })
})

describe('duplicate names', () => {
  it('reports duplicate case ids, naming both locations', async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      PROMPT,
      'cases:',
      '  - file: ./cases.jsonl',
      '  - id: q-1', // line 7
      '    vars: { question: again }',
      ...SCORERS
    )
    const jsonl = yaml('{"id": "q-1", "question": "first"}')
    expect(await specProblems(spec, { ...APP, 'evals/cases.jsonl': jsonl })).toEqual([
      {
        file: FILE,
        line: 7,
        column: 5,
        path: 'cases[1]',
        message: 'duplicate case id `q-1`, first at evals/cases.jsonl:1',
        hint: 'case ids must be unique within a suite'
      }
    ])
  })

  it('reports identical rows without ids as the same derived id, suggesting an id', async () => {
    const jsonl = yaml('{"question": "same"}', '{"question": "other"}', '{"question": "same"}')
    const spec = yaml(SUITE, ...PROVIDERS, PROMPT, 'cases:', '  - file: ./cases.jsonl', ...SCORERS)
    expect(await specProblems(spec, { ...APP, 'evals/cases.jsonl': jsonl })).toEqual([
      {
        file: 'evals/cases.jsonl',
        line: 3,
        path: '',
        message: `duplicate case id \`${sha12('{"question":"same"}')}\`, first at evals/cases.jsonl:1`,
        hint: 'cases without an `id` get one derived from their variables, so identical rows collide; give one an `id`'
      }
    ])
  })

  it('says rows without ids collide when their numbers are equal but written otherwise', async () => {
    const jsonl = yaml('{"question": "q", "price": 9.90}', '{"question": "q", "price": 9.9}')
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      PROMPT,
      'cases:',
      '  - file: ./cases.jsonl',
      '  - vars: { question: q, zip: 02139 }', // line 7
      '  - vars: { question: q, zip: 2139 }', // line 8
      ...SCORERS
    )
    // The ids as ever: derived from the values, so baselines keep pairing.
    const price = sha12('{"price":9.9,"question":"q"}')
    const zip = sha12('{"question":"q","zip":2139}')
    const hint =
      "cases without an `id` get one derived from their variables' values, and a number is its value however written (`9.90` is `9.9`, `02139` is `2139`), so these rows collide; give one an `id`"
    expect(await specProblems(spec, { ...APP, 'evals/cases.jsonl': jsonl })).toEqual([
      {
        file: 'evals/cases.jsonl',
        line: 2,
        path: '',
        message: `duplicate case id \`${price}\`, first at evals/cases.jsonl:1`,
        hint
      },
      expect.objectContaining({
        line: 8,
        path: 'cases[2]',
        message: `duplicate case id \`${zip}\`, first at ${FILE}:7`,
        hint
      })
    ])
  })

  it('reports duplicate provider ids and scorer names', async () => {
    const spec = yaml(
      SUITE,
      'providers:',
      '  - { id: app, type: module, path: ./app.js }',
      '  - { id: app, type: module, path: ./app.js }', // line 4, the id at column 11
      PROMPT,
      ...CASES,
      'scorers:',
      '  - type: json-valid', // line 9: named `json-valid` by default
      '  - { type: json-valid, name: json-valid }' // line 10, the name at column 31
    )
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 4,
        column: 11,
        path: 'providers[1].id',
        message: 'duplicate provider id `app`',
        hint: 'first used at line 3; provider ids must be unique within a spec'
      },
      {
        file: FILE,
        line: 10,
        column: 31,
        path: 'scorers[1].name',
        message: 'duplicate scorer name `json-valid`',
        hint: 'first used at line 9; give each scorer a distinct `name`'
      }
    ])
  })

  it('reports the same suite name in two files, naming both', async () => {
    const spec = yaml('suite: triage', ...PROVIDERS, PROMPT, ...CASES, ...SCORERS)
    const cwd = await workspace({ ...APP, 'evals/a.eval.yaml': spec, 'evals/b.eval.yaml': spec })
    expect((await loadError(cwd)).diagnostics).toEqual([
      {
        file: 'evals/b.eval.yaml',
        line: 1,
        column: 8,
        path: 'suite',
        message: 'duplicate suite name `triage`, also in evals/a.eval.yaml:1',
        hint: 'suite names must be unique across all spec files'
      }
    ])
  })
})

describe('scorer configuration', () => {
  it('compiles regexes and JSON Schemas at load', async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      PROMPT,
      ...CASES,
      'scorers:',
      '  - { type: regex, pattern: "(unclosed" }', // line 8, the pattern at column 29
      '  - type: json-schema',
      '    schema: { type: objekt }', // line 10, `objekt` at column 21
      '  - { type: regex, name: r2, pattern: "^a$", flags: q }', // line 11, flags at column 53
      "  - { type: regex, name: r3, pattern: '^answer {{question}}$' }" // line 12, at column 39
    )
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 8,
        column: 29,
        path: 'scorers[0].pattern',
        message: 'Invalid regular expression: /(unclosed/: Unterminated group',
        hint: expect.stringContaining('RegExp')
      },
      {
        file: FILE,
        line: 10,
        column: 21,
        path: 'scorers[1].schema.type',
        message: 'invalid JSON Schema: "objekt" is not one of its values',
        hint: 'did you mean `object`?'
      },
      {
        file: FILE,
        line: 11,
        column: 53,
        path: 'scorers[2].flags',
        message: 'invalid regular expression flags `q`',
        hint: 'flags are letters of d, g, i, m, s, u, v and y, each at most once (not u with v)'
      },
      {
        file: FILE,
        line: 12,
        column: 39,
        path: 'scorers[3].pattern',
        message: '`{{question}}` would be matched as written: a pattern is not a template',
        hint: "to check for a case's value, use `contains` or `equals` with `{{question}}`"
      }
    ])
  })
})

describe('template variables', () => {
  it('reports each case missing a variable at the template, naming the case and its line', async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      'prompt: "Q: {{question}} from {{customer.name}}"', // line 4, `{{customer` at column 31
      'cases:',
      '  - id: c-1', // line 6
      '    vars: { question: why, customer: { name: Ada } }',
      '  - file: ./more.jsonl',
      'scorers:',
      '  - type: equals',
      '    expected: "{{answr}}"' // line 11, `{{answr}}` at column 16
    )
    const jsonl = yaml('{"id": "c-2", "question": "how", "answer": "so"}')
    expect(await specProblems(spec, { ...APP, 'evals/more.jsonl': jsonl })).toEqual([
      {
        file: FILE,
        line: 11,
        column: 16,
        path: 'scorers[0].expected',
        message: 'case `c-1` (evals/s.eval.yaml:6) has no variable `answr`',
        hint: "the case's variables: question, customer"
      },
      {
        file: FILE,
        line: 4,
        column: 31,
        path: 'prompt',
        message: 'case `c-2` (evals/more.jsonl:1) has no variable `customer.name`',
        hint: "the case's variables: question, answer"
      },
      {
        file: FILE,
        line: 11,
        column: 16,
        path: 'scorers[0].expected',
        message: 'case `c-2` (evals/more.jsonl:1) has no variable `answr`',
        hint: "did you mean `answer`? the case's variables: question, answer"
      }
    ])
  })

  it('points inside a multi-line prompt at the line and column of the placeholder', async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      'prompt: |', // line 4
      '  Route this ticket.',
      '',
      '  Ticket: {{ticket}', // line 7, `{{ticket}` at column 11
      '  From: {{usr}}', // line 8, `{{usr}}` at column 9
      ...CASES,
      ...SCORERS
    )
    expect(
      (await specProblems(spec, APP)).map((p) => `${p.line}:${p.column} ${p.message}`)
    ).toEqual([
      '7:11 placeholder `{{ticket}` is not closed by `}}`',
      '8:9 case `' + sha12('{"question":"why"}') + '` (evals/s.eval.yaml:10) has no variable `usr`'
    ])
  })

  it('reports a case whose numeric expected value is not a number, before any model is called', async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      PROMPT,
      'cases:',
      '  - { id: ok, vars: { question: a, r: "2.5" } }',
      '  - { id: bad, vars: { question: b, r: abc } }', // line 7
      'scorers:',
      "  - { type: numeric, expected: '{{r}}' }" // line 9
    )
    expect(await specProblems(spec, APP)).toEqual([
      expect.objectContaining({
        line: 9,
        path: 'scorers[0].expected',
        message: 'case `bad` (evals/s.eval.yaml:7) gives `expected` "abc", not a number',
        hint: 'numeric compares with a plain decimal number, such as 42, -0.5 or 1e-3'
      })
    ])
  })

  it('reports a case whose contains, icontains or starts-with value renders empty, before any model is called', async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      PROMPT,
      'cases:',
      '  - { id: ok, vars: { question: a, v: x } }',
      '  - { id: blank, vars: { question: b, v: "" } }', // line 7
      'scorers:',
      "  - { type: contains, value: '{{v}}' }", // line 9
      "  - { type: icontains, value: 'x{{v}}' }",
      "  - { type: starts-with, value: '{{v}}' }" // line 11
    )
    const problem = (line: number, index: number) => ({
      file: FILE,
      line,
      column: 30 + (index === 2 ? 3 : 0),
      path: `scorers[${index}].value`,
      message: 'case `blank` (evals/s.eval.yaml:7) gives `value` an empty text',
      hint: 'an empty value would match every output: give the case the text to look for'
    })
    expect(await specProblems(spec, APP)).toEqual([problem(9, 0), problem(11, 2)])
  })

  it('counts a block with an indentation indicator from its indicator, not its first line', async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      'prompt: |2', // line 4: the text is indented 2
      '     Five spaces, three of them text.',
      '  Then {{usr}} here.', // line 6, `{{usr}}` at column 8
      ...CASES,
      ...SCORERS
    )
    expect((await specProblems(spec, APP)).map((p) => `${p.line}:${p.column}`)).toEqual(['6:8'])
  })

  it('names a quoted duplicate key whole, colon and all', async () => {
    const spec = yaml(SUITE, '"x:y": 1', '"x:y": 2', ...PROVIDERS, PROMPT, ...CASES, ...SCORERS)
    expect((await specProblems(spec, APP)).map((p) => p.message)).toEqual(['duplicate key `"x:y"`'])
  })

  it('reports at most 20 missing variables per suite, then how many more', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `c${i}`, other: i }))
    const spec = yaml(SUITE, ...PROVIDERS, PROMPT, 'cases:', '  - file: ./many.jsonl', ...SCORERS)
    const problems = await specProblems(spec, { ...APP, 'evals/many.jsonl': yaml(...rows) })
    expect(problems).toHaveLength(21)
    expect(problems[19]).toEqual({
      file: FILE,
      line: 4,
      column: 13,
      path: 'prompt',
      message: 'case `c19` (evals/many.jsonl:20) has no variable `question`',
      hint: "the case's variables: other"
    })
    expect(problems[20]).toEqual({
      file: FILE,
      path: '',
      message: '…and 10 more missing template variables'
    })
  })

  it('checks http body templates, where `prompt` is provided by the provider', async () => {
    const spec = yaml(
      SUITE,
      'providers:',
      '  - id: web',
      '    type: http',
      '    url: http://127.0.0.1:1/',
      '    body: { input: "{{prompt}}", lang: "{{language}}" }', // line 6, `{{language}}` at column 41
      '    output: text',
      PROMPT,
      ...CASES, // the case is on line 10
      ...SCORERS
    )
    expect(await specProblems(spec)).toEqual([
      {
        file: FILE,
        line: 6,
        column: 41,
        path: 'providers[0].body.lang',
        message: `case \`${sha12('{"question":"why"}')}\` (evals/s.eval.yaml:10) has no variable \`language\``,
        hint: "the case's variables: question"
      }
    ])
  })
})

describe('template placeholders', () => {
  const PLACEHOLDER_HINT =
    'write `{{name}}` or `{{name.field}}`: a variable name of letters, digits, `_` and `-`, between `{{` and `}}`'

  it('suggests a variable in any script, and says when the one meant cannot be named', async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      "prompt: 'Q: {{city}} {{zip_code}}'", // line 4, `{{city}}` at column 13
      'cases:',
      '  - { id: c1, vars: { città: Roma, zip code: "00100" } }',
      ...SCORERS
    )
    expect(
      (await specProblems(spec, APP)).map(({ column, message, hint }) => ({
        column,
        message,
        hint
      }))
    ).toEqual([
      {
        column: 13,
        message: 'case `c1` (evals/s.eval.yaml:6) has no variable `city`',
        hint: 'did you mean `città`? the case\'s variables: città, "zip code"'
      },
      {
        column: 22,
        message: 'case `c1` (evals/s.eval.yaml:6) has no variable `zip_code`',
        hint: 'the case\'s variable "zip code" cannot be named in a placeholder: rename it with letters, digits, `_` and `-` only; the case\'s variables: città, "zip code"'
      }
    ])
  })

  it('takes a name written decomposed (NFD) and one written composed (NFC) as one name', async () => {
    const composed = 'città'
    const decomposed = composed.normalize('NFD')
    // The placeholders decomposed, as a macOS editor may save them; the cases' keys composed.
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      `prompt: 'Q: {{${decomposed}}} {{${decomposed}.nome}} {{${decomposed}.abitanti}}'`,
      'cases:',
      `  - { id: c1, vars: { ${composed}: { nome: Roma } } }`,
      ...SCORERS
    )
    expect(
      (await specProblems(spec, APP)).map(({ column, message, hint }) => ({
        column,
        message,
        hint
      }))
    ).toEqual([
      {
        column: 40,
        message: `case \`c1\` (evals/s.eval.yaml:6) has no variable \`${decomposed}.abitanti\``,
        // No "did you mean `città`?" for the name written alike.
        hint: `the case's variables: ${composed}`
      }
    ])
  })

  it('reports each broken {{…}} once, at its template; well-formed and dotted ones are fine', async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      "prompt: 'x {{ a }} {{b} {{ c.d }} {{}} {{a b}}'", // line 4: `{{b}` at column 20, `{{}}` at 35, `{{a b}}` at 40
      'cases:',
      '  - vars: { a: 1, c: { d: 2 } }',
      '  - vars: { a: 3, c: { d: 4 } }',
      'scorers:',
      "  - { type: contains, value: '{{a' }", // line 9, `{{a` at column 31
      '  - { type: equals, expected: \'{{{a}}} {{"json": 1}}\' }' // neither is a placeholder try
    )
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 4,
        column: 20,
        path: 'prompt',
        message: 'placeholder `{{b}` is not closed by `}}`',
        hint: PLACEHOLDER_HINT
      },
      {
        file: FILE,
        line: 4,
        column: 35,
        path: 'prompt',
        message: 'empty placeholder `{{}}`',
        hint: PLACEHOLDER_HINT
      },
      {
        file: FILE,
        line: 4,
        column: 40,
        path: 'prompt',
        message: 'placeholder `{{a b}}` is not a variable name',
        hint: PLACEHOLDER_HINT
      },
      {
        file: FILE,
        line: 9,
        column: 31,
        path: 'scorers[0].value',
        message: 'placeholder `{{a` is not closed by `}}`',
        hint: PLACEHOLDER_HINT
      }
    ])
  })

  it('says a variable set to null is null, and how to give it a value', async () => {
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      "prompt: 'x {{obj}} {{n}} {{customer.name}}'", // line 4: `{{obj}}` at column 12, `{{n}}` at 20, `{{customer.name}}` at 26
      'cases:',
      '  - id: c-1', // line 6
      '    vars: { obj: { a: 1 }, n: null, customer: ~ }',
      ...SCORERS
    )
    const hint = (name: string) =>
      `give \`${name}\` a value in the case, or \`""\` for empty text; \`null\`, \`~\` and a key with nothing after it are null`
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 4,
        column: 20,
        path: 'prompt',
        message: 'case `c-1` (evals/s.eval.yaml:6) has variable `n` set to null',
        hint: hint('n')
      },
      {
        file: FILE,
        line: 4,
        column: 26,
        path: 'prompt',
        message:
          'case `c-1` (evals/s.eval.yaml:6) has variable `customer` set to null, so `{{customer.name}}` has no value',
        hint: hint('customer')
      }
    ])
  })
})

describe('YAML that does not read as written', () => {
  const TAG_HINT =
    'evalgate reads no YAML tags, so no includes or environment lookups: write the value itself'

  it('refuses an unknown tag at the tag, in a spec and in a case file', async () => {
    const spec = yaml(SUITE, ...PROVIDERS, 'prompt: !include prompt.txt', ...CASES, ...SCORERS)
    expect(await specProblems(spec, { ...APP, 'evals/prompt.txt': 'Q: {{question}}' })).toEqual([
      {
        file: FILE,
        line: 4,
        column: 9,
        path: '',
        message: 'unknown YAML tag `!include`',
        hint: TAG_HINT
      }
    ])
    expect(
      await specProblems(withCaseFile('./c.yaml'), {
        ...APP,
        'evals/c.yaml': yaml('- question: !env HOME')
      })
    ).toEqual([
      {
        file: 'evals/c.yaml',
        line: 1,
        column: 13,
        path: '',
        message: 'unknown YAML tag `!env`',
        hint: TAG_HINT
      }
    ])
  })

  it('reads the tags of JSON types, and refuses those of other types and a JSON tag its value does not fit', async () => {
    const cases = yaml(
      '- question: !!str 5', // line 1: read, as the text 5
      '  n: !!binary aGVsbG8=', // line 2: would be bytes
      '- question: !!timestamp 2001-12-14', // line 3: would be a date
      '  n: !!float 1' // line 4: yaml cannot read 1 as a float
    )
    const problems = await specProblems(withCaseFile('./c.yaml'), { ...APP, 'evals/c.yaml': cases })
    expect(problems.map(({ line, message }) => [line, message])).toEqual([
      [4, 'YAML tag `!!float` does not fit its value'],
      [2, 'YAML tag `!!binary` is not read'],
      [3, 'YAML tag `!!timestamp` is not read']
    ])
  })

  it('says to quote an unquoted {{var}}, which YAML reads as a mapping, wherever it is', async () => {
    const warn = jest.spyOn(process, 'emitWarning')
    const spec = yaml(
      SUITE,
      ...PROVIDERS,
      PROMPT,
      'cases:',
      '  - vars: { question: {{name}} }', // line 6, column 23
      '  - file: ./c.yaml',
      'scorers:',
      '  - { type: contains, value: {{question}} }' // line 9, column 30
    )
    const caseFile = yaml('- question: {{name}}', '- question: [{{name}}]')
    expect(await specProblems(spec, { ...APP, 'evals/c.yaml': caseFile })).toEqual([
      {
        file: FILE,
        line: 6,
        column: 23,
        path: '',
        message: '`{{name}}` unquoted is a YAML mapping, not text',
        hint: "quote it: '{{name}}'"
      },
      {
        file: FILE,
        line: 9,
        column: 30,
        path: '',
        message: '`{{question}}` unquoted is a YAML mapping, not text',
        hint: "quote it: '{{question}}'"
      }
    ])
    expect(
      await specProblems(withCaseFile('./c.yaml'), { ...APP, 'evals/c.yaml': caseFile })
    ).toEqual([
      expect.objectContaining({ file: 'evals/c.yaml', line: 1, column: 13 }),
      expect.objectContaining({ file: 'evals/c.yaml', line: 2, column: 14 })
    ])
    // yaml would stringify the mapping key with a Node warning of its own.
    expect(warn).not.toHaveBeenCalled()
    warn.mockRestore()
  })

  it('reports a mapping used as a key, and a merge of something else than a mapping, at the key', async () => {
    const spec = yaml(
      SUITE,
      'providers:',
      '  - id: app',
      '    <<: 1', // line 4
      '    type: module',
      '    path: ./app.js',
      PROMPT,
      'cases:',
      '  - vars: { question: why, ? [a]: b }' // line 9, column 30
    )
    expect(await specProblems(spec, APP)).toEqual([
      {
        file: FILE,
        line: 4,
        column: 5,
        path: '',
        message: '`<<` merges a mapping into this one, but its value is not a mapping',
        hint: 'write `<<: *name` with `&name` on a mapping above, or a list of such aliases'
      },
      {
        file: FILE,
        line: 9,
        column: 30,
        path: '',
        message: 'a mapping or list used as a key',
        hint: "a key is text: quote it, e.g. `'{a: 1}': value`"
      }
    ])
  })
})

describe('YAML merge keys', () => {
  const spec = (exportName: string) =>
    yaml(
      SUITE,
      'providers:',
      '  - &app',
      '    id: a',
      '    type: module',
      '    path: ./app.js',
      `    export: ${exportName}`, // line 7, the value at column 13
      '  - <<: *app',
      '    id: b',
      PROMPT,
      ...CASES,
      ...SCORERS
    )

  it("takes the fields of `<<: *anchor`, the entry's own keys first", async () => {
    const cwd = await workspace({ [FILE]: spec('default'), ...APP })
    const [suite] = await loadSpecs([], { cwd, env: {} })
    expect(suite?.providers).toMatchObject([
      { id: 'a', type: 'module', export: 'default' },
      { id: 'b', type: 'module', export: 'default' }
    ])
  })

  it('reports a problem of a merged field where the field is written', async () => {
    const problems = await specProblems(spec('answr'), APP)
    expect(problems.map(({ line, column, path }) => ({ line, column, path }))).toEqual([
      { line: 7, column: 13, path: 'providers[0].export' },
      { line: 7, column: 13, path: 'providers[1].export' }
    ])
  })
})

describe('several problems at once', () => {
  it('reports every problem of every file in one InputError', async () => {
    const error = await loadError(FIXTURES, ['two-broken'])
    expect(error).toBeInstanceOf(InputError)
    expect(error.exitCode).toBe(2)
    const a = 'two-broken/a.eval.yaml'
    const b = 'two-broken/b.eval.yaml'
    const where = (d: { file: string; line?: number; column?: number }) =>
      [d.file, d.line, d.column].filter((part) => part !== undefined).join(':')
    expect(error.diagnostics.map((d) => [where(d), d.path, d.message])).toEqual([
      [`${a}:12:10`, 'repeats', 'must be at least 1, got 0'],
      [`${a}:5:11`, 'providers[0].path', 'module `./missing.js` does not exist'],
      [
        `${a}:11:16`,
        'scorers[0].expected',
        `case \`${sha12('{"name":"Ada"}')}\` (${a}:8) has no variable \`greeting\``
      ],
      [`${b}:4:11`, 'providers[0].type', 'unknown provider type `htp`'],
      [`${b}:9:1`, 'scorer', 'unknown key `scorer`'],
      ['two-broken/cases.csv:3:9', '', 'row has 3 fields, the header has 2'],
      [`${b}:1:8`, 'suite', 'duplicate suite name `shared-name`, also in two-broken/a.eval.yaml:1']
    ])
    expect(error.message.split('\n')[0]).toBe('7 problems in eval specs:')
    expect(error.message).toContain(
      `  ${b}:9:1: scorer: unknown key \`scorer\` (did you mean \`scorers\`?)`
    )
  })

  it('fails with a clear error when no spec file is found', async () => {
    const cwd = await workspace({ 'evals/readme.md': '# not a spec\n' })
    await expect(loadSpecs([], { cwd, env: {} })).rejects.toThrow(InputError)
    expect((await loadError(cwd)).diagnostics).toEqual([
      {
        file: 'evals',
        path: '',
        message: 'no eval spec files found in `evals`',
        hint: 'spec files are named `*.eval.yaml` or `*.eval.yml`; pass spec files or directories'
      }
    ])
  })
})
