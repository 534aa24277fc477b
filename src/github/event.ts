import { readFile } from 'node:fs/promises'
import { UsageError } from '../errors.js'

/** The pull request a run belongs to, from the trusted event payload. */
export interface PullRequestContext {
  number: number
  baseRef: string
  baseSha: string
  headSha: string
  /** Opened from another repository: no secrets, a read-only token. */
  fromFork: boolean
}

/** What the action needs to know of the workflow run it is in, read once. */
export interface ActionContext {
  eventName: string
  owner: string
  repo: string
  sha: string
  ref: string
  defaultBranch: string | undefined
  workflow: string
  /** The job's id in the workflow (GITHUB_JOB). */
  job: string | undefined
  runUrl: string | undefined
  apiUrl: string
  pullRequest: PullRequestContext | undefined
  /** For `merge_group` (a merge queue): the commit under test and the tip it was built on. */
  mergeGroup: { headSha: string; baseSha: string; baseRef: string } | undefined
  /** For `workflow_run`: the run whose results to report and the pull requests it belongs to. */
  workflowRun:
    | {
        id: number
        headSha: string
        event: string
        /** The workflow of that run: its sticky comment's marker. */
        workflow: string | undefined
        /**
         * This repository's pull requests the event lists for the run's commit. Empty for pull
         * requests from forks: then found by `headLabel` (`owner:branch`), or, when the event names
         * no head branch (GitHub's schema lets `head_branch` be null), by the run's commit.
         */
        pullRequests: number[]
        headLabel: string | undefined
        /** The branch the run was of (a push's, a pull request's head). */
        headBranch: string | undefined
        /** How the run ended (`success`, `failure`, `cancelled`, `timed_out`…), when it has. */
        conclusion: string | undefined
      }
    | undefined
}

/** An entry of a workflow run's `pull_requests`, as GitHub lists it. */
interface ListedPullRequest {
  number: number
  head?: { sha?: string }
  base?: { repo?: { id?: number; url?: string } }
}

interface Payload {
  repository?: { id?: number; default_branch?: string; full_name?: string }
  pull_request?: {
    number: number
    base: { ref: string; sha: string; repo: { full_name: string } }
    head: { sha: string; repo: { full_name: string } | null }
  }
  merge_group?: { head_sha: string; base_sha: string; base_ref: string }
  workflow_run?: {
    id: number
    head_sha: string
    head_branch?: string | null
    name?: string | null
    event: string
    pull_requests?: ListedPullRequest[]
    head_repository?: { owner?: { login?: string } }
    conclusion?: string | null
  }
}

/**
 * The pull requests of a workflow run that are this repository's, for the run's own commit.
 * GitHub lists by head branch, so a fork's run can name pull requests of other repositories that
 * share the branch's name, or of another commit (@octokit/webhooks-examples, the third
 * `workflow_run completed`): commenting on those would put one pull request's report on another.
 */
function runPullRequests(
  listed: readonly ListedPullRequest[],
  headSha: string,
  repository: { id: number | undefined; url: string }
): number[] {
  const ours = (repo: { id?: number; url?: string } | undefined) =>
    repository.id !== undefined && repo?.id !== undefined
      ? repo.id === repository.id
      : repo?.url?.toLowerCase() === repository.url.toLowerCase()
  return listed
    .filter((pr) => ours(pr.base?.repo) && pr.head?.sha === headSha)
    .map((pr) => pr.number)
}

/** Reads the event payload the runner wrote to GITHUB_EVENT_PATH (empty for some events). */
async function readPayload(path: string | undefined): Promise<Payload> {
  if (!path) return {}
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Payload
  } catch (error) {
    throw new UsageError(
      `cannot read the event payload at GITHUB_EVENT_PATH (${path}): ${(error as Error).message}`
    )
  }
}

export async function readActionContext(
  env: Record<string, string | undefined>
): Promise<ActionContext> {
  const payload = await readPayload(env.GITHUB_EVENT_PATH)
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? payload.repository?.full_name ?? '').split('/')
  if (!owner || !repo) {
    throw new UsageError(
      'GITHUB_REPOSITORY is not set: evalgate runs as a step of a GitHub Actions workflow'
    )
  }
  const pr = payload.pull_request
  if (pr !== undefined) {
    const missing = [
      typeof pr.number === 'number' ? undefined : 'number',
      typeof pr.base?.ref === 'string' ? undefined : 'base.ref',
      typeof pr.base?.sha === 'string' ? undefined : 'base.sha',
      typeof pr.base?.repo?.full_name === 'string' ? undefined : 'base.repo.full_name',
      typeof pr.head?.sha === 'string' ? undefined : 'head.sha'
    ].filter((field) => field !== undefined)
    if (missing.length > 0) {
      throw new UsageError(
        `the event payload at GITHUB_EVENT_PATH has a pull_request without ${missing.join(', ')}: evalgate reads the payload GitHub writes for the event`
      )
    }
  }
  const group = payload.merge_group
  const serverUrl = env.GITHUB_SERVER_URL ?? 'https://github.com'
  const apiUrl = env.GITHUB_API_URL ?? 'https://api.github.com'
  return {
    eventName: env.GITHUB_EVENT_NAME ?? '',
    owner,
    repo,
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
    // Scheduled runs carry no repository in their payload; they always run on the default branch.
    defaultBranch:
      payload.repository?.default_branch ??
      (env.GITHUB_EVENT_NAME === 'schedule'
        ? env.GITHUB_REF?.replace(/^refs\/heads\//, '')
        : undefined),
    workflow: env.GITHUB_WORKFLOW ?? 'evalgate',
    job: env.GITHUB_JOB || undefined,
    runUrl: env.GITHUB_RUN_ID
      ? `${serverUrl}/${owner}/${repo}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined,
    apiUrl,
    pullRequest: pr
      ? {
          number: pr.number,
          baseRef: pr.base.ref,
          baseSha: pr.base.sha,
          headSha: pr.head.sha,
          fromFork: pr.head.repo?.full_name !== pr.base.repo.full_name
        }
      : undefined,
    mergeGroup:
      group?.head_sha && group.base_sha
        ? { headSha: group.head_sha, baseSha: group.base_sha, baseRef: group.base_ref }
        : undefined,
    workflowRun: payload.workflow_run
      ? {
          id: payload.workflow_run.id,
          headSha: payload.workflow_run.head_sha,
          event: payload.workflow_run.event,
          workflow: payload.workflow_run.name ?? undefined,
          pullRequests: runPullRequests(
            payload.workflow_run.pull_requests ?? [],
            payload.workflow_run.head_sha,
            {
              id: payload.repository?.id,
              url: `${apiUrl.replace(/\/+$/, '')}/repos/${owner}/${repo}`
            }
          ),
          headLabel:
            payload.workflow_run.head_repository?.owner?.login && payload.workflow_run.head_branch
              ? `${payload.workflow_run.head_repository.owner.login}:${payload.workflow_run.head_branch}`
              : undefined,
          headBranch: payload.workflow_run.head_branch ?? undefined,
          conclusion: payload.workflow_run.conclusion ?? undefined
        }
      : undefined
  }
}
