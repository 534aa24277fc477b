import { execFileSync } from 'node:child_process'
import { mkdir, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { InputError } from '../../src/errors.js'
import { SpecPathsError } from '../../src/spec/find.js'
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
    // The specs found beside it are not denied; none found, none to load.
    expect((error as InputError).message).toMatch(/^1 spec path could not be read:\n {2}evlas: /)
    const nothing = await findSpecFiles(['evlas'], cwd).catch((e: unknown) => e)
    expect((nothing as InputError).message).toMatch(/^no eval specs to load:\n {2}evlas: /)
  })

  it('follows links to directories as to files, once each even when a link loops back up', async () => {
    const cwd = await workspace({
      'evals/a.eval.yaml': '',
      'other/b.eval.yaml': '',
      'other/deeper/c.eval.yml': '',
      'shared/d.eval.yaml': ''
    })
    await symlink('../other', join(cwd, 'evals/linked'))
    await symlink('../evals', join(cwd, 'other/up'))
    await symlink('../shared/d.eval.yaml', join(cwd, 'evals/d.eval.yaml'))
    // A broken link that is no spec is not evalgate's business.
    await symlink('missing', join(cwd, 'evals/notes'))
    expect(await findSpecFiles(['evals'], cwd)).toEqual([
      join(cwd, 'evals/a.eval.yaml'),
      join(cwd, 'evals/d.eval.yaml'),
      join(cwd, 'evals/linked/b.eval.yaml'),
      join(cwd, 'evals/linked/deeper/c.eval.yml')
    ])
  })

  it('reports a spec found that is a broken link or a pipe, instead of skipping or hanging on it', async () => {
    const cwd = await workspace({ 'evals/a.eval.yaml': '' })
    await symlink('gone.eval.yaml', join(cwd, 'evals/broken.eval.yaml'))
    execFileSync('mkfifo', [join(cwd, 'evals/pipe.eval.yaml')])
    const error = await findSpecFiles(['evals'], cwd).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).diagnostics).toEqual([
      {
        file: join('evals', 'broken.eval.yaml'),
        path: '',
        message: `cannot read the file: ENOENT: no such file or directory, stat '${join(cwd, 'evals/broken.eval.yaml')}'`
      },
      {
        file: join('evals', 'pipe.eval.yaml'),
        path: '',
        message:
          'not a regular file (a pipe, a device or a socket): found in a directory, it is not read, as nothing may ever write to it',
        hint: 'name it as a spec path to read it, or move it out of the directory'
      }
    ])
  })

  it('takes a pipe named as a spec path, as `<(…)` names one, for the user writes to it', async () => {
    const cwd = await workspace({ 'evals/a.eval.yaml': '' })
    await mkdir(join(cwd, 'named'))
    execFileSync('mkfifo', [join(cwd, 'named/fifo.yaml')])
    expect(await findSpecFiles(['evals', 'named/fifo.yaml'], cwd)).toEqual([
      join(cwd, 'evals/a.eval.yaml'),
      join(cwd, 'named/fifo.yaml')
    ])
  })

  it('says that a pattern is not expanded, and what to name instead', async () => {
    const cwd = await workspace({ 'evals/b.eval.yaml': '' })
    const error = await findSpecFiles(['evals/*.eval.yaml'], cwd).catch((e: unknown) => e)
    expect((error as InputError).diagnostics).toEqual([
      {
        file: 'evals/*.eval.yaml',
        path: '',
        message: 'no such file or directory (patterns such as `*` are not expanded)',
        hint: 'name the directory instead: it is searched for `*.eval.yaml` and `*.eval.yml`'
      }
    ])
  })

  it('says a `#` path of the action’s input is a YAML comment kept as text, and of the command line a missing path', async () => {
    const cwd = await workspace({ 'evals/b.eval.yaml': '' })
    const error = await findSpecFiles(['# the suites', 'evals'], cwd).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SpecPathsError)
    expect((error as SpecPathsError).diagnostics).toEqual([
      {
        file: '# the suites',
        path: '',
        message: 'no such file or directory',
        hint: 'spec files are named `*.eval.yaml` or `*.eval.yml`'
      }
    ])
    expect((error as SpecPathsError).ofInput('specs').message).toBe(
      'input `specs`: 1 spec path could not be read:\n  # the suites: no such file or directory (a YAML block scalar (`specs: |`) keeps a `# comment` line as text, so it was read as a path: remove the line)'
    )
  })
})
