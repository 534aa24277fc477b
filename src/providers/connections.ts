import { Agent, interceptors } from 'undici'
import type { Dispatcher } from 'undici'
import { causeWithCode } from './failures.js'

/**
 * The largest answer a provider may send, decompressed: far above any model's output, and small
 * enough that a run's concurrent calls cannot exhaust memory on a runaway server.
 */
export const MAX_ANSWER_BYTES = 32 * 2 ** 20

/**
 * A provider's connections: kept alive between calls, answers decompressed as `fetch` would
 * (a server may gzip whatever the request asked) and refused past MAX_ANSWER_BYTES. undici's own
 * limits on waiting for headers and between body chunks (300 s each by default) are off: a call's
 * time limit is its `timeout`, up to 24 hours, enforced through its abort signal.
 */
export function providerConnections(): Dispatcher {
  return new Agent({
    keepAliveTimeout: 30_000,
    maxResponseSize: MAX_ANSWER_BYTES,
    headersTimeout: 0,
    bodyTimeout: 0
  }).compose(interceptors.decompress({ maxSize: MAX_ANSWER_BYTES, skipErrorResponses: false }))
}

/** Whether `error`, or a cause of it, is the refusal of an answer over MAX_ANSWER_BYTES. */
export function isOversizedAnswer(error: unknown): boolean {
  return causeWithCode(error, (code) => code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') !== undefined
}

/** The error of an answer over MAX_ANSWER_BYTES: the server's doing, the same on every retry. */
export function oversizedAnswerMessage(id: string): string {
  return `provider ${id}: the answer is larger than ${MAX_ANSWER_BYTES / 2 ** 20} MB; check what the endpoint returns`
}

/**
 * The error of a redirect: not followed, so a key goes only where the spec says; the spec's
 * `setting` should name the new place instead.
 */
export function redirectMessage(
  id: string,
  status: number,
  location: string | undefined,
  setting: string
): string {
  const to = location ? ` to ${location}` : ''
  return `provider ${id}: HTTP ${status}: the server redirects${to}, and redirects are not followed (a key goes only where the spec says); set ${setting} to where it points`
}
