import { ScorerConfigProblem } from '../score/errors.js'
import { jsonSchemaScorer, jsonValidScorer } from '../score/json.js'
import {
  containsScorer,
  equalsScorer,
  numericScorer,
  regexScorer,
  similarityScorer
} from '../score/text.js'
import type { Resolved, SpecContext } from './context.js'
import type { ScorerSpec, ScorerType } from './types.js'
import type { FieldPath } from './yaml-file.js'

type Text = string | number | boolean

/** A scorer entry as the schema guarantees it, before resolution. */
interface WrittenScorer {
  type: ScorerType
  name?: string
  weight?: number
  expected?: Text
  value?: Text
  'ignore-case'?: boolean
  trim?: boolean
  pattern?: string
  flags?: string
  schema?: Record<string, unknown>
  tolerance?: number
  threshold?: number
  path?: string
  export?: string
}

type ScorerBase = Pick<ScorerSpec, 'name' | 'weight' | 'source'>

async function build(
  written: WrittenScorer,
  base: ScorerBase,
  path: FieldPath,
  context: SpecContext
): Promise<ScorerSpec | undefined> {
  const text = (value: Text | undefined): string => String(value ?? '')
  switch (written.type) {
    case 'equals':
      return {
        ...base,
        type: 'equals',
        expected: text(written.expected),
        ignoreCase: written['ignore-case'] ?? false,
        trim: written.trim ?? true
      }
    case 'contains':
    case 'icontains':
    case 'starts-with':
      return { ...base, type: written.type, value: text(written.value) }
    case 'regex':
      return { ...base, type: 'regex', pattern: written.pattern ?? '', flags: written.flags ?? '' }
    case 'json-valid':
      return { ...base, type: 'json-valid' }
    case 'json-schema':
      return { ...base, type: 'json-schema', schema: written.schema ?? {} }
    case 'numeric':
      return {
        ...base,
        type: 'numeric',
        expected: text(written.expected),
        tolerance: written.tolerance ?? 0
      }
    case 'similarity':
      return {
        ...base,
        type: 'similarity',
        expected: text(written.expected),
        threshold: written.threshold ?? 0.8
      }
    case 'javascript': {
      const modulePath = await context.existingPath({
        written: written.path ?? '',
        expanded: written.path ?? '',
        kind: 'file',
        at: [...path, 'path'],
        what: 'scorer module'
      })
      if (modulePath === undefined) return undefined
      return { ...base, type: 'javascript', path: modulePath, export: written.export ?? 'default' }
    }
  }
}

/**
 * Builds the scorer the run would build, so a configuration the run would reject (a regex that
 * does not compile, an invalid JSON Schema, a non-numeric `expected`…) is a load error instead.
 * The javascript scorer needs its module loaded, which is the run's business.
 */
function configProblem(spec: ScorerSpec): ScorerConfigProblem | undefined {
  try {
    switch (spec.type) {
      case 'equals':
        equalsScorer(spec)
        break
      case 'contains':
      case 'icontains':
      case 'starts-with':
        containsScorer(spec)
        break
      case 'regex':
        regexScorer(spec)
        break
      case 'json-valid':
        jsonValidScorer()
        break
      case 'json-schema':
        jsonSchemaScorer(spec)
        break
      case 'numeric':
        numericScorer(spec)
        break
      case 'similarity':
        similarityScorer(spec)
        break
      case 'javascript':
        break
    }
  } catch (error) {
    if (error instanceof ScorerConfigProblem) return error
    throw error
  }
  return undefined
}

/** Default names: the type, then `type-2`, `type-3`… for unnamed scorers of a repeated type. */
function defaultNames(entries: readonly WrittenScorer[]): string[] {
  const count = new Map<string, number>()
  return entries.map((entry) => {
    if (entry.name !== undefined) return entry.name
    const seen = (count.get(entry.type) ?? 0) + 1
    count.set(entry.type, seen)
    return seen === 1 ? entry.type : `${entry.type}-${seen}`
  })
}

/** Resolves the schema-valid entries of `scorers:`; names must be unique within the suite. */
export async function resolveScorers(
  entries: unknown,
  isValid: (path: FieldPath) => boolean,
  context: SpecContext
): Promise<Resolved<ScorerSpec>[]> {
  if (!Array.isArray(entries)) return []
  const valid = entries
    .map((entry: unknown, index) => ({ written: entry as WrittenScorer, path: ['scorers', index] }))
    .filter(({ path }) => isValid(path))
  const names = defaultNames(valid.map(({ written }) => written))
  const firstLineOfName = new Map<string, number>()
  const scorers: Resolved<ScorerSpec>[] = []
  for (const [index, { written, path }] of valid.entries()) {
    const name = names[index] as string
    const seenAt = firstLineOfName.get(name)
    if (seenAt !== undefined) {
      context.report(
        written.name === undefined ? path : [...path, 'name'],
        `duplicate scorer name \`${name}\``,
        `first used at line ${seenAt}; give each scorer a distinct \`name\``
      )
      continue
    }
    firstLineOfName.set(name, context.yaml.position(path).line)
    const base = { name, weight: written.weight ?? 1, source: context.source(path) }
    const spec = await build(written, base, path, context)
    if (spec === undefined) continue
    const problem = configProblem(spec)
    if (problem !== undefined) {
      context.report(problem.field ? [...path, problem.field] : path, problem.message, problem.hint)
      continue
    }
    scorers.push({ spec, path })
  }
  return scorers
}
