import { ProviderError, errorMessage } from '../errors.js'
import type { ProviderErrorKind } from '../errors.js'
import type { HttpProviderSpec } from '../spec/types.js'
import { renderTemplate } from '../spec/template.js'
import { redactText } from '../spec/secrets.js'
import type { TokenUsage } from '../results/types.js'
import type { Provider, ProviderRequest, ProviderResponse } from './types.js'
import { abortError } from './abort.js'
import { retryAfterFromHeaders } from './retry.js'
import {
  isOversizedAnswer,
  oversizedAnswerMessage,
  providerConnections,
  redirectMessage
} from './connections.js'
import { request as httpRequest } from 'undici'
import type { IncomingHttpHeaders } from 'undici/types/header.js'

/** Renders every string leaf of a JSON body with the case's variables and `prompt`. */
function renderBody(body: unknown, vars: Record<string, unknown>): unknown {
  if (typeof body === 'string') return renderTemplate(body, vars)
  if (Array.isArray(body)) return body.map((item) => renderBody(item, vars))
  if (body !== null && typeof body === 'object') {
    return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, renderBody(v, vars)]))
  }
  return body
}

/** Follows a dotted path (`choices.0.message.content`) into parsed JSON. */
export function valueAtPath(value: unknown, path: string): unknown {
  let current = value
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined
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
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
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
    const started = performance.now()
    let status: number
    let headers: IncomingHttpHeaders
    let text: string
    try {
      // undici's request, not fetch: the same HTTP without WHATWG streams per call (memory).
      const response = await httpRequest(spec.url, {
        method: spec.method,
        headers: { 'content-type': 'application/json', ...spec.headers },
        ...(spec.method === 'GET' ? {} : { body: JSON.stringify(renderBody(spec.body, vars)) }),
        signal,
        dispatcher: this.agent
      })
      status = response.statusCode
      headers = response.headers
      text = await response.body.text()
    } catch (error) {
      if (signal.aborted) throw abortError(signal)
      if (isOversizedAnswer(error)) {
        throw new ProviderError('malformed-response', oversizedAnswerMessage(this.id))
      }
      // A header value undici refuses (a key with a newline) is the spec's, and fails every time.
      if ((error as { code?: unknown }).code === 'UND_ERR_INVALID_ARG') {
        throw new ProviderError(
          'bad-request',
          `provider ${this.id}: ${errorMessage(error)}; check the provider's headers (a value from \${VAR} may end with a newline)`
        )
      }
      throw new ProviderError(
        'network',
        `provider ${this.id}: the connection to ${spec.url} failed: ${errorMessage(error)}; check url and the network`,
        { retryable: true }
      )
    }
    if (status >= 300 && status <= 399) {
      const location = headers['location']
      throw new ProviderError(
        'bad-request',
        redirectMessage(
          this.id,
          status,
          typeof location === 'string' ? this.excerpt(location, 300) : undefined,
          'url'
        )
      )
    }
    if (status < 200 || status > 299) {
      const kind = classifyStatus(status)
      const retryable = kind === 'rate-limited' || kind === 'server'
      // Retry-After (and friends) is what a 429 or 5xx says about when to come back.
      const retryAfterMs = retryable
        ? retryAfterFromHeaders(
            (name) => {
              const value = headers[name.toLowerCase()]
              return (Array.isArray(value) ? value[0] : value) ?? null
            },
            Date.now(),
            status
          )
        : undefined
      throw new ProviderError(
        kind,
        `provider ${this.id}: HTTP ${status}: ${this.excerpt(text, 300)}${STATUS_HINTS[kind] ?? ''}`,
        { retryable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) }
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
    if (output === undefined || output === null) {
      throw new ProviderError(
        'malformed-response',
        `provider ${this.id}: the response has nothing at \`${spec.outputPath}\`: ${this.excerpt(text, 200)}; check the provider's output path`
      )
    }
    const tokens = spec.usagePaths
      ? tokenUsage(parsed, spec.usagePaths, this.id, (text, chars) => this.excerpt(text, chars))
      : undefined
    return {
      output: typeof output === 'string' ? output : JSON.stringify(output),
      latencyMs: performance.now() - started,
      attempts: 1,
      ...(tokens ? { tokens } : {})
    }
  }
}
