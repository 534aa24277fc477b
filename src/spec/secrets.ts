import type { SecretValue } from './types.js'

/**
 * Shortest piece of a secret, at a cut end of a text, still written back: shorter pieces are as
 * likely to be ordinary text as a secret's end.
 */
const SHORTEST_PIECE = 6

/**
 * A text cut short (an error quoting the last 500 characters of stderr, a reason quoting the
 * first 80 of an output) may hold only the end or the start of a secret: written back as well.
 */
function redactCutEnds(text: string, name: string, value: string): string {
  let redacted = text
  for (let length = value.length - 1; length >= SHORTEST_PIECE; length--) {
    if (redacted.startsWith(value.slice(-length))) {
      redacted = `\${${name}}${redacted.slice(length)}`
      break
    }
  }
  // The start of a secret at the end, before the `…` that says where the text was cut.
  const ellipsis = redacted.endsWith('…') ? 1 : 0
  const body = redacted.slice(0, redacted.length - ellipsis)
  for (let length = value.length - 1; length >= SHORTEST_PIECE; length--) {
    if (body.endsWith(value.slice(0, length))) {
      return `${body.slice(0, body.length - length)}\${${name}}${redacted.slice(body.length)}`
    }
  }
  return redacted
}

/**
 * `text` with every secret value written back as the `${NAME}` it came from: the inverse of the
 * spec's `${VAR}` expansion, which says what was there without saying what it is. Secrets go
 * longest first, so one holding another is written back whole.
 */
export function redactText(text: string, secrets: readonly SecretValue[]): string {
  if (secrets.length === 0) return text
  let redacted = text
  for (const { name, value } of [...secrets].sort((a, b) => b.value.length - a.value.length)) {
    redacted = redactCutEnds(redacted.split(value).join(`\${${name}}`), name, value)
  }
  return redacted
}

/** Every string in `value` (deeply: arrays, objects) with the secrets written back. */
export function redactValue<T>(value: T, secrets: readonly SecretValue[]): T {
  if (typeof value === 'string') return redactText(value, secrets) as T
  if (Array.isArray(value)) return value.map((item) => redactValue(item, secrets)) as T
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, redactValue(item, secrets)])
    ) as T
  }
  return value
}
