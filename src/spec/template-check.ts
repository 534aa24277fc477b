import type { Diagnostic } from '../errors.js'
import { closestMatch } from './did-you-mean.js'
import {
  MissingVariableError,
  brokenPlaceholders,
  isPlaceholderName,
  isVariableSet,
  nullPart,
  placeholderOffset,
  renderTemplate,
  sameName,
  templateVariables
} from './template.js'
import { isDecimal } from '../score/text.js'
import type { EvalCase, HttpProviderSpec, PromptTemplate, ScorerSpec } from './types.js'
import type { Resolved } from './context.js'
import type { FieldPath, YamlFile } from './yaml-file.js'

/** Missing-variable diagnostics reported per suite before the rest are only counted. */
const MISSING_VARIABLE_LIMIT = 20

/** A template of the spec and the variables it uses. */
interface TemplateSite {
  path: FieldPath
  template: string
  variables: string[]
}

function site(path: FieldPath, template: string, provided: readonly string[] = []): TemplateSite {
  return {
    path,
    template,
    variables: templateVariables(template).filter((name) => !provided.includes(name))
  }
}

const PLACEHOLDER_HINT =
  'write `{{name}}` or `{{name.field}}`: a variable name of letters, digits, `_` and `-`, between `{{` and `}}`'

/** Placeholders that are not well formed, once per template (they are wrong for every case). */
function brokenPlaceholderProblems(sites: readonly TemplateSite[], yaml: YamlFile): Diagnostic[] {
  return sites.flatMap(({ path, template }) =>
    brokenPlaceholders(template).map(({ problem, offset }) =>
      yaml.diagnostic(path, problem, PLACEHOLDER_HINT, { offset })
    )
  )
}

/** Why a case has no value for `{{name}}`, and how to give it one. */
function missingVariableProblem(
  name: string,
  vars: Record<string, unknown>
): { problem: string; hint: string } {
  const nullName = nullPart(vars, name)
  if (nullName === undefined) {
    return { problem: `has no variable \`${name}\``, hint: variablesHint(name, vars) }
  }
  const consequence = nullName === name ? '' : `, so \`{{${name}}}\` has no value`
  return {
    problem: `has variable \`${nullName}\` set to null${consequence}`,
    hint: `give \`${nullName}\` a value in the case, or \`""\` for empty text; \`null\`, \`~\` and a key with nothing after it are null`
  }
}

function promptSites(prompt: PromptTemplate): TemplateSite[] {
  if (typeof prompt === 'string') return [site(['prompt'], prompt)]
  return prompt.map((message, index) => site(['prompt', index, 'content'], message.content))
}

function scorerSites(scorers: readonly Resolved<ScorerSpec>[]): TemplateSite[] {
  return scorers.flatMap(({ spec, path }) => {
    switch (spec.type) {
      case 'equals':
      case 'numeric':
      case 'similarity':
        return [site([...path, 'expected'], spec.expected)]
      case 'contains':
      case 'icontains':
      case 'starts-with':
        return [site([...path, 'value'], spec.value)]
      case 'llm-judge': {
        // An http judge's body is rendered with the case's variables too (it is never a GET).
        const { judge } = spec
        const body = judge.type === 'http' ? bodySites(judge.body, [...path, 'judge', 'body']) : []
        return [site([...path, 'rubric'], spec.rubric), ...body]
      }
      default:
        return []
    }
  })
}

/** String leaves of an http body; the http provider adds `prompt` to the case's variables. */
function bodySites(body: unknown, path: FieldPath): TemplateSite[] {
  if (typeof body === 'string') return [site(path, body, ['prompt'])]
  if (Array.isArray(body)) return body.flatMap((item, index) => bodySites(item, [...path, index]))
  if (body !== null && typeof body === 'object') {
    return Object.entries(body).flatMap(([key, value]) => bodySites(value, [...path, key]))
  }
  return []
}

export interface TemplateSources {
  prompt?: PromptTemplate
  scorers: readonly Resolved<ScorerSpec>[]
  httpProviders: readonly Resolved<HttpProviderSpec>[]
}

/** A case as a problem of its values names it: its id and where it is written. */
function caseNamed(evalCase: EvalCase): string {
  const { file, line } = evalCase.source
  return `case \`${evalCase.id}\` (${line === undefined ? file : `${file}:${line}`})`
}

/** A name as a list shows it: quoted when a placeholder cannot name it (`"my var"`). */
function displayName(name: string): string {
  return isPlaceholderName(name) ? name : JSON.stringify(name)
}

/** Did-you-mean against the case's variables, then (some of) their names. */
function variablesHint(name: string, vars: Record<string, unknown>): string {
  const names = Object.keys(vars)
  if (names.length === 0) return 'the case has no variables'
  const shown = names.slice(0, 12).map(displayName)
  const list = `the case's variables: ${shown.join(', ')}${names.length > 12 ? ', …' : ''}`
  const topLevel = name.split('.')[0] as string
  const match = closestMatch(topLevel, names)
  if (match === undefined || sameName(match, topLevel)) return list
  if (!isPlaceholderName(match)) {
    return `the case's variable ${displayName(match)} cannot be named in a placeholder: rename it with letters, digits, \`_\` and \`-\` only; ${list}`
  }
  return `did you mean \`${match}\`? ${list}`
}

/**
 * A scorer field whose value, rendered for some case, would error every answer of that case at
 * run time, after the model was paid for it.
 */
interface RenderedCheck {
  field: 'expected' | 'value'
  /** The template of `field` in a scorer it applies to. */
  template: (spec: ScorerSpec) => string | undefined
  /** What is wrong with the rendered value, if anything. */
  problem: (rendered: string) => string | undefined
  hint: string
  /** The count of the cases left unreported. */
  more: string
}

const RENDERED_CHECKS: readonly RenderedCheck[] = [
  {
    field: 'expected',
    template: (spec) => (spec.type === 'numeric' ? spec.expected : undefined),
    problem: (rendered) =>
      !isDecimal(rendered)
        ? `gives \`expected\` ${JSON.stringify(rendered.slice(0, 60))}, not a number`
        : undefined,
    hint: 'numeric compares with a plain decimal number, such as 42, -0.5 or 1e-3',
    more: 'cases whose numeric `expected` is not a number'
  },
  {
    field: 'value',
    template: (spec) =>
      spec.type === 'contains' || spec.type === 'icontains' || spec.type === 'starts-with'
        ? spec.value
        : undefined,
    problem: (rendered) => (rendered === '' ? 'gives `value` an empty text' : undefined),
    hint: 'an empty value would match every output: give the case the text to look for',
    more: 'cases whose `value` is empty'
  }
]

/** The cases for which a templated field of a scorer renders to a value `check` refuses. */
function renderedProblems(
  check: RenderedCheck,
  sources: TemplateSources,
  cases: readonly EvalCase[],
  yaml: YamlFile
): Diagnostic[] {
  const templates = sources.scorers.flatMap(({ spec, path }) => {
    const template = check.template(spec)
    return template !== undefined && templateVariables(template).length > 0
      ? [{ template, path: [...path, check.field] }]
      : []
  })
  const diagnostics: Diagnostic[] = []
  let found = 0
  for (const evalCase of cases) {
    for (const { template, path } of templates) {
      let rendered: string
      try {
        rendered = renderTemplate(template, evalCase.vars)
      } catch (error) {
        if (error instanceof MissingVariableError) continue // reported as missing
        throw error
      }
      const problem = check.problem(rendered)
      if (problem === undefined || found++ >= MISSING_VARIABLE_LIMIT) continue
      diagnostics.push(yaml.diagnostic(path, `${caseNamed(evalCase)} ${problem}`, check.hint))
    }
  }
  const unreported = found - MISSING_VARIABLE_LIMIT
  if (unreported > 0) {
    diagnostics.push({
      file: yaml.file,
      path: '',
      message: `…and ${unreported} more ${check.more}`
    })
  }
  return diagnostics
}

/**
 * Checks, for every case, that the prompt, the scorers' templates and the http bodies have a value
 * for every `{{var}}`: at run time a missing variable would fail that case on every call. Each
 * problem is reported at the template, naming the case and where it is written.
 */
export function checkTemplates(
  sources: TemplateSources,
  cases: readonly EvalCase[],
  yaml: YamlFile
): Diagnostic[] {
  const allSites = [
    ...(sources.prompt === undefined ? [] : promptSites(sources.prompt)),
    ...sources.httpProviders.flatMap(({ spec, path }) =>
      spec.method === 'GET' ? [] : bodySites(spec.body, [...path, 'body'])
    ),
    ...scorerSites(sources.scorers)
  ]
  const sites = allSites.filter(({ variables }) => variables.length > 0)

  const diagnostics: Diagnostic[] = brokenPlaceholderProblems(allSites, yaml)
  let missing = 0
  for (const evalCase of cases) {
    for (const { path, template, variables } of sites) {
      for (const name of variables) {
        if (isVariableSet(evalCase.vars, name)) continue
        if (missing++ >= MISSING_VARIABLE_LIMIT) continue
        const { problem, hint } = missingVariableProblem(name, evalCase.vars)
        diagnostics.push(
          yaml.diagnostic(path, `${caseNamed(evalCase)} ${problem}`, hint, {
            offset: placeholderOffset(template, name)
          })
        )
      }
    }
  }
  const unreported = missing - MISSING_VARIABLE_LIMIT
  if (unreported > 0) {
    diagnostics.push({
      file: yaml.file,
      path: '',
      message: `…and ${unreported} more missing template variable${unreported === 1 ? '' : 's'}`
    })
  }
  for (const check of RENDERED_CHECKS)
    diagnostics.push(...renderedProblems(check, sources, cases, yaml))
  return diagnostics
}
