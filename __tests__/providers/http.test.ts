import { ProviderError } from '../../src/errors.js'
import { createProvider } from '../../src/providers/index.js'
import type { Provider, ProviderRequest } from '../../src/providers/types.js'
import { callCost } from '../../src/providers/prices.js'
import { CallLimits, callPolicy, callProvider } from '../../src/run/call.js'
import { loadSpecs, type ProviderSpec } from '../../src/spec/index.js'
import { removeWorkspaces, specProblems, workspace, yaml } from '../spec/helpers.js'
import { startJsonEndpoint } from '../helpers/json-endpoint.js'
import { startUntrustedServer } from '../helpers/tls-server.js'
import type { JsonEndpoint, Received, Reply } from '../helpers/json-endpoint.js'

let endpoint: JsonEndpoint
let url: string
let replies: Reply[]
let received: Received[]

beforeAll(async () => {
  endpoint = await startJsonEndpoint({ status: 200, body: '{"out":"ok"}' })
  ;({ url, replies, received } = endpoint)
})

afterAll(async () => {
  await endpoint.close()
  await removeWorkspaces()
})

const request: ProviderRequest = {
  prompt: 'Q: hello',
  messages: [{ role: 'user', content: 'Q: hello' }],
  vars: { q: 'hello' },
  caseId: 'c1',
  repeat: 0
}
const never = new AbortController().signal

/** A spec whose one http provider has `lines` (indented under it) besides id, type and url. */
function specWith(...lines: string[]): string {
  return yaml(
    'suite: s',
    'providers:',
    '  - id: api',
    '    type: http',
    '    url: ${ENDPOINT}',
    ...lines.map((line) => `    ${line}`),
    'prompt: "Q: {{q}}"',
    'cases:',
    '  - vars: { q: hello }',
    'scorers:',
    '  - type: json-valid'
  )
}

/** The provider spec the loader makes of the spec's provider lines. */
async function providerSpec(
  env: Record<string, string>,
  ...lines: string[]
): Promise<ProviderSpec> {
  const cwd = await workspace({ 'evals/s.eval.yaml': specWith(...lines) })
  const [suite] = await loadSpecs([], { cwd, env: { ENDPOINT: url, ...env } })
  const spec = suite?.providers[0]
  if (spec === undefined) throw new Error('no provider')
  return spec
}

/** What a call of `spec` ends with through the caller that retries, as a run makes it. */
async function callFailure(spec: ProviderSpec): Promise<unknown> {
  const policy = callPolicy(spec, await createProvider(spec), {
    timeoutMs: 5000,
    limiters: new CallLimits({}),
    secrets: []
  })
  return callProvider(policy, request, never, {}, 'the answer').catch((e: unknown) => e)
}

async function provider(env: Record<string, string>, ...lines: string[]): Promise<Provider> {
  return createProvider(await providerSpec(env, ...lines))
}

/** The problems loading the spec reports, as `field message (hint)`. */
async function problems(...lines: string[]): Promise<string[]> {
  const found = await specProblems(specWith(...lines), {}, { ENDPOINT: url })
  return found.map((d) => `${d.path} ${d.message}${d.hint ? ` (${d.hint})` : ''}`)
}

async function failure(called: Provider): Promise<ProviderError> {
  const error = await called.call(request, never).catch((e: unknown) => e)
  if (error instanceof ProviderError) return error
  throw new Error(`expected a ProviderError, got ${String(error)}`)
}

/** The values of the headers named `name` (any case) in the order sent. */
function sentHeader(sent: Received | undefined, name: string): string[] {
  const raw = sent?.rawHeaders ?? []
  return raw.filter((_, i) => i % 2 === 1 && raw[i - 1]?.toLowerCase() === name)
}

describe('http provider requests', () => {
  it("sends the user's Content-Type, whatever its case, as the only one", async () => {
    const api = await provider(
      {},
      'headers: { Content-Type: application/vnd.api+json }',
      'body: { text: "{{prompt}}" }',
      'output: out'
    )
    await api.call(request, never)
    expect(sentHeader(received.at(-1), 'content-type')).toEqual(['application/vnd.api+json'])
    const plain = await provider({}, 'body: { text: "{{prompt}}" }', 'output: out')
    await plain.call(request, never)
    expect(sentHeader(received.at(-1), 'content-type')).toEqual(['application/json'])
  })

  it('sends an environment value in the body exactly as set, never as a template', async () => {
    const api = await provider(
      { WEIRD: 'ab{{q}}cd', ODD: 'pw-{{hunter2-secret' },
      'body: { text: "{{prompt}} ${WEIRD}", key: "${ODD}", literal: "$${WEIRD}" }',
      'output: out'
    )
    await api.call(request, never)
    expect(JSON.parse(received.at(-1)?.body ?? '')).toEqual({
      text: 'Q: hello ab{{q}}cd',
      key: 'pw-{{hunter2-secret',
      literal: '${WEIRD}'
    })
  })

  it('refuses at load a request that carries nothing of the case', async () => {
    const same =
      "the request carries neither `{{prompt}}` nor a case's variable: every case would get the same answer (put them in the `body`, rendered for each case and sent with POST (the default): `body: { input: '{{prompt}}' }`)"
    expect(await problems('output: out')).toEqual([`providers[0] ${same}`])
    expect(await problems('method: GET', 'output: out')).toEqual([`providers[0] ${same}`])
    expect(await problems('body: { model: fixed }', 'output: out')).toEqual([
      `providers[0].body ${same}`
    ])
  })

  it('refuses at load a string body of JSON, which would be sent as one quoted string', async () => {
    expect(await problems(`body: '{"text": "{{prompt}}"}'`, 'output: out')).toEqual([
      "providers[0].body the body is a string of JSON, so it would be sent as one JSON string (quoted and escaped) (write the body as a YAML mapping, such as `body: { input: '{{prompt}}' }`)"
    ])
  })

  it('refuses at load a `{{var}}` or `${VAR}` in a body key, which is sent as written', async () => {
    const write =
      "write the key as the endpoint expects it, and a case's values or the environment's in the body's values: `body: { input: '{{prompt}}' }`"
    expect(
      await problems(
        "body: { input: '{{prompt}}', '{{q}}': 1, meta: [{ '${TEAM}-id': x }] }",
        'output: out'
      )
    ).toEqual([
      `providers[0].body["{{q}}"] \`{{q}}\` would be sent as written: a body key is not a template (${write})`,
      `providers[0].body.meta[0]["\${TEAM}-id"] \`\${TEAM}-id\` would be sent as written: a body key's \`\${VAR}\` is not replaced (${write})`
    ])
  })

  it('refuses at load a header name HTTP cannot carry', async () => {
    expect(
      await problems('headers: { "X Bad:": v }', 'body: { t: "{{prompt}}" }', 'output: out')
    ).toEqual([
      'providers[0].headers["X Bad:"] `X Bad:` is not a header name HTTP can carry (a header name is letters, digits and `-` (no spaces or `:`), such as `X-Api-Key`)'
    ])
  })

  it('refuses at load response paths that are not dotted, saying the dotted one', async () => {
    expect(
      await problems(
        'body: { t: "{{prompt}}" }',
        'output: "choices[0].message.content"',
        "usage: { input: 'usage.in.', output: \"usage['out']\" }"
      )
    ).toEqual([
      'providers[0].output `choices[0].message.content` is not a dotted path (did you mean `choices.0.message.content`? names and array indexes go between dots, none empty)',
      'providers[0].usage.input `usage.in.` is not a dotted path (did you mean `usage.in`? names and array indexes go between dots, none empty)',
      "providers[0].usage.output `usage['out']` is not a dotted path (did you mean `usage.out`? names and array indexes go between dots, none empty)"
    ])
  })
})

describe('http provider answers', () => {
  async function api(...lines: string[]): Promise<Provider> {
    return provider({}, 'body: { text: "{{prompt}}" }', 'output: out', ...lines)
  }

  it('finds nothing at a path naming a built-in property', async () => {
    const called = await provider({}, 'body: { text: "{{prompt}}" }', 'output: constructor')
    replies.push({ status: 200, body: '{"out":"x"}' })
    expect(await failure(called)).toMatchObject({
      kind: 'malformed-response',
      message: expect.stringMatching(/^provider api: the response has nothing at `constructor`/)
    })
  })

  it('keeps the retry of an error status whose answer is over 32 MB', async () => {
    replies.push({
      status: 500,
      headers: { 'content-type': 'text/plain' },
      body: 'e'.repeat(40 << 20)
    })
    const error = await failure(await api())
    expect(error).toMatchObject({ kind: 'server', retryable: true })
    expect(error.message).toMatch(/^provider api: HTTP 500: e{300}$/)
  })

  it('says a compressed answer that does not decode is corrupt, without retrying', async () => {
    replies.push({ status: 200, headers: { 'content-encoding': 'gzip' }, body: '{"out":"plain"}' })
    expect(await failure(await api())).toMatchObject({
      kind: 'malformed-response',
      retryable: false,
      message:
        "provider api: the answer's compression (its Content-Encoding) is corrupt: incorrect header check; check what the endpoint returns"
    })
  })

  it('keeps the retry of an error status whose body does not decode, saying so', async () => {
    // A gateway's 503 labelled gzip but sent as plain text.
    replies.push({
      status: 503,
      headers: { 'content-encoding': 'gzip', 'content-type': 'text/plain', 'retry-after': '3' },
      body: 'upstream unavailable'
    })
    expect(await failure(await api())).toMatchObject({
      kind: 'server',
      retryable: true,
      retryAfterMs: 3000,
      message: 'provider api: HTTP 503: (body not readable: incorrect header check)'
    })
  })

  it('says an empty answer is empty', async () => {
    const called = await api()
    replies.push({ status: 204, body: '' })
    expect(await failure(called)).toMatchObject({
      kind: 'malformed-response',
      message:
        'provider api: HTTP 204: the response is empty; the output must be at `out` of a JSON answer'
    })
    replies.push({ status: 200, body: '' })
    expect((await failure(called)).message).toMatch(
      /^provider api: HTTP 200: the response is empty/
    )
  })

  it('says where a relative redirect points, and calls a 304 or a 3xx without Location no redirect', async () => {
    const called = await api()
    replies.push({ status: 301, headers: { location: '/v2/answer' }, body: '' })
    expect((await failure(called)).message).toMatch(
      new RegExp(
        `^provider api: HTTP 301: the server redirects to ${url.replace('/answer', '/v2/answer')}, `
      )
    )
    for (const status of [304, 302]) {
      replies.push({ status, body: '' })
      expect(await failure(called)).toMatchObject({
        kind: 'bad-request',
        message: `provider api: HTTP ${status}: ; check url, method and body`
      })
    }
  })

  it('retries a 200 whose body is an error object as a server error, quoting its message', async () => {
    const spec = await providerSpec(
      {},
      'body: { text: "{{prompt}}" }',
      'output: answer.text',
      'retry: { max-attempts: 3, base-delay: 1ms }'
    )
    const overloaded = '{"error":{"message":"model overloaded","type":"server_error"}}'
    replies.push(...[1, 2, 3].map(() => ({ status: 200, body: overloaded })))
    const before = received.length
    const error = await callFailure(spec)
    expect(error).toMatchObject({
      kind: 'server',
      message:
        'provider api: the server answered with an error: model overloaded (after 3 attempts)'
    })
    expect(received.length - before).toBe(3)
    // An empty `error` beside the answer says there is none: the answer is just not where asked.
    replies.push(...[1, 2, 3].map(() => ({ status: 200, body: '{"error":"","answer":{}}' })))
    const blank = await callFailure(spec)
    expect(blank).toMatchObject({
      kind: 'malformed-response',
      message: expect.stringContaining('the response has nothing at `answer.text`')
    })
    replies.splice(0)
  })

  it('takes whole token counts only', async () => {
    replies.push({ status: 200, body: '{"out":"x","usage":{"in":10.5}}' })
    expect(await failure(await api('usage: { input: usage.in }'))).toMatchObject({
      kind: 'malformed-response',
      message: 'provider api: the response has no token count at `usage.in` (found 10.5)'
    })
  })

  it('records the model at `model:`, and prices the answer by it', async () => {
    const spec = await providerSpec(
      {},
      'body: { text: "{{prompt}}" }',
      'output: out',
      'usage: { input: usage.in }',
      'model: model'
    )
    replies.push({
      status: 200,
      body: '{"out":"x","model":"gpt-4o-mini","usage":{"in":1000000}}'
    })
    const response = await (await createProvider(spec)).call(request, never)
    expect(response).toMatchObject({ output: 'x', model: 'gpt-4o-mini' })
    // gpt-4o-mini's built-in price: $0.15 per 1M input tokens.
    expect(callCost(spec, response)).toBeCloseTo(0.15)
  })
})

describe('http provider over TLS', () => {
  it('says a certificate it cannot trust is not trusted and what to set, without retrying', async () => {
    const untrusted = await startUntrustedServer()
    try {
      const spec = await providerSpec(
        { ENDPOINT: `${untrusted.origin}/answer` },
        'body: { text: "{{prompt}}" }',
        'output: out',
        'retry: { max-attempts: 3, base-delay: 1ms }'
      )
      const error = await callFailure(spec)
      expect(error).toMatchObject({
        kind: 'network',
        retryable: false,
        message: `provider api: the connection to ${untrusted.origin}/answer failed: the server's TLS certificate is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate); to trust it, set NODE_EXTRA_CA_CERTS to the certificate's PEM file`
      })
      expect(untrusted.connections).toBe(1)
    } finally {
      await untrusted.close()
    }
  })
})
