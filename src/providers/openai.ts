import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  OpenAIError
} from 'openai'
import { Stream } from 'openai/streaming'
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming
} from 'openai/resources/chat/completions'
import type { CompletionUsage } from 'openai/resources/completions'
import { ProviderError, errorMessage } from '../errors.js'
import type { TokenUsage } from '../results/types.js'
import type { OpenAIProviderSpec } from '../spec/types.js'
import { MAX_DURATION_MS } from '../spec/duration.js'
import { redactText } from '../spec/secrets.js'
import { abortError } from './abort.js'
import { OPENAI_API_URL } from './prices.js'
import { retryAfterFromHeaders } from './retry.js'
import type { Provider, ProviderRequest, ProviderResponse } from './types.js'
import { createUndiciFetch } from './undici-fetch.js'
import { certificateProblem, errorBodyMessage } from './failures.js'
import {
  isOversizedAnswer,
  oversizedAnswerMessage,
  providerConnections,
  redirectMessage
} from './connections.js'

/**
 * Sent as the key to an OpenAI-compatible server (`baseUrl`) when none is configured: local
 * servers (Ollama, vLLM…) ignore it, but the SDK refuses to run without one.
 */
const NO_KEY = 'evalgate-no-api-key'
/** How much of a server's error message a ProviderError quotes. */
const SERVER_MESSAGE_CHARS = 300

export interface OpenAIProviderOptions {
  /** Where OPENAI_API_KEY is read when the spec has no apiKey (default process.env). */
  env?: Record<string, string | undefined>
}

function tokenUsage(usage: CompletionUsage | null | undefined): TokenUsage | undefined {
  if (!usage) return undefined
  // Compatible servers (proxies) send an unknown breakdown as null: absent, as when left out.
  const cached: unknown = usage.prompt_tokens_details?.cached_tokens
  const reasoning: unknown = usage.completion_tokens_details?.reasoning_tokens
  return {
    input: usage.prompt_tokens,
    output: usage.completion_tokens,
    ...(cached != null ? { cachedInput: cached as number } : {}),
    ...(reasoning != null ? { reasoning: reasoning as number } : {})
  }
}

/** The innermost cause's message: "fetch failed" says less than "other side closed". */
function rootCause(error: unknown): string {
  let current = error
  while (current instanceof Error && current.cause instanceof Error) current = current.cause
  return errorMessage(current)
}

/**
 * The choice an answer is read from: the first (`index` 0). With `params: { n: 2 }` a stream
 * interleaves the chunks of every choice, each marked with its index.
 */
function firstChoice<Choice extends { index?: number }>(
  choices: readonly Choice[] | null | undefined
): Choice | undefined {
  return choices?.find((choice) => (choice.index ?? 0) === 0)
}

/**
 * The reasons that say an answer was not finished: the token limit (`length`; Mistral's
 * `model_length`, its context), a content filter, or tool calls instead of text. Any other — `stop`,
 * and what some compatible servers say for a natural end (`eos_token`, `stop_sequence`, `end`) —
 * is a finished answer.
 */
const UNFINISHED = new Set([
  'length',
  'model_length',
  'content_filter',
  'tool_calls',
  'function_call'
])

/** Why the model stopped, recorded only when that left its answer unfinished. */
function unnaturalFinish(reason: string | null | undefined): { finishReason?: string } {
  return reason && UNFINISHED.has(reason) ? { finishReason: reason } : {}
}

/** Space, tab, line feed and carriage return: what JSON allows before its value. */
const JSON_BLANKS = new Set([0x20, 0x09, 0x0a, 0x0d])
/** The UTF-8 byte order mark some servers put before their body, which a text decoder drops. */
const BYTE_ORDER_MARK = [0xef, 0xbb, 0xbf]
/** What an event stream's first line opens with: `data:`, `event:`, `id:`, `retry:` or `:`. */
const EVENT_LINE_STARTS = new Set([...'deir:'].map((c) => c.charCodeAt(0)))

/**
 * Whether a body opens with a line of an event stream (a byte order mark and blanks aside), and
 * the body whole again, still streaming: only what it took to see its first character is read
 * ahead.
 */
async function peekBody(
  body: ReadableStream<Uint8Array>
): Promise<{ opensEvents: boolean; body: ReadableStream<Uint8Array> }> {
  const reader = body.getReader()
  const readAhead: Uint8Array[] = []
  let position = 0
  let markLength = 0
  let first: number | undefined
  while (first === undefined) {
    const { done, value } = await reader.read()
    if (done) break
    readAhead.push(value)
    for (const byte of value) {
      // The mark counts only at the very start of the body, as a decoder drops it.
      const inMark = position === markLength && byte === BYTE_ORDER_MARK[markLength]
      position++
      if (inMark) markLength++
      else if (!JSON_BLANKS.has(byte)) {
        first = byte
        break
      }
    }
  }
  const whole = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of readAhead) controller.enqueue(chunk)
    },
    async pull(controller) {
      const { done, value } = await reader.read()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    cancel: (reason) => reader.cancel(reason)
  })
  return { opensEvents: first !== undefined && EVENT_LINE_STARTS.has(first), body: whole }
}

/**
 * A base URL's query as the SDK's `defaultQuery`, read as written (`%XX` decoded, a `+` kept): the
 * SDK would read it as a form (`+` a space) and send the key of `?key=${KEY}` changed. Undefined
 * when the query has none, or repeats a name (the SDK keeps such a query as it reads it).
 */
function baseQuery(url: URL): Record<string, string> | undefined {
  const query: Record<string, string> = {}
  for (const pair of url.search.slice(1).split('&')) {
    if (pair === '') continue
    const equals = pair.indexOf('=')
    const name = decodedQueryPart(equals < 0 ? pair : pair.slice(0, equals))
    const value = equals < 0 ? '' : decodedQueryPart(pair.slice(equals + 1))
    if (Object.hasOwn(query, name)) return undefined
    query[name] = value
  }
  return Object.keys(query).length > 0 ? query : undefined
}

function decodedQueryPart(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    // A stray `%` is a character of the value: the SDK sends it encoded, as `%25`.
    return part
  }
}

/**
 * The OpenAI Chat Completions API through the official SDK, or any OpenAI-compatible server via
 * `baseUrl`. One attempt per call: the SDK's own retries are off (`maxRetries: 0`) because
 * retries, backoff and rate limits are evalgate's (providers/retry.ts, run/rate-limit.ts), so
 * they are counted in the RunResult.
 */
export class OpenAIProvider implements Provider {
  readonly type = 'openai'
  readonly id: string
  private readonly client: OpenAI
  private readonly apiKey: string | undefined
  private readonly agent = providerConnections()

  constructor(
    private readonly spec: OpenAIProviderSpec,
    options: OpenAIProviderOptions = {}
  ) {
    this.id = spec.id
    const env = options.env ?? process.env
    // With a base URL and no key of its own, OPENAI_API_KEY is not sent to that other server.
    // An empty OPENAI_API_KEY (a secret a fork's pull request cannot see) is no key.
    const apiKey = spec.apiKey ?? (spec.baseUrl ? NO_KEY : env['OPENAI_API_KEY'] || undefined)
    this.apiKey = apiKey
    const endpoint = new URL(spec.baseUrl ?? OPENAI_API_URL)
    const query = baseQuery(endpoint)
    if (query) endpoint.search = ''
    // The SDK's `timeout` (10 min by default) is longer than any a spec may set, never reached:
    // `timeoutMs` is enforced through the abort signal (below), as for every provider, so a
    // timeout is classified and worded the same way whatever its length.
    this.client = new OpenAI({
      // Without a key (a replay run without secrets) the first call fails as `auth`, below.
      apiKey: apiKey ?? NO_KEY,
      // The endpoint is the spec's alone: OPENAI_BASE_URL, which the SDK would read, is not (a
      // hidden input would send the key elsewhere and price its answers as OpenAI's).
      baseURL: query ? endpoint.href : (spec.baseUrl ?? OPENAI_API_URL),
      ...(query ? { defaultQuery: query } : {}),
      // OPENAI_ORG_ID and OPENAI_PROJECT_ID, which the SDK would send anywhere, are OpenAI's.
      ...(spec.baseUrl ? { organization: null, project: null } : {}),
      maxRetries: 0,
      timeout: MAX_DURATION_MS + 60_000,
      // The SDK would print raw server chunks to stderr; every failure is reported as an error.
      logLevel: 'off',
      fetch: createUndiciFetch(this.agent)
    })
  }

  async close(): Promise<void> {
    await this.agent.close()
  }

  async call(request: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse> {
    if (this.apiKey === undefined) {
      throw new ProviderError(
        'auth',
        `provider ${this.id}: no API key: set OPENAI_API_KEY or the provider's api-key (e.g. api-key: \${OPENAI_API_KEY})`
      )
    }
    const callSignal =
      this.spec.timeoutMs !== undefined
        ? AbortSignal.any([signal, AbortSignal.timeout(this.spec.timeoutMs)])
        : signal
    if (callSignal.aborted) throw abortError(callSignal)
    const started = performance.now()
    try {
      return this.spec.stream
        ? await this.callStreaming(request, callSignal, started)
        : await this.callOnce(request, callSignal, started)
    } catch (error) {
      throw this.classify(error, callSignal)
    }
  }

  private body(request: ProviderRequest): ChatCompletionCreateParamsNonStreaming {
    // `params` are the spec's pass-through (temperature, max_tokens, seed…); the API validates them.
    return {
      ...this.spec.params,
      model: this.spec.model,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content }))
    } as ChatCompletionCreateParamsNonStreaming
  }

  private async callOnce(
    request: ProviderRequest,
    signal: AbortSignal,
    started: number
  ): Promise<ProviderResponse> {
    // The SDK gives null for an answer without a body (HTTP 204).
    const completion: ChatCompletion | null = await this.client.chat.completions.create(
      this.body(request),
      { signal }
    )
    return this.completionAnswer(completion, performance.now() - started)
  }

  /** The answer of a whole chat completion: its first choice, scored as the model gave it. */
  private completionAnswer(completion: ChatCompletion | null, latencyMs: number): ProviderResponse {
    const choice = firstChoice(completion?.choices)
    if (!completion || !choice?.message) throw this.notAnAnswer(completion)
    // `content` is null for an answer of tool calls only, or one a content filter stopped: an
    // answer all the same, with no text to score.
    const { content, refusal } = choice.message
    const tokens = tokenUsage(completion.usage)
    return {
      output: content || refusal || '',
      latencyMs,
      attempts: 1,
      ...(!content && refusal ? { refused: true } : {}),
      ...(tokens ? { tokens } : {}),
      ...(completion.model ? { model: completion.model } : {}),
      ...(completion.system_fingerprint ? { fingerprint: completion.system_fingerprint } : {}),
      ...(completion.service_tier ? { serviceTier: completion.service_tier } : {}),
      ...unnaturalFinish(choice.finish_reason)
    }
  }

  /** Why a body with no choice to read is no answer: the server's own error first. */
  private notAnAnswer(body: unknown): ProviderError {
    const serverMessage = errorBodyMessage(body)
    if (serverMessage !== undefined) {
      // Gateways answer an upstream failure with a 200 and an error body: a server error.
      return new ProviderError(
        'server',
        `provider ${this.id}: the server answered with an error: ${this.redact(serverMessage).slice(0, SERVER_MESSAGE_CHARS)}`,
        { retryable: true }
      )
    }
    return this.malformed(
      "the answer has no choices (not a chat completion); check base-url: the server's API root, such as `http://localhost:11434/v1`"
    )
  }

  private async callStreaming(
    request: ProviderRequest,
    signal: AbortSignal,
    started: number
  ): Promise<ProviderResponse> {
    const params = this.spec.params as { stream_options?: Record<string, unknown> }
    const body = {
      ...this.body(request),
      stream: true,
      stream_options: { ...params.stream_options, include_usage: true }
    } as ChatCompletionCreateParamsStreaming
    const { data: sdkStream, response } = await this.client.chat.completions
      .create(body, { signal })
      .withResponse()
    let stream = sdkStream
    // A JSON body instead of events (an error, or a server that does not stream) is read as such,
    // where the stream would find no events in it. A proxy may label its events JSON too: a body
    // that opens with an event's line is the stream it is; any other (empty, HTML…) is read as
    // JSON, whose error says what is wrong with it.
    if (/\bjson\b/i.test(response.headers.get('content-type') ?? '') && response.body) {
      const peeked = await peekBody(response.body)
      const labelledJson = new Response(peeked.body, { headers: response.headers })
      if (!peeked.opensEvents) {
        const json: unknown = JSON.parse(await labelledJson.text())
        return this.completionAnswer(json as ChatCompletion, performance.now() - started)
      }
      stream = Stream.fromSSEResponse<ChatCompletionChunk>(
        labelledJson,
        sdkStream.controller,
        this.client
      )
    }
    let content = ''
    let refusal = ''
    let sawChoice = false
    let finishReason: string | null | undefined
    let ttftMs: number | undefined
    // Kept from whichever chunk said them last: some servers leave them out of the last chunks.
    let model: string | undefined
    let fingerprint: string | undefined
    let serviceTier: string | undefined
    let usage: CompletionUsage | undefined
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage
      model = chunk.model || model
      fingerprint = chunk.system_fingerprint || fingerprint
      serviceTier = chunk.service_tier || serviceTier
      const choice = firstChoice(chunk.choices)
      finishReason = choice?.finish_reason || finishReason
      const delta = choice?.delta
      if (!delta) continue
      sawChoice = true
      if (delta.content) {
        ttftMs ??= performance.now() - started
        content += delta.content
      }
      if (delta.refusal) refusal += delta.refusal
    }
    // The SDK's stream ends quietly when the signal aborts it: a stream cut by a timeout or a
    // cancelled run ends as the call does, not as a short answer.
    if (signal.aborted) throw abortError(signal)
    const latencyMs = performance.now() - started
    if (!sawChoice) throw this.malformed('the stream had no choices')
    // A stream closed cleanly before its last choice says why it stopped was cut short: scoring
    // the text so far would score half an answer.
    if (!finishReason) {
      throw new ProviderError(
        'network',
        `provider ${this.id}: the stream ended before the answer was finished (no finish_reason); the connection to ${this.spec.baseUrl ?? this.client.baseURL} was cut`,
        { retryable: true }
      )
    }
    const tokens = tokenUsage(usage)
    return {
      output: content || refusal,
      latencyMs,
      ...(!content && refusal ? { refused: true } : {}),
      ...(ttftMs !== undefined ? { ttftMs } : {}),
      attempts: 1,
      ...(tokens ? { tokens } : {}),
      ...(model ? { model } : {}),
      ...(fingerprint ? { fingerprint } : {}),
      ...(serviceTier ? { serviceTier } : {}),
      ...unnaturalFinish(finishReason)
    }
  }

  private malformed(what: string): ProviderError {
    return new ProviderError('malformed-response', `provider ${this.id}: ${what}`)
  }

  /** Never let the key out: servers echo it in errors, and so could a cause's message. */
  private redact(text: string): string {
    const written = redactText(text, this.spec.secrets ?? [])
    // A key from no `${VAR}` of the spec (the SDK's environment) has no name to be written as.
    return this.apiKey === undefined ? written : written.split(this.apiKey).join('[redacted]')
  }

  private serverMessage(error: APIError): string {
    const body = error.error as { message?: unknown } | undefined
    const text =
      typeof body?.message === 'string' ? body.message : JSON.stringify(body ?? error.message)
    return this.redact(text ?? '').slice(0, SERVER_MESSAGE_CHARS)
  }

  /** Maps what the SDK (or the stream) threw to a ProviderError; no cause is attached (it holds headers). */
  private classify(error: unknown, signal: AbortSignal): ProviderError {
    if (error instanceof ProviderError) return error
    if (signal.aborted) return abortError(signal)
    const id = this.id
    if (isOversizedAnswer(error)) {
      return new ProviderError('malformed-response', oversizedAnswerMessage(id))
    }
    const where = this.spec.baseUrl ?? this.client.baseURL
    if (error instanceof APIConnectionTimeoutError || error instanceof APIUserAbortError) {
      return new ProviderError('timeout', `provider ${id}: no answer from ${where} in time`, {
        retryable: true
      })
    }
    const untrusted = certificateProblem(error)
    if (untrusted !== undefined) {
      return new ProviderError(
        'network',
        this.redact(`provider ${id}: the connection to ${where} failed: ${untrusted}`)
      )
    }
    if (error instanceof APIConnectionError) {
      return new ProviderError(
        'network',
        this.redact(
          `provider ${id}: the connection to ${where} failed: ${rootCause(error)}; check base-url and the network`
        ),
        { retryable: true }
      )
    }
    if (error instanceof APIError && error.status !== undefined) {
      return this.classifyStatus(error, error.status)
    }
    if (error instanceof APIError) {
      // An `error` event in the middle of a stream (the server overloaded mid-answer): no status,
      // and as passing as a 5xx.
      return new ProviderError(
        'server',
        `provider ${id}: the stream broke off with an error: ${this.serverMessage(error)}`,
        { retryable: true }
      )
    }
    if (error instanceof SyntaxError || error instanceof OpenAIError) {
      return this.malformed(
        this.redact(`the answer is not valid JSON: ${errorMessage(error)}`).slice(0, 400)
      )
    }
    // Anything else was thrown by the transport mid-answer (e.g. undici's "terminated").
    return new ProviderError(
      'network',
      this.redact(`provider ${id}: the connection to ${where} failed: ${rootCause(error)}`),
      { retryable: true }
    )
  }

  private classifyStatus(error: APIError, status: number): ProviderError {
    const id = this.id
    const detail = this.serverMessage(error)
    if (status === 401 || status === 403) {
      return new ProviderError(
        'auth',
        `provider ${id}: HTTP ${status} (not authorised): ${detail}; check the provider's api-key (OPENAI_API_KEY when it has none)`
      )
    }
    const retryAfterMs = error.headers
      ? retryAfterFromHeaders((name) => error.headers?.get(name), Date.now(), status)
      : undefined
    const after = retryAfterMs !== undefined ? { retryAfterMs } : {}
    // OpenAI's 429 for an account out of credit: no wait ends it, only its billing does.
    if (
      status === 429 &&
      (error.code === 'insufficient_quota' || error.type === 'insufficient_quota')
    ) {
      return new ProviderError(
        'auth',
        `provider ${id}: HTTP 429 (quota exceeded): ${detail}; check the plan and billing of the account the provider's api-key belongs to`
      )
    }
    if (status === 429) {
      return new ProviderError(
        'rate-limited',
        `provider ${id}: HTTP 429 (rate limited): ${detail}`,
        { retryable: true, ...after }
      )
    }
    if (status >= 500) {
      return new ProviderError('server', `provider ${id}: HTTP ${status}: ${detail}`, {
        retryable: true,
        ...after
      })
    }
    if (status >= 300 && status <= 399) {
      const location = error.headers?.get('location') ?? undefined
      return new ProviderError(
        'bad-request',
        redirectMessage(id, status, location && this.redact(location).slice(0, 300), 'base-url')
      )
    }
    const hint = status === 404 ? '; check model and base-url' : '; check model and params'
    return new ProviderError('bad-request', `provider ${id}: HTTP ${status}: ${detail}${hint}`)
  }
}
