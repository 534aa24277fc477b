import { Readable } from 'node:stream'
import { request } from 'undici'
import type { Dispatcher } from 'undici'

/**
 * A `fetch` for the OpenAI SDK built on undici's `request`: the same HTTP, without the WHATWG
 * request/stream machinery that global fetch allocates per call — at concurrency 50 that machinery
 * is most of the harness's memory. Bodies the SDK sends are strings; responses stay streamable.
 */
export function createUndiciFetch(agent: Dispatcher): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const headers = new Headers(init?.headers)
    const response = await request(url, {
      method: (init?.method ?? 'GET') as 'GET',
      headers: Object.fromEntries(headers),
      body: typeof init?.body === 'string' ? init.body : undefined,
      signal: init?.signal ?? undefined,
      dispatcher: agent
    })
    const responseHeaders = new Headers()
    for (const [name, value] of Object.entries(response.headers)) {
      if (Array.isArray(value)) for (const item of value) responseHeaders.append(name, item)
      else if (value !== undefined) responseHeaders.set(name, value)
    }
    const noBody = response.statusCode === 204 || response.statusCode === 304
    return new Response(noBody ? null : (Readable.toWeb(response.body) as ReadableStream), {
      status: response.statusCode,
      headers: responseHeaders
    })
  }
}
