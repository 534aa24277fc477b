// `${NAME}` is replaced by the environment variable; `$${NAME}` stays a literal `${NAME}`.
export const ENV_REFERENCE = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g

/**
 * `text` with each `${VAR}` replaced by its value in `env` (a `$${VAR}` by a literal `${VAR}`) and
 * the text between them passed through `literal`: the template around an environment value is
 * rendered, never the value, which is sent exactly as set.
 */
export function withEnvValues(
  text: string,
  env: Readonly<Record<string, string>>,
  literal: (text: string) => string = (text) => text
): string {
  let result = ''
  let end = 0
  for (const match of text.matchAll(ENV_REFERENCE)) {
    const [reference, escaped, name] = match
    result += literal(text.slice(end, match.index))
    result += escaped ? reference.slice(1) : (env[name as string] ?? reference)
    end = match.index + reference.length
  }
  return result + literal(text.slice(end))
}
