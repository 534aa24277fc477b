import { ScorerConfigProblem } from '../score/errors.js'
import { jsonSchemaScorer, jsonValidScorer, schemaMistakes } from '../score/json.js'
import {
  containsScorer,
  equalsScorer,
  numericScorer,
  scorerRegex,
  similarityScorer
} from '../score/text.js'
import type { Resolved, SpecContext } from './context.js'
import {
  checkLiteralApiKey,
  expandEnv,
  resolveProvider,
  textLeaves,
  type WrittenProvider
} from './providers.js'
import { checkedModule } from './module-export.js'
import { templateVariables } from './template.js'
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
  rubric?: string
  scale?: number
  judge?: Omit<WrittenProvider, 'id'> & { id?: string }
}

/** The id of a judge that does not name one. */
const DEFAULT_JUDGE_ID = 'judge'
const DEFAULT_JUDGE_SCALE = 5
const DEFAULT_JUDGE_THRESHOLD = 0.5

type ScorerBase = Pick<ScorerSpec, 'name' | 'weight' | 'source'>

async function build(
  written: WrittenScorer,
  base: ScorerBase,
  path: FieldPath,
  context: SpecContext,
  expandedJudge: unknown
): Promise<ScorerSpec | undefined> {
  // A number or boolean is taken as its text as written: `expected: 1.10` means "1.10", not
  // "1.1", and `value: True` means "True".
  const text = (value: Text | undefined, field: string): string =>
    (typeof value === 'number' || typeof value === 'boolean'
      ? context.yaml.scalarAsWritten([...path, field])
      : undefined) ?? String(value ?? '')
  switch (written.type) {
    case 'equals':
      return {
        ...base,
        type: 'equals',
        expected: text(written.expected, 'expected'),
        ignoreCase: written['ignore-case'] ?? false,
        trim: written.trim ?? true
      }
    case 'contains':
    case 'icontains':
    case 'starts-with':
      return { ...base, type: written.type, value: text(written.value, 'value') }
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
        expected: text(written.expected, 'expected'),
        tolerance: written.tolerance ?? 0
      }
    case 'similarity':
      return {
        ...base,
        type: 'similarity',
        expected: text(written.expected, 'expected'),
        threshold: written.threshold ?? 0.8
      }
    case 'javascript': {
      const modulePath = await checkedModule(
        written.path ?? '',
        {
          path: written.path ?? '',
          ...(written.export === undefined ? {} : { export: written.export })
        },
        { at: path, what: 'scorer module' },
        context
      )
      if (modulePath === undefined) return undefined
      return { ...base, type: 'javascript', path: modulePath, export: written.export ?? 'default' }
    }
    case 'llm-judge': {
      // Already reported: a variable of the judge is not set.
      if (expandedJudge === undefined) return undefined
      // Resolved exactly like an entry of `providers:`, with a default id. The fingerprint hashes
      // the entry as written (no default id, no expanded secret).
      const expanded = expandedJudge as NonNullable<WrittenScorer['judge']>
      const entry = { ...expanded, id: expanded.id ?? DEFAULT_JUDGE_ID } as WrittenProvider
      const sendsPrompt = checkHttpJudgeSendsPrompt(entry, [...path, 'judge'], context)
      const judge = await resolveProvider(
        written.judge as WrittenProvider,
        entry,
        [...path, 'judge'],
        context,
        'judge'
      )
      if (judge === undefined || !sendsPrompt) return undefined
      return {
        ...base,
        type: 'llm-judge',
        rubric: written.rubric ?? '',
        scale: written.scale ?? DEFAULT_JUDGE_SCALE,
        threshold: written.threshold ?? DEFAULT_JUDGE_THRESHOLD,
        judge
      }
    }
  }
}

const JUDGE_BODY_HINT =
  "send it in the body, e.g. `body: { input: '{{prompt}}' }`: `{{prompt}}` holds the grading instructions, the rubric and the answer"

/**
 * An http judge reads only what its request sends, and the rubric and the answer to grade are in
 * `{{prompt}}` alone: a request without it would be graded blind, whatever the answer.
 */
function checkHttpJudgeSendsPrompt(
  judge: WrittenProvider,
  path: FieldPath,
  context: SpecContext
): boolean {
  if (judge.type !== 'http') return true
  if (judge.method === 'GET') {
    context.report(
      [...path, 'method'],
      'a GET request sends no body, so the judge would never see the rubric or the answer',
      `use \`method: POST\` (the default) and ${JUDGE_BODY_HINT}`
    )
    return false
  }
  if (textLeaves(judge.body).some((text) => templateVariables(text).includes('prompt'))) {
    return true
  }
  context.report(
    judge.body === undefined ? path : [...path, 'body'],
    judge.body === undefined
      ? 'an http judge without a `body` never sees the rubric or the answer'
      : 'the body never sends `{{prompt}}`, so the judge would never see the rubric or the answer',
    JUDGE_BODY_HINT
  )
  return false
}

/**
 * A judge is a provider: its literal API key is reported and `${VAR}` is expanded in it, even in
 * an entry with schema errors (so every missing variable shows at once). The expanded judge;
 * undefined for an entry without one, or when a variable it uses is not set.
 */
function expandJudge(entry: unknown, path: FieldPath, context: SpecContext): unknown {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return undefined
  const { type, judge } = entry as Record<string, unknown>
  if (type !== 'llm-judge' || judge === undefined) return undefined
  checkLiteralApiKey(judge, [...path, 'judge'], context)
  const reported = context.diagnostics.length
  const expanded = expandEnv(judge, [...path, 'judge'], context)
  return context.diagnostics.length === reported ? expanded : undefined
}

/**
 * Builds the scorer the run would build, so a configuration the run would reject (a regex that
 * does not compile, an invalid JSON Schema, a non-numeric `expected`…) is a load error instead.
 * A javascript scorer's module and export are checked when it is built (checkedModule).
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
        scorerRegex(spec)
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
      case 'llm-judge':
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
  const validIndexes = entries.flatMap((_entry: unknown, index) =>
    isValid(['scorers', index]) ? [index] : []
  )
  const names = defaultNames(validIndexes.map((index) => entries[index] as WrittenScorer))
  const nameOf = new Map(validIndexes.map((index, position) => [index, names[position] as string]))
  const firstLineOfName = new Map<string, number>()
  const scorers: Resolved<ScorerSpec>[] = []
  // One at a time, so diagnostics come in the order of the file.
  for (const [index, entry] of entries.entries()) {
    const path = ['scorers', index]
    const expandedJudge = expandJudge(entry, path, context)
    const name = nameOf.get(index)
    if (name === undefined) continue
    const written = entry as WrittenScorer
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
    const spec = await build(written, base, path, context, expandedJudge)
    if (spec === undefined) continue
    if (spec.type === 'json-schema') {
      // Every mistake of the schema at its own line: compiling it would stop at the first.
      const mistakes = schemaMistakes(spec.schema)
      for (const { at, message, hint } of mistakes) {
        context.report([...path, 'schema', ...at], message, hint)
      }
      if (mistakes.length > 0) continue
    }
    const problem = configProblem(spec)
    if (problem !== undefined) {
      context.report(problem.field ? [...path, problem.field] : path, problem.message, problem.hint)
      continue
    }
    scorers.push({ spec, path })
  }
  return scorers
}
