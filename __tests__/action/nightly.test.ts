/**
 * The nightly path (`schedule`, `workflow_dispatch`) night after night, each test against a
 * fresh local GitHub: what is stored as the baseline, and what the one tracking issue says.
 */
import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import type { RunResult } from '../../src/results/types.js'
import { ACTIONS_TOKEN, READ_ONLY_TOKEN, startGitHubServer } from '../helpers/github-server.js'
import type { GitHubServer } from '../helpers/github-server.js'
import { runActionBundle } from '../helpers/action.js'
import { buildEntry } from '../helpers/cli.js'

const repository = { full_name: 'octo-org/triage', name: 'triage', default_branch: 'main' }
const MARKER = '<!-- evalgate-tracking:evals -->'

let action: string
let workspace: string
let server: GitHubServer
/** The commit of main the nights run on. */
let sha: string

beforeAll(async () => {
  action = await buildEntry('src/index.ts')
  workspace = await mkdtemp(join(tmpdir(), 'evalgate-workspace-'))
  await cp(resolve('__tests__/fixtures/action'), workspace, { recursive: true })
  await mkdir(join(workspace, '.git'))
})
beforeEach(async () => {
  server = await startGitHubServer({ owner: 'octo-org', repo: 'triage', defaultBranch: 'main' })
  sha = server.state.commit({ branch: 'main' })
})
afterEach(async () => {
  await server.close()
  expect(server.violations).toEqual([])
})

/** A run of the action at `sha` on main; `env` sets the fixture's mode and model. */
async function runEvent(
  eventName: 'push' | 'schedule',
  env: Record<string, string> = {},
  inputs: Record<string, string> = {},
  token = ACTIONS_TOKEN
) {
  const resultsPath = join(await mkdtemp(join(tmpdir(), 'evalgate-results-')), 'results.json')
  const run = await runActionBundle(action, {
    cwd: workspace,
    payload:
      eventName === 'push'
        ? { ref: 'refs/heads/main', after: sha, repository }
        : { schedule: '0 3 * * *' },
    inputs: { specs: 'evals', 'results-path': resultsPath, 'github-token': token, ...inputs },
    env: {
      GITHUB_EVENT_NAME: eventName,
      GITHUB_API_URL: server.url,
      GITHUB_WORKFLOW: 'evals',
      GITHUB_RUN_ID: '3003',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_SHA: sha,
      GITHUB_REF: 'refs/heads/main',
      ...env
    }
  })
  return {
    ...run,
    warnings: run.stdout.split('\n').filter((line) => line.startsWith('::warning::'))
  }
}

const night = (env: Record<string, string> = {}, inputs: Record<string, string> = {}) =>
  runEvent('schedule', env, inputs)

function trackingIssues() {
  return [...server.state.issues.values()].filter((issue) => issue.body?.startsWith(MARKER))
}

/** The issue's body as it shows, without its hidden markers. */
function shown(body: string | null | undefined): string {
  return (body ?? '').replace(/^(<!--.*-->\n)+/, '')
}

function lastComment(issueNumber: number): string | undefined {
  return server.state.commentsOn(issueNumber).at(-1)?.body
}

function storedBaseline(): Buffer | undefined {
  return server.state.readFile('evalgate-data', `results/${sha}.json.gz`)
}

describe('a night whose only news is a changed model', () => {
  it('is reported once and becomes the baseline; the next night closes the issue saying so', async () => {
    expect((await runEvent('push', { EVALGATE_FIXTURE_MODEL: 'gpt-a' })).code).toBe(0)
    const stored = storedBaseline()

    const drifted = await night({ EVALGATE_FIXTURE_MODEL: 'gpt-b' })
    expect(drifted.code).toBe(0)
    expect(drifted.stdout).toContain(`stored the results as the baseline of ${sha.slice(0, 7)}`)
    expect(storedBaseline()).not.toEqual(stored)
    const [issue] = trackingIssues()
    expect(drifted.stdout).toContain(
      `evalgate: tracking issue opened: ${drifted.outputs['issue-url']}`
    )
    // What changed leads the body, before the report's verdict.
    expect(shown(issue?.body)).toMatch(
      new RegExp(
        `^> \\[!NOTE\\]\\n> \\*\\*The model changed:\\*\\* the provider reports another model or system fingerprint for capitals / app \\(gpt-a → gpt-b\\)\\. Nothing else failed, so this night's results are now the baseline of \`${sha.slice(0, 7)}\`: pull requests and the next nights compare with the new model, and the next night that matches it closes this issue\\.\\n\\n## evalgate: PASS`
      )
    )

    const matching = await night({ EVALGATE_FIXTURE_MODEL: 'gpt-b' })
    expect(matching.code).toBe(0)
    expect(matching.stdout).toContain(
      `evalgate: tracking issue closed: ${drifted.outputs['issue-url']}`
    )
    expect(issue?.state).toBe('closed')
    expect(lastComment(issue?.number ?? 0)).toMatch(
      /^The changed model reported here was taken as the new baseline; tonight's run reports the same model and compares with it: No regression: .* \(\[run\]\(https:\/\/github\.com\/octo-org\/triage\/actions\/runs\/3003\)\)$/
    )

    // The model changes again: the same issue is reopened, and said to be.
    const again = await night({ EVALGATE_FIXTURE_MODEL: 'gpt-c' })
    expect(again.stdout).toContain(
      `evalgate: tracking issue reopened: ${drifted.outputs['issue-url']}`
    )
    expect(trackingIssues()).toEqual([issue])
    expect(issue?.state).toBe('open')

    // Closed by hand: the next night, on the new model, leaves it closed.
    issue!.state = 'closed'
    const comments = server.state.commentsOn(issue?.number ?? 0).length
    const after = await night({ EVALGATE_FIXTURE_MODEL: 'gpt-c' })
    expect(after.code).toBe(0)
    expect(after.outputs.verdict).toBe('pass')
    expect(issue?.state).toBe('closed')
    expect(server.state.commentsOn(issue?.number ?? 0)).toHaveLength(comments)
  })

  it('that also regressed is not the baseline, and the issue says both, the change first', async () => {
    await runEvent('push', { EVALGATE_FIXTURE_MODEL: 'gpt-a' })
    const stored = storedBaseline()
    const run = await night({ EVALGATE_FIXTURE_MODEL: 'gpt-b', EVALGATE_FIXTURE_MODE: 'worse' })
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(
      `evalgate: not stored as the baseline of ${sha.slice(0, 7)}: it fails against the baseline of ${sha.slice(0, 7)}`
    )
    expect(storedBaseline()).toEqual(stored)
    const [issue] = trackingIssues()
    expect(shown(issue?.body)).toMatch(
      /^> \[!WARNING\]\n> \*\*The model changed:\*\* .* \(gpt-a → gpt-b\)\. This night fails as well, so it was not taken as the baseline: the next night compares with the old model again\.\n\n## evalgate: REGRESSION/
    )

    // Fixed, on the old model: a recovery, said as one.
    await night({ EVALGATE_FIXTURE_MODEL: 'gpt-a' })
    expect(issue?.state).toBe('closed')
    expect(lastComment(issue?.number ?? 0)).toMatch(/^Recovered: No regression/)
  })
  it('with the file store: says the new baseline counts only once committed, so the change is reported as a failure', async () => {
    const dir = `ci/drift-${Date.now()}`
    const inputs = { 'baseline-store': 'file', 'baseline-dir': dir }
    await runEvent('push', { EVALGATE_FIXTURE_MODEL: 'gpt-a' }, inputs)
    const drifted = await night({ EVALGATE_FIXTURE_MODEL: 'gpt-b' }, inputs)
    expect(drifted.code).toBe(0)
    const [issue] = trackingIssues()
    expect(shown(issue?.body)).toMatch(
      new RegExp(
        `^> \\[!WARNING\\]\\n> \\*\\*The model changed:\\*\\* .* \\(gpt-a → gpt-b\\)\\. Nothing else failed, so this night's results were written as the baseline of \`${sha.slice(0, 7)}\` to \`${dir}\` in the workspace, which ends with this job: until that file is committed, the next nights compare with the old model again and report this change again \\(or use \`baseline-store: branch\`\\)\\.\\n\\n## evalgate: `
      )
    )
    expect(issue?.body).not.toContain('<!-- evalgate-drifted -->')
  })
})

describe('a first night without a baseline', () => {
  it('below min-pass-rate opens the tracking issue and is not stored; the first healthy one is', async () => {
    const broken = await night({ EVALGATE_FIXTURE_MODE: 'broken' })
    expect(broken.code).toBe(1)
    expect(broken.outputs.verdict).toBe('no-baseline')
    expect(broken.stdout).toContain(
      `evalgate: not stored as the baseline of ${sha.slice(0, 7)}: pass rate below min-pass-rate in capitals/app`
    )
    expect(storedBaseline()).toBeUndefined()
    expect(broken.summary).toContain(
      'Baselines are stored by runs on pushes to the default branch, and by the first healthy scheduled run of a commit on it.'
    )
    const [issue] = trackingIssues()
    expect(issue?.state).toBe('open')
    expect(issue?.body).toContain('**Below min-pass-rate, so this check fails:** capitals / app')
    expect(broken.outputs['issue-url']).toBe(
      `https://github.com/octo-org/triage/issues/${issue?.number}`
    )

    const healthy = await night()
    expect(healthy.code).toBe(0)
    expect(storedBaseline()).toBeDefined()
    expect(healthy.summary).toContain(
      `Nothing was compared and this check does not fail for it. This run is now the baseline of \`${sha.slice(0, 7)}\`: later runs compare with it.`
    )

    // The night after compares with it, and closes the issue.
    const compared = await night()
    expect(compared.outputs.verdict).toBe('pass')
    expect(issue?.state).toBe('closed')
  })

  it('with the file store: says the baseline lives only as long as the workspace unless committed', async () => {
    const dir = `ci/nightly-${Date.now()}`
    const run = await night({}, { 'baseline-store': 'file', 'baseline-dir': dir })
    expect(run.code).toBe(0)
    expect(run.warnings).toContain(
      `::warning::evalgate: wrote the baseline of ${sha.slice(0, 7)} to ${dir}; the workspace ends with this job, so commit that directory to keep it (or use baseline-store: branch)`
    )
    expect(existsSync(join(workspace, dir, `${sha}.json`))).toBe(true)
  })
})

describe('the tracking issue when GitHub refuses it', () => {
  it('names the issues permission the job lacks, with no advice for pull requests', async () => {
    await runEvent('push')
    await night({ EVALGATE_FIXTURE_MODE: 'worse' })
    const [issue] = trackingIssues()
    const run = await runEvent('schedule', {}, {}, READ_ONLY_TOKEN)
    expect(run.code).toBe(0)
    expect(run.warnings).toEqual([
      `::warning::evalgate: updating the tracking issue: GitHub API: could not create a comment on #${issue?.number} (POST /repos/octo-org/triage/issues/${issue?.number}/comments → 403: Resource not accessible by integration): the token lacks \`permissions: issues: write\` in the workflow: give it to the job that runs on schedule and workflow_dispatch, which keeps the tracking issue (or set the input \`tracking-issue: false\`).`
    ])
  })

  it('says when the repository has issues turned off, and tracking-issue: false leaves issues alone', async () => {
    await runEvent('push')
    server.fault(
      'issues/create',
      { status: 410, message: 'Issues are disabled for this repo' },
      { times: Infinity }
    )
    const run = await night({ EVALGATE_FIXTURE_MODE: 'worse' })
    expect(run.code).toBe(1)
    expect(run.warnings).toEqual([
      `::warning::evalgate: updating the tracking issue: GitHub API: could not open the issue "evalgate: regression or model drift in evals" (POST /repos/octo-org/triage/issues → 410: Issues are disabled for this repo): the repository has issues turned off: turn them on in the repository's settings (General → Features → Issues), or set the input \`tracking-issue: false\`.`
    ])

    const seen = server.requests.length
    const off = await night({ EVALGATE_FIXTURE_MODE: 'worse' }, { 'tracking-issue': 'false' })
    expect(off.code).toBe(1)
    expect(off.outputs.verdict).toBe('regression')
    expect(off.warnings).toEqual([])
    expect(server.requests.slice(seen).filter((r) => r.operationId?.startsWith('issues/'))).toEqual(
      []
    )
  })
})

describe('a push to the default branch', () => {
  it('that stores the failure a night reported as its baseline does not close the issue as recovered', async () => {
    const good = sha
    await runEvent('push')
    // The night records its answers, which the push below replays.
    const cache = { 'cache-dir': '.evalgate/cache-still-failing' }
    await night({ EVALGATE_FIXTURE_MODE: 'worse' }, { ...cache, cache: 'write' })
    const [issue] = trackingIssues()
    expect(issue?.state).toBe('open')

    // A commit lands while the provider is still bad: its push is stored as the baseline. Its
    // answers are the night's, replayed, so they carry no latency: tonight's verdict against it
    // is decided by the answers alone, not by how busy the machine was during either run (an
    // in-process function's latency can differ significantly between two runs, a minor change).
    sha = server.state.commit({ branch: 'main' })
    await runEvent('push', { EVALGATE_FIXTURE_MODE: 'worse' }, { ...cache, cache: 'read' })
    const pushed = JSON.parse(
      gunzipSync(storedBaseline() ?? Buffer.alloc(0)).toString()
    ) as RunResult
    expect(pushed.suites.flatMap((suite) => suite.results)).toEqual(
      Array.from({ length: 40 }, () => expect.objectContaining({ cached: true, latencyMs: null }))
    )
    const still = await night({ EVALGATE_FIXTURE_MODE: 'worse' })
    expect(still.code).toBe(0)
    expect(still.outputs.verdict).toBe('pass')
    expect(issue?.state).toBe('open')
    expect(still.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^::warning::evalgate: the tracking issue stays open: this night passes against the baseline of ${sha.slice(0, 7)}, but fails against ${good.slice(0, 7)}, the baseline the issue reports on: Regression: `
        )
      )
    ])
    expect(shown(issue?.body)).toMatch(
      new RegExp(
        `^> \\[!WARNING\\]\\n> \\*\\*Still failing against the baseline this issue reports on:\\*\\* tonight passes against the baseline of \`${sha.slice(0, 7)}\`, stored since, but fails against \`${good.slice(0, 7)}\`'s, so it is no recovery: .*\\n\\n## evalgate: REGRESSION[^]*\\nBaseline: \`${good.slice(0, 7)}\` \\(the one this issue reports on, less than an hour old\\)\\.\\n$`
      )
    )

    // The provider is fixed: tonight passes against both baselines.
    const fixed = await night()
    expect(fixed.stdout).toContain(`evalgate: tracking issue closed: ${still.outputs['issue-url']}`)
    expect(issue?.state).toBe('closed')
    expect(lastComment(issue?.number ?? 0)).toMatch(/^Recovered: /)
  })

  it('leaves the issue open, saying why, when the baseline it reports on can no longer be read', async () => {
    const good = sha
    await runEvent('push')
    await night({ EVALGATE_FIXTURE_MODE: 'worse' })
    const [issue] = trackingIssues()
    sha = server.state.commit({ branch: 'main' })
    await runEvent('push', { EVALGATE_FIXTURE_MODE: 'worse' })
    server.state.commit({ branch: 'evalgate-data', files: { [`results/${good}.json.gz`]: null } })

    const run = await night({ EVALGATE_FIXTURE_MODE: 'worse' })
    expect(run.code).toBe(0)
    expect(issue?.state).toBe('open')
    expect(lastComment(issue?.number ?? 0)).toMatch(
      new RegExp(
        `^<!-- evalgate-run:.* -->\\nTonight passes against the baseline of \`${sha.slice(0, 7)}\`, but this issue reports a failure against the baseline of \`${good.slice(0, 7)}\`, and no readable baseline of it is on the data branch \`evalgate-data\` any more, so whether the failure is gone cannot be told: this issue stays open\\. Close it by hand once the reports show the problem is gone\\. \\(\\[run\\]\\(.*\\)\\)$`
      )
    )
  })

  it('that sees the model change reports it in the tracking issue, which the next night closes', async () => {
    await runEvent('push', { EVALGATE_FIXTURE_MODEL: 'gpt-a' })
    const parent = sha
    sha = server.state.commit({ branch: 'main' })
    const push = await runEvent('push', { EVALGATE_FIXTURE_MODEL: 'gpt-b' })
    expect(push.code).toBe(0)
    expect(push.warnings).toContain(
      `::warning::evalgate: the model changed since the baseline of ${parent.slice(0, 7)}: the provider reports another model or system fingerprint for capitals / app (gpt-a → gpt-b)`
    )
    const [issue] = trackingIssues()
    expect(push.stdout).toContain(`evalgate: tracking issue opened: ${push.outputs['issue-url']}`)
    expect(shown(issue?.body)).toMatch(
      new RegExp(
        `^> \\[!NOTE\\]\\n> \\*\\*The model changed:\\*\\* the provider reports another model or system fingerprint for capitals / app \\(gpt-a → gpt-b\\)\\. Nothing else failed, so this push's results are now the baseline of \`${sha.slice(0, 7)}\`: pull requests and the next nights compare with the new model, and the next night that matches it closes this issue\\.\\n\\n## evalgate: `
      )
    )

    await night({ EVALGATE_FIXTURE_MODEL: 'gpt-b' })
    expect(issue?.state).toBe('closed')
    expect(lastComment(issue?.number ?? 0)).toMatch(
      /^The changed model reported here was taken as the new baseline; tonight's run reports the same model/
    )
  })
})

describe('the tracking issue of one workflow', () => {
  it('is one per comment-key: a matrix leg that passes leaves the failing leg’s issue open', async () => {
    // Each leg compares with the baselines stored under its own key.
    await runEvent('push', {}, { 'comment-key': 'gpt-a' })
    await runEvent('push', {}, { 'comment-key': 'gpt-b' })
    const failing = await night({ EVALGATE_FIXTURE_MODE: 'worse' }, { 'comment-key': 'gpt-a' })
    await night({}, { 'comment-key': 'gpt-b' })
    const issue = server.state.issues.get(Number(failing.outputs['issue-url']?.split('/').at(-1)))
    expect(issue?.state).toBe('open')
    expect(issue?.title).toBe('evalgate: regression or model drift in evals (gpt-a)')
    expect(issue?.body).toMatch(/^<!-- evalgate-tracking:evals#gpt-a -->\n/)
    expect(server.state.commentsOn(issue?.number ?? 0)).toEqual([])
  })

  it('is one per workflow whatever its name’s script, and takes over the one an earlier evalgate marked', async () => {
    await runEvent('push')
    // An earlier evalgate dropped every non-ASCII character from the marker.
    const earlier = server.state.addIssue({
      title: 'evalgate: regression or model drift in 夜間評価',
      body: '<!-- evalgate-tracking: -->\n<!-- evalgate-run:2020-01-01 -->\n## evalgate: REGRESSION',
      labels: ['evalgate']
    })
    const failing = await runEvent('schedule', {
      GITHUB_WORKFLOW: '夜間評価',
      EVALGATE_FIXTURE_MODE: 'worse'
    })
    expect(failing.outputs['issue-url']).toBe(
      `https://github.com/octo-org/triage/issues/${earlier.number}`
    )
    expect(earlier.body).toMatch(/^<!-- evalgate-tracking:夜間評価 -->\n/)
    // Another workflow's healthy night is not this one's recovery.
    await runEvent('schedule', { GITHUB_WORKFLOW: '週次評価' })
    expect(earlier.state).toBe('open')
  })

  it('takes over only the issue an earlier evalgate opened for it, by its title, whatever their markers share', async () => {
    await runEvent('push')
    // An earlier evalgate gave every name in another script the same marker.
    const earlier = (workflow: string) =>
      server.state.addIssue({
        title: `evalgate: regression or model drift in ${workflow}`,
        body: '<!-- evalgate-tracking: -->\n<!-- evalgate-run:2020-01-01 -->\n## evalgate: REGRESSION',
        labels: ['evalgate']
      })
    const own = earlier('夜間評価')
    const weekly = earlier('週次評価')
    const healthy = await runEvent('schedule', { GITHUB_WORKFLOW: '夜間評価' })
    expect(healthy.outputs['issue-url']).toBe(
      `https://github.com/octo-org/triage/issues/${own.number}`
    )
    expect(own.state).toBe('closed')
    expect(weekly.state).toBe('open')
    expect(server.state.commentsOn(weekly.number)).toEqual([])

    // `evals (nightly)`'s earlier marker is `evals nightly`'s of today.
    const nightly = await runEvent('schedule', {
      GITHUB_WORKFLOW: 'evals nightly',
      EVALGATE_FIXTURE_MODE: 'worse'
    })
    const issue = server.state.issues.get(Number(nightly.outputs['issue-url']?.split('/').at(-1)))
    expect(issue?.body).toMatch(/^<!-- evalgate-tracking:evals nightly -->\n/)
    // Even titled as `evals (nightly)`'s was, an issue this evalgate wrote is another workflow's.
    const retitled = server.state.addIssue({
      title: 'evalgate: regression or model drift in evals (nightly)',
      body: issue?.body ?? '',
      labels: ['evalgate']
    })
    const parenthesised = await runEvent('schedule', { GITHUB_WORKFLOW: 'evals (nightly)' })
    expect(parenthesised.code).toBe(0)
    expect(parenthesised.outputs['issue-url']).toBeUndefined()
    for (const untouched of [issue, retitled]) {
      expect(untouched?.state).toBe('open')
      expect(server.state.commentsOn(untouched?.number ?? 0)).toEqual([])
    }
  })
})

describe('the tracking issue edited in GitHub’s web editor', () => {
  it('is still found with the CRLF line ends GitHub returns it with: updated, closed, reopened', async () => {
    await runEvent('push')
    const failing = await night({ EVALGATE_FIXTURE_MODE: 'worse' })
    const url = failing.outputs['issue-url']
    const [issue] = trackingIssues()
    const edit = () => {
      issue!.body = `${issue?.body?.replace(/\n/g, '\r\n') ?? ''}\r\n\r\nInvestigating — @octocat`
    }
    edit()
    // The same night's rerun: its report replaces the body, and adds no comment.
    const rerun = await night({ EVALGATE_FIXTURE_MODE: 'worse' })
    expect(rerun.stdout).toContain(`evalgate: tracking issue updated: ${url}`)
    expect(server.state.commentsOn(issue?.number ?? 0)).toEqual([])
    edit()
    const healthy = await night()
    expect(healthy.stdout).toContain(`evalgate: tracking issue closed: ${url}`)
    expect(issue?.state).toBe('closed')
    const again = await night({ EVALGATE_FIXTURE_MODE: 'worse' })
    expect(again.stdout).toContain(`evalgate: tracking issue reopened: ${url}`)
    expect(server.state.issues.size).toBe(1)
  })
})

describe('an inconclusive night', () => {
  it('leaves the open issue open with its report, opens none, and a passing night closes it', async () => {
    await runEvent('push')
    const failing = await night({ EVALGATE_FIXTURE_MODE: 'worse' })
    const [issue] = trackingIssues()
    const recorded = `<!-- evalgate-baseline:${sha} -->`
    expect(issue?.body).toContain(recorded)

    // One case wrong and every answer late: too few cases to show a regression, or a pass.
    const inconclusive = await night({ EVALGATE_FIXTURE_MODE: 'slow' })
    expect(inconclusive.code).toBe(0)
    expect(inconclusive.outputs.verdict).toBe('inconclusive')
    expect(issue?.state).toBe('open')
    expect(inconclusive.outputs['issue-url']).toBe(failing.outputs['issue-url'])
    expect(inconclusive.stdout).toContain(
      `evalgate: tracking issue updated: ${failing.outputs['issue-url']}\nevalgate: the tracking issue stays open: this night is inconclusive, which does not show that what it reports is gone`
    )
    expect(issue?.body).toContain(recorded)
    expect(shown(issue?.body)).toMatch(
      /^> \[!NOTE\]\n> \*\*Not confirmed gone:\*\* tonight's verdict is inconclusive: nothing fails, but that does not show that what this issue reports is gone, so this issue stays open until a night passes\.\n\n## evalgate: INCONCLUSIVE/
    )
    expect(server.state.commentsOn(issue?.number ?? 0).map((c) => c.body)).not.toContainEqual(
      expect.stringMatching(/^Recovered/)
    )

    const passing = await night()
    expect(passing.outputs.verdict).toBe('pass')
    expect(issue?.state).toBe('closed')
    expect(lastComment(issue?.number ?? 0)).toMatch(/^Recovered: No regression/)

    // With no issue open, an inconclusive night opens none, nor reopens the closed one.
    const seen = server.requests.length
    const alone = await night({ EVALGATE_FIXTURE_MODE: 'slow' })
    expect(alone.outputs.verdict).toBe('inconclusive')
    expect(alone.outputs['issue-url']).toBeUndefined()
    expect(issue?.state).toBe('closed')
    expect(trackingIssues()).toEqual([issue])
    expect(
      server.requests
        .slice(seen)
        .filter((r) => r.operationId?.startsWith('issues/') && r.method !== 'GET')
    ).toEqual([])
  })

  it('against the baseline the issue reports on, after passing against a newer one, leaves it open', async () => {
    const good = sha
    await runEvent('push')
    // The night records its answers, which the push below replays: no latency to compare.
    const cache = { 'cache-dir': '.evalgate/cache-inconclusive' }
    await night({ EVALGATE_FIXTURE_MODE: 'worse' }, { ...cache, cache: 'write' })
    const [issue] = trackingIssues()
    sha = server.state.commit({ branch: 'main' })
    await runEvent('push', { EVALGATE_FIXTURE_MODE: 'worse' }, { ...cache, cache: 'read' })

    // Better than the newer baseline, inconclusive against the one the issue reports on.
    const run = await night({ EVALGATE_FIXTURE_MODE: 'slow' })
    expect(run.code).toBe(0)
    expect(run.outputs.verdict).toBe('improvement')
    expect(issue?.state).toBe('open')
    expect(run.stdout).toMatch(
      new RegExp(
        `\nevalgate: the tracking issue stays open: this night passes against the baseline of ${sha.slice(0, 7)}, but is inconclusive against ${good.slice(0, 7)}, the baseline the issue reports on: Inconclusive: `
      )
    )
    expect(issue?.body).toContain(`<!-- evalgate-baseline:${good} -->`)
    expect(shown(issue?.body)).toMatch(
      new RegExp(
        `^> \\[!NOTE\\]\\n> \\*\\*Not confirmed gone:\\*\\* tonight passes against the baseline of \`${sha.slice(0, 7)}\`, stored since, but its verdict against \`${good.slice(0, 7)}\`'s, the one this issue reports on, is inconclusive: nothing fails, .*\\n\\n## evalgate: INCONCLUSIVE[^]*\\nBaseline: \`${good.slice(0, 7)}\` \\(the one this issue reports on, less than an hour old\\)\\.\\n$`
      )
    )

    await night()
    expect(issue?.state).toBe('closed')
  })
})
