import { join } from 'node:path'
import { InputError } from '../../src/errors.js'
import { findSpecFiles } from '../../src/spec/index.js'
import { removeWorkspaces, workspace } from './helpers.js'

afterAll(removeWorkspaces)

describe('findSpecFiles', () => {
  it('searches directories recursively for *.eval.yaml/yml, skipping node_modules and dot-dirs', async () => {
    const cwd = await workspace({
      'evals/b.eval.yaml': '',
      'evals/a/z.eval.yml': '',
      'evals/a/notes.yaml': '',
      'evals/node_modules/x.eval.yaml': '',
      'evals/.cache/y.eval.yaml': '',
      'other/c.eval.yaml': ''
    })
    expect(await findSpecFiles([], cwd)).toEqual([
      join(cwd, 'evals/a/z.eval.yml'),
      join(cwd, 'evals/b.eval.yaml')
    ])
  })

  it('takes named files whatever their name, merges duplicates and sorts', async () => {
    const cwd = await workspace({ 'evals/b.eval.yaml': '', 'custom.yaml': '' })
    expect(await findSpecFiles(['evals', 'custom.yaml', 'evals/b.eval.yaml'], cwd)).toEqual([
      join(cwd, 'custom.yaml'),
      join(cwd, 'evals/b.eval.yaml')
    ])
  })

  it('reports a path that does not exist', async () => {
    const cwd = await workspace({ 'evals/b.eval.yaml': '' })
    const error = await findSpecFiles(['evals', 'evlas'], cwd).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).diagnostics).toEqual([
      {
        file: 'evlas',
        path: '',
        message: 'no such file or directory',
        hint: 'spec files are named `*.eval.yaml` or `*.eval.yml`'
      }
    ])
  })
})
