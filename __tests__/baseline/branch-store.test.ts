import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { BranchStore, storeBaselineSafely } from '../../src/baseline/index.js'
import type { BranchStoreOptions } from '../../src/baseline/index.js'
import { writeRunResult } from '../../src/io/files.js'
import { RUN_RESULT_VERSION } from '../../src/results/types.js'
import { faults, READ_ONLY_TOKEN, startGitHubServer, USER_TOKEN } from '../helpers/github-server.js'
import type { GitHubServer, GitHubServerOptions } from '../helpers/github-server.js'
import { clientFor, countOf, recordingSleep } from '../github/setup.js'
import { runResult } from '../helpers/run-result.js'

let server: GitHubServer
let warnings: string[]

async function start(options: GitHubServerOptions = {}): Promise<void> {
  server = await startGitHubServer(options)
}

beforeEach(async () => {
  warnings = []
  await start()
})

afterEach(async () => {
  await server.close()
  expect(server.violations).toEqual([])
})

function store(options: BranchStoreOptions = {}, token = USER_TOKEN): BranchStore {
  return new BranchStore(clientFor(server, token), {
    warn: (message) => warnings.push(message),
    sleep: recordingSleep().sleep,
    ...options
  })
}

const DATA = 'evalgate-data'

function index(): { sha: string; suites: string[]; toolVersion: string }[] {
  const file = server.state.readFile(DATA, 'index.json')
  return (JSON.parse(file?.toString() ?? '{}') as { entries: [] }).entries
}

describe('BranchStore', () => {
  it('stores a result on an orphan data branch and reads it back', async () => {
    const mainBefore = server.state.branchTip('main')
    const run = runResult('a1b2c3')
    await store().write('a1b2c3', run)

    expect(await store().read('a1b2c3')).toEqual(run)
    expect(server.state.listFiles(DATA)).toEqual(['index.json', 'results/a1b2c3.json.gz'])
    const [tip] = server.state.firstParents(DATA)
    expect(server.state.object(tip ?? '', 'commit')?.parents).toEqual([])
    expect(server.state.branchTip('main')).toBe(mainBefore)
    const stored = server.state.readFile(DATA, 'results/a1b2c3.json.gz')
    expect(JSON.parse(gunzipSync(stored ?? Buffer.alloc(0)).toString())).toEqual(run)
    expect(index()).toEqual([
      { sha: 'a1b2c3', storedAt: expect.any(String), suites: ['triage'], toolVersion: '0.1.0' }
    ])
  })

  it('adds commits on top of the branch, moving the ref without force', async () => {
    const writer = store()
    await writer.write('aaa111', runResult('aaa111'))
    await writer.write('bbb222', runResult('bbb222'))
    expect(server.state.firstParents(DATA)).toHaveLength(2)
    expect(await writer.shas()).toEqual(['aaa111', 'bbb222'])
    const updates = server.requests.filter((r) => r.operationId === 'git/update-ref')
    expect(updates.map((r) => r.body)).toEqual([{ sha: expect.any(String), force: false }])
  })

  it('answers undefined and no SHAs while the branch does not exist', async () => {
    expect(await store().read('a1b2c3')).toBeUndefined()
    expect(await store().shas()).toEqual([])
  })

  it('replays its change on the new tip when another writer moved the ref', async () => {
    const first = store()
    const other = store()
    await first.write('base00', runResult('base00'))
    server.before('git/update-ref', () => other.write('other1', runResult('other1', 0.5)))

    await first.write('mine01', runResult('mine01'))

    expect(await store().shas()).toEqual(['base00', 'other1', 'mine01'])
    expect(await store().read('other1')).toEqual(runResult('other1', 0.5))
    expect(await store().read('mine01')).toEqual(runResult('mine01'))
    expect(countOf(server, 'git/update-ref')).toBe(3)
  })

  it('retries when another writer created the branch first', async () => {
    const first = store()
    const other = store()
    server.before('git/create-ref', () => other.write('other1', runResult('other1')))
    await first.write('mine01', runResult('mine01'))
    expect(await store().shas()).toEqual(['other1', 'mine01'])
  })

  it('keeps every result when several jobs write at once', async () => {
    const shas = ['c0ffee1', 'c0ffee2', 'c0ffee3', 'c0ffee4']
    await Promise.all(shas.map((sha) => store().write(sha, runResult(sha))))
    expect((await store().shas()).sort()).toEqual(shas)
    for (const sha of shas) expect(await store().read(sha)).toEqual(runResult(sha))
  })

  it('gives up after a bounded number of attempts when the branch keeps moving', async () => {
    const writer = store({ maxAttempts: 3 })
    await writer.write('base00', runResult('base00'))
    server.before(
      'git/update-ref',
      () =>
        void server.state.commit({ branch: DATA, files: { 'noise.txt': String(Math.random()) } }),
      { times: Infinity }
    )
    const outcome = await storeBaselineSafely(writer, 'mine01', runResult('mine01'))
    expect(outcome).toEqual({
      ok: false,
      error: expect.stringContaining('it moved under 3 attempts in a row')
    })
    expect(countOf(server, 'git/update-ref')).toBe(3)
  })

  it("keeps each key's results apart, pruned per key, and records the key in the index", async () => {
    const keyed = (key: string) => store({ key, historyLength: 2 })
    for (const sha of ['s1', 's2', 's3']) {
      await keyed('model-a').write(sha, runResult(sha, 0.1))
      await keyed('org/model b').write(sha, runResult(sha, 0.2))
    }
    await store({ historyLength: 2 }).write('s3', runResult('s3', 0.3))

    expect(server.state.listFiles(DATA)).toEqual([
      'index.json',
      'results/model-a/s2.json.gz',
      'results/model-a/s3.json.gz',
      'results/org%2Fmodel%20b/s2.json.gz',
      'results/org%2Fmodel%20b/s3.json.gz',
      'results/s3.json.gz'
    ])
    expect(index().map((e) => [e.sha, (e as { key?: string }).key])).toEqual([
      ['s2', 'model-a'],
      ['s2', 'org/model b'],
      ['s3', 'model-a'],
      ['s3', 'org/model b'],
      ['s3', undefined]
    ])
    expect(await keyed('model-a').read('s3')).toEqual(runResult('s3', 0.1))
    expect(await keyed('org/model b').read('s3')).toEqual(runResult('s3', 0.2))
    expect(await store().read('s3')).toEqual(runResult('s3', 0.3))
    expect(await keyed('model-a').shas()).toEqual(['s2', 's3'])
    expect(await keyed('model-c').shas()).toEqual([])
    expect(await keyed('model-c').unkeyedShas()).toEqual(['s3'])
    expect(await store().shas()).toEqual(['s3'])
  })

  it('marks an index of keyed results as format 2, which an evalgate from before keys writes nothing to', async () => {
    const formatVersion = () =>
      (
        JSON.parse(server.state.readFile(DATA, 'index.json')?.toString() ?? '{}') as {
          formatVersion: number
        }
      ).formatVersion
    await store().write('s1', runResult('s1'))
    expect(formatVersion()).toBe(1)
    await store({ key: 'model-a' }).write('s1', runResult('s1'))
    expect(formatVersion()).toBe(2)
    // A job without a key writes on a branch that holds keyed results: still format 2.
    await store().write('s2', runResult('s2'))
    expect(formatVersion()).toBe(2)
  })

  it('rebuilds, rather than prunes by, an index where an evalgate from before keys listed keyed results as results of none', async () => {
    const keyed = store({ key: 'model-a' })
    for (const sha of ['s1', 's2']) await keyed.write(sha, runResult(sha, 0.1))
    await store().write('u3', runResult('u3'))
    // That evalgate took results/model-a/<sha> for the result of "model-a/<sha>", undated, and
    // dropped the keyed entries, whose results/<sha> it did not find.
    const undated = (sha: string) => ({ sha, storedAt: '', suites: [], toolVersion: '' })
    const old = {
      formatVersion: 1,
      entries: [
        undated('model-a/s1'),
        undated('model-a/s2'),
        {
          sha: 'u3',
          storedAt: '2025-01-01T00:00:00.000Z',
          suites: ['triage'],
          toolVersion: '0.1.0'
        }
      ]
    }
    server.state.commit({ branch: DATA, files: { 'index.json': JSON.stringify(old) } })

    await store({ historyLength: 2 }).write('u4', runResult('u4'))

    expect(server.state.listFiles(DATA)).toEqual([
      'index.json',
      'results/model-a/s1.json.gz',
      'results/model-a/s2.json.gz',
      'results/u3.json.gz',
      'results/u4.json.gz'
    ])
    expect(warnings).toEqual([
      'the index of the branch evalgate-data is unreadable (malformed entries); using the file listing instead'
    ])
    expect(index().map((e) => e.sha)).toEqual(['u3', 'u4'])
    expect(await store({ key: 'model-a' }).shas()).toEqual(['s1', 's2'])
    expect(await store({ key: 'model-a' }).read('s2')).toEqual(runResult('s2', 0.1))
  })

  it("rebuilds a lost index from a key's own results", async () => {
    await store({ key: 'model-a' }).write('s1', runResult('s1'))
    await store().write('s1', runResult('s1'))
    server.state.commit({ branch: DATA, files: { 'index.json': null } })
    expect(await store({ key: 'model-a' }).shas()).toEqual(['s1'])
    expect(await store({ key: 'model-b' }).shas()).toEqual([])
    expect(await store().shas()).toEqual(['s1'])
  })

  it('prunes the oldest results beyond the history length', async () => {
    const writer = store({ historyLength: 3 })
    for (const sha of ['s1', 's2', 's3', 's4', 's5']) await writer.write(sha, runResult(sha))
    expect(await writer.shas()).toEqual(['s3', 's4', 's5'])
    expect(index().map((e) => e.sha)).toEqual(['s3', 's4', 's5'])
    expect(server.state.listFiles(DATA)).toEqual([
      'index.json',
      'results/s3.json.gz',
      'results/s4.json.gz',
      'results/s5.json.gz'
    ])
    expect(await writer.read('s1')).toBeUndefined()
  })

  it('moves a result written again to the newest end', async () => {
    const writer = store({ historyLength: 2 })
    await writer.write('s1', runResult('s1'))
    await writer.write('s2', runResult('s2'))
    await writer.write('s1', runResult('s1', 0))
    expect(await writer.shas()).toEqual(['s2', 's1'])
    expect(await writer.read('s1')).toEqual(runResult('s1', 0))
  })

  it('treats a corrupt blob as absent and warns', async () => {
    await store().write('bad001', runResult('bad001'))
    server.state.commit({ branch: DATA, files: { 'results/bad001.json.gz': 'not gzip at all' } })
    expect(await store().read('bad001')).toBeUndefined()
    expect(warnings).toEqual([
      expect.stringMatching(/ignoring the stored baseline for bad001 on evalgate-data: .*header/)
    ])
  })

  it('treats gzip of something that is not a RunResult as absent and warns', async () => {
    await store().write('bad002', runResult('bad002'))
    server.state.commit({
      branch: DATA,
      files: { 'results/bad002.json.gz': gzipSync('{"schemaVersion": 1, "suites": "none"}') }
    })
    expect(await store().read('bad002')).toBeUndefined()
    expect(warnings).toEqual([expect.stringContaining('is not an evalgate RunResult')])
  })

  it('says a newer evalgate wrote a result of a newer format, rather than skip it', async () => {
    await store().write('new001', runResult('new001'))
    const newer = { ...runResult('new001'), schemaVersion: RUN_RESULT_VERSION + 1 }
    server.state.commit({
      branch: DATA,
      files: { 'results/new001.json.gz': gzipSync(JSON.stringify(newer)) }
    })
    await expect(store().read('new001')).rejects.toThrow(
      `the baseline of new001 was written by a newer evalgate (results format ${RUN_RESULT_VERSION + 1}; this one reads up to ${RUN_RESULT_VERSION}): upgrade the evalgate of this workflow`
    )
    expect(warnings).toEqual([])
  })

  it('falls back on the file listing when the index is unreadable, and repairs it', async () => {
    await store().write('s1', runResult('s1'))
    server.state.commit({ branch: DATA, files: { 'index.json': '{ broken' } })
    const writer = store()
    expect(await writer.shas()).toEqual(['s1'])
    expect(warnings).toEqual([
      expect.stringContaining('the index of the branch evalgate-data is unreadable')
    ])
    await writer.write('s2', runResult('s2'))
    expect(index().map((e) => e.sha)).toEqual(['s1', 's2'])
  })

  it('after the index was lost, prunes the undated results first and keeps the newest', async () => {
    const writer = store({ historyLength: 3 })
    for (const sha of ['aaa', 'bbb', 'ccc']) await writer.write(sha, runResult(sha))
    server.state.commit({ branch: DATA, files: { 'index.json': null } })
    const results = () => server.state.listFiles(DATA).filter((path) => path !== 'index.json')

    await store({ historyLength: 3 }).write('ddd', runResult('ddd'))
    expect(results()).toHaveLength(3)
    expect(results()).toContain('results/ddd.json.gz')
    for (const sha of ['eee', 'fff', 'ggg']) {
      await store({ historyLength: 3 }).write(sha, runResult(sha))
    }
    expect(results()).toEqual(['results/eee.json.gz', 'results/fff.json.gz', 'results/ggg.json.gz'])
    expect(index().map((e) => e.sha)).toEqual(['eee', 'fff', 'ggg'])
  })

  it('takes a result the index does not list for older than those it lists', async () => {
    const writer = store({ historyLength: 2 })
    await writer.write('s1', runResult('s1'))
    await writer.write('s2', runResult('s2'))
    const blob = server.state.readFile(DATA, 'results/s1.json.gz') ?? Buffer.alloc(0)
    server.state.commit({ branch: DATA, files: { 'results/zzz.json.gz': blob } })
    expect(await store().shas()).toEqual(['zzz', 's1', 's2'])

    await store({ historyLength: 2 }).write('s3', runResult('s3'))
    expect(server.state.listFiles(DATA)).toEqual([
      'index.json',
      'results/s2.json.gz',
      'results/s3.json.gz'
    ])
  })

  it('reads, but never overwrites, an index of a newer format', async () => {
    await store().write('s1', runResult('s1'))
    const newer = JSON.stringify({ formatVersion: 3, entries: [], more: 'kept' })
    server.state.commit({ branch: DATA, files: { 'index.json': newer } })
    const writer = store()
    expect(await writer.shas()).toEqual(['s1'])
    await expect(writer.write('s2', runResult('s2'))).rejects.toThrow(
      'not storing the results of s2 on the branch evalgate-data: a newer evalgate writes it'
    )
    expect(server.state.readFile(DATA, 'index.json')?.toString()).toBe(newer)
    expect(warnings).toEqual([expect.stringContaining('is of a newer format (3)')])
  })

  it("never overwrites an index.json that is not evalgate's: the branch is not its own", async () => {
    const site = '{"site":"my docs search index"}\n'
    server.state.commit({ branch: 'gh-pages', orphan: true, files: { 'index.json': site } })
    const writer = store({ branch: 'gh-pages' })
    await expect(writer.write('s1', runResult('s1'))).rejects.toThrow(
      "not storing the results of s1 on the branch gh-pages: it is not an evalgate data branch (it holds files evalgate did not write), and evalgate would commit onto them; choose a branch of evalgate's own, such as the default evalgate-data"
    )
    expect(server.state.readFile('gh-pages', 'index.json')?.toString()).toBe(site)
    expect(server.state.listFiles('gh-pages')).toEqual(['index.json'])
    expect(warnings).toEqual([
      expect.stringContaining('the branch gh-pages is not an evalgate data branch')
    ])
  })

  it('never commits onto a branch of the repository’s own, which has no evalgate index', async () => {
    const main = server.state.commit({ branch: 'main', files: { 'README.md': '# triage\n' } })
    const writer = store({ branch: 'main' })
    await expect(writer.write('s1', runResult('s1'))).rejects.toThrow(
      'not storing the results of s1 on the branch main: it is not an evalgate data branch (it holds files evalgate did not write)'
    )
    expect(server.state.listFiles('main')).toEqual(['README.md'])
    expect(server.state.refs.get('refs/heads/main')).toBe(main)
    expect(warnings).toEqual([
      'the branch main is not an evalgate data branch: it holds README.md and no evalgate index; reading the file listing, writing nothing'
    ])
  })

  it.each(['Reference cannot be updated', 'Reference update failed'])(
    'applies its change again when GitHub answers "%s" to a race',
    async (message) => {
      const writer = store()
      await writer.write('base00', runResult('base00'))
      server.fault('git/update-ref', { status: 422, message })
      await writer.write('mine01', runResult('mine01'))
      expect(await store().shas()).toEqual(['base00', 'mine01'])
      expect(countOf(server, 'git/update-ref')).toBe(2)
    }
  )

  it('creates the branch again when it was deleted before the ref was moved', async () => {
    const writer = store()
    await writer.write('base00', runResult('base00'))
    server.before('git/update-ref', () => void server.state.refs.delete(`refs/heads/${DATA}`))
    await writer.write('mine01', runResult('mine01'))
    expect(server.state.listFiles(DATA)).toEqual(['index.json', 'results/mine01.json.gz'])
    expect(await store().read('mine01')).toEqual(runResult('mine01'))
    expect(countOf(server, 'git/create-ref')).toBe(2)
  })

  it("stores the results file's JSON, gzip'ed: written in pieces, as a run too large for one string is", async () => {
    const run = runResult('a1b2c3')
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-results-'))
    await writeRunResult(join(dir, 'results.json'), run)
    await store().write('a1b2c3', run)
    const stored = server.state.readFile(DATA, 'results/a1b2c3.json.gz') ?? Buffer.alloc(0)
    expect(gunzipSync(stored).toString()).toBe(await readFile(join(dir, 'results.json'), 'utf8'))
    await rm(dir, { recursive: true })
  })

  it('refuses a result larger than a blob GitHub takes, uploading nothing', async () => {
    await expect(store({ maxBlobBytes: 100 }).write('s1', runResult('s1'))).rejects.toThrow(
      "not storing the results of s1 on the branch evalgate-data: gzip'ed, they are over the 0 MB GitHub takes in one blob; make the run smaller (fewer or shorter outputs: a lower max_tokens; fewer repeats), or split its suites among jobs, each with a baseline-branch of its own"
    )
    expect(countOf(server, 'git/create-blob')).toBe(0)
    expect(server.state.branchTip(DATA)).toBeUndefined()
  })

  it('uses the branch it is told to', async () => {
    await store({ branch: 'ml/baselines' }).write('s1', runResult('s1'))
    expect(server.state.listFiles('ml/baselines')).toContain('results/s1.json.gz')
    expect(await store({ branch: 'ml/baselines' }).read('s1')).toEqual(runResult('s1'))
  })

  it('refuses a key that is not one path component', async () => {
    await expect(store().write('../main', runResult('x'))).rejects.toThrow(/cannot name a baseline/)
  })
})

describe('storeBaselineSafely', () => {
  it('reports a read-only token instead of throwing', async () => {
    const outcome = await storeBaselineSafely(store({}, READ_ONLY_TOKEN), 'a1', runResult('a1'))
    expect(outcome).toEqual({
      ok: false,
      error: expect.stringMatching(
        /could not store the baseline for a1: .*permissions: contents: write/
      )
    })
  })

  it.each([
    ['a server error', faults.serverError(), /server error after 4 attempts/],
    ['a rate limit', faults.rateLimited(4_000_000_000), /API rate limit .* used up/],
    ['a 404', faults.notFound(), /could not create a git commit .*404/],
    ['a 403', faults.forbidden(), /lacks `permissions: contents: write`/]
  ])('reports %s instead of throwing', async (_name, fault, message) => {
    server.fault('git/create-commit', fault, { times: Infinity })
    const outcome = await storeBaselineSafely(store(), 'a1', runResult('a1'))
    expect(outcome).toEqual({ ok: false, error: expect.stringMatching(message) })
    expect(server.state.branchTip(DATA)).toBeUndefined()
  })

  it('reports a 422 from GitHub instead of throwing', async () => {
    server.fault('git/create-tree', { status: 422, message: 'Invalid tree info' })
    const outcome = await storeBaselineSafely(store(), 'a1', runResult('a1'))
    expect(outcome).toEqual({ ok: false, error: expect.stringContaining('Invalid tree info') })
  })

  it('reports an empty repository, where GitHub has no git database yet', async () => {
    await server.close()
    await start({ empty: true })
    const outcome = await storeBaselineSafely(store(), 'a1', runResult('a1'))
    expect(outcome).toEqual({
      ok: false,
      error: expect.stringContaining('the repository has no commits yet')
    })
  })

  it('says ok when the result is stored', async () => {
    expect(await storeBaselineSafely(store(), 'a1', runResult('a1'))).toEqual({ ok: true })
  })
})
