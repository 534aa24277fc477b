/**
 * A local GitHub REST server for tests: one repository held in memory, served on 127.0.0.1.
 *
 * Every request is matched to an operation of GitHub's official OpenAPI description
 * (`@octokit/openapi`, api.github.com, dereferenced) by method and path template, then checked:
 * path parameters, query parameters (names, types, enums) and the JSON body against the
 * operation's request schema. A request GitHub would reject is answered the way GitHub answers
 * (404 for an unknown route, 400 for unparsable JSON, 422 for a body that breaks the schema) AND
 * recorded in `server.violations`; so is a query parameter GitHub does not know (GitHub would
 * silently ignore it — a filter that never applies). Every answer the server sends is validated
 * against the operation's response schema for that status, so the double cannot drift from the
 * real API. Tests assert `violations` is empty.
 *
 * Git objects are real: blobs, trees and commits get the SHA-1 git would give them, trees nest,
 * refs move only forward unless forced. Test hooks seed history, inject faults, run code before an
 * operation (another writer moving a ref), and change state behind the client's back.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo, Socket } from 'node:net'
import { Ajv } from 'ajv'
import type { ErrorObject, ValidateFunction } from 'ajv'

// ---------------------------------------------------------------------------------------------
// The OpenAPI description, loaded once per test file.

type JsonSchema = Record<string, unknown>

interface OpenApiParameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema?: JsonSchema
}

interface OpenApiMedia {
  schema?: JsonSchema
  examples?: Record<string, { value?: unknown }>
}

interface OpenApiOperation {
  operationId: string
  parameters?: OpenApiParameter[]
  requestBody?: { required?: boolean; content: Record<string, OpenApiMedia> }
  responses: Record<string, { content?: Record<string, OpenApiMedia> }>
  externalDocs?: { url: string }
}

interface Route {
  method: string
  template: string
  /** One matcher per path segment; a segment can hold several parameters (`{base}...{head}`). */
  segments: { pattern: RegExp; names: string[] }[]
  /** Literal characters in the template: the more, the more specific the route. */
  specificity: number
  operation: OpenApiOperation
}

interface Spec {
  routes: Route[]
  ajv: Ajv
  validators: Map<string, ValidateFunction>
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const

let spec: Spec | undefined

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function compileSegment(segment: string): { pattern: RegExp; names: string[] } {
  const names: string[] = []
  let source = ''
  let last = 0
  for (const match of segment.matchAll(/\{([^}]+)\}/g)) {
    source += escapeRegExp(segment.slice(last, match.index))
    source += '(.+?)'
    names.push(match[1] ?? '')
    last = match.index + match[0].length
  }
  source += escapeRegExp(segment.slice(last))
  return { pattern: new RegExp(`^${source}$`), names }
}

/**
 * OpenAPI 3.0 schemas are JSON Schema draft 5 plus `nullable: true`, which means "or null";
 * rewritten as `anyOf [schema, null]` so ajv can check it. OpenAPI-only annotations
 * (`discriminator`, `example`, `x-*`) carry no constraint and are ignored (`strict: false`).
 */
function honourNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(honourNullable)
  if (node === null || typeof node !== 'object') return node
  const { nullable, ...rest } = node as Record<string, unknown>
  const converted = Object.fromEntries(
    Object.entries(rest).map(([key, value]) => [key, honourNullable(value)])
  )
  return nullable === true ? { anyOf: [converted, { type: 'null' }] } : converted
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

function loadSpec(): Spec {
  if (spec) return spec
  const require = createRequire(import.meta.url)
  const path = require.resolve('@octokit/openapi/generated/api.github.com.deref.json')
  const document = JSON.parse(readFileSync(path, 'utf8')) as {
    paths: Record<string, Partial<Record<(typeof METHODS)[number], OpenApiOperation>>>
  }
  const routes: Route[] = []
  for (const [template, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method]
      if (!operation) continue
      routes.push({
        method: method.toUpperCase(),
        template,
        segments: template.split('/').slice(1).map(compileSegment),
        specificity: template.replace(/\{[^}]+\}/g, '').length,
        operation
      })
    }
  }
  routes.sort((a, b) => b.specificity - a.specificity)
  const ajv = new Ajv({ strict: false, allErrors: true })
  // The formats GitHub's description uses, checked for what they promise.
  ajv.addFormat('uri', (text: string) => URL.canParse(text))
  ajv.addFormat('date-time', DATE_TIME)
  ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/)
  ajv.addFormat('email', /^[^\s@]+@[^\s@]+$/)
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) })
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) })
  ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) })
  ajv.addFormat('timestamp', { type: 'number', validate: (n: number) => Number.isInteger(n) })
  ajv.addFormat('uri-template', () => true)
  ajv.addFormat('repo.nwo', /^[^/\s]+\/[^/\s]+$/)
  ajv.addFormat('binary', () => true)
  spec = { routes, ajv, validators: new Map() }
  return spec
}

function validatorFor(key: string, schema: JsonSchema): ValidateFunction {
  const { ajv, validators } = loadSpec()
  let validate = validators.get(key)
  if (!validate) {
    validate = ajv.compile(honourNullable(schema) as JsonSchema)
    validators.set(key, validate)
  }
  return validate
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 8)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
    .join('; ')
}

/** The errors GitHub words its own way; the rest as ajv reports them. */
function githubWording(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 8)
    .map((e) =>
      e.keyword === 'required'
        ? `"${String((e.params as { missingProperty?: string }).missingProperty)}" wasn't supplied.`
        : `For '${e.instancePath || '/'}', ${e.message ?? 'is invalid'}.`
    )
    .join('\n')
}

function jsonSchemaOf(media: Record<string, OpenApiMedia> | undefined): JsonSchema | undefined {
  return media?.['application/json']?.schema
}

/** The spec's own example answer for an operation, used as the template of very large objects. */
function exampleOf(operationId: string, status: string): Record<string, unknown> {
  const route = loadSpec().routes.find((r) => r.operation.operationId === operationId)
  const media = route?.operation.responses[status]?.content?.['application/json']
  const value = Object.values(media?.examples ?? {})[0]?.value
  if (!value || typeof value !== 'object') throw new Error(`no example for ${operationId}`)
  return structuredClone(value) as Record<string, unknown>
}

// ---------------------------------------------------------------------------------------------
// Public types.

/** Who a token stands for. */
export interface TokenIdentity {
  login: string
  type: 'User' | 'Bot'
  /** An installation token (`ghs_…`, e.g. GITHUB_TOKEN): `GET /user` is refused with 403. */
  installation: boolean
  /** A read-only token (a fork's PR): every write is refused with 403. */
  readOnly?: boolean
}

/** A personal access token of a maintainer. */
export const USER_TOKEN = 'ghp_evalgateMaintainer0000000000000000000'
export const USER_LOGIN = 'octo-maintainer'
/** Another person's PAT: their comments carry the same markers but are not ours. */
export const OTHER_USER_TOKEN = 'ghp_evalgateSomeoneElse00000000000000000'
export const OTHER_USER_LOGIN = 'someone-else'
/** GITHUB_TOKEN: an installation token acting as `github-actions[bot]`. */
export const ACTIONS_TOKEN = 'ghs_evalgateActionsToken00000000000000000'
export const ACTIONS_BOT_LOGIN = 'github-actions[bot]'
/** GITHUB_TOKEN of a PR from a fork: read-only. */
export const READ_ONLY_TOKEN = 'ghs_evalgateForkReadOnly00000000000000000'

export interface RecordedRequest {
  method: string
  /** Path and query as received, e.g. `/repos/o/r/issues/1/comments?per_page=100&page=2`. */
  path: string
  /** The matched operation, e.g. `issues/create-comment`; undefined for an unknown route. */
  operationId: string | undefined
  body: unknown
  /** The login the token stands for; undefined when unauthenticated. */
  login: string | undefined
}

export interface Violation {
  operationId: string | undefined
  method: string
  path: string
  against: 'route' | 'path' | 'query' | 'request-body' | 'response' | 'behaviour'
  message: string
}

/** A scripted failure in place of the operation's answer. */
export interface FaultReply {
  status: number
  message?: string
  headers?: Record<string, string>
  /**
   * A body in place of GitHub's JSON error, sent as `text/html` unless `headers` say otherwise: its
   * edge's page when the API is down, a proxy's text.
   */
  page?: string
}

export interface FaultOptions {
  /** How many matching requests fail (default 1; Infinity for all). */
  times?: number
}

/** The faults GitHub produces, worded and headed as GitHub does. */
export const faults = {
  /** The primary rate limit is exhausted until `resetAt` (epoch seconds). */
  rateLimited(resetAt: number): FaultReply {
    return {
      status: 403,
      message: 'API rate limit exceeded for installation ID 1.',
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetAt) }
    }
  },
  secondaryRateLimit(retryAfterSeconds: number): FaultReply {
    return {
      status: 403,
      message:
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      headers: { 'retry-after': String(retryAfterSeconds) }
    }
  },
  tooManyRequests(retryAfterSeconds: number): FaultReply {
    return {
      status: 429,
      message: 'Too many requests',
      headers: { 'retry-after': String(retryAfterSeconds) }
    }
  },
  forbidden(): FaultReply {
    return { status: 403, message: 'Resource not accessible by integration' }
  },
  notFound(): FaultReply {
    return { status: 404, message: 'Not Found' }
  },
  serverError(status = 500): FaultReply {
    return { status, message: status === 502 ? 'Server Error' : 'Internal Server Error' }
  },
  /** The edge's HTML page of an outage ("unicorn"), tens of KB of markup around one sentence. */
  unicornPage(status = 503): FaultReply {
    const style = `<style>${'body { font-family: sans-serif; } '.repeat(300)}</style>`
    return {
      status,
      page: `<!DOCTYPE html><html><head><title>Unicorn! · GitHub</title>${style}</head><body><h1>No server is currently available to service your request.</h1><p>Sorry about that. Please try refreshing and contact us if the problem persists.</p></body></html>`
    }
  }
}

export interface GitHubServerOptions {
  owner?: string
  repo?: string
  defaultBranch?: string
  /** Start with no commit at all: the git database answers 409 "Git Repository is empty." */
  empty?: boolean
  /** The clock behind every timestamp. */
  now?: () => Date
}

export interface GitHubServer {
  /** What `getOctokit(token, { baseUrl })` takes: `http://127.0.0.1:<port>`. */
  url: string
  owner: string
  repo: string
  requests: RecordedRequest[]
  violations: Violation[]
  state: FakeRepository
  /** The next `times` requests for `operationId` get `reply` instead of their answer. */
  fault(operationId: string, reply: FaultReply, options?: FaultOptions): void
  /** Runs `hook` before the next `times` (default 1) requests for `operationId` are handled. */
  before(
    operationId: string,
    hook: (request: RecordedRequest) => Promise<void> | void,
    options?: FaultOptions
  ): void
  /**
   * Lets the next `times` answers of `operationId` be changed before they are checked and sent:
   * proves the response validation, or plays an answer GitHub could give.
   */
  tamper(operationId: string, change: (body: unknown) => unknown, options?: FaultOptions): void
  addToken(token: string, identity: TokenIdentity): void
  close(): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Repository state.

interface StoredUser {
  login: string
  id: number
  type: 'User' | 'Bot'
}

interface Signature {
  name: string
  email: string
  date: string
}

interface TreeItem {
  name: string
  mode: string
  type: 'blob' | 'tree' | 'commit'
  sha: string
}

type GitObject =
  | { type: 'blob'; data: Buffer }
  | { type: 'tree'; entries: TreeItem[] }
  | {
      type: 'commit'
      tree: string
      parents: string[]
      author: Signature
      committer: Signature
      message: string
    }

export interface StoredComment {
  id: number
  issueNumber: number
  body: string
  user: StoredUser
  createdAt: string
  updatedAt: string
}

export interface StoredIssue {
  number: number
  id: number
  title: string
  body: string | null
  state: 'open' | 'closed'
  stateReason: string | null
  labels: string[]
  user: StoredUser
  createdAt: string
  updatedAt: string
  closedAt: string | null
  pullRequest?: { headRef: string; headSha: string; baseRef: string; baseSha: string }
}

export interface StoredLabel {
  id: number
  name: string
  color: string
  description: string | null
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {}
  ) {
    super(message)
  }
}

function gitHash(type: string, body: Buffer): string {
  return createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest('hex')
}

function treeSortKey(item: TreeItem): string {
  return item.type === 'tree' ? `${item.name}/` : item.name
}

/** Entries in git's order, which a tree object keeps and GitHub lists them in. */
function gitOrder(entries: readonly TreeItem[]): TreeItem[] {
  return [...entries].sort((a, b) =>
    Buffer.compare(Buffer.from(treeSortKey(a)), Buffer.from(treeSortKey(b)))
  )
}

function encodeTree(entries: TreeItem[]): Buffer {
  return Buffer.concat(
    gitOrder(entries).flatMap((e) => [
      Buffer.from(`${e.mode.replace(/^0+/, '')} ${e.name}\0`),
      Buffer.from(e.sha, 'hex')
    ])
  )
}

function encodeSignature(role: string, s: Signature): string {
  return `${role} ${s.name} <${s.email}> ${Math.floor(Date.parse(s.date) / 1000)} +0000\n`
}

/** A tree being edited: directories as maps, files as leaves. */
type WorkTree = Map<string, { mode: string; type: 'blob' | 'commit'; sha: string } | WorkTree>

/** The repository behind the server, with hooks for tests to arrange and inspect it. */
export class FakeRepository {
  readonly objects = new Map<string, GitObject>()
  readonly refs = new Map<string, string>()
  readonly issues = new Map<number, StoredIssue>()
  readonly comments = new Map<number, StoredComment>()
  readonly labels = new Map<string, StoredLabel>()
  private readonly users = new Map<string, StoredUser>()
  private nextIssueNumber = 1
  private nextCommentId = 1_000_000_001
  private nextId = 5_000_001

  constructor(
    readonly owner: string,
    readonly repo: string,
    readonly defaultBranch: string,
    readonly now: () => Date
  ) {}

  timestamp(): string {
    return this.now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z')
  }

  user(login: string, type: 'User' | 'Bot' = login.endsWith('[bot]') ? 'Bot' : 'User') {
    const key = login.toLowerCase()
    let user = this.users.get(key)
    if (!user) {
      user = { login, id: this.nextId++, type }
      this.users.set(key, user)
    }
    return user
  }

  newId(): number {
    return this.nextId++
  }

  get isEmpty(): boolean {
    return this.refs.size === 0
  }

  // --- git objects ---

  putBlob(data: Buffer): string {
    const sha = gitHash('blob', data)
    this.objects.set(sha, { type: 'blob', data })
    return sha
  }

  putTree(entries: TreeItem[]): string {
    const sha = gitHash('tree', encodeTree(entries))
    this.objects.set(sha, { type: 'tree', entries: gitOrder(entries) })
    return sha
  }

  putCommit(commit: {
    tree: string
    parents: string[]
    message: string
    author: Signature
    committer: Signature
  }): string {
    const text =
      `tree ${commit.tree}\n` +
      commit.parents.map((p) => `parent ${p}\n`).join('') +
      encodeSignature('author', commit.author) +
      encodeSignature('committer', commit.committer) +
      `\n${commit.message}`
    const sha = gitHash('commit', Buffer.from(text))
    this.objects.set(sha, { type: 'commit', ...commit })
    return sha
  }

  object<T extends GitObject['type']>(
    sha: string,
    type: T
  ): Extract<GitObject, { type: T }> | undefined {
    const found = this.objects.get(sha)
    return found?.type === type ? (found as Extract<GitObject, { type: T }>) : undefined
  }

  /** Loads a tree into an editable form. */
  workTree(treeSha: string | undefined): WorkTree {
    const work: WorkTree = new Map()
    if (!treeSha) return work
    const tree = this.object(treeSha, 'tree')
    if (!tree) throw new HttpError(422, 'Invalid tree info', { errors: [] })
    for (const entry of tree.entries) {
      work.set(
        entry.name,
        entry.type === 'tree'
          ? this.workTree(entry.sha)
          : { mode: entry.mode, type: entry.type, sha: entry.sha }
      )
    }
    return work
  }

  /** Writes an edited tree back as tree objects; an emptied directory disappears, as in git. */
  writeTree(work: WorkTree): string | undefined {
    const entries: TreeItem[] = []
    for (const [name, node] of work) {
      if (node instanceof Map) {
        const sha = this.writeTree(node)
        if (sha) entries.push({ name, mode: '040000', type: 'tree', sha })
      } else {
        entries.push({ name, ...node })
      }
    }
    return entries.length === 0 ? undefined : this.putTree(entries)
  }

  /** Every file of a tree, by full path. */
  flatten(treeSha: string, prefix = ''): Map<string, TreeItem & { path: string }> {
    const files = new Map<string, TreeItem & { path: string }>()
    for (const entry of this.object(treeSha, 'tree')?.entries ?? []) {
      const path = prefix + entry.name
      if (entry.type === 'tree') {
        for (const [p, e] of this.flatten(entry.sha, `${path}/`)) files.set(p, e)
      } else {
        files.set(path, { ...entry, path })
      }
    }
    return files
  }

  /** Resolves a branch name, a full ref, or a (possibly abbreviated) commit SHA. */
  resolveCommit(ref: string): string | undefined {
    const direct =
      this.refs.get(ref) ?? this.refs.get(`refs/heads/${ref}`) ?? this.refs.get(`refs/tags/${ref}`)
    if (direct) return direct
    if (/^[0-9a-f]{7,40}$/.test(ref)) {
      for (const [sha, object] of this.objects) {
        if (object.type === 'commit' && sha.startsWith(ref)) return sha
      }
    }
    return undefined
  }

  /** Every commit reachable from `sha`, itself included. */
  ancestors(sha: string): Set<string> {
    const seen = new Set<string>()
    const queue = [sha]
    while (queue.length > 0) {
      const next = queue.shift() as string
      if (seen.has(next)) continue
      seen.add(next)
      queue.push(...(this.object(next, 'commit')?.parents ?? []))
    }
    return seen
  }

  /** The best common ancestor: common to both and not an ancestor of another common one. */
  mergeBase(a: string, b: string): string | undefined {
    const ofB = this.ancestors(b)
    const common = [...this.ancestors(a)].filter((sha) => ofB.has(sha))
    const best = common.filter(
      (candidate) =>
        !common.some((other) => other !== candidate && this.ancestors(other).has(candidate))
    )
    return best[0]
  }

  signature(login: string): Signature {
    const user = this.user(login)
    return {
      name: login,
      email: `${user.id}+${login}@users.noreply.github.com`,
      date: this.timestamp()
    }
  }

  // --- test hooks ---

  /**
   * Commits `files` (null deletes) onto `branch`'s tip — or as an orphan — and moves the branch,
   * as a push by someone else would. Returns the new commit's SHA.
   */
  commit(
    options: {
      branch?: string
      files?: Record<string, string | Buffer | null>
      message?: string
      parents?: string[]
      orphan?: boolean
      author?: string
    } = {}
  ): string {
    const branch = options.branch ?? this.defaultBranch
    const tip = this.refs.get(`refs/heads/${branch}`)
    const parents = options.parents ?? (options.orphan || !tip ? [] : [tip])
    const baseTree = parents[0] ? this.object(parents[0], 'commit')?.tree : undefined
    const work = this.workTree(baseTree)
    for (const [path, content] of Object.entries(options.files ?? { 'README.md': 'hello\n' })) {
      applyToWorkTree(
        work,
        path,
        content === null
          ? null
          : { mode: '100644', type: 'blob', sha: this.putBlob(Buffer.from(content)) }
      )
    }
    const tree = this.writeTree(work) ?? this.putTree([])
    const signature = this.signature(options.author ?? USER_LOGIN)
    const sha = this.putCommit({
      tree,
      parents,
      message: options.message ?? `commit ${this.objects.size}`,
      author: signature,
      committer: signature
    })
    this.refs.set(`refs/heads/${branch}`, sha)
    return sha
  }

  /** `count` commits on `branch`, oldest first. */
  linearHistory(count: number, branch = this.defaultBranch): string[] {
    return Array.from({ length: count }, (_, i) =>
      this.commit({ branch, files: { [`file-${i}.txt`]: `${branch} ${i}\n` } })
    )
  }

  branchTip(branch: string): string | undefined {
    return this.refs.get(`refs/heads/${branch}`)
  }

  /** The file at `path` on `branch`, or undefined. */
  readFile(branch: string, path: string): Buffer | undefined {
    const tip = this.branchTip(branch)
    const tree = tip ? this.object(tip, 'commit')?.tree : undefined
    const entry = tree ? this.flatten(tree).get(path) : undefined
    return entry ? this.object(entry.sha, 'blob')?.data : undefined
  }

  listFiles(branch: string): string[] {
    const tip = this.branchTip(branch)
    const tree = tip ? this.object(tip, 'commit')?.tree : undefined
    return tree ? [...this.flatten(tree).keys()].sort() : []
  }

  /** Commits reachable from `branch`, newest first along first parents. */
  firstParents(branch: string): string[] {
    const shas: string[] = []
    let next = this.branchTip(branch)
    while (next) {
      shas.push(next)
      next = this.object(next, 'commit')?.parents[0]
    }
    return shas
  }

  addIssue(options: {
    title: string
    body?: string | null
    labels?: string[]
    state?: 'open' | 'closed'
    author?: string
  }): StoredIssue {
    const now = this.timestamp()
    for (const name of options.labels ?? []) this.ensureLabel(name)
    const issue: StoredIssue = {
      number: this.nextIssueNumber++,
      id: this.newId(),
      title: options.title,
      body: options.body ?? null,
      state: options.state ?? 'open',
      stateReason: options.state === 'closed' ? 'completed' : null,
      labels: options.labels ?? [],
      user: this.user(options.author ?? USER_LOGIN),
      createdAt: now,
      updatedAt: now,
      closedAt: options.state === 'closed' ? now : null
    }
    this.issues.set(issue.number, issue)
    return issue
  }

  /** A pull request from `headBranch` into `baseBranch` (both must exist). */
  addPullRequest(options: {
    headBranch: string
    baseBranch?: string
    title?: string
    author?: string
  }): StoredIssue {
    const baseRef = options.baseBranch ?? this.defaultBranch
    const headSha = this.branchTip(options.headBranch)
    const baseSha = this.branchTip(baseRef)
    if (!headSha || !baseSha) throw new Error('addPullRequest: both branches must exist')
    const issue = this.addIssue({
      title: options.title ?? `Change ${options.headBranch}`,
      body: '',
      author: options.author
    })
    issue.pullRequest = { headRef: options.headBranch, headSha, baseRef, baseSha }
    return issue
  }

  /** A comment as someone wrote it (no API call, no client involved). */
  addComment(issueNumber: number, body: string, author: string): StoredComment {
    if (!this.issues.has(issueNumber)) throw new Error(`no issue #${issueNumber}`)
    const now = this.timestamp()
    const comment: StoredComment = {
      id: this.nextCommentId++,
      issueNumber,
      body,
      user: this.user(author),
      createdAt: now,
      updatedAt: now
    }
    this.comments.set(comment.id, comment)
    return comment
  }

  /** Deletes a comment behind the client's back. */
  deleteComment(id: number): void {
    this.comments.delete(id)
  }

  commentsOn(issueNumber: number): StoredComment[] {
    return [...this.comments.values()]
      .filter((c) => c.issueNumber === issueNumber)
      .sort((a, b) => a.id - b.id)
  }

  ensureLabel(name: string, color = 'ededed', description: string | null = null): StoredLabel {
    const key = name.toLowerCase()
    let label = this.labels.get(key)
    if (!label) {
      label = { id: this.newId(), name, color, description }
      this.labels.set(key, label)
    }
    return label
  }
}

function applyToWorkTree(
  work: WorkTree,
  path: string,
  leaf: { mode: string; type: 'blob' | 'commit'; sha: string } | WorkTree | null
): void {
  const parts = path.split('/')
  if (parts.some((part) => part === '' || part === '.' || part === '..')) {
    throw new HttpError(422, 'tree.path contains a malformed path component', {
      errors: [{ resource: 'Tree', field: 'path', code: 'invalid' }]
    })
  }
  let directory = work
  for (const part of parts.slice(0, -1)) {
    let next = directory.get(part)
    if (!(next instanceof Map)) {
      if (leaf === null) throw badDeletion(path)
      next = new Map()
      directory.set(part, next)
    }
    directory = next
  }
  const name = parts[parts.length - 1] as string
  if (leaf === null) {
    if (!directory.has(name)) throw badDeletion(path)
    directory.delete(name)
  } else {
    directory.set(name, leaf)
  }
}

/**
 * Deleting a path the base tree does not have is refused: GitHub's behaviour here is not
 * documented, so the double takes the strict reading and a client must only delete what exists.
 */
function badDeletion(path: string): HttpError {
  return new HttpError(422, `GitRPC::BadObjectState: path ${path} does not exist in base_tree`)
}

// ---------------------------------------------------------------------------------------------
// The server.

interface RequestContext {
  params: Record<string, string>
  query: URLSearchParams
  body: Record<string, unknown>
  identity: TokenIdentity
  operation: OpenApiOperation
}

interface Reply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

type Handler = (context: RequestContext) => Reply | Promise<Reply>

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => (text += chunk))
    request.on('end', () => resolve(text))
    request.on('error', reject)
  })
}

function wrapBase64(data: Buffer): string {
  const text = data.toString('base64')
  return (text.match(/.{1,60}/g) ?? []).join('\n') + '\n'
}

export async function startGitHubServer(options: GitHubServerOptions = {}): Promise<GitHubServer> {
  loadSpec()
  const owner = options.owner ?? 'octo-org'
  const repo = options.repo ?? 'evalgate-demo'
  const state = new FakeRepository(
    owner,
    repo,
    options.defaultBranch ?? 'main',
    options.now ?? (() => new Date())
  )
  if (!options.empty) state.commit({ message: 'Initial commit' })

  const tokens = new Map<string, TokenIdentity>([
    [USER_TOKEN, { login: USER_LOGIN, type: 'User', installation: false }],
    [OTHER_USER_TOKEN, { login: OTHER_USER_LOGIN, type: 'User', installation: false }],
    [ACTIONS_TOKEN, { login: ACTIONS_BOT_LOGIN, type: 'Bot', installation: true }],
    [READ_ONLY_TOKEN, { login: ACTIONS_BOT_LOGIN, type: 'Bot', installation: true, readOnly: true }]
  ])
  const requests: RecordedRequest[] = []
  const violations: Violation[] = []
  const scriptedFaults: { operationId: string; reply: FaultReply; remaining: number }[] = []
  const hooks: {
    operationId: string
    hook: (request: RecordedRequest) => Promise<void> | void
    remaining: number
  }[] = []
  const tampering: {
    operationId: string
    change: (body: unknown) => unknown
    remaining: number
  }[] = []
  let rateRemaining = 5000
  let apiUrl = ''
  const repoPath = () => `${apiUrl}/repos/${owner}/${repo}`
  const htmlRepo = `https://github.com/${owner}/${repo}`

  // --- JSON builders (shapes checked against the response schemas on every answer) ---

  const userJson = (user: StoredUser) => {
    const url = `${apiUrl}/users/${encodeURIComponent(user.login)}`
    return {
      login: user.login,
      id: user.id,
      node_id: `U_${user.id}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
      gravatar_id: '',
      url,
      html_url: `https://github.com/${encodeURIComponent(user.login)}`,
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type: user.type,
      user_view_type: 'public',
      site_admin: false
    }
  }

  const labelJson = (label: StoredLabel) => ({
    id: label.id,
    node_id: `LA_${label.id}`,
    url: `${repoPath()}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    description: label.description,
    color: label.color,
    default: false
  })

  const reactions = (url: string) => ({
    url: `${url}/reactions`,
    total_count: 0,
    '+1': 0,
    '-1': 0,
    laugh: 0,
    hooray: 0,
    confused: 0,
    heart: 0,
    rocket: 0,
    eyes: 0
  })

  const issueHtml = (issue: StoredIssue) =>
    `${htmlRepo}/${issue.pullRequest ? 'pull' : 'issues'}/${issue.number}`

  const commentJson = (comment: StoredComment) => {
    const issue = state.issues.get(comment.issueNumber)
    const url = `${repoPath()}/issues/comments/${comment.id}`
    return {
      id: comment.id,
      node_id: `IC_${comment.id}`,
      url,
      html_url: `${issue ? issueHtml(issue) : htmlRepo}#issuecomment-${comment.id}`,
      body: comment.body,
      user: userJson(comment.user),
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      issue_url: `${repoPath()}/issues/${comment.issueNumber}`,
      author_association: comment.user.type === 'Bot' ? 'NONE' : 'MEMBER',
      performed_via_github_app: null,
      reactions: reactions(url)
    }
  }

  const issueJson = (issue: StoredIssue) => {
    const url = `${repoPath()}/issues/${issue.number}`
    return {
      id: issue.id,
      node_id: `I_${issue.id}`,
      url,
      repository_url: repoPath(),
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: issueHtml(issue),
      number: issue.number,
      state: issue.state,
      state_reason: issue.stateReason,
      title: issue.title,
      body: issue.body,
      user: userJson(issue.user),
      labels: issue.labels.map((name) => labelJson(state.ensureLabel(name))),
      assignee: null,
      assignees: [],
      milestone: null,
      locked: false,
      active_lock_reason: null,
      comments: state.commentsOn(issue.number).length,
      ...(issue.pullRequest
        ? {
            pull_request: {
              url: `${repoPath()}/pulls/${issue.number}`,
              html_url: issueHtml(issue),
              diff_url: `${issueHtml(issue)}.diff`,
              patch_url: `${issueHtml(issue)}.patch`,
              merged_at: null
            }
          }
        : {}),
      closed_at: issue.closedAt,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      timeline_url: `${url}/timeline`,
      author_association: 'MEMBER',
      reactions: reactions(url)
    }
  }

  const refJson = (ref: string, sha: string) => ({
    ref,
    node_id: `REF_${Buffer.from(ref).toString('base64')}`,
    url: `${repoPath()}/git/${ref}`,
    object: { type: 'commit', sha, url: `${repoPath()}/git/commits/${sha}` }
  })

  const unverified = {
    verified: false,
    reason: 'unsigned',
    signature: null,
    payload: null,
    verified_at: null
  }

  const gitCommitJson = (sha: string) => {
    const commit = state.object(sha, 'commit')
    if (!commit) throw new HttpError(404, 'Not Found')
    return {
      sha,
      node_id: `C_${sha}`,
      url: `${repoPath()}/git/commits/${sha}`,
      html_url: `${htmlRepo}/commit/${sha}`,
      author: commit.author,
      committer: commit.committer,
      tree: { sha: commit.tree, url: `${repoPath()}/git/trees/${commit.tree}` },
      message: commit.message,
      parents: commit.parents.map((p) => ({
        sha: p,
        url: `${repoPath()}/git/commits/${p}`,
        html_url: `${htmlRepo}/commit/${p}`
      })),
      verification: unverified
    }
  }

  const diffEntries = (sha: string) => {
    const commit = state.object(sha, 'commit')
    const parentTree = commit?.parents[0]
      ? state.object(commit.parents[0], 'commit')?.tree
      : undefined
    const before = parentTree ? state.flatten(parentTree) : new Map<string, TreeItem>()
    const after = commit ? state.flatten(commit.tree) : new Map<string, TreeItem>()
    const paths = [...new Set([...before.keys(), ...after.keys()])].sort()
    return paths.flatMap((path) => {
      const old = before.get(path)
      const now = after.get(path)
      if (old?.sha === now?.sha) return []
      const status = !old ? 'added' : !now ? 'removed' : 'modified'
      return [
        {
          sha: now?.sha ?? null,
          filename: path,
          status,
          additions: 0,
          deletions: 0,
          changes: 0,
          blob_url: `${htmlRepo}/blob/${sha}/${path}`,
          raw_url: `${htmlRepo}/raw/${sha}/${path}`,
          contents_url: `${repoPath()}/contents/${path}?ref=${sha}`
        }
      ]
    })
  }

  const repoCommitJson = (sha: string, withFiles: boolean) => {
    const commit = state.object(sha, 'commit')
    if (!commit) throw new HttpError(404, 'Not Found')
    const files = withFiles ? diffEntries(sha) : undefined
    return {
      url: `${repoPath()}/commits/${sha}`,
      sha,
      node_id: `C_${sha}`,
      html_url: `${htmlRepo}/commit/${sha}`,
      comments_url: `${repoPath()}/commits/${sha}/comments`,
      commit: {
        url: `${repoPath()}/git/commits/${sha}`,
        author: commit.author,
        committer: commit.committer,
        message: commit.message,
        comment_count: 0,
        tree: { sha: commit.tree, url: `${repoPath()}/git/trees/${commit.tree}` },
        verification: unverified
      },
      // GitHub answers null when a commit's e-mail belongs to no account.
      author: null,
      committer: null,
      parents: commit.parents.map((p) => ({
        sha: p,
        url: `${repoPath()}/commits/${p}`,
        html_url: `${htmlRepo}/commit/${p}`
      })),
      ...(files ? { files, stats: { additions: 0, deletions: 0, total: 0 } } : {})
    }
  }

  const treeJson = (sha: string, recursive: boolean) => {
    const tree = state.object(sha, 'tree')
    if (!tree) throw new HttpError(404, 'Not Found')
    const entryJson = (entry: TreeItem, path: string) => {
      const blob = entry.type === 'blob' ? state.object(entry.sha, 'blob') : undefined
      return {
        path,
        mode: entry.mode,
        type: entry.type,
        sha: entry.sha,
        ...(blob ? { size: blob.data.length } : {}),
        url: `${repoPath()}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`
      }
    }
    const walk = (treeSha: string, prefix: string): ReturnType<typeof entryJson>[] =>
      (state.object(treeSha, 'tree')?.entries ?? []).flatMap((entry) => [
        entryJson(entry, prefix + entry.name),
        ...(recursive && entry.type === 'tree' ? walk(entry.sha, `${prefix}${entry.name}/`) : [])
      ])
    return { sha, url: `${repoPath()}/git/trees/${sha}`, tree: walk(sha, ''), truncated: false }
  }

  /** Built from the spec's own example (a full repository object twice over), then made ours. */
  const pullJson = (issue: StoredIssue) => {
    const pr = issue.pullRequest
    if (!pr) throw new HttpError(404, 'Not Found')
    const example = exampleOf('pulls/get', '200')
    const ownerUser = state.user(owner)
    const repoJson = {
      ...(example['base'] as { repo: Record<string, unknown> }).repo,
      id: 1296269,
      node_id: 'R_evalgate',
      name: repo,
      full_name: `${owner}/${repo}`,
      owner: userJson(ownerUser),
      html_url: htmlRepo,
      url: repoPath(),
      default_branch: state.defaultBranch
    }
    const side = (ref: string, sha: string) => ({
      label: `${owner}:${ref}`,
      ref,
      sha,
      user: userJson(ownerUser),
      repo: repoJson
    })
    const url = `${repoPath()}/pulls/${issue.number}`
    // As on GitHub, an open pull request's head follows its branch.
    const headSha =
      issue.state === 'open' ? (state.branchTip(pr.headRef) ?? pr.headSha) : pr.headSha
    const mergeBase = state.mergeBase(pr.baseSha, headSha)
    return {
      ...example,
      url,
      id: issue.id,
      node_id: `PR_${issue.id}`,
      html_url: issueHtml(issue),
      diff_url: `${issueHtml(issue)}.diff`,
      patch_url: `${issueHtml(issue)}.patch`,
      issue_url: `${repoPath()}/issues/${issue.number}`,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      review_comment_url: `${repoPath()}/pulls/comments{/number}`,
      comments_url: `${repoPath()}/issues/${issue.number}/comments`,
      statuses_url: `${repoPath()}/statuses/${headSha}`,
      number: issue.number,
      state: issue.state,
      locked: false,
      title: issue.title,
      body: issue.body,
      user: userJson(issue.user),
      labels: issue.labels.map((name) => labelJson(state.ensureLabel(name))),
      milestone: null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
      merged_at: null,
      merge_commit_sha: mergeBase ?? null,
      head: side(pr.headRef, headSha),
      base: side(pr.baseRef, pr.baseSha),
      merged: false,
      merged_by: null,
      auto_merge: null,
      active_lock_reason: null
    }
  }

  // --- helpers for handlers ---

  const intParam = (context: RequestContext, name: string): number => Number(context.params[name])

  const issueOr404 = (number: number): StoredIssue => {
    const issue = state.issues.get(number)
    if (!issue) throw new HttpError(404, 'Not Found')
    return issue
  }

  const commentOr404 = (id: number): StoredComment => {
    const comment = state.comments.get(id)
    if (!comment) throw new HttpError(404, 'Not Found')
    return comment
  }

  const requireGitDatabase = () => {
    if (state.isEmpty) throw new HttpError(409, 'Git Repository is empty.')
  }

  const tooLong = (resource: string, body: unknown) => {
    if (typeof body === 'string' && body.length > 65536) {
      throw new HttpError(422, 'Validation Failed', {
        errors: [
          {
            resource,
            code: 'custom',
            field: 'body',
            message: 'body is too long (maximum is 65536 characters)'
          }
        ]
      })
    }
  }

  /** A page of `items` with GitHub's `Link` header (prev, next, last, first as they apply). */
  const paged = <T>(context: RequestContext, path: string, items: T[]): Reply => {
    const perPage = Math.min(100, Math.max(1, Number(context.query.get('per_page') ?? 30)))
    const page = Math.max(1, Number(context.query.get('page') ?? 1))
    const lastPage = Math.max(1, Math.ceil(items.length / perPage))
    const link = (n: number, rel: string) => {
      const query = new URLSearchParams(context.query)
      query.set('per_page', String(perPage))
      query.set('page', String(n))
      return `<${apiUrl}${path}?${query.toString()}>; rel="${rel}"`
    }
    const links = [
      ...(page > 1 ? [link(page - 1, 'prev')] : []),
      ...(page < lastPage ? [link(page + 1, 'next'), link(lastPage, 'last')] : []),
      ...(page > 1 ? [link(1, 'first')] : [])
    ]
    return {
      status: 200,
      body: items.slice((page - 1) * perPage, page * perPage),
      headers: links.length > 0 ? { link: links.join(', ') } : {}
    }
  }

  const labelNames = (labels: unknown): string[] =>
    (Array.isArray(labels) ? labels : []).map((l: unknown) =>
      typeof l === 'string' ? l : String((l as { name?: unknown }).name ?? '')
    )

  // --- operations ---

  const handlers: Record<string, Handler> = {
    'users/get-authenticated': ({ identity }) => {
      if (identity.installation) {
        throw new HttpError(403, 'Resource not accessible by integration')
      }
      const user = state.user(identity.login, identity.type)
      const now = state.timestamp()
      return {
        status: 200,
        body: {
          ...userJson(user),
          name: identity.login,
          company: null,
          blog: '',
          location: null,
          email: null,
          hireable: null,
          bio: null,
          twitter_username: null,
          public_repos: 1,
          public_gists: 0,
          followers: 0,
          following: 0,
          created_at: now,
          updated_at: now,
          private_gists: 0,
          total_private_repos: 0,
          owned_private_repos: 0,
          disk_usage: 0,
          collaborators: 0,
          two_factor_authentication: true
        }
      }
    },

    'issues/list-comments': (context) => {
      const number = intParam(context, 'issue_number')
      issueOr404(number)
      return paged(
        context,
        `/repos/${owner}/${repo}/issues/${number}/comments`,
        state.commentsOn(number).map(commentJson)
      )
    },

    'issues/create-comment': (context) => {
      const number = intParam(context, 'issue_number')
      issueOr404(number)
      tooLong('IssueComment', context.body['body'])
      const comment = state.addComment(number, String(context.body['body']), context.identity.login)
      return {
        status: 201,
        body: commentJson(comment),
        headers: { location: `${repoPath()}/issues/comments/${comment.id}` }
      }
    },

    'issues/get-comment': (context) => ({
      status: 200,
      body: commentJson(commentOr404(intParam(context, 'comment_id')))
    }),

    'issues/update-comment': (context) => {
      const comment = commentOr404(intParam(context, 'comment_id'))
      tooLong('IssueComment', context.body['body'])
      comment.body = String(context.body['body'])
      comment.updatedAt = state.timestamp()
      return { status: 200, body: commentJson(comment) }
    },

    'issues/delete-comment': (context) => {
      const comment = commentOr404(intParam(context, 'comment_id'))
      state.deleteComment(comment.id)
      return { status: 204 }
    },

    'issues/list-for-repo': (context) => {
      const stateFilter = context.query.get('state') ?? 'open'
      const wanted = (context.query.get('labels') ?? '')
        .split(',')
        .map((l) => l.trim().toLowerCase())
        .filter(Boolean)
      const creator = context.query.get('creator')?.toLowerCase()
      const sort = context.query.get('sort') ?? 'created'
      const direction = context.query.get('direction') ?? 'desc'
      const key = (issue: StoredIssue) =>
        sort === 'updated' ? issue.updatedAt : sort === 'comments' ? '' : issue.createdAt
      const issues = [...state.issues.values()]
        .filter((issue) => stateFilter === 'all' || issue.state === stateFilter)
        .filter((issue) =>
          wanted.every((name) => issue.labels.some((l) => l.toLowerCase() === name))
        )
        .filter((issue) => !creator || issue.user.login.toLowerCase() === creator)
        .sort((a, b) => {
          const order = key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.number - b.number
          return direction === 'asc' ? order : -order
        })
      return paged(context, `/repos/${owner}/${repo}/issues`, issues.map(issueJson))
    },

    'issues/create': (context) => {
      tooLong('Issue', context.body['body'])
      const issue = state.addIssue({
        title: String(context.body['title']),
        body: (context.body['body'] as string | undefined) ?? null,
        labels: labelNames(context.body['labels']),
        author: context.identity.login
      })
      return {
        status: 201,
        body: issueJson(issue),
        headers: { location: `${repoPath()}/issues/${issue.number}` }
      }
    },

    'issues/get': (context) => ({
      status: 200,
      body: issueJson(issueOr404(intParam(context, 'issue_number')))
    }),

    'issues/update': (context) => {
      const issue = issueOr404(intParam(context, 'issue_number'))
      const change = context.body
      tooLong('Issue', change['body'])
      if (typeof change['title'] === 'string') issue.title = change['title']
      if ('body' in change) issue.body = (change['body'] as string | null) ?? null
      if (Array.isArray(change['labels'])) {
        issue.labels = labelNames(change['labels'])
        for (const name of issue.labels) state.ensureLabel(name)
      }
      const nextState = change['state'] as 'open' | 'closed' | undefined
      if (nextState && nextState !== issue.state) {
        issue.state = nextState
        issue.closedAt = nextState === 'closed' ? state.timestamp() : null
        issue.stateReason =
          (change['state_reason'] as string | null | undefined) ??
          (nextState === 'closed' ? 'completed' : 'reopened')
      }
      issue.updatedAt = state.timestamp()
      return { status: 200, body: issueJson(issue) }
    },

    'issues/add-labels': (context) => {
      const issue = issueOr404(intParam(context, 'issue_number'))
      // GitHub creates a label it does not know yet, and keeps the issue's others.
      for (const name of labelNames(context.body['labels'])) {
        const label = state.ensureLabel(name)
        if (!issue.labels.some((l) => l.toLowerCase() === label.name.toLowerCase())) {
          issue.labels.push(label.name)
        }
      }
      issue.updatedAt = state.timestamp()
      return { status: 200, body: issue.labels.map((name) => labelJson(state.ensureLabel(name))) }
    },

    'issues/get-label': (context) => {
      const label = state.labels.get((context.params['name'] ?? '').toLowerCase())
      if (!label) throw new HttpError(404, 'Not Found')
      return { status: 200, body: labelJson(label) }
    },

    'issues/create-label': (context) => {
      const name = String(context.body['name'])
      if (state.labels.has(name.toLowerCase())) {
        throw new HttpError(422, 'Validation Failed', {
          errors: [{ resource: 'Label', code: 'already_exists', field: 'name' }]
        })
      }
      const color = (context.body['color'] as string | undefined) ?? 'ededed'
      if (!/^[0-9a-fA-F]{6}$/.test(color)) {
        throw new HttpError(422, 'Validation Failed', {
          errors: [{ resource: 'Label', code: 'invalid', field: 'color' }]
        })
      }
      const label = state.ensureLabel(
        name,
        color.toLowerCase(),
        (context.body['description'] as string | undefined) ?? null
      )
      return {
        status: 201,
        body: labelJson(label),
        headers: { location: `${repoPath()}/labels/${encodeURIComponent(name)}` }
      }
    },

    'git/create-blob': (context) => {
      requireGitDatabase()
      const encoding = (context.body['encoding'] as string | undefined) ?? 'utf-8'
      if (encoding !== 'utf-8' && encoding !== 'base64') {
        throw new HttpError(422, `encoding must be utf-8 or base64, not ${encoding}`)
      }
      const content = String(context.body['content'])
      const sha = state.putBlob(Buffer.from(content, encoding === 'base64' ? 'base64' : 'utf8'))
      const url = `${repoPath()}/git/blobs/${sha}`
      return { status: 201, body: { url, sha }, headers: { location: url } }
    },

    'git/get-blob': (context) => {
      const sha = context.params['file_sha'] ?? ''
      const blob = state.object(sha, 'blob')
      if (!blob) throw new HttpError(404, 'Not Found')
      return {
        status: 200,
        body: {
          sha,
          node_id: `B_${sha}`,
          size: blob.data.length,
          url: `${repoPath()}/git/blobs/${sha}`,
          content: wrapBase64(blob.data),
          encoding: 'base64'
        }
      }
    },

    'git/create-tree': (context) => {
      requireGitDatabase()
      const baseTree = context.body['base_tree'] as string | undefined
      if (baseTree !== undefined && !state.object(baseTree, 'tree')) {
        throw new HttpError(422, 'base_tree is not a valid tree oid')
      }
      const work = state.workTree(baseTree)
      const entries = context.body['tree'] as {
        path?: string
        mode?: string
        type?: 'blob' | 'tree' | 'commit'
        sha?: string | null
        content?: string
      }[]
      for (const entry of entries) {
        if (!entry.path || !entry.mode || !entry.type) {
          throw new HttpError(422, 'Must supply a valid tree.path, tree.mode and tree.type')
        }
        if (entry.sha === null) {
          applyToWorkTree(work, entry.path, null)
          continue
        }
        let sha = entry.sha
        if (sha === undefined) {
          if (entry.content === undefined || entry.type !== 'blob') {
            throw new HttpError(422, 'Must supply either tree.sha or tree.content')
          }
          sha = state.putBlob(Buffer.from(entry.content))
        }
        if (!state.object(sha, entry.type === 'commit' ? 'commit' : entry.type)) {
          throw new HttpError(422, `GitRPC::BadObjectState: ${sha} is not a ${entry.type}`)
        }
        applyToWorkTree(
          work,
          entry.path,
          entry.type === 'tree' ? state.workTree(sha) : { mode: entry.mode, type: entry.type, sha }
        )
      }
      const sha = state.writeTree(work) ?? state.putTree([])
      const url = `${repoPath()}/git/trees/${sha}`
      return { status: 201, body: treeJson(sha, false), headers: { location: url } }
    },

    'git/get-tree': (context) => {
      const recursive = context.query.has('recursive')
      const sha = context.params['tree_sha'] ?? ''
      const resolved = state.object(sha, 'tree')
        ? sha
        : state.object(state.resolveCommit(sha) ?? '', 'commit')?.tree
      if (!resolved) throw new HttpError(404, 'Not Found')
      return { status: 200, body: treeJson(resolved, recursive) }
    },

    'git/create-commit': (context) => {
      requireGitDatabase()
      const tree = String(context.body['tree'])
      if (!state.object(tree, 'tree')) throw new HttpError(422, 'Tree SHA does not exist')
      const parents = (context.body['parents'] as string[] | undefined) ?? []
      for (const parent of parents) {
        if (!state.object(parent, 'commit')) {
          throw new HttpError(422, 'Parent SHA does not exist or is not a commit object')
        }
      }
      const base = state.signature(context.identity.login)
      const person = (value: unknown): Signature => {
        const given = value as Partial<Signature> | undefined
        return given
          ? {
              name: given.name ?? base.name,
              email: given.email ?? base.email,
              date: given.date ?? base.date
            }
          : base
      }
      const author = person(context.body['author'])
      const sha = state.putCommit({
        tree,
        parents,
        message: String(context.body['message']),
        author,
        committer: context.body['committer'] ? person(context.body['committer']) : author
      })
      return {
        status: 201,
        body: gitCommitJson(sha),
        headers: { location: `${repoPath()}/git/commits/${sha}` }
      }
    },

    'git/get-commit': (context) => ({
      status: 200,
      body: gitCommitJson(context.params['commit_sha'] ?? '')
    }),

    'git/get-ref': (context) => {
      const ref = `refs/${context.params['ref'] ?? ''}`
      const sha = state.refs.get(ref)
      if (!sha) throw new HttpError(404, 'Not Found')
      return { status: 200, body: refJson(ref, sha) }
    },

    'git/create-ref': (context) => {
      const ref = String(context.body['ref'])
      const sha = String(context.body['sha'])
      if (!/^refs\/[^/]+\/.+/.test(ref)) {
        throw new HttpError(
          422,
          "Reference name must start with 'refs/' and have at least two slashes."
        )
      }
      if (state.refs.has(ref)) throw new HttpError(422, 'Reference already exists')
      if (!state.object(sha, 'commit')) throw new HttpError(422, 'Object does not exist')
      state.refs.set(ref, sha)
      return {
        status: 201,
        body: refJson(ref, sha),
        headers: { location: `${repoPath()}/git/${ref}` }
      }
    },

    'git/update-ref': (context) => {
      const ref = `refs/${context.params['ref'] ?? ''}`
      const sha = String(context.body['sha'])
      const current = state.refs.get(ref)
      if (!current) throw new HttpError(422, 'Reference does not exist')
      if (!state.object(sha, 'commit')) throw new HttpError(422, 'Object does not exist')
      if (context.body['force'] !== true && !state.ancestors(sha).has(current)) {
        throw new HttpError(422, 'Update is not a fast forward')
      }
      state.refs.set(ref, sha)
      return { status: 200, body: refJson(ref, sha) }
    },

    'repos/get-commit': (context) => {
      const ref = context.params['ref'] ?? ''
      const sha = state.resolveCommit(ref)
      if (!sha) throw new HttpError(422, `No commit found for SHA: ${ref}`)
      return { status: 200, body: repoCommitJson(sha, true) }
    },

    'repos/compare-commits-with-basehead': (context) => {
      const basehead = context.params['basehead'] ?? ''
      const [base, head] = basehead.split('...')
      return compare(base, head)
    },

    'repos/compare-commits': (context) => compare(context.params['base'], context.params['head']),

    'pulls/list': (context) => {
      // `head` is `owner:branch`; the pull requests of this double all come from this repository.
      const [headOwner, headBranch] = (context.query.get('head') ?? ':').split(':')
      const stateFilter = context.query.get('state') ?? 'open'
      // As GitHub: newest first by default, but oldest first when sorted by anything else.
      const sort = context.query.get('sort') ?? 'created'
      const direction = context.query.get('direction') ?? (sort === 'created' ? 'desc' : 'asc')
      const key = (issue: StoredIssue) => (sort === 'updated' ? issue.updatedAt : issue.createdAt)
      const pulls = [...state.issues.values()]
        .filter((issue) => issue.pullRequest)
        .filter((issue) => stateFilter === 'all' || issue.state === stateFilter)
        .filter(
          (issue) =>
            !context.query.get('head') ||
            (headOwner === owner && issue.pullRequest?.headRef === headBranch)
        )
        .sort((a, b) => {
          const order = key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.number - b.number
          return direction === 'asc' ? order : -order
        })
      return paged(context, `/repos/${owner}/${repo}/pulls`, pulls.map(pullJson))
    },

    'pulls/get': (context) => {
      const issue = state.issues.get(intParam(context, 'pull_number'))
      if (!issue?.pullRequest) throw new HttpError(404, 'Not Found')
      return { status: 200, body: pullJson(issue) }
    }
  }

  const compare = (baseRef: string | undefined, headRef: string | undefined): Reply => {
    const base = baseRef ? state.resolveCommit(baseRef) : undefined
    const head = headRef ? state.resolveCommit(headRef) : undefined
    if (!base || !head) throw new HttpError(404, 'Not Found')
    const mergeBase = state.mergeBase(base, head)
    if (!mergeBase) {
      throw new HttpError(404, `No common ancestor between ${baseRef} and ${headRef}.`)
    }
    const ofBase = state.ancestors(base)
    const ofHead = state.ancestors(head)
    const ahead = [...ofHead].filter((sha) => !ofBase.has(sha))
    const behind = [...ofBase].filter((sha) => !ofHead.has(sha))
    const status =
      ahead.length && behind.length
        ? 'diverged'
        : ahead.length
          ? 'ahead'
          : behind.length
            ? 'behind'
            : 'identical'
    const link = `${htmlRepo}/compare/${baseRef}...${headRef}`
    return {
      status: 200,
      body: {
        url: `${repoPath()}/compare/${baseRef}...${headRef}`,
        html_url: link,
        permalink_url: `${htmlRepo}/compare/${owner}:${base.slice(0, 7)}...${owner}:${head.slice(0, 7)}`,
        diff_url: `${link}.diff`,
        patch_url: `${link}.patch`,
        base_commit: repoCommitJson(base, false),
        merge_base_commit: repoCommitJson(mergeBase, false),
        status,
        ahead_by: ahead.length,
        behind_by: behind.length,
        total_commits: ahead.length,
        // Oldest first, as GitHub lists them.
        commits: ahead.reverse().map((sha) => repoCommitJson(sha, false)),
        files: []
      }
    }
  }

  // --- request pipeline ---

  const matchRoute = (
    method: string,
    pathname: string
  ): { route: Route; params: Record<string, string> } | { pathMatched: boolean } => {
    const parts = pathname.split('/').slice(1)
    let pathMatched = false
    const attempt = (route: Route, segments: string[]) => {
      const params: Record<string, string> = {}
      for (const [i, segment] of route.segments.entries()) {
        const match = segment.pattern.exec(segments[i] ?? '')
        if (!match) return undefined
        segment.names.forEach((name, k) => (params[name] = decodeURIComponent(match[k + 1] ?? '')))
      }
      return params
    }
    const candidates: { route: Route; params: Record<string, string> }[] = []
    for (const route of loadSpec().routes) {
      let segments = parts
      if (route.segments.length !== parts.length) {
        // A trailing parameter may hold slashes when the client did not encode them (refs).
        const last = route.segments[route.segments.length - 1]
        const greedy =
          last?.names.length === 1 && last.names[0] === 'ref' && last.pattern.source === '^(.+?)$'
        if (!greedy || parts.length < route.segments.length) continue
        const head = parts.slice(0, route.segments.length - 1)
        segments = [...head, parts.slice(route.segments.length - 1).join('%2F')]
      }
      const params = attempt(route, segments)
      if (!params) continue
      pathMatched = true
      if (route.method === method) candidates.push({ route, params })
    }
    // Exact segment counts before greedy ones; then the most literal template.
    const exact = candidates.find((c) => c.route.segments.length === parts.length)
    return exact ?? candidates[0] ?? { pathMatched }
  }

  const checkParameters = (
    operation: OpenApiOperation,
    params: Record<string, string>,
    query: URLSearchParams,
    violation: (against: Violation['against'], message: string) => void
  ): HttpError | undefined => {
    const declared = operation.parameters ?? []
    for (const parameter of declared) {
      if (parameter.in !== 'path' && parameter.in !== 'query') continue
      const raw =
        parameter.in === 'path' ? params[parameter.name] : (query.get(parameter.name) ?? undefined)
      if (raw === undefined) {
        if (parameter.required) {
          violation(parameter.in, `missing required ${parameter.in} parameter ${parameter.name}`)
          return parameter.in === 'path'
            ? new HttpError(404, 'Not Found')
            : new HttpError(422, `Invalid request.\n\n"${parameter.name}" wasn't supplied.`)
        }
        continue
      }
      const schema = parameter.schema ?? {}
      let value: unknown = raw
      if (schema['type'] === 'integer' || schema['type'] === 'number') {
        value = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw
      } else if (schema['type'] === 'boolean') {
        value = raw === 'true' ? true : raw === 'false' ? false : raw
      }
      const validate = validatorFor(
        `${operation.operationId}:param:${parameter.in}:${parameter.name}`,
        schema
      )
      if (!validate(value)) {
        const message = `${parameter.in} parameter ${parameter.name}=${JSON.stringify(raw)}: ${describeErrors(validate.errors)}`
        violation(parameter.in, message)
        return parameter.in === 'path'
          ? new HttpError(404, 'Not Found')
          : new HttpError(422, `Invalid request.\n\n${message}`)
      }
    }
    for (const name of new Set(query.keys())) {
      if (!declared.some((p) => p.in === 'query' && p.name === name)) {
        // GitHub ignores it silently: the caller's filter or paging never applies.
        violation('query', `unknown query parameter ${name} (GitHub would ignore it)`)
      }
    }
    return undefined
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET'
    const url = new URL(req.url ?? '/', apiUrl)
    const raw = await readBody(req)
    const recorded: RecordedRequest = {
      method,
      path: url.pathname + url.search,
      operationId: undefined,
      body: undefined,
      login: undefined
    }
    requests.push(recorded)
    const violation = (against: Violation['against'], message: string) =>
      violations.push({
        operationId: recorded.operationId,
        method,
        path: recorded.path,
        against,
        message
      })
    let operation: OpenApiOperation | undefined

    const send = (reply: Reply, validate: boolean) => {
      const headers: Record<string, string> = {
        'x-github-api-version-selected': '2022-11-28',
        'x-github-request-id': `EVALGATE:${requests.length}`,
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': String(rateRemaining),
        'x-ratelimit-reset': String(Math.floor(state.now().getTime() / 1000) + 3600),
        'x-ratelimit-used': String(5000 - rateRemaining),
        'x-ratelimit-resource': 'core',
        ...reply.headers
      }
      if (validate && operation) {
        const response = operation.responses[String(reply.status)]
        if (!response) {
          if (reply.status < 300) {
            violation('response', `status ${reply.status} is not a documented answer`)
          }
        } else {
          const schema = jsonSchemaOf(response.content)
          if (schema) {
            const check = validatorFor(`${operation.operationId}:response:${reply.status}`, schema)
            if (!check(reply.body)) {
              violation('response', `answer ${reply.status}: ${describeErrors(check.errors)}`)
            }
          } else if (reply.body !== undefined && reply.status < 300) {
            violation('response', `answer ${reply.status} should have no body`)
          }
        }
      }
      if (reply.body === undefined) {
        res.writeHead(reply.status, headers)
        res.end()
        return
      }
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...headers })
      res.end(JSON.stringify(reply.body))
    }

    const sendError = (error: HttpError, validate = true) =>
      send(
        {
          status: error.status,
          headers: error.headers,
          body: {
            message: error.message,
            ...error.extra,
            documentation_url: operation?.externalDocs?.url ?? 'https://docs.github.com/rest',
            status: String(error.status)
          }
        },
        validate
      )

    try {
      const authorization = req.headers.authorization ?? ''
      const token = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization)?.[1]
      const identity = token ? tokens.get(token) : undefined
      if (!identity) {
        return sendError(
          new HttpError(401, token ? 'Bad credentials' : 'Requires authentication'),
          false
        )
      }
      recorded.login = identity.login

      const matched = matchRoute(method, url.pathname)
      if (!('route' in matched)) {
        violation(
          'route',
          matched.pathMatched
            ? `${method} is not an operation of ${url.pathname}`
            : `no GitHub REST operation at ${method} ${url.pathname}`
        )
        return sendError(new HttpError(404, 'Not Found'), false)
      }
      operation = matched.route.operation
      recorded.operationId = operation.operationId
      const params = matched.params
      if (
        params['owner'] !== undefined &&
        (params['owner'].toLowerCase() !== owner.toLowerCase() ||
          params['repo']?.toLowerCase() !== repo.toLowerCase())
      ) {
        violation('route', `this server holds ${owner}/${repo} only`)
        return sendError(new HttpError(404, 'Not Found'))
      }

      const parameterError = checkParameters(operation, params, url.searchParams, violation)
      if (parameterError) return sendError(parameterError, false)

      let body: Record<string, unknown> = {}
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw) as Record<string, unknown>
        } catch {
          violation('request-body', 'body is not JSON')
          return sendError(new HttpError(400, 'Problems parsing JSON'), false)
        }
      }
      recorded.body = raw.length > 0 ? body : undefined
      const bodySchema = jsonSchemaOf(operation.requestBody?.content)
      if (bodySchema) {
        const validate = validatorFor(`${operation.operationId}:request`, bodySchema)
        if (raw.length === 0 && operation.requestBody?.required) {
          violation('request-body', 'the operation requires a JSON body')
        }
        if (!validate(body)) {
          violation('request-body', describeErrors(validate.errors))
          return sendError(
            new HttpError(422, `Invalid request.\n\n${githubWording(validate.errors)}`)
          )
        }
      } else if (raw.length > 0 && method !== 'GET') {
        violation('request-body', 'the operation takes no body')
      }

      const handler = handlers[operation.operationId]
      if (!handler) {
        violation('route', `${operation.operationId} is not implemented by the test server`)
        return sendError(new HttpError(501, 'Not implemented by the test server'), false)
      }

      for (const entry of hooks) {
        if (entry.operationId === operation.operationId && entry.remaining > 0) {
          entry.remaining--
          await entry.hook(recorded)
        }
      }
      const fault = scriptedFaults.find(
        (f) => f.operationId === operation?.operationId && f.remaining > 0
      )
      if (fault) {
        fault.remaining--
        const reply = fault.reply
        if (reply.page !== undefined) {
          res.writeHead(reply.status, {
            'content-type': 'text/html; charset=utf-8',
            ...reply.headers
          })
          res.end(reply.page)
          return
        }
        return sendError(
          new HttpError(reply.status, reply.message ?? 'Scripted failure', {}, reply.headers),
          // Scripted answers are GitHub's wording for statuses an operation may not document.
          false
        )
      }

      if (method !== 'GET' && identity.readOnly) {
        return sendError(new HttpError(403, 'Resource not accessible by integration'))
      }
      rateRemaining = Math.max(0, rateRemaining - 1)
      const reply = await handler({ params, query: url.searchParams, body, identity, operation })
      const tamper = tampering.find(
        (t) => t.operationId === operation?.operationId && t.remaining > 0
      )
      if (tamper) {
        tamper.remaining--
        reply.body = tamper.change(reply.body)
      }
      send(reply, true)
    } catch (error) {
      if (error instanceof HttpError) return sendError(error)
      violation('behaviour', `the test server failed: ${String(error)}`)
      sendError(new HttpError(500, 'Server Error'), false)
    }
  }

  const server = createServer((req, res) => {
    void handle(req, res)
  })
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: apiUrl,
    owner,
    repo,
    requests,
    violations,
    state,
    fault(operationId, reply, faultOptions = {}) {
      scriptedFaults.push({ operationId, reply, remaining: faultOptions.times ?? 1 })
    },
    before(operationId, hook, hookOptions = {}) {
      hooks.push({ operationId, hook, remaining: hookOptions.times ?? 1 })
    },
    tamper(operationId, change, tamperOptions = {}) {
      tampering.push({ operationId, change, remaining: tamperOptions.times ?? 1 })
    },
    addToken(token, identity) {
      tokens.set(token, identity)
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}
