import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  FileStore,
  keyDirectory,
  NewerBaselineError,
  storeBaselineSafely
} from '../../src/baseline/index.js'
import { UsageError } from '../../src/errors.js'
import { RUN_RESULT_VERSION } from '../../src/results/types.js'
import { runResult } from '../helpers/run-result.js'

let dir: string
let warnings: string[]

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalgate-files-'))
  warnings = []
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

function store(): FileStore {
  return new FileStore(join(dir, 'baselines'), { warn: (message) => warnings.push(message) })
}

describe('FileStore', () => {
  it('writes <dir>/<sha>.json and reads it back', async () => {
    await store().write('abc123', runResult('abc123'))
    expect(await store().read('abc123')).toEqual(runResult('abc123'))
    expect(await store().shas()).toEqual(['abc123'])
  })

  it('answers undefined for a commit without a file, and no SHAs without a directory', async () => {
    expect(await store().read('abc123')).toBeUndefined()
    expect(await store().shas()).toEqual([])
  })

  it('lists SHAs oldest first', async () => {
    const files = store()
    await files.write('aaa111', runResult('aaa111'))
    await files.write('bbb222', runResult('bbb222'))
    // Written later, but the older of the two: the order is by age, not by name.
    await utimes(join(dir, 'baselines', 'bbb222.json'), new Date(1000), new Date(1000))
    expect(await files.shas()).toEqual(['bbb222', 'aaa111'])
  })

  it('skips an unreadable file with a warning', async () => {
    await store().write('abc123', runResult('abc123'))
    await writeFile(join(dir, 'baselines', 'abc123.json'), '{ "schemaVersion": 1')
    expect(await store().read('abc123')).toBeUndefined()
    expect(warnings).toEqual([expect.stringContaining('not valid JSON')])
  })

  it('says a newer evalgate wrote a baseline of a newer format, rather than skip it', async () => {
    await store().write('abc123', runResult('abc123'))
    const newer = { ...runResult('abc123'), schemaVersion: RUN_RESULT_VERSION + 1 }
    await writeFile(join(dir, 'baselines', 'abc123.json'), JSON.stringify(newer))
    await expect(store().read('abc123')).rejects.toThrow(
      new NewerBaselineError('abc123', RUN_RESULT_VERSION + 1)
    )
    expect(warnings).toEqual([])
  })

  it('refuses, as a usage error, a baseline path the file system cannot read', async () => {
    await mkdir(join(dir, 'baselines', 'abc123.json'), { recursive: true })
    await expect(store().read('abc123')).rejects.toThrow(
      new UsageError(
        `cannot read the baselines at ${join(dir, 'baselines', 'abc123.json')}: not a regular file; \`baseline-dir\` must be a directory of <commit sha>.json files: move what is there out of the way`
      )
    )
    await rm(join(dir, 'baselines'), { recursive: true })
    await writeFile(join(dir, 'baselines'), 'a file where the directory should be')
    await expect(store().shas()).rejects.toThrow(/^cannot read the baselines at .*: ENOTDIR/)
    expect(warnings).toEqual([])
  })

  it('refuses a key that would leave the directory', async () => {
    await expect(store().read('../secrets')).rejects.toThrow(/cannot name a baseline/)
  })

  it("keeps a key's baselines in a directory of their own, apart from the unkeyed ones", async () => {
    const keyed = (key: string) => new FileStore(join(dir, 'baselines'), { key })
    await store().write('abc123', runResult('abc123', 0.1))
    await keyed('gpt-4.1 mini').write('abc123', runResult('abc123', 0.2))
    await keyed('org/model').write('abc123', runResult('abc123', 0.3))

    expect(await readdir(join(dir, 'baselines'))).toEqual(
      ['abc123.json', 'gpt-4%2E1%20mini', 'org%2Fmodel'].sort()
    )
    expect(await store().read('abc123')).toEqual(runResult('abc123', 0.1))
    expect(await keyed('gpt-4.1 mini').read('abc123')).toEqual(runResult('abc123', 0.2))
    expect(await keyed('org/model').read('abc123')).toEqual(runResult('abc123', 0.3))
    expect(await keyed('other').read('abc123')).toBeUndefined()
    expect(await store().shas()).toEqual(['abc123'])
    expect(await keyed('other').shas()).toEqual([])
    expect(await keyed('other').unkeyedShas()).toEqual(['abc123'])
  })

  it('reports a failed write without throwing', async () => {
    await writeFile(join(dir, 'baselines'), 'a file where the directory should be')
    const outcome = await storeBaselineSafely(store(), 'abc123', runResult('abc123'))
    expect(outcome).toEqual({
      ok: false,
      error: expect.stringContaining('could not store the baseline for abc123')
    })
  })
})

describe('keyDirectory', () => {
  it('names one directory per key, whatever a matrix value holds, on any file system', () => {
    const keys = ['model-a', 'Model-A', 'a/b', 'a%2Fb', '..', '.', 'a b', 'modèle', '模型', 'a~b']
    const names = keys.map(keyDirectory)
    expect(names).toEqual([
      'model-a',
      '%4Dodel-%41',
      'a%2Fb',
      'a%252%46b',
      '%2E%2E',
      '%2E',
      'a%20b',
      'mod%C3%A8le',
      '%E6%A8%A1%E5%9E%8B',
      'a%7Eb'
    ])
    // Distinct even where case is not.
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(keys.length)
  })

  it('hashes a long key into a name short enough for any file system', () => {
    const long = '模'.repeat(100)
    const other = '模'.repeat(99) + '型'
    expect(keyDirectory(long)).toMatch(/^(%[0-9A-F]{2})+~[0-9a-f]{16}$/)
    expect(keyDirectory(long).length).toBeLessThanOrEqual(100)
    expect(keyDirectory(long)).not.toBe(keyDirectory(other))
  })
})
