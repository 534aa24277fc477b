import { OpenAIProvider } from '../../src/providers/openai.js'
import { DEFAULT_RETRY_POLICY, withRetries } from '../../src/providers/retry.js'
import type { ProviderRequest } from '../../src/providers/types.js'
import { startOpenAIServer } from '../helpers/openai-server.js'

const request: ProviderRequest = {
  prompt: 'Capital of Italy?',
  messages: [{ role: 'user', content: 'Capital of Italy?' }],
  vars: {},
  caseId: 'capitals',
  repeat: 0
}

it('retries a real 429 through the SDK, waiting as its Retry-After says, then answers', async () => {
  const server = await startOpenAIServer()
  try {
    server.enqueue(
      {
        type: 'error',
        status: 429,
        headers: { 'retry-after': '1', 'x-ratelimit-remaining-requests': '0' },
        message: 'Rate limit reached for requests'
      },
      { type: 'answer', text: 'Rome.' }
    )
    const provider = new OpenAIProvider({
      id: 'gpt',
      type: 'openai',
      model: 'gpt-4o-mini',
      params: { temperature: 0 },
      baseUrl: server.baseUrl,
      apiKey: 'sk-test',
      stream: false,
      configFingerprint: 'fp',
      source: { file: 'evals/x.eval.yaml' }
    })
    const slept: number[] = []
    const signal = new AbortController().signal
    const outcome = await withRetries(() => provider.call(request, signal), DEFAULT_RETRY_POLICY, {
      sleep: async (ms) => void slept.push(ms),
      random: () => 0.5,
      signal
    })
    expect(outcome).toMatchObject({ value: { output: 'Rome.' }, attempts: 2, waitedMs: 1000 })
    expect(slept).toEqual([1000])
    // The SDK made exactly one HTTP request per attempt (its own retries are off), identical ones.
    expect(server.requests).toHaveLength(2)
    expect(server.requests[1]?.body).toEqual(server.requests[0]?.body)
    expect(server.violations).toEqual([])
  } finally {
    await server.close()
  }
})
