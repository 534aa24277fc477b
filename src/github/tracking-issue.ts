/**
 * The tracking issue of scheduled runs: one issue, found by a hidden marker and a label, that is
 * opened when the checks start failing, updated while they keep failing (its body holds the latest
 * report, and each new night adds one comment), and closed with a comment when they pass again. A
 * later failure reopens the same issue, so the history of one problem stays in one place.
 *
 * A night whose only news is a changed model is "drifted": reported in the issue like a failure,
 * but its results became the new baseline, so the next night that matches them closes the issue
 * saying so, rather than as a recovery.
 */
import type { GitHubClient, Issue } from './client.js'
import { fitCommentBody } from './comment.js'
import { resolveTokenIdentity } from './identity.js'

export interface TrackingIssueOptions {
  /** A hidden HTML comment naming the workflow, e.g. `<!-- evalgate-tracking:nightly -->`. */
  marker: string
  label: string
  title: string
  /**
   * `failing`: the checks fail. `drifted`: only the model changed, and the night's results were
   * taken as the new baseline. `healthy`: neither.
   */
  state: 'failing' | 'drifted' | 'healthy'
  /** Failing or drifted: the issue body (the latest report). Healthy: the closing comment. */
  body: string
  /** Healthy, when the last night the issue reports had drifted: the closing comment instead. */
  afterDrift?: string
  /** Failing or drifted: the comment for a new night; defaults to `body`. */
  comment?: string
  /**
   * One comment per key while failing; defaults to the UTC date, so a rerun the same night
   * updates the body without adding a second comment.
   */
  runKey?: string
  /** The login the token writes as, when GitHub cannot tell (a GitHub App's `<slug>[bot]`). */
  author?: string
  labelColor?: string
  labelDescription?: string
  now?: () => Date
}

export interface TrackingIssueResult {
  action: 'opened' | 'reopened' | 'updated' | 'closed' | 'none'
  url?: string
}

/** The line under the run key of an issue whose last night had only drifted. */
const DRIFTED = '<!-- evalgate-drifted -->'

function runMarker(key: string): string {
  return `<!-- evalgate-run:${key.replace(/-{2,}|>/g, '_')} -->`
}

async function firstMarked(
  issues: AsyncIterable<Issue>,
  marker: string
): Promise<Issue | undefined> {
  for await (const issue of issues) {
    // The marker leads the body: one quoted inside a model's output does not count.
    if (!issue.isPullRequest && issue.body.startsWith(marker)) return issue
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

/**
 * The tracking issue in `state`, by its label; or, when someone deleted the label (which GitHub
 * then takes off the issue), among the issues the token's identity opened, labelled again.
 */
async function findIssue(
  client: GitHubClient,
  options: TrackingIssueOptions,
  state: Issue['state'],
  tokenLogin: () => Promise<string>
): Promise<Issue | undefined> {
  const labelled = await firstMarked(
    client.listIssues({ labels: [options.label], state }),
    options.marker
  )
  if (labelled) return labelled
  const own = await firstMarked(
    client.listIssues({ creator: await tokenLogin(), state }),
    options.marker
  )
  if (own) {
    await ensureLabel(client, options)
    await client.addLabels(own.number, [options.label])
  }
  return own
}

async function alreadyCommented(
  client: GitHubClient,
  issueNumber: number,
  marker: string
): Promise<boolean> {
  for await (const comment of client.listIssueComments(issueNumber, 'issue')) {
    if (comment.body.startsWith(marker)) return true
  }
  return false
}

export async function syncTrackingIssue(
  client: GitHubClient,
  options: TrackingIssueOptions
): Promise<TrackingIssueResult> {
  let login: Promise<string> | undefined
  const tokenLogin = () =>
    (login ??= resolveTokenIdentity(client, options.author).then((identity) => identity.login))
  const open = await findIssue(client, options, 'open', tokenLogin)

  if (options.state === 'healthy') {
    if (!open) return { action: 'none' }
    const drifted = open.body.split('\n', 3)[2] === DRIFTED
    const comment = drifted && options.afterDrift !== undefined ? options.afterDrift : options.body
    await client.createIssueComment(open.number, fitCommentBody(comment).body, 'issue')
    const closed = await client.updateIssue(open.number, {
      state: 'closed',
      stateReason: 'completed'
    })
    return { action: 'closed', url: closed.url }
  }

  const key = runMarker(
    options.runKey ?? (options.now ?? (() => new Date()))().toISOString().slice(0, 10)
  )
  const head = `${options.marker}\n${key}\n${options.state === 'drifted' ? `${DRIFTED}\n` : ''}`
  const body = fitCommentBody(`${head}${options.body}`).body
  const comment = fitCommentBody(`${key}\n${options.comment ?? options.body}`).body

  if (open) {
    const seen =
      open.body.startsWith(`${options.marker}\n${key}\n`) ||
      (await alreadyCommented(client, open.number, key))
    if (open.body !== body) await client.updateIssue(open.number, { body })
    if (!seen) await client.createIssueComment(open.number, comment, 'issue')
    return { action: 'updated', url: open.url }
  }

  const closed = await findIssue(client, options, 'closed', tokenLogin)
  if (closed) {
    const reopened = await client.updateIssue(closed.number, {
      state: 'open',
      stateReason: 'reopened',
      title: options.title,
      body
    })
    await client.createIssueComment(closed.number, comment, 'issue')
    return { action: 'reopened', url: reopened.url }
  }

  // The label is made only now, for an issue that needs it.
  await ensureLabel(client, options)
  const created = await client.createIssue({ title: options.title, body, labels: [options.label] })
  return { action: 'opened', url: created.url }
}
