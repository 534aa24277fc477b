/** A local HTTP endpoint for the http provider's tests: it records each request and answers from a queue. */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What the endpoint answers next: status, headers and the raw body. */
export interface Reply {
  status: number
  headers?: Record<string, string>
  body: string | Buffer
}

/** A request the endpoint received, its headers as sent (`rawHeaders`: names in their case). */
export interface Received {
  method: string
  rawHeaders: string[]
  headers: IncomingHttpHeaders
  body: string
}

export interface JsonEndpoint {
  /** The endpoint's URL, `/answer` on 127.0.0.1. */
  url: string
  /** Answered in order; once empty, `fallback` (a JSON content type unless a reply says). */
  replies: Reply[]
  received: Received[]
  close(): Promise<void>
}

export async function startJsonEndpoint(fallback: Reply): Promise<JsonEndpoint> {
  const replies: Reply[] = []
  const received: Received[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        rawHeaders: req.rawHeaders,
        headers: req.headers,
        body
      })
      const reply = replies.shift() ?? fallback
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
      res.end(reply.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/answer`,
    replies,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
