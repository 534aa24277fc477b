import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import {
  ACTIONS_TOKEN,
  READ_ONLY_TOKEN,
  faults,
  startGitHubServer
} from '../helpers/github-server.js'
import type { GitHubServer } from '../helpers/github-server.js'
import { runActionBundle } from '../helpers/action.js'
import { makeFifo, unlessStuckOn } from '../helpers/fifo.js'
import { buildEntry } from '../helpers/cli.js'
import { checkout, example, listedPullRequest, pushPayload, repository } from '../helpers/events.js'

let workspace: string
let action: string
let server: GitHubServer

beforeAll(async () => {
  workspace = await checkout()
  action = await buildEntry('src/index.ts')
  server = await startGitHubServer({ owner: 'octo-org', repo: 'triage', defaultBranch: 'main' })
})
afterAll(() => server.close())
afterEach(() => expect(server.violations).toEqual([]))

/** The issues (not pull requests) labelled as evalgate's tracking issue. */
function trackingIssues() {
  return [...server.state.issues.values()].filter(
    (i) => !i.pullRequest && i.labels.includes('evalgate')
  )
}

/** Runs the action's bundle as the runner does, for this event, against the local GitHub. */
async function runEvent(
  eventName: string,
  payload: Record<string, unknown>,
  env: Record<string, string>,
  token = ACTIONS_TOKEN,
  inputs: Record<string, string> = {},
  cwd = workspace
) {
  const resultsPath = join(await mkdtemp(join(tmpdir(), 'evalgate-results-')), 'results.json')
  const run = await runActionBundle(action, {
    cwd,
    payload,
    inputs: { specs: 'evals', 'results-path': resultsPath, 'github-token': token, ...inputs },
    env: {
      GITHUB_EVENT_NAME: eventName,
      GITHUB_API_URL: server.url,
      GITHUB_WORKFLOW: 'evals',
      GITHUB_RUN_ID: '1001',
      GITHUB_SERVER_URL: 'https://github.com',
      ...env
    }
  })
  return { ...run, resultsPath }
}

/** The trusted `workflow_run` job at `mainSha` on main, commenting from an artifact's results. */
function reportFrom(payload: Record<string, unknown>, mainSha: string, resultsPath: string) {
  return runEvent(
    'workflow_run',
    { ...payload, repository: repository() },
    { GITHUB_SHA: mainSha, GITHUB_REF: 'refs/heads/main' },
    ACTIONS_TOKEN,
    { 'report-from': resultsPath }
  )
}

function pullRequestPayload(
  action: 'opened' | 'synchronize',
  number: number,
  baseSha: string,
  headSha: string
): Record<string, unknown> {
  const payload = example('pull_request', action)
  const pr = payload.pull_request as Record<string, Record<string, unknown>>
  const repo = { ...(pr.base?.repo as object), full_name: 'octo-org/triage' }
  return {
    ...payload,
    number,
    repository: repository(),
    pull_request: {
      ...pr,
      number,
      base: { ...pr.base, ref: 'main', sha: baseSha, repo },
      head: { ...pr.head, ref: 'feature', sha: headSha, repo }
    }
  }
}

describe('the action by event, against a local GitHub', () => {
  let mainSha: string

  it('push to the default branch: runs and stores the baseline on the data branch', async () => {
    mainSha = server.state.linearHistory(3).at(-1) as string
    const run = await runEvent('push', pushPayload(mainSha), {
      GITHUB_SHA: mainSha,
      GITHUB_REF: 'refs/heads/main'
    })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(
      `evalgate: stored the results as the baseline of ${mainSha.slice(0, 7)}`
    )
    expect(run.outputs.verdict).toBe('no-baseline')
    // The first push finds none, and is the one from now on.
    expect(run.summary).toContain(
      `No stored results for the parent commits. Nothing was compared and this check does not fail for it. This run is now the baseline of \`${mainSha.slice(0, 7)}\`: later runs compare with it.`
    )
    const stored = server.state.readFile('evalgate-data', `results/${mainSha}.json.gz`)
    expect(stored).toBeDefined()
    const baseline = JSON.parse(gunzipSync(stored as Buffer).toString('utf8')) as {
      run: { commit: string }
    }
    expect(baseline.run.commit).toBe(mainSha)
  })

  it('push with the file store: says the baseline lives only as long as the workspace unless committed', async () => {
    const run = await runEvent(
      'push',
      pushPayload(mainSha),
      { GITHUB_SHA: mainSha, GITHUB_REF: 'refs/heads/main' },
      ACTIONS_TOKEN,
      { 'baseline-store': 'file', 'baseline-dir': 'ci/baselines' }
    )
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(
      `::warning::evalgate: wrote the baseline of ${mainSha.slice(0, 7)} to ci/baselines; the workspace ends with this job, so commit that directory to keep it`
    )
    expect(existsSync(join(workspace, 'ci/baselines', `${mainSha}.json`))).toBe(true)
    expect(run.summary).toContain(
      `This run was written to \`ci/baselines\` as the baseline of \`${mainSha.slice(0, 7)}\`: later runs compare with it once that directory is committed.`
    )
  })

  it('refuses, before running, a baseline store that would write on the branch under test or outside the repository', async () => {
    const env = { GITHUB_SHA: mainSha, GITHUB_REF: 'refs/heads/main' }
    const onMain = await runEvent('push', pushPayload(mainSha), env, ACTIONS_TOKEN, {
      'baseline-branch': 'main'
    })
    expect(onMain.code).toBe(1)
    expect(onMain.stdout).toContain(
      '::error::evalgate: input `baseline-branch` names the branch under test (main): baselines go on a branch of their own, such as the default evalgate-data'
    )
    expect(onMain.outputs).toEqual({})
    const outside = await runEvent('push', pushPayload(mainSha), env, ACTIONS_TOKEN, {
      'baseline-store': 'file',
      'baseline-dir': '../outside-baselines'
    })
    // A name that merely starts with two dots is inside.
    const dotted = await runEvent('push', pushPayload(mainSha), env, ACTIONS_TOKEN, {
      'baseline-store': 'file',
      'baseline-dir': '..baselines'
    })
    expect(dotted.code).toBe(0)
    expect(existsSync(join(workspace, '..baselines', `${mainSha}.json`))).toBe(true)
    expect(outside.code).toBe(1)
    expect(outside.stdout).toContain(
      `::error::evalgate: input \`baseline-dir\` must be inside the repository (${workspace}), where it can be committed; got "../outside-baselines"`
    )
  })

  it('fails a pull request whose baseline-dir the file system refuses, saying what to move', async () => {
    const head = server.state.commit({ branch: 'local-dirs', parents: [mainSha] })
    const number = server.state.addPullRequest({ headBranch: 'local-dirs' }).number
    const env = { GITHUB_SHA: 'f'.repeat(40), GITHUB_REF: `refs/pull/${number}/merge` }
    const withDir = (dir: string) =>
      runEvent(
        'pull_request',
        pullRequestPayload('opened', number, mainSha, head),
        env,
        ACTIONS_TOKEN,
        {
          'baseline-store': 'file',
          'baseline-dir': dir,
          comment: 'off'
        }
      )
    await mkdir(join(workspace, 'ci'), { recursive: true })
    await writeFile(join(workspace, 'ci/a-file'), 'not a directory')
    await mkdir(join(workspace, 'ci/dirs', `${mainSha}.json`), { recursive: true })

    // Refused before anything runs: a file, the repository's root, .git (which is never committed).
    for (const [dir, error] of [
      ['ci/a-file', 'input `baseline-dir` names a file, not a directory: "ci/a-file"'],
      ['.', 'input `baseline-dir` must be a directory of its own in the repository'],
      ['.git/baselines', 'input `baseline-dir` must be a directory of its own in the repository'],
      ['ci/a-file/baselines', 'input `baseline-dir` cannot be used: ENOTDIR']
    ] as const) {
      const refused = await withDir(dir)
      expect(refused.code).toBe(1)
      expect(refused.stdout).toContain(`::error::evalgate: ${error}`)
      expect(refused.stdout).not.toContain('evalgate: running')
      expect(refused.outputs).toEqual({})
    }

    // A directory, or a pipe that would keep the read (and the job) waiting for ever.
    await mkdir(join(workspace, 'ci/fifos'), { recursive: true })
    const fifo = join(workspace, 'ci/fifos', `${mainSha}.json`)
    await makeFifo(fifo)
    for (const [dir, baseline] of [
      ['ci/dirs', join(workspace, `ci/dirs/${mainSha}.json`)],
      ['ci/fifos', fifo]
    ] as const) {
      const unreadable = await unlessStuckOn(fifo, withDir(dir))
      expect(unreadable.code).toBe(1)
      expect(unreadable.stdout).toContain(
        `::error::evalgate: cannot read the baselines at ${baseline}: not a regular file; \`baseline-dir\` must be a directory of <commit sha>.json files: move what is there out of the way`
      )
      expect(unreadable.stdout).not.toMatch(/GitHub|re-run/)
    }
  })

  it('a pull request whose data branch does not exist says so, not only that nothing is stored', async () => {
    const head = server.state.commit({ branch: 'typo', parents: [mainSha] })
    const number = server.state.addPullRequest({ headBranch: 'typo' }).number
    const env = { GITHUB_SHA: 'f'.repeat(40), GITHUB_REF: `refs/pull/${number}/merge` }
    const payload = pullRequestPayload('opened', number, mainSha, head)
    const inputs = { comment: 'off', 'baseline-max-distance': '1' }
    const typo = await runEvent('pull_request', payload, env, ACTIONS_TOKEN, {
      ...inputs,
      'baseline-branch': 'evalgate-dta'
    })
    expect(typo.code).toBe(0)
    expect(typo.outputs.verdict).toBe('no-baseline')
    expect(typo.summary).toContain(
      'No stored results for the merge base or its first parent. The data branch `evalgate-dta` does not exist: a push to the default branch creates it; if pushes store on another branch, check the input `baseline-branch`.'
    )
    // The branch exists, holding no result for the merge base or its parent: nothing said of it.
    const base = server.state.commit({ branch: 'typo', parents: [head] })
    const unstored = server.state.commit({ branch: 'typo', parents: [base] })
    const elsewhere = await runEvent(
      'pull_request',
      pullRequestPayload('synchronize', number, base, unstored),
      env,
      ACTIONS_TOKEN,
      inputs
    )
    expect(elsewhere.summary).toContain('No stored results for the merge base or its first parent.')
    expect(elsewhere.summary).not.toContain('does not exist')
  })

  let prNumber: number
  let headSha: string
  it('pull request with a regression: sticky comment posted, step failed, annotations on case lines', async () => {
    headSha = server.state.commit({
      branch: 'feature',
      parents: [mainSha],
      files: { 'prompt.txt': 'v2\n' }
    })
    prNumber = server.state.addPullRequest({ headBranch: 'feature' }).number
    const run = await runEvent(
      'pull_request',
      pullRequestPayload('opened', prNumber, mainSha, headSha),
      {
        GITHUB_SHA: 'f'.repeat(40),
        GITHUB_REF: `refs/pull/${prNumber}/merge`,
        EVALGATE_FIXTURE_MODE: 'worse'
      }
    )
    expect(run.code).toBe(1)
    expect(run.outputs.verdict).toBe('regression')
    expect(run.stdout).toMatch(/^::error::evalgate: /m)
    expect(run.stdout).toContain(
      '::error title=evalgate%3A capitals / app regressed,file=evals/capitals.jsonl,line=1::case c-00 now fails (score 1.00 → 0.00)'
    )
    // 10 cases now fail; GitHub shows 10 error annotations per step, one of them the verdict's.
    expect(run.stdout.match(/^::error title=/gm)).toHaveLength(9)
    expect(run.stdout).toContain(
      'evalgate: cases that now fail but are not annotated (GitHub shows 10 error annotations per step): 1 more'
    )
    const comments = server.state.commentsOn(prNumber)
    expect(comments).toHaveLength(1)
    expect(comments[0]?.user.login).toBe('github-actions[bot]')
    expect(comments[0]?.body).toContain('<!-- evalgate:evals -->')
    expect(comments[0]?.body).toContain(
      `Baseline: \`${mainSha.slice(0, 7)}\` (the merge base \`${mainSha.slice(0, 7)}\` itself`
    )
    expect(run.outputs['comment-url']).toContain(
      `/pull/${prNumber}#issuecomment-${comments[0]?.id}`
    )
    expect(run.summary).toContain('capitals')
  })

  it('a repository checked out into a subdirectory: annotations still name its own files', async () => {
    const sha = server.state.commit({
      branch: 'feature-sub',
      parents: [mainSha],
      files: { 'prompt.txt': 'v3\n' }
    })
    const number = server.state.addPullRequest({ headBranch: 'feature-sub' }).number
    const run = await runEvent(
      'pull_request',
      pullRequestPayload('opened', number, mainSha, sha),
      {
        GITHUB_SHA: 'e'.repeat(40),
        GITHUB_REF: `refs/pull/${number}/merge`,
        EVALGATE_FIXTURE_MODE: 'worse'
      },
      ACTIONS_TOKEN,
      { specs: 'app/evals' },
      await checkout('app')
    )
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(
      '::error title=evalgate%3A capitals / app regressed,file=evals/capitals.jsonl,line=1::'
    )
  })

  it('a repository checked out into a subdirectory: a latency regression is on its gate’s line', async () => {
    const sha = server.state.commit({
      branch: 'feature-sub-slow',
      parents: [mainSha],
      files: { 'prompt.txt': 'v4\n' }
    })
    const number = server.state.addPullRequest({ headBranch: 'feature-sub-slow' }).number
    const subdirectory = await checkout('repo')
    const spec = join(subdirectory, 'repo', 'evals', 'qa.eval.yaml')
    const written = await readFile(spec, 'utf8')
    await writeFile(
      spec,
      written.replace(/^gate: .*$/m, 'gate: { latency-p50: { max-ratio: 1.2 } }')
    )
    const run = await runEvent(
      'pull_request',
      pullRequestPayload('opened', number, mainSha, sha),
      {
        GITHUB_SHA: 'e'.repeat(40),
        GITHUB_REF: `refs/pull/${number}/merge`,
        EVALGATE_FIXTURE_MODE: 'slow'
      },
      ACTIONS_TOKEN,
      { specs: 'repo/evals' },
      subdirectory
    )
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(
      /^::error title=evalgate%3A capitals \/ app regressed,file=evals\/qa\.eval\.yaml,line=17::latency p50 regressed: /m
    )
  })

  it('the same pull request fixed: the comment is edited in place and the step passes', async () => {
    const before = server.state.commentsOn(prNumber)[0]
    const bodyBefore = before?.body
    const run = await runEvent(
      'pull_request',
      pullRequestPayload('synchronize', prNumber, mainSha, headSha),
      {
        GITHUB_SHA: 'e'.repeat(40),
        GITHUB_REF: `refs/pull/${prNumber}/merge`
      }
    )
    expect(run.code).toBe(0)
    expect(run.outputs.verdict).toBe('pass')
    const comments = server.state.commentsOn(prNumber)
    expect(comments).toHaveLength(1)
    expect(comments[0]?.id).toBe(before?.id)
    expect(comments[0]?.body).not.toBe(bodyBefore)
    expect(comments[0]?.body).toContain('## evalgate: PASS')
  })

  it('merge_group: the queue’s commit is compared with the base tip’s baseline, and a regression fails', async () => {
    const queued = server.state.commit({
      branch: 'gh-readonly-queue/main/pr-7',
      parents: [mainSha],
      files: { 'prompt.txt': 'queued\n' }
    })
    const payload = {
      ...example('merge_group'),
      repository: repository(),
      merge_group: {
        ...(example('merge_group').merge_group as object),
        head_sha: queued,
        head_ref: 'refs/heads/gh-readonly-queue/main/pr-7',
        base_sha: mainSha,
        base_ref: 'refs/heads/main'
      }
    }
    const env = { GITHUB_SHA: queued, GITHUB_REF: 'refs/heads/gh-readonly-queue/main/pr-7' }
    const worse = await runEvent('merge_group', payload, { ...env, EVALGATE_FIXTURE_MODE: 'worse' })
    expect(worse.code).toBe(1)
    expect(worse.outputs.verdict).toBe('regression')
    expect(worse.summary).toContain(`\`${mainSha.slice(0, 7)}\``)
    const same = await runEvent('merge_group', payload, env)
    expect(same.code).toBe(0)
    expect(same.outputs.verdict).toBe('pass')
    // Nothing is stored for the queue's commit.
    expect(server.state.readFile('evalgate-data', `results/${queued}.json.gz`)).toBeUndefined()
  })

  it('pull_request_target: refused before anything runs, with what to use instead', async () => {
    const payload = pullRequestPayload('opened', prNumber, mainSha, headSha)
    const run = await runEvent('pull_request_target', payload, {
      GITHUB_SHA: mainSha,
      GITHUB_REF: 'refs/heads/main'
    })
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(
      '::error::evalgate does not run on pull_request_target: run it on pull_request, and for pull requests from forks post the comment from a workflow_run job with report-from (see the README)'
    )
    expect(run.outputs).toEqual({})
  })

  it('an event that compares nothing says so, not "no baseline"', async () => {
    const run = await runEvent(
      'release',
      { ...example('release', 'published'), repository: repository() },
      { GITHUB_SHA: mainSha, GITHUB_REF: 'refs/tags/v1.0.0' }
    )
    expect(run.code).toBe(0)
    expect(run.outputs.verdict).toBe('not-compared')
    expect(run.stdout).toContain('evalgate: a release event compares nothing')
  })

  it('a pull_request payload without its base: one clear error, not an internal one', async () => {
    const payload = pullRequestPayload('opened', prNumber, mainSha, headSha)
    delete (payload.pull_request as { base?: unknown }).base
    const run = await runEvent('pull_request', payload, {
      GITHUB_SHA: 'f'.repeat(40),
      GITHUB_REF: `refs/pull/${prNumber}/merge`
    })
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(
      '::error::evalgate: the event payload at GITHUB_EVENT_PATH has a pull_request without base.ref, base.sha, base.repo.full_name'
    )
  })

  it('comment: on-regression writes no comment on a pass, and keeps one it wrote current once fixed', async () => {
    const quietSha = server.state.commit({ branch: 'quiet', parents: [mainSha] })
    const number = server.state.addPullRequest({ headBranch: 'quiet' }).number
    const onRegression = (mode: 'same' | 'worse', sha: string) =>
      runEvent(
        'pull_request',
        pullRequestPayload('synchronize', number, mainSha, quietSha),
        {
          GITHUB_SHA: sha.repeat(40),
          GITHUB_REF: `refs/pull/${number}/merge`,
          ...(mode === 'worse' ? { EVALGATE_FIXTURE_MODE: 'worse' } : {})
        },
        ACTIONS_TOKEN,
        { comment: 'on-regression' }
      )
    expect((await onRegression('same', '1')).code).toBe(0)
    expect(server.state.commentsOn(number)).toHaveLength(0)
    expect((await onRegression('worse', '2')).code).toBe(1)
    expect(server.state.commentsOn(number).map((c) => c.body)).toEqual([
      expect.stringContaining('## evalgate: REGRESSION')
    ])
    const fixed = await onRegression('same', '3')
    expect(fixed.code).toBe(0)
    expect(server.state.commentsOn(number).map((c) => c.body)).toEqual([
      expect.stringContaining('## evalgate: PASS')
    ])
    expect(fixed.outputs['comment-url']).toContain(`/pull/${number}#issuecomment-`)
  })

  it('nightly regression opens one tracking issue; the next night’s recovery closes it', async () => {
    const nightly = { schedule: '0 3 * * *' }
    const env = { GITHUB_SHA: mainSha, GITHUB_REF: 'refs/heads/main' }
    const bad = await runEvent('schedule', nightly, { ...env, EVALGATE_FIXTURE_MODE: 'worse' })
    expect(bad.code).toBe(1)
    const opened = trackingIssues()
    expect(opened).toHaveLength(1)
    expect(opened[0]?.state).toBe('open')
    expect(bad.outputs['issue-url']).toContain(`/issues/${opened[0]?.number}`)

    const good = await runEvent('schedule', nightly, env)
    expect(good.code).toBe(0)
    const after = trackingIssues()
    expect(after).toHaveLength(1)
    expect(after[0]?.state).toBe('closed')
  })

  it('workflow_dispatch on the default branch: compares with its baseline, no new issue when healthy', async () => {
    const payload = {
      ...example('workflow_dispatch'),
      ref: 'refs/heads/main',
      repository: repository()
    }
    const run = await runEvent('workflow_dispatch', payload, {
      GITHUB_SHA: mainSha,
      GITHUB_REF: 'refs/heads/main'
    })
    expect(run.code).toBe(0)
    expect(run.outputs.verdict).toBe('pass')
    const tracking = trackingIssues()
    expect(tracking.map((i) => i.state)).toEqual(['closed'])
  })

  it('workflow_dispatch on another branch: reports its regression, leaves the tracking issue alone', async () => {
    const fixSha = server.state.commit({ branch: 'fix', parents: [mainSha] })
    const payload = {
      ...example('workflow_dispatch'),
      ref: 'refs/heads/fix',
      repository: repository()
    }
    const run = await runEvent('workflow_dispatch', payload, {
      GITHUB_SHA: fixSha,
      GITHUB_REF: 'refs/heads/fix',
      EVALGATE_FIXTURE_MODE: 'worse'
    })
    expect(run.code).toBe(1)
    expect(run.outputs.verdict).toBe('regression')
    expect(run.outputs['issue-url']).toBeUndefined()
    expect(run.stdout).toContain(
      'refs/heads/fix is not the default branch: the tracking issue is left alone'
    )
    const tracking = trackingIssues()
    expect(tracking.map((i) => i.state)).toEqual(['closed'])
  })

  it('a matrix of shards: each shard job only reports, the merge-from job gates the whole run', async () => {
    const matrixSha = server.state.commit({ branch: 'matrix', parents: [mainSha] })
    const number = server.state.addPullRequest({ headBranch: 'matrix' }).number
    const shardsDir = await mkdtemp(join(tmpdir(), 'evalgate-shards-'))
    const event = (inputs: Record<string, string>) =>
      runEvent(
        'pull_request',
        pullRequestPayload('synchronize', number, mainSha, matrixSha),
        {
          GITHUB_SHA: '9'.repeat(40),
          GITHUB_REF: `refs/pull/${number}/merge`,
          EVALGATE_FIXTURE_MODE: 'worse'
        },
        ACTIONS_TOKEN,
        inputs
      )
    for (const shard of ['1/2', '2/2']) {
      const part = await event({
        shard,
        'results-path': join(shardsDir, `results-${shard[0]}.json`)
      })
      expect(part.code).toBe(0)
      // Its pass rates are of a part of the cases: it gates nothing, and says nothing passed.
      expect(part.outputs).toEqual({ 'results-path': join(shardsDir, `results-${shard[0]}.json`) })
      expect(part.summary).toContain(`### evalgate: shard ${shard[0]} of 2`)
    }
    expect(server.state.commentsOn(number)).toHaveLength(0)
    // A stale artifact's record of specs that did not load, of another commit: not a shard, and
    // no report of this one.
    await writeFile(
      join(shardsDir, 'results-3.invalid-specs.json'),
      JSON.stringify({ commit: mainSha, problems: 'evals/qa.eval.yaml: …' })
    )

    const gate = await event({ 'merge-from': shardsDir })
    expect(gate.code).toBe(1)
    expect(gate.outputs.verdict).toBe('regression')
    expect(gate.stdout).not.toContain('evalgate: running')
    const comments = server.state.commentsOn(number)
    expect(comments).toHaveLength(1)
    expect(comments[0]?.body).toContain('## evalgate: REGRESSION')
    expect(comments[0]?.body).toContain('40 paired cases')
  })

  it('a fork’s read-only token: no failure for lack of permission, the report is in the summary', async () => {
    const payload = pullRequestPayload('synchronize', prNumber, mainSha, headSha)
    const pr = payload.pull_request as { head: { repo: { full_name: string } } }
    pr.head.repo = { ...pr.head.repo, full_name: 'someone/triage-fork' }
    // With the sticky comment gone, the run must write one, which a read-only token cannot.
    for (const comment of server.state.commentsOn(prNumber)) server.state.deleteComment(comment.id)
    const run = await runEvent(
      'pull_request',
      payload,
      {
        GITHUB_SHA: 'd'.repeat(40),
        GITHUB_REF: `refs/pull/${prNumber}/merge`
      },
      READ_ONLY_TOKEN
    )
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(
      /^::warning::evalgate: could not comment on #\d+ .*403.*workflow_run/m
    )
    expect(server.state.commentsOn(prNumber)).toHaveLength(0)
    expect(run.summary).toContain('capitals')
  })

  it('a fork whose specs need a secret it is not given: only that provider is replayed, the fork’s own code still runs and is gated', async () => {
    const fork = await checkout()
    await writeFile(
      join(fork, 'evals', 'llm.eval.yaml'),
      [
        'suite: llm',
        'providers:',
        '  - { id: mini, type: openai, model: gpt-4o-mini }',
        "prompt: 'Capital of {{country}}?'",
        'cases:',
        '  - { id: fr, vars: { country: France, capital: Paris } }',
        'scorers:',
        "  - { type: equals, expected: '{{capital}}' }",
        ''
      ].join('\n')
    )
    const payload = pullRequestPayload('synchronize', prNumber, mainSha, headSha)
    const pr = payload.pull_request as { head: { repo: { full_name: string } } }
    pr.head.repo = { ...pr.head.repo, full_name: 'someone/triage-fork' }
    // As the workflow's `env: { OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }} }` gives a fork.
    const noSecret = { OPENAI_API_KEY: '' }
    const run = await runEvent(
      'pull_request',
      payload,
      {
        GITHUB_SHA: 'e'.repeat(40),
        GITHUB_REF: `refs/pull/${prNumber}/merge`,
        EVALGATE_FIXTURE_MODE: 'worse',
        ...noSecret
      },
      READ_ONLY_TOKEN,
      {},
      fork
    )
    expect(run.stdout).toMatch(
      /^::warning::evalgate: this pull request comes from a fork, and GitHub gives forks no secrets: llm \/ provider mini \(OPENAI_API_KEY not set\) replayed answers from the cache in .* instead of calling/m
    )
    const results = JSON.parse(await readFile(run.resultsPath, 'utf8')) as {
      suites: { suite: string; results: { error?: { kind: string } }[] }[]
    }
    const kinds = (suite: string) =>
      new Set(results.suites.find((s) => s.suite === suite)?.results.map((r) => r.error?.kind))
    expect(kinds('llm')).toEqual(new Set(['cache-miss']))
    // The module provider, the fork's own code, is called and compared: its regression fails.
    expect(kinds('capitals')).toEqual(new Set([undefined]))
    expect(run.code).toBe(1)
    expect(run.outputs.verdict).toBe('regression')
    expect(run.summary).toContain(
      "> **Replayed from the cache, not called:** llm / provider mini (OPENAI\\_API\\_KEY not set). GitHub gives a fork's pull request no secrets; a missing answer fails nothing. The other providers ran and are compared as usual."
    )
    // No cache was restored: said, naming the directory, but what the fork cannot call fails nothing.
    expect(run.stdout).toMatch(
      /^::warning::the cache directory \S+\/\.evalgate\/cache does not exist: every answer this run reads from the cache misses;/m
    )
    expect(run.outputs.passed).toBe('true')
    expect(run.summary).not.toContain('without any answer')

    // Run as shards, the job that merges them says what the shards replayed.
    const shardsDir = await mkdtemp(join(tmpdir(), 'evalgate-fork-shards-'))
    const forkEvent = (inputs: Record<string, string>) =>
      runEvent(
        'pull_request',
        payload,
        { GITHUB_SHA: 'e'.repeat(40), GITHUB_REF: `refs/pull/${prNumber}/merge`, ...noSecret },
        READ_ONLY_TOKEN,
        inputs,
        fork
      )
    for (const shard of ['1', '2']) {
      const part = await forkEvent({
        shard: `${shard}/2`,
        'results-path': join(shardsDir, `results-${shard}.json`)
      })
      expect(part.code).toBe(0)
    }
    const merged = await forkEvent({ 'merge-from': shardsDir })
    expect(merged.summary).toContain(
      "> **Replayed from the cache, not called:** llm / provider mini (OPENAI\\_API\\_KEY not set). GitHub gives a fork's pull request no secrets; a missing answer fails nothing. The other providers ran (or, under `cache: replay`, were replayed too) and are compared as usual."
    )
    expect(merged.outputs.passed).toBe('true')

    // Asked to replay everything, the fork's own code is replayed too, and says so.
    const replayAll = await runEvent(
      'pull_request',
      payload,
      { GITHUB_SHA: 'e'.repeat(40), GITHUB_REF: `refs/pull/${prNumber}/merge`, ...noSecret },
      READ_ONLY_TOKEN,
      { cache: 'replay' },
      fork
    )
    expect(replayAll.code).toBe(1)
    expect(replayAll.summary).toContain(
      'The other providers were replayed too, as `cache: replay` asks: their missing answers fail the check.'
    )
    expect(replayAll.stdout).not.toContain('The other providers ran')

    // The same spec in the base repository's own pull request: a missing secret is an error.
    const own = await runEvent(
      'pull_request',
      pullRequestPayload('synchronize', prNumber, mainSha, headSha),
      { GITHUB_SHA: 'e'.repeat(40), GITHUB_REF: `refs/pull/${prNumber}/merge`, ...noSecret },
      READ_ONLY_TOKEN,
      {},
      fork
    )
    expect(own.code).toBe(1)
    expect(own.stdout).toMatch(
      /^::error::evalgate: .*environment variable `OPENAI_API_KEY` is not set \(or empty\)/m
    )
  })

  it('workflow_run: comments a fork PR’s report from its artifact, on the PR the trusted event names', async () => {
    const pr = await runEvent(
      'pull_request',
      pullRequestPayload('synchronize', prNumber, mainSha, headSha),
      {
        GITHUB_SHA: 'c'.repeat(40),
        GITHUB_REF: `refs/pull/${prNumber}/merge`,
        EVALGATE_FIXTURE_MODE: 'worse'
      },
      READ_ONLY_TOKEN
    )
    expect(pr.code).toBe(1)
    expect(server.state.commentsOn(prNumber)).toHaveLength(0)
    const payload = example('workflow_run', 'completed')
    // A fork's run: GitHub leaves `pull_requests` empty; the PR is found from the head branch.
    payload.workflow_run = {
      ...(payload.workflow_run as object),
      id: 777,
      name: 'evals',
      event: 'pull_request',
      head_sha: headSha,
      head_branch: 'feature',
      pull_requests: [],
      head_repository: {
        ...(payload.workflow_run as { head_repository: object }).head_repository,
        owner: { login: 'octo-org' }
      }
    }
    const report = await reportFrom(payload, mainSha, pr.resultsPath)
    expect(report.code).toBe(0)
    expect(report.stdout).not.toContain('evalgate: running')
    expect(report.outputs.verdict).toBe('regression')
    // The outputs of the pull request's own run, for steps after the comment.
    expect(report.outputs['regression-count']).toBe(pr.outputs['regression-count'])
    expect(report.outputs['results-path']).toBe(pr.resultsPath)
    expect(report.outputs['comparison-path']).toBe(pr.outputs['comparison-path'])
    const comments = server.state.commentsOn(prNumber)
    expect(comments).toHaveLength(1)
    expect(comments[0]?.body).toContain('## evalgate: REGRESSION')
    // The marker of the pull request's own workflow: a same-repo PR keeps one comment, not two.
    expect(comments[0]?.body).toContain('<!-- evalgate:evals -->')
    expect(comments[0]?.body).toContain('https://github.com/octo-org/triage/actions/runs/777')

    // A forged comparison (the artifact is the PR's code's to write) is refused, never rendered:
    // its text where a number belongs would reach the comment unescaped.
    const comparisonPath = pr.resultsPath.replace(/\.json$/, '.comparison.json')
    const forged = JSON.parse(await readFile(comparisonPath, 'utf8')) as {
      options: { alpha: unknown }
      tool: unknown
    }
    forged.options.alpha = '0.05 @octo-org/security <img src=x>'
    await writeFile(comparisonPath, JSON.stringify(forged))
    const refused = await reportFrom(payload, mainSha, pr.resultsPath)
    expect(refused.code).toBe(0)
    expect(refused.stdout).toContain(
      `::warning::evalgate: ${comparisonPath} is not an evalgate comparison (/options/alpha must be number)`
    )
    const shown = server.state.commentsOn(prNumber)[0]?.body ?? ''
    expect(shown).not.toContain('@octo-org/security')
    // Said as such, never passed off as "no baseline".
    expect(refused.outputs.verdict).toBe('comparison-unreadable')
    expect(shown).toContain('### evalgate: comparison not shown')
    expect(shown).toContain('(/options/alpha must be number)')

    // One of another evalgate version says which: the pull request may have changed it.
    forged.options.alpha = 0.05
    await writeFile(
      comparisonPath,
      JSON.stringify({ ...forged, tool: { name: 'evalgate', version: '9.0.0' }, extra: 1 })
    )
    await reportFrom(payload, mainSha, pr.resultsPath)
    expect(server.state.commentsOn(prNumber)[0]?.body).toMatch(
      /must NOT have additional properties; it was written by evalgate 9\.0\.0, this job runs \d+\.\d+\.\d+\)/
    )

    // Not even JSON: refused the same way.
    await writeFile(comparisonPath, '{ not json')
    const again = await reportFrom(payload, mainSha, pr.resultsPath)
    expect(again.code).toBe(0)
    expect(again.stdout).toContain(
      `::warning::evalgate: ${comparisonPath} is not an evalgate comparison (not JSON:`
    )
    expect(again.outputs.verdict).toBe('comparison-unreadable')
    expect(server.state.commentsOn(prNumber)[0]?.body).not.toContain('no baseline yet')
  })

  it('nightly below min-pass-rate, with no regression, opens the tracking issue all the same', async () => {
    // A main commit whose own baseline is already broken: the night compares equal, yet fails.
    const brokenSha = server.state.commit({ branch: 'main', files: { 'prompt.txt': 'v9\n' } })
    const env = { GITHUB_SHA: brokenSha, GITHUB_REF: 'refs/heads/main' }
    const pushed = await runEvent('push', pushPayload(brokenSha), {
      ...env,
      EVALGATE_FIXTURE_MODE: 'broken'
    })
    expect(pushed.stdout).toContain(
      `stored the results as the baseline of ${brokenSha.slice(0, 7)}`
    )
    const night = await runEvent(
      'schedule',
      { schedule: '0 3 * * *' },
      { ...env, EVALGATE_FIXTURE_MODE: 'broken' }
    )
    expect(night.code).toBe(1)
    expect(night.outputs.verdict).toBe('pass')
    const tracking = trackingIssues()
    expect(tracking.map((i) => i.state)).toEqual(['open'])
    expect(tracking[0]?.body).toContain('Below min-pass-rate, so this check fails')
  })

  it('workflow_run: comments what the pull request’s run found — an unreadable baseline, a broken threshold', async () => {
    const sha = server.state.commit({ branch: 'unlucky', parents: [mainSha] })
    const number = server.state.addPullRequest({ headBranch: 'unlucky' }).number
    // GitHub refuses the comparison of the merge base while the pull request's run reads it.
    server.fault('repos/compare-commits', faults.forbidden())
    const pr = await runEvent(
      'pull_request',
      pullRequestPayload('synchronize', number, mainSha, sha),
      {
        GITHUB_SHA: '8'.repeat(40),
        GITHUB_REF: `refs/pull/${number}/merge`,
        EVALGATE_FIXTURE_MODE: 'broken'
      },
      READ_ONLY_TOKEN
    )
    expect(pr.code).toBe(1)
    expect(pr.outputs.verdict).toBe('baseline-unavailable')
    const payload = example('workflow_run', 'completed')
    payload.workflow_run = {
      ...(payload.workflow_run as object),
      id: 778,
      name: 'evals',
      event: 'pull_request',
      head_sha: sha,
      // This file's repository keeps the push example's id.
      pull_requests: [
        listedPullRequest(number, sha, {
          id: repository().id as number,
          url: `${server.url}/repos/octo-org/triage`,
          name: 'triage'
        })
      ]
    }
    const report = await reportFrom(payload, mainSha, pr.resultsPath)
    expect(report.code).toBe(0)
    expect(report.outputs.verdict).toBe('baseline-unavailable')
    expect(report.outputs.passed).toBe('false')
    const [comment] = server.state.commentsOn(number)
    expect(comment?.body).toContain(
      '> **Below min-pass-rate, so this check fails:** capitals / app'
    )
    expect(comment?.body).toContain('### evalgate: baseline unavailable')
    expect(comment?.body).not.toContain('no baseline yet')
  })

  it('workflow_run: refuses an artifact whose results are not of the run’s head commit', async () => {
    const payload = example('workflow_run', 'completed')
    payload.workflow_run = {
      ...(payload.workflow_run as object),
      event: 'pull_request',
      head_sha: 'a'.repeat(40),
      pull_requests: [{ number: prNumber }]
    }
    const stale = await runEvent('push', pushPayload(mainSha), {
      GITHUB_SHA: mainSha,
      GITHUB_REF: 'refs/heads/main'
    })
    const report = await reportFrom(payload, mainSha, stale.resultsPath)
    expect(report.code).toBe(1)
    expect(report.stdout).toMatch(
      /^::error::evalgate: .*holds results of [0-9a-f]{40}, not of the run's head a{40}/m
    )
  })

  it('workflow_run: reads no results file larger than a run makes, from an artifact', async () => {
    const payload = example('workflow_run', 'completed')
    payload.workflow_run = {
      ...(payload.workflow_run as object),
      event: 'pull_request',
      head_sha: 'a'.repeat(40),
      pull_requests: [{ number: prNumber }]
    }
    const huge = join(await mkdtemp(join(tmpdir(), 'evalgate-artifact-')), 'results.json')
    await writeFile(huge, '')
    // Sparse: 257 MB on paper, nothing on disk.
    await truncate(huge, 257 * 2 ** 20)
    const report = await reportFrom(payload, mainSha, huge)
    expect(report.code).toBe(1)
    expect(report.stdout).toContain(
      `::error::evalgate: ${huge} is 257 MB, more than the 256 MB report-from reads from an artifact`
    )
  })

  it('workflow_run: refuses at once an artifact’s results file that is a named pipe, naming it', async () => {
    const payload = example('workflow_run', 'completed')
    payload.workflow_run = {
      ...(payload.workflow_run as object),
      event: 'pull_request',
      head_sha: 'a'.repeat(40),
      pull_requests: [{ number: prNumber }]
    }
    const fifo = join(await mkdtemp(join(tmpdir(), 'evalgate-artifact-')), 'results.json')
    await makeFifo(fifo)
    const report = await unlessStuckOn(fifo, reportFrom(payload, mainSha, fifo))
    expect(report.code).toBe(1)
    expect(report.stdout).toContain(
      `${fifo}: not a regular file (point at the results file a run wrote)`
    )
  })

  it('a repository that runs evals only nightly: a new commit’s first healthy night becomes its baseline, a failing one does not', async () => {
    const nightly = { schedule: '0 3 * * *' }
    const base = server.state.commit({ branch: 'main', files: { 'prompt.txt': 'v10\n' } })
    const first = await runEvent('schedule', nightly, {
      GITHUB_SHA: base,
      GITHUB_REF: 'refs/heads/main'
    })
    expect(first.code).toBe(0)
    expect(server.state.readFile('evalgate-data', `results/${base}.json.gz`)).toBeDefined()

    // A later commit, never pushed through evalgate: its first night compares one commit back…
    const next = server.state.commit({ branch: 'main', files: { 'prompt.txt': 'v11\n' } })
    const healthy = await runEvent('schedule', nightly, {
      GITHUB_SHA: next,
      GITHUB_REF: 'refs/heads/main'
    })
    expect(healthy.code).toBe(0)
    expect(healthy.stdout).toContain(`stored the results as the baseline of ${next.slice(0, 7)}`)
    expect(server.state.readFile('evalgate-data', `results/${next}.json.gz`)).toBeDefined()

    // …and a night that regresses is not kept: the next night would pass against it.
    const broken = server.state.commit({ branch: 'main', files: { 'prompt.txt': 'v12\n' } })
    const failed = await runEvent('schedule', nightly, {
      GITHUB_SHA: broken,
      GITHUB_REF: 'refs/heads/main',
      EVALGATE_FIXTURE_MODE: 'worse'
    })
    expect(failed.code).toBe(1)
    expect(failed.stdout).toContain(
      `not stored as the baseline of ${broken.slice(0, 7)}: it fails against the baseline of ${next.slice(0, 7)}`
    )
    expect(server.state.readFile('evalgate-data', `results/${broken}.json.gz`)).toBeUndefined()

    // A filtered dispatch holds only some cases: never a baseline, which a full run of the same
    // commit would then find and not replace.
    const later = server.state.commit({ branch: 'main', files: { 'prompt.txt': 'v13\n' } })
    const filtered = await runEvent(
      'workflow_dispatch',
      { ...example('workflow_dispatch'), ref: 'refs/heads/main', repository: repository() },
      { GITHUB_SHA: later, GITHUB_REF: 'refs/heads/main' },
      ACTIONS_TOKEN,
      { filter: 'capitals/c-0*' }
    )
    expect(filtered.code).toBe(0)
    expect(filtered.stdout).toContain(
      `not stored as the baseline of ${later.slice(0, 7)}: the run was filtered (capitals/c-0*), so it holds only some cases`
    )
    expect(server.state.readFile('evalgate-data', `results/${later}.json.gz`)).toBeUndefined()
    // Nor does it close the tracking issue the regressed night opened: it may have skipped the
    // very cases that regressed.
    expect(filtered.stdout).toContain(
      'evalgate: the run was filtered (capitals/c-0*): the tracking issue is left alone'
    )
    const tracking = trackingIssues()
    expect(tracking.map((i) => i.state)).toEqual(['open'])
  })

  it('a run made while the provider or a judge was down never becomes a baseline, on a push or a first night', async () => {
    // The suite's endpoint refuses every connection: an outage, not a change of the model; and
    // so does the judge of another suite, whose answers then cannot be graded.
    const down = await checkout()
    await mkdir(join(down, 'evals-down'))
    await writeFile(
      join(down, 'evals-down', 'down.eval.yaml'),
      [
        'suite: down',
        'providers:',
        '  - id: api',
        '    type: http',
        '    url: http://127.0.0.1:1/answer',
        "    body: { q: '{{prompt}}' }",
        '    output: answer',
        '    retry: { max-attempts: 1 }',
        "prompt: '{{q}}'",
        'cases:',
        '  - { id: a, vars: { q: one } }',
        '  - { id: b, vars: { q: two } }',
        'scorers:',
        '  - { type: contains, value: o }',
        'min-pass-rate: 0',
        ''
      ].join('\n')
    )
    await writeFile(
      join(down, 'evals-down', 'judged.eval.yaml'),
      [
        'suite: judged',
        'providers:',
        '  - { id: app, type: exec, command: echo Paris }',
        "prompt: '{{q}}'",
        'cases:',
        '  - { id: a, vars: { q: one } }',
        '  - { id: b, vars: { q: two } }',
        'scorers:',
        '  - type: llm-judge',
        '    rubric: The answer is a city.',
        '    judge:',
        '      type: http',
        '      url: http://127.0.0.1:1/grade',
        "      body: { q: '{{prompt}}' }",
        '      output: answer',
        '      retry: { max-attempts: 1 }',
        'min-pass-rate: 0',
        ''
      ].join('\n')
    )
    const env = (sha: string) => ({ GITHUB_SHA: sha, GITHUB_REF: 'refs/heads/main' })
    const pushed = server.state.commit({ branch: 'main', files: { 'prompt.txt': 'v20\n' } })
    const push = await runEvent(
      'push',
      pushPayload(pushed),
      env(pushed),
      ACTIONS_TOKEN,
      {
        specs: 'evals-down'
      },
      down
    )
    expect(push.stdout).toContain(
      `evalgate: not stored as the baseline of ${pushed.slice(0, 7)}: down / api, judged / app mostly failed to reach the provider or its judge (an outage), so it would compare nothing`
    )
    expect(server.state.readFile('evalgate-data', `results/${pushed}.json.gz`)).toBeUndefined()

    const night = server.state.commit({ branch: 'main', files: { 'prompt.txt': 'v21\n' } })
    const scheduled = await runEvent(
      'schedule',
      { schedule: '0 3 * * *' },
      env(night),
      ACTIONS_TOKEN,
      { specs: 'evals-down' },
      down
    )
    expect(scheduled.stdout).toContain(`not stored as the baseline of ${night.slice(0, 7)}`)
    expect(server.state.readFile('evalgate-data', `results/${night}.json.gz`)).toBeUndefined()
  })
})
