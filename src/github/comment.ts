/**
 * The sticky PR comment: one per workflow, found by a hidden marker among the comments written by
 * the token's own identity, edited in place on every run, created again if someone deleted it.
 */
import { EvalgateError } from '../errors.js'
import { GitHubApiError } from './client.js'
import type { GitHubClient } from './client.js'
import { resolveTokenIdentity, sameLogin } from './identity.js'

/** GitHub refuses a comment or issue body longer than this (422 "body is too long"). */
export const COMMENT_LIMIT = 65_536

const TRUNCATION_NOTE =
  "\n\n> [!NOTE]\n> evalgate cut this comment to fit GitHub's 65,536-character limit; the full report is in the job summary and the results file."

/**
 * The hidden marker of one workflow's comment, e.g. `<!-- evalgate:CI -->`. Characters that
 * would end the HTML comment early (`--`, `>`) or break the line are replaced.
 */
export function stickyMarker(workflow: string): string {
  const safe = workflow
    .replace(/[\r\n]+/g, ' ')
    .replace(/-{2,}/g, '-')
    .replace(/>/g, '')
    .trim()
  return `<!-- evalgate:${safe || 'default'} -->`
}

function assertMarker(marker: string): void {
  if (!/^<!--[^]*-->$/.test(marker) || marker.slice(4, -3).includes('--')) {
    throw new EvalgateError(`a comment marker must be one hidden HTML comment, got ${marker}`)
  }
}

/**
 * Keeps `body` within `limit` characters (UTF-16 code units, which never undercount GitHub's
 * count). The report renderer already caps its output; this is the last line of defence: it cuts
 * at a line end, closes a code fence left open, never splits a surrogate pair, and says so.
 */
export function fitCommentBody(
  body: string,
  limit = COMMENT_LIMIT
): { body: string; truncated: boolean } {
  if (body.length <= limit) return { body, truncated: false }
  const closingFence = '\n```'
  let cut = Math.max(0, limit - TRUNCATION_NOTE.length - closingFence.length)
  const lastKept = body.charCodeAt(cut - 1)
  if (lastKept >= 0xd800 && lastKept <= 0xdbff) cut--
  let kept = body.slice(0, cut)
  const lineEnd = kept.lastIndexOf('\n')
  if (lineEnd > cut * 0.9) kept = kept.slice(0, lineEnd)
  const fences = kept.match(/^ {0,3}(```|~~~)/gm)?.length ?? 0
  if (fences % 2 === 1) kept += closingFence
  return { body: kept + TRUNCATION_NOTE, truncated: true }
}

export interface StickyCommentOptions {
  /** The PR (or issue) number. */
  issueNumber: number
  /** From `stickyMarker(workflowName)`; put first in the body when the body lacks it. */
  marker: string
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
}

export interface StickyCommentResult {
  url: string
  action: 'created' | 'updated'
  /** The body was cut to fit GitHub's limit. */
  truncated: boolean
}

/** The comment written, or undefined when there was none and `create` is false. */
export async function upsertStickyComment(
  client: GitHubClient,
  options: StickyCommentOptions
): Promise<StickyCommentResult | undefined> {
  assertMarker(options.marker)
  const author = options.author ?? (await resolveTokenIdentity(client)).login
  const composed = options.body.includes(options.marker)
    ? options.body
    : `${options.marker}\n${options.body}`
  const { body, truncated } = fitCommentBody(composed)

  for await (const comment of client.listIssueComments(options.issueNumber)) {
    if (!sameLogin(comment.author, author) || !comment.body.includes(options.marker)) continue
    if (comment.body === body) return { url: comment.url, action: 'updated', truncated }
    try {
      const updated = await client.updateIssueComment(comment.id, body)
      return { url: updated.url, action: 'updated', truncated }
    } catch (error) {
      // Deleted between listing and editing: fall through and write a new one.
      if (!(error instanceof GitHubApiError && error.kind === 'not-found')) throw error
      break
    }
  }
  if (options.create === false) return undefined
  const created = await client.createIssueComment(options.issueNumber, body)
  return { url: created.url, action: 'created', truncated }
}
