import { ProviderError } from '../../src/errors.js'
import { createProvider } from '../../src/providers/index.js'
import type { Provider, ProviderRequest } from '../../src/providers/types.js'
import { loadSpecs } from '../../src/spec/index.js'
import { removeWorkspaces, workspace, yaml } from './helpers.js'
import { startJsonEndpoint, type JsonEndpoint } from '../helpers/json-endpoint.js'

/** What the endpoint answers next: status, headers and JSON body. */
interface Reply {
  status: number
  headers?: Record<string, string>
  body: unknown
}

let endpoint: JsonEndpoint
let url: string
beforeAll(async () => {
  endpoint = await startJsonEndpoint({ status: 200, body: '{}' })
  url = endpoint.url
})

/** Queues the endpoint's next answer, its body as JSON. */
function answerNext(reply: Reply): void {
  endpoint.replies.push({ ...reply, body: JSON.stringify(reply.body) })
}

afterAll(async () => {
  await endpoint.close()
  await removeWorkspaces()
})

const request: ProviderRequest = {
  prompt: 'Q: why',
  messages: [{ role: 'user', content: 'Q: why' }],
  vars: { question: 'why' },
  caseId: 'q1',
  repeat: 0
}
const never = new AbortController().signal

/** The http provider the loader makes of an entry with the given `usage:` line. */
async function providerWithUsage(usage: string): Promise<Provider> {
  const spec = yaml(
    'suite: s',
    'providers:',
    '  - id: web',
    '    type: http',
    '    url: ${ENDPOINT}',
    '    body: { q: "{{prompt}}" }',
    '    output: answer',
    `    ${usage}`,
    'prompt: "Q: {{question}}"',
    'cases:',
    '  - vars: { question: why }',
    'scorers:',
    '  - type: json-valid'
  )
  const cwd = await workspace({ 'evals/s.eval.yaml': spec })
  const [suite] = await loadSpecs([], { cwd, env: { ENDPOINT: url } })
  const provider = suite?.providers[0]
  if (provider === undefined) throw new Error('no provider')
  return createProvider(provider)
}

async function failure(provider: Provider): Promise<ProviderError> {
  try {
    await provider.call(request, never)
  } catch (error) {
    if (error instanceof ProviderError) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

describe('http provider `usage:` paths', () => {
  it('reads the token counts at the dotted paths of the JSON answer', async () => {
    const provider = await providerWithUsage(
      'usage: { input: meta.tokens.0.in, output: meta.tokens.0.out }'
    )
    answerNext({ status: 200, body: { answer: 'ok', meta: { tokens: [{ in: 31, out: 7 }] } } })
    const response = await provider.call(request, never)
    expect(response.output).toBe('ok')
    expect(response.tokens).toEqual({ input: 31, output: 7 })
  })

  it('counts a side without a path as 0', async () => {
    const provider = await providerWithUsage('usage: { output: generated }')
    answerNext({ status: 200, body: { answer: 'ok', generated: 12 } })
    expect((await provider.call(request, never)).tokens).toEqual({ input: 0, output: 12 })
  })

  it('fails the call when a configured path holds no count, naming the path', async () => {
    const provider = await providerWithUsage('usage: { input: usage.prompt, output: usage.out }')
    answerNext({ status: 200, body: { answer: 'ok', usage: { prompt: '31', out: 7 } } })
    const error = await failure(provider)
    expect(error.kind).toBe('malformed-response')
    expect(error.retryable).toBe(false)
    expect(error.message).toBe(
      'provider web: the response has no token count at `usage.prompt` (found "31")'
    )
  })

  it('reports no tokens without `usage:`', async () => {
    const provider = await providerWithUsage('timeout: 5s')
    answerNext({ status: 200, body: { answer: 'ok', usage: { in: 1, out: 2 } } })
    expect((await provider.call(request, never)).tokens).toBeUndefined()
  })
})

describe('http provider Retry-After', () => {
  it('gives a 429 the wait its Retry-After asks for', async () => {
    const provider = await providerWithUsage('timeout: 5s')
    answerNext({ status: 429, headers: { 'retry-after': '7' }, body: { error: 'slow down' } })
    const error = await failure(provider)
    expect(error).toMatchObject({ kind: 'rate-limited', retryable: true, retryAfterMs: 7000 })
  })

  it('gives a 503 the wait of retry-after-ms', async () => {
    const provider = await providerWithUsage('timeout: 5s')
    answerNext({ status: 503, headers: { 'retry-after-ms': '1500' }, body: {} })
    const error = await failure(provider)
    expect(error).toMatchObject({ kind: 'server', retryable: true, retryAfterMs: 1500 })
  })

  it('reads Retry-After as an HTTP date in any of its three forms', async () => {
    const provider = await providerWithUsage('timeout: 5s')
    // A minute from now, in the whole seconds of an HTTP date: at most 60 s to wait.
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000)
    const [weekday, day, month, year, time] = at.toUTCString().split(/,? /) as string[]
    const fullWeekday = at.toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' })
    for (const date of [
      at.toUTCString(),
      `${fullWeekday}, ${day}-${month}-${year?.slice(2)} ${time} GMT`,
      `${weekday} ${month} ${day?.replace(/^0/, ' ')} ${time} ${year}`
    ]) {
      answerNext({ status: 429, headers: { 'retry-after': date }, body: { error: 'slow down' } })
      const waitMs = (await failure(provider)).retryAfterMs ?? 0
      expect({ date, waitsAMinute: waitMs > 50_000 && waitMs <= 60_000 }).toEqual({
        date,
        waitsAMinute: true
      })
    }
  })

  it('honours it on any 5xx, leaves the wait unset without it, and ignores it on a 4xx', async () => {
    const provider = await providerWithUsage('timeout: 5s')
    answerNext({ status: 429, body: {} })
    expect((await failure(provider)).retryAfterMs).toBeUndefined()
    answerNext({ status: 500, headers: { 'retry-after': '7' }, body: {} })
    expect(await failure(provider)).toMatchObject({ kind: 'server', retryAfterMs: 7000 })
    answerNext({ status: 400, headers: { 'retry-after': '7' }, body: {} })
    expect(await failure(provider)).toMatchObject({ kind: 'bad-request', retryAfterMs: undefined })
  })
})
