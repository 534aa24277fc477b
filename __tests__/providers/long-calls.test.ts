import { jest } from '@jest/globals'
import { createServer } from 'node:http'
import type { Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createProvider } from '../../src/providers/index.js'
import type { ProviderRequest } from '../../src/providers/types.js'
import type { ProviderSpec } from '../../src/spec/types.js'

/**
 * Calls whose provider `timeout` is longer than the HTTP stack's own defaults (undici's 300 s for
 * headers and between body chunks, the OpenAI SDK's 10 minutes). The clock is Jest's: the test
 * moves it 20 minutes on while the server holds the answer back, then lets it go.
 */

const request: ProviderRequest = {
  prompt: 'think long',
  messages: [{ role: 'user', content: 'think long' }],
  vars: {},
  caseId: 'case-1',
  repeat: 0
}
const never = new AbortController().signal
const source = { file: 'evals/x.eval.yaml', line: 3 }
const MINUTE_MS = 60_000

const completion = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'done', refusal: null },
      logprobs: null,
      finish_reason: 'stop'
    }
  ],
  usage: { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 }
})

let server: Server
let baseUrl: string
/** The answers the server holds back, one per request received. */
const held: ServerResponse[] = []

beforeAll(async () => {
  // Real I/O, a fake clock for the whole file: undici's timers, once started, stay on it.
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] })
  server = createServer((req, res) => {
    req.resume()
    req.on('end', () => held.push(res))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  jest.useRealTimers()
})

async function received(count: number): Promise<ServerResponse> {
  while (held.length < count) await new Promise((resolve) => setImmediate(resolve))
  return held[count - 1] as ServerResponse
}

/** Whether `promise` has settled, without waiting for it. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false
  promise.then(
    () => (done = true),
    () => (done = true)
  )
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve))
  return done
}

/** Moves the clock 20 minutes on, a tick at a time, and checks the call is still waiting. */
async function twentyMinutesLater(call: Promise<unknown>): Promise<void> {
  for (let i = 0; i < 20; i++) await jest.advanceTimersByTimeAsync(MINUTE_MS)
  expect(await settled(call)).toBe(false)
}

it('waits longer than 10 minutes for the headers of an openai answer', async () => {
  const spec: ProviderSpec = {
    id: 'slow',
    type: 'openai',
    model: 'gpt-4o-mini',
    params: {},
    baseUrl: `${baseUrl}/v1`,
    apiKey: 'sk-test',
    stream: false,
    timeoutMs: 60 * MINUTE_MS,
    configFingerprint: 'fp',
    answerConfigFingerprint: 'fp',
    source
  }
  const provider = await createProvider(spec)
  try {
    const call = provider.call(request, never)
    call.catch(() => undefined)
    const response = await received(held.length + 1)
    await twentyMinutesLater(call)
    response.writeHead(200, { 'content-type': 'application/json' }).end(completion)
    await expect(call).resolves.toMatchObject({ output: 'done' })
  } finally {
    await provider.close?.()
  }
})

it('waits longer than 5 minutes between the chunks of an http answer', async () => {
  const spec: ProviderSpec = {
    id: 'slow',
    type: 'http',
    url: `${baseUrl}/answer`,
    method: 'POST',
    headers: {},
    body: { input: '{{prompt}}' },
    outputPath: 'text',
    timeoutMs: 60 * MINUTE_MS,
    configFingerprint: 'fp',
    answerConfigFingerprint: 'fp',
    source
  }
  const provider = await createProvider(spec)
  try {
    const call = provider.call(request, never)
    call.catch(() => undefined)
    const response = await received(held.length + 1)
    response.writeHead(200, { 'content-type': 'application/json' })
    response.write('{"text": ')
    await twentyMinutesLater(call)
    response.end('"done"}')
    await expect(call).resolves.toMatchObject({ output: 'done' })
  } finally {
    await provider.close?.()
  }
})
