/**
 * A local HTTPS server whose certificate no one trusts: self-signed, for localhost and 127.0.0.1,
 * valid until 2126 (`__tests__/fixtures/tls`, made with `openssl req -x509 -newkey ec …`).
 */
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'

export interface UntrustedServer {
  /** `https://127.0.0.1:<port>`. */
  origin: string
  /** TCP connections opened to it: one per attempt, none of which gets an answer through. */
  connections: number
  close(): Promise<void>
}

export async function startUntrustedServer(): Promise<UntrustedServer> {
  const fixtures = new URL('../fixtures/tls/', import.meta.url)
  const server = createServer(
    {
      key: await readFile(new URL('self-signed.key', fixtures)),
      cert: await readFile(new URL('self-signed.crt', fixtures))
    },
    (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
  )
  const started: UntrustedServer = {
    origin: '',
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
  server.on('connection', () => started.connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  started.origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  return started
}
