import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv'
import { Ajv2019 } from 'ajv/dist/2019.js'
import { Ajv2020 } from 'ajv/dist/2020.js'
import ajvFormats from 'ajv-formats'
import draft06MetaSchema from 'ajv/dist/refs/json-schema-draft-06.json' with { type: 'json' }
import { closestMatch, suggestOrList } from '../spec/did-you-mean.js'
import type { JsonSchemaScorerSpec } from '../spec/types.js'
import { ScorerConfigProblem } from './errors.js'
import { PASSED, failed, type Outcome, type ScoreFunction } from './outcome.js'
import { quote, truncate } from './reason.js'

// A CommonJS module whose `exports.default` is the plugin: the default import is its exports.
const addFormats = ajvFormats.default

type ParsedJson = { ok: true; value: unknown } | { ok: false; outcome: Outcome }

/**
 * Strict on purpose: the raw output must be JSON (surrounding whitespace and a byte order mark
 * aside). A reply wrapped in
 * a ```json fence or prose fails, because the system under test is what a caller would parse.
 */
function parseOutput(output: string): ParsedJson {
  try {
    // A leading byte order mark is no part of the text, as the text scorers' trimming drops it.
    return { ok: true, value: JSON.parse(output.replace(/^\uFEFF/, '')) }
  } catch (error) {
    const fenced = /^\s*```/.test(output) ? ' (it is wrapped in a ``` fence)' : ''
    const why = (error as Error).message
    return {
      ok: false,
      outcome: failed(truncate(`output is not valid JSON${fenced}: ${why}: ${quote(output)}`))
    }
  }
}

/** json-valid: the output parses as JSON; any JSON value counts, a bare `42` or `"text"` too. */
export function jsonValidScorer(): ScoreFunction {
  return ({ output }) => {
    const parsed = parseOutput(output)
    return parsed.ok ? PASSED : parsed.outcome
  }
}

/** The drafts a schema may declare in `$schema`, by their meta-schema's URI, `#` left out. */
const DRAFT_OF_URI: Record<string, 'draft-06' | 'draft-07' | '2019-09' | '2020-12'> = {
  'http://json-schema.org/draft-07/schema': 'draft-07',
  'http://json-schema.org/draft-06/schema': 'draft-06',
  'https://json-schema.org/draft/2019-09/schema': '2019-09',
  'https://json-schema.org/draft/2020-12/schema': '2020-12'
}

/** The draft `schema` declares; draft-07 when it names none (or `$schema` is no text at all). */
function declaredDraft(schema: Record<string, unknown>): string | undefined {
  if (typeof schema.$schema !== 'string') return 'draft-07'
  return DRAFT_OF_URI[schema.$schema.replace(/#$/, '')]
}

/** The ajv for the draft the schema declares (draft-06 is draft-07's ajv with its meta-schema). */
function ajvFor(schema: Record<string, unknown>, options: Options): Ajv | Ajv2019 | Ajv2020 {
  const draft = declaredDraft(schema)
  if (draft === '2020-12') return new Ajv2020(options)
  if (draft === '2019-09') return new Ajv2019(options)
  const ajv = new Ajv(options)
  if (draft === 'draft-06') ajv.addMetaSchema(draft06MetaSchema)
  return ajv
}

/** Why the `$schema` of `schema` cannot be checked, when it names no draft ajv checks. */
function unsupportedDraft(schema: Record<string, unknown>): SchemaMistake | undefined {
  if (declaredDraft(schema) !== undefined) return undefined
  const declared = String(schema.$schema)
  const supported = Object.keys(DRAFT_OF_URI).map((uri) =>
    uri.startsWith('http:') ? `${uri}#` : uri
  )
  const drafts = `the drafts checked: ${supported.join(', ')}; without $schema, a schema is read as draft-07`
  if (/draft-0[0-4]\b/.test(declared)) {
    return {
      at: ['$schema'],
      message: `invalid JSON Schema: ${declared} is not supported: draft-04 and older read \`exclusiveMinimum\`, \`exclusiveMaximum\` and \`id\` otherwise than later drafts`,
      hint: `rewrite it for a later draft, where \`minimum: 5, exclusiveMinimum: true\` is \`exclusiveMinimum: 5\` and \`id\` is \`$id\`; ${drafts}`
    }
  }
  const meant = closestMatch(declared, supported)
  return {
    at: ['$schema'],
    message: `invalid JSON Schema: $schema ${declared} names no draft that evalgate checks`,
    hint: meant === undefined ? drafts : `did you mean \`${meant}\`? ${drafts}`
  }
}

/** Values a schema allows, as JSON, as many as fit in a short reason. */
function allowedList(values: readonly unknown[]): string {
  const shown: string[] = []
  let length = 0
  for (const value of values) {
    const text = JSON.stringify(value) ?? String(value)
    if (shown.length > 0 && length + text.length > 60) return `${shown.join(', ')}, …`
    shown.push(text)
    length += text.length + 2
  }
  return shown.join(', ')
}

/** What ajv knows of an error beyond its message: the key that is not allowed, the values that are. */
function errorDetail(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>
  const key = params.additionalProperty ?? params.unevaluatedProperty ?? params.propertyName
  if (typeof key === 'string') return ` (${quote(key)})`
  if (Array.isArray(params.allowedValues)) return `: ${allowedList(params.allowedValues)}`
  if ('allowedValue' in params) return `: ${allowedList([params.allowedValue])}`
  const missing = params.missingProperty
  if (typeof missing === 'string' && !error.message?.includes(missing)) {
    return ` (${quote(missing)})`
  }
  return ''
}

function describe(error: ErrorObject): string {
  return `${error.instancePath || '/'} ${error.message ?? `fails ${error.keyword}`}${errorDetail(error)}`
}

/** A mistake at one place of a JSON Schema: the keys and indexes that lead there, and what is wrong. */
export interface SchemaMistake {
  at: (string | number)[]
  message: string
  hint: string
}

const DRAFTS_HINT = 'draft-07 by default, or draft-06, 2019-09 or 2020-12 declared in $schema'

/** The keys and indexes a JSON Pointer names in `value`. */
function pointerPath(pointer: string, value: unknown): (string | number)[] {
  const path: (string | number)[] = []
  let current = value
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    path.push(Array.isArray(current) ? Number(segment) : segment)
    current = (current as Record<string, unknown> | undefined)?.[segment]
  }
  return path
}

/**
 * Every place where `schema` breaks its draft's meta-schema (a type name that is no type, a
 * `minimum` that is no number…), at once: compiling stops at the first.
 */
export function schemaMistakes(schema: Record<string, unknown>): SchemaMistake[] {
  const unsupported = unsupportedDraft(schema)
  if (unsupported !== undefined) return [unsupported]
  const ajv = ajvFor(schema, { allErrors: true, verbose: true, logger: false })
  if (ajv.validateSchema(schema) === true) return []
  const errors = ajv.errors ?? []
  // `type` is one name or a list of names: when a name is wrong, the "must be array" of the
  // other form and the anyOf over both say nothing more.
  const named = new Set(errors.filter((e) => e.keyword === 'enum').map((e) => e.instancePath))
  return errors
    .filter((error) => error.keyword !== 'anyOf')
    .filter((error) => error.keyword === 'enum' || !named.has(error.instancePath))
    .map((error) => {
      const at = pointerPath(error.instancePath, schema)
      if (error.keyword !== 'enum') {
        return {
          at,
          message: `invalid JSON Schema: ${error.message ?? error.keyword}`,
          hint: DRAFTS_HINT
        }
      }
      const allowed = ((error.params as { allowedValues?: unknown[] }).allowedValues ?? []).map(
        String
      )
      return {
        at,
        message: `invalid JSON Schema: ${JSON.stringify(error.data)} is not one of its values`,
        hint: suggestOrList(String(error.data), allowed, 'allowed values')
      }
    })
}

/** Turns ajv's compile error into a problem a user can act on. */
function schemaProblem(ajvMessage: string, keywords: readonly string[]): ScorerConfigProblem {
  const unknownFormat = /^unknown format "([^"]*)" ignored in schema at path "([^"]*)"/.exec(
    ajvMessage
  )
  if (unknownFormat) {
    return new ScorerConfigProblem(
      'schema',
      `invalid JSON Schema: format "${unknownFormat[1]}" at ${unknownFormat[2]} is not supported`,
      'the formats checked are those of ajv-formats (date, time, date-time, duration, email, hostname, ipv4, ipv6, uri, uuid, regex…); for another, use a pattern'
    )
  }
  const unknownKeyword = /^strict mode: unknown keyword: "([^"]*)"/.exec(ajvMessage)
  const hint = unknownKeyword
    ? `${suggestOrList(unknownKeyword[1] ?? '', keywords, 'known keywords')}; unknown keywords are rejected so that a typo cannot pass every output`
    : DRAFTS_HINT
  return new ScorerConfigProblem('schema', `invalid JSON Schema: ${ajvMessage}`, hint)
}

/**
 * json-schema: the output parses as JSON and validates against `schema` (ajv 8, all errors; the
 * reason names the first). The schema is compiled once, when the scorer is created. Unknown
 * keywords and formats are rejected then, so a typo cannot make every output pass.
 */
export function jsonSchemaScorer(spec: JsonSchemaScorerSpec): ScoreFunction {
  let validate: ValidateFunction
  let keywords: string[] = []
  const unsupported = unsupportedDraft(spec.schema)
  if (unsupported !== undefined) {
    throw new ScorerConfigProblem('schema', unsupported.message, unsupported.hint)
  }
  try {
    // One ajv per scorer: two scorers may reuse a schema `$id` without clashing. strictTypes and
    // strictTuples only warn about style, so they are off rather than printing to the console.
    const ajv = ajvFor(spec.schema, {
      allErrors: true,
      strictTypes: false,
      strictTuples: false,
      logger: false
    })
    // The formats of the JSON Schema specification (email, date-time, uri…), checked in full.
    addFormats(ajv, { mode: 'full' })
    keywords = Object.keys(ajv.RULES.keywords)
    validate = ajv.compile(spec.schema)
  } catch (error) {
    throw schemaProblem((error as Error).message, keywords)
  }
  return ({ output }) => {
    const parsed = parseOutput(output)
    if (!parsed.ok) return parsed.outcome
    if (validate(parsed.value)) return PASSED
    const errors = validate.errors ?? []
    const [first] = errors
    const more = errors.length > 1 ? ` (+${errors.length - 1} more)` : ''
    return failed(
      truncate(`output does not match the schema: ${first ? describe(first) : 'invalid'}${more}`)
    )
  }
}
