import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileStore, storeBaselineSafely } from '../../src/baseline/index.js'
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

  it('skips a newer format with a warning to upgrade', async () => {
    await store().write('abc123', runResult('abc123'))
    const newer = { ...runResult('abc123'), schemaVersion: RUN_RESULT_VERSION + 1 }
    await writeFile(join(dir, 'baselines', 'abc123.json'), JSON.stringify(newer))
    expect(await store().read('abc123')).toBeUndefined()
    expect(warnings).toEqual([expect.stringContaining('upgrade evalgate')])
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

  it('reports a failed write without throwing', async () => {
    await writeFile(join(dir, 'baselines'), 'a file where the directory should be')
    const outcome = await storeBaselineSafely(store(), 'abc123', runResult('abc123'))
    expect(outcome).toEqual({
      ok: false,
      error: expect.stringContaining('could not store the baseline for abc123')
    })
  })
})
