import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { InputError, type Diagnostic } from '../../src/errors.js'
import { loadSpecs, type SuiteSpec } from '../../src/spec/index.js'

export const FIXTURES = resolve('__tests__/fixtures/specs')

const created: string[] = []

/** Writes `files` (path → content) into a fresh temporary directory and returns it. */
export async function workspace(files: Record<string, string | Buffer>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'evalgate-spec-'))
  created.push(root)
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), content)
  }
  return root
}

export async function removeWorkspaces(): Promise<void> {
  await Promise.all(created.splice(0).map((root) => rm(root, { recursive: true, force: true })))
}

/** Loads specs that must fail and returns the InputError thrown. */
export async function loadError(
  cwd: string,
  paths: readonly string[] = [],
  env: Record<string, string> = {}
): Promise<InputError> {
  let specs: SuiteSpec[]
  try {
    specs = await loadSpecs(paths, { cwd, env })
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error(`expected an InputError, loaded ${specs.length} suite(s)`)
}

/** The diagnostics of a spec that must fail, written as one file `evals/s.eval.yaml`. */
export async function specProblems(
  spec: string,
  files: Record<string, string> = {},
  env: Record<string, string> = {}
): Promise<readonly Diagnostic[]> {
  const cwd = await workspace({ 'evals/s.eval.yaml': spec, ...files })
  return (await loadError(cwd, [], env)).diagnostics
}

/** The derived id of a case, computed independently: sha256 of the canonical JSON, 12 hex digits. */
export function sha12(canonicalJson: string): string {
  return createHash('sha256').update(canonicalJson).digest('hex').slice(0, 12)
}

/** A YAML text from its lines, so a test shows which line is which. */
export function yaml(...lines: string[]): string {
  return lines.join('\n') + '\n'
}
