import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { ACTIONS_TOKEN } from '../helpers/github-server.js'
import type { GitHubServer } from '../helpers/github-server.js'
import {
  pullRequestPayload,
  pullRequestRun,
  pushPayload,
  repositoryWithBaseline
} from '../helpers/events.js'
import type { eventRunner } from '../helpers/events.js'

let server: GitHubServer
let workspace: string
let mainSha: string
let runEvent: ReturnType<typeof eventRunner>

beforeAll(async () => {
  ;({ server, runEvent, mainSha, workspace } = await repositoryWithBaseline())
})
afterAll(() => server.close())
afterEach(() => expect(server.violations).toEqual([]))

function newPullRequest(branch: string) {
  const headSha = server.state.commit({ branch, parents: [mainSha], files: { [branch]: '1\n' } })
  const { number } = server.state.addPullRequest({ headBranch: branch })
  return { number, headSha, headBranch: branch, baseSha: mainSha }
}

/** The workflow commands of a kind the step wrote: `error` or `warning` annotations. */
function annotations(stdout: string, kind: 'error' | 'warning'): string[] {
  return stdout.split('\n').filter((line) => line.startsWith(`::${kind} title=`))
}

describe('annotations on the cases that regressed', () => {
  it('are warnings, not errors, on a step that passes: fail-on-regression false, a push', async () => {
    const lenient = await pullRequestRun(
      runEvent,
      newPullRequest('lenient'),
      { EVALGATE_FIXTURE_MODE: 'worse' },
      { 'fail-on-regression': 'false' }
    )
    expect(lenient.code).toBe(0)
    expect(lenient.outputs.verdict).toBe('regression')
    expect(lenient.stdout).not.toMatch(/^::error/m)
    expect(annotations(lenient.stdout, 'warning')).toHaveLength(9)
    expect(annotations(lenient.stdout, 'warning')[0]).toBe(
      '::warning title=evalgate%3A capitals / app regressed,file=evals/capitals.jsonl,line=1::case c-00 now fails (score 1.00 → 0.00)'
    )
    expect(lenient.stdout).toContain(
      'cases that now fail but are not annotated (GitHub shows 10 warning annotations per step): 1 more'
    )

    const next = server.state.commit({ branch: 'main', files: { next: '1\n' } })
    const push = await runEvent(
      'push',
      pushPayload(next),
      { GITHUB_SHA: next, GITHUB_REF: 'refs/heads/main', EVALGATE_FIXTURE_MODE: 'worse' },
      ACTIONS_TOKEN
    )
    expect(push.code).toBe(0)
    expect(push.outputs.verdict).toBe('regression')
    expect(push.stdout).not.toMatch(/^::error/m)
    expect(annotations(push.stdout, 'warning')).toHaveLength(9)
  })

  it('are errors on a step that fails', async () => {
    const strict = await pullRequestRun(runEvent, newPullRequest('strict'), {
      EVALGATE_FIXTURE_MODE: 'worse'
    })
    expect(strict.code).toBe(1)
    expect(annotations(strict.stdout, 'error')).toHaveLength(9)
    expect(annotations(strict.stdout, 'warning')).toEqual([])
  })
})

describe('annotations on a group that regressed in latency alone', () => {
  it('are on the spec’s gate line, or its suite line, never on the cases that flipped', async () => {
    const spec = join(workspace, 'evals', 'qa.eval.yaml')
    const written = await readFile(spec, 'utf8')
    const gate = written.slice(written.indexOf('gate:'))
    try {
      await writeFile(
        spec,
        written.replace(
          gate,
          'gate:\n  latency-p95: { max-ratio: 1000 }\n  latency-p50: { max-ratio: 1.2 }\n'
        )
      )
      // Every answer 100 ms late, and one case wrong: too few for the score to regress.
      const gated = await pullRequestRun(runEvent, newPullRequest('slow-gated'), {
        EVALGATE_FIXTURE_MODE: 'slow'
      })
      expect(gated.code).toBe(1)
      expect(gated.outputs.verdict).toBe('regression')
      expect(annotations(gated.stdout, 'error')).toEqual([
        expect.stringMatching(
          /^::error title=evalgate%3A capitals \/ app regressed,file=evals\/qa\.eval\.yaml,line=19::latency p50 regressed: median latency ×[\d.]+, beyond the tolerated ×1\.20 \(p/
        )
      ])
      expect(gated.stdout).not.toContain('capitals.jsonl')

      // No gate: the default tolerance, at the suite's line.
      await writeFile(spec, written.replace(gate, ''))
      const ungated = await pullRequestRun(runEvent, newPullRequest('slow-default'), {
        EVALGATE_FIXTURE_MODE: 'slow'
      })
      expect(annotations(ungated.stdout, 'error')).toEqual([
        expect.stringMatching(
          /^::error title=evalgate%3A capitals \/ app regressed,file=evals\/qa\.eval\.yaml,line=1::latency p50 regressed: /
        )
      ])
    } finally {
      await writeFile(spec, written)
    }
  })
})

describe('the sticky comment of each job', () => {
  it('two jobs of one workflow, and two legs of a matrix, keep a comment each', async () => {
    const pull = newPullRequest('two-jobs')
    const regressed = await pullRequestRun(runEvent, pull, {
      GITHUB_JOB: 'evals-app',
      EVALGATE_FIXTURE_MODE: 'worse'
    })
    expect(regressed.code).toBe(1)
    const passed = await pullRequestRun(runEvent, pull, { GITHUB_JOB: 'evals-other' })
    expect(passed.code).toBe(0)
    const legs = ['gpt-4o', 'gpt-4o-mini']
    for (const leg of legs) {
      await pullRequestRun(
        runEvent,
        pull,
        { GITHUB_JOB: 'matrix' },
        { 'comment-key': `matrix ${leg}` }
      )
    }
    const bodies = server.state.commentsOn(pull.number).map((c) => c.body)
    expect(bodies.map((body) => body.split('\n')[0])).toEqual([
      '<!-- evalgate:evals#evals-app -->',
      '<!-- evalgate:evals#evals-other -->',
      '<!-- evalgate:evals#matrix gpt-4o -->',
      '<!-- evalgate:evals#matrix gpt-4o-mini -->'
    ])
    expect(bodies[0]).toContain('## evalgate: REGRESSION')
    expect(bodies[1]).toContain('## evalgate: PASS')
  })

  it('takes over the comment an earlier evalgate marked by workflow alone', async () => {
    const pull = newPullRequest('upgrade')
    const earlier = server.state.addComment(
      pull.number,
      '<!-- evalgate:evals -->\n## evalgate: REGRESSION',
      'github-actions[bot]'
    )
    const run = await pullRequestRun(runEvent, pull, { GITHUB_JOB: 'evals' })
    expect(run.outputs['comment-url']).toContain(`#issuecomment-${earlier.id}`)
    const comments = server.state.commentsOn(pull.number)
    expect(comments.map((c) => c.id)).toEqual([earlier.id])
    expect(comments[0]?.body).toMatch(
      new RegExp(
        `^<!-- evalgate:evals#evals -->\n<!-- evalgate:commit ${pull.headSha} -->\n## evalgate: PASS`
      )
    )
  })

  it('the copy two concurrent runs left is deleted, the first one kept current', async () => {
    const pull = newPullRequest('race')
    const marker = '<!-- evalgate:evals#evals -->'
    const first = server.state.addComment(pull.number, `${marker}\nrun 1`, 'github-actions[bot]')
    server.state.addComment(pull.number, `${marker}\nrun 2`, 'github-actions[bot]')
    const someoneElses = server.state.addComment(pull.number, `${marker}\nquoted`, 'someone-else')
    const run = await pullRequestRun(runEvent, pull, {
      GITHUB_JOB: 'evals',
      EVALGATE_FIXTURE_MODE: 'worse'
    })
    expect(run.outputs['comment-url']).toContain(`#issuecomment-${first.id}`)
    const comments = server.state.commentsOn(pull.number)
    expect(comments.map((c) => c.id)).toEqual([first.id, someoneElses.id])
    expect(comments[0]?.body).toContain('## evalgate: REGRESSION')
  })

  it('a run of an older commit that finishes after the newer one’s leaves its comment alone', async () => {
    const older = newPullRequest('pushed-twice')
    // Pushed to while the older commit's run was still going: the newer one's run finished first.
    const newerSha = server.state.commit({ branch: older.headBranch, files: { again: '1\n' } })
    const newer = await pullRequestRun(runEvent, { ...older, headSha: newerSha })
    expect(newer.outputs['comment-url']).toBeDefined()
    const [report] = server.state.commentsOn(older.number).map((comment) => comment.body)
    expect(report).toMatch(
      new RegExp(
        `^<!-- evalgate:evals -->\n<!-- evalgate:commit ${newerSha} -->\n## evalgate: PASS`
      )
    )

    const start = server.requests.length
    const late = await pullRequestRun(runEvent, older, { EVALGATE_FIXTURE_MODE: 'worse' })
    // Still its own commit's check: its verdict and exit code are as ever.
    expect(late.code).toBe(1)
    expect(late.outputs.verdict).toBe('regression')
    expect(late.outputs['comment-url']).toBeUndefined()
    const noComment = `the comment on #${older.number} already reports ${newerSha.slice(0, 7)}, newer than this run's ${older.headSha.slice(0, 7)}`
    expect(late.stdout).toContain(`evalgate: no comment: ${noComment}\n`)
    expect(late.summary.split('\n').slice(0, 3)).toEqual([
      `> **No comment posted:** ${noComment}.`,
      '',
      '## evalgate: REGRESSION'
    ])
    expect(server.state.commentsOn(older.number).map((comment) => comment.body)).toEqual([report])
    const made = server.requests.slice(start)
    expect(
      made.filter((request) => request.path.includes(`/compare/${older.headSha}...${newerSha}`))
    ).toHaveLength(1)
    expect(
      made.filter((request) => /comments/.test(request.path) && request.method !== 'GET')
    ).toEqual([])
  })

  it('a run of an older commit that finishes after a force-push’s run leaves its comment alone', async () => {
    const older = newPullRequest('force-pushed')
    // The branch force-pushed to a commit that does not descend from the older one.
    const forcedSha = server.state.commit({
      branch: older.headBranch,
      parents: [mainSha],
      files: { forced: '1\n' }
    })
    await pullRequestRun(runEvent, { ...older, headSha: forcedSha })
    const [report] = server.state.commentsOn(older.number).map((comment) => comment.body)
    expect(report).toContain(`<!-- evalgate:commit ${forcedSha} -->`)

    const late = await pullRequestRun(runEvent, older, { EVALGATE_FIXTURE_MODE: 'worse' })
    expect(late.outputs['comment-url']).toBeUndefined()
    expect(late.stdout).toContain(
      `evalgate: no comment: the comment on #${older.number} already reports ${forcedSha.slice(0, 7)}, newer than this run's ${older.headSha.slice(0, 7)}\n`
    )
    expect(server.state.commentsOn(older.number).map((comment) => comment.body)).toEqual([report])
  })

  it('the run of a commit replaces an older one’s report though the pull request moved on to a commit with no run', async () => {
    const first = newPullRequest('skip-ci')
    const regressed = await pullRequestRun(runEvent, first, { EVALGATE_FIXTURE_MODE: 'worse' })
    expect(regressed.code).toBe(1)
    const secondSha = server.state.commit({ branch: first.headBranch, files: { fixed: '1\n' } })
    // Pushed while the second commit's run was going, and never run: `[skip ci]`, or `paths:`.
    const skippedSha = server.state.commit({
      branch: first.headBranch,
      message: 'docs [skip ci]',
      files: { 'notes.md': '1\n' }
    })
    const second = await pullRequestRun(runEvent, { ...first, headSha: secondSha })
    expect(second.code).toBe(0)
    expect(second.outputs['comment-url']).toBeDefined()
    expect(second.stdout).not.toContain('no comment')
    expect(second.summary).not.toContain('No comment posted')
    const [comment] = server.state.commentsOn(first.number).map((c) => c.body)
    expect(comment).toMatch(
      new RegExp(
        `^<!-- evalgate:evals -->\n<!-- evalgate:commit ${secondSha} -->\n## evalgate: PASS`
      )
    )
    expect(comment).not.toContain(skippedSha)
  })

  it('the run of a commit the pulls API does not show yet replaces the older commit’s report', async () => {
    const first = newPullRequest('api-lag')
    await pullRequestRun(runEvent, first, { EVALGATE_FIXTURE_MODE: 'worse' })
    // The event names the newest commit; the pull request's head, as the API shows it, is the older.
    const newestSha = server.state.commit({
      branch: 'api-lag-pushed',
      parents: [first.headSha],
      files: { fixed: '1\n' }
    })
    const newest = await pullRequestRun(runEvent, { ...first, headSha: newestSha })
    expect(newest.code).toBe(0)
    expect(newest.outputs['comment-url']).toBeDefined()
    const [comment] = server.state.commentsOn(first.number).map((c) => c.body)
    expect(comment).toMatch(
      new RegExp(
        `^<!-- evalgate:evals -->\n<!-- evalgate:commit ${newestSha} -->\n## evalgate: PASS`
      )
    )
  })

  it('replaces a comment that records no commit, as an earlier evalgate wrote it', async () => {
    const pull = newPullRequest('no-commit-recorded')
    const earlier = server.state.addComment(
      pull.number,
      '<!-- evalgate:evals -->\n## evalgate: REGRESSION',
      'github-actions[bot]'
    )
    // The pull request moved on since the run's commit.
    server.state.commit({ branch: pull.headBranch, files: { later: '1\n' } })
    const start = server.requests.length
    const run = await pullRequestRun(runEvent, pull)
    expect(run.outputs['comment-url']).toContain(`#issuecomment-${earlier.id}`)
    const comments = server.state.commentsOn(pull.number)
    expect(comments.map((c) => c.body.split('\n').slice(0, 3))).toEqual([
      ['<!-- evalgate:evals -->', `<!-- evalgate:commit ${pull.headSha} -->`, '## evalgate: PASS']
    ])
    // No commit recorded, so nothing to compare with.
    const made = server.requests.slice(start)
    expect(
      made.filter(
        (request) =>
          request.path.includes(`/compare/${pull.headSha}...`) ||
          request.operationId === 'pulls/get'
      )
    ).toEqual([])
  })
})

describe('a pull request without a token', () => {
  it('reads no baseline, comments nothing and says so first in its summary', async () => {
    const pull = newPullRequest('no-token')
    const run = await runEvent(
      'pull_request',
      pullRequestPayload(pull),
      { GITHUB_SHA: 'f'.repeat(40), GITHUB_REF: `refs/pull/${pull.number}/merge` },
      ''
    )
    expect(run.code).toBe(0)
    expect(run.outputs.verdict).toBe('no-baseline')
    expect(run.summary).toMatch(/^### evalgate: no baseline\n\nNo `github-token`, so no baseline/)
    expect(server.state.commentsOn(pull.number)).toEqual([])
  })
})

describe('baseline-max-distance: 0', () => {
  it('compares with the merge base’s own results only, and walks back no first parent', async () => {
    const own = await pullRequestRun(
      runEvent,
      newPullRequest('own-base'),
      {},
      { 'baseline-max-distance': '0' }
    )
    expect(own.code).toBe(0)
    expect(own.outputs.verdict).toBe('pass')
    expect(own.summary).toMatch(/^Baseline: `[0-9a-f]{7}` \(the merge base `[0-9a-f]{7}` itself, /m)
    // A merge base one commit past the stored baseline: found with the default, not with 0.
    const baseSha = server.state.commit({ branch: 'unstored', parents: [mainSha] })
    const headSha = server.state.commit({ branch: 'past-base', parents: [baseSha] })
    const { number } = server.state.addPullRequest({ headBranch: 'past-base' })
    const pull = { number, headSha, headBranch: 'past-base', baseSha }
    const walked = await pullRequestRun(runEvent, pull)
    expect(walked.outputs.verdict).toBe('pass')
    const none = await pullRequestRun(runEvent, pull, {}, { 'baseline-max-distance': '0' })
    expect(none.code).toBe(0)
    expect(none.outputs.verdict).toBe('no-baseline')
    expect(none.summary).toMatch(
      /^### evalgate: no baseline yet\n\nNo stored results for the merge base\. Nothing was compared/
    )
  })
})

describe('strict mode', () => {
  it('fails a suite its baseline cannot gate, and says which and why', async () => {
    const spec = join(workspace, 'evals', 'qa.eval.yaml')
    const written = await readFile(spec, 'utf8')
    await writeFile(spec, written.replace('ignore-case: true', 'ignore-case: false'))
    try {
      const strict = await pullRequestRun(
        runEvent,
        newPullRequest('strict'),
        {},
        { strict: 'true' }
      )
      expect(strict.code).toBe(1)
      // Strict mode takes it as inconclusive, which fails: the verdict says so, not `not-comparable`.
      expect(strict.outputs.verdict).toBe('inconclusive')
      expect(strict.summary).toMatch(/^## evalgate: INCONCLUSIVE · FAILS IN STRICT MODE$/m)
      const why = 'capitals / app could not be gated against its baseline (its scorers changed)'
      expect(strict.stdout).toContain(`Strict mode fails: ${why}.`)
      expect(strict.summary).toContain(`**Fails in strict mode:** ${why}.`)
    } finally {
      await writeFile(spec, written)
    }
  })
})

describe('cache: replay on a pull request from this repository', () => {
  it('replays as asked, without the fork’s note, though a variable of the spec is not set', async () => {
    const spec = join(workspace, 'evals', 'qa.eval.yaml')
    const written = await readFile(spec, 'utf8')
    await writeFile(
      spec,
      written.replace('    type: module\n', '    type: module\n    label: app ${APP_FLAVOUR}\n')
    )
    try {
      const replay = await pullRequestRun(
        runEvent,
        newPullRequest('replay'),
        {},
        { cache: 'replay' }
      )
      expect(replay.stdout).toContain('evalgate: running 40 answers')
      expect(replay.stdout).not.toContain('comes from a fork')
      expect(replay.summary).not.toContain('Replayed from the cache, not called')
      // No cache was restored: no answer at all is no pass, and the step says why.
      expect(replay.stdout).toMatch(
        /^::warning::the cache directory \S+\/\.evalgate\/cache does not exist: every answer this run reads from the cache misses;/m
      )
      expect(replay.code).toBe(1)
      expect(replay.outputs.passed).toBe('false')
      expect(replay.stdout).toMatch(
        /^::error::evalgate: no answer obtained in capitals\/app \(every one missing from the replay cache, or cancelled\); results in /m
      )
      expect(replay.summary).toContain(
        '**Below min-pass-rate or without any answer, so this check fails:** capitals / app obtained no answer (all 40 missing from the replay cache, or cancelled)'
      )
    } finally {
      await writeFile(spec, written)
    }
  })
})

/**
 * The pull request's run as two shards, in one directory: README's flow, the shards uploaded as
 * artifacts and downloaded together by the gate job.
 */
async function shardRuns(pull: ReturnType<typeof newPullRequest>) {
  const shards = await mkdtemp(join(tmpdir(), 'evalgate-shards-'))
  const runs = []
  for (const shard of ['1/2', '2/2']) {
    const run = await pullRequestRun(runEvent, pull, { GITHUB_JOB: 'evals' }, { shard })
    for (const file of await readdir(join(run.resultsPath, '..'))) {
      await copyFile(join(run.resultsPath, '..', file), join(shards, `${shard[0]}-${file}`))
    }
    runs.push(run)
  }
  return { shards, runs }
}

describe('a pull request whose specs break', () => {
  it('replaces the comment of its last commit with the problems, and fails as before', async () => {
    const pull = newPullRequest('broken-spec')
    const passed = await pullRequestRun(runEvent, pull, { GITHUB_JOB: 'evals' })
    expect(passed.outputs.verdict).toBe('pass')
    const [comment] = server.state.commentsOn(pull.number)
    expect(comment?.body).toContain('## evalgate: PASS')

    const spec = join(workspace, 'evals', 'qa.eval.yaml')
    const written = await readFile(spec, 'utf8')
    await writeFile(spec, written.replace('./capitals.jsonl', './@octocat/<b>capitals.jsonl'))
    try {
      const broken = await pullRequestRun(runEvent, pull, { GITHUB_JOB: 'evals' })
      expect(broken.code).toBe(1)
      // The step fails with the problems, as it did before it reported them anywhere else.
      expect(broken.stdout).toMatch(
        /^::error::evalgate: 1 problem in eval specs:%0A {2}evals\/qa\.eval\.yaml:9:\d+: cases\[0\]\.file: case file `\.\/@octocat\/<b>capitals\.jsonl` does not exist/m
      )
      expect(broken.outputs).toEqual({
        verdict: 'invalid-specs',
        passed: 'false',
        'comment-url': expect.stringContaining(`#issuecomment-${comment?.id}`) as string
      })
      const problems = '```text\n1 problem in eval specs:\n  evals/qa.eval.yaml:9:'
      expect(broken.summary).toMatch(
        /^### evalgate: invalid specs\n\nThe eval specs could not be loaded, so nothing was run or compared, and this check fails\./
      )
      expect(broken.summary).toContain(problems)
      // The pull request's text mentions no one from the report.
      expect(broken.summary).toContain('`./@\u200docto')
      const comments = server.state.commentsOn(pull.number)
      expect(comments.map((c) => c.id)).toEqual([comment?.id])
      expect(comments[0]?.body).toContain('### evalgate: invalid specs')
      expect(comments[0]?.body).toContain(problems)
      expect(comments[0]?.body).not.toContain('PASS')
    } finally {
      await writeFile(spec, written)
    }
  })

  it('run as shards: the merge-from job reports the problems in its comment, the shards comment nothing', async () => {
    const pull = newPullRequest('broken-shards')
    const shardsOf = () => shardRuns(pull)
    const passing = await shardsOf()
    const gate = await pullRequestRun(
      runEvent,
      pull,
      { GITHUB_JOB: 'gate' },
      { 'merge-from': passing.shards }
    )
    expect(gate.outputs.verdict).toBe('pass')
    const [comment] = server.state.commentsOn(pull.number)
    expect(comment?.body).toMatch(
      new RegExp(
        `^<!-- evalgate:evals#gate -->\n<!-- evalgate:commit ${pull.headSha} -->\n## evalgate: PASS`
      )
    )

    const spec = join(workspace, 'evals', 'qa.eval.yaml')
    const written = await readFile(spec, 'utf8')
    await writeFile(spec, written.replace('./capitals.jsonl', './missing.jsonl'))
    let broken: Awaited<ReturnType<typeof shardsOf>>
    try {
      pull.headSha = server.state.commit({ branch: 'broken-shards', files: { b: '2\n' } })
      broken = await shardsOf()
    } finally {
      await writeFile(spec, written)
    }
    for (const shard of broken.runs) {
      expect(shard.code).toBe(1)
      expect(shard.outputs).toEqual({ verdict: 'invalid-specs', passed: 'false' })
    }
    // Each shard failed, writing its record in place of its results.
    expect((await readdir(broken.shards)).sort()).toEqual([
      '1-results.invalid-specs.json',
      '2-results.invalid-specs.json'
    ])
    expect(server.state.commentsOn(pull.number).map((c) => c.id)).toEqual([comment?.id])

    const reported = await pullRequestRun(
      runEvent,
      pull,
      { GITHUB_JOB: 'gate' },
      { 'merge-from': broken.shards }
    )
    expect(reported.code).toBe(1)
    expect(reported.stdout).toContain(
      `::error::evalgate: the specs of ${pull.headSha.slice(0, 7)} could not be loaded in a shard, so there is nothing to merge; the job summary lists the problems`
    )
    expect(reported.outputs).toEqual({
      verdict: 'invalid-specs',
      passed: 'false',
      'comment-url': expect.stringContaining(`#issuecomment-${comment?.id}`) as string
    })
    const problems = '```text\n1 problem in eval specs:\n  evals/qa.eval.yaml:9:'
    expect(reported.summary).toMatch(/^### evalgate: invalid specs\n/)
    expect(reported.summary).toContain(problems)
    const comments = server.state.commentsOn(pull.number)
    expect(comments.map((c) => c.id)).toEqual([comment?.id])
    expect(comments[0]?.body).toMatch(
      new RegExp(
        `^<!-- evalgate:evals#gate -->\n<!-- evalgate:commit ${pull.headSha} -->\n### evalgate: invalid specs`
      )
    )
    expect(comments[0]?.body).toContain(problems)
    // Its own record, for a report-from job when the pull request is a fork's.
    expect(await readdir(join(reported.resultsPath, '..'))).toEqual([
      basename(reported.resultsPath).replace(/\.json$/, '.invalid-specs.json')
    ])

    // Downloaded without merge-multiple, each artifact in a directory of its own: the same report.
    const perArtifact = await mkdtemp(join(tmpdir(), 'evalgate-artifacts-'))
    for (const record of await readdir(broken.shards)) {
      const artifact = join(perArtifact, `evalgate-shard-${record[0] ?? ''}`)
      await mkdir(artifact)
      await copyFile(join(broken.shards, record), join(artifact, 'results.invalid-specs.json'))
    }
    const fromArtifacts = await pullRequestRun(
      runEvent,
      pull,
      { GITHUB_JOB: 'gate' },
      { 'merge-from': perArtifact }
    )
    expect(fromArtifacts.code).toBe(1)
    expect(fromArtifacts.outputs.verdict).toBe('invalid-specs')
    expect(fromArtifacts.summary).toContain(problems)
  })

  it('run as shards: a shard’s record the merge-from job refuses is named, and why, not passed off as a missing shard', async () => {
    const pull = newPullRequest('damaged-record')
    const { shards } = await shardRuns(pull)
    // The second shard's specs could not be loaded, and its record came damaged.
    await rm(join(shards, '2-results.json'))
    const record = join(shards, '2-results.invalid-specs.json')
    for (const [content, why] of [
      ['{ "commit": "' + pull.headSha, 'not JSON: '],
      [JSON.stringify({ commit: pull.headSha }), '`problems` is not a string'],
      [' '.repeat(2 ** 20 + 1), 'larger than 1048576 bytes']
    ]) {
      await writeFile(record, content as string)
      const gate = await pullRequestRun(
        runEvent,
        pull,
        { GITHUB_JOB: 'gate' },
        { 'merge-from': shards }
      )
      expect(gate.code).toBe(1)
      const [failure] = gate.stdout.split('\n').filter((line) => line.startsWith('::error::'))
      expect(failure).toContain(
        `::error::evalgate: the record of invalid specs ${record} (${why as string}`
      )
      expect(failure).toMatch(
        /\) was refused, so the shards do not merge: .* Merging said: shard 2\/2 is missing: .*\. The log of that shard's job lists its problems: fix them and run the shards again; if its specs do load, run that shard again, as its record was damaged$/
      )
      expect(gate.outputs).toEqual({})
    }
    expect(server.state.commentsOn(pull.number)).toEqual([])
  })
})
