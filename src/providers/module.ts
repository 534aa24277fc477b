import { pathToFileURL } from 'node:url'
import { ProviderError, errorMessage } from '../errors.js'
import type { ModuleProviderSpec } from '../spec/types.js'
import type { TokenUsage } from '../results/types.js'
import { MAX_ANSWER_BYTES } from './connections.js'
import { trackImport } from './imports.js'
import { releaseHeapBounds } from '../heap-bounds.js'
import type { Provider, ProviderRequest, ProviderResponse } from './types.js'

// Not imported: Node's ES module of node:util reads its colour settings when it loads, before the
// CLI settles FORCE_COLOR against NO_COLOR, and warns when both are set (see cli.ts).
const { inspect } = process.getBuiltinModule('node:util')

/**
 * What a module provider's function may return: the output text, or an object carrying it with
 * what the call cost.
 */
interface ModuleAnswer {
  output: unknown
  tokens?: TokenUsage
  model?: string
  fingerprint?: string
}

export type ModuleFunction = (
  input: ProviderRequest,
  context: { signal: AbortSignal }
) => unknown | Promise<unknown>

/**
 * How long a module of the repository may take to load: far beyond any import, even one that
 * loads a model at the top level, but not forever (a top-level await on a timer that never
 * fires would otherwise hang `validate` and the run without a word).
 */
export const MODULE_LOAD_TIMEOUT_MS = 120_000

/**
 * The exports of the ES module or CommonJS file at `absolutePath`, as `import()` gives them;
 * throws when it has not loaded within `timeoutMs`.
 */
export async function importModule(
  absolutePath: string,
  timeoutMs = MODULE_LOAD_TIMEOUT_MS
): Promise<Record<string, unknown>> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `it did not finish loading within ${timeoutMs / 1000} s (a top-level await that never settles?)`
          )
        ),
      timeoutMs
    )
    // The loop's own stall detection tells a wait that nothing can end sooner.
    timer.unref()
  })
  // The code under test runs, and is timed, under V8's defaults.
  releaseHeapBounds()
  try {
    // Until it settles or times out, a stall names it.
    return await trackImport(
      absolutePath,
      () =>
        Promise.race([import(pathToFileURL(absolutePath).href), timedOut]) as Promise<
          Record<string, unknown>
        >
    )
  } finally {
    clearTimeout(timer)
  }
}

/** `module.exports` of a CommonJS module: the default export, when it is a plain object. */
function commonJsExports(module: Record<string, unknown>): Record<string, unknown> | undefined {
  const exported = module.default
  return typeof exported === 'object' && exported !== null && !Array.isArray(exported)
    ? (exported as Record<string, unknown>)
    : undefined
}

/**
 * Export `exportName` of an imported module. Imported from ESM, a CommonJS module only has the
 * named exports Node's lexer detects (not those of `module.exports = { f: async () => … }`), so a
 * function of a default-exported object counts as an export too.
 */
export function exportOf(module: Record<string, unknown>, exportName: string): unknown {
  const named = module[exportName]
  if (named !== undefined || exportName === 'default') return named
  const fromObject = commonJsExports(module)?.[exportName]
  return typeof fromObject === 'function' ? fromObject : undefined
}

/** The names of the functions exportOf finds in `module`, for hints. */
export function exportedFunctions(module: Record<string, unknown>): string[] {
  // Node also exports CommonJS `module.exports` under the name `module.exports`.
  const candidates = [...Object.keys(module), ...Object.keys(commonJsExports(module) ?? {})].filter(
    (name) => name !== 'module.exports'
  )
  return [...new Set(candidates)].filter((name) => typeof exportOf(module, name) === 'function')
}

/** Imports `exportName` of the ES module or CommonJS file at `absolutePath` (see exportOf). */
export async function importExport(absolutePath: string, exportName: string): Promise<unknown> {
  return exportOf(await importModule(absolutePath), exportName)
}

function isAnswer(value: unknown): value is ModuleAnswer {
  return typeof value === 'object' && value !== null && 'output' in value
}

/**
 * The text of what the function returned: a string as it is, a number, boolean or bigint written
 * out, anything else as JSON (`null` is `null`); undefined for what JSON cannot write (undefined,
 * a symbol, a function). Throws what JSON.stringify throws (a bigint inside, a cycle).
 */
function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value)
  }
  return JSON.stringify(value)
}

/** A value asText writes nothing for, named. */
function kindOf(value: unknown): string {
  if (value === undefined) return 'undefined'
  return typeof value === 'object' ? 'an object that JSON writes as nothing' : `a ${typeof value}`
}

/** The longest a thrown value that is no Error, or the errors of an AggregateError, are quoted. */
const THROWN_VALUE_CHARS = 300
/** How many of an AggregateError's errors are quoted. */
const AGGREGATED_ERRORS_QUOTED = 10

function cutShort(text: string): string {
  return text.length > THROWN_VALUE_CHARS ? `${text.slice(0, THROWN_VALUE_CHARS)}…` : text
}

/** A thrown value that is no Error, on one line. */
function inspected(value: unknown): string {
  return inspect(value, { depth: 2, compact: true, breakLength: Number.POSITIVE_INFINITY })
}

function isErrorObject(thrown: unknown): thrown is Error {
  // An Error of another realm (a vm context) is no `instanceof Error`.
  return thrown instanceof Error || Object.prototype.toString.call(thrown) === '[object Error]'
}

/** An Error's message; one thrown without (`new Error()`) is told by its name. */
function errorText(error: Error): string {
  const name: unknown = error.name
  return errorMessage(error) || (typeof name === 'string' && name !== '' ? name : 'Error')
}

/**
 * What a function threw: an Error's message, a string as it is, any other value inspected. An
 * AggregateError without a message is told by the errors it holds.
 */
function thrownText(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown
  if (!isErrorObject(thrown)) return cutShort(inspected(thrown))
  const errors: unknown = (thrown as { errors?: unknown }).errors
  if (errorMessage(thrown) !== '' || !Array.isArray(errors) || errors.length === 0) {
    return errorText(thrown)
  }
  // One level only: an error it holds may hold it in turn.
  const quoted = errors
    .slice(0, AGGREGATED_ERRORS_QUOTED)
    .map((error: unknown) =>
      isErrorObject(error) ? errorText(error) : typeof error === 'string' ? error : inspected(error)
    )
  const more = errors.length > AGGREGATED_ERRORS_QUOTED ? '; …' : ''
  return `${errorText(thrown)}: ${cutShort(`${quoted.join('; ')}${more}`)}`
}

/** Calls an exported function of the repository under test, in this process. */
export class ModuleProvider implements Provider {
  readonly type = 'module'
  readonly id: string

  private constructor(
    id: string,
    private readonly fn: ModuleFunction
  ) {
    this.id = id
  }

  static async create(spec: ModuleProviderSpec): Promise<ModuleProvider> {
    let exported: unknown
    try {
      exported = await importExport(spec.path, spec.export)
    } catch (error) {
      throw new ProviderError(
        'module',
        `provider ${spec.id}: cannot load ${spec.path}: ${errorMessage(error)}`
      )
    }
    if (typeof exported !== 'function') {
      throw new ProviderError(
        'module',
        `provider ${spec.id}: ${spec.path} has no exported function \`${spec.export}\` (found ${typeof exported})`
      )
    }
    return new ModuleProvider(spec.id, exported as ModuleFunction)
  }

  async call(request: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse> {
    const started = performance.now()
    let answer: unknown
    try {
      answer = await this.fn(request, { signal })
    } catch (error) {
      if (error instanceof ProviderError) throw error
      throw new ProviderError('module', `provider ${this.id} threw: ${thrownText(error)}`)
    }
    const latencyMs = performance.now() - started
    const malformed = (problem: string): ProviderError =>
      new ProviderError('malformed-response', `provider ${this.id}: ${problem}`)
    let output: string | undefined
    try {
      output = asText(isAnswer(answer) ? answer.output : answer)
    } catch (error) {
      throw malformed(`returned a value JSON cannot hold: ${errorMessage(error)}`)
    }
    // Undefined is no empty answer, scored as one: it is a bug of the function.
    if (output === undefined) {
      throw malformed(
        isAnswer(answer)
          ? `returned an object whose \`output\` is ${kindOf(answer.output)}`
          : `returned ${kindOf(answer)}${answer === undefined ? ' — a missing `return`?' : ''}`
      )
    }
    // As an exec or http answer: larger, it would hold up every scorer and the results file.
    if (output.length > MAX_ANSWER_BYTES / 4 && Buffer.byteLength(output) > MAX_ANSWER_BYTES) {
      throw malformed(
        `returned more than ${MAX_ANSWER_BYTES / 2 ** 20} MB of text, the most an answer may hold`
      )
    }
    if (isAnswer(answer)) {
      return {
        output,
        latencyMs,
        attempts: 1,
        ...(answer.tokens ? { tokens: answer.tokens } : {}),
        ...(answer.model ? { model: answer.model } : {}),
        ...(answer.fingerprint ? { fingerprint: answer.fingerprint } : {})
      }
    }
    return { output, latencyMs, attempts: 1 }
  }
}
