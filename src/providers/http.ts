import { ProviderError, errorMessage } from '../errors.js'
import type { ProviderErrorKind } from '../errors.js'
import type { HttpProviderSpec } from '../spec/types.js'
import { renderTemplate } from '../spec/template.js'
import { redactText } from '../spec/secrets.js'
import type { TokenUsage } from '../results/types.js'
import type { Provider, ProviderRequest, ProviderResponse } from './types.js'
import { abortError } from './abort.js'
import { retryAfterFromHeaders } from './retry.js'
import { causeWithCode, certificateProblem, errorBodyMessage } from './failures.js'
import {
  isOversizedAnswer,
  oversizedAnswerMessage,
  providerConnections,
  redirectMessage
} from './connections.js'
import { withEnvValues } from '../spec/env-reference.js'
import { request as httpRequest } from 'undici'
import type { Dispatcher } from 'undici'

/** Every string leaf of a JSON body, as `leaf` makes it. */
export function mapBodyText(body: unknown, leaf: (text: string) => string): unknown {
  if (typeof body === 'string') return leaf(body)
  if (Array.isArray(body)) return body.map((item) => mapBodyText(item, leaf))
  if (body !== null && typeof body === 'object') {
    return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, mapBodyText(v, leaf)]))
  }
  return body
}

/** Follows a dotted path (`choices.0.message.content`) into parsed JSON: own fields only. */
export function valueAtPath(value: unknown, path: string): unknown {
  let current = value
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) {
      return undefined
    }
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

/**
 * The token counts at the spec's `usage` paths; a path not configured counts 0. A configured path
 * without a count is a malformed answer: silently dropping it would hide a wrong path.
 */
function tokenUsage(
  parsed: unknown,
  paths: NonNullable<HttpProviderSpec['usagePaths']>,
  id: string,
  excerpt: (text: string, chars: number) => string
): TokenUsage {
  const count = (path: string | undefined): number => {
    if (path === undefined) return 0
    const value = valueAtPath(parsed, path)
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      const found = excerpt(JSON.stringify(value) ?? 'nothing', 80)
      throw new ProviderError(
        'malformed-response',
        `provider ${id}: the response has no token count at \`${path}\` (found ${found})`
      )
    }
    return value
  }
  return { input: count(paths.input), output: count(paths.output) }
}

function classifyStatus(status: number): ProviderError['kind'] {
  if (status === 401 || status === 403) return 'auth'
  if (status === 429) return 'rate-limited'
  if (status >= 500) return 'server'
  return 'bad-request'
}

/** What to check, after an error status of each kind. */
const STATUS_HINTS: Partial<Record<ProviderErrorKind, string>> = {
  auth: "; check the provider's headers (its key)",
  'bad-request': '; check url, method and body'
}

/** How much of an error status's answer is read: its error message is at the start. */
const ERROR_TEXT_BYTES = 64 * 1024

/** The first `bytes` (about) of an answer, the rest left unread. */
async function textPrefix(body: Dispatcher.ResponseData['body'], bytes: number): Promise<string> {
  const chunks: Buffer[] = []
  let read = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk)
    read += chunk.length
    if (read >= bytes) break
  }
  body.destroy()
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Whether `error`, or a cause of it, is zlib's or brotli's refusal of what it was to decompress
 * (an Error of node's own realm, not always `instanceof` this one's).
 */
function isDecodingError(error: unknown): boolean {
  return (
    causeWithCode(error, (code) => /^(Z_|ERR_BROTLI|ERR__ERROR_FORMAT|ERR_ZSTD)/.test(code)) !==
    undefined
  )
}

/** A Location header as the URL it points to: a relative one resolved against the request's. */
function absoluteUrl(location: string, requestUrl: string): string {
  try {
    return new URL(location, requestUrl).href
  } catch {
    return location
  }
}

/** Any JSON HTTP endpoint: a templated body in, the output at a path of the JSON answer. */
export class HttpProvider implements Provider {
  readonly type = 'http'
  readonly id: string

  /** Keep-alive connections of this provider, closed with it. */
  private readonly agent = providerConnections()

  constructor(private readonly spec: HttpProviderSpec) {
    this.id = spec.id
  }

  /**
   * The start of what the server sent, for an error message: secrets written back before the cut,
   * since a key cut in half is no longer recognisable as the key (servers echo headers in errors).
   */
  private excerpt(text: string, chars: number): string {
    return redactText(text, this.spec.secrets ?? []).slice(0, chars)
  }

  async close(): Promise<void> {
    await this.agent.close()
  }

  async call(request: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse> {
    const { spec } = this
    const vars = { ...request.vars, prompt: request.prompt }
    const env = spec.bodyEnv ?? {}
    const body =
      spec.method === 'GET' || spec.body === undefined
        ? undefined
        : JSON.stringify(
            mapBodyText(spec.body, (text) =>
              withEnvValues(text, env, (literal) => renderTemplate(literal, vars))
            )
          )
    // The user's Content-Type, in whatever case it is written, is the one sent.
    const headers =
      body === undefined || Object.keys(spec.headers).some((name) => /^content-type$/i.test(name))
        ? spec.headers
        : { 'content-type': 'application/json', ...spec.headers }
    const started = performance.now()
    let response: Dispatcher.ResponseData
    try {
      // undici's request, not fetch: the same HTTP without WHATWG streams per call (memory).
      response = await httpRequest(spec.url, {
        method: spec.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal,
        dispatcher: this.agent
      })
    } catch (error) {
      throw this.connectionError(error, signal)
    }
    const { statusCode: status, headers: answerHeaders } = response
    const succeeded = status >= 200 && status <= 299
    let text: string
    try {
      // Of an error status, only the start is quoted: a huge one keeps its status's retry.
      text = succeeded
        ? await response.body.text()
        : await textPrefix(response.body, ERROR_TEXT_BYTES)
    } catch (error) {
      // An error status is the answer whatever its body: a gateway's 503 labelled gzip but sent
      // plain is still a 503, retried as one.
      if (succeeded || signal.aborted) throw this.connectionError(error, signal)
      text = `(body not readable: ${errorMessage(error)})`
    }
    const location = answerHeaders['location']
    if (status >= 300 && status <= 399 && status !== 304 && typeof location === 'string') {
      throw new ProviderError(
        'bad-request',
        redirectMessage(this.id, status, this.excerpt(absoluteUrl(location, spec.url), 300), 'url')
      )
    }
    // Retry-After (and friends) is what a 429 or 5xx says about when to come back.
    const retryAfter = (): { retryAfterMs?: number } => {
      const retryAfterMs = retryAfterFromHeaders(
        (name) => {
          const value = answerHeaders[name.toLowerCase()]
          return (Array.isArray(value) ? value[0] : value) ?? null
        },
        Date.now(),
        status
      )
      return retryAfterMs === undefined ? {} : { retryAfterMs }
    }
    if (!succeeded) {
      const kind = classifyStatus(status)
      const retryable = kind === 'rate-limited' || kind === 'server'
      throw new ProviderError(
        kind,
        `provider ${this.id}: HTTP ${status}: ${this.excerpt(text, 300)}${STATUS_HINTS[kind] ?? ''}`,
        { retryable, ...(retryable ? retryAfter() : {}) }
      )
    }
    if (text.trim() === '') {
      throw new ProviderError(
        'malformed-response',
        `provider ${this.id}: HTTP ${status}: the response is empty; the output must be at \`${spec.outputPath}\` of a JSON answer`
      )
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new ProviderError(
        'malformed-response',
        `provider ${this.id}: the response is not JSON: ${this.excerpt(text, 200)}`
      )
    }
    const output = valueAtPath(parsed, spec.outputPath)
    const serverMessage = output == null ? errorBodyMessage(parsed) : undefined
    if (serverMessage !== undefined) {
      // Gateways answer an upstream failure with a 200 and an error body: a server error.
      throw new ProviderError(
        'server',
        `provider ${this.id}: the server answered with an error: ${this.excerpt(serverMessage, 300)}`,
        { retryable: true, ...retryAfter() }
      )
    }
    if (output === undefined || output === null) {
      throw new ProviderError(
        'malformed-response',
        `provider ${this.id}: the response has nothing at \`${spec.outputPath}\`: ${this.excerpt(text, 200)}; check the provider's output path`
      )
    }
    const tokens = spec.usagePaths
      ? tokenUsage(parsed, spec.usagePaths, this.id, (text, chars) => this.excerpt(text, chars))
      : undefined
    const model = spec.modelPath === undefined ? undefined : valueAtPath(parsed, spec.modelPath)
    return {
      output: typeof output === 'string' ? output : JSON.stringify(output),
      latencyMs: performance.now() - started,
      attempts: 1,
      ...(tokens ? { tokens } : {}),
      ...(typeof model === 'string' && model !== '' ? { model } : {})
    }
  }

  /**
   * The error of a request that got no whole answer. One that does not decompress is the
   * server's doing, the same on a retry.
   */
  private connectionError(error: unknown, signal: AbortSignal): Error {
    if (signal.aborted) return abortError(signal)
    if (isOversizedAnswer(error)) {
      return new ProviderError('malformed-response', oversizedAnswerMessage(this.id))
    }
    if (isDecodingError(error)) {
      return new ProviderError(
        'malformed-response',
        `provider ${this.id}: the answer's compression (its Content-Encoding) is corrupt: ${errorMessage(error)}; check what the endpoint returns`
      )
    }
    // A header value undici refuses (a key with a newline) is the spec's, and fails every time.
    if ((error as { code?: unknown }).code === 'UND_ERR_INVALID_ARG') {
      return new ProviderError(
        'bad-request',
        `provider ${this.id}: ${errorMessage(error)}; check the provider's headers (a value from \${VAR} may end with a newline)`
      )
    }
    const untrusted = certificateProblem(error)
    if (untrusted !== undefined) {
      return new ProviderError(
        'network',
        `provider ${this.id}: the connection to ${this.spec.url} failed: ${untrusted}`
      )
    }
    return new ProviderError(
      'network',
      `provider ${this.id}: the connection to ${this.spec.url} failed: ${errorMessage(error)}; check url and the network`,
      { retryable: true }
    )
  }
}
