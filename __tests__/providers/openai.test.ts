import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ProviderError } from '../../src/errors.js'
import { createProvider } from '../../src/providers/index.js'
import { providerCacheIdentity } from '../../src/providers/identity.js'
import { OpenAIProvider } from '../../src/providers/openai.js'
import { secretForms } from '../../src/spec/providers.js'
import type { ProviderRequest } from '../../src/providers/types.js'
import type { OpenAIProviderSpec } from '../../src/spec/types.js'
import { openAPIProblems, startOpenAIServer } from '../helpers/openai-server.js'
import type { OpenAIServer } from '../helpers/openai-server.js'
import { startUntrustedServer } from '../helpers/tls-server.js'
import { buildEntry, runBundle } from '../helpers/cli.js'
import { removeWorkspaces, workspace, yaml } from '../spec/helpers.js'

const SECRET = 'sk-test-SECRET123'
const never = new AbortController().signal
const request: ProviderRequest = {
  prompt: 'You answer in one word.\n\nCapital of France?',
  messages: [
    { role: 'system', content: 'You answer in one word.' },
    { role: 'user', content: 'Capital of France?' },
    { role: 'assistant', content: 'Paris.' },
    { role: 'user', content: 'And of Italy?' }
  ],
  vars: { country: 'Italy' },
  caseId: 'capitals',
  repeat: 0
}

let server: OpenAIServer

function spec(overrides: Partial<OpenAIProviderSpec> = {}): OpenAIProviderSpec {
  return {
    id: 'gpt',
    type: 'openai',
    model: 'gpt-4o-mini',
    params: { temperature: 0, seed: 7, max_tokens: 50 },
    baseUrl: server.baseUrl,
    apiKey: SECRET,
    stream: false,
    configFingerprint: 'fp',
    answerConfigFingerprint: 'fp',
    source: { file: 'evals/x.eval.yaml', line: 3 },
    ...overrides
  }
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof ProviderError) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

beforeEach(async () => {
  server = await startOpenAIServer()
})

afterEach(async () => {
  expect(server.violations).toEqual([])
  await server.close()
})

afterAll(removeWorkspaces)

describe('the local OpenAI server double', () => {
  async function post(body: unknown): Promise<number> {
    const response = await fetch(`${server.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
      body: JSON.stringify(body)
    })
    await response.text()
    return response.status
  }

  it('rejects requests the real API would reject, and records them', async () => {
    expect(await post({ model: 'gpt-4o-mini' })).toBe(400)
    expect(await post({ model: 'gpt-4o-mini', messages: [{ role: 'robot', content: 'hi' }] })).toBe(
      400
    )
    expect(await post({ model: 'gpt-4o-mini', messages: [] })).toBe(400)
    expect(server.violations.map((v) => v.against)).toEqual([
      'CreateChatCompletionRequest',
      'CreateChatCompletionRequest',
      'CreateChatCompletionRequest'
    ])
    expect(server.violations[0]?.message).toContain("required property 'messages'")
    expect(server.violations[1]?.message).toContain('/messages/0/role')
    server.violations.length = 0
  })

  it('accepts a valid request', async () => {
    expect(await post({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })).toBe(
      200
    )
  })

  it('checks answers against the response schemas, so an invented field shape is caught', async () => {
    const valid = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o-mini',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'hi', refusal: null },
          logprobs: null,
          finish_reason: 'stop'
        }
      ]
    }
    expect(await openAPIProblems('CreateChatCompletionResponse', valid)).toBeUndefined()
    expect(
      await openAPIProblems('CreateChatCompletionResponse', { ...valid, object: 'completion' })
    ).toContain('/object')
    expect(
      await openAPIProblems('CreateChatCompletionResponse', {
        ...valid,
        usage: { prompt_tokens: 'many', completion_tokens: 1, total_tokens: 1 }
      })
    ).toContain('/usage/prompt_tokens')
    expect(
      await openAPIProblems('CreateChatCompletionStreamResponse', {
        id: 'c',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'm',
        choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'done' }]
      })
    ).toContain('finish_reason')
  })
})

describe('OpenAIProvider', () => {
  it('sends the rendered messages with model and params, and returns the answer and its usage', async () => {
    server.enqueue({
      type: 'answer',
      text: 'Rome.',
      model: 'gpt-4o-mini-2024-07-18',
      usage: { promptTokens: 40, completionTokens: 12, cachedTokens: 32, reasoningTokens: 10 }
    })
    const response = await new OpenAIProvider(spec()).call(request, never)
    expect(response).toMatchObject({
      output: 'Rome.',
      attempts: 1,
      tokens: { input: 40, output: 12, cachedInput: 32, reasoning: 10 },
      model: 'gpt-4o-mini-2024-07-18',
      fingerprint: 'fp_evalgate_test',
      serviceTier: 'default'
    })
    expect(response.latencyMs).toBeGreaterThan(0)
    expect(response.ttftMs).toBeUndefined()
    const [received] = server.requests
    expect(received?.headers.authorization).toBe(`Bearer ${SECRET}`)
    expect(received?.body).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0,
      seed: 7,
      max_tokens: 50,
      messages: request.messages
    })
    expect(received?.body).not.toHaveProperty('stream')
  })

  // In a real Node process: under Jest, a TLS error comes from another realm, and the SDK remakes
  // it without its code.
  it('says a certificate it cannot trust is not trusted and what to set, without retrying', async () => {
    const untrusted = await startUntrustedServer()
    try {
      const cli = await buildEntry('src/cli.ts')
      const cwd = await workspace({
        'evals/s.eval.yaml': yaml(
          'suite: s',
          'providers:',
          `  - { id: gpt, type: openai, model: m, base-url: "${untrusted.origin}/v1", retry: { max-attempts: 3, base-delay: 1ms } }`,
          'prompt: "Q: {{q}}"',
          'cases:',
          '  - { id: c1, vars: { q: hello } }',
          'scorers:',
          '  - type: json-valid'
        )
      })
      await runBundle(cli, ['run'], { cwd })
      // The report cuts an error short: the results file has it whole.
      const results = await readFile(join(cwd, '.evalgate', 'results.json'), 'utf8')
      expect(results).toContain(
        `"provider gpt: the connection to ${untrusted.origin}/v1 failed: the server's TLS certificate is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate); to trust it, set NODE_EXTRA_CA_CERTS to the certificate's PEM file"`
      )
      expect(untrusted.connections).toBe(1)
    } finally {
      await untrusted.close()
    }
  })

  it('takes a null token breakdown (a proxy’s) as absent', async () => {
    server.enqueue({
      type: 'malformed',
      body: JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-4o-mini',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'Rome.' }, finish_reason: 'stop' }
        ],
        usage: {
          prompt_tokens: 40,
          completion_tokens: 12,
          total_tokens: 52,
          prompt_tokens_details: { cached_tokens: null },
          completion_tokens_details: { reasoning_tokens: null }
        }
      })
    })
    const response = await new OpenAIProvider(spec()).call(request, never)
    expect(response.tokens).toEqual({ input: 40, output: 12 })
  })

  it('sends OpenAI’s organization and project only to OpenAI, not to a base-url server', async () => {
    process.env.OPENAI_ORG_ID = 'org-private'
    process.env.OPENAI_PROJECT_ID = 'proj_private'
    try {
      server.enqueue({ type: 'answer', text: 'Rome.' })
      await new OpenAIProvider(spec()).call(request, never)
    } finally {
      delete process.env.OPENAI_ORG_ID
      delete process.env.OPENAI_PROJECT_ID
    }
    const [received] = server.requests
    expect(received?.headers['openai-organization']).toBeUndefined()
    expect(received?.headers['openai-project']).toBeUndefined()
  })

  it('goes where the spec says, never where OPENAI_BASE_URL points', async () => {
    const { baseUrl: _, ...withoutBaseUrl } = spec()
    process.env.OPENAI_BASE_URL = server.baseUrl
    try {
      const provider = new OpenAIProvider(withoutBaseUrl)
      // Bound to OpenAI's API (unreachable here): the call fails, and the local server, which
      // the variable names, sees nothing of it or of the key.
      await failure(provider.call(request, AbortSignal.timeout(3000)))
      await provider.close()
    } finally {
      delete process.env.OPENAI_BASE_URL
    }
    expect(server.requests).toHaveLength(0)
  })

  it('streams with include_usage and measures the time to the first content', async () => {
    server.enqueue({
      type: 'answer',
      text: 'Rome is the capital of Italy.',
      chunkDelayMs: 15,
      usage: { promptTokens: 30, completionTokens: 7 },
      serviceTier: 'flex'
    })
    const response = await new OpenAIProvider(spec({ stream: true })).call(request, never)
    expect(response).toMatchObject({
      output: 'Rome is the capital of Italy.',
      tokens: { input: 30, output: 7, cachedInput: 0, reasoning: 0 },
      model: 'gpt-4o-mini',
      fingerprint: 'fp_evalgate_test',
      // The tier that answered, which decides whether the built-in prices hold.
      serviceTier: 'flex'
    })
    expect(response.ttftMs).toBeGreaterThan(0)
    expect(response.ttftMs).toBeLessThan(response.latencyMs)
    expect(server.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true }
    })
  })

  it('records the first choice when params.n asks for several, streamed or not', async () => {
    for (const stream of [false, true]) {
      server.enqueue({ type: 'answer', text: 'Rome.', otherChoices: ['Milan is not.'] })
      const response = await new OpenAIProvider(spec({ stream, params: { n: 2 } })).call(
        request,
        never
      )
      expect(response.output).toBe('Rome.')
    }
    expect(server.requests.map((received) => received.body)).toMatchObject([{ n: 2 }, { n: 2 }])
  })

  it.each([
    [
      'a tool call without text',
      {
        type: 'answer',
        text: null,
        toolCall: { name: 'capital', arguments: '{"country":"Italy"}' },
        finishReason: 'tool_calls'
      } as const,
      ''
    ],
    [
      'an answer a content filter stopped at once',
      { type: 'answer', text: null, finishReason: 'content_filter' } as const,
      ''
    ],
    [
      'an answer a content filter cut short',
      { type: 'answer', text: 'The capital', finishReason: 'content_filter' } as const,
      'The capital'
    ]
  ])('scores %s as the same output, streamed or not', async (_name, behaviour, output) => {
    for (const stream of [false, true]) {
      server.enqueue(behaviour)
      const response = await new OpenAIProvider(spec({ stream })).call(request, never)
      expect(response).toMatchObject({
        output,
        model: 'gpt-4o-mini',
        finishReason: behaviour.finishReason
      })
    }
  })

  it('records an answer cut off at its token limit, and none for one that finished', async () => {
    for (const stream of [false, true]) {
      server.enqueue({ type: 'answer', text: 'The capital of', finishReason: 'length' })
      server.enqueue({ type: 'answer', text: 'Rome.' })
      const provider = new OpenAIProvider(spec({ stream }))
      expect(await provider.call(request, never)).toMatchObject({
        output: 'The capital of',
        finishReason: 'length'
      })
      expect(await provider.call(request, never)).not.toHaveProperty('finishReason')
    }
  })

  it('keeps the fingerprint and service tier a stream sent only in its first chunk', async () => {
    server.enqueue({
      type: 'answer',
      text: 'Rome.',
      serviceTier: 'flex',
      metadataInFirstChunkOnly: true
    })
    const response = await new OpenAIProvider(spec({ stream: true })).call(request, never)
    expect(response).toMatchObject({
      output: 'Rome.',
      model: 'gpt-4o-mini',
      fingerprint: 'fp_evalgate_test',
      serviceTier: 'flex'
    })
  })

  it('takes the natural end a compatible server names otherwise (eos_token) for a finished answer', async () => {
    const completion = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'tgi',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Rome.' }, finish_reason: 'eos_token' }
      ]
    }
    const chunk = (choice: Record<string, unknown>) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'tgi', choices: [{ index: 0, ...choice }] })}\n\n`
    server.enqueue({
      type: 'raw',
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(completion)
    })
    server.enqueue({
      type: 'raw',
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body:
        chunk({ delta: { role: 'assistant', content: 'Rome.' }, finish_reason: null }) +
        chunk({ delta: {}, finish_reason: 'eos_token' }) +
        'data: [DONE]\n\n'
    })
    for (const stream of [false, true]) {
      const response = await new OpenAIProvider(spec({ stream })).call(request, never)
      expect(response.output).toBe('Rome.')
      expect(response).not.toHaveProperty('finishReason')
    }
  })

  it('quotes the error of a 200 answer that is an error object, streamed or not', async () => {
    for (const stream of [false, true]) {
      server.enqueue({
        type: 'raw',
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: { message: `upstream failed for ${SECRET}`, code: 502 } })
      })
      const error = await failure(new OpenAIProvider(spec({ stream })).call(request, never))
      expect(error).toMatchObject({
        kind: 'server',
        retryable: true,
        message: 'provider gpt: the server answered with an error: upstream failed for [redacted]'
      })
    }
  })

  it('reads a whole chat completion sent where a stream was asked for', async () => {
    server.enqueue({
      type: 'raw',
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-4o-mini',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'Rome.' }, finish_reason: 'stop' }
        ]
      })
    })
    const response = await new OpenAIProvider(spec({ stream: true })).call(request, never)
    expect(response).toMatchObject({ output: 'Rome.', model: 'gpt-4o-mini' })
  })

  it('reads a stream its server labels JSON as the stream it is, timing its first token', async () => {
    server.enqueue({
      type: 'answer',
      text: 'Rome is the capital.',
      streamContentType: 'application/json',
      chunkDelayMs: 40
    })
    const response = await new OpenAIProvider(spec({ stream: true })).call(request, never)
    expect(response).toMatchObject({
      output: 'Rome is the capital.',
      model: 'gpt-4o-mini',
      fingerprint: 'fp_evalgate_test'
    })
    expect(response.tokens?.output).toBeGreaterThan(0)
    // Timed as its first token arrived, not once the whole body had.
    expect(response.ttftMs).toBeLessThan(response.latencyMs - 100)
  })

  it('reads a body labelled JSON that opens with no event as JSON where a stream was asked for', async () => {
    const completion = JSON.stringify({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o-mini',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Rome.' }, finish_reason: 'stop' }
      ]
    })
    const labelledJson = (body: string) =>
      ({
        type: 'raw',
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body
      }) as const
    const provider = new OpenAIProvider(spec({ stream: true }))
    // A byte order mark before the completion, as some Windows servers send.
    server.enqueue(labelledJson(`\uFEFF${completion}`))
    await expect(provider.call(request, never)).resolves.toMatchObject({ output: 'Rome.' })
    for (const [body, message] of [
      ['', 'provider gpt: the answer is not valid JSON: Unexpected end of JSON input'],
      ['<html>bad gateway</html>', /^provider gpt: the answer is not valid JSON: Unexpected/],
      [
        '[{"error":"x"}]',
        /^provider gpt: the answer has no choices \(not a chat completion\); check base-url/
      ]
    ] as const) {
      server.enqueue(labelledJson(body))
      expect(await failure(provider.call(request, never))).toMatchObject({
        kind: 'malformed-response',
        message: typeof message === 'string' ? message : expect.stringMatching(message)
      })
    }
  })

  it('sends the query of base-url as written, and writes its secret back wherever echoed', async () => {
    const key = 'sk-Secret/Key+123456'
    server.enqueue({
      type: 'error',
      status: 400,
      // Echoed as received, and as a form decoder reads a `+` left unencoded: a space.
      message: (received) =>
        `bad url ${received.url}; key ${key.replace('+', ' ')} (${encodeURIComponent(key.replace('+', ' '))})`
    })
    const error = await failure(
      new OpenAIProvider(
        spec({
          baseUrl: `${server.baseUrl}?api-version=2024-10-21&key=${key}`,
          secrets: secretForms('K', key)
        })
      ).call(request, never)
    )
    const sent = new URL(server.requests[0]?.url ?? '', server.baseUrl)
    expect(sent.pathname).toBe('/v1/chat/completions')
    expect(Object.fromEntries(sent.searchParams)).toEqual({
      'api-version': '2024-10-21',
      key
    })
    expect(error.message).toBe(
      'provider gpt: HTTP 400: bad url /v1/chat/completions?api-version=2024-10-21&key=${K}; key ${K} (${K}); check model and params'
    )
  })

  it('is what createProvider builds for type openai', async () => {
    const provider = await createProvider(spec())
    expect(provider).toBeInstanceOf(OpenAIProvider)
    await expect(provider.call(request, never)).resolves.toMatchObject({
      output: 'echo: And of Italy?'
    })
  })

  it.each([
    ['401', { type: 'error', status: 401 } as const, 'auth', false],
    ['403', { type: 'error', status: 403 } as const, 'auth', false],
    ['400', { type: 'error', status: 400 } as const, 'bad-request', false],
    ['404', { type: 'error', status: 404 } as const, 'bad-request', false],
    ['500', { type: 'error', status: 500 } as const, 'server', true],
    ['503', { type: 'error', status: 503 } as const, 'server', true],
    ['429', { type: 'error', status: 429 } as const, 'rate-limited', true],
    ['a reset connection', { type: 'reset' } as const, 'network', true],
    [
      'malformed JSON',
      { type: 'malformed', body: '{"id": "x", "cho' } as const,
      'malformed-response',
      false
    ],
    ['no choices', { type: 'answer', noChoices: true } as const, 'malformed-response', false]
  ])('classifies %s (plain and streamed)', async (_name, behaviour, kind, retryable) => {
    for (const stream of [false, true]) {
      server.enqueue(behaviour)
      const error = await failure(new OpenAIProvider(spec({ stream })).call(request, never))
      expect({ kind: error.kind, retryable: error.retryable }).toEqual({ kind, retryable })
      expect(error.message).toMatch(/^provider gpt: /)
    }
  })

  it('classifies a stream cut off mid-answer as a retryable network error', async () => {
    server.enqueue({ type: 'reset', afterChunks: 2 })
    const error = await failure(new OpenAIProvider(spec({ stream: true })).call(request, never))
    expect(error).toMatchObject({ kind: 'network', retryable: true })
  })

  it('does not take a stream that ends cleanly before its last choice for a whole answer', async () => {
    server.enqueue({ type: 'reset', afterChunks: 1, endCleanly: true })
    const error = await failure(new OpenAIProvider(spec({ stream: true })).call(request, never))
    expect(error).toMatchObject({
      kind: 'network',
      retryable: true,
      message: expect.stringMatching(
        /^provider gpt: the stream ended before the answer was finished \(no finish_reason\)/
      )
    })
  })

  it('reads an answer gzip-ed by the server whatever the request asked', async () => {
    server.enqueue({ type: 'answer', text: 'squeezed', gzip: true })
    const response = await new OpenAIProvider(spec()).call(request, never)
    expect(response.output).toBe('squeezed')
  })

  it.each([
    [
      'an answer without a body (204)',
      { type: 'raw', status: 204 } as const,
      /^provider gpt: the answer has no choices \(not a chat completion\); check base-url/
    ],
    [
      'an answer over 32 MB',
      {
        type: 'raw',
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: `{"pad":"${'x'.repeat(33 * 2 ** 20)}"}`
      } as const,
      /^provider gpt: the answer is larger than 32 MB; check what the endpoint returns$/
    ],
    [
      'a redirect',
      {
        type: 'raw',
        status: 302,
        headers: { location: 'https://api.example.test/v2/chat/completions' }
      } as const,
      /^provider gpt: HTTP 302: the server redirects to https:\/\/api\.example\.test\/v2\/chat\/completions, and redirects are not followed .*; set base-url to where it points$/
    ]
  ])('tells %s for what it is, without retrying', async (_name, behaviour, message) => {
    server.enqueue(behaviour)
    const error = await failure(new OpenAIProvider(spec()).call(request, never))
    expect(error.retryable).toBe(false)
    expect(error.message).toMatch(message)
    expect(server.requests).toHaveLength(1)
  })

  it('classifies an error event in the middle of a stream as a retryable server error, printing nothing', async () => {
    const printed: unknown[] = []
    const original = console.error
    console.error = (...args: unknown[]) => void printed.push(args)
    try {
      server.enqueue({ type: 'malformed', body: '{"error": {"message": "overloaded mid-stream"}}' })
      const overloaded = await failure(
        new OpenAIProvider(spec({ stream: true })).call(request, never)
      )
      expect(overloaded).toMatchObject({
        kind: 'server',
        retryable: true,
        message: 'provider gpt: the stream broke off with an error: overloaded mid-stream'
      })
      // An unparseable event: the SDK's own logger would print the raw chunk to stderr.
      server.enqueue({ type: 'malformed', body: '{"id": "x", "cho' })
      await failure(new OpenAIProvider(spec({ stream: true })).call(request, never))
    } finally {
      console.error = original
    }
    expect(printed).toEqual([])
  })

  it('writes a key echoed in an error back as the ${VAR} it came from', async () => {
    server.enqueue({
      type: 'error',
      status: 401,
      message: (received) => `bad key ${received.headers.authorization ?? ''}`
    })
    const error = await failure(
      new OpenAIProvider(
        spec({
          apiKey: 'sk-echoed-secret-1234',
          secrets: [{ name: 'MY_KEY', value: 'sk-echoed-secret-1234' }]
        })
      ).call(request, never)
    )
    expect(error.message).toContain('bad key Bearer ${MY_KEY}')
    expect(error.message).not.toContain('sk-echoed')
  })

  it('tells what to check: the key for auth errors, baseUrl for network errors', async () => {
    server.enqueue({ type: 'error', status: 401, message: 'Incorrect API key provided' })
    const auth = await failure(new OpenAIProvider(spec()).call(request, never))
    expect(auth.message).toBe(
      "provider gpt: HTTP 401 (not authorised): Incorrect API key provided; check the provider's api-key (OPENAI_API_KEY when it has none)"
    )
    const closed = await startOpenAIServer()
    const unreachable = closed.baseUrl
    await closed.close()
    const network = await failure(
      new OpenAIProvider(spec({ baseUrl: unreachable })).call(request, never)
    )
    expect(network.kind).toBe('network')
    expect(network.message).toContain(`the connection to ${unreachable} failed`)
    expect(network.message).toContain('check base-url')
  })

  it('reads how long a 429 asks to wait from its headers', async () => {
    server.enqueue(
      { type: 'error', status: 429, headers: { 'retry-after': '3' } },
      { type: 'error', status: 429, headers: { 'retry-after-ms': '250' } },
      {
        type: 'error',
        status: 429,
        headers: {
          'x-ratelimit-remaining-requests': '12',
          'x-ratelimit-reset-requests': '1s',
          'x-ratelimit-remaining-tokens': '0',
          'x-ratelimit-reset-tokens': '6m0s'
        }
      },
      { type: 'error', status: 503, headers: { 'retry-after': '2' } }
    )
    const provider = new OpenAIProvider(spec())
    const waits = []
    for (let i = 0; i < 4; i++)
      waits.push((await failure(provider.call(request, never))).retryAfterMs)
    expect(waits).toEqual([3000, 250, 360_000, 2000])
  })

  it('never lets the API key out, even when the server echoes it', async () => {
    const echo = (r: { headers: Record<string, unknown> }) =>
      `Incorrect API key provided: ${String(r.headers['authorization'])}`
    const logged: string[] = []
    const consoleMethods = ['log', 'info', 'warn', 'error', 'debug'] as const
    const originals = consoleMethods.map((name) => console[name])
    for (const name of consoleMethods) {
      console[name] = (...args: unknown[]) => void logged.push(args.map(String).join(' '))
    }
    const errors: ProviderError[] = []
    try {
      for (const status of [401, 400, 429, 500]) {
        for (const stream of [false, true]) {
          server.enqueue({ type: 'error', status, message: echo })
          errors.push(await failure(new OpenAIProvider(spec({ stream })).call(request, never)))
        }
      }
    } finally {
      consoleMethods.forEach((name, i) => (console[name] = originals[i] as typeof console.log))
    }
    expect(errors).toHaveLength(8)
    expect(errors[0]?.message).toContain('Incorrect API key provided: Bearer [redacted]')
    for (const error of errors) {
      const everything = [error.message, String(error), error.stack, JSON.stringify(error)]
      expect(everything.join('\n')).not.toContain('SECRET123')
    }
    expect(logged.join('\n')).not.toContain('SECRET123')
    expect(providerCacheIdentity(spec())).not.toContain('SECRET123')
  })

  it('stops when the signal aborts: timeout and cancellation', async () => {
    server.enqueue({ type: 'answer', delayMs: 5000 }, { type: 'answer', delayMs: 5000 })
    const provider = new OpenAIProvider(spec())
    const timedOut = await failure(provider.call(request, AbortSignal.timeout(50)))
    expect(timedOut).toMatchObject({ kind: 'timeout', retryable: true })
    const controller = new AbortController()
    const call = provider.call(request, controller.signal)
    setTimeout(() => controller.abort(), 50)
    expect(await failure(call)).toMatchObject({ kind: 'cancelled' })
  })

  it("applies the provider's own timeoutMs as a retryable timeout", async () => {
    server.enqueue({ type: 'answer', delayMs: 5000 })
    const error = await failure(new OpenAIProvider(spec({ timeoutMs: 50 })).call(request, never))
    expect(error).toMatchObject({ kind: 'timeout', retryable: true })
  })

  it.each([
    ['after its headers', { firstChunkDelayMs: 5000 }],
    ['after its first chunk', { chunkDelayMs: 5000 }],
    [
      'after its first chunk, labelled JSON',
      { chunkDelayMs: 5000, streamContentType: 'application/json' }
    ]
  ])('times out a stream that stalls %s, as a call that never answers', async (_name, stall) => {
    server.enqueue({ type: 'answer', ...stall })
    const error = await failure(
      new OpenAIProvider(spec({ stream: true, timeoutMs: 200 })).call(request, never)
    )
    expect(error).toMatchObject({ kind: 'timeout', retryable: true, message: 'the call timed out' })
  })

  it('ends a stream cancelled mid-answer as cancelled', async () => {
    server.enqueue({ type: 'answer', chunkDelayMs: 5000 })
    const controller = new AbortController()
    const call = new OpenAIProvider(spec({ stream: true })).call(request, controller.signal)
    setTimeout(() => controller.abort(), 200)
    expect(await failure(call)).toMatchObject({ kind: 'cancelled' })
  })

  it('needs an API key for the OpenAI API itself (at the first call), never sends it elsewhere', async () => {
    // Created without a key (a replay run has no secrets); calling it is an auth error.
    const keyless = new OpenAIProvider(spec({ apiKey: undefined, baseUrl: undefined }), { env: {} })
    expect(await failure(keyless.call(request, never))).toMatchObject({
      kind: 'auth',
      message: expect.stringContaining('provider gpt: no API key: set OPENAI_API_KEY')
    })
    const local = new OpenAIProvider(spec({ apiKey: undefined }), {
      env: { OPENAI_API_KEY: 'sk-real-openai-key' }
    })
    await expect(local.call(request, never)).resolves.toMatchObject({
      output: 'echo: And of Italy?'
    })
    // A compatible server named by baseUrl never gets the OpenAI key from the environment.
    expect(server.requests[0]?.headers.authorization).not.toContain('sk-real-openai-key')
  })

  it('has a cache identity that follows model, params and baseUrl but not the key', () => {
    const base = providerCacheIdentity(spec())
    expect(providerCacheIdentity(spec({ apiKey: 'sk-other' }))).toBe(base)
    expect(providerCacheIdentity(spec({ model: 'gpt-4.1' }))).not.toBe(base)
    expect(providerCacheIdentity(spec({ params: { temperature: 1 } }))).not.toBe(base)
    expect(providerCacheIdentity(spec({ baseUrl: 'http://elsewhere/v1' }))).not.toBe(base)
  })
})
