import { copyFile, mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { ACTIONS_TOKEN, READ_ONLY_TOKEN, faults } from '../helpers/github-server.js'
import type { GitHubServer } from '../helpers/github-server.js'
import {
  example,
  listedPullRequest,
  pullRequestPayload,
  pushPayload,
  repositoryWithBaseline,
  workflowRunPayload
} from '../helpers/events.js'
import type { eventRunner } from '../helpers/events.js'
import { COMPARISON_VERSION } from '../../src/compare/types.js'

let server: GitHubServer
let workspace: string
let mainSha: string
let runEvent: ReturnType<typeof eventRunner>

/** A fork's pull request run of `headSha` (read-only token, no comment), and its artifact. */
async function forkRun(
  pull: { number: number; headSha: string; headBranch: string },
  env: Record<string, string> = {}
) {
  const run = await runEvent(
    'pull_request',
    pullRequestPayload({ ...pull, baseSha: mainSha }, 'someone/triage-fork'),
    { GITHUB_SHA: '9'.repeat(40), GITHUB_REF: `refs/pull/${pull.number}/merge`, ...env },
    READ_ONLY_TOKEN
  )
  // As download-artifact leaves it: the results and what the run wrote beside them.
  const artifact = join(await mkdtemp(join(tmpdir(), 'evalgate-artifact-')), 'results.json')
  await copyFile(run.resultsPath, artifact)
  const comparison = run.resultsPath.replace(/\.json$/, '.comparison.json')
  await copyFile(comparison, artifact.replace(/\.json$/, '.comparison.json'))
  return { run, artifact }
}

/** The trusted `workflow_run` job on main, commenting from an artifact's results. */
function reportFrom(payload: Record<string, unknown>, resultsPath: string) {
  return runEvent(
    'workflow_run',
    payload,
    { GITHUB_SHA: mainSha, GITHUB_REF: 'refs/heads/main', GITHUB_RUN_ID: '2002' },
    ACTIONS_TOKEN,
    { 'report-from': resultsPath }
  )
}

/**
 * The `workflow_run` event of a run of `headSha` that names no head branch (GitHub's schema lets
 * `head_branch` be null) and, as for a fork's pull request, no pull request.
 */
function headlessRun(id: number, headSha: string, event = 'pull_request') {
  const payload = workflowRunPayload({ id, headSha, headBranch: '', pullRequests: [] })
  const run = { ...(payload.workflow_run as object), event, head_branch: null }
  return { ...payload, workflow_run: run }
}

function newPullRequest(branch: string) {
  const headSha = server.state.commit({ branch, parents: [mainSha], files: { [branch]: '1\n' } })
  const { number } = server.state.addPullRequest({ headBranch: branch })
  return { number, headSha, headBranch: branch }
}

beforeAll(async () => {
  ;({ server, workspace, runEvent, mainSha } = await repositoryWithBaseline())
})
afterAll(() => server.close())
afterEach(() => expect(server.violations).toEqual([]))

/** The pull request's own job, `pull-request`, of the same repository: it comments itself. */
function pullRequestJob(pull: ReturnType<typeof newPullRequest>) {
  return runEvent(
    'pull_request',
    pullRequestPayload({ ...pull, baseSha: mainSha }),
    {
      GITHUB_SHA: '8'.repeat(40),
      GITHUB_REF: `refs/pull/${pull.number}/merge`,
      GITHUB_JOB: 'pull-request'
    },
    ACTIONS_TOKEN
  )
}

describe('report-from: the pull request it comments on', () => {
  it('ignores a listed pull request of another repository or commit, and comments on the fork’s own', async () => {
    // Another pull request, with its own report: a regression.
    const victim = newPullRequest('victim')
    const own = await runEvent(
      'pull_request',
      pullRequestPayload({ ...victim, baseSha: mainSha }),
      {
        GITHUB_SHA: '7'.repeat(40),
        GITHUB_REF: `refs/pull/${victim.number}/merge`,
        EVALGATE_FIXTURE_MODE: 'worse'
      },
      ACTIONS_TOKEN
    )
    expect(own.outputs.verdict).toBe('regression')
    const victimReport = server.state.commentsOn(victim.number)[0]?.body

    const fork = newPullRequest('attack')
    const { artifact } = await forkRun(fork)
    // As GitHub lists them for a fork's branch (the third `workflow_run completed` example): a
    // pull request of another repository, and one of this repository for another commit.
    const foreign = (
      example('workflow_run', 'completed', 2).workflow_run as {
        pull_requests: { number: number }[]
      }
    ).pull_requests[0] as { number: number }
    const payload = workflowRunPayload({
      id: 901,
      headSha: fork.headSha,
      headBranch: fork.headBranch,
      pullRequests: [
        { ...foreign, number: victim.number },
        listedPullRequest(victim.number, 'e'.repeat(40))
      ]
    })
    const report = await reportFrom(payload, artifact)
    expect(report.code).toBe(0)
    expect(server.state.commentsOn(victim.number).map((c) => c.body)).toEqual([victimReport])
    const [comment] = server.state.commentsOn(fork.number)
    expect(comment?.body).toContain('## evalgate: PASS')
    expect(report.outputs['comment-url']).toContain(`/pull/${fork.number}#issuecomment-`)
  })

  it('a late run of an older commit leaves the report of the pull request’s current head alone', async () => {
    const pull = newPullRequest('late')
    const older = await forkRun(pull)
    const headSha = server.state.commit({ branch: 'late', files: { late: '2\n' } })
    const newer = await forkRun({ ...pull, headSha }, { EVALGATE_FIXTURE_MODE: 'worse' })
    const listed = (sha: string) => [listedPullRequest(pull.number, sha)]
    const current = await reportFrom(
      workflowRunPayload({ id: 902, headSha, headBranch: 'late', pullRequests: listed(headSha) }),
      newer.artifact
    )
    expect(current.outputs.verdict).toBe('regression')
    const report = server.state.commentsOn(pull.number)[0]?.body

    const late = await reportFrom(
      workflowRunPayload({
        id: 901,
        headSha: pull.headSha,
        headBranch: 'late',
        pullRequests: listed(pull.headSha)
      }),
      older.artifact
    )
    expect(late.code).toBe(0)
    expect(late.stdout).toContain(
      `evalgate: no comment: this report is of ${pull.headSha.slice(0, 7)}, but #${pull.number} is at ${headSha.slice(0, 7)} now; the run of that commit reports on it`
    )
    expect(late.outputs['comment-url']).toBeUndefined()
    expect(server.state.commentsOn(pull.number).map((c) => c.body)).toEqual([report])
    // The job still has the report's outputs and summary, which say why it commented nothing.
    expect(late.outputs).toMatchObject({
      'results-path': older.artifact,
      verdict: older.run.outputs.verdict,
      passed: 'true',
      'regression-count': '0'
    })
    expect(late.summary).toMatch(
      new RegExp(
        `^> \\*\\*No comment posted:\\*\\* this report is of ${pull.headSha.slice(0, 7)}, but #${pull.number} is at ${headSha.slice(0, 7)} now; the run of that commit reports on it\\.\n\n## evalgate: `
      )
    )
  })

  it('a fork’s run whose event names no head branch: its open pull request found by the run’s commit', async () => {
    const pull = newPullRequest('headless')
    const older = await forkRun(pull)
    // More open pull requests, updated since: the fork's is on the second page of the listing.
    server.state.commit({ branch: 'crowd', parents: [mainSha], files: { crowd: '1\n' } })
    const crowd = Array.from({ length: 100 }, () =>
      server.state.addPullRequest({ headBranch: 'crowd' })
    )
    const listed = server.requests.length
    const report = await reportFrom(headlessRun(908, pull.headSha), older.artifact)
    for (const issue of crowd) issue.state = 'closed'
    expect(report.code).toBe(0)
    expect(server.state.commentsOn(pull.number)[0]?.body).toContain('## evalgate: PASS')
    expect(report.outputs['comment-url']).toContain(`/pull/${pull.number}#issuecomment-`)
    expect(
      server.requests
        .slice(listed)
        .filter((r) => r.operationId === 'pulls/list')
        .map((r) => r.path)
    ).toEqual([
      '/repos/octo-org/triage/pulls?state=open&sort=updated&direction=desc&per_page=100',
      '/repos/octo-org/triage/pulls?state=open&sort=updated&direction=desc&per_page=100&page=2'
    ])

    // The pull request moved on: the run of its older commit comments nothing, and says why.
    const headSha = server.state.commit({ branch: 'headless', files: { headless: '2\n' } })
    const newer = await forkRun({ ...pull, headSha }, { EVALGATE_FIXTURE_MODE: 'worse' })
    const comments = server.state.commentsOn(pull.number).map((c) => c.body)
    const late = await reportFrom(headlessRun(908, pull.headSha), older.artifact)
    expect(late.code).toBe(0)
    const why = `the event names no head branch for the run of ${pull.headSha.slice(0, 7)}, and no open pull request has that commit as its head`
    expect(late.stdout).toContain(`::warning::evalgate: no comment: ${why}`)
    expect(late.summary.startsWith(`> **No comment posted:** ${why}.\n\n## evalgate: `)).toBe(true)
    expect(server.state.commentsOn(pull.number).map((c) => c.body)).toEqual(comments)

    // GitHub refuses the listing: no comment, and the summary says what GitHub answered.
    server.fault('pulls/list', faults.forbidden())
    const refused = await reportFrom(headlessRun(908, headSha), newer.artifact)
    expect(refused.code).toBe(0)
    const answer =
      'GitHub API: could not list the open pull requests (GET /repos/octo-org/triage/pulls → 403: Resource not accessible by integration): the token lacks \\`permissions: pull-requests: read\\` in the workflow'
    const refusal = `the event names no head branch for the run of ${headSha.slice(0, 7)}; ${answer}`
    expect(
      refused.summary.startsWith(
        `> **No comment posted:** ${refusal}.\n\n## evalgate: REGRESSION\n`
      )
    ).toBe(true)
    expect(server.state.commentsOn(pull.number).map((c) => c.body)).toEqual(comments)
  })

  it('a run whose event names no head branch is looked for among the 1000 most recently updated open pull requests', async () => {
    const pull = newPullRequest('buried')
    const { artifact } = await forkRun(pull)
    server.state.commit({ branch: 'buried-under', parents: [mainSha], files: { under: '1\n' } })
    const crowd = Array.from({ length: 1000 }, () =>
      server.state.addPullRequest({ headBranch: 'buried-under' })
    )
    const listed = server.requests.length
    const report = await reportFrom(headlessRun(909, pull.headSha), artifact)
    for (const issue of crowd) issue.state = 'closed'
    expect(report.code).toBe(0)
    expect(server.state.commentsOn(pull.number)).toEqual([])
    expect(
      server.requests.slice(listed).filter((r) => r.operationId === 'pulls/list')
    ).toHaveLength(10)
    expect(report.summary).toContain(
      `> **No comment posted:** the event names no head branch for the run of ${pull.headSha.slice(0, 7)}, and none of the 1000 most recently updated open pull requests has that commit as its head.\n\n`
    )
  })

  it('the run of another event than a pull request: no comment, but its outputs and a summary saying why', async () => {
    const pull = newPullRequest('pushed')
    const { artifact } = await forkRun(pull, { EVALGATE_FIXTURE_MODE: 'worse' })
    const payload = workflowRunPayload({
      id: 903,
      headSha: pull.headSha,
      headBranch: 'pushed',
      pullRequests: [listedPullRequest(pull.number, pull.headSha)]
    })
    const report = await reportFrom(
      { ...payload, workflow_run: { ...(payload.workflow_run as object), event: 'push' } },
      artifact
    )
    expect(report.code).toBe(0)
    expect(report.stdout).toContain('evalgate: the push run needs no comment')
    expect(server.state.commentsOn(pull.number)).toEqual([])
    expect(report.outputs).toMatchObject({
      'results-path': artifact,
      verdict: 'regression',
      passed: 'true'
    })
    expect(report.summary).toMatch(
      /^> \*\*No comment posted:\*\* the run it follows is of a push event, not of a pull request\.\n\n## evalgate: REGRESSION\n/
    )
  })
})

describe('report-from: a run that compared nothing', () => {
  it('of a run cancelled before it finished: incomplete, failing, as the run’s own step', async () => {
    const pull = newPullRequest('cancelled')
    const { artifact } = await forkRun(pull)
    // As a cancelled run leaves it: partial results, no comparison.
    const results = JSON.parse(await readFile(artifact, 'utf8')) as {
      run: Record<string, unknown>
    }
    results.run.complete = false
    // The fork writes the artifact: its reason may carry escape codes, lines and any length.
    results.run.incompleteReason = `cancelled (SIGTERM) after 1 of 3 answers\u001b[31m${'A'.repeat(100_000)}\n::warning::injected`
    await writeFile(artifact, JSON.stringify(results))
    await rm(artifact.replace(/\.json$/, '.comparison.json'))
    const report = await reportFrom(
      workflowRunPayload({
        id: 906,
        headSha: pull.headSha,
        headBranch: 'cancelled',
        pullRequests: [listedPullRequest(pull.number, pull.headSha)]
      }),
      artifact
    )
    expect(report.code).toBe(1)
    const failure = report.stdout.split('\n').find((line) => line.startsWith('::error::')) ?? ''
    expect(failure).toMatch(
      /^::error::evalgate: the run did not finish \(cancelled \(SIGTERM\) after 1 of 3 answers\[31mA+…\); partial results in /
    )
    expect(failure.length).toBeLessThan(600)
    expect(report.stdout).not.toContain('\u001b')
    expect(report.stdout).not.toMatch(/^::warning::injected/m)
    expect(report.outputs).toMatchObject({ verdict: 'incomplete', passed: 'false' })
    const comment = server.state.commentsOn(pull.number)[0]?.body ?? ''
    expect(comment).toContain(
      '### evalgate: incomplete run\n\nThe run did not finish (cancelled (SIGTERM) after 1 of 3 answers'
    )
    expect(comment).not.toContain('no baseline')
    expect(report.summary).toMatch(/^### evalgate: incomplete run\n/)
  })

  it('of a push to another branch than the default one: not compared, not "no baseline"', async () => {
    const headSha = server.state.commit({
      branch: 'topic',
      parents: [mainSha],
      files: { topic: '1\n' }
    })
    const push = await runEvent(
      'push',
      { ...pushPayload(headSha), ref: 'refs/heads/topic' },
      { GITHUB_SHA: headSha, GITHUB_REF: 'refs/heads/topic' },
      ACTIONS_TOKEN
    )
    expect(push.outputs.verdict).toBe('not-compared')
    const payload = workflowRunPayload({ id: 907, headSha, headBranch: 'topic', pullRequests: [] })
    const pushed = (branch: string) => ({
      ...payload,
      workflow_run: { ...(payload.workflow_run as object), event: 'push', head_branch: branch }
    })
    const report = await reportFrom(pushed('topic'), push.resultsPath)
    expect(report.code).toBe(0)
    expect(report.outputs).toMatchObject({ verdict: 'not-compared', passed: 'true' })
    const notCompared =
      '### evalgate: nothing compared\n\nNothing was compared, and this check does not fail for it: a push to the branch topic compares nothing (pull_request, merge_group, a push to the default branch, schedule and workflow_dispatch do).\n'
    const opening = (summary: string, text: string) => summary.slice(0, text.length)
    expect(opening(push.summary, notCompared)).toBe(notCompared)
    expect(push.stdout).toContain(
      'evalgate: a push to the branch topic compares nothing (pull_request, merge_group, a push to the default branch, schedule and workflow_dispatch do); the report is in the job summary'
    )
    const noComment =
      '> **No comment posted:** the run it follows is of a push event, not of a pull request.\n\n'
    expect(opening(report.summary, noComment + notCompared)).toBe(noComment + notCompared)
    // A push to the default branch compares: without a comparison, it found no baseline.
    const onMain = await reportFrom(pushed('main'), push.resultsPath)
    expect(onMain.outputs.verdict).toBe('no-baseline')
    expect(onMain.summary).toContain('The push run found no baseline.')
  })
  it('of a tag push: the tag is named, not a branch, in the log and in both jobs’ summaries', async () => {
    const headSha = server.state.commit({
      branch: 'release',
      parents: [mainSha],
      files: { release: '1\n' }
    })
    const tag = 'v1.0.0_rc1'
    const push = await runEvent(
      'push',
      { ...pushPayload(headSha), ref: `refs/tags/${tag}` },
      { GITHUB_SHA: headSha, GITHUB_REF: `refs/tags/${tag}` },
      ACTIONS_TOKEN
    )
    expect(push.code).toBe(0)
    expect(push.outputs.verdict).toBe('not-compared')
    const why = (name: string) =>
      `a push of the tag ${name} compares nothing (pull_request, merge_group, a push to the default branch, schedule and workflow_dispatch do)`
    expect(push.stdout).toContain(`evalgate: ${why(tag)}; the report is in the job summary`)
    // The tag's name is whoever pushed it's to choose: escaped as Markdown in the summary.
    const notCompared = `### evalgate: nothing compared\n\nNothing was compared, and this check does not fail for it: ${why('v1.0.0\\_rc1')}.\n`
    expect(push.summary.slice(0, notCompared.length)).toBe(notCompared)

    // GitHub names the tag as the run's head branch: the ref the results record says it is one.
    const payload = workflowRunPayload({ id: 912, headSha, headBranch: tag, pullRequests: [] })
    const report = await reportFrom(
      { ...payload, workflow_run: { ...(payload.workflow_run as object), event: 'push' } },
      push.resultsPath
    )
    expect(report.code).toBe(0)
    expect(report.outputs.verdict).toBe('not-compared')
    expect(report.summary).toContain(`\n\n${notCompared}`)
  })

  it('of a push whose event names no branch: whether it compares, by the ref its results record', async () => {
    const headSha = server.state.commit({
      branch: 'dev',
      parents: [mainSha],
      files: { dev: '1\n' }
    })
    const push = await runEvent(
      'push',
      { ...pushPayload(headSha), ref: 'refs/heads/dev' },
      { GITHUB_SHA: headSha, GITHUB_REF: 'refs/heads/dev' },
      ACTIONS_TOKEN
    )
    expect(push.outputs.verdict).toBe('not-compared')
    const report = await reportFrom(headlessRun(910, headSha, 'push'), push.resultsPath)
    expect(report.code).toBe(0)
    expect(report.outputs.verdict).toBe('not-compared')
    expect(report.summary).toContain(
      'Nothing was compared, and this check does not fail for it: a push to the branch dev compares nothing'
    )
    // The same results, as a push to the default branch records them: that push compares.
    const results = JSON.parse(await readFile(push.resultsPath, 'utf8')) as {
      run: Record<string, unknown>
    }
    results.run.ref = 'refs/heads/main'
    const onMain = join(await mkdtemp(join(tmpdir(), 'evalgate-artifact-')), 'results.json')
    await writeFile(onMain, JSON.stringify(results))
    const mainReport = await reportFrom(headlessRun(911, headSha, 'push'), onMain)
    expect(mainReport.outputs.verdict).toBe('no-baseline')
    expect(mainReport.summary).toContain('The push run found no baseline.')
  })
})

describe('report-from: a run whose specs could not be loaded', () => {
  /** As the README's upload step takes it (`results*.json`) and download-artifact leaves it. */
  async function uploaded(resultsPath: string): Promise<string> {
    const artifact = join(await mkdtemp(join(tmpdir(), 'evalgate-artifact-')), 'results.json')
    for (const name of await readdir(dirname(resultsPath))) {
      if (/^results.*\.json$/.test(name)) {
        await copyFile(join(dirname(resultsPath), name), join(dirname(artifact), name))
      }
    }
    return artifact
  }

  function runOf(id: number, pull: { number: number; headSha: string; headBranch: string }) {
    return workflowRunPayload({
      id,
      headSha: pull.headSha,
      headBranch: pull.headBranch,
      pullRequests: [listedPullRequest(pull.number, pull.headSha)]
    })
  }

  it('replaces the comment of the fork’s last commit with the problems, and fails', async () => {
    const pull = newPullRequest('fork-breaks')
    const passed = await forkRun(pull)
    expect((await reportFrom(runOf(907, pull), passed.artifact)).outputs.verdict).toBe('pass')
    const [comment] = server.state.commentsOn(pull.number)
    expect(comment?.body).toContain('## evalgate: PASS')

    const headSha = server.state.commit({ branch: 'fork-breaks', files: { b: '2\n' } })
    const spec = join(workspace, 'evals', 'qa.eval.yaml')
    const written = await readFile(spec, 'utf8')
    await writeFile(spec, written.replace('./capitals.jsonl', './@octocat/<b>capitals.jsonl'))
    let broken: Awaited<ReturnType<typeof runEvent>>
    try {
      broken = await runEvent(
        'pull_request',
        pullRequestPayload({ ...pull, headSha, baseSha: mainSha }, 'someone/triage-fork'),
        { GITHUB_SHA: '9'.repeat(40), GITHUB_REF: `refs/pull/${pull.number}/merge` },
        READ_ONLY_TOKEN
      )
    } finally {
      await writeFile(spec, written)
    }
    expect(broken.outputs.verdict).toBe('invalid-specs')
    // It wrote no results: the report is in the job summary and the record.
    expect(broken.stdout).toMatch(
      new RegExp(
        `^::warning::evalgate: could not comment on #${pull.number} .*\\. The job summary and ${broken.resultsPath.replace(/\.json$/, '.invalid-specs.json')} have the report; `,
        'm'
      )
    )
    const artifact = await uploaded(broken.resultsPath)
    expect(await readdir(dirname(artifact))).toEqual(['results.invalid-specs.json'])

    const report = await reportFrom(runOf(908, { ...pull, headSha }), artifact)
    expect(report.code).toBe(1)
    expect(report.stdout).toMatch(
      new RegExp(
        `^::error::evalgate: the specs of ${headSha.slice(0, 7)} could not be loaded; the job summary lists the problems$`,
        'm'
      )
    )
    expect(report.outputs).toEqual({
      verdict: 'invalid-specs',
      passed: 'false',
      'comment-url': expect.stringContaining(`#issuecomment-${comment?.id}`) as string
    })
    const comments = server.state.commentsOn(pull.number)
    expect(comments.map((c) => c.id)).toEqual([comment?.id])
    const body = comments[0]?.body ?? ''
    expect(body).toMatch(/^<!-- evalgate:evals -->\n### evalgate: invalid specs\n/)
    expect(body).toContain('```text\n1 problem in eval specs:\n  evals/qa.eval.yaml:9:')
    expect(body).not.toContain('PASS')
    // The fork's text mentions no one.
    expect(body).toContain('`./@\u200docto')
    expect(report.summary).toMatch(/^### evalgate: invalid specs\n/)
  })

  it('keeps the problems of a spec naming thousands of moved files to what its reader takes', async () => {
    const pull = newPullRequest('fork-moves-files')
    const spec = join(workspace, 'evals', 'qa.eval.yaml')
    const written = await readFile(spec, 'utf8')
    const moved = Array.from(
      { length: 5000 },
      (_, i) => `  - file: ./renamed-after-the-move/case-file-number-${i}.jsonl`
    ).join('\n')
    await writeFile(spec, written.replace('  - file: ./capitals.jsonl', moved))
    let broken: Awaited<ReturnType<typeof runEvent>>
    try {
      broken = await runEvent(
        'pull_request',
        pullRequestPayload({ ...pull, baseSha: mainSha }, 'someone/triage-fork'),
        { GITHUB_SHA: '9'.repeat(40), GITHUB_REF: `refs/pull/${pull.number}/merge` },
        READ_ONLY_TOKEN
      )
    } finally {
      await writeFile(spec, written)
    }
    expect(broken.outputs.verdict).toBe('invalid-specs')
    const artifact = await uploaded(broken.resultsPath)
    const record = JSON.parse(
      await readFile(artifact.replace(/\.json$/, '.invalid-specs.json'), 'utf8')
    ) as { problems: string }
    expect(record.problems.length).toBeLessThan(61_000)
    expect(record.problems).toMatch(/\n… and [\d,]+ more lines: see this job's log$/)

    const report = await reportFrom(runOf(913, pull), artifact)
    expect(report.outputs.verdict).toBe('invalid-specs')
    const [comment] = server.state.commentsOn(pull.number)
    expect(comment?.body).toContain('case-file-number-0.jsonl')
  })

  it('is refused when of another commit, and passed over when not a record', async () => {
    const pull = newPullRequest('fork-record')
    const artifact = join(await mkdtemp(join(tmpdir(), 'evalgate-artifact-')), 'results.json')
    const record = artifact.replace(/\.json$/, '.invalid-specs.json')
    await writeFile(record, JSON.stringify({ commit: mainSha, problems: 'old problems' }))
    const stale = await reportFrom(runOf(909, pull), artifact)
    expect(stale.code).toBe(1)
    expect(stale.stdout).toContain(
      `::error::evalgate: ${record} records the invalid specs of ${mainSha}, not of the run's head ${pull.headSha}: download the artifact of that run`
    )

    await writeFile(record, JSON.stringify({ commit: pull.headSha, problems: 42 }))
    const forged = await reportFrom(runOf(910, pull), artifact)
    expect(forged.stdout).toContain(
      `::warning::evalgate: ${record} is not a record of invalid specs (\`problems\` is not a string); reporting without it`
    )
    expect(forged.code).toBe(1)
    // A record there, refused: not said to be missing.
    expect(forged.stdout).toContain(
      `::error::evalgate: no results at ${artifact}, and the record of invalid specs beside it was refused (\`problems\` is not a string): see the log of the run of ${pull.headSha.slice(0, 7)} for its problems; nothing was commented`
    )
    expect(forged.summary).toMatch(
      /^### evalgate: no results to report\n\nThe artifact holds no results `.*`, and its record of invalid specs `.*` was refused \(\\`problems\\` is not a string\)/
    )

    await writeFile(record, JSON.stringify({ commit: pull.headSha, problems: 'p'.repeat(2 ** 20) }))
    const huge = await reportFrom(runOf(911, pull), artifact)
    expect(huge.code).toBe(1)
    expect(huge.stdout).toContain(
      `::error::evalgate: no results at ${artifact}, and the record of invalid specs beside it was refused (larger than 1048576 bytes)`
    )
    expect(huge.summary).toContain('was refused (larger than 1048576 bytes)')
    expect(server.state.commentsOn(pull.number)).toEqual([])
  })

  it('cut to fit a comment, says the full report is in the job summary and the record', async () => {
    const pull = newPullRequest('fork-long-problems')
    const artifact = join(await mkdtemp(join(tmpdir(), 'evalgate-artifact-')), 'results.json')
    const record = artifact.replace(/\.json$/, '.invalid-specs.json')
    const problems = 'evals/qa.eval.yaml: a problem\n'.repeat(5000)
    await writeFile(record, JSON.stringify({ commit: pull.headSha, problems }))
    const report = await reportFrom(runOf(912, pull), artifact)
    expect(report.outputs.verdict).toBe('invalid-specs')
    const [comment] = server.state.commentsOn(pull.number)
    expect(comment?.body).toMatch(
      new RegExp(
        `the full report is in the job summary and \`${record.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\`\\.$`
      )
    )
  })
})

describe('report-from: a comment it may not write', () => {
  it('says the artifact has the report, and what this job needs to comment', async () => {
    const pull = newPullRequest('fork-no-permission')
    const { artifact } = await forkRun(pull)
    server.fault('issues/create-comment', {
      status: 403,
      message: 'Resource not accessible by integration'
    })
    const report = await reportFrom(
      workflowRunPayload({
        id: 914,
        headSha: pull.headSha,
        headBranch: pull.headBranch,
        pullRequests: [listedPullRequest(pull.number, pull.headSha)]
      }),
      artifact
    )
    expect(report.code).toBe(0)
    expect(report.stdout).toMatch(
      new RegExp(
        `^::warning::evalgate: could not comment on #${pull.number} \\(.*→ 403: Resource not accessible by integration\\): the token lacks \`permissions: pull-requests: write\` \\(or \`issues: write\`\\) in the workflow: this \`workflow_run\` job is the one that comments for pull requests from forks: give it that permission\\.\\)\\. The job summary and ${artifact.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} have the report\\.$`,
        'm'
      )
    )
    // This job is the one the advice to fork pull requests sends them to.
    expect(report.stdout).not.toMatch(/post (it )?from a `workflow_run` job/)
  })
})

describe('report-from: an artifact with no results', () => {
  it('says so in the job summary and fails, commenting nothing', async () => {
    const pull = newPullRequest('no-results')
    const artifact = join(await mkdtemp(join(tmpdir(), 'evalgate-artifact-')), 'results.json')
    const report = await reportFrom(
      workflowRunPayload({
        id: 911,
        headSha: pull.headSha,
        headBranch: 'no-results',
        pullRequests: [listedPullRequest(pull.number, pull.headSha)]
      }),
      artifact
    )
    expect(report.code).toBe(1)
    expect(report.stdout).toContain(
      `::error::evalgate: no results at ${artifact}, nor a record of invalid specs beside it: the run of ${pull.headSha.slice(0, 7)} wrote neither, or report-from names another path than the downloaded artifact's; nothing was commented`
    )
    expect(report.outputs).toEqual({})
    expect(report.summary).toMatch(
      /^### evalgate: no results to report\n\nThe artifact holds neither the results `/
    )
    expect(report.summary).toContain(basename(artifact))
    expect(server.state.commentsOn(pull.number)).toEqual([])
  })
})

describe('report-from: results larger than it reads', () => {
  it('says why and what to do in the comment and the job summary, and fails', async () => {
    const pull = newPullRequest('too-large')
    const artifact = join(await mkdtemp(join(tmpdir(), 'evalgate-artifact-')), 'results.json')
    // 300 MB of nothing, as a sparse file: its size is all that is read.
    await writeFile(artifact, '')
    await truncate(artifact, 300 * 2 ** 20)
    const report = await reportFrom(
      workflowRunPayload({
        id: 912,
        headSha: pull.headSha,
        headBranch: 'too-large',
        pullRequests: [listedPullRequest(pull.number, pull.headSha)]
      }),
      artifact
    )
    expect(report.code).toBe(1)
    expect(report.stdout).toContain(
      `::error::evalgate: ${artifact} is 300 MB, more than the 256 MB report-from reads from an artifact: nothing was reported; the job summary says how to make the run smaller`
    )
    const said = [
      '### evalgate: results too large to report',
      '',
      `Nothing was reported for the run of \`${pull.headSha.slice(0, 7)}\`: the results are 300 MB, more than the 256 MB \`report-from\` reads from an artifact, so this check fails. Make the run smaller (fewer or shorter outputs: a lower \`max_tokens\`; fewer \`repeats\`), or split its suites among jobs, each with its own artifact; or, when the pull request comes from this repository (its run has the secrets), compare in the \`pull_request\` job itself.`
    ].join('\n')
    expect(report.summary).toContain(said)
    expect(server.state.commentsOn(pull.number).map((c) => c.body)).toEqual([
      expect.stringContaining(said)
    ])
    // Nothing of the file names the job whose comment reports it: this job's key marks the comment.
    expect(report.stdout).toContain(
      `::warning::evalgate: the first MB of ${artifact} holds no \`run\` block naming the job whose comment reports it: this report's comment is marked by this job's comment-key, so it may stand beside that job's comment rather than replace it`
    )
  })

  it('replaces the report of the job the results name, as the other reports of report-from do', async () => {
    const pull = newPullRequest('too-large-keyed')
    const job = await pullRequestJob(pull)
    const [written] = server.state.commentsOn(pull.number)
    const marker = '<!-- evalgate:evals#pull-request -->'
    expect(written?.body).toMatch(new RegExp(`^${marker}\n`))
    // A report-from job keyed otherwise, which only the results tie to the pull request's job.
    const reportOf = (id: number, resultsPath: string) =>
      runEvent(
        'workflow_run',
        workflowRunPayload({
          id,
          headSha: pull.headSha,
          headBranch: pull.headBranch,
          pullRequests: [listedPullRequest(pull.number, pull.headSha)]
        }),
        { GITHUB_SHA: mainSha, GITHUB_REF: 'refs/heads/main', GITHUB_JOB: 'comment' },
        ACTIONS_TOKEN,
        { 'report-from': resultsPath, 'comment-key': 'fork-reports' }
      )
    const bodies = () => server.state.commentsOn(pull.number).map((c) => c.body)

    expect((await reportOf(915, job.resultsPath)).outputs.verdict).toBe('pass')
    expect(bodies()).toEqual([expect.stringMatching(new RegExp(`^${marker}\n## evalgate: PASS`))])

    // The problems of invalid specs, as the pull request's job records them.
    const record = join(await mkdtemp(join(tmpdir(), 'evalgate-artifact-')), 'results.json')
    await writeFile(
      record.replace(/\.json$/, '.invalid-specs.json'),
      JSON.stringify({ commit: pull.headSha, commentKey: 'pull-request', problems: 'a problem' })
    )
    expect((await reportOf(916, record)).outputs.verdict).toBe('invalid-specs')
    expect(bodies()).toEqual([
      expect.stringMatching(new RegExp(`^${marker}\n### evalgate: invalid specs\n`))
    ])

    // The same results, padded past the limit with 300 MB of nothing (a sparse file): the `run`
    // block at their start names the job.
    const artifact = join(await mkdtemp(join(tmpdir(), 'evalgate-artifact-')), 'results.json')
    await copyFile(job.resultsPath, artifact)
    await truncate(artifact, 300 * 2 ** 20)
    const tooLarge = await reportOf(917, artifact)
    expect(tooLarge.code).toBe(1)
    expect(tooLarge.stdout).not.toContain('::warning::')
    expect(tooLarge.outputs['comment-url']).toContain(`#issuecomment-${written?.id}`)
    const comments = server.state.commentsOn(pull.number)
    expect(comments.map((c) => c.id)).toEqual([written?.id])
    expect(comments[0]?.body).toMatch(
      new RegExp(`^${marker}\n### evalgate: results too large to report\n`)
    )
  })
})

describe('report-from: the comment it writes', () => {
  it('is the pull request job’s own, by the job the results record, with its baseline line', async () => {
    const pull = newPullRequest('same-repo')
    const job = await pullRequestJob(pull)
    const [written] = server.state.commentsOn(pull.number)
    expect(written?.body).toMatch(/^<!-- evalgate:evals#pull-request -->/)
    const report = await runEvent(
      'workflow_run',
      workflowRunPayload({
        id: 904,
        headSha: pull.headSha,
        headBranch: pull.headBranch,
        pullRequests: [listedPullRequest(pull.number, pull.headSha)]
      }),
      { GITHUB_SHA: mainSha, GITHUB_REF: 'refs/heads/main', GITHUB_JOB: 'comment' },
      ACTIONS_TOKEN,
      { 'report-from': job.resultsPath }
    )
    expect(report.outputs['comment-url']).toContain(`#issuecomment-${written?.id}`)
    const comments = server.state.commentsOn(pull.number)
    expect(comments.map((c) => c.id)).toEqual([written?.id])
    // Where the baseline came from, as the job's own comment said it.
    const baseline = `Baseline: \`${mainSha.slice(0, 7)}\` (the merge base \`${mainSha.slice(0, 7)}\` itself, less than an hour old).`
    expect(written?.body).toContain(baseline)
    expect(comments[0]?.body).toContain(baseline)
  })
})

describe('report-from: the comparison it shows', () => {
  it('refuses the comparison of another run beside the results, and derives the verdict from the groups', async () => {
    const pull = newPullRequest('mixed')
    const older = await forkRun(pull)
    const headSha = server.state.commit({ branch: 'mixed', files: { mixed: '2\n' } })
    const newer = await forkRun({ ...pull, headSha }, { EVALGATE_FIXTURE_MODE: 'worse' })
    const payload = workflowRunPayload({
      id: 903,
      headSha,
      headBranch: 'mixed',
      pullRequests: [listedPullRequest(pull.number, headSha)]
    })
    const comparisonOf = (artifact: string) => artifact.replace(/\.json$/, '.comparison.json')
    const newerComparison = await readFile(comparisonOf(newer.artifact), 'utf8')

    // The older commit's passing comparison beside the newer commit's results.
    await copyFile(comparisonOf(older.artifact), comparisonOf(newer.artifact))
    const mixed = await reportFrom(payload, newer.artifact)
    expect(mixed.code).toBe(0)
    expect(mixed.outputs.verdict).toBe('comparison-unreadable')
    expect(mixed.stdout).toContain(
      `::warning::evalgate: ${comparisonOf(newer.artifact)} compares the results of ${pull.headSha}`
    )
    const shown = server.state.commentsOn(pull.number)[0]?.body ?? ''
    expect(shown).toContain('### evalgate: comparison not shown')
    expect(shown).toContain(`it compares the results of ${pull.headSha}`)

    // Its own comparison, with a top-level verdict and summary rewritten to pass.
    const rewritten = JSON.parse(newerComparison) as Record<string, unknown>
    await writeFile(
      comparisonOf(newer.artifact),
      JSON.stringify({ ...rewritten, verdict: 'pass', summary: 'No regression.' })
    )
    const forged = await reportFrom(payload, newer.artifact)
    expect(forged.outputs.verdict).toBe('regression')
    const body = server.state.commentsOn(pull.number)[0]?.body ?? ''
    expect(body).toContain('## evalgate: REGRESSION')
    expect(body).not.toContain('No regression.')
  })
})

describe('report-from: a comparison of another format', () => {
  it('says which workflow’s evalgate to update, rather than a schema error', async () => {
    const pull = newPullRequest('other-format')
    const { artifact } = await forkRun(pull)
    const payload = workflowRunPayload({
      id: 905,
      headSha: pull.headSha,
      headBranch: pull.headBranch,
      pullRequests: [listedPullRequest(pull.number, pull.headSha)]
    })
    const path = artifact.replace(/\.json$/, '.comparison.json')
    const written = JSON.parse(await readFile(path, 'utf8')) as {
      groups: { metrics: Record<string, unknown>[] }[]
    }
    // A newer evalgate's: a field this one does not know, in a format it does not read.
    const metric = written.groups[0]?.metrics[0] ?? {}
    metric.futureField = 1
    const formats = (format: number) =>
      `comparison format ${format}, this job reads ${COMPARISON_VERSION}`
    for (const [format, who, update] of [
      [
        COMPARISON_VERSION + 1,
        'a newer evalgate',
        'the evalgate version in the workflow of this report-from job (it runs '
      ],
      [
        COMPARISON_VERSION - 1,
        'an older evalgate',
        'the evalgate version in the workflow of the pull request to the one this job runs, '
      ]
    ] as const) {
      await writeFile(path, JSON.stringify({ ...written, schemaVersion: format }))
      const report = await reportFrom(payload, artifact)
      expect(report.code).toBe(0)
      expect(report.outputs.verdict).toBe('comparison-unreadable')
      const body = server.state.commentsOn(pull.number)[0]?.body ?? ''
      expect(body).toContain('### evalgate: comparison not shown')
      expect(body).toContain(`(written by ${who} (${formats(format)}); update ${update}`)
      expect(body).not.toContain('additional properties')
    }
  })
})

describe('report-from: the job summary', () => {
  it('has room for what the comment leaves out, which it points to', async () => {
    const pull = newPullRequest('long')
    const { artifact } = await forkRun(pull, { EVALGATE_FIXTURE_MODE: 'worse' })
    const comparisonPath = artifact.replace(/\.json$/, '.comparison.json')
    const comparison = JSON.parse(await readFile(comparisonPath, 'utf8')) as {
      groups: { flips: { passToFail: number; cases: { caseId: string; head: unknown }[] } }[]
    }
    // A hundred flipped cases with long answers: far more than a comment holds.
    const flips = comparison.groups[0]?.flips
    const flip = flips?.cases[0]
    if (!flips || !flip) throw new Error('the regressed run flipped no case')
    flips.cases = Array.from({ length: 100 }, (_, i) => ({
      ...flip,
      caseId: `long-${i}`,
      head: {
        text: `answer ${i} `.repeat(120),
        truncated: 0,
        repeat: 0,
        score: 0,
        pass: false,
        failures: []
      }
    }))
    flips.passToFail = 100
    await writeFile(comparisonPath, JSON.stringify(comparison))
    const report = await reportFrom(
      workflowRunPayload({
        id: 904,
        headSha: pull.headSha,
        headBranch: 'long',
        pullRequests: [listedPullRequest(pull.number, pull.headSha)]
      }),
      artifact
    )
    expect(report.code).toBe(0)
    const comment = server.state.commentsOn(pull.number)[0]?.body ?? ''
    const shownIn = (text: string) => (text.match(/long-\d+/g) ?? []).length
    expect(comment).toMatch(
      /flipped cases? omitted; the job summary of \[the run\]\(\S+\/runs\/904\) shows more/
    )
    expect(shownIn(comment)).toBeLessThan(100)
    expect(shownIn(report.summary)).toBeGreaterThanOrEqual(100)
    expect(report.summary).not.toContain('omitted; see')
  })
})

describe('report-from: what the fork replayed', () => {
  it('is said above the report, as the fork’s own run said it', async () => {
    const pull = newPullRequest('replayed')
    const { artifact } = await forkRun(pull)
    const results = JSON.parse(await readFile(artifact, 'utf8')) as {
      run: Record<string, unknown>
    }
    results.run.replayed = [
      { suite: 'capitals', what: 'the judge of tone', unsetVariables: ['OPENAI_API_KEY'] }
    ]
    await writeFile(artifact, JSON.stringify(results))
    const report = await reportFrom(
      workflowRunPayload({
        id: 905,
        headSha: pull.headSha,
        headBranch: 'replayed',
        pullRequests: [listedPullRequest(pull.number, pull.headSha)]
      }),
      artifact
    )
    expect(report.code).toBe(0)
    expect(server.state.commentsOn(pull.number)[0]?.body ?? '').toContain(
      '> **Replayed from the cache, not called:** capitals / the judge of tone (OPENAI\\_API\\_KEY not set).'
    )
  })
})

describe('report-from: a run stopped before it compared', () => {
  /** The artifact as download-artifact leaves it: every file the run wrote beside its results. */
  async function artifactOf(resultsPath: string) {
    const artifact = join(await mkdtemp(join(tmpdir(), 'evalgate-artifact-')), 'results.json')
    for (const name of await readdir(dirname(resultsPath))) {
      await copyFile(join(dirname(resultsPath), name), join(dirname(artifact), name))
    }
    return artifact
  }

  /** The action's process, of those this test's worker started (esbuild's are among them). */
  function actionProcess(): number {
    const actions = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], {
      encoding: 'utf8'
    })
      .split('\n')
      .filter((line) => /\/evalgate-bundle-[^/]+\/bundle\.mjs/.test(line))
      .map((line) => Number.parseInt(line.trim(), 10))
    expect(actions).toHaveLength(1)
    return actions[0] as number
  }

  function runPayload(
    id: number,
    pull: { number: number; headSha: string; headBranch: string },
    conclusion: string | null
  ) {
    const payload = workflowRunPayload({
      id,
      headSha: pull.headSha,
      headBranch: pull.headBranch,
      pullRequests: [listedPullRequest(pull.number, pull.headSha)]
    })
    return { ...payload, workflow_run: { ...(payload.workflow_run as object), conclusion } }
  }

  it('killed while it looked up the baseline: not "no baseline", the step fails and says to re-run', async () => {
    const pull = newPullRequest('killed')
    // The runner kills the job (SIGKILL, a cancel's last word) while the run, every answer in,
    // waits on GitHub for the baseline: it wrote its results, and no comparison.
    server.before('repos/compare-commits', () => {
      process.kill(actionProcess(), 'SIGKILL')
    })
    const killed = await runEvent(
      'pull_request',
      pullRequestPayload({ ...pull, baseSha: mainSha }, 'someone/triage-fork'),
      {
        GITHUB_SHA: '9'.repeat(40),
        GITHUB_REF: `refs/pull/${pull.number}/merge`,
        EVALGATE_FIXTURE_MODE: 'worse'
      },
      READ_ONLY_TOKEN
    )
    expect(killed.code).toBeNull()
    const artifact = await artifactOf(killed.resultsPath)
    const results = JSON.parse(await readFile(artifact, 'utf8')) as { run: { complete: boolean } }
    expect(results.run.complete).toBe(true)
    await expect(readdir(dirname(artifact))).resolves.not.toContain('results.comparison.json')

    // The event's conclusion is left as the example has it (none): the run's record tells.
    const report = await reportFrom(runPayload(920, pull, null), artifact)
    expect(report.code).toBe(1)
    expect(report.stdout).toMatch(
      /^::error::evalgate: the run of [0-9a-f]{7} was stopped before it compared \(its job was cancelled or failed while it was looking up the baseline\): nothing was compared; re-run its job to compare$/m
    )
    expect(report.outputs).toMatchObject({ verdict: 'incomplete', passed: 'false' })
    const comment = server.state.commentsOn(pull.number)[0]?.body ?? ''
    expect(comment).toContain(
      '### evalgate: run stopped before comparing\n\nEvery answer is in, but the run was stopped before it compared them with the baseline: its job was cancelled or failed while it was looking up the baseline. Nothing was compared, and this check fails: re-run the run’s job to compare.'
    )
    expect(comment).not.toContain('no baseline')
    expect(report.summary).toContain('### evalgate: run stopped before comparing')
  })

  it('of an evalgate that records no lookup: by the cancelled workflow run; a successful one keeps "no baseline"', async () => {
    const pull = newPullRequest('older-cancelled')
    // As an older evalgate's artifact of a run stopped while it looked: results, nothing beside.
    const { artifact } = await forkRun(pull)
    await rm(artifact.replace(/\.json$/, '.comparison.json'))
    const cancelled = await reportFrom(runPayload(921, pull, 'cancelled'), artifact)
    expect(cancelled.code).toBe(1)
    expect(cancelled.outputs).toMatchObject({ verdict: 'incomplete', passed: 'false' })
    expect(server.state.commentsOn(pull.number)[0]?.body).toContain(
      'the run was stopped before it compared them with the baseline: its workflow run was cancelled, and it recorded no comparison.'
    )

    const succeeded = await reportFrom(runPayload(922, pull, 'success'), artifact)
    expect(succeeded.code).toBe(0)
    expect(succeeded.outputs).toMatchObject({ verdict: 'no-baseline', passed: 'true' })
    expect(server.state.commentsOn(pull.number)[0]?.body).toContain(
      '### evalgate: no baseline yet\n\nThe pull request’s run found no baseline.'
    )
  })

  it('a run that found no baseline is still "no baseline yet", and passes, even in a cancelled workflow run', async () => {
    // A merge base with no stored results, and no walking back to an older one.
    const baseSha = server.state.commit({ branch: 'unstored-base', parents: [mainSha] })
    const headSha = server.state.commit({ branch: 'no-base', parents: [baseSha] })
    const { number } = server.state.addPullRequest({ headBranch: 'no-base' })
    const pull = { number, headSha, headBranch: 'no-base' }
    const run = await runEvent(
      'pull_request',
      pullRequestPayload({ ...pull, baseSha }, 'someone/triage-fork'),
      { GITHUB_SHA: '9'.repeat(40), GITHUB_REF: `refs/pull/${number}/merge` },
      READ_ONLY_TOKEN,
      { 'baseline-max-distance': '0' }
    )
    expect(run.outputs.verdict).toBe('no-baseline')
    const artifact = await artifactOf(run.resultsPath)
    // Cancelled after evalgate's step (say, in a later one): its record says it found none.
    const report = await reportFrom(runPayload(923, pull, 'cancelled'), artifact)
    expect(report.code).toBe(0)
    expect(report.outputs).toMatchObject({ verdict: 'no-baseline', passed: 'true' })
    expect(server.state.commentsOn(number)[0]?.body).toContain(
      '### evalgate: no baseline yet\n\nThe pull request’s run found no baseline. Nothing was compared and this check does not fail for it.'
    )
  })
})
