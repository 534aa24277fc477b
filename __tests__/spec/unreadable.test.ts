import { jest } from '@jest/globals'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { InputError } from '../../src/errors.js'

// Root reads any file whatever its mode, and tests may run as root: the reads of a directory and
// of a file called `locked` fail as they would for a user without permission.
const fs = await import('node:fs/promises')
const denied = (syscall: string, path: unknown) =>
  Object.assign(new Error(`EACCES: permission denied, ${syscall} '${String(path)}'`), {
    code: 'EACCES',
    syscall,
    path
  })
const isLocked = (path: unknown) => /[/\\]locked(\.jsonl)?$/.test(String(path))
jest.unstable_mockModule('node:fs/promises', () => ({
  ...fs,
  readdir: ((path: string, options: never) =>
    isLocked(path)
      ? Promise.reject(denied('scandir', path))
      : fs.readdir(path, options)) as typeof fs.readdir,
  readFile: ((path: string, options: never) =>
    isLocked(path)
      ? Promise.reject(denied('open', path))
      : fs.readFile(path, options)) as typeof fs.readFile
}))
const { loadSpecs } = await import('../../src/spec/index.js')

const roots: string[] = []
afterAll(() => Promise.all(roots.map((root) => fs.rm(root, { recursive: true, force: true }))))

async function workspace(files: Record<string, string>, directories: string[] = []) {
  const root = await fs.mkdtemp(join(tmpdir(), 'evalgate-unreadable-'))
  roots.push(root)
  for (const directory of directories) await fs.mkdir(join(root, directory), { recursive: true })
  for (const [path, content] of Object.entries(files)) {
    await fs.mkdir(dirname(join(root, path)), { recursive: true })
    await fs.writeFile(join(root, path), content)
  }
  return root
}

const spec = (caseFile: string) =>
  [
    'suite: s',
    'providers:',
    '  - { id: app, type: exec, command: [cat] }',
    'prompt: "{{q}}"',
    'cases:',
    `  - file: ${caseFile}`,
    'scorers:',
    '  - type: json-valid',
    ''
  ].join('\n')

async function loadError(cwd: string): Promise<InputError> {
  return loadSpecs(['evals'], { cwd, env: {} }).then(
    () => Promise.reject(new Error('expected the load to fail')),
    (error: InputError) => error
  )
}

describe('what evalgate cannot read', () => {
  it('a directory among the specs: reported by name, with exit code 2, not as an internal error', async () => {
    const cwd = await workspace(
      { 'evals/s.eval.yaml': spec('./cases.jsonl'), 'evals/cases.jsonl': '{"q":1}\n' },
      ['evals/locked']
    )
    const error = await loadError(cwd)
    expect(error.exitCode).toBe(2)
    expect(error.diagnostics).toEqual([
      {
        file: 'evals/locked',
        path: '',
        message: `cannot read the directory: EACCES: permission denied, scandir '${cwd}/evals/locked'`,
        hint: 'make it readable, or name the spec files and directories to search'
      }
    ])
  })

  it('a case file: reported at the `file:` that names it', async () => {
    const cwd = await workspace({
      'evals/s.eval.yaml': spec('./locked.jsonl'),
      'evals/locked.jsonl': ''
    })
    const error = await loadError(cwd)
    expect(error.exitCode).toBe(2)
    expect(error.diagnostics).toEqual([
      {
        file: 'evals/s.eval.yaml',
        line: 6,
        column: 11,
        path: 'cases[0].file',
        message: `cannot read case file \`./locked.jsonl\`: EACCES: permission denied, open '${cwd}/evals/locked.jsonl'`
      }
    ])
  })
})
