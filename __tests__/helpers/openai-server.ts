/**
 * A local OpenAI-compatible Chat Completions server for tests and benchmarks: `POST
 * /v1/chat/completions`, plain and streamed (SSE), with scriptable failures.
 *
 * It validates every request body it receives against `CreateChatCompletionRequest` and every
 * answer it sends against `CreateChatCompletionResponse` / `CreateChatCompletionStreamResponse` /
 * `ErrorResponse` from OpenAI's official OpenAPI description, so a test cannot pass against an API
 * that does not exist. Violations are collected in `server.violations` (tests assert it is empty);
 * an invalid request is also answered 400, as the real API does. Only the deliberately malformed
 * answers (`{ type: 'malformed' }`, `{ type: 'raw' }`) skip response validation.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { ValidateFunction } from 'ajv/dist/2020.js'

/**
 * OpenAI's official OpenAPI description (2.3.0, MIT, vendored with its licence beside it).
 * `EVALGATE_OPENAI_OPENAPI` overrides the path. A missing file fails loudly — validation is never
 * silently skipped.
 */
const OPENAPI_PATH =
  process.env['EVALGATE_OPENAI_OPENAPI'] ??
  fileURLToPath(new URL('../fixtures/openai/openai-openapi.yaml', import.meta.url))

const SCHEMA_ID = 'https://evalgate.test/openai-openapi.json'

/** What the server received; `body` is the parsed JSON, or the raw text when it was not JSON. */
export interface ReceivedRequest {
  method: string
  path: string
  /** The path with its query, as received (still percent-encoded). */
  url: string
  headers: IncomingHttpHeaders
  body: unknown
}

export interface Violation {
  /** Which schema failed: the request received or the answer sent. */
  against:
    | 'CreateChatCompletionRequest'
    | 'CreateChatCompletionResponse'
    | 'CreateChatCompletionStreamResponse'
    | 'ErrorResponse'
    | 'route'
  message: string
}

export interface UsageScript {
  promptTokens?: number
  /** Includes `reasoningTokens`, as OpenAI counts them. */
  completionTokens?: number
  cachedTokens?: number
  reasoningTokens?: number
}

/** What the server does with one request. */
export type Behaviour =
  | {
      type: 'answer'
      /** Defaults to `echo: <last message>`; null: a message without text (`content: null`). */
      text?: string | null
      /** The first choice refuses: this `refusal` text, and `content: null` (text is ignored). */
      refusal?: string
      /** The texts of choices 1, 2… (as `n` asks), streamed interleaved with the first's. */
      otherChoices?: string[]
      /** The first choice calls this function (`tool_calls`), as a model given `tools` may. */
      toolCall?: { name: string; arguments: string }
      /** `system_fingerprint` and `service_tier` in the first chunk only, as some servers do. */
      metadataInFirstChunkOnly?: boolean
      /** Before the headers are sent. */
      delayMs?: number
      /** Between a stream's headers, sent at once, and its first chunk. */
      firstChunkDelayMs?: number
      /** Between streamed chunks. */
      chunkDelayMs?: number
      /** A stream's content type; defaults to `text/event-stream` (some proxies say JSON). */
      streamContentType?: string
      /** The model id reported back; defaults to the requested one. */
      model?: string
      /** The service tier reported back; defaults to `default`. */
      serviceTier?: 'default' | 'flex' | 'priority' | 'scale'
      usage?: UsageScript
      /** An answer with `choices: []` (valid per the schema, useless to a caller). */
      noChoices?: boolean
      /** A gzip'ed body (`content-encoding: gzip`), whatever the request accepted. */
      gzip?: boolean
      /** Why the answer ended; defaults to `stop` (`length`: cut off at max_tokens). */
      finishReason?: 'stop' | 'length' | 'content_filter' | 'tool_calls'
    }
  | {
      type: 'error'
      status: number
      /** The error's `code` and `type` (by default null and one that goes with the status). */
      code?: string
      errorType?: string
      headers?: Record<string, string>
      /** The error message; a function sees the request (e.g. to echo a header back). */
      message?: string | ((request: ReceivedRequest) => string)
      delayMs?: number
    }
  /**
   * Destroys the socket: before any answer, or after `afterChunks` streamed chunks. With
   * `endCleanly`, a stream ends there as a complete response would (no last choice, no [DONE]).
   */
  | { type: 'reset'; afterChunks?: number; delayMs?: number; endCleanly?: boolean }
  /**
   * Sends this text as a 200 `application/json` body, or as the data of one SSE event when the
   * request streams (not validated: it is meant to be wrong).
   */
  | { type: 'malformed'; body: string }
  /** Anything at all, not validated: a status no API description has (204, 302), a huge body. */
  | { type: 'raw'; status: number; headers?: Record<string, string>; body?: string }

export interface OpenAIServerOptions {
  /** Answers requests once the queue is empty; defaults to an echo answer. */
  respond?: (request: ReceivedRequest, index: number) => Behaviour
  /** Validate against the OpenAPI schemas (default true). The benchmark turns it off for speed. */
  validate?: boolean
  systemFingerprint?: string
}

export interface OpenAIServer {
  /** `http://127.0.0.1:<port>/v1`: what the OpenAI SDK takes as baseURL. */
  baseUrl: string
  requests: ReceivedRequest[]
  violations: Violation[]
  /** Behaviours for the next requests, in order; the `respond` function takes over after them. */
  enqueue(...behaviours: Behaviour[]): void
  close(): Promise<void>
}

interface Validators {
  request: ValidateFunction
  response: ValidateFunction
  chunk: ValidateFunction
  error: ValidateFunction
}

/**
 * OpenAPI 3.1 schemas are JSON Schema 2020-12 except for leftovers of OpenAPI 3.0 that this
 * description still uses: `nullable: true` means "or null" (without it, the real API's
 * `finish_reason: null` chunks would fail). Rewritten as `anyOf [schema, null]`; every other
 * constraint is kept. OpenAPI-only annotations (`discriminator`, `x-*`, `example`) carry no
 * constraint and are ignored (ajv `strict: false`); `oneOf` still decides.
 */
function honourNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(honourNullable)
  if (node === null || typeof node !== 'object') return node
  const { nullable, ...rest } = node as Record<string, unknown>
  const converted = Object.fromEntries(
    Object.entries(rest).map(([key, value]) => [key, honourNullable(value)])
  )
  return nullable === true ? { anyOf: [converted, { type: 'null' }] } : converted
}

let validators: Validators | undefined

/** Loaded on first use (ajv and yaml imported then), so the benchmark's server does without. */
async function loadValidators(): Promise<Validators> {
  if (validators) return validators
  if (!existsSync(OPENAPI_PATH)) {
    throw new Error(
      `OpenAI's OpenAPI description is missing at ${OPENAPI_PATH}; set EVALGATE_OPENAI_OPENAPI`
    )
  }
  const [{ Ajv2020 }, { parse: parseYaml }] = await Promise.all([
    import('ajv/dist/2020.js'),
    import('yaml')
  ])
  const document = parseYaml(readFileSync(OPENAPI_PATH, 'utf8')) as {
    components: { schemas: Record<string, unknown> }
  }
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  // The formats this description uses, checked for what they promise.
  ajv.addFormat('unixtime', { type: 'number', validate: (n) => Number.isInteger(n) && n >= 0 })
  ajv.addFormat('int64', { type: 'number', validate: (n) => Number.isInteger(n) })
  ajv.addFormat('double', { type: 'number', validate: (n) => Number.isFinite(n) })
  ajv.addFormat('float', { type: 'number', validate: (n) => Number.isFinite(n) })
  ajv.addFormat('uri', (text) => URL.canParse(text))
  ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/)
  ajv.addFormat('binary', () => true)
  ajv.addSchema({
    $id: SCHEMA_ID,
    components: { schemas: honourNullable(document.components.schemas) }
  })
  const compile = (name: string): ValidateFunction =>
    ajv.compile({ $ref: `${SCHEMA_ID}#/components/schemas/${name}` })
  validators = {
    request: compile('CreateChatCompletionRequest'),
    response: compile('CreateChatCompletionResponse'),
    chunk: compile('CreateChatCompletionStreamResponse'),
    error: compile('ErrorResponse')
  }
  return validators
}

/**
 * The schema problems of `value` against one of the OpenAPI schemas the server checks, or
 * undefined when it conforms: lets a test prove the validation rejects what it should.
 */
export async function openAPIProblems(
  schema: Exclude<Violation['against'], 'route'>,
  value: unknown
): Promise<string | undefined> {
  const all = await loadValidators()
  const validator = {
    CreateChatCompletionRequest: all.request,
    CreateChatCompletionResponse: all.response,
    CreateChatCompletionStreamResponse: all.chunk,
    ErrorResponse: all.error
  }[schema]
  return validator(value) ? undefined : describeErrors(validator)
}

function describeErrors(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .slice(0, 8)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
    .join('; ')
}

/** A crude but deterministic token count: words, plus OpenAI's few tokens of per-message overhead. */
function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length
}

interface ChatRequestBody {
  model: string
  messages: { role: string; content: unknown }[]
  stream?: boolean
  stream_options?: { include_usage?: boolean } | null
}

function messageText(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content)) {
    return content
      .map((part: { text?: unknown }) => (typeof part.text === 'string' ? part.text : ''))
      .join(' ')
  }
  return ''
}

function usageFor(body: ChatRequestBody, text: string, script: UsageScript = {}) {
  const promptTokens =
    script.promptTokens ??
    body.messages.reduce((sum, m) => sum + 3 + countWords(messageText(m.content)), 3)
  const reasoningTokens = script.reasoningTokens ?? 0
  const completionTokens = script.completionTokens ?? countWords(text) + reasoningTokens
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: script.cachedTokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0
    }
  }
}

function echoText(body: ChatRequestBody): string {
  const last = body.messages[body.messages.length - 1]
  return `echo: ${last ? messageText(last.content) : ''}`
}

function errorType(status: number): string {
  if (status === 401 || status === 403) return 'invalid_request_error'
  if (status === 429) return 'rate_limit_exceeded'
  if (status >= 500) return 'server_error'
  return 'invalid_request_error'
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => (text += chunk))
    request.on('end', () => resolve(text))
    request.on('error', reject)
  })
}

export async function startOpenAIServer(options: OpenAIServerOptions = {}): Promise<OpenAIServer> {
  const validate = options.validate ?? true
  const checks = validate ? await loadValidators() : undefined
  const systemFingerprint = options.systemFingerprint ?? 'fp_evalgate_test'
  const respond = options.respond ?? (() => ({ type: 'answer' }) as const)
  const queue: Behaviour[] = []
  const requests: ReceivedRequest[] = []
  const violations: Violation[] = []
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()

  const wait = (ms: number | undefined): Promise<void> =>
    !ms
      ? Promise.resolve()
      : new Promise((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer)
            resolve()
          }, ms)
          timers.add(timer)
        })

  const check = (against: keyof Validators, value: unknown, name: Violation['against']): void => {
    const validator = checks?.[against]
    if (validator && !validator(value)) {
      violations.push({ against: name, message: describeErrors(validator) })
    }
  }

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }

  const sendError = (
    res: ServerResponse,
    status: number,
    message: string,
    headers: Record<string, string> = {},
    kind: { code?: string; errorType?: string } = {}
  ): void => {
    const body = {
      error: {
        message,
        type: kind.errorType ?? errorType(status),
        param: null,
        code: kind.code ?? null
      }
    }
    check('error', body, 'ErrorResponse')
    sendJson(res, status, body, headers)
  }

  const answer = async (
    body: ChatRequestBody,
    behaviour: Extract<Behaviour, { type: 'answer' }>,
    req: IncomingMessage,
    res: ServerResponse
  ): Promise<void> => {
    await wait(behaviour.delayMs)
    const text =
      behaviour.refusal !== undefined
        ? null
        : behaviour.text === undefined
          ? echoText(body)
          : behaviour.text
    const texts = [text, ...(behaviour.otherChoices ?? [])]
    const finishReason = behaviour.finishReason ?? 'stop'
    const toolCall = behaviour.toolCall && {
      id: 'call_0',
      type: 'function' as const,
      function: behaviour.toolCall
    }
    const base = {
      id: `chatcmpl-${requests.length}`,
      created: Math.floor(Date.now() / 1000),
      model: behaviour.model ?? body.model,
      system_fingerprint: systemFingerprint
    }
    const usage = usageFor(body, text ?? '', behaviour.usage)
    if (!body.stream) {
      const completion = {
        ...base,
        object: 'chat.completion',
        choices: behaviour.noChoices
          ? []
          : texts.map((content, index) => ({
              index,
              message: {
                role: 'assistant',
                content,
                refusal: index === 0 ? (behaviour.refusal ?? null) : null,
                annotations: [],
                ...(toolCall && index === 0 ? { tool_calls: [toolCall] } : {})
              },
              logprobs: null,
              finish_reason: finishReason
            })),
        usage,
        service_tier: behaviour.serviceTier ?? 'default'
      }
      check('response', completion, 'CreateChatCompletionResponse')
      if (behaviour.gzip) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
        return void res.end(gzipSync(JSON.stringify(completion)))
      }
      return sendJson(res, 200, completion)
    }
    const includeUsage = body.stream_options?.include_usage === true
    let chunksMade = 0
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => {
      const { system_fingerprint, ...required } = base
      const metadata =
        behaviour.metadataInFirstChunkOnly && chunksMade++ > 0
          ? {}
          : { system_fingerprint, service_tier: behaviour.serviceTier ?? 'default' }
      return {
        ...required,
        ...metadata,
        object: 'chat.completion.chunk',
        choices,
        ...(includeUsage ? { usage: null } : {}),
        ...extra
      }
    }
    // Each choice's deltas in order; the stream takes one of each choice's in turn.
    const deltas = texts.map((content, index) => [
      { role: 'assistant', content: content === null ? null : '' },
      ...(toolCall && index === 0 ? [{ tool_calls: [{ index: 0, ...toolCall }] }] : []),
      ...(behaviour.refusal !== undefined && index === 0 ? [{ refusal: behaviour.refusal }] : []),
      ...(content?.match(/\S+\s*|\s+/g) ?? []).map((piece) => ({ content: piece }))
    ])
    const rounds = Math.max(...deltas.map((list) => list.length))
    const chunks = []
    if (!behaviour.noChoices) {
      for (let round = 0; round < rounds; round++) {
        deltas.forEach((list, index) => {
          const delta = list[round]
          if (delta) chunks.push(chunk([{ index, delta, finish_reason: null }]))
        })
      }
      texts.forEach((_, index) =>
        chunks.push(chunk([{ index, delta: {}, finish_reason: finishReason }]))
      )
    }
    if (includeUsage) chunks.push(chunk([], { usage }))
    res.writeHead(200, {
      'content-type': behaviour.streamContentType ?? 'text/event-stream',
      'cache-control': 'no-cache'
    })
    if (behaviour.firstChunkDelayMs !== undefined) {
      res.flushHeaders()
      await wait(behaviour.firstChunkDelayMs)
    }
    for (const [i, data] of chunks.entries()) {
      if (res.destroyed) return
      if (i > 0) await wait(behaviour.chunkDelayMs)
      check('chunk', data, 'CreateChatCompletionStreamResponse')
      res.write(`data: ${JSON.stringify(data)}\n\n`)
    }
    res.end('data: [DONE]\n\n')
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req)
    let parsed: unknown = raw
    try {
      parsed = JSON.parse(raw)
    } catch {
      // Kept as text: the request is recorded as received.
    }
    const path = (req.url ?? '').split('?')[0] ?? ''
    const received: ReceivedRequest = {
      method: req.method ?? '',
      path,
      url: req.url ?? '',
      headers: req.headers,
      body: parsed
    }
    const index = requests.push(received) - 1
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      violations.push({ against: 'route', message: `unexpected ${req.method} ${req.url}` })
      return sendError(res, 404, `no route ${req.method} ${path}`)
    }
    if (checks && !checks.request(parsed)) {
      const message = describeErrors(checks.request)
      violations.push({ against: 'CreateChatCompletionRequest', message })
      return sendError(res, 400, `invalid request: ${message}`)
    }
    const body = parsed as ChatRequestBody
    const behaviour = queue.shift() ?? respond(received, index)
    switch (behaviour.type) {
      case 'answer':
        return answer(body, behaviour, req, res)
      case 'error': {
        await wait(behaviour.delayMs)
        const message =
          typeof behaviour.message === 'function'
            ? behaviour.message(received)
            : (behaviour.message ?? `scripted HTTP ${behaviour.status}`)
        return sendError(res, behaviour.status, message, behaviour.headers, behaviour)
      }
      case 'reset':
        await wait(behaviour.delayMs)
        if (behaviour.afterChunks !== undefined && body.stream) {
          res.writeHead(200, { 'content-type': 'text/event-stream' })
          for (let i = 0; i < behaviour.afterChunks; i++) {
            const data = {
              id: 'chatcmpl-reset',
              object: 'chat.completion.chunk',
              created: Math.floor(Date.now() / 1000),
              model: body.model,
              choices: [{ index: 0, delta: { content: `part${i} ` }, finish_reason: null }]
            }
            check('chunk', data, 'CreateChatCompletionStreamResponse')
            res.write(`data: ${JSON.stringify(data)}\n\n`)
          }
          if (behaviour.endCleanly) return void res.end()
          // Let the chunks reach the client before the connection dies.
          await wait(20)
        }
        req.socket.destroy()
        return
      case 'raw':
        res.writeHead(behaviour.status, behaviour.headers)
        return void res.end(behaviour.body)
      case 'malformed':
        if (body.stream) {
          res.writeHead(200, { 'content-type': 'text/event-stream' })
          res.end(`data: ${behaviour.body}\n\ndata: [DONE]\n\n`)
        } else {
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end(behaviour.body)
        }
        return
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      violations.push({ against: 'route', message: `server failure: ${String(error)}` })
      if (!res.headersSent) sendError(res, 500, 'test server failure')
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 60_000
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    violations,
    enqueue: (...behaviours) => void queue.push(...behaviours),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer)
        for (const socket of sockets) socket.destroy()
        server.close((error) => (error ? reject(error) : resolve()))
      })
  }
}
