/**
 * The tracking issue of scheduled runs: one issue, found by a hidden marker and a label, that is
 * opened when the checks start failing, updated while they keep failing (its body holds the latest
 * report, and each new night adds one comment), and closed with a comment when they pass again. A
 * later failure reopens the same issue, so the history of one problem stays in one place.
 *
 * A night whose only news is a changed model is "drifted": reported in the issue like a failure,
 * but its results became the new baseline, so the next night that matches them closes the issue
 * saying so, rather than as a recovery.
 *
 * A night that fails nothing but does not pass either (inconclusive) shows no failure, so it opens
 * no issue, nor that the one reported is gone, so it closes none: an open issue gets its report.
 *
 * The body records the baseline its report compares with. A healthy night that compared with
 * another one (a push stored a newer baseline since, perhaps of the very failure reported) closes
 * the issue only when it passes against the recorded one too.
 */
import type { GitHubClient, Issue } from './client.js'
import { fitCommentBody, markerText } from './comment.js'
import { resolveTokenIdentity } from './identity.js'

/**
 * The hidden marker of a workflow's tracking issue, e.g. `<!-- evalgate-tracking:nightly -->`,
 * or `<!-- evalgate-tracking:nightly#gpt-4o -->` for a job with a `comment-key`, so the legs of
 * a matrix keep an issue each.
 */
export function trackingMarker(workflow: string, key?: string): string {
  const name = markerText(workflow) || 'default'
  const job = key === undefined ? '' : markerText(key)
  return `<!-- evalgate-tracking:${name}${job ? `#${job}` : ''} -->`
}

/**
 * The marker an earlier evalgate wrote for a workflow's issue, which dropped every character but
 * ASCII letters, digits, spaces, `.` and `-`; undefined when it is the same as trackingMarker's.
 */
export function formerTrackingMarker(workflow: string): string | undefined {
  const former = `<!-- evalgate-tracking:${workflow.replace(/[^\w .-]/g, '')} -->`
  return former === trackingMarker(workflow) ? undefined : former
}

/** How a healthy night fares against the baseline the open issue records (see `recheck`). */
export type Recheck =
  /** It passes there too: `body` is the closing comment. */
  | { state: 'healthy'; body: string }
  /** It fails there: the issue stays open, its body this report, its baseline the recorded one. */
  | { state: 'failing'; body: string; comment?: string }
  /** It is inconclusive there: the issue stays open, its body this report. */
  | { state: 'inconclusive'; body: string }
  /** That baseline cannot be read: the issue stays open, and `comment` says why. */
  | { state: 'unknown'; comment: string }

export interface TrackingIssueOptions {
  /** From trackingMarker: leads the body. */
  marker: string
  /**
   * The issue an earlier evalgate opened for the workflow, taken over when none has `marker`: its
   * body led by `former.marker` (formerTrackingMarker), its title `former.title`, as that evalgate
   * wrote them.
   */
  former?: { marker: string; title: string }
  label: string
  title: string
  /**
   * `failing`: the checks fail. `drifted`: only the model changed, and the night's results were
   * taken as the new baseline. `inconclusive`: nothing fails, but the comparison does not pass
   * either. `healthy`: it passes.
   */
  state: 'failing' | 'drifted' | 'inconclusive' | 'healthy'
  /** Failing, drifted or inconclusive: the issue body (the latest report). Healthy: the closing comment. */
  body: string
  /** Healthy, when the last night the issue reports had drifted: the closing comment instead. */
  afterDrift?: string
  /** Failing, drifted or inconclusive: the comment for a new night; defaults to `body`. */
  comment?: string
  /**
   * The SHA of the baseline the report compares with (a drifted night's own, once stored):
   * recorded in the body of a failing or drifted issue. An inconclusive night keeps the one the
   * open issue records: the failure reported there is not shown gone against it.
   */
  baseline?: string
  /**
   * Healthy, when the open issue records another baseline than `baseline`: how the night fares
   * against that one. Without it, or when the issue records none, the night closes the issue.
   */
  recheck?: (recorded: string) => Promise<Recheck>
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

function baselineMarker(sha: string): string {
  return `<!-- evalgate-baseline:${markerText(sha)} -->`
}

/** The hidden lines that lead an issue's body: its marker, run key, baseline, drift. */
function hiddenHead(body: string): string[] {
  const lines = body.split('\n', 6)
  const end = lines.findIndex((line) => !/^<!--.*-->$/.test(line))
  return end === -1 ? lines : lines.slice(0, end)
}

/** The SHA of the baseline the issue's report compares with, when it records one. */
function recordedBaseline(body: string): string | undefined {
  for (const line of hiddenHead(body)) {
    // A commit SHA only: anyone who can edit the issue can edit the line.
    const sha = /^<!-- evalgate-baseline:([0-9a-f]{7,64}) -->$/.exec(line)?.[1]
    if (sha !== undefined) return sha
  }
  return undefined
}

function runMarker(key: string): string {
  return `<!-- evalgate-run:${key.replace(/-{2,}|>/g, '_')} -->`
}

/**
 * The issue as evalgate reads it: GitHub returns a body edited in its web editor with CRLF line
 * ends, which would hide the lines evalgate wrote there.
 */
function withLineFeeds(issue: Issue): Issue {
  return { ...issue, body: issue.body.replace(/\r\n/g, '\n') }
}

/**
 * Whether `issue` is the one an earlier evalgate opened for the workflow. Its marker is no proof:
 * that evalgate dropped characters from it, so the marker of `evals (nightly)` was
 * `evals nightly`'s of today, and every name in another script had the same empty one. The title
 * it gave tells the workflows apart. And only this evalgate records the baseline of a report: an
 * issue that records one and is led by the former marker is the workflow's whose marker it is now.
 */
function formerIssue(issue: Issue, former: { marker: string; title: string }): boolean {
  return (
    issue.body.startsWith(`${former.marker}\n`) &&
    issue.title === former.title &&
    recordedBaseline(issue.body) === undefined
  )
}

/** The first issue marked `marker`; else the first an earlier evalgate opened (`former`). */
async function firstMarked(
  issues: AsyncIterable<Issue>,
  marker: string,
  former: TrackingIssueOptions['former']
): Promise<Issue | undefined> {
  let formerFound: Issue | undefined
  for await (const listed of issues) {
    if (listed.isPullRequest) continue
    const issue = withLineFeeds(listed)
    // The marker leads the body: one quoted inside a model's output does not count.
    if (issue.body.startsWith(`${marker}\n`)) return issue
    if (former && formerIssue(issue, former)) formerFound ??= issue
  }
  return formerFound
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
    options.marker,
    options.former
  )
  if (labelled) return labelled
  const own = await firstMarked(
    client.listIssues({ creator: await tokenLogin(), state }),
    options.marker,
    options.former
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
  const key = runMarker(
    options.runKey ?? (options.now ?? (() => new Date()))().toISOString().slice(0, 10)
  )

  let night: Pick<TrackingIssueOptions, 'state' | 'body' | 'comment' | 'baseline'> = options
  const recorded = open && recordedBaseline(open.body)
  if (open && options.state === 'healthy' && recorded && recorded !== options.baseline) {
    // Passing against a newer baseline is no recovery when that baseline holds the failure.
    const rechecked = await options.recheck?.(recorded)
    if (rechecked?.state === 'unknown') {
      if (!(await alreadyCommented(client, open.number, key))) {
        const comment = fitCommentBody(`${key}\n${rechecked.comment}`).body
        await client.createIssueComment(open.number, comment, 'issue')
      }
      return { action: 'updated', url: open.url }
    }
    if (rechecked?.state === 'failing') night = { ...rechecked, baseline: recorded }
    else if (rechecked) night = rechecked
  }

  if (night.state === 'healthy') {
    if (!open) return { action: 'none' }
    const drifted = hiddenHead(open.body).includes(DRIFTED)
    const comment = drifted && options.afterDrift !== undefined ? options.afterDrift : night.body
    await client.createIssueComment(open.number, fitCommentBody(comment).body, 'issue')
    const closed = await client.updateIssue(open.number, {
      state: 'closed',
      stateReason: 'completed'
    })
    return { action: 'closed', url: closed.url }
  }

  const inconclusive = night.state === 'inconclusive'
  // No failure to open an issue for; nor a sign that an open one's is gone, so it keeps what it
  // records: the baseline to pass against, and a drift the closing comment is to speak of.
  if (inconclusive && !open) return { action: 'none' }
  const baseline = inconclusive ? recorded : night.baseline
  const drifted =
    night.state === 'drifted' ||
    (inconclusive && open !== undefined && hiddenHead(open.body).includes(DRIFTED))
  const head = [
    options.marker,
    key,
    ...(baseline === undefined ? [] : [baselineMarker(baseline)]),
    ...(drifted ? [DRIFTED] : [])
  ]
  const body = fitCommentBody(`${head.join('\n')}\n${night.body}`).body
  const comment = fitCommentBody(`${key}\n${night.comment ?? night.body}`).body

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
