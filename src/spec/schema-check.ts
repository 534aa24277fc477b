import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import specSchema from '../../schema/eval-spec.schema.json' with { type: 'json' }
import { showUnseen, type Diagnostic } from '../errors.js'
import { closestMatch, suggestAndList, suggestOrList } from './did-you-mean.js'
import { formatFieldPath, type FieldPath, type YamlFile } from './yaml-file.js'

/** The part of a JSON Schema object this module reads to explain an error. */
interface SchemaNode {
  $ref?: string
  description?: string
  properties?: Record<string, SchemaNode>
  discriminator?: { propertyName: string }
  oneOf?: SchemaNode[]
  const?: unknown
  enum?: unknown[]
}

let compiled: ValidateFunction | undefined

// Compiled on first use, not at import: the action's cold start should not pay for it.
function validator(): ValidateFunction {
  compiled ??= new Ajv({
    allErrors: true,
    // verbose: errors carry their schema, whose description becomes the fix hint.
    verbose: true,
    // Provider and scorer entries select their schema by `type`, so a user sees the errors of the
    // type they chose instead of one failure per branch of the oneOf.
    discriminator: true,
    allowUnionTypes: true
  }).compile(specSchema)
  return compiled
}

function resolveRef(schema: SchemaNode): SchemaNode {
  const name = schema.$ref?.match(/^#\/definitions\/(.+)$/)?.[1]
  const definitions = (specSchema as { definitions: Record<string, SchemaNode> }).definitions
  return name === undefined ? schema : (definitions[name] ?? schema)
}

function descriptionOf(schema: SchemaNode | undefined): string | undefined {
  if (schema === undefined) return undefined
  return schema.description ?? (schema.$ref ? descriptionOf(resolveRef(schema)) : undefined)
}

/** The values a discriminated oneOf accepts for its tag, e.g. every scorer type. */
function tagValues(schema: SchemaNode, tag: string): string[] {
  return (schema.oneOf ?? []).flatMap((branch) => {
    const property = resolveRef(branch).properties?.[tag]
    const values = property?.enum ?? (property?.const === undefined ? [] : [property.const])
    return values.map(String)
  })
}

/** JSON pointer → field path, with list indexes as numbers (walking `data` to tell them apart). */
function pointerToPath(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return []
  const path: (string | number)[] = []
  let current: unknown = data
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    const isIndex = Array.isArray(current)
    path.push(isIndex ? Number(segment) : segment)
    current = (current as Record<string, unknown> | undefined)?.[segment]
  }
  return path
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value
    return `string ${JSON.stringify(shown)}`
  }
  return `${typeof value} ${String(value)}`
}

function quoteValue(value: unknown): string {
  return typeof value === 'string' ? `\`${value}\`` : describeValue(value)
}

const TYPE_NAMES: Record<string, string> = { object: 'a mapping', array: 'a list' }

const COMPARISONS: Record<string, string> = {
  minimum: 'at least',
  maximum: 'at most',
  exclusiveMinimum: 'greater than',
  exclusiveMaximum: 'less than'
}

/**
 * The kind of entry a discriminated schema holds: `providers[1]` → `provider` (an item of a list),
 * `scorers[0].judge` → `judge` (a key).
 */
function entryKind(path: FieldPath): string {
  const last = path[path.length - 1]
  if (typeof last === 'string') return last
  const list = path[path.length - 2]
  return typeof list === 'string' ? list.replace(/s$/, '') : 'entry'
}

/**
 * The schema of property `key` of an object schema; for a discriminated oneOf (which requires keys
 * common to every branch, like a provider's `id`), of the first branch that has it.
 */
function propertySchema(schema: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (schema === undefined) return undefined
  const own = schema.properties?.[key]
  if (own !== undefined) return own
  for (const branch of schema.oneOf ?? []) {
    const found = resolveRef(branch).properties?.[key]
    if (found !== undefined) return found
  }
  return undefined
}

function explain(error: ErrorObject, path: FieldPath, yaml: YamlFile): Diagnostic | undefined {
  const schema = error.parentSchema as SchemaNode | undefined
  const hint = descriptionOf(schema)
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty)
      const allowed = Object.keys(schema?.properties ?? {})
      // A no-break space or tab is no YAML indentation: the key lands in the mapping above.
      const oddlyIndented = /^[^\S ]/u.test(key)
      return yaml.diagnostic(
        [...path, key],
        `unknown key \`${key}\``,
        oddlyIndented
          ? `the key starts with ${showUnseen(key.slice(0, 1))}, which looks like a space but is not one: indent with plain spaces`
          : suggestOrList(key, allowed, 'allowed keys'),
        { key: true }
      )
    }
    case 'required': {
      const key = String(params.missingProperty)
      const tag = schema?.discriminator?.propertyName
      const keyHint =
        key === tag && schema
          ? `one of: ${tagValues(schema, tag).join(', ')}`
          : descriptionOf(propertySchema(schema, key))
      const diagnostic = yaml.diagnostic(path, `missing required key \`${key}\``, keyHint)
      // Located at the mapping that lacks the key, named by the key's own path.
      return { ...diagnostic, path: formatFieldPath([...path, key]) }
    }
    case 'type': {
      // YAML's .inf and .nan are numbers to JavaScript, but not to JSON Schema.
      if (typeof error.data === 'number' && !Number.isFinite(error.data)) {
        return yaml.diagnostic(path, `must be a finite number, got ${error.data}`, hint)
      }
      const expected = String(params.type)
        .split(',')
        .map((name) => TYPE_NAMES[name] ?? name)
        .join(' or ')
      return yaml.diagnostic(path, `expected ${expected}, got ${describeValue(error.data)}`, hint)
    }
    case 'enum':
    case 'const': {
      const allowed = (
        error.keyword === 'enum' ? (params.allowedValues as unknown[]) : [params.allowedValue]
      ).map(String)
      return yaml.diagnostic(
        path,
        `invalid value ${quoteValue(error.data)}`,
        suggestAndList(String(error.data), allowed, 'allowed values')
      )
    }
    case 'discriminator': {
      // A missing tag is already reported by `required`.
      if (params.tagValue === undefined || schema === undefined) return undefined
      const tag = String(params.tag)
      const allowed = tagValues(schema, tag)
      const message =
        typeof params.tagValue === 'string'
          ? `unknown ${entryKind(path)} type \`${params.tagValue}\``
          : `expected string, got ${describeValue(params.tagValue)}`
      return yaml.diagnostic(
        [...path, tag],
        message,
        suggestAndList(String(params.tagValue), allowed, 'allowed types')
      )
    }
    case 'pattern':
      return yaml.diagnostic(path, `invalid value ${quoteValue(error.data)}`, hint)
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return yaml.diagnostic(
        path,
        `must be ${COMPARISONS[error.keyword]} ${String(params.limit)}, got ${String(error.data)}`,
        hint
      )
    case 'minItems':
      return yaml.diagnostic(
        path,
        params.limit === 1
          ? 'needs at least one entry'
          : `needs at least ${String(params.limit)} entries`,
        hint
      )
    case 'minLength':
      return yaml.diagnostic(path, 'must not be empty', hint)
    case 'minProperties':
      return yaml.diagnostic(
        path,
        `needs at least one of: ${Object.keys(schema?.properties ?? {}).join(', ')}`,
        hint
      )
    default:
      return yaml.diagnostic(path, error.message ?? `fails \`${error.keyword}\``, hint)
  }
}

/** What schema validation found: readable diagnostics, and which subtrees are unusable. */
export interface SchemaCheck {
  diagnostics: Diagnostic[]
  /** True when no schema error lies at or below `path`, so the code may trust its shape. */
  isValid(path: FieldPath): boolean
}

/**
 * Validates a spec's data against `schema/eval-spec.schema.json` and turns ajv's errors into one
 * diagnostic per real problem, at the line and column of the offending YAML node.
 */
export function checkSpecSchema(data: unknown, yaml: YamlFile): SchemaCheck {
  const validate = validator()
  validate(data)
  const errors = validate.errors ?? []

  const seen = new Set<string>()
  const typeErrorAt = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath))
  // `scorer:` for `scorers:` is one mistake: the unknown key's "did you mean" says it all.
  const misspelledAt = new Set(
    errors.flatMap((error) => {
      if (error.keyword !== 'additionalProperties') return []
      const key = String((error.params as { additionalProperty: unknown }).additionalProperty)
      const allowed = Object.keys((error.parentSchema as SchemaNode | undefined)?.properties ?? {})
      const meant = closestMatch(key, allowed)
      return meant === undefined ? [] : [`${error.instancePath}/${meant}`]
    })
  )
  const kept = errors.filter((error) => {
    if (error.keyword === 'required') {
      const missing = String((error.params as { missingProperty: unknown }).missingProperty)
      if (misspelledAt.has(`${error.instancePath}/${missing}`)) return false
    }
    // `if` only says a `then`/`else` failed; that branch's own errors say why.
    if (error.keyword === 'if') return false
    // A value of the wrong type fails its other keywords too: the type error says it all.
    if (error.keyword !== 'type' && typeErrorAt.has(error.instancePath)) return false
    const key = `${error.instancePath}|${error.keyword}|${JSON.stringify(error.params)}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })

  const diagnostics = kept
    .map((error) => explain(error, pointerToPath(error.instancePath, data), yaml))
    .filter((d): d is Diagnostic => d !== undefined)
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0))

  const invalidPointers = kept.map((error) => error.instancePath)
  return {
    diagnostics,
    isValid(path) {
      const pointer = path
        .map((s) => '/' + String(s).replaceAll('~', '~0').replaceAll('/', '~1'))
        .join('')
      return !invalidPointers.some((p) => p === pointer || p.startsWith(pointer + '/'))
    }
  }
}
