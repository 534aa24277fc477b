/**
 * The GitHub REST calls evalgate makes, behind one small interface: the comment, tracking-issue
 * and baseline code depend on `GitHubClient`, so tests can run them against a local server or a
 * typed fake.
 *
 * `createGitHubClient` wraps `getOctokit` from @actions/github, which adds no retry and no
 * throttling of its own (only REST methods and pagination). So this module adds a bounded retry:
 * - 429, and 403 for a secondary rate limit: wait for `retry-after` (or a minute, GitHub's advice
 *   when it gives none), for any method — GitHub did not process the request;
 * - 403 with `x-ratelimit-remaining: 0` (primary limit): wait until `x-ratelimit-reset`;
 * - 5xx and network failures: exponential backoff with jitter, only for requests that are safe to
 *   repeat (GET, PATCH, PUT, DELETE and the content-addressed git-data POSTs), never for creating
 *   an issue or a comment, which could then appear twice.
 * A wait longer than `maxDelayMs` is not taken: the call fails at once with a message saying when
 * the limit resets. Once the run's signal aborts (the job cancelled), no request is sent or waited
 * for any more: the call fails at once, so the action reports what it did before the runner kills
 * it. Every failure becomes a `GitHubApiError` naming the call and the likely fix.
 */
import { getOctokit } from '@actions/github'
import { EvalgateError, errorMessage } from '../errors.js'
import { raceAbort } from '../providers/abort.js'

export interface IssueComment {
  id: number
  body: string
  /** The author's login; undefined for a deleted ("ghost") account. */
  author: string | undefined
  /** The comment on github.com. */
  url: string
}

export interface Issue {
  number: number
  title: string
  body: string
  state: 'open' | 'closed'
  labels: string[]
  author: string | undefined
  url: string
  /** The issues API lists pull requests too. */
  isPullRequest: boolean
}

export interface Label {
  name: string
  color: string
  description: string | null
}

export interface GitCommit {
  sha: string
  tree: string
  parents: string[]
}

export interface TreeEntry {
  path: string
  mode: string
  type: 'blob' | 'tree' | 'commit'
  sha: string
}

/** One change to a tree: a file to point at `sha`, or to delete when `sha` is null. */
export interface TreeChange {
  path: string
  sha: string | null
}

/** A commit as the repository shows it (`GET /repos/{o}/{r}/commits/{ref}`). */
export interface RepoCommit {
  sha: string
  parents: string[]
  committedAt: string | undefined
}

export interface Comparison {
  mergeBase: string
  status: 'diverged' | 'ahead' | 'behind' | 'identical'
  aheadBy: number
  behindBy: number
}

export interface PullRequestInfo {
  number: number
  state: 'open' | 'closed'
  base: { ref: string; sha: string }
  head: { ref: string; sha: string; repoFullName: string | undefined }
  /** The head branch lives in another repository: the run has a read-only token, no secrets. */
  isFork: boolean
}

/**
 * What a comment is on: the same API serves both, but a workflow's token needs
 * `pull-requests: write` to comment on a pull request and `issues: write` on an issue.
 */
export type CommentTarget = 'pull request' | 'issue'

export interface GitHubClient {
  readonly owner: string
  readonly repo: string
  /** The login behind the token, or undefined for an installation token (GITHUB_TOKEN). */
  getAuthenticatedLogin(): Promise<string | undefined>
  /** Every comment of an issue or PR, oldest first, fetched page by page as iterated. */
  listIssueComments(issueNumber: number, on: CommentTarget): AsyncIterable<IssueComment>
  createIssueComment(issueNumber: number, body: string, on: CommentTarget): Promise<IssueComment>
  updateIssueComment(commentId: number, body: string): Promise<IssueComment>
  /** Issues (and PRs) matching every filter given; newest first. */
  listIssues(filter: {
    labels?: string[]
    state?: 'open' | 'closed' | 'all'
    creator?: string
  }): AsyncIterable<Issue>
  createIssue(issue: { title: string; body: string; labels?: string[] }): Promise<Issue>
  updateIssue(
    issueNumber: number,
    change: {
      title?: string
      body?: string
      state?: 'open' | 'closed'
      stateReason?: 'completed' | 'not_planned' | 'reopened'
    }
  ): Promise<Issue>
  getLabel(name: string): Promise<Label | undefined>
  /** Adds labels to an issue, keeping those it has. */
  addLabels(issueNumber: number, labels: string[]): Promise<void>
  createLabel(label: { name: string; color: string; description?: string }): Promise<Label>
  /** The commit a ref (`heads/<branch>`) points at, or undefined when it does not exist. */
  getRef(ref: string): Promise<string | undefined>
  /** `exists` when another writer created it first. */
  createRef(ref: string, sha: string): Promise<'created' | 'exists'>
  /**
   * Moves a ref without force: `moved` when another writer moved it meanwhile (GitHub says "not
   * a fast forward", or "cannot be updated" / "update failed" when two updates race), `missing`
   * when it was deleted meanwhile.
   */
  updateRef(ref: string, sha: string): Promise<'updated' | 'moved' | 'missing'>
  getGitCommit(sha: string): Promise<GitCommit>
  createGitCommit(commit: { message: string; tree: string; parents: string[] }): Promise<string>
  createBlob(content: Buffer): Promise<string>
  getBlob(sha: string): Promise<Buffer>
  createTree(tree: { baseTree?: string; changes: TreeChange[] }): Promise<string>
  getTree(sha: string, options?: { recursive?: boolean }): Promise<TreeEntry[]>
  getCommit(ref: string): Promise<RepoCommit>
  /** Undefined when the two share no history (no merge base). */
  compareCommits(base: string, head: string): Promise<Comparison | undefined>
  getPullRequest(pullNumber: number): Promise<PullRequestInfo>
  /** Numbers of the open pull requests from `head` (`owner:branch`), newest first. */
  listOpenPullRequestsFrom(head: string): Promise<number[]>
  /** The open pull requests and their heads, most recently updated first, fetched as iterated. */
  listOpenPullRequests(): AsyncIterable<{ number: number; headSha: string }>
  /** Deletes a comment of an issue or PR; one already gone is no error. */
  deleteIssueComment(commentId: number): Promise<void>
}

export type GitHubErrorKind =
  | 'auth'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'validation'
  | 'rate-limited'
  | 'server'
  | 'network'
  /** The issue or pull request is locked: it takes no comments, whatever the token. */
  | 'locked'
  /** 410: the repository has its issues turned off (or the issue was deleted). */
  | 'gone'
  /** The job was cancelled: the call was not made, or not waited for. */
  | 'cancelled'

/** A GitHub API call failed; the message names the call and what to do about it. */
export class GitHubApiError extends EvalgateError {
  readonly kind: GitHubErrorKind
  /** HTTP status; undefined when no answer came (network). */
  readonly status: number | undefined
  /** What evalgate was doing, e.g. "create a comment on #12". */
  readonly operation: string
  constructor(
    kind: GitHubErrorKind,
    operation: string,
    status: number | undefined,
    message: string
  ) {
    super(message, 1)
    this.kind = kind
    this.operation = operation
    this.status = status
  }
}

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number
  /** First backoff after a server error; doubles per retry, with jitter. */
  baseDelayMs: number
  /** The longest single wait accepted (retry-after, rate-limit reset); longer fails at once. */
  maxDelayMs: number
  sleep: (ms: number) => Promise<void>
  random: () => number
  /** Epoch milliseconds, for `x-ratelimit-reset`. */
  now: () => number
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 3,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  now: Date.now
}

export interface GitHubClientOptions {
  token: string
  /** `GITHUB_API_URL`: https://api.github.com, or a GHES `/api/v3` URL. */
  apiUrl: string
  owner: string
  repo: string
  retry?: Partial<RetryPolicy>
  /**
   * The job runs on `workflow_run`: it is the job a fork's comment is posted from, so a write it
   * may not do is said as the permission it lacks, never as advice to post from such a job.
   */
  workflowRun?: boolean
  /** The run's: once it aborts, every call fails at once, its request stopped or never sent. */
  signal?: AbortSignal
}

/** The parts of @octokit/request-error's RequestError this module reads. */
interface RequestFailure {
  status?: number
  message?: string
  request?: { method?: string; url?: string }
  response?: {
    headers?: Record<string, string | number | undefined>
    data?: unknown
  }
}

function asFailure(error: unknown): RequestFailure {
  return typeof error === 'object' && error !== null ? (error as RequestFailure) : {}
}

function header(failure: RequestFailure, name: string): string | undefined {
  const value = failure.response?.headers?.[name]
  return value === undefined ? undefined : String(value)
}

/** The characters HTML writes as entities that an error page's text is likely to hold. */
const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' '
}

function decodeEntities(text: string): string {
  return text.replace(
    /&(?:#(\d+)|#x([0-9a-f]+)|([a-z]+));/gi,
    (entity: string, decimal?: string, hex?: string, name?: string) => {
      if (name !== undefined) return NAMED_ENTITIES[name.toLowerCase()] ?? entity
      const codePoint =
        decimal !== undefined ? Number.parseInt(decimal, 10) : Number.parseInt(hex ?? '', 16)
      return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : entity
    }
  )
}

/**
 * A text in place of GitHub's JSON (its edge's outage page, a proxy's error): its words, on one
 * bounded line, as the markup of a page is tens of KB that would bury what the log and the report
 * say. Empty when the body is.
 */
function bodyText(body: string): string {
  const isPage = /<[a-z!]/i.test(body)
  const words = (
    isPage
      ? decodeEntities(
          body.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ')
        )
      : body
  )
    .replace(/\s+/g, ' ')
    .trim()
  if (words === '') return ''
  const shown = `"${words.length > 200 ? `${words.slice(0, 200)}…` : words}"`
  return isPage ? `an HTML page: ${shown}` : shown
}

/** GitHub's JSON error sent as another type (`text/html`): the object, if it has a `message`. */
function jsonError(text: string): object | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && 'message' in value ? value : undefined
  } catch {
    return undefined
  }
}

/** GitHub's own words: `message` plus any per-field `errors`. */
function githubMessage(failure: RequestFailure): string {
  const body = failure.response?.data
  const data = (typeof body === 'string' ? (jsonError(body) ?? body) : body) as
    | { message?: unknown; errors?: { message?: unknown; code?: unknown; field?: unknown }[] }
    | string
    | undefined
  if (typeof data === 'string') return bodyText(data)
  const message = typeof data?.message === 'string' ? data.message : (failure.message ?? '')
  const details = (Array.isArray(data?.errors) ? data.errors : [])
    .map((e) =>
      typeof e.message === 'string' ? e.message : [e.field, e.code].filter(Boolean).join(' ')
    )
    .filter(Boolean)
  return [message.trim(), ...details].filter(Boolean).join('; ')
}

function isSecondaryRateLimit(failure: RequestFailure): boolean {
  return (
    failure.status === 403 &&
    (header(failure, 'retry-after') !== undefined ||
      /secondary rate limit|abuse/i.test(githubMessage(failure)))
  )
}

function isPrimaryRateLimit(failure: RequestFailure): boolean {
  return (
    (failure.status === 403 || failure.status === 429) &&
    header(failure, 'x-ratelimit-remaining') === '0'
  )
}

/** Safe to send twice: the second time does what the first did, or fails harmlessly. */
function isRepeatable(method: string, url: string): boolean {
  if (method !== 'POST') return true
  return /\/git\/(blobs|trees|commits|refs)$/.test(new URL(url, 'http://x').pathname)
}

/** How long to wait before retrying, or undefined to give up now. */
function retryDelay(
  failure: RequestFailure,
  attempt: number,
  policy: RetryPolicy
): number | undefined {
  if (attempt >= policy.maxRetries) return undefined
  const status = failure.status
  const retryAfter = header(failure, 'retry-after')
  if (isPrimaryRateLimit(failure)) {
    const reset = Number(header(failure, 'x-ratelimit-reset')) * 1000
    const wait = Number.isFinite(reset) ? Math.max(0, reset - policy.now()) : Infinity
    return wait <= policy.maxDelayMs ? wait : undefined
  }
  if (status === 429 || isSecondaryRateLimit(failure)) {
    const wait = retryAfter !== undefined ? Number(retryAfter) * 1000 : 60_000
    return Number.isFinite(wait) && wait <= policy.maxDelayMs ? Math.max(0, wait) : undefined
  }
  const serverSide = failure.response === undefined || (status !== undefined && status >= 500)
  const method = failure.request?.method ?? 'GET'
  if (serverSide && isRepeatable(method, failure.request?.url ?? '')) {
    return policy.baseDelayMs * 2 ** attempt * (0.5 + policy.random())
  }
  return undefined
}

/** Attempts made per failed request, for the error message. */
const attemptsOf = new WeakMap<object, number>()

function describeRequest(failure: RequestFailure): string {
  const method = failure.request?.method ?? ''
  const url = failure.request?.url
  const path = url ? new URL(url, 'http://x').pathname : ''
  return [method, path].filter(Boolean).join(' ')
}

/** What a client's errors depend on: its clock, its job's event and its run's signal. */
interface ClientJob {
  now?: () => number
  /** The job runs on `workflow_run` (GitHubClientOptions). */
  workflowRun?: boolean
  signal?: AbortSignal
}

/**
 * Turns an Octokit failure into a GitHubApiError. `permission` is what the call needs in the
 * workflow's `permissions:` block (undefined for reads).
 */
export function toGitHubApiError(
  error: unknown,
  operation: string,
  permission?: string,
  job: ClientJob = {}
): GitHubApiError {
  const now = job.now ?? Date.now
  if (error instanceof GitHubApiError) return error
  // Whatever the request ended with, it ended because the job was cancelled.
  if (job.signal?.aborted) {
    return new GitHubApiError(
      'cancelled',
      operation,
      undefined,
      `GitHub API: did not ${operation}: the job was cancelled (${String(job.signal.reason)}) first.`
    )
  }
  const failure = asFailure(error)
  const status = failure.response === undefined ? undefined : failure.status
  const said = githubMessage(failure)
  const attempts = typeof error === 'object' && error !== null ? attemptsOf.get(error) : undefined
  const request = describeRequest(failure)
  const head = `GitHub API: could not ${operation} (${request}${status ? ` → ${status}` : ''}${said ? `: ${said}` : ''})`
  const tried = attempts && attempts > 1 ? ` after ${attempts} attempts` : ''
  let kind: GitHubErrorKind
  let hint: string
  if (status === undefined) {
    kind = 'network'
    hint = `no answer from GitHub${tried}: check the network and \`GITHUB_API_URL\``
  } else if (isPrimaryRateLimit(failure)) {
    kind = 'rate-limited'
    const reset = Number(header(failure, 'x-ratelimit-reset'))
    const when = Number.isFinite(reset) ? new Date(reset * 1000).toISOString() : 'later'
    const seconds = Number.isFinite(reset) ? Math.max(0, Math.round(reset - now() / 1000)) : 0
    hint = `the API rate limit of this token is used up until ${when} (in ${seconds} s); rerun after that, or spread the workflows out`
  } else if (status === 429 || isSecondaryRateLimit(failure)) {
    kind = 'rate-limited'
    hint = `GitHub's secondary rate limit (too many requests in a short time)${tried}; rerun in a few minutes`
  } else if ((status === 403 || status === 422) && /\blocked\b/i.test(said)) {
    kind = 'locked'
    hint = 'the conversation is locked, so it takes no comments'
  } else if (status === 401) {
    kind = 'auth'
    hint = 'the token was refused: check the `github-token` input (expired or revoked token?)'
  } else if (status === 403) {
    kind = 'forbidden'
    hint = forbiddenHint(permission, job.workflowRun === true)
  } else if (status === 404) {
    kind = 'not-found'
    hint = permission
      ? `check the repository and number, and that the token has \`${permission}\` (GitHub answers 404 rather than 403 to a token that cannot see the repository)`
      : 'check the repository, ref or number, and that the token can see the repository'
  } else if (status === 409) {
    kind = 'conflict'
    hint = /empty/i.test(said)
      ? 'the repository has no commits yet: push one before storing baselines on a branch'
      : 'the repository is in a state that refuses this call'
  } else if (status === 410) {
    kind = 'gone'
    hint = /issues are disabled/i.test(said)
      ? "the repository has issues turned off: turn them on in the repository's settings (General → Features → Issues), or set the input `tracking-issue: false`"
      : 'it was deleted'
  } else if (status === 422) {
    kind = 'validation'
    hint = 'GitHub refused the request as invalid'
  } else if (status >= 500) {
    kind = 'server'
    hint = `GitHub answered with a server error${tried}; rerun later (see https://www.githubstatus.com)`
  } else {
    kind = 'validation'
    hint = 'unexpected answer'
  }
  return new GitHubApiError(kind, operation, status, `${head}: ${hint}.`)
}

/** `workflowRun`: the job runs on `workflow_run` (GitHubClientOptions). */
function forbiddenHint(permission: string | undefined, workflowRun: boolean): string {
  if (!permission) {
    return 'the token cannot read this: check `permissions:` in the workflow (e.g. `contents: read`)'
  }
  if (permission.startsWith('contents')) {
    return `the token is read-only or lacks \`permissions: ${permission}\` in the workflow; baselines are written only by trusted runs (push to the default branch, schedule, manual dispatch), never by PRs`
  }
  // Only scheduled and dispatched runs touch issues (the tracking issue): no pull request's token.
  if (permission.startsWith('issues')) {
    return `the token lacks \`permissions: ${permission}\` in the workflow: give it to the job that runs on schedule and workflow_dispatch, which keeps the tracking issue (or set the input \`tracking-issue: false\`)`
  }
  if (permission.endsWith(': read')) {
    return `the token lacks \`permissions: ${permission}\` in the workflow`
  }
  // Its token is the base repository's, a fork's pull request's too: only the workflow limits it.
  if (workflowRun) {
    return `the token lacks \`permissions: ${permission}\` (or \`issues: write\`) in the workflow: this \`workflow_run\` job is the one that comments for pull requests from forks: give it that permission`
  }
  return `the token is read-only (fork PR?) or lacks \`permissions: ${permission}\` in the workflow; fork PRs get a read-only GITHUB_TOKEN, so post from a \`workflow_run\` job instead (never \`pull_request_target\` with a checkout of the PR's code)`
}

function permissionFor(on: CommentTarget, access: 'read' | 'write'): string {
  return `${on === 'issue' ? 'issues' : 'pull-requests'}: ${access}`
}

function statusOf(error: unknown): number | undefined {
  const failure = asFailure(error)
  return failure.response === undefined ? undefined : failure.status
}

type Octokit = ReturnType<typeof getOctokit>

interface RawUser {
  login: string
}
interface RawComment {
  id: number
  body?: string | null
  html_url: string
  user: RawUser | null
}
interface RawIssue {
  number: number
  title: string
  body?: string | null
  state: string
  html_url: string
  user: RawUser | null
  labels: (string | { name?: string })[]
  pull_request?: unknown
}

function toComment(raw: RawComment): IssueComment {
  return { id: raw.id, body: raw.body ?? '', author: raw.user?.login, url: raw.html_url }
}

function toIssue(raw: RawIssue): Issue {
  return {
    number: raw.number,
    title: raw.title,
    body: raw.body ?? '',
    state: raw.state === 'closed' ? 'closed' : 'open',
    labels: raw.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))),
    author: raw.user?.login,
    url: raw.html_url,
    isPullRequest: raw.pull_request !== undefined && raw.pull_request !== null
  }
}

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry }
  const { signal } = options
  const octokit: Octokit = getOctokit(options.token, {
    baseUrl: options.apiUrl.replace(/\/+$/, '')
  })
  // A retry's wait ends when the job is cancelled: it fails the call (see toGitHubApiError).
  const wait = (ms: number) =>
    signal ? raceAbort(policy.sleep(ms), signal, () => signal.reason) : policy.sleep(ms)
  octokit.hook.wrap('request', async (request, requestOptions) => {
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted()
      try {
        // Per request, not as the client's default, which would replace the proxy's `fetch`.
        return await request(
          signal
            ? { ...requestOptions, request: { ...requestOptions.request, signal } }
            : requestOptions
        )
      } catch (error) {
        const delay = signal?.aborted ? undefined : retryDelay(asFailure(error), attempt, policy)
        if (delay === undefined) {
          if (typeof error === 'object' && error !== null) attemptsOf.set(error, attempt + 1)
          throw error
        }
        await wait(delay)
      }
    }
  })
  return new OctokitClient(octokit, options.owner, options.repo, {
    now: policy.now,
    workflowRun: options.workflowRun === true,
    ...(signal ? { signal } : {})
  })
}

class OctokitClient implements GitHubClient {
  constructor(
    private readonly octokit: Octokit,
    readonly owner: string,
    readonly repo: string,
    private readonly job: ClientJob
  ) {}

  private get where() {
    return { owner: this.owner, repo: this.repo }
  }

  private async call<T>(operation: string, permission: string | undefined, run: () => Promise<T>) {
    try {
      return await run()
    } catch (error) {
      // evalgate's own errors (e.g. a truncated tree) already say what went wrong.
      if (error instanceof EvalgateError) throw error
      throw toGitHubApiError(error, operation, permission, this.job)
    }
  }

  async getAuthenticatedLogin(): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.rest.users.getAuthenticated()
      return data.login
    } catch (error) {
      // GitHub refuses `GET /user` to installation tokens (GITHUB_TOKEN, GitHub Apps) with 403.
      if (
        statusOf(error) === 403 &&
        /not accessible by integration/i.test(githubMessage(asFailure(error)))
      ) {
        return undefined
      }
      throw toGitHubApiError(error, 'find out who the token belongs to', undefined, this.job)
    }
  }

  async *listIssueComments(issueNumber: number, on: CommentTarget): AsyncIterable<IssueComment> {
    const pages = this.octokit.paginate.iterator(this.octokit.rest.issues.listComments, {
      ...this.where,
      issue_number: issueNumber,
      per_page: 100
    })
    const operation = `list the comments of #${issueNumber}`
    const iterator = pages[Symbol.asyncIterator]()
    for (;;) {
      const page = await this.call(operation, permissionFor(on, 'read'), () => iterator.next())
      if (page.done) return
      for (const raw of page.value.data) yield toComment(raw)
    }
  }

  createIssueComment(issueNumber: number, body: string, on: CommentTarget): Promise<IssueComment> {
    const operation = `create a comment on #${issueNumber}`
    return this.call(operation, permissionFor(on, 'write'), async () =>
      toComment(
        (
          await this.octokit.rest.issues.createComment({
            ...this.where,
            issue_number: issueNumber,
            body
          })
        ).data
      )
    )
  }

  updateIssueComment(commentId: number, body: string): Promise<IssueComment> {
    return this.call(`update comment ${commentId}`, 'pull-requests: write', async () =>
      toComment(
        (
          await this.octokit.rest.issues.updateComment({
            ...this.where,
            comment_id: commentId,
            body
          })
        ).data
      )
    )
  }

  async *listIssues(filter: {
    labels?: string[]
    state?: 'open' | 'closed' | 'all'
    creator?: string
  }): AsyncIterable<Issue> {
    const pages = this.octokit.paginate.iterator(this.octokit.rest.issues.listForRepo, {
      ...this.where,
      state: filter.state ?? 'open',
      per_page: 100,
      ...(filter.labels?.length ? { labels: filter.labels.join(',') } : {}),
      ...(filter.creator ? { creator: filter.creator } : {})
    })
    const iterator = pages[Symbol.asyncIterator]()
    for (;;) {
      const page = await this.call('list issues', 'issues: read', () => iterator.next())
      if (page.done) return
      for (const raw of page.value.data) yield toIssue(raw)
    }
  }

  createIssue(issue: { title: string; body: string; labels?: string[] }): Promise<Issue> {
    return this.call(`open the issue "${issue.title}"`, 'issues: write', async () =>
      toIssue((await this.octokit.rest.issues.create({ ...this.where, ...issue })).data)
    )
  }

  updateIssue(
    issueNumber: number,
    change: {
      title?: string
      body?: string
      state?: 'open' | 'closed'
      stateReason?: 'completed' | 'not_planned' | 'reopened'
    }
  ): Promise<Issue> {
    const { stateReason, ...rest } = change
    return this.call(`update issue #${issueNumber}`, 'issues: write', async () =>
      toIssue(
        (
          await this.octokit.rest.issues.update({
            ...this.where,
            issue_number: issueNumber,
            ...rest,
            ...(stateReason ? { state_reason: stateReason } : {})
          })
        ).data
      )
    )
  }

  async getLabel(name: string): Promise<Label | undefined> {
    try {
      const { data } = await this.octokit.rest.issues.getLabel({ ...this.where, name })
      return { name: data.name, color: data.color, description: data.description }
    } catch (error) {
      if (statusOf(error) === 404) return undefined
      throw toGitHubApiError(error, `read the label "${name}"`, undefined, this.job)
    }
  }

  addLabels(issueNumber: number, labels: string[]): Promise<void> {
    return this.call(`label issue #${issueNumber}`, 'issues: write', async () => {
      await this.octokit.rest.issues.addLabels({ ...this.where, issue_number: issueNumber, labels })
    })
  }

  createLabel(label: { name: string; color: string; description?: string }): Promise<Label> {
    return this.call(`create the label "${label.name}"`, 'issues: write', async () => {
      const { data } = await this.octokit.rest.issues.createLabel({ ...this.where, ...label })
      return { name: data.name, color: data.color, description: data.description }
    })
  }

  async getRef(ref: string): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.rest.git.getRef({ ...this.where, ref })
      return data.object.sha
    } catch (error) {
      // 409: the repository is empty, so no ref exists yet.
      const status = statusOf(error)
      if (status === 404 || status === 409) return undefined
      throw toGitHubApiError(error, `read the ref ${ref}`, undefined, this.job)
    }
  }

  async createRef(ref: string, sha: string): Promise<'created' | 'exists'> {
    try {
      await this.octokit.rest.git.createRef({ ...this.where, ref: `refs/${ref}`, sha })
      return 'created'
    } catch (error) {
      if (statusOf(error) === 422 && /already exists/i.test(githubMessage(asFailure(error)))) {
        return 'exists'
      }
      throw toGitHubApiError(error, `create the ref ${ref}`, 'contents: write', this.job)
    }
  }

  async updateRef(ref: string, sha: string): Promise<'updated' | 'moved' | 'missing'> {
    try {
      await this.octokit.rest.git.updateRef({ ...this.where, ref, sha, force: false })
      return 'updated'
    } catch (error) {
      // GitHub documents 409 too for an update it could not make, as when another writer raced.
      const status = statusOf(error)
      if (status === 422 || status === 409) {
        const said = githubMessage(asFailure(error))
        if (/not a fast.forward|cannot be updated|update failed/i.test(said)) return 'moved'
        if (/reference does not exist/i.test(said)) return 'missing'
      }
      throw toGitHubApiError(error, `move the ref ${ref}`, 'contents: write', this.job)
    }
  }

  getGitCommit(sha: string): Promise<GitCommit> {
    return this.call(`read the git commit ${sha}`, undefined, async () => {
      const { data } = await this.octokit.rest.git.getCommit({ ...this.where, commit_sha: sha })
      return { sha: data.sha, tree: data.tree.sha, parents: data.parents.map((p) => p.sha) }
    })
  }

  createGitCommit(commit: { message: string; tree: string; parents: string[] }): Promise<string> {
    return this.call('create a git commit', 'contents: write', async () => {
      return (await this.octokit.rest.git.createCommit({ ...this.where, ...commit })).data.sha
    })
  }

  createBlob(content: Buffer): Promise<string> {
    return this.call('upload a blob', 'contents: write', async () => {
      const { data } = await this.octokit.rest.git.createBlob({
        ...this.where,
        content: content.toString('base64'),
        encoding: 'base64'
      })
      return data.sha
    })
  }

  getBlob(sha: string): Promise<Buffer> {
    return this.call(`read the blob ${sha}`, undefined, async () => {
      const { data } = await this.octokit.rest.git.getBlob({ ...this.where, file_sha: sha })
      return Buffer.from(data.content, data.encoding === 'base64' ? 'base64' : 'utf8')
    })
  }

  createTree(tree: { baseTree?: string; changes: TreeChange[] }): Promise<string> {
    return this.call('create a git tree', 'contents: write', async () => {
      const { data } = await this.octokit.rest.git.createTree({
        ...this.where,
        ...(tree.baseTree ? { base_tree: tree.baseTree } : {}),
        tree: tree.changes.map((change) => ({
          path: change.path,
          mode: '100644' as const,
          type: 'blob' as const,
          sha: change.sha
        }))
      })
      return data.sha
    })
  }

  getTree(sha: string, options: { recursive?: boolean } = {}): Promise<TreeEntry[]> {
    return this.call(`read the git tree ${sha}`, undefined, async () => {
      const { data } = await this.octokit.rest.git.getTree({
        ...this.where,
        tree_sha: sha,
        // GitHub treats any value as "recursive"; omit it for a flat listing.
        ...(options.recursive ? { recursive: 'true' } : {})
      })
      if (data.truncated) {
        throw new EvalgateError(`the git tree ${sha} is too large for GitHub to list in one answer`)
      }
      return data.tree.map((entry) => ({
        path: entry.path,
        mode: entry.mode,
        type: entry.type as TreeEntry['type'],
        sha: entry.sha
      }))
    })
  }

  getCommit(ref: string): Promise<RepoCommit> {
    return this.call(`read the commit ${ref}`, undefined, async () => {
      const { data } = await this.octokit.rest.repos.getCommit({ ...this.where, ref, per_page: 1 })
      return {
        sha: data.sha,
        parents: data.parents.map((p) => p.sha),
        committedAt: data.commit.committer?.date
      }
    })
  }

  compareCommits(base: string, head: string): Promise<Comparison | undefined> {
    return this.call(`compare ${base}...${head}`, undefined, async () => {
      let data
      try {
        ;({ data } = await this.octokit.rest.repos.compareCommitsWithBasehead({
          ...this.where,
          basehead: `${base}...${head}`,
          // Only the merge base is needed: keep the commit list short.
          per_page: 1
        }))
      } catch (error) {
        // Unrelated histories: GitHub answers 404 "No common ancestor between … and …".
        if (statusOf(error) === 404 && /no common ancestor/i.test(errorMessage(error))) return
        throw error
      }
      return {
        mergeBase: data.merge_base_commit.sha,
        status: data.status,
        aheadBy: data.ahead_by,
        behindBy: data.behind_by
      }
    })
  }

  listOpenPullRequestsFrom(head: string): Promise<number[]> {
    return this.call(`list the pull requests from ${head}`, undefined, async () => {
      const { data } = await this.octokit.rest.pulls.list({ ...this.where, head, state: 'open' })
      return data.map((pr) => pr.number)
    })
  }

  async *listOpenPullRequests(): AsyncIterable<{ number: number; headSha: string }> {
    const pages = this.octokit.paginate.iterator(this.octokit.rest.pulls.list, {
      ...this.where,
      state: 'open',
      // A run that just finished was of a recent push: its pull request comes first.
      sort: 'updated',
      direction: 'desc',
      per_page: 100
    })
    const iterator = pages[Symbol.asyncIterator]()
    for (;;) {
      const page = await this.call('list the open pull requests', 'pull-requests: read', () =>
        iterator.next()
      )
      if (page.done) return
      for (const pr of page.value.data) yield { number: pr.number, headSha: pr.head.sha }
    }
  }

  getPullRequest(pullNumber: number): Promise<PullRequestInfo> {
    return this.call(`read pull request #${pullNumber}`, undefined, async () => {
      const { data } = await this.octokit.rest.pulls.get({ ...this.where, pull_number: pullNumber })
      const headRepo = data.head.repo?.full_name
      return {
        number: data.number,
        state: data.state === 'closed' ? 'closed' : 'open',
        base: { ref: data.base.ref, sha: data.base.sha },
        head: { ref: data.head.ref, sha: data.head.sha, repoFullName: headRepo },
        isFork:
          headRepo === undefined ||
          headRepo.toLowerCase() !== `${this.owner}/${this.repo}`.toLowerCase()
      }
    })
  }

  async deleteIssueComment(commentId: number): Promise<void> {
    try {
      await this.octokit.rest.issues.deleteComment({ ...this.where, comment_id: commentId })
    } catch (error) {
      if (statusOf(error) === 404) return
      throw toGitHubApiError(error, `delete comment ${commentId}`, 'pull-requests: write', this.job)
    }
  }
}
