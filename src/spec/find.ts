import { readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { InputError, type Diagnostic } from '../errors.js'

/** Where specs are looked for when no path is given. */
export const DEFAULT_SPEC_PATHS: readonly string[] = ['evals']

const SPEC_FILE = /\.eval\.ya?ml$/
const NAMING_HINT = 'spec files are named `*.eval.yaml` or `*.eval.yml`'

async function specFilesUnder(directory: string): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue
    const path = join(directory, entry.name)
    if (entry.isDirectory()) found.push(...(await specFilesUnder(path)))
    else if (SPEC_FILE.test(entry.name) && (entry.isFile() || (await isFile(path))))
      found.push(path)
  }
  return found
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

/**
 * The spec files named by `paths` (default `evals`), as sorted absolute paths: files as given
 * (whatever their name), directories searched recursively for `*.eval.yaml` / `*.eval.yml`,
 * skipping `node_modules` and dot-directories. Throws an InputError when a path does not exist or
 * nothing is found.
 */
export async function findSpecFiles(paths: readonly string[], cwd: string): Promise<string[]> {
  const searched = paths.length > 0 ? paths : DEFAULT_SPEC_PATHS
  const found = new Set<string>()
  const problems: Diagnostic[] = []
  for (const path of searched) {
    const absolute = resolve(cwd, path)
    let isDirectory: boolean
    try {
      isDirectory = (await stat(absolute)).isDirectory()
    } catch {
      problems.push({
        file: path,
        path: '',
        message: 'no such file or directory',
        hint: NAMING_HINT
      })
      continue
    }
    for (const file of isDirectory ? await specFilesUnder(absolute) : [absolute]) found.add(file)
  }
  if (problems.length === 0 && found.size === 0) {
    const where = searched.map((path) => `\`${path}\``).join(', ')
    problems.push({
      file: searched.join(', '),
      path: '',
      message: `no eval spec files found in ${where}`,
      hint: `${NAMING_HINT}; pass spec files or directories`
    })
  }
  if (problems.length > 0) throw new InputError(problems, 'no eval specs to load')
  // Plain code-unit order, the same on every machine and locale.
  return [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}
