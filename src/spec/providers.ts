import { fingerprint } from '../results/fingerprint.js'
import type { ProviderSpec } from './types.js'
import type { Resolved, SpecContext } from './context.js'
import { parseDuration, type Duration } from './duration.js'
import type { FieldPath } from './yaml-file.js'

type Text = string | number | boolean

/** Provider entries as the schema guarantees them, before resolution. */
interface WrittenProviderBase {
  id: string
  label?: string
  timeout?: Duration
  concurrency?: number
}
type WrittenProvider = WrittenProviderBase &
  (
    | { type: 'module'; path: string; export?: string }
    | {
        type: 'exec'
        command: string | string[]
        cwd?: string
        env?: Record<string, Text>
      }
    | {
        type: 'http'
        url: string
        method?: 'GET' | 'POST' | 'PUT' | 'PATCH'
        headers?: Record<string, Text>
        body?: unknown
        output: string
      }
  )

// `${NAME}` is replaced by the environment variable; `$${NAME}` stays a literal `${NAME}`.
const ENV_REFERENCE = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g

/**
 * Replaces `${VAR}` in every string of a provider entry, reporting each variable that is not set
 * at the string that uses it. Messages name variables, never their values.
 */
export function expandEnv(value: unknown, path: FieldPath, context: SpecContext): unknown {
  if (typeof value === 'string') {
    const missing = new Set<string>()
    const expanded = value.replace(ENV_REFERENCE, (match, escaped: string, name: string) => {
      if (escaped) return match.slice(1)
      const set = context.env[name]
      if (set === undefined) missing.add(name)
      return set ?? match
    })
    for (const name of missing) {
      context.report(
        path,
        `environment variable \`${name}\` is not set`,
        `export ${name}=... before running, or set it in the workflow's \`env:\``
      )
    }
    return expanded
  }
  if (Array.isArray(value))
    return value.map((item, index) => expandEnv(item, [...path, index], context))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, expandEnv(item, [...path, key], context)])
    )
  }
  return value
}

function stringValues(record: Record<string, Text> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record ?? {}).map(([key, value]) => [key, String(value)])
  )
}

// The command's own program, when written as a path (`./bin/app`), can be checked at load.
const PATH_LIKE = /^(\/|\.\.?\/)/

/**
 * Turns one schema-valid provider entry into a ProviderSpec. `written` is the entry as written
 * (the fingerprint's input, so no secret enters it); `expanded` has `${VAR}` replaced.
 */
export async function resolveProvider(
  written: WrittenProvider,
  expanded: WrittenProvider,
  path: FieldPath,
  context: SpecContext
): Promise<ProviderSpec | undefined> {
  const base = {
    id: expanded.id,
    ...(expanded.label === undefined ? {} : { label: expanded.label }),
    ...(expanded.timeout === undefined ? {} : { timeoutMs: parseDuration(expanded.timeout) }),
    ...(expanded.concurrency === undefined ? {} : { concurrency: expanded.concurrency }),
    configFingerprint: fingerprint(written),
    source: context.source(path)
  }
  switch (expanded.type) {
    case 'module': {
      const modulePath = await context.existingPath({
        written: (written as { path: string }).path,
        expanded: expanded.path,
        kind: 'file',
        at: [...path, 'path'],
        what: 'module'
      })
      if (modulePath === undefined) return undefined
      return { ...base, type: 'module', path: modulePath, export: expanded.export ?? 'default' }
    }
    case 'exec': {
      const cwd = await context.existingPath({
        written: (written as { cwd?: string }).cwd ?? '.',
        expanded: expanded.cwd ?? '.',
        kind: 'directory',
        at: [...path, 'cwd'],
        what: 'working directory'
      })
      if (cwd === undefined) return undefined
      const writtenCommand = (written as { command: string | string[] }).command
      const programExists = await checkProgram(writtenCommand, expanded.command, cwd, path, context)
      if (!programExists) return undefined
      const command =
        typeof expanded.command === 'string'
          ? ['/bin/sh', '-c', expanded.command]
          : expanded.command
      return { ...base, type: 'exec', command, cwd, env: stringValues(expanded.env) }
    }
    case 'http': {
      if (!isHttpUrl(expanded.url)) {
        // The URL as written: the expanded one may hold a secret.
        context.report(
          [...path, 'url'],
          `\`${(written as { url: string }).url}\` is not an http(s) URL`,
          'write a full URL such as `http://127.0.0.1:8080/v1/answer`'
        )
        return undefined
      }
      return {
        ...base,
        type: 'http',
        url: expanded.url,
        method: expanded.method ?? 'POST',
        headers: stringValues(expanded.headers),
        ...(expanded.body === undefined ? {} : { body: expanded.body }),
        outputPath: expanded.output
      }
    }
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

/** The command's first word, when it is written as a path (`./bin/app`). */
function programPath(command: string | string[]): string | undefined {
  const first = typeof command === 'string' ? command.trim().split(/\s+/)[0] : command[0]
  return first !== undefined && PATH_LIKE.test(first) ? first : undefined
}

/**
 * An exec command whose program is a path must name an existing file. Other commands (`node x.js`,
 * shell built-ins) are looked up on PATH at run time and cannot be checked here.
 */
async function checkProgram(
  written: string | string[],
  expanded: string | string[],
  cwd: string,
  path: FieldPath,
  context: SpecContext
): Promise<boolean> {
  const program = programPath(expanded)
  if (program === undefined) return true
  const found = await context.existingPath({
    written: programPath(written) ?? program,
    expanded: program,
    kind: 'file',
    at: typeof expanded === 'string' ? [...path, 'command'] : [...path, 'command', 0],
    what: 'program',
    base: { directory: cwd, name: "the command's `cwd`" }
  })
  return found !== undefined
}

/**
 * Resolves the `providers:` list: expands `${VAR}` in every entry (even one with schema errors, so
 * all missing variables show at once), checks ids are unique and resolves the valid entries.
 */
export async function resolveProviders(
  entries: unknown,
  isValid: (path: FieldPath) => boolean,
  context: SpecContext
): Promise<Resolved<ProviderSpec>[]> {
  if (!Array.isArray(entries)) return []
  const firstLineOfId = new Map<string, number>()
  const providers: Resolved<ProviderSpec>[] = []
  // One at a time, so diagnostics come in the order of the file.
  for (const [index, entry] of entries.entries()) {
    const path = ['providers', index]
    const expanded = expandEnv(entry, path, context) as WrittenProvider
    if (!isValid(path)) continue
    const written = entry as WrittenProvider
    const seenAt = firstLineOfId.get(written.id)
    if (seenAt !== undefined) {
      context.report(
        [...path, 'id'],
        `duplicate provider id \`${written.id}\``,
        `first used at line ${seenAt}; provider ids must be unique within a spec`
      )
      continue
    }
    firstLineOfId.set(written.id, context.yaml.position([...path, 'id']).line)
    const provider = await resolveProvider(written, expanded, path, context)
    if (provider !== undefined) providers.push({ spec: provider, path })
  }
  return providers
}
