import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ACTIONS_TOKEN, startGitHubServer } from '../helpers/github-server.js'
import type { GitHubServer } from '../helpers/github-server.js'
import { runActionBundle } from '../helpers/action.js'
import { buildEntry } from '../helpers/cli.js'

const workspace = resolve('__tests__/fixtures/action')
let action: string
let server: GitHubServer

beforeAll(async () => {
  action = await buildEntry('src/index.ts')
  server = await startGitHubServer({ owner: 'octo-org', repo: 'triage', defaultBranch: 'main' })
})
afterAll(() => server.close())

async function runEvent(
  eventName: string,
  payload: Record<string, unknown>,
  env: Record<string, string>
) {
  const resultsPath = join(await mkdtemp(join(tmpdir(), 'evalgate-results-')), 'results.json')
  const run = await runActionBundle(action, {
    cwd: workspace,
    payload,
    inputs: { specs: 'evals', 'results-path': resultsPath, 'github-token': ACTIONS_TOKEN },
    env: {
      GITHUB_EVENT_NAME: eventName,
      GITHUB_API_URL: server.url,
      GITHUB_WORKFLOW: 'evals',
      GITHUB_RUN_ID: '1',
      GITHUB_SERVER_URL: 'https://github.com',
      ...env
    }
  })
  return { ...run, resultsPath }
}
const repository = { full_name: 'octo-org/triage', name: 'triage', default_branch: 'main' }

it('explore', async () => {
  const [, stored] = server.state.linearHistory(2)
  const push = await runEvent(
    'push',
    { ref: 'refs/heads/main', after: stored, repository },
    { GITHUB_SHA: stored!, GITHUB_REF: 'refs/heads/main' }
  )
  console.log(push.stdout, push.stderr)
  const base = server.state.commit({ branch: 'main' })
  const head = server.state.commit({ branch: 'feature', parents: [base] })
  const pr = server.state.addPullRequest({ headBranch: 'feature' }).number
  const start = server.requests.length
  const prPayload = {
    number: pr,
    repository,
    pull_request: {
      number: pr,
      base: { ref: 'main', sha: base, repo: repository },
      head: { ref: 'feature', sha: head, repo: repository }
    }
  }
  const run = await runEvent('pull_request', prPayload, {
    GITHUB_SHA: 'f'.repeat(40),
    GITHUB_REF: `refs/pull/${pr}/merge`,
    EVALGATE_FIXTURE_MODE: 'worse'
  })
  console.log(run.code, run.stdout, run.stderr, run.outputs)
  console.log(
    server.requests
      .slice(start)
      .map((r) => `${r.method} ${r.path} ${r.operationId}`)
      .join('\n')
  )
  server.fault('issues/list-comments', { status: 500, message: 'x' }, { times: 4 })
  const t = Date.now()
  const run2 = await runEvent('pull_request', prPayload, {
    GITHUB_SHA: 'f'.repeat(40),
    GITHUB_REF: `refs/pull/${pr}/merge`
  })
  console.log(Date.now() - t, run2.code, run2.stdout, run2.stderr)
  console.log(server.violations)
})
