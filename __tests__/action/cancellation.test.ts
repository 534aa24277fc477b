/**
 * The job cancelled under the action as the runner cancels it: SIGINT, then SIGTERM, then SIGKILL
 * seconds later. Whenever the signal comes — while the bundle loads, while the action waits on
 * GitHub, or a second time while the results are written — the step ends on its own terms before
 * the kill: it says what it did and did not do, sets its outputs, and leaves no temp file.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { parseRunResult } from '../../src/results/parse.js'
import { runActionBundle } from '../helpers/action.js'
import type { ActionRun } from '../helpers/action.js'
import type { Signalled } from '../helpers/cli.js'
import {
  checkout,
  pullRequestPayload,
  pushPayload,
  repositoryWithBaseline
} from '../helpers/events.js'
import { ACTIONS_TOKEN, faults } from '../helpers/github-server.js'
import type { GitHubServer } from '../helpers/github-server.js'

/** A test preload that sends SIGINT while the bundle's modules are still being evaluated. */
const SIGNAL_WHILE_LOADING = resolve('__tests__/fixtures/signal-while-loading.mjs')

let server: GitHubServer
let action: string
let workspace: string
let mainSha: string

beforeAll(async () => {
  ;({ server, action, workspace, mainSha } = await repositoryWithBaseline())
})
afterAll(() => server.close())
afterEach(() => expect(server.violations).toEqual([]))

interface CancelledRun extends ActionRun {
  resultsDir: string
}

/**
 * Runs the action's bundle for `eventName` in `cwd`, as the runner does; `watch` sees the process
 * and may signal it.
 */
async function runCancelled(
  eventName: 'push' | 'pull_request',
  payload: Record<string, unknown>,
  options: {
    cwd?: string
    env?: Record<string, string>
    token?: string
    watch?: (child: Signalled, resultsDir: string) => void
    onStdout?: (chunk: string, child: Signalled) => void
  } = {}
): Promise<CancelledRun> {
  const resultsDir = await mkdtemp(join(tmpdir(), 'evalgate-results-'))
  const run = await runActionBundle(action, {
    cwd: options.cwd ?? workspace,
    payload,
    inputs: {
      specs: 'evals',
      'results-path': join(resultsDir, 'results.json'),
      'github-token': options.token ?? ''
    },
    env: {
      GITHUB_EVENT_NAME: eventName,
      GITHUB_API_URL: server.url,
      GITHUB_WORKFLOW: 'evals',
      GITHUB_RUN_ID: '3003',
      GITHUB_SERVER_URL: 'https://github.com',
      ...options.env
    },
    watch: {
      onSpawn: (child) => options.watch?.(child, resultsDir),
      ...(options.onStdout ? { onStdout: options.onStdout } : {})
    }
  })
  return { ...run, resultsDir }
}

function pushRun(options: Parameters<typeof runCancelled>[2]): Promise<CancelledRun> {
  const sha = 'a'.repeat(40)
  return runCancelled('push', pushPayload(sha), {
    ...options,
    env: { GITHUB_SHA: sha, GITHUB_REF: 'refs/heads/main', ...options?.env }
  })
}

async function tempFilesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.tmp'))
}

describe('a signal while the bundle loads', () => {
  it('cancels the run as any other: incomplete results, outputs, and a summary with no table', async () => {
    const run = await pushRun({ env: { NODE_OPTIONS: `--import=${SIGNAL_WHILE_LOADING}` } })
    expect(run.stdout).toContain('evalgate: SIGINT received, stopping and reporting what is done\n')
    expect(run.code).toBe(1)
    const results = join(run.resultsDir, 'results.json')
    expect(run.stdout).toContain(
      `::error::evalgate: cancelled (SIGINT) while loading the specs, before any answer; partial results in ${results}`
    )
    expect(run.outputs).toEqual({ 'results-path': results, verdict: 'incomplete', passed: 'false' })
    expect(run.summary).toBe(
      '### evalgate: incomplete run\n\nThe run did not finish (cancelled (SIGINT) while loading the specs, before any answer): nothing was compared, stored or commented, and this check fails. No answer was received.\n'
    )
    const written = parseRunResult(await readFile(results, 'utf8'), results)
    expect(written.run.complete).toBe(false)
    expect(written.suites).toEqual([])
  })
})

describe('a signal once every answer is in', () => {
  it('ends a wait on GitHub’s rate limit at once, and reports what was and was not done', async () => {
    const headSha = server.state.commit({
      branch: 'cancelled',
      parents: [mainSha],
      files: { cancelled: '1\n' }
    })
    const { number } = server.state.addPullRequest({ headBranch: 'cancelled' })
    // GitHub asks for 20 s; the runner kills the job 10 s after its SIGINT.
    server.fault('issues/list-comments', faults.secondaryRateLimit(20))
    let child: Signalled | undefined
    server.before('issues/list-comments', () => child?.kill('SIGINT'))
    const start = server.requests.length
    const run = await runCancelled(
      'pull_request',
      pullRequestPayload({ number, baseSha: mainSha, headSha, headBranch: 'cancelled' }),
      {
        token: ACTIONS_TOKEN,
        env: { GITHUB_SHA: 'f'.repeat(40), GITHUB_REF: `refs/pull/${number}/merge` },
        watch: (started) => (child = started)
      }
    )
    const requests = server.requests.slice(start).map((request) => request.operationId)
    // Asked once, never again after the wait: nothing is created either.
    expect(requests.filter((id) => id === 'issues/list-comments')).toHaveLength(1)
    expect(requests).not.toContain('issues/create-comment')
    expect(server.state.commentsOn(number)).toEqual([])

    expect(run.code).toBe(0)
    expect(run.stdout).toContain('evalgate: SIGINT received, stopping and reporting what is done\n')
    expect(run.stdout).toContain(
      `::warning::evalgate: could not comment on #${number}: GitHub API: did not list the comments of #${number}: the job was cancelled (SIGINT) first.\n`
    )
    expect(run.outputs).toMatchObject({ verdict: 'pass', passed: 'true' })
    expect(run.outputs['comment-url']).toBeUndefined()
    expect(run.summary).toMatch(
      /^> \*\*No comment posted:\*\* could not comment on #\d+: GitHub API: did not list the comments of #\u200d?\d+: the job was cancelled \(SIGINT\) first\.\n\n## evalgate: PASS\n/
    )
  }, 60_000)

  it('a second one stops at once while the results are written, and leaves no temp file', async () => {
    // 40 answers of 2 MB: an 80 MB results file takes a while to write.
    const large = await checkout()
    await writeFile(
      join(large, 'evals', 'app.js'),
      "export const answer = ({ vars }) => vars.capital + ' '.repeat(2_000_000)\n"
    )
    const run = await pushRun({
      cwd: large,
      watch: (child, resultsDir) =>
        void (async () => {
          const written = join(resultsDir, 'results.json')
          while ((await tempFilesIn(resultsDir)).length === 0) {
            if (existsSync(written)) return
            await delay(5)
          }
          child.kill('SIGINT')
        })(),
      onStdout: (chunk, child) => {
        if (chunk.includes('SIGINT received, stopping')) child.kill('SIGINT')
      }
    })
    expect(run.stdout).toContain('::error::evalgate: SIGINT received again, stopped at once\n')
    expect(run.code).toBe(1)
    expect(await tempFilesIn(run.resultsDir)).toEqual([])
  })
})
