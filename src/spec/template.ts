/**
 * `{{var}}` templating for prompts and expectations. Deliberately tiny: placeholders name a
 * variable or a dotted path into it (`{{customer.name}}`); there is no logic, so a template cannot
 * fail in a surprising way. A missing variable is an error, never an empty string.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*\}\}/g

export class MissingVariableError extends Error {
  readonly variable: string
  constructor(variable: string) {
    super(`variable \`${variable}\` is not set`)
    this.variable = variable
  }
}

function lookup(vars: Record<string, unknown>, path: string): unknown {
  let value: unknown = vars
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

/** Whether `vars` has a value for `path`: what renderTemplate requires of every placeholder. */
export function isVariableSet(vars: Record<string, unknown>, path: string): boolean {
  const value = lookup(vars, path)
  return value !== undefined && value !== null
}

function stringify(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** The variables a template refers to, in order of first use. */
export function templateVariables(template: string): string[] {
  return [...new Set(Array.from(template.matchAll(PLACEHOLDER), (m) => m[1] as string))]
}

/** Renders `template`; throws MissingVariableError for the first placeholder without a value. */
export function renderTemplate(template: string, vars: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_match, path: string) => {
    if (!isVariableSet(vars, path)) throw new MissingVariableError(path)
    return stringify(lookup(vars, path))
  })
}
