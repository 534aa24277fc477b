import { resolve } from 'node:path'
import {
  BranchStore,
  FileStore,
  findBaseline,
  findPullRequestBaseline,
  firstParentHistory,
  storeBaselineSafely
} from '../baseline/index.js'
import type { BaselineMatch, BaselineStore } from '../baseline/index.js'
import { compareRuns, comparisonExitCode } from '../compare/index.js'
import type { Comparison } from '../compare/index.js'
import { UsageError, errorMessage } from '../errors.js'
import { readRunResult, readTextIfExists, writeFileAtomic } from '../io/files.js'
import { renderComparisonJson } from '../report/comparison-json.js'
import { renderMarkdown } from '../report/markdown.js'
import { renderRunMarkdown } from '../report/run-report.js'
import { summarizeRun } from '../results/summary.js'
import type { RunResult } from '../results/types.js'
import { lineProgress, runEvals } from '../run/index.js'
import type { GitHubClient, GitHubClientOptions } from './client.js'
import { GitHubApiError } from './client.js'
import { stickyMarker, upsertStickyComment } from './comment.js'
import type { ActionContext } from './event.js'
import type { ActionSettings } from './settings.js'
import { syncTrackingIssue } from './tracking-issue.js'

/** The runner-facing side effects, behind an interface so the flow is testable without @actions/core. */
export interface ActionIO {
  info(message: string): void
  warning(message: string): void
  /** An error annotation on a line of a file of the repository. */
  annotate(message: string, location: { file: string; line?: number; title: string }): void
  setOutput(name: string, value: string): void
  writeSummary(markdown: string): Promise<void>
}

export interface ActionDeps {
  io: ActionIO
  env: Record<string, string | undefined>
  cwd: string
  signal: AbortSignal
  createClient: (options: GitHubClientOptions) => GitHubClient
  now: () => Date
}

/** Verdicts that fail the check (with `strict`, inconclusive too). */
function failing(comparison: Comparison): boolean {
  return comparisonExitCode(comparison) === 1
}

function shortSha(sha: string): string {
  return sha.slice(0, 7)
}

function ageText(from: string, now: Date): string {
  const hours = Math.max(0, (now.getTime() - Date.parse(from)) / 3_600_000)
  if (hours < 1) return 'less than an hour old'
  if (hours < 48) return `${Math.round(hours)} hours old`
  return `${Math.round(hours / 24)} days old`
}

/** Where the baseline came from, as the report's first line after the verdict. */
function baselineLine(match: BaselineMatch, now: Date, what: string): string {
  const distance =
    match.distance === 0
      ? `the ${what} itself`
      : `${match.distance} commit${match.distance === 1 ? '' : 's'} before the ${what}`
  return `Baseline: \`${shortSha(match.sha)}\` (${distance}, ${ageText(match.run.run.finishedAt, now)}).`
}

/** Room left under GitHub's comment limit for the marker and the baseline line. */
const COMMENT_BUDGET = 65_536 - 1_000

function comparisonMarkdown(
  comparison: Comparison,
  runUrl: string | undefined,
  baseline?: string
): string {
  const report = renderMarkdown(comparison, {
    maxLength: COMMENT_BUDGET,
    ...(runUrl ? { runUrl } : {})
  })
  return baseline ? `${report}\n${baseline}\n` : report
}

function noBaselineMarkdown(run: RunResult, why: string): string {
  return [
    '### evalgate: no baseline yet',
    '',
    `${why} Nothing was compared and this check does not fail for it. Baselines are stored by runs on pushes to the default branch.`,
    '',
    renderRunMarkdown(run, summarizeRun(run))
  ].join('\n')
}

function storeFor(
  settings: ActionSettings,
  client: GitHubClient | undefined,
  deps: ActionDeps
): BaselineStore | undefined {
  const warn = (message: string) => deps.io.warning(`evalgate: ${message}`)
  if (settings.baseline.store === 'file')
    return new FileStore(resolve(deps.cwd, settings.baseline.dir), { warn })
  if (!client) return undefined
  return new BranchStore(client, {
    branch: settings.baseline.branch,
    historyLength: settings.baseline.history,
    warn
  })
}

/** Annotations on the lines of the cases that went from pass to fail in regressed groups. */
function annotateRegressions(comparison: Comparison, io: ActionIO): void {
  for (const group of comparison.groups) {
    if (group.verdict !== 'regression' && group.verdict !== 'fail') continue
    for (const flip of group.flips.cases) {
      if (flip.direction !== 'pass-to-fail') continue
      const [file, line] = flip.source.split(/:(?=\d+$)/)
      io.annotate(
        `case ${flip.caseId} now fails (score ${flip.baseScore.toFixed(2)} → ${flip.headScore.toFixed(2)})`,
        {
          file: file ?? flip.source,
          ...(line ? { line: Number(line) } : {}),
          title: `evalgate: ${group.suite} / ${group.providerId} regressed`
        }
      )
    }
  }
}

/** The comparison is written beside the results: `results.json` → `results.comparison.json`. */
function comparisonPathFor(resultsPath: string): string {
  return resultsPath.replace(/\.json$/, '') + '.comparison.json'
}

async function writeComparison(
  comparison: Comparison,
  resultsPath: string,
  io: ActionIO
): Promise<string> {
  const path = comparisonPathFor(resultsPath)
  await writeFileAtomic(path, renderComparisonJson(comparison))
  io.setOutput('comparison-path', path)
  io.setOutput('verdict', comparison.verdict)
  io.setOutput(
    'regression-count',
    String(comparison.counts.regression + comparison.counts.fail + comparison.counts.error)
  )
  return path
}

/**
 * Reading a baseline is best effort: an API failure is reported, and the run is shown as having
 * no baseline rather than failing for it.
 */
async function safely<T>(
  what: string,
  io: ActionIO,
  work: () => Promise<T>
): Promise<T | undefined> {
  try {
    return await work()
  } catch (error) {
    io.warning(`evalgate: ${what}: ${errorMessage(error)}`)
    return undefined
  }
}

async function postComment(
  settings: ActionSettings,
  workflow: string,
  client: GitHubClient,
  pullNumber: number,
  body: string,
  regressed: boolean,
  io: ActionIO
): Promise<void> {
  const pr = { number: pullNumber }
  if (settings.comment === 'off' || (settings.comment === 'on-regression' && !regressed)) return
  try {
    const result = await upsertStickyComment(client, {
      issueNumber: pr.number,
      marker: stickyMarker(workflow),
      body,
      ...(settings.commentAuthor ? { author: settings.commentAuthor } : {})
    })
    io.setOutput('comment-url', result.url)
    io.info(`evalgate: ${result.action} the comment ${result.url}`)
  } catch (error) {
    // A fork PR's token is read-only: report, never fail for lack of permission.
    if (error instanceof GitHubApiError && (error.kind === 'forbidden' || error.kind === 'auth')) {
      io.warning(
        `evalgate: could not comment on #${pr.number} (${error.message}). The job summary and ${settings.resultsPath} have the report; ` +
          'for pull requests from forks, post it from a `workflow_run` job (see the README).'
      )
      return
    }
    io.warning(`evalgate: could not comment on #${pr.number}: ${errorMessage(error)}`)
  }
}

/**
 * The action, by event (DESIGN "The action's behaviour by event"). The results file is written
 * first; every GitHub call after it is best effort and cannot lose them. Returns the reason to
 * fail the step, if any.
 */
export async function runAction(
  settings: ActionSettings,
  context: ActionContext,
  deps: ActionDeps
): Promise<string | undefined> {
  if (settings.reportFrom !== undefined) {
    return reportFromArtifact(settings.reportFrom, settings, context, deps)
  }
  const { io } = deps
  const out = resolve(deps.cwd, settings.resultsPath)
  const run = await runEvals({
    paths: settings.specs,
    cwd: deps.cwd,
    env: deps.env,
    out,
    concurrency: settings.concurrency,
    cache: { mode: settings.cache.mode, dir: resolve(deps.cwd, settings.cache.dir) },
    warn: (message) => io.warning(message),
    progress: lineProgress({ write: (text) => io.info(text.trimEnd()) }, () => performance.now()),
    signal: deps.signal,
    ...(settings.repeats !== undefined ? { repeats: settings.repeats } : {}),
    ...(settings.shard ? { shard: settings.shard } : {}),
    ...(settings.filter !== undefined ? { filter: settings.filter } : {}),
    meta: {
      ...(context.sha ? { commit: context.pullRequest?.headSha ?? context.sha } : {}),
      ...(context.ref ? { ref: context.ref } : {}),
      ...(context.eventName ? { event: context.eventName } : {})
    }
  })
  io.setOutput('results-path', out)
  const summaries = summarizeRun(run)
  const belowThreshold = summaries.filter((s) => s.belowThreshold)
  io.setOutput('passed', String(belowThreshold.length === 0))
  if (!run.run.complete) {
    await io.writeSummary(renderRunMarkdown(run, summaries))
    return `evalgate: ${run.run.incompleteReason ?? 'the run stopped early'}; partial results in ${out}`
  }

  const client = settings.githubToken
    ? deps.createClient({
        token: settings.githubToken,
        apiUrl: context.apiUrl,
        owner: context.owner,
        repo: context.repo
      })
    : undefined
  if (!client) io.warning('evalgate: no `github-token`: no baseline, comment or tracking issue')
  const store = storeFor(settings, client, deps)
  const now = deps.now()
  let comparison: Comparison | undefined
  let markdown: string

  const isDefaultBranch =
    context.defaultBranch !== undefined && context.ref === `refs/heads/${context.defaultBranch}`
  if (context.eventName === 'pull_request' && context.pullRequest && store && client) {
    const pr = context.pullRequest
    const found = await safely('reading the baseline', io, () =>
      findPullRequestBaseline(client, store, {
        base: pr.baseSha,
        head: pr.headSha,
        maxDistance: settings.baseline.maxDistance
      })
    )
    if (found?.match) {
      comparison = compareRuns(found.match.run, run, { seed: pr.headSha, strict: settings.strict })
      markdown = comparisonMarkdown(
        comparison,
        context.runUrl,
        baselineLine(found.match, now, `merge base \`${shortSha(found.mergeBase)}\``)
      )
    } else {
      markdown = noBaselineMarkdown(
        run,
        `No stored results for the merge base or its ${settings.baseline.maxDistance} first parents.`
      )
    }
    await postComment(
      settings,
      context.workflow,
      client,
      pr.number,
      markdown,
      comparison ? failing(comparison) : false,
      io
    )
  } else if (context.eventName === 'push' && isDefaultBranch && store && client) {
    const stored = await storeBaselineSafely(store, context.sha, run)
    if (stored.ok)
      io.info(`evalgate: stored the results as the baseline of ${shortSha(context.sha)}`)
    else
      io.warning(
        `evalgate: could not store the baseline (the verdict is unaffected): ${stored.error}`
      )
    const parent = await safely(
      'reading the parent commit',
      io,
      async () => (await client.getCommit(context.sha)).parents[0]
    )
    const match = parent
      ? await safely('reading the baseline', io, () =>
          findBaseline(
            store,
            firstParentHistory(client, parent, settings.baseline.maxDistance + 1),
            { maxDistance: settings.baseline.maxDistance }
          )
        )
      : undefined
    if (match) {
      comparison = compareRuns(match.run, run, { seed: context.sha, strict: settings.strict })
      markdown = comparisonMarkdown(
        comparison,
        context.runUrl,
        baselineLine(match, now, 'parent commit')
      )
    } else {
      markdown = noBaselineMarkdown(run, 'No stored results for the parent commits.')
    }
  } else if (
    (context.eventName === 'schedule' || context.eventName === 'workflow_dispatch') &&
    store &&
    client
  ) {
    const match = await safely('reading the baseline', io, () =>
      findBaseline(
        store,
        firstParentHistory(client, context.sha, settings.baseline.maxDistance + 1),
        { maxDistance: settings.baseline.maxDistance }
      )
    )
    if (match) {
      comparison = compareRuns(match.run, run, { seed: context.sha, strict: settings.strict })
      markdown = comparisonMarkdown(
        comparison,
        context.runUrl,
        baselineLine(match, now, 'checked-out commit')
      )
      await trackDrift(settings, context, client, comparison, markdown, io)
    } else {
      markdown = noBaselineMarkdown(run, 'No stored results for this commit or its first parents.')
      // The first trusted run of a commit becomes its baseline, so the next night has one.
      if (isDefaultBranch) {
        const stored = await storeBaselineSafely(store, context.sha, run)
        if (!stored.ok) io.warning(`evalgate: could not store the baseline: ${stored.error}`)
      }
    }
  } else {
    markdown = renderRunMarkdown(run, summaries)
  }

  if (comparison) {
    await writeComparison(comparison, out, io)
    annotateRegressions(comparison, io)
  } else {
    io.setOutput('verdict', 'no-baseline')
    if (client) io.info('evalgate: no baseline to compare with; see the job summary')
  }
  await io.writeSummary(markdown)

  if (
    settings.failOnRegression &&
    comparison &&
    failing(comparison) &&
    context.eventName !== 'push'
  ) {
    return `evalgate: ${comparison.summary}`
  }
  if (settings.failOnThreshold && belowThreshold.length > 0) {
    return `evalgate: pass rate below min-pass-rate in ${belowThreshold.map((s) => `${s.suite}/${s.providerId}`).join(', ')}; results in ${out}`
  }
  return undefined
}

/** Nightly: one tracking issue, opened or updated on a regression or a changed model, closed on recovery. */
async function trackDrift(
  settings: ActionSettings,
  context: ActionContext,
  client: GitHubClient,
  comparison: Comparison,
  markdown: string,
  io: ActionIO
): Promise<void> {
  const drifted = comparison.groups
    .filter((g) => g.modelChanged)
    .map((g) => `${g.suite}/${g.providerId}`)
  const unhealthy = failing(comparison) || drifted.length > 0
  const driftNote =
    drifted.length > 0
      ? `\n\nThe provider reports a different model or system fingerprint for: ${drifted.join(', ')}.`
      : ''
  const result = await safely('updating the tracking issue', io, () =>
    syncTrackingIssue(client, {
      marker: `<!-- evalgate-tracking:${context.workflow.replace(/[^\w .-]/g, '')} -->`,
      label: settings.trackingLabel,
      title: `evalgate: regression or model drift in ${context.workflow}`,
      state: unhealthy ? 'failing' : 'healthy',
      body: unhealthy
        ? `${markdown}${driftNote}`
        : `Recovered: ${comparison.summary}${context.runUrl ? ` ([run](${context.runUrl}))` : ''}`
    })
  )
  if (result?.url) {
    io.setOutput('issue-url', result.url)
    io.info(`evalgate: tracking issue ${result.action}: ${result.url}`)
  }
}

/**
 * The comparison beside an artifact's results: absent when that run had no baseline. A file that
 * is there but unreadable is reported, then treated as absent.
 */
async function readComparison(path: string, io: ActionIO): Promise<Comparison | undefined> {
  let text: string | undefined
  try {
    text = await readTextIfExists(path)
  } catch (error) {
    io.warning(`evalgate: cannot read ${path}: ${errorMessage(error)}`)
    return undefined
  }
  if (text === undefined) return undefined
  try {
    const parsed: unknown = JSON.parse(text)
    if (isComparison(parsed)) return parsed
  } catch {
    // Reported below, like any other shape that is not a comparison.
  }
  io.warning(`evalgate: ${path} is not an evalgate comparison; reporting without it`)
  return undefined
}

function isComparison(value: unknown): value is Comparison {
  const candidate = value as Partial<Comparison> | null
  return (
    candidate?.schemaVersion === 1 &&
    typeof candidate.verdict === 'string' &&
    Array.isArray(candidate.groups)
  )
}

/**
 * A `workflow_run` job: comments the report of the pull-request run it follows, from that run's
 * results artifact. The pull request comes from the trusted event (its `pull_requests`, or for a
 * fork the open pull request from its head branch), never from the artifact, which the PR's code
 * wrote. This job has the write token a fork's run lacks; it never runs the suites.
 */
async function reportFromArtifact(
  resultsPath: string,
  settings: ActionSettings,
  context: ActionContext,
  deps: ActionDeps
): Promise<string | undefined> {
  const { io } = deps
  const source = context.workflowRun
  if (context.eventName !== 'workflow_run' || !source) {
    throw new UsageError(
      '`report-from` is for a job triggered by `workflow_run`; other events run the suites themselves'
    )
  }
  if (!settings.githubToken) throw new UsageError('`report-from` needs `github-token` to comment')
  if (source.event !== 'pull_request') {
    io.info(`evalgate: the ${source.event} run needs no comment`)
    return undefined
  }
  const client = deps.createClient({
    token: settings.githubToken,
    apiUrl: context.apiUrl,
    owner: context.owner,
    repo: context.repo
  })
  const numbers =
    source.pullRequests.length > 0
      ? source.pullRequests
      : source.headLabel
        ? await client.listOpenPullRequestsFrom(source.headLabel)
        : []
  const [pullNumber] = numbers
  if (pullNumber === undefined) {
    io.warning(`evalgate: no open pull request for the run of ${shortSha(source.headSha)}`)
    return undefined
  }
  const path = resolve(deps.cwd, resultsPath)
  const run = await readRunResult(path)
  if (run.run.commit !== source.headSha) {
    throw new UsageError(
      `${resultsPath} holds results of ${run.run.commit ?? 'an unknown commit'}, not of the run's head ${source.headSha}: download the artifact of that run`
    )
  }
  // The link goes to the pull request's run, not to this reporting job.
  const runUrl = context.runUrl?.replace(/\/\d+$/, `/${source.id}`)
  const comparison = await readComparison(comparisonPathFor(path), io)
  const markdown = comparison
    ? comparisonMarkdown(comparison, runUrl)
    : noBaselineMarkdown(run, 'The pull request’s run found no baseline.')
  // The same sticky comment as the pull request's own run would write: one comment, not two.
  await postComment(
    settings,
    source.workflow ?? context.workflow,
    client,
    pullNumber,
    markdown,
    comparison ? failing(comparison) : false,
    io
  )
  io.setOutput('verdict', comparison?.verdict ?? 'no-baseline')
  await io.writeSummary(markdown)
  return undefined
}
