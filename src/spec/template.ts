/**
 * `{{var}}` templating for prompts and expectations. Deliberately tiny: placeholders name a
 * variable or a dotted path into it (`{{customer.name}}`); there is no logic, so a template cannot
 * fail in a surprising way. A missing variable is an error, never an empty string.
 */
// A variable's name is letters of any script (`città`, `名前`), digits, `_` and `-`, starting with
// a letter or `_`, as case files' columns and keys are written; a field's may start with a digit.
const NAME_CHARS = '[\\p{L}\\p{M}\\p{N}_-]'
const NAME = `[\\p{L}_]${NAME_CHARS}*`
const PLACEHOLDER = new RegExp(`\\{\\{\\s*(${NAME}(?:\\.${NAME_CHARS}+)*)\\s*\\}\\}`, 'gu')
const WHOLE_NAME = new RegExp(`^${NAME}$`, 'u')

/** Whether `{{name}}` can refer to the variable `name`. */
export function isPlaceholderName(name: string): boolean {
  return WHOLE_NAME.test(name)
}

// A well-formed placeholder, or a `{{` that starts something meant as one (a name, `}` or the end
// follows) but is not. Other `{{` (`{{{`, `{{"key": …}}` in a JSON example) stay literal text.
const PLACEHOLDER_OR_BROKEN = new RegExp(
  `${PLACEHOLDER.source}|\\{\\{(?=\\s*(?:[\\p{L}\\p{N}_.-]|\\}|$))`,
  'gu'
)

export class MissingVariableError extends Error {
  readonly variable: string
  constructor(variable: string) {
    super(`variable \`${variable}\` is not set`)
    this.variable = variable
  }
}

/**
 * Whether two variable names are one name: compared composed (NFC), as a name typed `città` may be
 * stored decomposed (`a` + U+0300) by a macOS file system, an editor or a CSV export.
 */
export function sameName(a: string, b: string): boolean {
  return a === b || a.normalize('NFC') === b.normalize('NFC')
}

/** The key of `holder` that `name` names, the one written alike first; the data keeps its own. */
function ownKey(holder: object, name: string): string | undefined {
  if (Object.hasOwn(holder, name)) return name
  return Object.keys(holder).find((key) => sameName(key, name))
}

function lookup(vars: Record<string, unknown>, path: string): unknown {
  let value: unknown = vars
  for (const name of path.split('.')) {
    const key = value !== null && typeof value === 'object' ? ownKey(value, name) : undefined
    if (key === undefined) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

/**
 * The part of `path` (all of it, or a variable or field along it) whose value is null, if any: a
 * `{{customer.name}}` of a case with `customer: null` has `customer` null.
 */
export function nullPart(vars: Record<string, unknown>, path: string): string | undefined {
  const keys = path.split('.')
  for (let length = 1; length <= keys.length; length++) {
    const part = keys.slice(0, length).join('.')
    if (lookup(vars, part) === null) return part
  }
  return undefined
}

/** Whether `vars` has a value for `path`: what renderTemplate requires of every placeholder. */
export function isVariableSet(vars: Record<string, unknown>, path: string): boolean {
  const value = lookup(vars, path)
  return value !== undefined && value !== null
}

/**
 * The text a number variable was written as in its case file (`02139`, `9.90`), where it differs
 * from the number's own (2139, 9.9): templates render what the file says, while the variable stays
 * a number for the code that receives it (module providers, javascript scorers). A symbol key, so
 * JSON, Object.keys, case ids and fingerprints never see it; spreads copy it along.
 */
const WRITTEN_AS = Symbol('evalgate.writtenAs')

type WithWrittenNumbers = object & { [WRITTEN_AS]?: Record<string, string> }

/**
 * Remembers that `holder[key]` (an object's field or an array's item), a number or a boolean, was
 * written as `text`.
 */
export function rememberWrittenNumber(holder: object, key: string, text: string): void {
  const value = (holder as Record<string, unknown>)[key]
  if ((typeof value !== 'number' && typeof value !== 'boolean') || text === String(value)) return
  const target = holder as WithWrittenNumbers
  target[WRITTEN_AS] = { ...target[WRITTEN_AS], [key]: text }
}

/** The text `holder[key]` was written as, when it reads otherwise as a number or boolean. */
export function writtenAs(holder: unknown, key: string): string | undefined {
  return holder !== null && typeof holder === 'object'
    ? (holder as WithWrittenNumbers)[WRITTEN_AS]?.[key]
    : undefined
}

/** A number as JSON may write it: the written text is kept only where it is still valid JSON. */
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/

/** JSON of a variable's value, its numbers as the case file writes them where JSON allows. */
function jsonAsWritten(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  const member = (key: string, item: unknown): string => {
    const text = writtenAs(value, key)
    return text !== undefined && JSON_NUMBER.test(text) ? text : jsonAsWritten(item)
  }
  if (Array.isArray(value)) {
    return `[${value.map((item, index) => member(String(index), item)).join(',')}]`
  }
  const fields = Object.entries(value).map(
    ([key, item]) => `${JSON.stringify(key)}:${member(key, item)}`
  )
  return `{${fields.join(',')}}`
}

function stringify(value: unknown): string {
  return typeof value === 'string' ? value : jsonAsWritten(value)
}

/** The text as written of the number at `path`, if it was written otherwise than it prints. */
function writtenNumber(vars: Record<string, unknown>, path: string): string | undefined {
  const dot = path.lastIndexOf('.')
  const holder = dot === -1 ? vars : lookup(vars, path.slice(0, dot))
  if (holder === null || typeof holder !== 'object') return undefined
  const key = ownKey(holder, path.slice(dot + 1))
  return key === undefined ? undefined : writtenAs(holder, key)
}

/** The variables a template refers to, in order of first use. */
export function templateVariables(template: string): string[] {
  return [...new Set(Array.from(template.matchAll(PLACEHOLDER), (m) => m[1] as string))]
}

/** `template` with its placeholders written alike (`{{ a }}` as `{{a}}`): it renders as `template` does. */
export function canonicalTemplate(template: string): string {
  return template.replace(PLACEHOLDER, (_match, path: string) => `{{${path}}}`)
}

/** What is wrong with the `{{` at `start`, which does not start a well-formed placeholder. */
function brokenPlaceholder(template: string, start: number): string {
  // As written: up to its closing braces, or a short way.
  const text = /^\{\{[^{}\n]{0,40}\}{0,2}/.exec(template.slice(start))?.[0] ?? '{{'
  if (!text.endsWith('}}')) return `placeholder \`${text}\` is not closed by \`}}\``
  if (text.slice(2, -2).trim() === '') return `empty placeholder \`${text}\``
  return `placeholder \`${text}\` is not a variable name`
}

/**
 * What is wrong with each placeholder of `template` that is not well formed (`{{b}`, `{{}}`,
 * `{{a b}}`, an unclosed `{{a`), and where it starts: renderTemplate would leave it as text,
 * never what was meant.
 */
export function brokenPlaceholders(template: string): { problem: string; offset: number }[] {
  return Array.from(template.matchAll(PLACEHOLDER_OR_BROKEN))
    .filter((match) => match[1] === undefined)
    .map((match) => ({ problem: brokenPlaceholder(template, match.index), offset: match.index }))
}

/** Where `{{name}}` first appears in `template`; 0 when it does not. */
export function placeholderOffset(template: string, name: string): number {
  return Array.from(template.matchAll(PLACEHOLDER)).find((m) => m[1] === name)?.index ?? 0
}

/** Renders `template`; throws MissingVariableError for the first placeholder without a value. */
export function renderTemplate(template: string, vars: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_match, path: string) => {
    if (!isVariableSet(vars, path)) throw new MissingVariableError(path)
    return writtenNumber(vars, path) ?? stringify(lookup(vars, path))
  })
}
