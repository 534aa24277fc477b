/**
 * GitHub failing under the action: every call of the pull-request flow answered 403, 404, 422,
 * 500 or a rate limit, the data branch moved by another writer, a baseline that cannot be read, a
 * sticky comment deleted. Each time the run's results survive on disk, the job log says what
 * happened, and only the evals decide whether the step fails.
 */
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { parseRunResult } from '../../src/results/parse.js'
import {
  ACTIONS_BOT_LOGIN,
  ACTIONS_TOKEN,
  faults,
  startGitHubServer
} from '../helpers/github-server.js'
import type { FaultReply, GitHubServer, RecordedRequest } from '../helpers/github-server.js'
import { runActionBundle } from '../helpers/action.js'
import type { ActionRun } from '../helpers/action.js'
import { buildEntry } from '../helpers/cli.js'

const workspace = resolve('__tests__/fixtures/action')
const DATA_BRANCH = 'evalgate-data'
const MARKER = '<!-- evalgate:evals -->'
const repository = { full_name: 'octo-org/triage', name: 'triage', default_branch: 'main' }

let action: string
let server: GitHubServer
/** The commit of main whose results are the stored baseline. */
let baselineSha: string
/** Main's tip when the pull request was opened: the merge base, one commit after the baseline. */
let baseSha: string
let headSha: string
let prNumber: number

interface FaultRun extends ActionRun {
  resultsPath: string
  /** The requests this run made, in order. */
  requests: RecordedRequest[]
  warnings: string[]
}

/** Runs the action's bundle for `eventName` as the runner does, against the local GitHub. */
async function runEvent(
  eventName: string,
  payload: Record<string, unknown>,
  env: Record<string, string>
): Promise<FaultRun> {
  const resultsPath = join(await mkdtemp(join(tmpdir(), 'evalgate-results-')), 'results.json')
  const start = server.requests.length
  const run = await runActionBundle(action, {
    cwd: workspace,
    payload,
    inputs: { specs: 'evals', 'results-path': resultsPath, 'github-token': ACTIONS_TOKEN },
    env: {
      GITHUB_EVENT_NAME: eventName,
      GITHUB_API_URL: server.url,
      GITHUB_WORKFLOW: 'evals',
      GITHUB_RUN_ID: '2002',
      GITHUB_SERVER_URL: 'https://github.com',
      ...env
    }
  })
  return {
    ...run,
    resultsPath,
    requests: server.requests.slice(start),
    warnings: run.stdout.split('\n').filter((line) => line.startsWith('::warning::'))
  }
}

function pushRun(sha: string): Promise<FaultRun> {
  return runEvent(
    'push',
    { ref: 'refs/heads/main', after: sha, repository },
    { GITHUB_SHA: sha, GITHUB_REF: 'refs/heads/main' }
  )
}

/** A run of the pull request; `worse` makes its evals regress against the baseline. */
function pullRequestRun(
  mode: 'same' | 'worse',
  pr = { number: prNumber, base: baseSha, head: headSha, baseRef: 'main' }
): Promise<FaultRun> {
  const side = (ref: string, sha: string) => ({ ref, sha, repo: repository })
  return runEvent(
    'pull_request',
    {
      action: 'synchronize',
      number: pr.number,
      repository,
      pull_request: {
        number: pr.number,
        base: side(pr.baseRef, pr.base),
        head: side('feature', pr.head)
      }
    },
    {
      GITHUB_SHA: 'f'.repeat(40),
      GITHUB_REF: `refs/pull/${pr.number}/merge`,
      ...(mode === 'worse' ? { EVALGATE_FIXTURE_MODE: 'worse' } : {})
    }
  )
}

/** Whatever GitHub did, the step ended on its own terms and the results file is intact. */
async function expectResultsSurvived(run: FaultRun, commit: string): Promise<void> {
  for (const stream of [run.stdout, run.stderr]) {
    expect(stream).not.toContain('internal error')
    expect(stream).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m)
  }
  expect(run.stderr).toBe('')
  expect(run.outputs['results-path']).toBe(run.resultsPath)
  const results = parseRunResult(await readFile(run.resultsPath, 'utf8'), run.resultsPath)
  expect(results.run.complete).toBe(true)
  expect(results.run.commit).toBe(commit)
  expect(results.suites.map((suite) => suite.suite)).toEqual(['capitals'])
}

function calls(run: FaultRun, operationId: string): RecordedRequest[] {
  return run.requests.filter((request) => request.operationId === operationId)
}

/** Fails the `nth` request for `operationId` (and the `times - 1` after it) with `reply`. */
function failNth(operationId: string, nth: number, reply: FaultReply, times: number): void {
  let seen = 0
  // A hook runs before the fault lookup of the same request, so the fault applies to it.
  server.before(
    operationId,
    () => {
      if (++seen === nth) server.fault(operationId, reply, { times })
    },
    { times: nth }
  )
}

function resetAnHourFromNow(): number {
  return Math.floor(Date.now() / 1000) + 3600
}

const validationFailed: FaultReply = { status: 422, message: 'Validation Failed' }
/** One request plus the client's three retries of a server error. */
const EVERY_ATTEMPT = 4

function ourComments() {
  return server.state.commentsOn(prNumber).filter((comment) => comment.body.includes(MARKER))
}

function deleteAllComments(): void {
  for (const comment of server.state.commentsOn(prNumber)) server.state.deleteComment(comment.id)
}

beforeAll(async () => {
  action = await buildEntry('src/index.ts')
  server = await startGitHubServer({ owner: 'octo-org', repo: 'triage', defaultBranch: 'main' })
  baselineSha = server.state.linearHistory(2).at(-1) as string
  const stored = await pushRun(baselineSha)
  expect(stored.code).toBe(0)
  expect(server.state.readFile(DATA_BRANCH, `results/${baselineSha}.json.gz`)).toBeDefined()
  // The merge base has no results of its own: the baseline is found one first parent back.
  baseSha = server.state.commit({ branch: 'main', files: { 'prompt.txt': 'v1\n' } })
  headSha = server.state.commit({
    branch: 'feature',
    parents: [baseSha],
    files: { 'prompt.txt': 'v2\n' }
  })
  prNumber = server.state.addPullRequest({ headBranch: 'feature' }).number
})
afterAll(() => server.close())
afterEach(() => expect(server.violations).toEqual([]))

describe('GitHub failing while the pull request’s baseline is read', () => {
  it('without a fault: the baseline is found one commit behind the merge base', async () => {
    const run = await pullRequestRun('worse')
    expect(run.code).toBe(1)
    expect(run.outputs.verdict).toBe('regression')
    expect(run.warnings).toEqual([])
    // The calls the table below breaks, one by one.
    expect([...new Set(run.requests.map((request) => request.operationId))]).toEqual([
      'repos/compare-commits',
      'git/get-ref',
      'git/get-commit',
      'git/get-tree',
      'git/get-blob',
      'repos/get-commit',
      'users/get-authenticated',
      'issues/list-comments',
      'issues/create-comment'
    ])
  })

  interface ReadFault {
    operationId: string
    what: string
    reply: FaultReply
    /** Requests that fail in a row (a server error is retried). */
    times?: number
    /** Which request of the run fails first (the second blob read is the stored result). */
    nth?: number
    says: RegExp
  }

  const readFaults: ReadFault[] = [
    {
      operationId: 'repos/compare-commits',
      what: '403',
      reply: faults.forbidden(),
      says: /could not compare \w+\.\.\.\w+ \(GET \S+ → 403: Resource not accessible/
    },
    {
      operationId: 'repos/compare-commits',
      what: '422',
      reply: validationFailed,
      says: /could not compare \w+\.\.\.\w+ \(GET \S+ → 422: Validation Failed\): GitHub refused/
    },
    {
      operationId: 'repos/compare-commits',
      what: '500 on every attempt',
      reply: faults.serverError(),
      times: EVERY_ATTEMPT,
      says: /could not compare .*→ 500: Internal Server Error\): GitHub answered with a server error after 4 attempts/
    },
    {
      operationId: 'repos/compare-commits',
      what: 'the primary rate limit',
      reply: faults.rateLimited(resetAnHourFromNow()),
      says: /could not compare .*→ 403: API rate limit exceeded.*used up until \d{4}-\d\d-\d\dT/
    },
    {
      operationId: 'git/get-ref',
      what: '403',
      reply: faults.forbidden(),
      says: /could not read the ref heads\/evalgate-data \(GET \S+ → 403/
    },
    {
      operationId: 'git/get-commit',
      what: '404',
      reply: faults.notFound(),
      says: /could not read the git commit [0-9a-f]{40} \(GET \S+ → 404: Not Found\)/
    },
    {
      operationId: 'git/get-tree',
      what: 'the secondary rate limit',
      reply: faults.secondaryRateLimit(120),
      says: /could not read the git tree [0-9a-f]{40} .*→ 403: .*secondary rate limit/
    },
    {
      operationId: 'git/get-blob',
      what: '422 (the index)',
      reply: validationFailed,
      says: /could not read the blob [0-9a-f]{40} \(GET \S+ → 422/
    },
    {
      operationId: 'git/get-blob',
      what: '404 (the stored result)',
      reply: faults.notFound(),
      nth: 2,
      says: /could not read the blob [0-9a-f]{40} \(GET \S+ → 404/
    },
    {
      operationId: 'repos/get-commit',
      what: '403',
      reply: faults.forbidden(),
      says: /could not read the commit [0-9a-f]{40} \(GET \S+ → 403/
    }
  ]

  it.each(readFaults)(
    '$operationId answers $what: the baseline said unavailable, a warning, the step passes',
    async ({ operationId, reply, times = 1, nth = 1, says }) => {
      failNth(operationId, nth, reply, times)
      const run = await pullRequestRun('same')
      await expectResultsSurvived(run, headSha)
      expect(calls(run, operationId)).toHaveLength(nth - 1 + times)
      expect(run.code).toBe(0)
      expect(run.outputs.verdict).toBe('baseline-unavailable')
      expect(run.warnings).toEqual([
        expect.stringMatching(/^::warning::evalgate: reading the baseline: GitHub API: /)
      ])
      expect(run.warnings[0]).toMatch(says)
      // An outage is not passed off as "no baseline yet": the report says the read failed.
      expect(run.summary).toContain('### evalgate: baseline unavailable')
      expect(run.summary).not.toContain('no baseline yet')
      expect(ourComments()).toHaveLength(1)
      expect(ourComments()[0]?.body).toContain(
        'The baseline could not be read from GitHub: GitHub API:'
      )
      expect(ourComments()[0]?.body).toContain('re-run the job to compare')
      expect(ourComments()[0]?.body).toMatch(/[^.]\. Nothing was compared/)
    }
  )

  it('a single 500 is retried: the baseline is found and nothing is reported', async () => {
    server.fault('git/get-tree', faults.serverError())
    const run = await pullRequestRun('worse')
    await expectResultsSurvived(run, headSha)
    expect(calls(run, 'git/get-tree')).toHaveLength(2)
    expect(run.warnings).toEqual([])
    expect(run.code).toBe(1)
    expect(run.outputs.verdict).toBe('regression')
  })
})

describe('GitHub failing while the sticky comment is written', () => {
  interface CommentFault {
    operationId: string
    what: string
    reply: FaultReply
    /** The evals regress (the step must fail) or not (it must pass), whatever the comment does. */
    mode: 'same' | 'worse'
    /** Whether our comment is already on the pull request (then it is edited, not created). */
    existing: boolean
    says: RegExp
  }

  const commentFaults: CommentFault[] = [
    {
      operationId: 'users/get-authenticated',
      what: 'the primary rate limit',
      reply: faults.rateLimited(resetAnHourFromNow()),
      mode: 'worse',
      existing: false,
      says: /could not find out who the token belongs to .*→ 403: API rate limit exceeded.*used up until/
    },
    {
      operationId: 'issues/list-comments',
      what: '403',
      reply: faults.forbidden(),
      mode: 'same',
      existing: true,
      says: /could not list the comments of #\d+ \(GET \S+ → 403: Resource not accessible/
    },
    {
      operationId: 'issues/list-comments',
      what: '404',
      reply: faults.notFound(),
      mode: 'worse',
      existing: true,
      says: /could not list the comments of #\d+ \(GET \S+ → 404/
    },
    {
      operationId: 'issues/create-comment',
      what: '422',
      reply: validationFailed,
      mode: 'same',
      existing: false,
      says: /could not create a comment on #\d+ \(POST \S+ → 422: Validation Failed\)/
    },
    {
      // Not retried: a second POST could post the comment twice.
      operationId: 'issues/create-comment',
      what: '500',
      reply: faults.serverError(),
      mode: 'worse',
      existing: false,
      says: /could not create a comment on #\d+ \(POST \S+ → 500: Internal Server Error\): GitHub answered with a server error;/
    },
    {
      operationId: 'issues/create-comment',
      what: 'the secondary rate limit',
      reply: faults.secondaryRateLimit(120),
      mode: 'same',
      existing: false,
      says: /could not create a comment on #\d+ .*→ 403: .*secondary rate limit/
    },
    {
      operationId: 'issues/update-comment',
      what: '403',
      reply: faults.forbidden(),
      mode: 'worse',
      existing: true,
      says: /could not update comment \d+ \(PATCH \S+ → 403/
    },
    {
      operationId: 'issues/update-comment',
      what: '422',
      reply: validationFailed,
      mode: 'same',
      existing: true,
      says: /could not update comment \d+ \(PATCH \S+ → 422/
    }
  ]

  it.each(commentFaults)(
    '$operationId answers $what ($mode evals): a warning, the step’s result unchanged',
    async ({ operationId, reply, mode, existing, says }) => {
      deleteAllComments()
      const before = existing
        ? server.state.addComment(prNumber, `${MARKER}\nan earlier report`, ACTIONS_BOT_LOGIN)
        : undefined
      server.fault(operationId, reply)
      const run = await pullRequestRun(mode)
      await expectResultsSurvived(run, headSha)
      expect(calls(run, operationId)).toHaveLength(1)
      expect(run.code).toBe(mode === 'worse' ? 1 : 0)
      expect(run.outputs.verdict).toBe(mode === 'worse' ? 'regression' : 'pass')
      if (mode === 'worse') expect(run.stdout).toMatch(/^::error::evalgate: Regression: /m)
      expect(run.stdout).not.toMatch(/^::error::evalgate: .*comment/m)
      expect(run.warnings).toEqual([
        expect.stringMatching(new RegExp(`^::warning::evalgate: could not comment on #${prNumber}`))
      ])
      expect(run.warnings[0]).toMatch(says)
      expect(run.outputs['comment-url']).toBeUndefined()
      expect(run.summary).toMatch(
        new RegExp(
          `^> \\*\\*No comment posted:\\*\\* could not comment on #${prNumber}: GitHub API: `
        )
      )
      expect(run.summary).toContain('capitals')
      // Nothing half-written: the earlier comment as it was, or none.
      expect(server.state.commentsOn(prNumber)).toEqual(before ? [before] : [])
    }
  )

  it('pulls/get answers 403: a warning, and the comment is updated all the same', async () => {
    deleteAllComments()
    // The comment reports a commit that diverged from the run's: whether it is the pull
    // request's head decides, and GitHub does not say.
    const diverged = server.state.commit({
      branch: 'diverged',
      parents: [baseSha],
      files: { 'prompt.txt': 'v3\n' }
    })
    server.state.addComment(
      prNumber,
      `${MARKER}\n<!-- evalgate:commit ${diverged} -->\n## evalgate: PASS`,
      ACTIONS_BOT_LOGIN
    )
    server.fault('pulls/get', faults.forbidden())
    const run = await pullRequestRun('worse')
    await expectResultsSurvived(run, headSha)
    expect(calls(run, 'pulls/get')).toHaveLength(1)
    expect(run.code).toBe(1)
    expect(run.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^::warning::evalgate: could not tell whether the comment on #${prNumber}, of ${diverged.slice(0, 7)}, reports a newer commit than this run's ${headSha.slice(0, 7)}, so it is updated: GitHub API: could not read pull request #${prNumber} \\(GET \\S+ → 403`
        )
      )
    ])
    expect(run.outputs['comment-url']).toBeDefined()
    expect(ourComments()).toHaveLength(1)
    expect(ourComments()[0]?.body).toContain('## evalgate: REGRESSION')
  })
})

describe('a locked pull request', () => {
  it('gets no comment and a warning saying so, not one about permissions; the verdict stands', async () => {
    deleteAllComments()
    server.fault('issues/create-comment', {
      status: 403,
      message: 'Unable to create comment because issue is locked.'
    })
    const run = await pullRequestRun('worse')
    await expectResultsSurvived(run, headSha)
    expect(run.code).toBe(1)
    expect(run.outputs.verdict).toBe('regression')
    expect(run.warnings).toEqual([
      `::warning::evalgate: no comment on #${prNumber}: the pull request is locked. The verdict stands; the job summary and ${run.resultsPath} have the report.`
    ])
  })
})

describe('the sticky comment deleted behind the action’s back', () => {
  it('deleted between two runs: the next run writes it again, once', async () => {
    deleteAllComments()
    const first = await pullRequestRun('same')
    expect(first.code).toBe(0)
    const [posted] = ourComments()
    expect(posted).toBeDefined()
    server.state.deleteComment(posted?.id ?? 0)

    const second = await pullRequestRun('worse')
    await expectResultsSurvived(second, headSha)
    expect(second.code).toBe(1)
    expect(second.warnings).toEqual([])
    const comments = server.state.commentsOn(prNumber)
    expect(comments).toHaveLength(1)
    expect(comments[0]?.id).not.toBe(posted?.id)
    expect(comments[0]?.body).toContain('## evalgate: REGRESSION')
    expect(second.outputs['comment-url']).toContain(`#issuecomment-${comments[0]?.id}`)
  })

  it('deleted between listing and editing: the edit’s 404 leads to a new comment, once', async () => {
    deleteAllComments()
    const earlier = server.state.addComment(prNumber, `${MARKER}\nold`, ACTIONS_BOT_LOGIN)
    server.before('issues/update-comment', () => server.state.deleteComment(earlier.id))
    const run = await pullRequestRun('same')
    await expectResultsSurvived(run, headSha)
    expect(run.code).toBe(0)
    expect(calls(run, 'issues/update-comment')).toHaveLength(1)
    expect(run.warnings).toEqual([])
    const comments = server.state.commentsOn(prNumber)
    expect(comments).toHaveLength(1)
    expect(comments[0]?.id).not.toBe(earlier.id)
    expect(comments[0]?.body).toMatch(/## evalgate: (PASS|MINOR CHANGE)/)
  })
})

describe('storing the baseline on a push', () => {
  interface DataIndex {
    entries: { sha: string; storedAt: string; suites: string[]; toolVersion: string }[]
  }

  function dataIndex(): DataIndex {
    return JSON.parse(
      server.state.readFile(DATA_BRANCH, 'index.json')?.toString('utf8') ?? '{"entries":[]}'
    ) as DataIndex
  }

  it('the data branch moved by another writer before the update: both results are kept', async () => {
    const pushed = server.state.commit({ branch: 'main', files: { 'prompt.txt': 'v3\n' } })
    // Another job storing its own results, e.g. a nightly run of another branch.
    const otherSha = server.state.commit({ branch: 'nightly', files: { 'nightly.txt': '1\n' } })
    const otherResults = server.state.readFile(DATA_BRANCH, `results/${baselineSha}.json.gz`)
    let otherCommit = ''
    server.before('git/update-ref', () => {
      const index = dataIndex()
      index.entries.push({
        sha: otherSha,
        storedAt: new Date().toISOString(),
        suites: ['capitals'],
        toolVersion: '0.0.0'
      })
      otherCommit = server.state.commit({
        branch: DATA_BRANCH,
        files: {
          [`results/${otherSha}.json.gz`]: otherResults ?? null,
          'index.json': JSON.stringify(index)
        },
        message: `evalgate: store the results of ${otherSha}`
      })
    })
    const run = await pushRun(pushed)
    await expectResultsSurvived(run, pushed)
    expect(run.code).toBe(0)
    expect(run.warnings).toEqual([])
    expect(run.stdout).toContain(
      `evalgate: stored the results as the baseline of ${pushed.slice(0, 7)}`
    )
    // The first move was refused as not a fast forward; the second, on the new tip, landed.
    expect(calls(run, 'git/update-ref')).toHaveLength(2)
    expect(server.state.ancestors(server.state.branchTip(DATA_BRANCH) ?? '')).toContain(otherCommit)
    const files = server.state.listFiles(DATA_BRANCH)
    expect(files).toContain(`results/${otherSha}.json.gz`)
    expect(files).toContain(`results/${pushed}.json.gz`)
    expect(dataIndex().entries.map((entry) => entry.sha)).toEqual(
      expect.arrayContaining([baselineSha, otherSha, pushed])
    )
    const ours = server.state.readFile(DATA_BRANCH, `results/${pushed}.json.gz`)
    const stored = parseRunResult(gunzipSync(ours ?? Buffer.alloc(0)).toString('utf8'), 'stored')
    expect(stored.run.commit).toBe(pushed)
  })

  it('a 500 on every blob upload: the baseline is not stored, a warning, the step passes', async () => {
    const pushed = server.state.commit({ branch: 'main', files: { 'prompt.txt': 'v4\n' } })
    const tipBefore = server.state.branchTip(DATA_BRANCH)
    server.fault('git/create-blob', faults.serverError(), { times: EVERY_ATTEMPT })
    const run = await pushRun(pushed)
    await expectResultsSurvived(run, pushed)
    expect(calls(run, 'git/create-blob')).toHaveLength(EVERY_ATTEMPT)
    expect(run.code).toBe(0)
    expect(run.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^::warning::evalgate: could not store the baseline \\(the verdict is unaffected\\): could not store the baseline for ${pushed}: GitHub API: could not upload a blob \\(POST \\S+ → 500`
        )
      )
    ])
    expect(server.state.branchTip(DATA_BRANCH)).toBe(tipBefore)
    expect(server.state.readFile(DATA_BRANCH, `results/${pushed}.json.gz`)).toBeUndefined()
    // The job summary says it too, first: pull requests onto this commit compare with an older one.
    expect(run.summary).toMatch(
      new RegExp(
        `^> \\[!WARNING\\]\n> \\*\\*Not stored as the baseline of \`${pushed.slice(0, 7)}\`:\\*\\* could not store the baseline for ${pushed}: GitHub API: could not upload a blob .*\\. Until a later push to the default branch is stored, runs compare with an older baseline\\.\n`
      )
    )
  })
})

describe('a stored baseline that cannot be read', () => {
  it('garbage on the data branch: no baseline, a warning per file, the step passes', async () => {
    // A release line of its own, with two unreadable baselines and nothing else behind them.
    const olderSha = server.state.commit({ branch: 'release', orphan: true })
    const releaseSha = server.state.commit({ branch: 'release' })
    server.state.commit({
      branch: DATA_BRANCH,
      files: {
        [`results/${releaseSha}.json.gz`]: Buffer.from([0x00, 0xff, 0x13, 0x37, 0x42]),
        [`results/${olderSha}.json.gz`]: gzipSync('{"schemaVersion": 1, "suites": "none"}')
      }
    })
    const fixSha = server.state.commit({ branch: 'fix', parents: [releaseSha] })
    const fix = server.state.addPullRequest({ headBranch: 'fix', baseBranch: 'release' })
    const run = await pullRequestRun('worse', {
      number: fix.number,
      base: releaseSha,
      head: fixSha,
      baseRef: 'release'
    })
    await expectResultsSurvived(run, fixSha)
    expect(run.code).toBe(0)
    expect(run.outputs.verdict).toBe('no-baseline')
    expect(run.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^::warning::evalgate: ignoring the stored baseline for ${releaseSha} on evalgate-data: incorrect header check$`
        )
      ),
      expect.stringMatching(
        new RegExp(
          `^::warning::evalgate: ignoring the stored baseline for ${olderSha} on evalgate-data: .* is not an evalgate RunResult:`
        )
      )
    ])
    expect(run.summary).toContain('evalgate: no baseline yet')
    expect(server.state.commentsOn(fix.number)[0]?.body).toContain('no baseline yet')
  })
})
