import { errorMessage } from '../errors.js'
import { exportOf, exportedFunctions, importModule } from '../providers/module.js'
import type { SpecContext } from './context.js'
import { suggestAndList } from './did-you-mean.js'
import type { FieldPath } from './yaml-file.js'

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

function functionsHint(name: string, functions: readonly string[]): string {
  if (functions.length === 0) return 'the module exports no functions'
  return suggestAndList(name, functions, 'its exported functions')
}

/**
 * Imports a module provider's or javascript scorer's module, as `evalgate run` does, and reports
 * when it cannot be loaded or its export is not a function: otherwise `validate` would pass and
 * the run fail on every call. Reported at `export` when written, else at `path`.
 */
export async function checkModuleExport(
  check: {
    absolutePath: string
    /** The module path as written in the spec. */
    written: string
    /** `export` as written; the default export when undefined. */
    exportName: string | undefined
    /** The entry's path: `path` and `export` are its fields. */
    at: FieldPath
    /** What the module is, e.g. `module`, `scorer module`. */
    what: string
  },
  context: SpecContext
): Promise<boolean> {
  const module = `${check.what} \`${check.written}\``
  let exports: Record<string, unknown>
  try {
    exports = await importModule(check.absolutePath)
  } catch (error) {
    // The first line: a syntax error's message may go on with a code frame.
    const reason = errorMessage(error).split('\n')[0]
    context.report(
      [...check.at, 'path'],
      `cannot load ${module}: ${reason}`,
      `the module must import without an error, as \`evalgate run\` imports it; \`node ${context.relative(check.absolutePath)}\` shows where it fails`
    )
    return false
  }
  const name = check.exportName ?? 'default'
  const exported = exportOf(exports, name)
  if (typeof exported === 'function') return true
  const functions = exportedFunctions(exports)
  if (check.exportName === undefined) {
    context.report(
      [...check.at, 'path'],
      exported === undefined
        ? `${module} has no default export`
        : `the default export of ${module} is ${describeValue(exported)}, not a function`,
      functions.length === 0
        ? 'export a function as `export default` (or `module.exports = function …`)'
        : `set \`export\` to one of its exported functions: ${functions.join(', ')}`
    )
    return false
  }
  context.report(
    [...check.at, 'export'],
    exported === undefined
      ? `${module} has no exported function \`${name}\``
      : `export \`${name}\` of ${module} is ${describeValue(exported)}, not a function`,
    functionsHint(name, functions)
  )
  return false
}

/**
 * The file of a module provider or javascript scorer, resolved, when it exists and exports the
 * function `export` names; undefined (reported) otherwise.
 */
export async function checkedModule(
  writtenPath: string,
  expanded: { path: string; export?: string },
  entry: { at: FieldPath; what: string },
  context: SpecContext
): Promise<string | undefined> {
  const modulePath = await context.existingPath({
    written: writtenPath,
    expanded: expanded.path,
    kind: 'file',
    at: [...entry.at, 'path'],
    what: entry.what
  })
  if (modulePath === undefined) return undefined
  const exportFound = await checkModuleExport(
    {
      absolutePath: modulePath,
      written: writtenPath,
      exportName: expanded.export,
      at: entry.at,
      what: entry.what
    },
    context
  )
  return exportFound ? modulePath : undefined
}
