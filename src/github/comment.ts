/**
 * The sticky PR comment: one per workflow, found by a hidden marker among the comments written by
 * the token's own identity, edited in place on every run, created again if someone deleted it.
 * Under the marker, a second hidden line may record the commit the report is of.
 */
import { EvalgateError } from '../errors.js'
import { GitHubApiError } from './client.js'
import type { GitHubClient, IssueComment } from './client.js'
import { resolveTokenIdentity, sameLogin } from './identity.js'
import { sliceWhole } from '../report/escape.js'
import { closingOf } from '../report/markdown-blocks.js'

/** GitHub refuses a comment or issue body longer than this (422 "body is too long"). */
export const COMMENT_LIMIT = 65_536

/** Where the full report of a run is, unless the caller says otherwise. */
const FULL_REPORT = 'the job summary and the results file'

function truncationNote(fullReport: string): string {
  return `\n\n> [!NOTE]\n> evalgate cut this comment to fit GitHub's 65,536-character limit; the full report is in ${fullReport}.`
}

/** `text` fit for a hidden HTML comment: what would end it early (`--`, `>`) or break the line goes. */
export function markerText(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/-{2,}/g, '-')
    .replace(/>/g, '')
    .trim()
}

/**
 * The hidden marker of one job's comment, e.g. `<!-- evalgate:CI#evals -->`: the workflow, then
 * the job (or the `comment-key` of a matrix leg), so two jobs of a workflow keep a comment each.
 * Without a key, the workflow's alone (`<!-- evalgate:CI -->`), as evalgate wrote it before.
 */
export function stickyMarker(workflow: string, key?: string): string {
  const name = markerText(workflow) || 'default'
  const job = key === undefined ? '' : markerText(key)
  return `<!-- evalgate:${name}${job ? `#${job}` : ''} -->`
}

/** The hidden line under the marker that records the commit a comment reports on. */
function commitLine(sha: string): string {
  return `<!-- evalgate:commit ${sha} -->`
}

/**
 * The commit a comment's report is of, from the line under its marker; undefined for a comment
 * that records none (an evalgate before it did, or a `report-from` job's).
 */
function reportedCommit(body: string): string | undefined {
  return /^<!--[^\n]*-->\n<!-- evalgate:commit ([0-9a-f]{40,64}) -->(?:\n|$)/.exec(body)?.[1]
}

function assertMarker(marker: string): void {
  if (!/^<!--[^]*-->$/.test(marker) || marker.slice(4, -3).includes('--')) {
    throw new EvalgateError(`a comment marker must be one hidden HTML comment, got ${marker}`)
  }
}

/**
 * Keeps `body` within `limit` characters (UTF-16 code units, which never undercount GitHub's
 * count). The report renderer already caps its output; this is the last line of defence: it cuts
 * at a line end, closes the code fence and `<details>` blocks left open, never splits a surrogate
 * pair, and says so.
 */
export function fitCommentBody(
  body: string,
  limit = COMMENT_LIMIT,
  fullReport = FULL_REPORT
): { body: string; truncated: boolean } {
  if (body.length <= limit) return { body, truncated: false }
  const note = truncationNote(fullReport)
  let cut = limit - note.length
  for (;;) {
    let kept = sliceWhole(body, Math.max(0, cut))
    const lineEnd = kept.lastIndexOf('\n')
    if (lineEnd > kept.length * 0.9) kept = kept.slice(0, lineEnd)
    const closing = closingOf(kept)
    const over = kept.length + closing.length + note.length - limit
    if (over <= 0 || kept.length === 0) {
      return { body: kept + closing + note, truncated: true }
    }
    cut = kept.length - over
  }
}

export interface StickyCommentOptions {
  /** The PR (or issue) number. */
  issueNumber: number
  /** From `stickyMarker(workflow, key)`; put first in the body when the body lacks it. */
  marker: string
  /**
   * The marker an earlier evalgate wrote for this comment (the workflow's alone): such a comment
   * is taken over when there is none with `marker`, rather than left beside a new one.
   */
  formerMarker?: string
  body: string
  /**
   * The login whose comments are evalgate's. Default: the token's identity — the PAT's user, or
   * `github-actions[bot]` for an installation token (see identity.ts); set it for a GitHub App.
   */
  author?: string
  /**
   * Write a new comment when there is none (default true). False only keeps an existing comment
   * current: `comment: on-regression` must not leave a stale regression report once fixed.
   */
  create?: boolean
  /** Where the full report is, said when the body is cut (default: the summary and results). */
  fullReport?: string
  /**
   * The commit the report is of, recorded under the marker for the runs that come after; and
   * whether the comment's report, of `reported` (another commit), is newer than this one: the
   * comment is then left as it is. A comment that records no commit is updated as ever.
   */
  commit?: { sha: string; reportsNewer: (reported: string) => Promise<boolean> }
}

export interface StickyCommentResult {
  url: string
  action: 'created' | 'updated'
  /** The body was cut to fit GitHub's limit. */
  truncated: boolean
  /**
   * Set when the comment just created is not by the login evalgate looks for (an App's token
   * without `comment-author`): the next run would not find it and write another.
   */
  unexpectedAuthor?: { expected: string; actual: string | undefined }
}

/** The comment left as it was: it reports `newerCommit`, newer than this report's `commit`. */
export interface StickyCommentLeft {
  url: string
  action: 'left'
  commit: string
  newerCommit: string
}

/**
 * The comment written, or left as it was when it reports a newer commit; undefined when there was
 * none and `create` is false.
 */
export async function upsertStickyComment(
  client: GitHubClient,
  options: StickyCommentOptions
): Promise<StickyCommentResult | StickyCommentLeft | undefined> {
  assertMarker(options.marker)
  const author = options.author ?? (await resolveTokenIdentity(client)).login
  // The marker leads the body: one quoted inside a model's output is not this workflow's.
  const report = options.body.startsWith(options.marker)
    ? options.body.slice(options.marker.length)
    : `\n${options.body}`
  const composed =
    options.marker +
    (options.commit === undefined ? '' : `\n${commitLine(options.commit.sha)}`) +
    report
  const { body, truncated } = fitCommentBody(composed, COMMENT_LIMIT, options.fullReport)

  const marked: IssueComment[] = []
  let former: IssueComment | undefined
  for await (const comment of client.listIssueComments(options.issueNumber, 'pull request')) {
    if (!sameLogin(comment.author, author)) continue
    if (comment.body.startsWith(options.marker)) marked.push(comment)
    else if (options.formerMarker && comment.body.startsWith(options.formerMarker))
      former ??= comment
  }
  // The oldest is kept: two runs that each found none wrote one each, and the newer would
  // otherwise never be updated again, showing a stale report beside the current one.
  const [kept, ...duplicates] = marked.length > 0 ? marked : former ? [former] : []
  const reported = kept === undefined ? undefined : reportedCommit(kept.body)
  if (
    kept &&
    options.commit &&
    reported !== undefined &&
    reported !== options.commit.sha &&
    (await options.commit.reportsNewer(reported))
  ) {
    return { url: kept.url, action: 'left', commit: options.commit.sha, newerCommit: reported }
  }
  for (const duplicate of duplicates) await client.deleteIssueComment(duplicate.id)
  if (kept?.body === body) return { url: kept.url, action: 'updated', truncated }
  if (kept) {
    try {
      const updated = await client.updateIssueComment(kept.id, body)
      return { url: updated.url, action: 'updated', truncated }
    } catch (error) {
      // Deleted between listing and editing: write a new one.
      if (!(error instanceof GitHubApiError && error.kind === 'not-found')) throw error
    }
  }
  if (options.create === false) return undefined
  const created = await client.createIssueComment(options.issueNumber, body, 'pull request')
  return {
    url: created.url,
    action: 'created',
    truncated,
    ...(sameLogin(created.author, author)
      ? {}
      : { unexpectedAuthor: { expected: author, actual: created.author } })
  }
}
