/**
 * A `workflow_run` job's report of the pull-request run it follows, from that run's artifact.
 */
import { open, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { UsageError, errorMessage } from '../errors.js'
import { invalidSpecsPathFor, readRunResult } from '../io/files.js'
import { markdownInline, terminalLine } from '../report/escape.js'
import { assertHeadGateOrder, runMetaFromHead } from '../results/parse.js'
import { summarizeRun } from '../results/summary.js'
import type { RunMeta } from '../results/types.js'
import type { GitHubClient } from './client.js'
import { GitHubApiError } from './client.js'
import type { ActionContext } from './event.js'
import type { ActionSettings } from './settings.js'
import { githubClient } from './io.js'
import type { ActionIO, ActionDeps } from './io.js'
import {
  failing,
  shortSha,
  pullRequestBaselineLine,
  comparisonMarkdown,
  incompleteWhy,
  alertFor,
  replayNote,
  invalidSpecsMarkdown,
  noCommentNote,
  uncomparedArtifactReport
} from './reports.js'
import {
  comparisonPathFor,
  readBaselineLookup,
  setComparisonOutputs,
  readInvalidSpecs,
  MAX_ARTIFACT_RESULTS_BYTES,
  readComparison
} from './artifact-files.js'
import type { InvalidSpecsRecord, RecordedLookup } from './artifact-files.js'
import { postComment } from './post-comment.js'
import { eventCompares } from './baseline-lookup.js'

/**
 * The open pull request a `workflow_run` is for, confirmed on GitHub: of the event's pull requests
 * (or, for a fork, the open ones from its head branch), the one whose head is still the run's
 * commit; of an event naming no head branch, the open one with that commit as its head. When
 * there is none, why not, also said in the log: a run of an older commit, finishing late, must not
 * replace the report of the pull request's current head.
 */
async function pullRequestOfRun(
  client: GitHubClient,
  source: NonNullable<ActionContext['workflowRun']>,
  io: ActionIO
): Promise<{ number: number } | { noComment: string }> {
  let candidates = source.pullRequests
  if (candidates.length === 0) {
    if (!source.headLabel) {
      // A deleted fork leaves `head_repository` null: its branch names no pull request either.
      const unnamed = source.headBranch === undefined ? 'no head branch' : 'no head repository'
      return openPullRequestAt(client, source.headSha, unnamed, io)
    }
    candidates = await client.listOpenPullRequestsFrom(source.headLabel)
  }
  const movedOn: string[] = []
  for (const number of candidates) {
    const pr = await client.getPullRequest(number)
    if (pr.state !== 'open') continue
    if (pr.head.sha === source.headSha) return { number }
    movedOn.push(`#${number} is at ${shortSha(pr.head.sha)} now`)
  }
  if (movedOn.length > 0) {
    const noComment = `this report is of ${shortSha(source.headSha)}, but ${movedOn.join(', ')}; the run of that commit reports on it`
    io.info(`evalgate: no comment: ${noComment}`)
    return { noComment }
  }
  io.warning(`evalgate: no open pull request for the run of ${shortSha(source.headSha)}`)
  return {
    noComment: `no open pull request has ${shortSha(source.headSha)}, the run's commit, as its head`
  }
}

/** How many open pull requests, most recently updated first, a run's commit is looked for among. */
const MAX_OPEN_PULL_REQUESTS_SEARCHED = 1000

/**
 * The open pull request whose head is the run's commit, when the event names neither its pull
 * requests nor its head branch (a fork's run, whose `head_branch` GitHub may leave null): found on
 * GitHub by that commit, from the trusted event. When there is none, why not (`unnamed` says what
 * the event left out), also said in the log.
 */
async function openPullRequestAt(
  client: GitHubClient,
  headSha: string,
  unnamed: string,
  io: ActionIO
): Promise<{ number: number } | { noComment: string }> {
  const notNamed = `the event names ${unnamed} for the run of ${shortSha(headSha)}`
  let noComment = `${notNamed}, and no open pull request has that commit as its head`
  try {
    let searched = 0
    for await (const pr of client.listOpenPullRequests()) {
      if (pr.headSha === headSha) return { number: pr.number }
      if (++searched === MAX_OPEN_PULL_REQUESTS_SEARCHED) {
        noComment = `${notNamed}, and none of the ${searched} most recently updated open pull requests has that commit as its head`
        break
      }
    }
  } catch (error) {
    if (!(error instanceof GitHubApiError)) throw error
    io.warning(`evalgate: no comment: ${notNamed}; ${error.message}`)
    // The summary's line ends with its own full stop.
    return { noComment: `${notNamed}; ${markdownInline(error.message.replace(/\.$/, ''), 400)}` }
  }
  io.warning(`evalgate: no comment: ${noComment}`)
  return { noComment }
}

/**
 * The ref of the run a report-from job follows: the one its results record, when its name is the
 * branch the trusted event names. GitHub names a pushed tag there as a branch, so only the
 * recorded ref tells the two apart; undefined when the two disagree.
 */
function runRef(
  source: NonNullable<ActionContext['workflowRun']>,
  recorded: string | undefined
): string | undefined {
  if (recorded === undefined || source.headBranch === undefined) return recorded
  return recorded.replace(/^refs\/(heads|tags)\//, '') === source.headBranch ? recorded : undefined
}

/** Only a pull request's run is commented on; every run's report has its outputs and summary. */
async function pullRequestToReportOn(
  client: GitHubClient,
  source: NonNullable<ActionContext['workflowRun']>,
  io: ActionIO
): Promise<{ number: number } | { noComment: string }> {
  if (source.event === 'pull_request') return pullRequestOfRun(client, source, io)
  io.info(`evalgate: the ${source.event} run needs no comment`)
  return { noComment: `the run it follows is of a ${source.event} event, not of a pull request` }
}

/** A report-from job: the run it follows, as the trusted event names it, and what it reports with. */
interface ReportingJob {
  source: NonNullable<ActionContext['workflowRun']>
  client: GitHubClient
  settings: ActionSettings
  context: ActionContext
  io: ActionIO
}

/**
 * A failing report that is no comparison, for the pull request's comment (when the run was a
 * pull request's) and the job summary. `key`: the `comment-key` its comment is marked with;
 * `reportFile`: the artifact file it is made from.
 */
async function postFailingReport(
  markdown: string,
  { key, reportFile }: { key: string | undefined; reportFile: string },
  { source, client, settings, context, io }: ReportingJob
): Promise<void> {
  const pull = await pullRequestToReportOn(client, source, io)
  if ('number' in pull) {
    await postComment({
      settings,
      client,
      io,
      owner: { workflow: source.workflow ?? context.workflow, key },
      pullNumber: pull.number,
      body: markdown,
      regressed: true,
      reportFile,
      fromArtifact: true
    })
  }
  await io.writeSummary(noCommentNote(pull) + markdown)
}

/**
 * A report-from job's report of a run whose specs could not be loaded, from what it recorded: the
 * problems, in the pull request's comment in place of the last commit's report, in the job
 * summary and the outputs; the step fails, as the run's own did.
 */
async function reportInvalidSpecsFromArtifact(
  /** `path`: where the record is, as `report-from` names it. */
  { record, path: recordPath }: { record: InvalidSpecsRecord; path: string },
  job: ReportingJob
): Promise<string> {
  const markdown = invalidSpecsMarkdown(record.problems)
  await postFailingReport(markdown, { key: record.commentKey, reportFile: recordPath }, job)
  job.io.setOutput('verdict', 'invalid-specs')
  job.io.setOutput('passed', 'false')
  return `evalgate: the specs of ${shortSha(job.source.headSha)} could not be loaded; the job summary lists the problems`
}

/** How much of results too large to read is read for their `run` block, which comes first. */
const RUN_BLOCK_BYTES = 2 ** 20

/** The `run` block of results too large to read, from their first MB; undefined if not there. */
async function runBlockOf(path: string): Promise<RunMeta | undefined> {
  const file = await open(path, 'r')
  try {
    const head = Buffer.alloc(RUN_BLOCK_BYTES)
    const { bytesRead } = await file.read(head, 0, RUN_BLOCK_BYTES, 0)
    return runMetaFromHead(head.subarray(0, bytesRead))
  } finally {
    await file.close()
  }
}

/**
 * A report-from job given results larger than it reads from an artifact (the pull request's to
 * write): what to do, in the comment, the job summary and the step's failure, as no report is.
 * The comment replaces the run's own, marked by the job the results' first MB names; by this
 * job's `comment-key` only when they name none, which the log says.
 */
async function reportTooLarge(
  results: { path: string; size: number; resolved: string },
  job: ReportingJob
): Promise<string> {
  let run: RunMeta | undefined
  let unnamed = 'holds no `run` block naming the job whose comment reports it'
  try {
    run = await runBlockOf(results.resolved)
  } catch (error) {
    unnamed = `cannot be read for the job whose comment reports it (${errorMessage(error)})`
  }
  if (!run) {
    job.io.warning(
      `evalgate: the first MB of ${results.path} ${unnamed}: this report's comment is marked by this job's comment-key, so it may stand beside that job's comment rather than replace it`
    )
  }
  const tooLarge = `${Math.round(results.size / 2 ** 20)} MB, more than the ${MAX_ARTIFACT_RESULTS_BYTES / 2 ** 20} MB`
  const advice =
    'Make the run smaller (fewer or shorter outputs: a lower `max_tokens`; fewer `repeats`), or split its suites among jobs, each with its own artifact; or, when the pull request comes from this repository (its run has the secrets), compare in the `pull_request` job itself'
  const markdown = [
    '### evalgate: results too large to report',
    '',
    // Numbers only: nothing of the artifact's to escape.
    `Nothing was reported for the run of \`${shortSha(job.source.headSha)}\`: the results are ${tooLarge} \`report-from\` reads from an artifact, so this check fails. ${advice}.`,
    ''
  ].join('\n')
  const key = run ? run.commentKey : job.settings.commentKey
  await postFailingReport(markdown, { key, reportFile: results.path }, job)
  return `evalgate: ${results.path} is ${tooLarge} report-from reads from an artifact: nothing was reported; the job summary says how to make the run smaller`
}

/**
 * A report-from job given neither results nor a record of invalid specs: the run failed before
 * evalgate wrote either (a step before it, or inputs evalgate refused), or `report-from` names
 * another file than the artifact holds. Nothing is commented, as the run's own job commented
 * nothing; the job summary says what was looked for, and the step fails, so a misplaced path
 * does not pass for a report.
 */
async function reportNoResults(
  path: string,
  refusedRecord: { refused: string } | undefined,
  source: NonNullable<ActionContext['workflowRun']>,
  io: ActionIO
): Promise<string> {
  const record = invalidSpecsPathFor(path)
  if (refusedRecord) {
    // The artifact is the pull request's to write: what it holds beside no results is not shown.
    await io.writeSummary(
      [
        '### evalgate: no results to report',
        '',
        `The artifact holds no results \`${markdownInline(path, 300)}\`, and its record of invalid specs \`${markdownInline(record, 300)}\` was refused (${markdownInline(refusedRecord.refused, 300)}), so nothing was reported or commented. The log of the run of \`${shortSha(source.headSha)}\` lists the problems its specs had.`,
        ''
      ].join('\n')
    )
    return `evalgate: no results at ${path}, and the record of invalid specs beside it was refused (${terminalLine(refusedRecord.refused, 300)}): see the log of the run of ${shortSha(source.headSha)} for its problems; nothing was commented`
  }
  await io.writeSummary(
    [
      '### evalgate: no results to report',
      '',
      `The artifact holds neither the results \`${markdownInline(path, 300)}\` nor a record of invalid specs \`${markdownInline(record, 300)}\`, so nothing was reported or commented. Either the run of \`${shortSha(source.headSha)}\` failed before evalgate wrote them (a step before evalgate's failed, or evalgate refused its inputs: its job's log says which), or \`report-from\` names another path than the one the artifact was downloaded to.`,
      ''
    ].join('\n')
  )
  return `evalgate: no results at ${path}, nor a record of invalid specs beside it: the run of ${shortSha(source.headSha)} wrote neither, or report-from names another path than the downloaded artifact's; nothing was commented`
}

/**
 * Why a run whose results are complete but which left no comparison was stopped before it
 * compared, rather than found no baseline; undefined when it was not. Its record of the baseline
 * lookup says so; a run of an evalgate that records none, only a cancelled or timed-out workflow
 * run, as the trusted event names it (one that failed may have failed after finding no baseline).
 */
function stoppedBeforeComparingWhy(
  lookup: RecordedLookup | undefined,
  compares: boolean,
  conclusion: string | undefined
): string | undefined {
  if (lookup?.lookup === 'started') {
    return 'its job was cancelled or failed while it was looking up the baseline'
  }
  if (lookup?.lookup === 'found') {
    return 'it had found the baseline, but its job was cancelled or failed before it wrote the comparison'
  }
  if (lookup !== undefined || !compares) return undefined
  if (conclusion === 'cancelled')
    return 'its workflow run was cancelled, and it recorded no comparison'
  if (conclusion === 'timed_out') return 'its workflow run timed out, and it recorded no comparison'
  return undefined
}

/**
 * A `workflow_run` job: comments the report of the pull-request run it follows, from that run's
 * results artifact. The pull request comes from the trusted event (its `pull_requests`, or for a
 * fork the open pull request from its head branch), confirmed on GitHub, never from the artifact,
 * which the PR's code wrote. This job has the write token a fork's run lacks; it never runs the
 * suites.
 */
export async function reportFromArtifact(
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
  const path = resolve(deps.cwd, resultsPath)
  // The artifact is the pull request's to write: this job reads no more than a run makes.
  const found = await stat(path).catch(() => undefined)
  const size = found?.size ?? 0
  if (size > MAX_ARTIFACT_RESULTS_BYTES) {
    const client = githubClient(settings.githubToken, context, deps)
    return reportTooLarge(
      { path: resultsPath, size, resolved: path },
      { source, client, settings, context, io }
    )
  }
  // A run whose specs could not be loaded wrote its problems beside where its results would be.
  const invalid = await readInvalidSpecs(invalidSpecsPathFor(path), io)
  if (invalid && 'commit' in invalid && (invalid.commit === source.headSha || !found)) {
    if (invalid.commit !== source.headSha) {
      throw new UsageError(
        `${invalidSpecsPathFor(resultsPath)} records the invalid specs of ${terminalLine(invalid.commit, 64)}, not of the run's head ${source.headSha}: download the artifact of that run`
      )
    }
    const client = githubClient(settings.githubToken, context, deps)
    return reportInvalidSpecsFromArtifact(
      { record: invalid, path: invalidSpecsPathFor(resultsPath) },
      { source, client, settings, context, io }
    )
  }
  if (!found) {
    return reportNoResults(path, invalid && 'refused' in invalid ? invalid : undefined, source, io)
  }
  const run = await readRunResult(path)
  assertHeadGateOrder(run, path)
  if (run.run.commit !== source.headSha) {
    throw new UsageError(
      `${resultsPath} holds results of ${run.run.commit ?? 'an unknown commit'}, not of the run's head ${source.headSha}: download the artifact of that run`
    )
  }
  const client = githubClient(settings.githubToken, context, deps)
  const pull = await pullRequestToReportOn(client, source, io)
  // The link goes to the pull request's run, not to this reporting job.
  const runUrl = context.runUrl?.replace(/\/\d+$/, `/${source.id}`)
  const complete = run.run.complete
  // A cancelled run compared nothing: what lies beside its results is not its verdict.
  const read = complete ? await readComparison(comparisonPathFor(path), run, io) : undefined
  const comparison = read && 'comparison' in read ? read.comparison : undefined
  const refused = read && 'refused' in read ? read.refused : undefined
  const lookup = read || !complete ? undefined : await readBaselineLookup(path, io)
  // The same report as the pull request's own run wrote: its threshold failures first.
  const summaries = summarizeRun(run)
  const failsOnThreshold = settings.failOnThreshold && summaries.some((s) => s.belowThreshold)
  // As the pull request's run said it: its threshold failures, then what it replayed; of a run
  // that did not finish, only that.
  const alert = complete
    ? (alertFor(settings, summaries) ?? '') + (replayNote(run.run.replayed ?? [], 'unknown') ?? '')
    : ''
  const baseline = comparison && pullRequestBaselineLine(comparison, deps.now())
  const reportOptions = { above: alert, ...(baseline ? { baseline } : {}) }
  // Whether the run's event compared at all, by its branch as the trusted event names it.
  const sourceBranch = source.headBranch ?? run.run.ref?.replace(/^refs\/heads\//, '')
  const compares = eventCompares(
    source.event,
    sourceBranch !== undefined && sourceBranch === context.defaultBranch
  )
  const stoppedBeforeComparing =
    complete && !read ? stoppedBeforeComparingWhy(lookup, compares, source.conclusion) : undefined
  const shown: { report: string; verdict?: string } = comparison
    ? { report: comparisonMarkdown(comparison, runUrl, reportOptions) }
    : uncomparedArtifactReport(run, summaries, {
        event: source.event,
        ref: runRef(source, run.run.ref),
        compares,
        refused,
        baselineError: lookup?.lookup === 'unavailable' ? lookup.error : undefined,
        stoppedBeforeComparing
      })
  const markdown = alert + shown.report
  if ('number' in pull) {
    // The same sticky comment as the pull request's own job would write: one comment, not two.
    await postComment({
      settings,
      client,
      io,
      owner: { workflow: source.workflow ?? context.workflow, key: run.run.commentKey },
      pullNumber: pull.number,
      body: markdown,
      regressed:
        !complete ||
        stoppedBeforeComparing !== undefined ||
        (comparison !== undefined && failing(comparison)) ||
        failsOnThreshold,
      reportFile: path,
      fromArtifact: true
    })
  }
  // The outputs the pull request's own run set, for steps after this one.
  io.setOutput('results-path', path)
  if (comparison) setComparisonOutputs(comparison, comparisonPathFor(path), io)
  if (shown.verdict !== undefined) io.setOutput('verdict', shown.verdict)
  io.setOutput(
    'passed',
    String(
      complete && stoppedBeforeComparing === undefined && !summaries.some((s) => s.belowThreshold)
    )
  )
  // Said first: no one gets this report unless they open the job. From GitHub, not the artifact.
  const noComment = noCommentNote(pull)
  await io.writeSummary(
    noComment +
      (comparison
        ? alert +
          comparisonMarkdown(comparison, runUrl, {
            ...reportOptions,
            above: noComment + alert,
            summary: true
          })
        : markdown)
  )
  // As the run's own step failed: cases it did not reach were never checked.
  if (!complete)
    return `evalgate: the run did not finish (${incompleteWhy(run)}); partial results in ${path}`
  if (stoppedBeforeComparing !== undefined) {
    return `evalgate: the run of ${shortSha(source.headSha)} was stopped before it compared (${stoppedBeforeComparing}): nothing was compared; re-run its job to compare`
  }
  return undefined
}
