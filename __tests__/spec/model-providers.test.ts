import { secretForms } from '../../src/spec/providers.js'
import { loadSpecs, type SuiteSpec } from '../../src/spec/index.js'
import { FIXTURES, loadError, removeWorkspaces, specProblems, workspace, yaml } from './helpers.js'

const ENV_KEY = 'sk-env-0123456789abcdef'
const ENV = {
  OPENAI_API_KEY: ENV_KEY,
  LOCAL_LLM_URL: 'http://127.0.0.1:11434',
  PROXY_KEY: 'proxy-secret-value',
  JUDGE_URL: 'http://127.0.0.1:9000/grade'
}
const FILE = 'evals/s.eval.yaml'
const REST = [
  'prompt: "Q: {{question}}"',
  'cases:',
  '  - vars: { question: why }',
  'scorers:',
  '  - type: json-valid'
]

afterAll(removeWorkspaces)

async function loadModels(env: Record<string, string> = ENV): Promise<SuiteSpec> {
  const [suite] = await loadSpecs(['models'], { cwd: FIXTURES, env })
  if (suite === undefined) throw new Error('no suite')
  return suite
}

const source = (line: number, column = 5) => ({
  file: 'models/models.eval.yaml',
  line,
  column
})

describe('openai providers, retry, rate-limit and http usage in a valid spec', () => {
  it('resolves an openai provider with params, streaming, retry, rate limit and prices', async () => {
    const [gpt] = (await loadModels()).providers
    expect(gpt).toEqual({
      id: 'gpt',
      type: 'openai',
      model: 'gpt-4o-mini',
      params: {
        temperature: 0,
        max_tokens: 200,
        seed: 7,
        response_format: { type: 'json_object' }
      },
      apiKey: ENV_KEY,
      secrets: secretForms('OPENAI_API_KEY', ENV_KEY),
      stream: true,
      retry: { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 10_000 },
      rateLimit: { requestsPerMinute: 500, tokensPerMinute: 200_000 },
      prices: { input: 0.15, cachedInput: 0.075, output: 0.6 },
      configFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      answerConfigFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      source: source(4)
    })
  })

  it('takes no default key for a base-url server, fills in retry defaults, expands ${VAR}', async () => {
    const [, local, proxy, web] = (await loadModels()).providers
    expect(local).toEqual({
      id: 'local',
      type: 'openai',
      model: 'llama3.1',
      params: {},
      baseUrl: 'http://127.0.0.1:11434/v1',
      secrets: secretForms('LOCAL_LLM_URL', 'http://127.0.0.1:11434'),
      stream: false,
      retry: { maxAttempts: 2, baseDelayMs: 500, maxDelayMs: 30_000 },
      configFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      answerConfigFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      source: source(12)
    })
    expect(proxy).toMatchObject({
      label: 'Through the proxy',
      baseUrl: 'https://llm-proxy.example.com/v1',
      apiKey: 'proxy-secret-value',
      timeoutMs: 20_000
    })
    expect(web).toMatchObject({
      type: 'http',
      outputPath: 'answer.text',
      usagePaths: { input: 'usage.in', output: 'usage.out' },
      rateLimit: { requestsPerMinute: 60 }
    })
    expect(web).not.toHaveProperty('retry')
  })

  it('resolves llm-judge scorers with defaults, each judge like a provider with id `judge` by default', async () => {
    const [quality, strict] = (await loadModels()).scorers
    expect(quality).toEqual({
      type: 'llm-judge',
      name: 'llm-judge',
      weight: 1,
      rubric: 'The reply names the {{queue}} queue politely.',
      scale: 5,
      threshold: 0.5,
      judge: {
        id: 'judge',
        type: 'openai',
        model: 'gpt-4o',
        params: {},
        apiKey: ENV_KEY,
        secrets: secretForms('OPENAI_API_KEY', ENV_KEY),
        stream: false,
        timeoutMs: 20_000,
        configFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
        answerConfigFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
        source: source(38, 7)
      },
      source: source(35)
    })
    expect(strict).toEqual({
      type: 'llm-judge',
      name: 'strict-judge',
      weight: 2,
      rubric: 'The reply is exactly one word.',
      scale: 10,
      threshold: 0.8,
      judge: {
        id: 'grader',
        type: 'http',
        url: 'http://127.0.0.1:9000/grade',
        method: 'POST',
        headers: {},
        body: { question: '{{prompt}}', ticket: '{{ticket}}' },
        outputPath: 'grade',
        retry: { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 2000 },
        secrets: secretForms('JUDGE_URL', 'http://127.0.0.1:9000/grade'),
        configFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
        answerConfigFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
        source: source(48, 7)
      },
      source: source(41)
    })
  })

  it('keeps keys out of the fingerprints: they hash the entries as written', async () => {
    const one = await loadModels()
    const other = await loadModels({ ...ENV, OPENAI_API_KEY: 'sk-other', PROXY_KEY: 'other' })
    const fingerprints = (suite: SuiteSpec) => [
      ...suite.providers.map((provider) => provider.configFingerprint),
      ...suite.scorers.map((scorer) =>
        scorer.type === 'llm-judge' ? scorer.judge.configFingerprint : ''
      )
    ]
    expect(fingerprints(other)).toEqual(fingerprints(one))
    expect(new Set(fingerprints(one)).size).toBe(6)
  })
})

describe('problems with openai providers, retry and llm judges', () => {
  it('takes `prices:` on any provider type, for answers that report their tokens', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - id: web',
      '    type: http',
      '    url: http://127.0.0.1:9000/answer',
      '    body: { q: "{{prompt}}" }',
      '    output: answer',
      '    usage: { input: usage.in, output: usage.out }',
      '    prices: { input: 3, cached-input: 1, output: 15 }',
      '  - id: app',
      '    type: module',
      '    path: ./app.js',
      '    prices: { input: 1, output: 2 }',
      ...REST
    )
    const cwd = await workspace({ [FILE]: spec, 'evals/app.js': 'export default () => "x"\n' })
    const [suite] = await loadSpecs([], { cwd, env: ENV })
    expect(suite?.providers.map((p) => p.prices)).toEqual([
      { input: 3, cachedInput: 1, output: 15 },
      { input: 1, output: 2 }
    ])
  })

  it('reports an API key written in the file, without showing it', async () => {
    const literal = 'sk-proj-abcdef0123456789'
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - id: gpt',
      '    type: openai',
      '    model: gpt-4o-mini',
      `    api-key: ${literal}`, // line 6, the value at column 14
      ...REST
    )
    const cwd = await workspace({ [FILE]: spec })
    const error = await loadError(cwd, [], ENV)
    expect(error.diagnostics).toEqual([
      {
        file: FILE,
        line: 6,
        column: 14,
        path: 'providers[0].api-key',
        message: 'an API key is written in the spec file; secrets never live in the file',
        hint:
          'write `api-key: ${OPENAI_API_KEY}` and set OPENAI_API_KEY in the environment ' +
          '(in a workflow, from a secret); revoke the key if this file was ever committed'
      }
    ])
    expect(error.message).not.toContain(literal)
  })

  it('accepts placeholder keys of local servers and keys from variables', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - { id: a, type: openai, model: m, base-url: "http://localhost:1/v1", api-key: ollama }',
      '  - { id: b, type: openai, model: m, api-key: "${MY_KEY}" }',
      ...REST
    )
    const cwd = await workspace({ [FILE]: spec })
    const [suite] = await loadSpecs([], { cwd, env: { MY_KEY: 'sk-from-env-0123456789' } })
    expect(suite?.providers.map((p) => (p.type === 'openai' ? p.apiKey : ''))).toEqual([
      'ollama',
      'sk-from-env-0123456789'
    ])
  })

  it('reports an unknown key `baseUrl`, suggesting `base-url`', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - id: local',
      '    type: openai',
      '    model: llama3',
      '    baseUrl: http://localhost:11434/v1', // line 6
      ...REST
    )
    expect(await specProblems(spec)).toEqual([
      {
        file: FILE,
        line: 6,
        column: 5,
        path: 'providers[0].baseUrl',
        message: 'unknown key `baseUrl`',
        hint: 'did you mean `base-url`?'
      }
    ])
  })

  it('reports the request fields evalgate sets itself when written in params', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - id: local',
      '    type: openai',
      '    model: llama3',
      '    base-url: http://localhost:11434/v1',
      '    params: { temperature: 0, stream: true, model: other }', // line 7
      ...REST
    )
    expect(await specProblems(spec)).toEqual([
      {
        file: FILE,
        line: 7,
        column: 39,
        path: 'providers[0].params.stream',
        message: '`stream` is not a request parameter',
        hint: 'write `stream: true` beside `params:` (evalgate reads the stream, and measures the time to the first token)'
      },
      {
        file: FILE,
        line: 7,
        column: 52,
        path: 'providers[0].params.model',
        message: '`model` is not a request parameter',
        hint: "the model is the provider's `model:`"
      }
    ])
  })

  it('reports what an http provider would not send: a body with GET, a {{var}} in the url', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - id: api',
      '    type: http',
      '    method: GET',
      '    url: http://127.0.0.1:9/answer?q={{question}}', // line 6
      "    body: { q: '{{question}}' }", // line 7
      '    output: answer',
      ...REST
    )
    expect((await specProblems(spec)).map((p) => `${p.line} ${p.path}: ${p.message}`)).toEqual([
      '7 providers[0].body: a GET request sends no body, so this one would never be sent',
      '6 providers[0].url: `{{question}}` would be sent as written: the url is not a template'
    ])
  })

  it('reports a missing `model`, and a missing provider `id`, at the entry', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - { id: gpt, type: openai }', // line 3, the mapping at column 5
      '  - { type: openai, model: gpt-4o }', // line 4
      ...REST
    )
    expect(await specProblems(spec, {}, ENV)).toEqual([
      {
        file: FILE,
        line: 3,
        column: 5,
        path: 'providers[0].model',
        message: 'missing required key `model`',
        hint: 'The model id, e.g. `gpt-4o-mini`; may use `${VAR}`.'
      },
      {
        file: FILE,
        line: 4,
        column: 5,
        path: 'providers[1].id',
        message: 'missing required key `id`',
        hint: "The provider's id, unique within the file; reports and baselines pair results by it."
      }
    ])
  })

  it('reports a missing OPENAI_API_KEY at the provider that needs it', async () => {
    const spec = yaml('suite: s', 'providers:', '  - { id: gpt, type: openai, model: m }', ...REST)
    expect(await specProblems(spec)).toEqual([
      {
        file: FILE,
        line: 3,
        column: 5,
        path: 'providers[0]',
        message: 'environment variable `OPENAI_API_KEY` is not set (or empty)',
        hint:
          'the OpenAI API key is read from OPENAI_API_KEY when `api-key` is not set: export ' +
          "OPENAI_API_KEY=... before running, or set it in the workflow's `env:`",
        unsetVariable: 'OPENAI_API_KEY'
      }
    ])
  })

  it('keeps, for a replay, an openai provider whose default OPENAI_API_KEY is not set', async () => {
    const [suite] = await loadSpecs(['models'], { cwd: FIXTURES, env: {}, requireSecrets: false })
    const gpt = suite?.providers.find((p) => p.id === 'gpt')
    expect(gpt).toMatchObject({ id: 'gpt', type: 'openai', model: 'gpt-4o-mini' })
    expect(gpt).not.toHaveProperty('apiKey')
  })

  it('counts a key saved with a trailing newline as a secret both as set and as sent, trimmed', async () => {
    const { providers } = await loadModels({ ...ENV, OPENAI_API_KEY: `${ENV_KEY}\n` })
    expect(providers[0]?.secrets).toEqual(
      expect.arrayContaining([
        { name: 'OPENAI_API_KEY', value: `${ENV_KEY}\n` },
        { name: 'OPENAI_API_KEY', value: ENV_KEY }
      ])
    )
    // The forms a server may echo back are of the key as sent: trimmed.
    expect(providers[0]?.secrets).toContainEqual({
      name: 'OPENAI_API_KEY',
      value: ENV_KEY.toUpperCase()
    })
  })

  it('reports a wrong base-url or url with the other problems of its provider entry', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - { id: local, type: openai, model: m, base-url: "127.0.0.1:8080/v1", stream: yes }',
      '  - { id: web, type: http, url: "localhost:9/x", output: a, concurrency: many }',
      ...REST
    )
    const problems = await specProblems(spec)
    expect(problems.map((p) => p.path).sort()).toEqual([
      'providers[0].base-url',
      'providers[0].stream',
      'providers[1].concurrency',
      'providers[1].url'
    ])
    expect(problems.find((p) => p.path === 'providers[1].url')?.message).toBe(
      '`localhost:9/x` is not an http(s) URL'
    )
  })

  it('reports a base-url that is not an http(s) URL, as written', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - { id: gpt, type: openai, model: m, base-url: "${HOST}:11434" }', // line 3, column 50
      ...REST
    )
    expect(await specProblems(spec, {}, { HOST: 'localhost' })).toEqual([
      {
        file: FILE,
        line: 3,
        column: 50,
        path: 'providers[0].base-url',
        message: '`${HOST}:11434` is not an http(s) URL',
        hint: "write the server's API root, such as `http://localhost:11434/v1`"
      }
    ])
  })

  it('refuses a base-url or url with a fragment, never sent, quoting it as written', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - { id: gpt, type: openai, model: m, base-url: "http://127.0.0.1:11434/v1#chat" }',
      '  - id: web',
      '    type: http',
      '    url: "http://127.0.0.1:9/answer#"',
      "    body: { input: '{{prompt}}' }",
      '    output: a',
      ...REST
    )
    const problems = await specProblems(spec, {}, ENV)
    expect(problems.map(({ path, message, hint }) => ({ path, message, hint }))).toEqual([
      {
        path: 'providers[0].base-url',
        message:
          '`http://127.0.0.1:11434/v1#chat` has a fragment (`#…`), which is never sent to the server',
        hint: 'remove it; a `#` that belongs to a query value is written `%23`'
      },
      {
        path: 'providers[1].url',
        message:
          '`http://127.0.0.1:9/answer#` has a fragment (`#…`), which is never sent to the server',
        hint: 'remove it; a `#` that belongs to a query value is written `%23`'
      }
    ])
  })

  it('refuses credentials in a url or base-url, never sent, without showing them', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - id: web',
      '    type: http',
      '    url: "http://user:${TOK}@127.0.0.1:9/answer"', // line 5
      "    body: { input: '{{prompt}}' }",
      '    output: a',
      '  - { id: gpt, type: openai, model: m, base-url: "${CREDENTIALED_URL}/v1" }', // line 8
      ...REST
    )
    const problems = await specProblems(
      spec,
      {},
      { ...ENV, TOK: 'tok-secret-123456', CREDENTIALED_URL: 'http://me:pass-secret-99@127.0.0.1' }
    )
    expect(
      problems.map(({ line, path, message, hint }) => ({ line, path, message, hint }))
    ).toEqual([
      {
        line: 5,
        path: 'providers[0].url',
        message: 'the url holds credentials (`user:password@`), which are never sent to the server',
        hint: "remove them and send them in a header: `headers: { Authorization: 'Bearer ${TOKEN}' }` (or `Basic` and their base64)"
      },
      {
        line: 8,
        path: 'providers[1].base-url',
        message:
          'the base-url holds credentials (`user:password@`), which are never sent to the server',
        hint: 'remove them and give the key as `api-key: ${API_KEY}`, sent as `Authorization: Bearer …`'
      }
    ])
    expect(JSON.stringify(problems)).not.toMatch(/tok-secret|pass-secret/)
  })

  it('says the other problems of an entry whose url holds credentials, all at once', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - id: web',
      '    type: http',
      '    url: "https://bob:${PASS}@example.test/v1"',
      "    body: { 'x{{q}}y': 2, nested: [{ '${TOK}': 3 }] }",
      '    output: a',
      '  - { id: gpt, type: openai, model: m, base-url: "http://me:${PASS}@127.0.0.1/v1", params: { stream: true } }',
      ...REST
    )
    const problems = await specProblems(spec, {}, { ...ENV, PASS: 'pass-secret-99' })
    expect(problems.map(({ path, message }) => `${path}: ${message}`)).toEqual([
      'providers[0].url: the url holds credentials (`user:password@`), which are never sent to the server',
      "providers[0].body: the request carries neither `{{prompt}}` nor a case's variable: every case would get the same answer",
      'providers[0].body["x{{q}}y"]: `{{q}}` would be sent as written: a body key is not a template',
      'providers[0].body.nested[0]["${TOK}"]: `${TOK}` would be sent as written: a body key\'s `${VAR}` is not replaced',
      'providers[1].base-url: the base-url holds credentials (`user:password@`), which are never sent to the server',
      'providers[1].params.stream: `stream` is not a request parameter'
    ])
  })

  it('names the variables whose value puts a fragment in a URL, never showing the value', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - { id: az, type: openai, model: m, base-url: "${LOCAL_LLM_URL}/v1?key=${HASH_KEY}" }',
      '  - id: web',
      '    type: http',
      '    url: "${LOCAL_LLM_URL}/answer?a=${HASH_KEY}&b=${PROXY_KEY}&c=${OTHER_HASH}"',
      "    body: { input: '{{prompt}}' }",
      '    output: a',
      ...REST
    )
    const problems = await specProblems(
      spec,
      {},
      { ...ENV, HASH_KEY: 'key-with#inside', OTHER_HASH: 'other#value' }
    )
    expect(problems.map(({ path, message, hint }) => ({ path, message, hint }))).toEqual([
      {
        path: 'providers[0].base-url',
        message:
          '`${LOCAL_LLM_URL}/v1?key=${HASH_KEY}` has a fragment (`#…`), which is never sent to the server: the value of `${HASH_KEY}` holds a `#`',
        hint: 'write that `#` as `%23` in the value of `${HASH_KEY}`'
      },
      {
        path: 'providers[1].url',
        message:
          '`${LOCAL_LLM_URL}/answer?a=${HASH_KEY}&b=${PROXY_KEY}&c=${OTHER_HASH}` has a fragment (`#…`), which is never sent to the server: the values of `${HASH_KEY}` and `${OTHER_HASH}` hold a `#`',
        hint: 'write that `#` as `%23` in the values of `${HASH_KEY}` and `${OTHER_HASH}`'
      }
    ])
    expect(JSON.stringify(problems)).not.toMatch(/inside|other#value/)
  })

  it('reports retry and rate-limit values out of range', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - id: gpt',
      '    type: openai',
      '    model: gpt-4o-mini',
      '    retry: { max-attempts: 11 }', // line 6, the 11 at column 28
      '    rate-limit: {}', // line 7
      '  - id: app',
      '    type: exec',
      '    command: node app.js',
      '    retry: { max-attempts: 0, base-delay: 2s, max-delay: 1s }', // line 11
      ...REST
    )
    expect(await specProblems(spec, {}, ENV)).toEqual([
      {
        file: FILE,
        line: 6,
        column: 28,
        path: 'providers[0].retry.max-attempts',
        message: 'must be at most 10, got 11',
        hint: 'Calls in all, the first included (1 to 10, default 4); 1 turns retries off.'
      },
      {
        file: FILE,
        line: 7,
        column: 17,
        path: 'providers[0].rate-limit',
        message: 'needs at least one of: requests-per-minute, tokens-per-minute',
        hint: 'Pacing of the calls to this provider: requests and/or tokens per minute.'
      },
      {
        file: FILE,
        line: 11,
        column: 28,
        path: 'providers[1].retry.max-attempts',
        message: 'must be at least 1, got 0',
        hint: 'Calls in all, the first included (1 to 10, default 4); 1 turns retries off.'
      }
    ])
  })

  it('reports a base-delay longer than the max-delay', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - id: app',
      '    type: exec',
      '    command: node app.js',
      '    retry: { base-delay: 2s, max-delay: 1s }', // line 6, base-delay at column 14
      ...REST
    )
    expect(await specProblems(spec)).toEqual([
      {
        file: FILE,
        line: 6,
        column: 26,
        path: 'providers[0].retry.base-delay',
        message: '`base-delay` (2000 ms) is longer than `max-delay` (1000 ms)',
        hint: 'the defaults are 500ms and 30s'
      }
    ])
  })

  it('reports an llm-judge without a rubric', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - { id: app, type: exec, command: node app.js }',
      'prompt: "Q: {{question}}"',
      'cases:',
      '  - vars: { question: why }',
      'scorers:',
      '  - type: llm-judge', // line 8
      '    judge: { type: openai, model: gpt-4o-mini }'
    )
    expect(await specProblems(spec, {}, ENV)).toEqual([
      {
        file: FILE,
        line: 8,
        column: 5,
        path: 'scorers[0].rubric',
        message: 'missing required key `rubric`',
        hint: 'What a good answer does, for the judge; may hold `{{var}}` placeholders.'
      }
    ])
  })

  it('rejects an http judge whose request does not send `{{prompt}}`: it would grade blind', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - { id: app, type: exec, command: node app.js }',
      'prompt: "Capital of {{country}}?"',
      'cases:',
      '  - vars: { country: France }',
      'scorers:',
      '  - type: llm-judge',
      '    rubric: Names the capital.',
      '    judge: { type: http, method: GET, url: "${JUDGE_URL}", output: text }', // line 10, `GET` at column 34
      '  - type: llm-judge',
      '    rubric: Names the capital.',
      '    judge: { type: http, url: "${JUDGE_URL}", body: { q: "{{country}}" }, output: text }', // line 13, the body at column 53
      '  - type: llm-judge',
      '    rubric: Names the capital.',
      '    judge: { type: http, url: "${JUDGE_URL}", output: text }', // line 16
      '  - type: llm-judge',
      '    rubric: Names the capital.',
      '    judge: { type: http, url: "${JUDGE_URL}", body: { q: ["{{ prompt }}"] }, output: text }'
    )
    const hint =
      "send it in the body, e.g. `body: { input: '{{prompt}}' }`: `{{prompt}}` holds the grading instructions, the rubric and the answer"
    expect(await specProblems(spec, {}, ENV)).toEqual([
      {
        file: FILE,
        line: 10,
        column: 34,
        path: 'scorers[0].judge.method',
        message:
          'a GET request sends no body, so the judge would never see the rubric or the answer',
        hint: `use \`method: POST\` (the default) and ${hint}`
      },
      {
        file: FILE,
        line: 13,
        column: 53,
        path: 'scorers[1].judge.body',
        message:
          'the body never sends `{{prompt}}`, so the judge would never see the rubric or the answer',
        hint
      },
      {
        file: FILE,
        line: 16,
        column: 12,
        path: 'scorers[2].judge',
        message: 'an http judge without a `body` never sees the rubric or the answer',
        hint
      }
    ])
  })

  it('reports a judge of an unknown type, with the closest type', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - { id: app, type: exec, command: node app.js }',
      'prompt: "Q: {{question}}"',
      'cases:',
      '  - vars: { question: why }',
      'scorers:',
      '  - type: llm-judge',
      '    rubric: Answers the question.',
      '    judge: { type: openia, model: gpt-4o-mini }' // line 10, `openia` at column 20
    )
    expect(await specProblems(spec, {}, ENV)).toEqual([
      {
        file: FILE,
        line: 10,
        column: 20,
        path: 'scorers[0].judge.type',
        message: 'unknown judge type `openia`',
        hint: 'did you mean `openai`? allowed types: module, exec, http, openai'
      }
    ])
  })

  it('checks a judge like a provider: literal keys, unset variables, rubric variables per case', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - { id: app, type: exec, command: node app.js }',
      'prompt: "Q: {{question}}"',
      'cases:',
      '  - id: q1', // line 6
      '    vars: { question: why }',
      'scorers:',
      '  - type: llm-judge',
      '    rubric: Explains {{topic}}.', // line 10, `{{topic}}` at column 22
      '    judge: { type: openai, model: gpt-4o, api-key: sk-abc0123456789 }', // line 11
      '  - type: llm-judge',
      '    rubric: Answers.',
      '    judge: { type: http, url: "${GRADER_URL}", output: grade }' // line 14
    )
    expect(await specProblems(spec, {}, ENV)).toEqual([
      {
        file: FILE,
        line: 11,
        column: 52,
        path: 'scorers[0].judge.api-key',
        message: 'an API key is written in the spec file; secrets never live in the file',
        hint: expect.stringContaining('write `api-key: ${OPENAI_API_KEY}`')
      },
      {
        file: FILE,
        line: 14,
        column: 31,
        path: 'scorers[1].judge.url',
        message: 'environment variable `GRADER_URL` is not set (or empty)',
        hint: "export GRADER_URL=... before running, or set it in the workflow's `env:`",
        unsetVariable: 'GRADER_URL'
      },
      {
        file: FILE,
        line: 10,
        column: 22,
        path: 'scorers[0].rubric',
        message: 'case `q1` (evals/s.eval.yaml:6) has no variable `topic`',
        hint: "the case's variables: question"
      }
    ])
  })
})
