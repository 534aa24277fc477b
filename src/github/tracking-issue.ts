/**
 * The tracking issue of scheduled runs: one issue, found by a hidden marker and a label, that is
 * opened when the checks start failing, updated while they keep failing (its body holds the latest
 * report, and each new night adds one comment), and closed with a recovery comment when they pass
 * again. A later failure reopens the same issue, so the history of one problem stays in one place.
 */
import type { GitHubClient, Issue } from './client.js'
import { fitCommentBody } from './comment.js'

export interface TrackingIssueOptions {
  /** A hidden HTML comment naming the workflow, e.g. `<!-- evalgate-tracking:nightly -->`. */
  marker: string
  label: string
  title: string
  state: 'failing' | 'healthy'
  /** Failing: the issue body (the latest report). Healthy: the recovery comment. */
  body: string
  /** Failing: the comment for a new night; defaults to `body`. */
  comment?: string
  /**
   * One comment per key while failing; defaults to the UTC date, so a rerun the same night
   * updates the body without adding a second comment.
   */
  runKey?: string
  labelColor?: string
  labelDescription?: string
  now?: () => Date
}

export interface TrackingIssueResult {
  action: 'opened' | 'updated' | 'closed' | 'none'
  url?: string
}

function runMarker(key: string): string {
  return `<!-- evalgate-run:${key.replace(/-{2,}|>/g, '_')} -->`
}

async function findIssue(
  client: GitHubClient,
  options: TrackingIssueOptions,
  state: 'open' | 'closed'
): Promise<Issue | undefined> {
  for await (const issue of client.listIssues({ labels: [options.label], state })) {
    // The marker leads the body: one quoted inside a model's output does not count.
    if (!issue.isPullRequest && issue.body.startsWith(options.marker)) return issue
  }
  return undefined
}

async function ensureLabel(client: GitHubClient, options: TrackingIssueOptions): Promise<void> {
  if (await client.getLabel(options.label)) return
  await client.createLabel({
    name: options.label,
    color: options.labelColor ?? 'd93f0b',
    description: options.labelDescription ?? 'Opened and closed by evalgate on scheduled runs'
  })
}

async function alreadyCommented(
  client: GitHubClient,
  issueNumber: number,
  marker: string
): Promise<boolean> {
  for await (const comment of client.listIssueComments(issueNumber)) {
    if (comment.body.startsWith(marker)) return true
  }
  return false
}

export async function syncTrackingIssue(
  client: GitHubClient,
  options: TrackingIssueOptions
): Promise<TrackingIssueResult> {
  const open = await findIssue(client, options, 'open')

  if (options.state === 'healthy') {
    if (!open) return { action: 'none' }
    await client.createIssueComment(open.number, fitCommentBody(options.body).body)
    const closed = await client.updateIssue(open.number, {
      state: 'closed',
      stateReason: 'completed'
    })
    return { action: 'closed', url: closed.url }
  }

  const key = runMarker(
    options.runKey ?? (options.now ?? (() => new Date()))().toISOString().slice(0, 10)
  )
  const body = fitCommentBody(`${options.marker}\n${key}\n${options.body}`).body
  const comment = fitCommentBody(`${key}\n${options.comment ?? options.body}`).body
  await ensureLabel(client, options)

  if (open) {
    const seen =
      open.body.startsWith(`${options.marker}\n${key}\n`) ||
      (await alreadyCommented(client, open.number, key))
    if (open.body !== body) await client.updateIssue(open.number, { body })
    if (!seen) await client.createIssueComment(open.number, comment)
    return { action: 'updated', url: open.url }
  }

  const closed = await findIssue(client, options, 'closed')
  if (closed) {
    const reopened = await client.updateIssue(closed.number, {
      state: 'open',
      stateReason: 'reopened',
      title: options.title,
      body
    })
    await client.createIssueComment(closed.number, comment)
    return { action: 'opened', url: reopened.url }
  }

  const created = await client.createIssue({ title: options.title, body, labels: [options.label] })
  return { action: 'opened', url: created.url }
}
