/**
 * What the data branch keeps, through the action's bundle against a local GitHub: the results
 * `baseline-history` keeps, the baselines of matrix legs (`comment-key`) and of jobs that run
 * other specs on the same commit.
 */
import { ACTIONS_TOKEN, startGitHubServer } from '../helpers/github-server.js'
import type { GitHubServer } from '../helpers/github-server.js'
import { checkout, eventRunner, pushPayload } from '../helpers/events.js'
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
