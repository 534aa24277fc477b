import { readFile } from 'node:fs/promises'
import { dirname, relative } from 'node:path'
import { InputError, errorMessage, type Diagnostic, type SourceLocation } from '../errors.js'
import { repositoryDirectory, utf8Text } from '../io/files.js'
import { loadCases } from './cases.js'
import { SpecContext, type Resolved } from './context.js'
import { checkedDuration, type Duration } from './duration.js'
import type { CommandSystem } from '../providers/exec.js'
import { findSpecFiles, namesStream } from './find.js'
import { QUALITY_GATES, gateOrderProblem } from './gate-order.js'
import { resolveProviders } from './providers.js'
import { checkSpecSchema } from './schema-check.js'
import { resolveScorers } from './scorers.js'
import { checkTemplates } from './template-check.js'
import { redactText } from './secrets.js'
import type { GateSpec, HttpProviderSpec, PromptTemplate, SecretValue, SuiteSpec } from './types.js'
import { specSecrets } from './written-secrets.js'
import { YamlFile, isMapping, type FieldPath } from './yaml-file.js'

export interface LoadOptions {
  /** Relative paths (given, in specs, in reports) are relative to this. */
  cwd: string
  /** The environment `${VAR}` in providers is expanded from. */
  env: Record<string, string | undefined>
  /**
   * Report `${VAR}`s (and OPENAI_API_KEY) that are not set (default true). A run that replays
   * every answer from the cache calls no provider: a fork's pull request has no secrets.
   */
  requireSecrets?: boolean
  /**
   * Whether a suite will run at all (a `--filter` may leave it out); one that will not needs no
   * secret either. Default: every suite runs.
   */
  runsSuite?: (suite: string) => boolean
  /** The system exec commands will run on (default: this one). */
  system?: CommandSystem
}

const DEFAULT_TIMEOUT_MS = 60_000

/** The top level of a spec as the schema guarantees it. */
interface WrittenSpec {
  suite: string
  description?: string
  providers: unknown[]
  prompt: PromptTemplate
  cases: unknown[]
  scorers: unknown[]
  repeats?: number
  timeout?: Duration
  'min-pass-rate'?: number
  gate?: GateSpec
}

interface SpecFileResult {
  suite?: SuiteSpec
  /** The spec's secrets, set before any problem stopped it: kept out of every problem reported. */
  secrets?: SecretValue[]
  /** The suite name and where it is written, for the cross-file uniqueness check. */
  name?: { suite: string; at: SourceLocation }
  diagnostics: Diagnostic[]
}

/**
 * Parses, validates and resolves one spec file, collecting every problem it has. A spec named as
 * a pipe or a device (`<(…)`, `/dev/stdin`) is read once, shown as named, and has no directory of
 * its own: its relative paths start in the working directory.
 */
async function loadSpecFile(absolutePath: string, options: LoadOptions): Promise<SpecFileResult> {
  const regular = !(await namesStream(absolutePath))
  const file = regular ? relative(options.cwd, absolutePath) : absolutePath
  let text: string | undefined
  try {
    text = utf8Text(await readFile(absolutePath))
  } catch (error) {
    return {
      diagnostics: [{ file, path: '', message: `cannot read the file: ${errorMessage(error)}` }]
    }
  }
  if (text === undefined) {
    return {
      diagnostics: [
        { file, path: '', message: 'the spec file is not UTF-8 text', hint: 'save it as UTF-8' }
      ]
    }
  }
  const yaml = new YamlFile(file, text)
  if (yaml.syntaxErrors.length > 0) return { diagnostics: yaml.syntaxErrors }
  const required = 'a spec needs `suite`, `providers`, `prompt`, `cases` and `scorers`'
  if (yaml.shape === 'empty') {
    return {
      diagnostics: [
        { file, line: 1, column: 1, path: '', message: 'the spec file is empty', hint: required }
      ]
    }
  }
  if (yaml.shape !== 'mapping') {
    return {
      diagnostics: [
        yaml.diagnostic([], `expected a mapping of keys, got a ${yaml.shape}`, required)
      ]
    }
  }
  const parsed = yaml.data()
  if ('problems' in parsed) return { diagnostics: parsed.problems }
  const data = parsed.value
  if (!isMapping(data))
    return { diagnostics: [yaml.diagnostic([], 'expected a mapping of keys', required)] }

  const secrets = specSecrets(data, options.env)
  const schema = checkSpecSchema(data, yaml)
  const context = new SpecContext(
    yaml,
    regular
      ? { directory: dirname(absolutePath), name: "the spec file's directory" }
      : {
          directory: options.cwd,
          name: 'the working directory, as the spec is read from a pipe or a device'
        },
    await repositoryDirectory(options.cwd, file),
    options.cwd,
    options.env,
    (options.requireSecrets ?? true) &&
      (typeof data.suite !== 'string' || (options.runsSuite?.(data.suite) ?? true)),
    options.system
  )
  const written = data as unknown as WrittenSpec
  // Undefined when the timeout is invalid: reported (by the schema or the check).
  const timeoutMs =
    written.timeout === undefined
      ? DEFAULT_TIMEOUT_MS
      : schema.isValid(['timeout'])
        ? checkedDuration(written.timeout, ['timeout'], context)
        : undefined
  const providers = await resolveProviders(data.providers, schema.isValid, context)
  const scorers = await resolveScorers(data.scorers, schema.isValid, context)
  const cases = await loadCases(data.cases, schema.isValid, context)

  checkGateOrder(written.gate, schema.isValid, context)

  const promptValid = data.prompt !== undefined && schema.isValid(['prompt'])
  const templateProblems = checkTemplates(
    {
      ...(promptValid ? { prompt: written.prompt } : {}),
      scorers,
      httpProviders: providers.filter(
        (entry): entry is Resolved<HttpProviderSpec> => entry.spec.type === 'http'
      )
    },
    cases,
    yaml
  )

  const diagnostics = [...schema.diagnostics, ...context.diagnostics, ...templateProblems]
  const name =
    typeof data.suite === 'string' && schema.isValid(['suite'])
      ? { suite: data.suite, at: context.source(['suite']) }
      : undefined
  if (diagnostics.length > 0 || timeoutMs === undefined) {
    return { ...(name ? { name } : {}), secrets, diagnostics }
  }

  const suite: SuiteSpec = {
    file,
    suite: written.suite,
    ...(written.description === undefined ? {} : { description: written.description }),
    providers: providers.map(({ spec }) => spec),
    prompt: written.prompt,
    cases,
    scorers: scorers.map(({ spec }) => spec),
    repeats: written.repeats ?? 1,
    timeoutMs,
    minPassRate: written['min-pass-rate'] ?? 1,
    gate: written.gate ?? {},
    source: context.source(['suite'])
  }
  return { suite, ...(name ? { name } : {}), secrets, diagnostics }
}

/** Each quality metric's noise floor no higher than its `max-drop` (see gateOrderProblem). */
function checkGateOrder(
  gate: GateSpec | undefined,
  isValid: (path: FieldPath) => boolean,
  context: SpecContext
): void {
  for (const metric of QUALITY_GATES) {
    const tolerance = gate?.[metric]
    const path = ['gate', metric]
    if (tolerance === undefined || !isValid(path)) continue
    const problem = gateOrderProblem(tolerance)
    if (problem) context.report([...path, problem.field], problem.message, problem.hint)
  }
}

/** Problems of several spec files, most of them at a line of a file. */
function combinedError(diagnostics: Diagnostic[]): InputError {
  const count = diagnostics.length
  return new InputError(diagnostics, `${count} problem${count === 1 ? '' : 's'} in eval specs`)
}

/**
 * Finds, parses, validates and resolves every spec named by `paths` (see findSpecFiles). Every
 * problem of every file is collected first and thrown as one InputError, so a user fixes them all
 * in one go.
 */
export async function loadSpecs(
  paths: readonly string[],
  options: LoadOptions
): Promise<SuiteSpec[]> {
  const files = await findSpecFiles(paths, options.cwd)
  const results = await Promise.all(files.map((file) => loadSpecFile(file, options)))
  const diagnostics = results.flatMap((result) => result.diagnostics)

  const firstBySuite = new Map<string, SourceLocation>()
  for (const { name } of results) {
    if (name === undefined) continue
    const first = firstBySuite.get(name.suite)
    if (first === undefined) {
      firstBySuite.set(name.suite, name.at)
      continue
    }
    diagnostics.push({
      ...name.at,
      path: 'suite',
      message: `duplicate suite name \`${name.suite}\`, also in ${first.file}:${first.line ?? 1}`,
      hint: 'suite names must be unique across all spec files'
    })
  }

  if (diagnostics.length > 0) {
    // A module that fails to import may quote a key the spec's providers read, in the message:
    // shown to whoever reads the log, which only GitHub's own secrets are masked in. Hints are
    // evalgate's own advice, never to be garbled by a value that happens to appear in them.
    const secrets = results.flatMap((result) => result.secrets ?? [])
    throw combinedError(
      diagnostics.map((diagnostic) => ({
        ...diagnostic,
        message: redactText(diagnostic.message, secrets)
      }))
    )
  }
  return results.map((result) => result.suite as SuiteSpec)
}
