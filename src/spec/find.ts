import { readdir, realpath, stat } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { InputError, errorMessage, type Diagnostic } from '../errors.js'

/** Where specs are looked for when no path is given. */
export const DEFAULT_SPEC_PATHS: readonly string[] = ['evals']

const SPEC_FILE = /\.eval\.ya?ml$/
const MISSING = 'no such file or directory'
const NAMING_HINT = 'spec files are named `*.eval.yaml` or `*.eval.yml`'
// Found in a directory, a pipe may have no writer: reading it would wait for ever.
const NOT_REGULAR =
  'not a regular file (a pipe, a device or a socket): found in a directory, it is not read, as nothing may ever write to it'
const NOT_REGULAR_HINT = 'name it as a spec path to read it, or move it out of the directory'
// A shell expands globs before evalgate sees them; one that reaches evalgate (quoted, or in the
// action's `specs` input) names no file.
const GLOB = /[*?[\]{}]/

/**
 * Whether a spec path names a stream rather than a file of the repository: a pipe or a device
 * (`<(…)`), or a process's standard input or descriptor as named (`/dev/stdin`, `/dev/fd/0`,
 * `/proc/self/fd/0`) — redirected from a file, it is that file, but its directory is not the one
 * the spec was written in. False when it cannot be looked at: reading it says why.
 */
export async function namesStream(absolutePath: string): Promise<boolean> {
  if (/^\/(dev\/(stdin|fd\/\d+)|proc\/(self|\d+)\/fd\/\d+)$/.test(absolutePath)) return true
  return stat(absolutePath).then(
    (stats) => !stats.isFile(),
    () => false
  )
}

/** What a search of the spec paths has found so far. */
interface Search {
  cwd: string
  found: Set<string>
  problems: Diagnostic[]
  /** Real paths of the directories searched: a link back up the tree is not followed twice. */
  searched: Set<string>
}

function problem(search: Search, path: string, message: string, hint?: string): void {
  search.problems.push({
    file: relative(search.cwd, path) || '.',
    path: '',
    message,
    ...(hint === undefined ? {} : { hint })
  })
}

async function searchDirectory(directory: string, search: Search): Promise<void> {
  let entries
  try {
    const real = await realpath(directory)
    if (search.searched.has(real)) return
    search.searched.add(real)
    entries = await readdir(directory, { withFileTypes: true })
  } catch (error) {
    problem(
      search,
      directory,
      `cannot read the directory: ${errorMessage(error)}`,
      'make it readable, or name the spec files and directories to search'
    )
    return
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue
    const path = join(directory, entry.name)
    if (entry.isDirectory()) {
      await searchDirectory(path, search)
      continue
    }
    const isSpec = SPEC_FILE.test(entry.name)
    if (entry.isFile()) {
      if (isSpec) search.found.add(path)
      continue
    }
    // A link (to a directory, too: searched like one), or a pipe or device named like a spec.
    if (!isSpec && !entry.isSymbolicLink()) continue
    let target: Stats
    try {
      target = await stat(path)
    } catch (error) {
      // A broken link to something that is no spec is none of evalgate's business.
      if (isSpec) problem(search, path, `cannot read the file: ${errorMessage(error)}`)
      continue
    }
    if (target.isDirectory()) await searchDirectory(path, search)
    else if (!isSpec) continue
    else if (target.isFile()) search.found.add(path)
    else problem(search, path, NOT_REGULAR, NOT_REGULAR_HINT)
  }
}

/**
 * The spec files named by `paths` (default `evals`), as sorted absolute paths: files as given
 * (whatever their name; a pipe or a device too), directories searched recursively for
 * `*.eval.yaml` / `*.eval.yml` (following links, to directories too), skipping `node_modules` and
 * dot-directories. Throws an InputError when a path does not exist or cannot be read, or nothing
 * is found.
 */
export async function findSpecFiles(paths: readonly string[], cwd: string): Promise<string[]> {
  const { files, problems } = await searchSpecFiles(paths, cwd)
  if (problems.length === 0) return files
  // Specs found beside the problems are no reason to say there are none.
  const count = problems.length
  throw new SpecPathsError(
    problems,
    files.length === 0
      ? 'no eval specs to load'
      : `${count} spec path${count === 1 ? '' : 's'} could not be read`
  )
}

/** The spec paths named could not all be searched; `heading` says so. */
export class SpecPathsError extends InputError {
  readonly heading: string
  constructor(problems: readonly Diagnostic[], heading: string) {
    super(problems, heading)
    this.heading = heading
  }

  /**
   * The same problems, said of the action's input `name` that listed the paths, one a line: a
   * `# comment` line of it is no path but YAML's, kept as text in a block scalar (`specs: |`).
   */
  ofInput(name: string): InputError {
    const diagnostics = this.diagnostics.map((d) =>
      d.file.startsWith('#') && d.message.startsWith(MISSING)
        ? {
            ...d,
            message: MISSING,
            hint: `a YAML block scalar (\`${name}: |\`) keeps a \`# comment\` line as text, so it was read as a path: remove the line`
          }
        : d
    )
    return new InputError(diagnostics, `input \`${name}\`: ${this.heading}`)
  }
}

/**
 * The spec files findSpecFiles finds, and the problems it would throw (a path that does not
 * exist, a directory that cannot be read): the files found beside a problem are still listed.
 */
export async function searchSpecFiles(
  paths: readonly string[],
  cwd: string
): Promise<{ files: string[]; problems: Diagnostic[] }> {
  const searched = paths.length > 0 ? paths : DEFAULT_SPEC_PATHS
  const search: Search = { cwd, found: new Set(), problems: [], searched: new Set() }
  for (const path of searched) {
    const absolute = resolve(cwd, path)
    let stats: Stats
    try {
      stats = await stat(absolute)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      const missing = code === 'ENOENT' || code === 'ENOTDIR'
      search.problems.push({
        file: path,
        path: '',
        message: !missing
          ? `cannot read it: ${errorMessage(error)}`
          : GLOB.test(path)
            ? `${MISSING} (patterns such as \`*\` are not expanded)`
            : MISSING,
        hint:
          missing && GLOB.test(path)
            ? 'name the directory instead: it is searched for `*.eval.yaml` and `*.eval.yml`'
            : NAMING_HINT
      })
      continue
    }
    // A pipe or device named is read as the user asked (`<(…)`, `/dev/stdin`): someone writes it.
    if (stats.isDirectory()) await searchDirectory(absolute, search)
    else search.found.add(absolute)
  }
  if (search.problems.length === 0 && search.found.size === 0) {
    const where = searched.map((path) => `\`${path}\``).join(', ')
    search.problems.push({
      file: searched.join(', '),
      path: '',
      message: `no eval spec files found in ${where}`,
      hint: `${NAMING_HINT}; pass spec files or directories`
    })
  }
  // Plain code-unit order, the same on every machine and locale.
  const files = [...search.found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return { files, problems: search.problems }
}
