import { ProviderError, errorMessage } from '../errors.js'
import type { HttpProviderSpec } from '../spec/types.js'
import { renderTemplate } from '../spec/template.js'
import type { Provider, ProviderRequest, ProviderResponse } from './types.js'
import { abortError } from './abort.js'

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

function classifyStatus(status: number): ProviderError['kind'] {
  if (status === 401 || status === 403) return 'auth'
  if (status === 429) return 'rate-limited'
  if (status >= 500) return 'server'
  return 'bad-request'
}

/** Any JSON HTTP endpoint: a templated body in, the output at a path of the JSON answer. */
export class HttpProvider implements Provider {
  readonly type = 'http'
  readonly id: string

  constructor(private readonly spec: HttpProviderSpec) {
    this.id = spec.id
  }

  async call(request: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse> {
    const { spec } = this
    const vars = { ...request.vars, prompt: request.prompt }
    const started = performance.now()
    let response: Response
    try {
      response = await fetch(spec.url, {
        method: spec.method,
        headers: { 'content-type': 'application/json', ...spec.headers },
        ...(spec.method === 'GET' ? {} : { body: JSON.stringify(renderBody(spec.body, vars)) }),
        signal
      })
    } catch (error) {
      if (signal.aborted) throw abortError(signal)
      throw new ProviderError('network', `provider ${this.id}: ${errorMessage(error)}`, {
        retryable: true
      })
    }
    const text = await response.text().catch((error: unknown) => {
      if (signal.aborted) throw abortError(signal)
      throw new ProviderError('network', `provider ${this.id}: ${errorMessage(error)}`)
    })
    if (!response.ok) {
      const kind = classifyStatus(response.status)
      throw new ProviderError(
        kind,
        `provider ${this.id}: HTTP ${response.status}: ${text.slice(0, 300)}`,
        {
          retryable: kind === 'rate-limited' || kind === 'server'
        }
      )
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new ProviderError(
        'malformed-response',
        `provider ${this.id}: the response is not JSON: ${text.slice(0, 200)}`
      )
    }
    const output = valueAtPath(parsed, spec.outputPath)
    if (output === undefined || output === null) {
      throw new ProviderError(
        'malformed-response',
        `provider ${this.id}: the response has nothing at \`${spec.outputPath}\``
      )
    }
    return {
      output: typeof output === 'string' ? output : JSON.stringify(output),
      latencyMs: performance.now() - started,
      attempts: 1
    }
  }
}
