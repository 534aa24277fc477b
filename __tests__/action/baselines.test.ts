/**
 * What the data branch keeps, through the action's bundle against a local GitHub: the results
 * `baseline-history` keeps, the baselines of matrix legs (`comment-key`) and of jobs that run
 * other specs on the same commit.
 */
import { ACTIONS_TOKEN, startGitHubServer } from '../helpers/github-server.js'
import type { GitHubServer } from '../helpers/github-server.js'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { RUN_RESULT_VERSION } from '../../src/results/types.js'
import {
  checkout,
  eventRunner,
  pullRequestPayload,
  pullRequestRun,
  pushPayload
} from '../helpers/events.js'
import { buildEntry } from '../helpers/cli.js'

const DATA = 'evalgate-data'

let action: string
let workspace: string
let server: GitHubServer
let runEvent: ReturnType<typeof eventRunner>

beforeAll(async () => {
  action = await buildEntry('src/index.ts')
  workspace = await checkout()
})
beforeEach(async () => {
  server = await startGitHubServer({ owner: 'octo-org', repo: 'triage', defaultBranch: 'main' })
  runEvent = eventRunner(action, workspace, server.url)
})
afterEach(async () => {
  await server.close()
  expect(server.violations).toEqual([])
})

/** The push run that stores the baseline of `sha` on main. */
async function push(
  sha: string,
  env: Record<string, string> = {},
  inputs: Record<string, string> = {}
) {
  const run = await runEvent(
    'push',
    pushPayload(sha),
    { GITHUB_SHA: sha, GITHUB_REF: 'refs/heads/main', GITHUB_JOB: 'evals', ...env },
    ACTIONS_TOKEN,
    inputs
  )
  expect(run.code).toBe(0)
  return run
}

/** A pull request onto `baseSha` of main that changes nothing the suites see. */
function pullRequest(baseSha: string, branch: string) {
  const headSha = server.state.commit({ branch, parents: [baseSha], files: { [branch]: '1\n' } })
  const { number } = server.state.addPullRequest({ headBranch: branch })
  return { number, headSha, headBranch: branch, baseSha }
}

function warnings(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line.startsWith('::warning'))
}

function indexedShas(): string[] {
  const index = JSON.parse(server.state.readFile(DATA, 'index.json')?.toString() ?? '{}') as {
    entries: { sha: string }[]
  }
  return index.entries.map((entry) => entry.sha)
}

describe('baseline-history', () => {
  it('keeps as many results as it says after one was deleted by hand', async () => {
    const shas = server.state.linearHistory(6)
    const [s1, s2, s3, s4, s5, s6] = shas as [string, string, string, string, string, string]
    for (const sha of [s1, s2, s3, s4, s5]) await push(sha, {}, { 'baseline-history': '3' })
    expect(server.state.listFiles(DATA)).toEqual(
      ['index.json', ...[s3, s4, s5].map((sha) => `results/${sha}.json.gz`)].sort()
    )

    // Someone deletes a result the index still lists.
    server.state.commit({ branch: DATA, files: { [`results/${s4}.json.gz`]: null } })
    await push(s6, {}, { 'baseline-history': '3' })

    expect(server.state.listFiles(DATA)).toEqual(
      ['index.json', ...[s3, s5, s6].map((sha) => `results/${sha}.json.gz`)].sort()
    )
    expect(indexedShas()).toEqual([s3, s5, s6])
  })
})

describe('the legs of a matrix (comment-key)', () => {
  /** Two models answering differently: the first every fourth case wrong. */
  const legs: { key: string; env: Record<string, string> }[] = [
    { key: 'model-a', env: { EVALGATE_FIXTURE_MODE: 'worse', EVALGATE_FIXTURE_MODEL: 'model-a' } },
    { key: 'org/model b', env: { EVALGATE_FIXTURE_MODEL: 'model-b' } }
  ]

  it('each store and compare with baselines of their own', async () => {
    const [first, second] = server.state.linearHistory(2) as [string, string]
    for (const sha of [first, second]) {
      for (const leg of legs) {
        const run = await push(sha, leg.env, { 'comment-key': leg.key })
        // Each leg compares with its own model's results: no model changed, no issue.
        expect(warnings(run.stdout)).toEqual([])
        expect(run.outputs['issue-url']).toBeUndefined()
      }
    }
    expect(server.state.issues.size).toBe(0)
    expect(server.state.listFiles(DATA)).toEqual(
      [
        'index.json',
        ...[first, second].flatMap((sha) => [
          `results/model-a/${sha}.json.gz`,
          `results/org%2Fmodel%20b/${sha}.json.gz`
        ])
      ].sort()
    )
    const index = JSON.parse(server.state.readFile(DATA, 'index.json')?.toString() ?? '') as {
      entries: { sha: string; key: string }[]
    }
    expect(index.entries.map(({ sha, key }) => [sha, key])).toEqual([
      [first, 'model-a'],
      [first, 'org/model b'],
      [second, 'model-a'],
      [second, 'org/model b']
    ])

    // A pull request that changes nothing: each leg answers as on main.
    const pull = pullRequest(second, 'docs')
    for (const leg of legs) {
      const run = await pullRequestRun(runEvent, pull, leg.env, { 'comment-key': leg.key })
      expect(run.code).toBe(0)
      expect(run.outputs.verdict).toBe('pass')
      expect(run.summary).toContain(`Baseline: \`${second.slice(0, 7)}\``)
    }
  })

  it('say so when the baselines were stored without their comment-key', async () => {
    const [mainSha] = server.state.linearHistory(1) as [string]
    // The job that stores baselines has no comment-key: its id keys nothing.
    await push(mainSha, { GITHUB_JOB: 'trusted' })
    expect(server.state.listFiles(DATA)).toEqual(['index.json', `results/${mainSha}.json.gz`])
    const pull = pullRequest(mainSha, 'feature')

    const unkeyed = await pullRequestRun(runEvent, pull, { GITHUB_JOB: 'pull-request' })
    expect(unkeyed.outputs.verdict).toBe('pass')

    const keyed = await pullRequestRun(
      runEvent,
      pull,
      { EVALGATE_FIXTURE_MODEL: 'model-b' },
      { 'comment-key': 'org/model b' }
    )
    expect(keyed.code).toBe(0)
    expect(keyed.outputs.verdict).toBe('no-baseline')
    const note = `This job reads the baselines stored under its \`comment-key\` (org/model b), and \`${mainSha.slice(0, 7)}\` has one stored by a job without it: set the same \`comment-key\` on the job that stores baselines (on pushes and schedules) as on the job that reads them (on pull requests).`
    expect(keyed.summary).toContain(note)
    const comments = server.state.commentsOn(pull.number).map((comment) => comment.body)
    expect(comments).toEqual(
      expect.arrayContaining([expect.stringContaining('### evalgate: no baseline yet')])
    )
    expect(comments.find((body) => body.includes('no baseline yet'))).toContain(note)
  })

  it('take a baseline stored under no key by an evalgate from before keys, of their own comment-key', async () => {
    const [mainSha] = server.state.linearHistory(1) as [string]
    const leg = legs[1] as (typeof legs)[number]
    await push(mainSha, leg.env, { 'comment-key': leg.key })
    // As that evalgate stored it: under no key, the key in the run only, in a format 1 index.
    const keyedPath = `results/org%2Fmodel%20b/${mainSha}.json.gz`
    const stored = server.state.readFile(DATA, keyedPath) as Buffer
    const run = JSON.parse(gunzipSync(stored).toString()) as { run: { commentKey?: string } }
    expect(run.run.commentKey).toBe(leg.key)
    const entry = { sha: mainSha, storedAt: '', suites: ['capitals'], toolVersion: '0.1.0' }
    server.state.commit({
      branch: DATA,
      files: {
        [keyedPath]: null,
        [`results/${mainSha}.json.gz`]: stored,
        'index.json': JSON.stringify({ formatVersion: 1, entries: [entry] })
      }
    })

    const pull = pullRequest(mainSha, 'upgraded')
    const keyed = await pullRequestRun(runEvent, pull, leg.env, { 'comment-key': leg.key })
    expect(keyed.code).toBe(0)
    expect(keyed.outputs.verdict).toBe('pass')
    expect(keyed.summary).toContain(`Baseline: \`${mainSha.slice(0, 7)}\``)
    expect(keyed.summary).not.toContain('set the same `comment-key`')
    // Another leg's job finds it is not its own.
    const other = await pullRequestRun(runEvent, pull, {}, { 'comment-key': 'model-a' })
    expect(other.outputs.verdict).toBe('no-baseline')
    expect(other.summary).toContain(`\`${mainSha.slice(0, 7)}\` has one stored by a job without it`)
  })

  it('keep their own files in the file store', async () => {
    const own = await checkout()
    const runHere = eventRunner(action, own, server.url)
    const [sha] = server.state.linearHistory(1) as [string]
    for (const leg of legs) {
      const run = await runHere(
        'push',
        pushPayload(sha),
        { GITHUB_SHA: sha, GITHUB_REF: 'refs/heads/main', ...leg.env },
        ACTIONS_TOKEN,
        { 'baseline-store': 'file', 'comment-key': leg.key }
      )
      expect(run.code).toBe(0)
    }
    const dir = join(own, '.evalgate/baselines')
    expect(existsSync(join(dir, 'model-a', `${sha}.json`))).toBe(true)
    expect(existsSync(join(dir, 'org%2Fmodel%20b', `${sha}.json`))).toBe(true)
    expect(existsSync(join(dir, `${sha}.json`))).toBe(false)
  })
})

describe('a baseline a newer evalgate stored', () => {
  it('is not stood in for by an older commit’s: no baseline, and upgrade the evalgate', async () => {
    const [older, mergeBase] = server.state.linearHistory(2) as [string, string]
    await push(older)
    await push(mergeBase, { EVALGATE_FIXTURE_MODE: 'worse' })
    // A newer evalgate on the push job stored the merge base's baseline in its newer format.
    const path = `results/${mergeBase}.json.gz`
    const run = JSON.parse(gunzipSync(server.state.readFile(DATA, path) as Buffer).toString()) as {
      schemaVersion: number
    }
    const newer = RUN_RESULT_VERSION + 1
    run.schemaVersion = newer
    server.state.commit({ branch: DATA, files: { [path]: gzipSync(JSON.stringify(run)) } })

    // The pull request answers as the merge base did: worse than the older commit.
    const pull = pullRequest(mergeBase, 'newer-baseline')
    const pr = await pullRequestRun(runEvent, pull, { EVALGATE_FIXTURE_MODE: 'worse' })
    expect(pr.code).toBe(0)
    expect(pr.outputs.verdict).toBe('no-baseline')
    const short = mergeBase.slice(0, 7)
    const why = `The baseline of the merge base \`${short}\` was written by a newer evalgate (results format ${newer}; this one reads up to ${RUN_RESULT_VERSION}), and an older commit's is no stand-in for it: upgrade the evalgate of this workflow`
    expect(pr.summary).toContain(why)
    expect(pr.summary).not.toContain(older.slice(0, 7))
    expect(warnings(pr.stdout)).toEqual([
      `::warning::evalgate: not comparing: the baseline of ${mergeBase} was written by a newer evalgate (results format ${newer}; this one reads up to ${RUN_RESULT_VERSION}); upgrade the evalgate of this workflow`
    ])
    const [comment] = server.state.commentsOn(pull.number)
    expect(comment?.body).toContain('### evalgate: no baseline yet')
    expect(comment?.body).toContain(why)
  })

  it('is not replaced by a night of this one at its commit', async () => {
    const [mainSha] = server.state.linearHistory(1) as [string]
    await push(mainSha)
    const path = `results/${mainSha}.json.gz`
    const stored = server.state.readFile(DATA, path) as Buffer
    const newerRun = JSON.parse(gunzipSync(stored).toString()) as { schemaVersion: number }
    newerRun.schemaVersion = RUN_RESULT_VERSION + 1
    const newerStored = gzipSync(JSON.stringify(newerRun))
    server.state.commit({ branch: DATA, files: { [path]: newerStored } })

    const night = await runEvent(
      'schedule',
      { schedule: '0 3 * * *' },
      { GITHUB_SHA: mainSha, GITHUB_REF: 'refs/heads/main', GITHUB_JOB: 'evals' },
      ACTIONS_TOKEN
    )
    expect(night.code).toBe(0)
    expect(night.stdout).toContain(
      `evalgate: not stored as the baseline of ${mainSha.slice(0, 7)}: a newer evalgate stored its baseline, which this one does not replace`
    )
    expect(server.state.readFile(DATA, path)).toEqual(newerStored)
  })
})

describe('two jobs of other specs without a comment-key', () => {
  it('warn when one replaces the other’s baseline, whose pull request says so', async () => {
    const own = await checkout()
    await mkdir(join(own, 'safety'))
    for (const file of ['app.js', 'capitals.jsonl']) {
      await copyFile(join(own, 'evals', file), join(own, 'safety', file))
    }
    const spec = await readFile(join(own, 'evals/qa.eval.yaml'), 'utf8')
    await writeFile(
      join(own, 'safety/safety.eval.yaml'),
      spec.replace('suite: capitals', 'suite: safety')
    )
    const runHere = eventRunner(action, own, server.url)
    const [mainSha] = server.state.linearHistory(1) as [string]
    const pushes = []
    for (const job of ['quality', 'safety']) {
      pushes.push(
        await runHere(
          'push',
          pushPayload(mainSha),
          { GITHUB_SHA: mainSha, GITHUB_REF: 'refs/heads/main', GITHUB_JOB: job },
          ACTIONS_TOKEN,
          { specs: job === 'quality' ? 'evals' : 'safety' }
        )
      )
    }
    expect(warnings(pushes[0]?.stdout ?? '')).toEqual([])
    expect(warnings(pushes[1]?.stdout ?? '')).toEqual([
      `::warning::evalgate: the results of ${mainSha} replace its baseline on the branch evalgate-data, which another job stored for other suites (capitals; this run's: safety): that job's pull requests will find no baseline of their suites. Give each job its own \`comment-key\`, so that each stores and compares its own baselines`
    ])

    const pull = pullRequest(mainSha, 'feature')
    const quality = await runHere(
      'pull_request',
      pullRequestPayload(pull),
      {
        GITHUB_SHA: 'f'.repeat(40),
        GITHUB_REF: `refs/pull/${pull.number}/merge`,
        GITHUB_JOB: 'quality',
        EVALGATE_FIXTURE_MODE: 'worse'
      },
      ACTIONS_TOKEN,
      { specs: 'evals' }
    )
    expect(quality.code).toBe(0)
    expect(quality.outputs.verdict).toBe('not-gated')
    expect(quality.summary).toContain(
      '> **Warning:** the baseline was stored for other suites (safety / app), by another job with other specs, it seems: this run shares no suite and provider with it, so nothing was compared. Give each job its own comment-key (an input of the action), so that each stores and compares its own baselines; if this run renamed them instead, the next baseline compares them'
    )
    expect(quality.summary).not.toContain('renamed or deleted?')
    const [comment] = server.state.commentsOn(pull.number)
    expect(comment?.body).toContain('the baseline was stored for other suites (safety / app)')
  })
})
