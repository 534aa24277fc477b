import type { SecretValue } from './types.js'

/**
 * `text` with every secret value written back as the `${NAME}` it came from: the inverse of the
 * spec's `${VAR}` expansion, which says what was there without saying what it is.
 */
export function redactText(text: string, secrets: readonly SecretValue[]): string {
  let redacted = text
  for (const { name, value } of secrets) redacted = redacted.split(value).join(`\${${name}}`)
  return redacted
}
