import { createHash } from 'node:crypto'
import { createProvider } from '../../src/providers/index.js'
import { loadSpecs, type HttpProviderSpec, type SuiteSpec } from '../../src/spec/index.js'
import { loadError, removeWorkspaces, workspace, yaml } from './helpers.js'

afterAll(removeWorkspaces)

const SECRET = 'sk-live-0123456789'

const spec = yaml(
  'suite: s',
  'providers:',
  '  - id: web',
  '    type: http',
  '    url: ${BASE_URL}/v1/answer',
  '    headers: { Authorization: "Bearer ${API_KEY}", X-Literal: "$${API_KEY}" }', // line 6
  '    body: { input: "{{prompt}}", key: "${API_KEY}" }',
  '    output: text',
  '  - id: cli',
  '    type: exec',
  '    command: [node, "--token=${API_KEY}"]',
  '    env: { TOKEN: "${API_KEY}", PLAIN: $HOME }',
  'prompt: "{{q}}"',
  'cases:',
  '  - vars: { q: hi }',
  'scorers:',
  '  - type: json-valid',
  'description: "Checks ${API_KEY} handling"'
)

async function load(env: Record<string, string>): Promise<SuiteSpec> {
  const cwd = await workspace({ 'evals/s.eval.yaml': spec })
  const [suite] = await loadSpecs([], { cwd, env })
  if (suite === undefined) throw new Error('no suite')
  return suite
}

describe('${VAR} in providers', () => {
  it('is replaced in every string of a provider; $${VAR} stays literal, $VAR is untouched', async () => {
    const [web, cli] = (await load({ BASE_URL: 'http://127.0.0.1:9', API_KEY: SECRET })).providers
    expect(web).toMatchObject({
      url: 'http://127.0.0.1:9/v1/answer',
      headers: { Authorization: `Bearer ${SECRET}`, 'X-Literal': '${API_KEY}' },
      // The body's `${VAR}`s are replaced after its template is rendered, on each call.
      body: { input: '{{prompt}}', key: '${API_KEY}' },
      bodyEnv: { API_KEY: SECRET }
    })
    expect(cli).toMatchObject({
      command: ['node', `--token=${SECRET}`],
      env: { TOKEN: SECRET, PLAIN: '$HOME' }
    })
  })

  it('is not expanded outside providers', async () => {
    const suite = await load({ BASE_URL: 'http://h', API_KEY: SECRET })
    expect(suite.description).toBe('Checks ${API_KEY} handling')
  })

  it('reports each unset variable where it is used, naming the variable and never a value', async () => {
    const cwd = await workspace({ 'evals/s.eval.yaml': spec })
    // Empty, as GitHub gives a workflow a secret it cannot see: the same as unset.
    const error = await loadError(cwd, [], { BASE_URL: 'http://127.0.0.1:9', API_KEY: '' })
    const hint = "export API_KEY=... before running, or set it in the workflow's `env:`"
    const at = (line: number, column: number, path: string) => ({
      file: 'evals/s.eval.yaml',
      line,
      column,
      path,
      message: 'environment variable `API_KEY` is not set (or empty)',
      hint,
      unsetVariable: 'API_KEY'
    })
    expect(error.diagnostics).toEqual([
      at(6, 31, 'providers[0].headers.Authorization'),
      at(7, 39, 'providers[0].body.key'),
      at(11, 21, 'providers[1].command[1]'),
      at(12, 19, 'providers[1].env.TOKEN')
    ])
    expect(error.message).not.toContain('127.0.0.1')
  })

  it('never reaches the provider fingerprint: it hashes the config as written', async () => {
    const withSecret = await load({ BASE_URL: 'http://a', API_KEY: SECRET })
    const withOther = await load({ BASE_URL: 'http://b', API_KEY: 'another-value' })
    const web = withSecret.providers[0] as HttpProviderSpec
    expect(web.configFingerprint).toBe(withOther.providers[0]?.configFingerprint)
    const asWritten = JSON.stringify({
      body: { input: '{{prompt}}', key: '${API_KEY}' },
      headers: { Authorization: 'Bearer ${API_KEY}', 'X-Literal': '$${API_KEY}' },
      id: 'web',
      output: 'text',
      type: 'http',
      url: '${BASE_URL}/v1/answer'
    })
    expect(web.configFingerprint).toBe(createHash('sha256').update(asWritten).digest('hex'))
    expect(JSON.stringify(web.configFingerprint)).not.toContain(SECRET)
  })

  it('reports a URL that is not http(s) as written, not as expanded', async () => {
    const cwd = await workspace({ 'evals/s.eval.yaml': spec })
    const error = await loadError(cwd, [], { BASE_URL: 'ftp://user:pw@host', API_KEY: SECRET })
    expect(error.diagnostics).toEqual([
      {
        file: 'evals/s.eval.yaml',
        line: 5,
        column: 10,
        path: 'providers[0].url',
        message: '`${BASE_URL}/v1/answer` is not an http(s) URL',
        hint: 'write a full URL such as `http://127.0.0.1:8080/v1/answer`'
      }
    ])
    expect(error.message).not.toContain('pw@host')
  })

  it('reports a malformed ${…} where it is written instead of sending it as text; $${ stays literal', async () => {
    const malformed = yaml(
      'suite: s',
      'providers:',
      '  - id: web',
      '    type: http',
      '    url: http://127.0.0.1:9/${API KEY}', // line 5, the URL at column 10
      "    headers: { Authorization: 'Bearer ${API_KEY', X-Literal: '$${not a name' }", // line 6
      '    output: text',
      'prompt: "{{q}}"',
      'cases:',
      '  - vars: { q: hi }',
      'scorers:',
      '  - type: json-valid'
    )
    const cwd = await workspace({ 'evals/s.eval.yaml': malformed })
    const hint =
      'write `${NAME}`: an ASCII letter or `_`, then ASCII letters, digits or `_`, and a closing `}`; `$${` keeps a literal `${`'
    expect((await loadError(cwd, [], { API_KEY: SECRET })).diagnostics).toEqual([
      {
        file: 'evals/s.eval.yaml',
        line: 5,
        column: 10,
        path: 'providers[0].url',
        message: 'malformed environment variable reference `${API KEY}`',
        hint
      },
      {
        file: 'evals/s.eval.yaml',
        line: 6,
        column: 31,
        path: 'providers[0].headers.Authorization',
        message: 'malformed environment variable reference `${API_KEY`',
        hint
      }
    ])
  })

  describe('in a command run by the shell', () => {
    const execSpec = (command: string, env = '{}') =>
      yaml(
        'suite: s',
        'providers:',
        '  - id: cli',
        '    type: exec',
        `    command: ${JSON.stringify(command)}`, // line 5
        `    env: ${env}`,
        'prompt: "{{q}}"',
        'cases:',
        '  - vars: { q: hi }',
        'scorers:',
        '  - type: json-valid'
      )
    const answer = async (command: string, env: Record<string, string>, specEnv?: string) => {
      const cwd = await workspace({ 'evals/s.eval.yaml': execSpec(command, specEnv) })
      const [suite] = await loadSpecs([], { cwd, env })
      const provider = await createProvider(suite!.providers[0]!)
      const request = { prompt: 'hi', messages: [], vars: {}, caseId: 'c', repeat: 0 }
      return (await provider.call(request, new AbortController().signal)).output
    }

    it('arrives as written, never run as shell code', async () => {
      const value = 'pa$$word;x `id` $(id) \'q\' "d"'
      expect(await answer('echo token=${TOKEN}', { TOKEN: 'pa$$word;x' })).toBe('token=pa$$word;x')
      expect(await answer('printf %s "${TOKEN}"', { TOKEN: value })).toBe(value)
      // `$${VAR}` is still the shell's own variable, here of `env:`.
      expect(await answer('printf %s "$${MODE}"', {}, '{ MODE: fast }')).toBe('fast')
    })

    it('is evalgate’s value, even for a name the shell or `env:` sets itself', async () => {
      // dash sets PWD to its own working directory; `env:` gives the program its own TOKEN.
      expect(await answer('printf %s "${PWD}"', { PWD: '/from/evalgate' })).toBe('/from/evalgate')
      expect(
        await answer(
          'printf "%s %s" "${TOKEN}" "$${TOKEN}"',
          { TOKEN: 'outer' },
          '{ TOKEN: inner }'
        )
      ).toBe('outer inner')
    })
  })
})
