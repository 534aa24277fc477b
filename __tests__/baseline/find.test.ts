import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  BranchStore,
  FileStore,
  findBaseline,
  findPullRequestBaseline,
  firstParentHistory,
  mergeBase
} from '../../src/baseline/index.js'
import type { BaselineStore } from '../../src/baseline/index.js'
import { startGitHubServer } from '../helpers/github-server.js'
import type { GitHubServer } from '../helpers/github-server.js'
import { clientFor, countOf } from '../github/setup.js'
import { runResult } from '../helpers/run-result.js'

let server: GitHubServer
let warnings: string[]

beforeEach(async () => {
  warnings = []
  server = await startGitHubServer()
})

afterEach(async () => {
  await server.close()
  expect(server.violations).toEqual([])
})

function branchStore(): BranchStore {
  return new BranchStore(clientFor(server), { warn: (message) => warnings.push(message) })
}

async function collect(history: AsyncIterable<string>): Promise<string[]> {
  const shas: string[] = []
  for await (const sha of history) shas.push(sha)
  return shas
}

describe('firstParentHistory', () => {
  it('walks first parents, newest first, fetching a commit only when asked', async () => {
    const main = server.state.linearHistory(5)
    const newest = main[4] as string
    expect(await collect(firstParentHistory(clientFor(server), newest, 3))).toEqual([
      main[4],
      main[3],
      main[2]
    ])
    expect(countOf(server, 'repos/get-commit')).toBe(2)
  })

  it('follows the first parent through a merge', async () => {
    const [forkPoint] = server.state.linearHistory(1)
    const side = server.state.commit({ branch: 'side', parents: [forkPoint as string] })
    const mainTip = server.state.commit({ files: { 'm.txt': 'm' } })
    const merge = server.state.commit({ parents: [mainTip, side] })
    expect(await collect(firstParentHistory(clientFor(server), merge, 3))).toEqual([
      merge,
      mainTip,
      forkPoint
    ])
  })

  it('ends at the root commit', async () => {
    const root = server.state.firstParents('main').at(-1) as string
    expect(await collect(firstParentHistory(clientFor(server), root, 10))).toEqual([root])
  })
})

describe('mergeBase', () => {
  it('is where the PR branch left the base branch', async () => {
    const [forkPoint] = server.state.linearHistory(2).slice(1)
    server.state.commit({ branch: 'feature', parents: [forkPoint as string] })
    server.state.linearHistory(3)
    expect(await mergeBase(clientFor(server), 'main', 'feature')).toBe(forkPoint)
  })

  it('is none for a branch that shares no history with the base (GitHub: 404 No common ancestor)', async () => {
    server.state.linearHistory(2)
    server.state.commit({ branch: 'unrelated', parents: [] })
    expect(await mergeBase(clientFor(server), 'main', 'unrelated')).toBeUndefined()
    await expect(mergeBase(clientFor(server), 'main', 'no-such-branch')).rejects.toThrow()
  })
})

describe('findBaseline', () => {
  it('walks back to the nearest stored commit and gives its distance', async () => {
    const main = server.state.linearHistory(10)
    const store = branchStore()
    await store.write(main[2] as string, runResult(main[2] as string, 0.2))
    await store.write(main[5] as string, runResult(main[5] as string, 0.5))
    const client = clientFor(server)
    const wanted = main[8] as string

    const found = await findBaseline(branchStore(), firstParentHistory(client, wanted, 51))

    expect(found.match).toEqual({
      run: runResult(main[5] as string, 0.5),
      sha: main[5],
      distance: 3
    })
    expect(countOf(server, 'repos/get-commit')).toBe(3)
  })

  it('finds the commit itself at distance 0', async () => {
    const store = branchStore()
    await store.write('abc123', runResult('abc123'))
    expect(await findBaseline(branchStore(), ['abc123', 'def456'])).toEqual({
      match: { run: runResult('abc123'), sha: 'abc123', distance: 0 }
    })
  })

  it('looks no further than maxDistance', async () => {
    const store = branchStore()
    await store.write('s3', runResult('s3'))
    const history = ['s0', 's1', 's2', 's3']
    expect(await findBaseline(branchStore(), history, { maxDistance: 2 })).toEqual({})
    expect((await findBaseline(branchStore(), history, { maxDistance: 3 })).match).toEqual(
      expect.objectContaining({ sha: 's3', distance: 3 })
    )
  })

  it('skips a stored result it cannot read and goes on to an older one', async () => {
    const store = branchStore()
    await store.write('old', runResult('old'))
    await store.write('new', runResult('new'))
    server.state.commit({ branch: 'evalgate-data', files: { 'results/new.json.gz': 'junk' } })
    const found = await findBaseline(branchStore(), ['new', 'mid', 'old'])
    expect(found.match).toEqual(expect.objectContaining({ sha: 'old', distance: 2 }))
    expect(warnings).toEqual([expect.stringContaining('ignoring the stored baseline for new')])
  })

  it('answers no match when nothing is stored', async () => {
    expect(await findBaseline(branchStore(), ['a', 'b'])).toEqual({})
  })

  it("under a key, finds only the key's baselines, and names the nearest unkeyed one", async () => {
    await branchStore().write('old', runResult('old'))
    await branchStore().write('mid', runResult('mid'))
    const keyed = (key: string) =>
      new BranchStore(clientFor(server), { key, warn: (message) => warnings.push(message) })
    expect(await findBaseline(keyed('model-a'), ['new', 'mid', 'old'])).toEqual({
      unkeyed: 'mid'
    })
    await keyed('model-a').write('old', runResult('old', 0.3))
    expect(await findBaseline(keyed('model-a'), ['new', 'mid', 'old'])).toEqual({
      match: { run: runResult('old', 0.3), sha: 'old', distance: 2 }
    })
    expect(await findBaseline(keyed('model-b'), ['new'])).toEqual({})
    // The unkeyed store, the jobs' without a key, does not see the keyed ones.
    expect((await findBaseline(branchStore(), ['old'])).match?.run).toEqual(runResult('old'))
  })

  it('works on any store, such as reviewed baselines in files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-find-'))
    try {
      const store: BaselineStore = new FileStore(dir)
      await store.write('reviewed', runResult('reviewed'))
      expect((await findBaseline(store, ['head', 'reviewed'])).match).toEqual(
        expect.objectContaining({ sha: 'reviewed', distance: 1 })
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('findPullRequestBaseline', () => {
  it("uses the merge base's nearest stored ancestor on the base branch", async () => {
    const main = server.state.linearHistory(4)
    const forkPoint = main[3] as string
    server.state.commit({ branch: 'feature', parents: [forkPoint] })
    server.state.linearHistory(2)
    await branchStore().write(main[1] as string, runResult(main[1] as string))

    const result = await findPullRequestBaseline(clientFor(server), branchStore(), {
      base: 'main',
      head: 'feature'
    })

    expect(result.mergeBase).toBe(forkPoint)
    expect(result.match).toEqual(expect.objectContaining({ sha: main[1], distance: 2 }))
  })
})
