/**
 * What a failed call to an HTTP server says, read the same way by the http and openai providers:
 * an error object in place of an answer, a TLS certificate refused.
 */
import { errorMessage } from '../errors.js'

/**
 * The `error.message` (or `error`, a string) of a body that is an error object rather than an
 * answer, as gateways send with a 200 for an upstream failure; undefined for any other body.
 */
export function errorBodyMessage(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | null)?.error
  const message =
    typeof error === 'string' ? error : (error as { message?: unknown } | null | undefined)?.message
  // An empty `error` beside the answer says there is none.
  return typeof message === 'string' && message.trim() !== '' ? message : undefined
}

/**
 * The first of `error` and its causes whose `code` passes `test` (an Error of node's own realm,
 * not always `instanceof` this one's), with that code.
 */
export function causeWithCode(
  error: unknown,
  test: (code: string) => boolean
): { error: object; code: string } | undefined {
  for (let current = error; typeof current === 'object' && current !== null;) {
    const { code, cause } = current as { code?: unknown; cause?: unknown }
    if (typeof code === 'string' && test(code)) return { error: current, code }
    current = cause
  }
  return undefined
}

const PRIVATE_CA = 'for a private CA, set NODE_EXTRA_CA_CERTS to its certificate (a PEM file)'
/** What to do about each way a server's TLS certificate fails verification. */
const CERTIFICATE_HINTS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: "to trust it, set NODE_EXTRA_CA_CERTS to the certificate's PEM file",
  SELF_SIGNED_CERT_IN_CHAIN: PRIVATE_CA,
  UNABLE_TO_GET_ISSUER_CERT: PRIVATE_CA,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: PRIVATE_CA,
  CERT_UNTRUSTED: PRIVATE_CA,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: `the server may leave out its intermediate certificates; ${PRIVATE_CA}`,
  CERT_HAS_EXPIRED: "the server's certificate must be renewed (or this machine's clock is wrong)",
  CERT_NOT_YET_VALID: "this machine's clock, or the certificate's start date, is wrong",
  ERR_TLS_CERT_ALTNAME_INVALID: "the certificate is for another host name: check the url's host"
}

/**
 * Why the server's TLS certificate was refused, with what to do, when that is why `error` (or a
 * cause of it) failed: the same on every retry, so not worth one.
 */
export function certificateProblem(error: unknown): string | undefined {
  const found = causeWithCode(error, (code) => Object.hasOwn(CERTIFICATE_HINTS, code))
  if (found === undefined) return undefined
  // Node.js's own hint after a `;` (`--use-system-ca`) is for a CA this machine has.
  const what = errorMessage(found.error).split(';')[0]
  return `the server's TLS certificate is not trusted (${found.code}: ${what}); ${CERTIFICATE_HINTS[found.code]}`
}
