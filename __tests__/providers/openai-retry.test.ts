import { OpenAIProvider } from '../../src/providers/openai.js'
import { DEFAULT_RETRY_POLICY, withRetries } from '../../src/providers/retry.js'
import type { ProviderRequest } from '../../src/providers/types.js'
import { startOpenAIServer } from '../helpers/openai-server.js'
import type { Behaviour, OpenAIServer } from '../helpers/openai-server.js'

const request: ProviderRequest = {
  prompt: 'Capital of Italy?',
  messages: [{ role: 'user', content: 'Capital of Italy?' }],
  vars: {},
  caseId: 'capitals',
  repeat: 0
}

let server: OpenAIServer

beforeEach(async () => {
  server = await startOpenAIServer()
})

afterEach(async () => {
  expect(server.violations).toEqual([])
  await server.close()
})

/** One call through the SDK against the local server, retried per the default policy with a fake sleep. */
async function callWithRetries(...behaviours: Behaviour[]) {
  server.enqueue(...behaviours)
  const provider = new OpenAIProvider({
    id: 'gpt',
    type: 'openai',
    model: 'gpt-4o-mini',
    params: { temperature: 0 },
    baseUrl: server.baseUrl,
    apiKey: 'sk-test',
    stream: false,
    configFingerprint: 'fp',
    answerConfigFingerprint: 'fp',
    source: { file: 'evals/x.eval.yaml' }
  })
  const slept: number[] = []
  const signal = new AbortController().signal
  try {
    const outcome = await withRetries(() => provider.call(request, signal), DEFAULT_RETRY_POLICY, {
      sleep: async (ms) => void slept.push(ms),
      random: () => 0.5,
      signal
    })
    return { outcome, slept }
  } finally {
    await provider.close()
  }
}

it('retries a real 429 through the SDK, waiting as its Retry-After says, then answers', async () => {
  const { outcome, slept } = await callWithRetries(
    {
      type: 'error',
      status: 429,
      headers: { 'retry-after': '1', 'x-ratelimit-remaining-requests': '0' },
      message: 'Rate limit reached for requests'
    },
    { type: 'answer', text: 'Rome.' }
  )
  expect(outcome).toMatchObject({ value: { output: 'Rome.' }, attempts: 2, waitedMs: 1000 })
  expect(slept).toEqual([1000])
  // The SDK made exactly one HTTP request per attempt (its own retries are off), identical ones.
  expect(server.requests).toHaveLength(2)
  expect(server.requests[1]?.body).toEqual(server.requests[0]?.body)
})

it('retries a 500 or a 429 with requests left after the usual backoff, not at the reset of a limit', async () => {
  // OpenAI sends its rate-limit headers on every answer: the time until a limit is full again.
  const limits = {
    'x-ratelimit-remaining-requests': '0',
    'x-ratelimit-reset-requests': '42s',
    'x-ratelimit-remaining-tokens': '0',
    'x-ratelimit-reset-tokens': '6m0s'
  }
  const { outcome, slept } = await callWithRetries(
    { type: 'error', status: 500, headers: limits },
    {
      type: 'error',
      status: 429,
      headers: {
        ...limits,
        'x-ratelimit-remaining-requests': '3',
        'x-ratelimit-remaining-tokens': '9000'
      }
    },
    { type: 'answer', text: 'Rome.' }
  )
  // Full jitter at 0.5: 250 ms, then 500 ms.
  expect(outcome).toMatchObject({ value: { output: 'Rome.' }, attempts: 3, waitedMs: 750 })
  expect(slept).toEqual([250, 500])
})

it('reads past a malformed Retry-After to the reset of the limit a 429 used up', async () => {
  const { outcome, slept } = await callWithRetries(
    {
      type: 'error',
      status: 429,
      headers: {
        'retry-after': 'abc 2',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '2s'
      }
    },
    { type: 'error', status: 503, headers: { 'retry-after-ms': '', 'retry-after': '5' } },
    { type: 'answer', text: 'Rome.' }
  )
  expect(outcome).toMatchObject({ value: { output: 'Rome.' }, attempts: 3, waitedMs: 7000 })
  expect(slept).toEqual([2000, 5000])
})

it('does not retry a 429 for an account out of quota, and says to check its billing', async () => {
  const failure = await callWithRetries({
    type: 'error',
    status: 429,
    code: 'insufficient_quota',
    errorType: 'insufficient_quota',
    message: 'You exceeded your current quota, please check your plan and billing details.'
  }).catch((error: unknown) => error)
  expect(failure).toMatchObject({
    kind: 'auth',
    retryable: false,
    message:
      "provider gpt: HTTP 429 (quota exceeded): You exceeded your current quota, please check your plan and billing details.; check the plan and billing of the account the provider's api-key belongs to",
    attempts: 1
  })
  expect(server.requests).toHaveLength(1)
})

it('retries a 503 whose body does not decode as the 503 it is, waiting as its Retry-After says', async () => {
  // A gateway's 503 labelled gzip but sent as plain text.
  const { outcome, slept } = await callWithRetries(
    {
      type: 'raw',
      status: 503,
      headers: { 'content-encoding': 'gzip', 'content-type': 'text/plain', 'retry-after': '2' },
      body: 'upstream unavailable'
    },
    { type: 'answer', text: 'Rome.' }
  )
  expect(outcome).toMatchObject({ value: { output: 'Rome.' }, attempts: 2, waitedMs: 2000 })
  expect(slept).toEqual([2000])
})
