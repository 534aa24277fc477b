import { createHash } from 'node:crypto'
import { chmod } from 'node:fs/promises'
import { join } from 'node:path'
import { createProvider } from '../../src/providers/index.js'
import { renderTemplate } from '../../src/spec/template.js'
import { secretForms } from '../../src/spec/providers.js'
import { loadSpecs, type SuiteSpec } from '../../src/spec/index.js'
import { FIXTURES, removeWorkspaces, sha12, workspace } from './helpers.js'

const GOOD = join(FIXTURES, 'good')
const ENV = { CLI_TOKEN: 'cli-token-value', API_KEY: 'api-key-value' }

async function loadGood(): Promise<SuiteSpec> {
  const specs = await loadSpecs(['good'], { cwd: FIXTURES, env: ENV })
  expect(specs).toHaveLength(1)
  return specs[0] as SuiteSpec
}

describe('loadSpecs on a valid spec', () => {
  it('resolves the suite-level fields, applying units and keeping the gate as written', async () => {
    const suite = await loadGood()
    expect(suite.file).toBe('good/triage.eval.yaml')
    expect(suite.suite).toBe('ticket-triage')
    expect(suite.description).toBe('Routes support tickets')
    expect(suite.repeats).toBe(3)
    expect(suite.timeoutMs).toBe(120_000)
    expect(suite.minPassRate).toBe(0.9)
    expect(suite.gate).toEqual({
      score: { noise: 0.02, 'max-drop': 0.05 },
      'latency-p50': { 'max-ratio': 1.2 },
      'error-rate': { max: 0.02 }
    })
    expect(suite.source).toEqual({ file: 'good/triage.eval.yaml', line: 2, column: 8 })
    expect(suite.prompt).toEqual([
      { role: 'system', content: 'You route support tickets to billing, bug or account.' },
      { role: 'user', content: 'Route this ticket: {{ticket}}' }
    ])
  })

  it('resolves each provider type with absolute paths, defaults and expanded variables', async () => {
    const [app, cli, stub] = (await loadGood()).providers
    expect(app).toEqual({
      id: 'app',
      type: 'module',
      label: 'Triage app',
      path: join(GOOD, 'app/triage.js'),
      export: 'route',
      timeoutMs: 30_000,
      concurrency: 4,
      configFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      answerConfigFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      source: { file: 'good/triage.eval.yaml', line: 5, column: 5 },
      // Relative to the repository's root, whichever directory the run starts in.
      specDirectory: '__tests__/fixtures/specs/good'
    })
    expect(cli).toEqual({
      id: 'cli',
      type: 'exec',
      command: ['/bin/sh', '-c', 'node ./app/cli.js'],
      cwd: join(GOOD, 'app'),
      env: { MODE: 'fast', RETRIES: '2', TOKEN: 'cli-token-value' },
      // Written back as `${CLI_TOKEN}` wherever a call's text is recorded.
      secrets: secretForms('CLI_TOKEN', 'cli-token-value'),
      configFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      answerConfigFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      source: { file: 'good/triage.eval.yaml', line: 12, column: 5 },
      specDirectory: '__tests__/fixtures/specs/good'
    })
    expect(stub).toEqual({
      id: 'stub',
      type: 'http',
      url: 'http://127.0.0.1:8080/v1/answer',
      method: 'POST',
      headers: { Authorization: 'Bearer api-key-value' },
      body: { input: '{{prompt}}', ticket: '{{ticket}}' },
      outputPath: 'answer.text',
      timeoutMs: 1500,
      secrets: secretForms('API_KEY', 'api-key-value'),
      configFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      answerConfigFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      source: { file: 'good/triage.eval.yaml', line: 17, column: 5 }
    })
  })

  it('fingerprints each provider from its config as written, before ${VAR} expansion', async () => {
    const [, cli] = (await loadGood()).providers
    const asWritten = JSON.stringify({
      command: 'node ./app/cli.js',
      cwd: './app',
      env: { MODE: 'fast', RETRIES: 2, TOKEN: '${CLI_TOKEN}' },
      id: 'cli',
      type: 'exec'
    })
    expect(cli?.configFingerprint).toBe(createHash('sha256').update(asWritten).digest('hex'))
  })

  it('names scorers by type, numbering repeats, and resolves their defaults', async () => {
    const scorers = (await loadGood()).scorers
    expect(scorers.map((s) => s.name)).toEqual([
      'queue-match',
      'contains',
      'contains-2',
      'regex',
      'json-valid',
      'json-schema',
      'numeric',
      'similarity',
      'javascript'
    ])
    const source = (line: number) => ({ file: 'good/triage.eval.yaml', line, column: 5 })
    expect(scorers[0]).toEqual({
      type: 'equals',
      name: 'queue-match',
      weight: 2,
      expected: '{{queue}}',
      ignoreCase: false,
      trim: true,
      source: source(37)
    })
    expect(scorers[3]).toEqual({
      type: 'regex',
      name: 'regex',
      weight: 1,
      pattern: '^(billing|bug|account)$',
      flags: 'i',
      source: source(45)
    })
    expect(scorers[6]).toEqual({
      type: 'numeric',
      name: 'numeric',
      weight: 1,
      expected: '42',
      tolerance: 0.5,
      source: source(51)
    })
    expect(scorers[7]).toMatchObject({ type: 'similarity', threshold: 0.8 })
    expect(scorers[8]).toEqual({
      type: 'javascript',
      name: 'javascript',
      weight: 1,
      path: join(GOOD, 'scorers/polite.js'),
      export: 'default',
      source: source(56)
    })
  })

  it('loads JSONL, CSV, YAML and inline cases in order, each with its id and source line', async () => {
    const cases = (await loadGood()).cases
    expect(cases).toEqual([
      {
        id: 't-1',
        vars: { ticket: 'My card was charged twice', queue: 'billing' },
        source: { file: 'good/data/triage.jsonl', line: 1 }
      },
      {
        id: sha12('{"queue":"bug","ticket":"The app crashes on login"}'),
        cluster: 'customer-9',
        vars: { ticket: 'The app crashes on login', queue: 'bug' },
        source: { file: 'good/data/triage.jsonl', line: 3 }
      },
      {
        id: '7',
        vars: { ticket: 'Change my email', queue: 'account' },
        source: { file: 'good/data/triage.jsonl', line: 4 }
      },
      {
        id: 'c-1',
        vars: { ticket: 'Refund please, now', queue: 'billing' },
        source: { file: 'good/data/triage.csv', line: 2 }
      },
      {
        // An empty id cell means "no id"; the quoted field spans lines 3-4, the case starts at 3.
        id: sha12('{"queue":"account","ticket":"Password reset\\nis broken"}'),
        vars: { ticket: 'Password reset\nis broken', queue: 'account' },
        source: { file: 'good/data/triage.csv', line: 3 }
      },
      {
        id: 'y-1',
        vars: { ticket: 'Where is my invoice?', queue: 'billing' },
        source: { file: 'good/data/triage.yaml', line: 1, column: 3 }
      },
      {
        id: sha12(
          '{"meta":{"priority":2,"tags":["ui"]},"queue":"bug","ticket":"Button does nothing"}'
        ),
        vars: { ticket: 'Button does nothing', queue: 'bug', meta: { priority: 2, tags: ['ui'] } },
        source: { file: 'good/data/triage.yaml', line: 4, column: 3 }
      },
      {
        id: 'refund-1',
        cluster: 'customer-7',
        vars: { ticket: 'I want a refund', queue: 'billing' },
        source: { file: 'good/triage.eval.yaml', line: 33, column: 5 }
      }
    ])
  })

  it('takes a number in a text field as written: `expected: 1.10` is "1.10", not "1.1"', async () => {
    const cwd = await workspace({
      'n.eval.yaml': [
        'suite: numbers',
        'providers: [{ id: p, type: exec, command: cat }]',
        "prompt: 'x'",
        'cases: [{ id: a, vars: {} }]',
        'scorers:',
        '  - { type: equals, expected: 1.10 }',
        '  - { type: contains, value: 007 }',
        "  - { type: numeric, expected: '2.50' }",
        '  - { type: similarity, expected: 1e3 }'
      ].join('\n')
    })
    try {
      const [suite] = await loadSpecs(['n.eval.yaml'], { cwd, env: {} })
      expect(
        suite?.scorers.map((s) => ('expected' in s ? s.expected : 'value' in s ? s.value : ''))
      ).toEqual(['1.10', '007', '2.50', '1e3'])
    } finally {
      await removeWorkspaces()
    }
  })

  it('takes durations in hours, as in milliseconds, seconds and minutes', async () => {
    const cwd = await workspace({
      'h.eval.yaml': [
        'suite: hours',
        'timeout: 1h',
        'providers: [{ id: p, type: exec, command: cat, retry: { max-delay: 0.5h } }]',
        "prompt: 'x'",
        'cases: [{ id: a, vars: {} }]',
        'scorers: [{ type: json-valid }]'
      ].join('\n')
    })
    const [suite] = await loadSpecs(['h.eval.yaml'], { cwd, env: {} })
    expect(suite?.timeoutMs).toBe(3_600_000)
    expect(suite?.providers[0]?.retry?.maxDelayMs).toBe(1_800_000)
  })

  it('takes a boolean as written too: `True` is "True", in a scorer and in a case', async () => {
    const cwd = await workspace({
      'b.eval.yaml': [
        'suite: booleans',
        'providers: [{ id: p, type: exec, command: cat }]',
        "prompt: 'x'",
        'cases: [{ id: a, vars: { flag: True, other: false } }]',
        'scorers:',
        '  - { type: contains, value: True }'
      ].join('\n')
    })
    try {
      const [suite] = await loadSpecs(['b.eval.yaml'], { cwd, env: {} })
      expect(suite?.scorers.map((s) => ('value' in s ? s.value : ''))).toEqual(['True'])
      const vars = suite?.cases[0]?.vars ?? {}
      expect(renderTemplate('{{flag}} {{other}}', vars)).toBe('True false')
    } finally {
      await removeWorkspaces()
    }
  })

  it('fills placeholders naming variables in any script, from inline cases and CSV columns', async () => {
    const cwd = await workspace({
      'u.eval.yaml': [
        'suite: unicode-names',
        'providers: [{ id: p, type: exec, command: cat }]',
        "prompt: 'Weather in {{città}} for {{ 名前 }}'",
        'cases:',
        '  - { id: a, vars: { città: Roma, 名前: Yuki, país: { nombre: Italia } } }',
        '  - file: ./cases.csv',
        'scorers:',
        "  - { type: contains, value: '{{città}}' }"
      ].join('\n'),
      'cases.csv': 'id,città,名前\nb,Milano,Aiko\n'
    })
    try {
      const [suite] = await loadSpecs(['u.eval.yaml'], { cwd, env: {} })
      const prompt = typeof suite?.prompt === 'string' ? suite.prompt : ''
      expect(renderTemplate(prompt, suite?.cases[0]?.vars ?? {})).toBe('Weather in Roma for Yuki')
      expect(renderTemplate('{{ país.nombre }}', suite?.cases[0]?.vars ?? {})).toBe('Italia')
      expect(renderTemplate(prompt, suite?.cases[1]?.vars ?? {})).toBe('Weather in Milano for Aiko')
    } finally {
      await removeWorkspaces()
    }
  })

  it('fills a placeholder written decomposed (NFD) from a key written composed (NFC), and the reverse, passing values and ids as written', async () => {
    const composed = 'città'
    const decomposed = composed.normalize('NFD')
    const value = 'Milano è'.normalize('NFD')
    const quantity = 'quantità'.normalize('NFD')
    const cwd = await workspace({
      'u.eval.yaml': [
        'suite: unicode-forms',
        'providers: [{ id: p, type: exec, command: cat }]',
        `prompt: 'Weather in {{${decomposed}}}, {{ ${quantity} }}'`,
        'cases:',
        `  - { vars: { ${composed}: Roma, quantità: 02139 } }`,
        '  - file: ./cases.csv',
        'scorers:',
        `  - { type: contains, value: '{{${composed}}}' }`
      ].join('\n'),
      'cases.csv': `${decomposed},quantità\n${value},7\n`
    })
    try {
      const [suite] = await loadSpecs(['u.eval.yaml'], { cwd, env: {} })
      const prompt = typeof suite?.prompt === 'string' ? suite.prompt : ''
      const [inline, fromCsv] = suite?.cases ?? []
      expect(renderTemplate(prompt, inline?.vars ?? {})).toBe('Weather in Roma, 02139')
      expect(renderTemplate(`{{${composed}}}`, fromCsv?.vars ?? {})).toBe(value)
      expect(renderTemplate(prompt, fromCsv?.vars ?? {})).toBe(`Weather in ${value}, 7`)
      // Ids are derived from the keys and values as written, as before.
      expect(inline?.id).toBe(sha12(`{"${composed}":"Roma","quantità":2139}`))
      expect(fromCsv?.id).toBe(sha12(`{"${decomposed}":"${value}","quantità":"7"}`))
    } finally {
      await removeWorkspaces()
    }
  })

  it('gives the same suite on every load', async () => {
    expect(await loadGood()).toEqual(await loadGood())
  })
})

describe('an exec command written as one string', () => {
  afterAll(removeWorkspaces)

  /** The spec of one exec provider running `command`, as written in YAML. */
  const execSuite = (command: string) =>
    [
      'suite: s',
      `providers: [{ id: cli, type: exec, command: ${command} }]`,
      "prompt: '{{q}}'",
      'cases: [{ id: a, vars: { q: x } }]',
      'scorers: [{ type: contains, value: x }]'
    ].join('\n')

  it('runs through cmd.exe on Windows, which has no /bin/sh, as Node’s `shell: true` does', async () => {
    const cwd = await workspace({ 's.eval.yaml': execSuite(`'node app.js --name "a b"'`) })
    const windows = {
      platform: 'win32' as const,
      env: { ComSpec: 'C:\\Windows\\system32\\cmd.exe' }
    }
    const [onWindows] = await loadSpecs(['.'], { cwd, env: {}, system: windows })
    expect(onWindows?.providers[0]).toMatchObject({
      command: ['C:\\Windows\\system32\\cmd.exe', '/d', '/s', '/c', '"node app.js --name "a b""'],
      verbatimArguments: true
    })
    const [noComSpec] = await loadSpecs(['.'], { cwd, env: {}, system: { ...windows, env: {} } })
    expect(noComSpec?.providers[0]).toMatchObject({
      command: ['cmd.exe', '/d', '/s', '/c', '"node app.js --name "a b""']
    })
    const [onLinux] = await loadSpecs(['.'], {
      cwd,
      env: {},
      system: { platform: 'linux', env: {} }
    })
    expect(onLinux?.providers[0]).toMatchObject({
      command: ['/bin/sh', '-c', 'node app.js --name "a b"']
    })
    expect(onLinux?.providers[0]).not.toHaveProperty('verbatimArguments')
  })

  it('on Windows is refused with a `${NAME}`, whose value cmd.exe would read as part of the command', async () => {
    const cwd = await workspace({ 's.eval.yaml': execSuite(`'node app.js "\${TOKEN}"'`) })
    const loading = loadSpecs(['.'], {
      cwd,
      env: { TOKEN: 'a & b' },
      system: { platform: 'win32', env: {} }
    })
    await expect(loading).rejects.toMatchObject({
      diagnostics: [
        {
          file: 's.eval.yaml',
          path: 'providers[0].command',
          message:
            'on Windows a command written as one string runs through cmd.exe, which would read the value of a `${NAME}` as part of the command',
          hint: 'write the command as a list, `[program, arg, …]`, where each `${NAME}` is one argument'
        }
      ]
    })
  })

  it('names its program as the shell reads it: a backslash-escaped space or quotes are part of it', async () => {
    const cwd = await workspace({
      's.eval.yaml': execSuite(`'./my\\ app/run.sh --fast'`),
      'quoted.eval.yaml': execSuite(`'"./my app/run.sh" --fast'`).replace('suite: s', 'suite: q'),
      'my app/run.sh': '#!/bin/sh\necho "ran $1"\n'
    })
    await chmod(join(cwd, 'my app', 'run.sh'), 0o755)
    const suites = await loadSpecs(['.'], { cwd, env: {} })
    for (const suite of suites) {
      const provider = await createProvider(suite.providers[0]!)
      const request = { prompt: 'x', messages: [], vars: {}, caseId: 'a', repeat: 0 }
      await expect(provider.call(request, new AbortController().signal)).resolves.toMatchObject({
        output: 'ran --fast'
      })
    }
    expect(suites.map((s) => s.suite).sort()).toEqual(['q', 's'])
  })
})
