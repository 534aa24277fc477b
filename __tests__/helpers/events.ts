/** The workspace and event payloads of the action's end-to-end tests against the local GitHub. */
import { cp, mkdir, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createRequire } from 'node:module'
import { runActionBundle } from './action.js'
import { buildEntry } from './cli.js'
import { ACTIONS_TOKEN, startGitHubServer } from './github-server.js'

/** Real webhook payloads (`@octokit/webhooks-examples`), pointed at the local repository. */
const examples = createRequire(import.meta.url)(
  '@octokit/webhooks-examples/api.github.com/index.json'
) as { name: string; examples: Record<string, unknown>[] }[]

export function example(event: string, action?: string, index = 0): Record<string, unknown> {
  const found = examples
    .find((e) => e.name === event)
    ?.examples.filter((x) => action === undefined || x.action === action)[index]
  if (!found) throw new Error(`no ${event} ${action ?? ''} example`)
  return structuredClone(found)
}

/**
 * The workspace as `actions/checkout` leaves it: the fixture repository in `path` (the workspace
 * itself by default), with its `.git`.
 */
export async function checkout(path = '.'): Promise<string> {
  const workspace = await mkdtemp(join(tmpdir(), 'evalgate-workspace-'))
  await cp(resolve('__tests__/fixtures/action'), join(workspace, path), { recursive: true })
  await mkdir(join(workspace, path, '.git'))
  return workspace
}

/** The local repository (octo-org/triage), with the id the local GitHub gives it. */
export function repository(): Record<string, unknown> {
  return {
    ...(example('push').repository as object),
    id: 1296269,
    full_name: 'octo-org/triage',
    name: 'triage',
    default_branch: 'main'
  }
}

export function pushPayload(sha: string): Record<string, unknown> {
  return { ...example('push'), ref: 'refs/heads/main', after: sha, repository: repository() }
}

/** A pull request from `headBranch` into main; from a fork when `headRepo` is another repository. */
export function pullRequestPayload(
  pull: { number: number; baseSha: string; headSha: string; headBranch: string },
  headRepo = 'octo-org/triage'
): Record<string, unknown> {
  const payload = example('pull_request', 'synchronize')
  const pr = payload.pull_request as Record<string, Record<string, unknown>>
  const repo = { ...(pr.base?.repo as object), full_name: 'octo-org/triage' }
  return {
    ...payload,
    number: pull.number,
    repository: repository(),
    pull_request: {
      ...pr,
      number: pull.number,
      base: { ...pr.base, ref: 'main', sha: pull.baseSha, repo },
      head: {
        ...pr.head,
        ref: pull.headBranch,
        sha: pull.headSha,
        repo: { ...repo, full_name: headRepo }
      }
    }
  }
}

/** An entry of a workflow run's `pull_requests`, as GitHub writes it, for this repository. */
export function listedPullRequest(
  number: number,
  headSha: string,
  baseRepo: { id: number; url: string; name: string } = {
    id: 1296269,
    url: 'https://api.github.com/repos/octo-org/triage',
    name: 'triage'
  }
): Record<string, unknown> {
  return {
    url: `${baseRepo.url}/pulls/${number}`,
    id: 9000 + number,
    number,
    head: { ref: 'feature', sha: headSha, repo: baseRepo },
    base: { ref: 'main', sha: '0'.repeat(40), repo: baseRepo }
  }
}

/**
 * The `workflow_run completed` event of the pull request's run `id` of the `evals` workflow, at
 * `headSha` of `headBranch` (whose owner, for a fork, GitHub names in `head_repository`).
 */
export function workflowRunPayload(run: {
  id: number
  headSha: string
  headBranch: string
  pullRequests: Record<string, unknown>[]
}): Record<string, unknown> {
  const payload = example('workflow_run', 'completed')
  const workflowRun = payload.workflow_run as { head_repository: object }
  return {
    ...payload,
    repository: repository(),
    workflow_run: {
      ...workflowRun,
      id: run.id,
      name: 'evals',
      event: 'pull_request',
      head_sha: run.headSha,
      head_branch: run.headBranch,
      pull_requests: run.pullRequests,
      head_repository: { ...workflowRun.head_repository, owner: { login: 'octo-org' } }
    }
  }
}

/**
 * Runs the action's `bundle` in `workspace` as the runner does, for an event, against the local
 * GitHub at `apiUrl`, with the results in a fresh directory.
 */
export function eventRunner(bundle: string, workspace: string, apiUrl: string) {
  return async (
    eventName: string,
    payload: Record<string, unknown>,
    env: Record<string, string>,
    token: string,
    inputs: Record<string, string> = {}
  ) => {
    const resultsPath = join(await mkdtemp(join(tmpdir(), 'evalgate-results-')), 'results.json')
    const run = await runActionBundle(bundle, {
      cwd: workspace,
      payload,
      inputs: { specs: 'evals', 'results-path': resultsPath, 'github-token': token, ...inputs },
      env: {
        GITHUB_EVENT_NAME: eventName,
        GITHUB_API_URL: apiUrl,
        GITHUB_WORKFLOW: 'evals',
        GITHUB_RUN_ID: '1001',
        GITHUB_SERVER_URL: 'https://github.com',
        ...env
      }
    })
    return { ...run, resultsPath }
  }
}

/**
 * The fixture repository on a local GitHub, its `main` two commits long with the baseline of its
 * last commit stored by a push run: what a pull request's run compares with.
 */
export async function repositoryWithBaseline() {
  const workspace = await checkout()
  const action = await buildEntry('src/index.ts')
  const server = await startGitHubServer({
    owner: 'octo-org',
    repo: 'triage',
    defaultBranch: 'main'
  })
  const runEvent = eventRunner(action, workspace, server.url)
  const mainSha = server.state.linearHistory(2).at(-1) as string
  const push = await runEvent(
    'push',
    pushPayload(mainSha),
    { GITHUB_SHA: mainSha, GITHUB_REF: 'refs/heads/main' },
    ACTIONS_TOKEN
  )
  if (push.code !== 0) throw new Error(`the push run storing the baseline failed:\n${push.stdout}`)
  return { workspace, action, server, runEvent, mainSha }
}

/** A pull request's run (its merge commit checked out), with the inputs and environment given. */
export function pullRequestRun(
  runEvent: ReturnType<typeof eventRunner>,
  pull: { number: number; baseSha: string; headSha: string; headBranch: string },
  env: Record<string, string> = {},
  inputs: Record<string, string> = {}
) {
  return runEvent(
    'pull_request',
    pullRequestPayload(pull),
    { GITHUB_SHA: 'f'.repeat(40), GITHUB_REF: `refs/pull/${pull.number}/merge`, ...env },
    ACTIONS_TOKEN,
    inputs
  )
}
