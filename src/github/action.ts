import { stat } from 'node:fs/promises'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import {
  BranchStore,
  DEFAULT_DATA_BRANCH,
  FileStore,
  findBaseline,
  findPullRequestBaseline,
  firstParentHistory,
  storeBaselineSafely
} from '../baseline/index.js'
import type { BaselineMatch, BaselineSearch, BaselineStore } from '../baseline/index.js'
import {
  checkComparison,
  compareRuns,
  comparisonExitCode,
  outages,
  strictFailures,
  withDerivedVerdicts
} from '../compare/index.js'
import type { Comparison, MetricComparison, MetricName } from '../compare/index.js'
import { METRIC_LABELS } from '../compare/format.js'
import { EvalgateError, InputError, UsageError, errorMessage } from '../errors.js'
import { TOOL_VERSION } from '../version.js'
import {
  invalidSpecsPathFor,
  invalidSpecsRecordsAmong,
  readRegularFileIfExists,
  readRunResult,
  readShardsToMerge,
  removeFile,
  writeFileAtomic,
  writeRunResult
} from '../io/files.js'
import { renderComparisonJson } from '../report/comparison-json.js'
import { renderMarkdown } from '../report/markdown.js'
import { codeBlock, markdownInline, sliceWhole, terminalLine } from '../report/escape.js'
import { renderRunMarkdown, thresholdAlert } from '../report/run-report.js'
import { YamlFile, isMapping } from '../spec/yaml-file.js'
import { mergeShards } from '../results/merge.js'
import { summarizeRun, thresholdFailures } from '../results/summary.js'
import type { ProviderSummary } from '../results/summary.js'
import type { ReplayedProvider, RunResult } from '../results/types.js'
import { lineProgress, runEvals } from '../run/index.js'
import type { RunEvalsOptions } from '../run/index.js'
import type { CacheMode } from '../run/cache.js'
import { writtenSecrets } from '../spec/index.js'
import { redactText } from '../spec/secrets.js'
import type { SecretValue } from '../spec/types.js'
import type { GitHubClient, GitHubClientOptions } from './client.js'
import { GitHubApiError } from './client.js'
import { stickyMarker, upsertStickyComment } from './comment.js'
import type { ActionContext } from './event.js'
import type { ActionSettings } from './settings.js'
import { formerTrackingMarker, syncTrackingIssue, trackingMarker } from './tracking-issue.js'
import type { Recheck } from './tracking-issue.js'

/** The runner-facing side effects, behind an interface so the flow is testable without @actions/core. */
export interface ActionIO {
  info(message: string): void
  warning(message: string): void
  /**
   * An annotation on a line of a file of the repository: an error when the step fails, else a
   * warning (an error on a step that passes reads as a failure it is not).
   */
  annotate(
    message: string,
    location: { file: string; line?: number; title: string; level: 'error' | 'warning' }
  ): void
  setOutput(name: string, value: string): void
  writeSummary(markdown: string): Promise<void>
}

export interface ActionDeps {
  io: ActionIO
  env: Record<string, string | undefined>
  /** The runner's tokens: redacted from the run as the spec's secrets are. */
  secrets?: SecretValue[]
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
function baselineLine(
  baseline: { sha: string; distance: number; finishedAt: string },
  now: Date,
  what: string
): string {
  const distance =
    baseline.distance === 0
      ? `the ${what} itself`
      : `${baseline.distance} commit${baseline.distance === 1 ? '' : 's'} before the ${what}`
  return `Baseline: \`${shortSha(baseline.sha)}\` (${distance}, ${ageText(baseline.finishedAt, now)}).`
}

/** The baseline line of a pull request's comparison, from what it records; or undefined. */
function pullRequestBaselineLine(comparison: Comparison, now: Date): string | undefined {
  const sha = comparison.base.commit
  if (!comparison.baseline || sha === null) return undefined
  const { mergeBase, distance } = comparison.baseline
  return baselineLine(
    { sha, distance, finishedAt: comparison.base.finishedAt },
    now,
    `merge base \`${shortSha(mergeBase)}\``
  )
}

/** Room left under GitHub's comment limit for the marker and the baseline line. */
const COMMENT_BUDGET = 65_536 - 1_000

/**
 * The job summary's room: 1 MiB, in characters that may take two bytes each. The comment points
 * there for what it had to leave out, so the summary is rendered again with this room.
 */
const SUMMARY_BUDGET = 2 ** 19 - 1_000

/**
 * `room`: characters kept free for what goes above the report (the threshold alert); `budget`:
 * the whole report's room (a comment's by default).
 */
function comparisonMarkdown(
  comparison: Comparison,
  runUrl: string | undefined,
  options: { baseline?: string; room?: number; budget?: number } = {}
): string {
  const report = renderMarkdown(comparison, {
    maxLength: (options.budget ?? COMMENT_BUDGET) - (options.room ?? 0),
    ...(runUrl ? { runUrl } : {})
  })
  return options.baseline ? `${report}\n${options.baseline}\n` : report
}

/** A report that compares nothing: why, then the run's own report. */
function uncomparedMarkdown(
  title: string,
  why: string,
  run: RunResult,
  summaries: readonly ProviderSummary[]
): string {
  return [`### evalgate: ${title}`, '', why, '', renderRunMarkdown(run, summaries)].join('\n')
}

/** `stored`: where baselines come from, when not only from pushes to the default branch. */
function noBaselineMarkdown(
  why: string,
  run: RunResult,
  summaries: readonly ProviderSummary[],
  stored = 'Baselines are stored by runs on pushes to the default branch.'
): string {
  return uncomparedMarkdown(
    'no baseline yet',
    `${why} Nothing was compared and this check does not fail for it. ${stored}`,
    run,
    summaries
  )
}

/** GitHub failed while the baseline was read: said as such, never passed off as "no baseline". */
function baselineUnavailableMarkdown(
  error: string,
  run: RunResult,
  summaries: readonly ProviderSummary[]
): string {
  return uncomparedMarkdown(
    'baseline unavailable',
    `The baseline could not be read from GitHub: ${markdownInline(error.replace(/\.$/, ''), 500)}. Nothing was compared and this check does not fail for it; re-run the job to compare.`,
    run,
    summaries
  )
}

/** The pull request's run compared, but this job refuses what it wrote: said as such. */
function refusedComparisonMarkdown(
  why: string,
  run: RunResult,
  summaries: readonly ProviderSummary[]
): string {
  return uncomparedMarkdown(
    'comparison not shown',
    `The pull request’s run wrote a comparison this job does not accept (${markdownInline(why, 300)}), so its verdict is not shown here; the run's own report follows, and the pull request's job summary has the comparison.`,
    run,
    summaries
  )
}

/** Why an event compares nothing, for the log and the report (see comparesWithBaseline). */
function notComparedWhy(eventName: string): string {
  // The event's name comes from the runner, not from the repository's code.
  const event =
    eventName === 'push'
      ? 'a push to a branch other than the default one'
      : `a ${eventName || 'run of this'} event`
  return `${event} compares nothing (pull_request, merge_group, a push to the default branch, schedule and workflow_dispatch do)`
}

/** The report of a run that compared nothing for its event (see notComparedWhy). */
function notComparedMarkdown(
  eventName: string,
  run: RunResult,
  summaries: readonly ProviderSummary[]
): string {
  return uncomparedMarkdown(
    'nothing compared',
    `Nothing was compared, and this check does not fail for it: ${notComparedWhy(eventName)}.`,
    run,
    summaries
  )
}

/**
 * The reason a run stopped early, as its results record it: on one bounded line, with no control
 * character, since a `report-from` job reads it from a fork's artifact into its log.
 */
function incompleteWhy(run: RunResult): string {
  return terminalLine(run.run.incompleteReason ?? 'the run stopped early', 300)
}

/**
 * The report of a run cancelled before it finished: cases it did not reach were never checked,
 * neither passed nor compared. `what`: what became of it, and that the check fails.
 */
function incompleteMarkdown(
  what: string,
  run: RunResult,
  summaries: readonly ProviderSummary[]
): string {
  return uncomparedMarkdown(
    'incomplete run',
    `The run did not finish (${markdownInline(incompleteWhy(run), 300)}): ${what} The partial results follow.`,
    run,
    summaries
  )
}

/** The suites below their min-pass-rate, said first since they fail the check; or undefined. */
function alertFor(
  settings: ActionSettings,
  summaries: readonly ProviderSummary[]
): string | undefined {
  const alert = settings.failOnThreshold ? thresholdAlert(summaries) : undefined
  return alert === undefined ? undefined : `${alert}\n`
}

function storeFor(
  settings: ActionSettings,
  client: GitHubClient | undefined,
  deps: ActionDeps
): BaselineStore | undefined {
  const warn = (message: string) => deps.io.warning(`evalgate: ${message}`)
  // A matrix leg keeps baselines of its own. Only a `comment-key` given keys them: its default,
  // the job's id, differs between the job that stores them and the one that reads them.
  const key = settings.commentKey === undefined ? {} : { key: settings.commentKey }
  if (settings.baseline.store === 'file')
    return new FileStore(resolve(deps.cwd, settings.baseline.dir), { warn, ...key })
  if (!client) return undefined
  return new BranchStore(client, {
    branch: settings.baseline.branch,
    historyLength: settings.baseline.history,
    warn,
    ...key
  })
}

/**
 * GitHub shows 10 annotations of a kind per step and drops the rest; one is kept for the step's
 * own failure message (or another warning), which would otherwise be the one dropped.
 */
const REGRESSION_ANNOTATIONS = 9

/** The metrics whose drop the flipped cases explain: those cases are annotated, not the metric. */
const QUALITY_METRICS: ReadonlySet<MetricName> = new Set(['score', 'pass-rate'])

function breaksGate(metric: MetricComparison): boolean {
  return metric.verdict === 'regression' || metric.verdict === 'fail'
}

/** The spec as written in the workspace; undefined when it cannot be read there. */
async function readSpecYaml(specFile: string, cwd: string): Promise<YamlFile | undefined> {
  const text = await readRegularFileIfExists(resolve(cwd, specFile)).then(
    (bytes) => bytes?.toString('utf8'),
    () => undefined
  )
  return text === undefined ? undefined : new YamlFile(specFile, text)
}

/**
 * The line of the spec that sets the metric's tolerance (`latency-p50:` in `gate:`), else of its
 * `gate:`, else of its `suite:`; undefined when the spec could not be read from the workspace
 * (the annotation is then on the file).
 */
function gateLine(yaml: YamlFile | undefined, metric: MetricName): number | undefined {
  if (yaml === undefined) return undefined
  const data = yaml.data()
  const gate = 'value' in data && isMapping(data.value) ? data.value.gate : undefined
  const path = !isMapping(gate) ? ['suite'] : metric in gate ? ['gate', metric] : ['gate']
  return yaml.position(path, { key: true }).line
}

/**
 * Annotations on what made groups regress: the cases that went from pass to fail where the score
 * or pass rate dropped, on their lines; any other metric (latency, cost, error rate) on the line
 * of the spec's `gate:` that it went beyond, as the flipped cases of a group that only slowed
 * down are not what is wrong with it. Errors when the step fails, warnings when it passes all
 * the same (a push, `fail-on-regression: false`).
 */
async function annotateRegressions(
  comparison: Comparison,
  level: 'error' | 'warning',
  io: ActionIO,
  cwd: string
): Promise<void> {
  const broken = comparison.groups.flatMap((group) =>
    group.metrics.filter(breaksGate).map((metric) => ({ group, metric }))
  )
  const casesShown = new Set(
    broken
      .filter(
        ({ group, metric }) => QUALITY_METRICS.has(metric.metric) && group.flips.passToFail > 0
      )
      .map(({ group }) => group)
  )
  // A quality drop with no case that flipped (a floor broken, scores that slipped) is shown as a
  // metric; the pass rate that only repeats the score, once.
  const metrics = broken.filter(
    ({ group, metric }) =>
      !(QUALITY_METRICS.has(metric.metric) && casesShown.has(group)) &&
      metric.duplicateOf === undefined
  )
  // Each spec read once, however many of its metrics are annotated.
  const specs = new Map<string, Promise<YamlFile | undefined>>()
  for (const { group, metric } of metrics.slice(0, REGRESSION_ANNOTATIONS)) {
    let spec = specs.get(group.file)
    if (spec === undefined) specs.set(group.file, (spec = readSpecYaml(group.file, cwd)))
    const line = gateLine(await spec, metric.metric)
    io.annotate(
      `${METRIC_LABELS[metric.metric]} ${metric.verdict === 'fail' ? 'broke its limit' : 'regressed'}: ${metric.reason}`,
      {
        file: group.file,
        ...(line !== undefined ? { line } : {}),
        title: `evalgate: ${group.suite} / ${group.providerId} regressed`,
        level
      }
    )
  }
  const flips = [...casesShown].flatMap((group) =>
    group.flips.cases
      .filter((flip) => flip.direction === 'pass-to-fail')
      .map((flip) => ({ group, flip }))
  )
  const room = Math.max(0, REGRESSION_ANNOTATIONS - metrics.length)
  for (const { group, flip } of flips.slice(0, room)) {
    const [file, line] = flip.source.split(/:(?=\d+$)/)
    io.annotate(
      `case ${flip.caseId} now fails (score ${flip.baseScore.toFixed(2)} → ${flip.headScore.toFixed(2)})`,
      {
        file: file ?? flip.source,
        ...(line ? { line: Number(line) } : {}),
        title: `evalgate: ${group.suite} / ${group.providerId} regressed`,
        level
      }
    )
  }
  const unshown = `not annotated (GitHub shows 10 ${level} annotations per step)`
  if (metrics.length > REGRESSION_ANNOTATIONS) {
    io.info(
      `evalgate: metrics that regressed but are ${unshown}: ${metrics.length - REGRESSION_ANNOTATIONS} more; see the comment or the comparison file`
    )
  }
  const annotated = Math.min(flips.length, room)
  const failingCases = [...casesShown].reduce((total, group) => total + group.flips.passToFail, 0)
  if (failingCases > annotated) {
    io.info(
      `evalgate: cases that now fail but are ${unshown}: ${failingCases - annotated} more; see the comment or the comparison file`
    )
  }
}

/** The comparison is written beside the results: `results.json` → `results.comparison.json`. */
function comparisonPathFor(resultsPath: string): string {
  return resultsPath.replace(/\.json$/, '') + '.comparison.json'
}

/**
 * Beside the results when GitHub failed while the baseline was read: a `workflow_run` job that
 * comments from the artifact says so too, rather than "no baseline yet".
 */
function baselineErrorPathFor(resultsPath: string): string {
  return resultsPath.replace(/\.json$/, '') + '.baseline-unavailable.json'
}

async function recordBaselineError(resultsPath: string, error: string | undefined): Promise<void> {
  const path = baselineErrorPathFor(resultsPath)
  if (error === undefined) await removeFile(path)
  else await writeFileAtomic(path, JSON.stringify({ error }) + '\n')
}

/** A JSON file of an artifact, checked: what it is, or what is wrong with it. */
type Checked<T> = { value: T } | { problem: string }

/**
 * A JSON file beside the results in an artifact, which the pull request's code writes: its value;
 * undefined when there is none; refused, and why, when it is no regular file or larger than
 * `maxBytes` (not read), not JSON, or not `what` as `check` finds. A refusal is said in the log,
 * as the report goes on without the file.
 */
async function readArtifactFile<T>(
  path: string,
  expected: { what: string; maxBytes: number; check: (json: unknown) => Checked<T> },
  io: ActionIO
): Promise<{ value: T } | { refused: string } | undefined> {
  let text: string | undefined
  try {
    text = (await readRegularFileIfExists(path, expected.maxBytes))?.toString('utf8')
  } catch (error) {
    io.warning(`evalgate: cannot read ${path}: ${errorMessage(error)}; reporting without it`)
    return { refused: errorMessage(error) }
  }
  if (text === undefined) return undefined
  let checked: Checked<T>
  try {
    checked = expected.check(JSON.parse(text))
  } catch (error) {
    checked = { problem: `not JSON: ${errorMessage(error)}` }
  }
  if ('value' in checked) return checked
  io.warning(
    `evalgate: ${path} is not ${expected.what} (${terminalLine(checked.problem, 300)}); reporting without it`
  )
  return { refused: checked.problem }
}

/** Far above the error a run records (the report quotes 500 characters of it). */
const MAX_BASELINE_ERROR_BYTES = 64 * 2 ** 10

/** The error the pull request's run recorded while it read the baseline, if any (readArtifactFile). */
async function readBaselineError(resultsPath: string, io: ActionIO): Promise<string | undefined> {
  const read = await readArtifactFile(
    baselineErrorPathFor(resultsPath),
    {
      what: 'a record of the error that kept the baseline from being read',
      maxBytes: MAX_BASELINE_ERROR_BYTES,
      check: (json): Checked<string> => {
        const error = isRecord(json) ? json.error : undefined
        return typeof error === 'string' ? { value: error } : { problem: '`error` is not a string' }
      }
    },
    io
  )
  return read && 'value' in read ? read.value : undefined
}

/** A JSON object, whose fields are yet to be checked. */
function isRecord(json: unknown): json is Record<string, unknown> {
  return json !== null && typeof json === 'object' && !Array.isArray(json)
}

async function writeComparison(
  comparison: Comparison,
  resultsPath: string,
  io: ActionIO
): Promise<string> {
  const path = comparisonPathFor(resultsPath)
  await writeFileAtomic(path, renderComparisonJson(comparison))
  setComparisonOutputs(comparison, path, io)
  return path
}

function setComparisonOutputs(comparison: Comparison, path: string, io: ActionIO): void {
  io.setOutput('comparison-path', path)
  io.setOutput('verdict', comparison.verdict)
  io.setOutput(
    'regression-count',
    String(comparison.counts.regression + comparison.counts.fail + comparison.counts.error)
  )
}

type Attempt<T> = { ok: true; value: T } | { ok: false; error: string }

/**
 * Reading a baseline or updating the tracking issue is best effort: an API failure is reported
 * and returned, so the report can say what failed, and never fails the step. A usage error (a
 * baseline directory the file system refuses) is the user's to fix, and fails it.
 */
async function attempt<T>(what: string, io: ActionIO, work: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await work() }
  } catch (error) {
    if (error instanceof UsageError) throw error
    const message = errorMessage(error)
    io.warning(`evalgate: ${what}: ${message}`)
    return { ok: false, error: message }
  }
}

/** A pull request's sticky comment to post, and what posting it needs. */
interface CommentPost {
  settings: ActionSettings
  client: GitHubClient
  io: ActionIO
  /** The workflow and the job (or `comment-key`) the sticky comment belongs to. */
  owner: { workflow: string; key: string | undefined }
  pullNumber: number
  body: string
  /** The check fails: `comment: on-regression` writes a new comment only then. */
  regressed: boolean
  /** The file beside the job summary that has the report, when not the results. */
  reportFile?: string
  /** A `report-from` job: already the `workflow_run` job a fork's comment is posted from. */
  fromArtifact?: boolean
}

async function postComment({
  settings,
  client,
  io,
  owner,
  pullNumber,
  body,
  regressed,
  reportFile,
  fromArtifact = false
}: CommentPost): Promise<void> {
  const pr = { number: pullNumber }
  const reportedIn = reportFile ?? settings.resultsPath
  if (settings.comment === 'off') return
  try {
    // on-regression: a new comment only on a regression, but one already there is kept current.
    const result = await upsertStickyComment(client, {
      issueNumber: pr.number,
      marker: stickyMarker(owner.workflow, owner.key),
      // The comment of an evalgate that marked it by workflow alone is taken over, not doubled.
      ...(owner.key === undefined ? {} : { formerMarker: stickyMarker(owner.workflow) }),
      body,
      create: settings.comment === 'on' || regressed,
      ...(settings.commentAuthor ? { author: settings.commentAuthor } : {}),
      ...(reportFile
        ? { fullReport: `the job summary and \`${markdownInline(reportFile, 300)}\`` }
        : {})
    })
    if (!result) return
    io.setOutput('comment-url', result.url)
    io.info(`evalgate: ${result.action} the comment ${result.url}`)
    if (result.unexpectedAuthor) {
      const { expected, actual } = result.unexpectedAuthor
      io.warning(
        `evalgate: the comment was written as ${actual ?? 'an unknown user'}, but evalgate looks for its comment among ${expected}'s, so the next run will write another: set the input comment-author: ${actual ?? '<the login>'}`
      )
    }
  } catch (error) {
    if (error instanceof GitHubApiError && error.kind === 'locked') {
      io.warning(
        `evalgate: no comment on #${pr.number}: the pull request is locked. The verdict stands; the job summary and ${reportedIn} have the report.`
      )
      return
    }
    // A fork PR's token is read-only: report, never fail for lack of permission. The error says
    // what a report-from job lacks.
    if (error instanceof GitHubApiError && (error.kind === 'forbidden' || error.kind === 'auth')) {
      io.warning(
        `evalgate: could not comment on #${pr.number} (${error.message}). The job summary and ${reportedIn} have the report` +
          (fromArtifact
            ? '.'
            : '; for pull requests from forks, post it from a `workflow_run` job (see the README).')
      )
      return
    }
    io.warning(`evalgate: could not comment on #${pr.number}: ${errorMessage(error)}`)
  }
}

/** A shard's record of invalid specs that was not read, and why. */
interface RefusedRecord {
  path: string
  refused: string
}

/**
 * Why shards that do not merge may not: a shard whose specs could not be loaded wrote a record in
 * place of its results, and that record was refused, so what is missing is not all there is to
 * say. `merge`: what merging said.
 */
function refusedRecordsError(refused: readonly RefusedRecord[], merge: string): UsageError {
  const records = refused.map(({ path, refused: why }) => `${path} (${terminalLine(why, 300)})`)
  const named =
    records.length === 1
      ? `the record of invalid specs ${records.join('')} was refused`
      : `the records of invalid specs ${records.join(', ')} were refused`
  return new UsageError(
    `${named}, so the shards do not merge: a shard whose specs could not be loaded writes such a record in place of its results, and its problems cannot be reported from a refused one. Merging said: ${merge}. The log of that shard's job lists its problems: fix them and run the shards again; if its specs do load, run that shard again, as its record was damaged`
  )
}

/**
 * A matrix job's shards, merged and written as this job's results (before any GitHub call).
 * `refused`: the shards' records of invalid specs that could not be read, named when the shards
 * do not merge.
 */
async function mergeShardResults(
  paths: readonly string[],
  out: string,
  run: { commit: string; commentKey: string | undefined },
  refused: readonly RefusedRecord[],
  deps: ActionDeps
): Promise<RunResult> {
  const shards = await readShardsToMerge(out, paths, {
    cwd: deps.cwd,
    shown: 'input `results-path`',
    advice: 'set it to a file of its own, e.g. merged/results.json'
  })
  const { commit, commentKey } = run
  let shardsRun: RunResult
  try {
    shardsRun = mergeShards(shards)
  } catch (error) {
    if (refused.length === 0 || !(error instanceof UsageError)) throw error
    throw refusedRecordsError(refused, error.message)
  }
  // Stale artifacts would be compared, or stored as this commit's baseline, under the wrong SHA.
  if (shardsRun.run.commit !== commit) {
    throw new UsageError(
      `the shards in ${paths.join(', ')} hold results of ${shardsRun.run.commit ?? 'an unknown commit'}, not of this run's ${commit}: download the artifacts of this workflow run`
    )
  }
  // This job comments, not the shards' jobs.
  const { commentKey: _shardJob, ...meta } = shardsRun.run
  const merged = { ...shardsRun, run: { ...meta, ...(commentKey ? { commentKey } : {}) } }
  await writeRunResult(out, merged)
  deps.io.info(`evalgate: merged ${shards.length} shards into ${out}`)
  return merged
}

/** The baseline an event compares with: found, known to be missing, or unreadable right now. */
type BaselineLookup =
  | { status: 'found'; match: BaselineMatch; what: string; mergeBase?: string }
  | { status: 'none'; why: string }
  | { status: 'unavailable'; error: string }

function lookupOf(
  found: Attempt<BaselineSearch>,
  what: string,
  why: string,
  key: string | undefined
): BaselineLookup {
  if (!found.ok) return { status: 'unavailable', error: found.error }
  const { match, unkeyed } = found.value
  if (match) return { status: 'found', match, what }
  return { status: 'none', why: why + unkeyedNote(key, unkeyed) }
}

/** Said when the baselines found are another job's, stored without this job's `comment-key`. */
function unkeyedNote(key: string | undefined, unkeyed: string | undefined): string {
  if (key === undefined || unkeyed === undefined) return ''
  return ` This job reads the baselines stored under its \`comment-key\` (${markdownInline(key, 100)}), and \`${shortSha(unkeyed)}\` has one stored by a job without it: set the same \`comment-key\` on the job that stores baselines (on pushes and schedules) as on the job that reads them (on pull requests).`
}

/** Said when the data branch does not exist at all: not yet, or `baseline-branch` has a typo. */
async function missingBranchNote(store: BaselineStore): Promise<string> {
  if (!(store instanceof BranchStore) || (await store.exists())) return ''
  return ` The data branch \`${store.branch}\` does not exist: a push to the default branch creates it; if pushes store on another branch, check the input \`baseline-branch\`.`
}

/**
 * Whether the event compares with a baseline (DESIGN "The action's behaviour by event"): known
 * from the event alone, before any call to GitHub, so a run without a token says the same.
 */
function comparesWithBaseline(context: ActionContext, isDefaultBranch: boolean): boolean {
  // A pull request or a merge queue compares with the base its payload names.
  if (context.eventName === 'pull_request') return context.pullRequest !== undefined
  if (context.eventName === 'merge_group') return context.mergeGroup !== undefined
  return eventCompares(context.eventName, isDefaultBranch)
}

/**
 * Whether a run of `eventName` compares with a baseline, by the event's name and branch: also
 * for the run a `report-from` job reports on, whose payload that job does not have.
 */
function eventCompares(eventName: string, isDefaultBranch: boolean): boolean {
  switch (eventName) {
    case 'pull_request':
    case 'merge_group':
    case 'schedule':
    case 'workflow_dispatch':
      return true
    case 'push':
      return isDefaultBranch
    default:
      return false
  }
}

/**
 * The baseline of an event that compares (comparesWithBaseline): a pull request's merge base, a
 * push's parent, a scheduled run's own commit, each walking back first parents.
 */
async function lookUpBaseline(
  context: ActionContext,
  isDefaultBranch: boolean,
  client: GitHubClient,
  store: BaselineStore,
  settings: ActionSettings,
  io: ActionIO
): Promise<BaselineLookup> {
  const maxDistance = settings.baseline.maxDistance
  const walkFrom = async (sha: string, what: string, why: string) =>
    lookupOf(
      await attempt('reading the baseline', io, () =>
        findBaseline(store, firstParentHistory(client, sha, maxDistance + 1), { maxDistance })
      ),
      what,
      why,
      store.key
    )
  if (context.eventName === 'pull_request' && context.pullRequest) {
    const pr = context.pullRequest
    const found = await attempt('reading the baseline', io, () =>
      findPullRequestBaseline(client, store, { base: pr.baseSha, head: pr.headSha, maxDistance })
    )
    if (!found.ok) return { status: 'unavailable', error: found.error }
    const { match, mergeBase, unkeyed } = found.value
    if (mergeBase === undefined) {
      return {
        status: 'none',
        why: 'The pull request shares no history with its base branch: there is no merge base to compare with.'
      }
    }
    if (match) {
      return { status: 'found', match, what: `merge base \`${shortSha(mergeBase)}\``, mergeBase }
    }
    const parents =
      maxDistance === 0
        ? ''
        : maxDistance === 1
          ? ' or its first parent'
          : ` or its ${maxDistance} first parents`
    return {
      status: 'none',
      why: `No stored results for the merge base${parents}.${await missingBranchNote(store)}${unkeyedNote(store.key, unkeyed)}`
    }
  }
  if (context.eventName === 'merge_group' && context.mergeGroup) {
    // The queue's commit is built on the base branch's tip: that tip is the baseline.
    return walkFrom(
      context.mergeGroup.baseSha,
      'base of the merge queue',
      'No stored results for the base of the merge queue or its first parents.'
    )
  }
  if (context.eventName === 'push' && isDefaultBranch) {
    const parent = await attempt(
      'reading the parent commit',
      io,
      async () => (await client.getCommit(context.sha)).parents[0]
    )
    if (!parent.ok) return { status: 'unavailable', error: parent.error }
    if (parent.value === undefined) return { status: 'none', why: 'This is a root commit.' }
    return walkFrom(parent.value, 'parent commit', 'No stored results for the parent commits.')
  }
  // A scheduled or dispatched run.
  return walkFrom(
    context.sha,
    'checked-out commit',
    'No stored results for this commit or its first parents.'
  )
}

/**
 * The run; results that could not be written fail the step, naming where they were saved. A
 * fork's pull request gets no secrets (DESIGN: "replay from cache or report neutral"): the
 * providers and judges whose variables are not set are replayed from the cache — a miss is
 * reported and gates nothing — while the others, the pull request's own code among them, run and
 * are gated as usual.
 */
async function runEvalsForEvent(
  options: RunEvalsOptions,
  context: ActionContext,
  io: ActionIO
): Promise<{ run: RunResult; replayed: ReplayedProvider[] }> {
  const fromFork = context.pullRequest?.fromFork === true
  const cache = options.cache && fromFork ? { ...options.cache, replayUnset: true } : options.cache
  const { run, rescue, replayed } = await runEvals({
    ...options,
    ...(cache ? { cache } : {})
  })
  if (rescue) throw rescue
  // Outside a fork, only `cache: replay` replays: every answer, as asked, for no missing secret.
  if (!fromFork) return { run, replayed: [] }
  if (replayed.length > 0) {
    io.warning(
      `evalgate: this pull request comes from a fork, and GitHub gives forks no secrets: ${replayedList(replayed)} replayed answers from the cache in ${options.cache?.dir ?? 'the cache directory'} instead of calling; an answer not there is reported as missing and fails nothing. ${othersNote(options.cache?.mode ?? 'off')} (see "Pull requests from forks" in the README)`
    )
  }
  return { run, replayed }
}

/**
 * What became of the providers a fork's run did not replay for want of a secret, by the run's
 * cache mode (`unknown` for a report-from job, whose results do not record it).
 */
function othersNote(mode: CacheMode | 'unknown'): string {
  if (mode === 'replay') {
    return 'The other providers were replayed too, as `cache: replay` asks: their missing answers fail the check'
  }
  if (mode === 'unknown') {
    return 'The other providers ran (or, under `cache: replay`, were replayed too) and are compared as usual'
  }
  return 'The other providers ran and are compared as usual'
}

/** `suite / provider x (VAR not set)`, for the log and the report. */
function replayedList(replayed: readonly ReplayedProvider[]): string {
  return replayed
    .map(
      ({ suite, what, unsetVariables }) =>
        `${suite} / ${what} (${unsetVariables.join(', ')} not set)`
    )
    .join(', ')
}

/** Said above the report of a fork's run: which answers were replayed rather than called, and why. */
function replayNote(
  replayed: readonly ReplayedProvider[],
  mode: CacheMode | 'unknown'
): string | undefined {
  if (replayed.length === 0) return undefined
  return `> **Replayed from the cache, not called:** ${markdownInline(replayedList(replayed), 1_000)}. GitHub gives a fork's pull request no secrets; a missing answer fails nothing. ${othersNote(mode)}.\n`
}

/**
 * Refuses, before anything runs, a baseline store that would write where it must not: the data
 * branch onto the branch under test, the file store outside the repository it is to be
 * committed in.
 */
async function checkBaselineLocation(
  settings: ActionSettings,
  context: ActionContext,
  cwd: string
): Promise<void> {
  const { baseline } = settings
  if (baseline.store === 'branch') {
    const underTest = [
      context.defaultBranch,
      context.pullRequest?.baseRef,
      context.ref.replace(/^refs\/heads\//, '')
    ]
    if (underTest.includes(baseline.branch)) {
      throw new UsageError(
        `input \`baseline-branch\` names the branch under test (${baseline.branch}): baselines go on a branch of their own, such as the default ${DEFAULT_DATA_BRANCH}`
      )
    }
  } else {
    const inside = relative(cwd, resolve(cwd, baseline.dir))
    if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
      throw new UsageError(
        `input \`baseline-dir\` must be inside the repository (${cwd}), where it can be committed; got "${baseline.dir}"`
      )
    }
    if (inside === '' || inside.split(sep)[0] === '.git') {
      throw new UsageError(
        `input \`baseline-dir\` must be a directory of its own in the repository, which can be committed (not its root, nor .git); got "${baseline.dir}": use the default .evalgate/baselines`
      )
    }
    // Missing is fine, the first baseline makes it; what stands in its way is said now.
    const found = await stat(resolve(cwd, baseline.dir)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw new UsageError(
        `input \`baseline-dir\` cannot be used: ${errorMessage(error)}; choose another directory`
      )
    })
    if (found !== undefined && !found.isDirectory()) {
      throw new UsageError(
        `input \`baseline-dir\` names a file, not a directory: "${baseline.dir}"; move it out of the way or choose another directory`
      )
    }
  }
}

/** What a run whose specs could not be loaded records for a `report-from` job. */
interface InvalidSpecsRecord {
  /** The commit whose specs these are. */
  commit: string
  /** The job (or `comment-key`) whose sticky comment reports them. */
  commentKey?: string
  /**
   * The problems, as the step's failure lists them (the runner's tokens and the specs' secrets
   * redacted).
   */
  problems: string
}

/** The report of specs that could not be loaded: the job summary, and the comment. */
function invalidSpecsMarkdown(problems: string): string {
  return [
    '### evalgate: invalid specs',
    '',
    'The eval specs could not be loaded, so nothing was run or compared, and this check fails. Fix these problems (`evalgate validate` lists them too):',
    '',
    // The specs are the pull request's to write: their text is fenced, never rendered.
    codeBlock(problems),
    ''
  ].join('\n')
}

/**
 * Characters of problems a report keeps: more than a comment shows, well within what a record's
 * reader takes (MAX_INVALID_SPECS_BYTES), since a spec naming thousands of moved files has as many.
 */
const MAX_PROBLEMS_CHARS = 60_000

/** `problems` cut at a line end to MAX_PROBLEMS_CHARS, saying how many lines the log has besides. */
function capProblems(problems: string): string {
  if (problems.length <= MAX_PROBLEMS_CHARS) return problems
  const lineEnd = problems.lastIndexOf('\n', MAX_PROBLEMS_CHARS)
  const kept = lineEnd > 0 ? problems.slice(0, lineEnd) : sliceWhole(problems, MAX_PROBLEMS_CHARS)
  const left = problems
    .slice(kept.length)
    .split('\n')
    .filter((line) => line !== '').length
  return `${kept}\n… and ${left.toLocaleString('en-US')} more lines: see this job's log`
}

/**
 * Specs that cannot be loaded (a case file's path mistyped, a field the schema refuses, a module
 * that fails to import) run nothing: said in the job summary and the outputs, and on a pull
 * request in its comment, where the report of an earlier commit must not stand for this one. A
 * comment is written as for any run that fails the check; the step fails with the same problems.
 * A fork's run cannot comment: what it records beside the results is reported by `report-from`.
 * A shard comments nothing either: the `merge-from` job reports what it records, in its comment.
 * Returns the problems as reported, for the step's failure.
 */
async function reportInvalidSpecs(
  problemsFound: string,
  settings: ActionSettings,
  context: ActionContext,
  commentKey: string | undefined,
  deps: ActionDeps
): Promise<string> {
  const { io } = deps
  io.setOutput('verdict', 'invalid-specs')
  io.setOutput('passed', 'false')
  // A module that fails to import may quote the runner's tokens, which it can read (see main.ts),
  // or the keys of the specs' providers and judges, expanded before it failed.
  const specSecrets = await writtenSecrets(settings.specs, { cwd: deps.cwd, env: deps.env })
  const redacted = redactText(problemsFound, [...(deps.secrets ?? []), ...specSecrets])
  const problems = capProblems(redacted)
  const record: InvalidSpecsRecord = {
    commit: context.pullRequest?.headSha ?? context.sha,
    ...(commentKey ? { commentKey } : {}),
    problems
  }
  const recordPath = invalidSpecsPathFor(settings.resultsPath)
  const path = resolve(deps.cwd, recordPath)
  await writeFileAtomic(path, JSON.stringify(record) + '\n').catch((writeError: unknown) =>
    io.warning(
      `evalgate: could not write ${path} for a report-from job: ${errorMessage(writeError)}`
    )
  )
  const markdown = invalidSpecsMarkdown(problems)
  if (
    !settings.shard &&
    context.eventName === 'pull_request' &&
    context.pullRequest &&
    settings.githubToken
  ) {
    const client = githubClient(settings.githubToken, context, deps)
    await postComment({
      settings,
      client,
      io,
      owner: { workflow: context.workflow, key: commentKey },
      pullNumber: context.pullRequest.number,
      body: markdown,
      regressed: true,
      reportFile: recordPath
    })
  }
  await io.writeSummary(markdown)
  return redacted
}

/**
 * The problems recorded by the shards whose specs could not be loaded, of `commit`: such a shard
 * wrote no results, so the run cannot be merged, and this job reports them in their place. A
 * record of another commit (a stale artifact) is passed over.
 */
async function shardsInvalidSpecs(
  paths: readonly string[],
  commit: string,
  deps: ActionDeps
): Promise<{ problems: string | undefined; refused: RefusedRecord[] }> {
  const records = await invalidSpecsRecordsAmong(paths.map((path) => resolve(deps.cwd, path)))
  const problems = new Set<string>()
  const refused: RefusedRecord[] = []
  for (const path of records) {
    const record = await readInvalidSpecs(path, deps.io)
    if (record && 'refused' in record) refused.push({ path, refused: record.refused })
    else if (record && record.commit === commit) problems.add(record.problems)
  }
  return { problems: problems.size > 0 ? [...problems].join('\n\n') : undefined, refused }
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
  if (context.eventName === 'pull_request_target') {
    // Its default checkout is the base branch: the run would measure the base's code and pass
    // it off as the pull request's; a checkout of the PR's code would run it with secrets.
    throw new UsageError(
      'evalgate does not run on pull_request_target: run it on pull_request, and for pull requests from forks post the comment from a workflow_run job with report-from (see the README)'
    )
  }
  if (settings.reportFrom !== undefined) {
    return reportFromArtifact(settings.reportFrom, settings, context, deps)
  }
  await checkBaselineLocation(settings, context, deps.cwd)
  const { io } = deps
  const out = resolve(deps.cwd, settings.resultsPath)
  const commentKey = settings.commentKey ?? context.job
  let refusedRecords: RefusedRecord[] = []
  if (settings.mergeFrom) {
    const commit = context.pullRequest?.headSha ?? context.sha
    const records = await shardsInvalidSpecs(settings.mergeFrom, commit, deps)
    if (records.problems !== undefined) {
      await reportInvalidSpecs(records.problems, settings, context, commentKey, deps)
      return `evalgate: the specs of ${shortSha(commit)} could not be loaded in a shard, so there is nothing to merge; the job summary lists the problems`
    }
    refusedRecords = records.refused
  }
  const { run, replayed } = settings.mergeFrom
    ? await mergeShardResults(
        settings.mergeFrom,
        out,
        { commit: context.pullRequest?.headSha ?? context.sha, commentKey },
        refusedRecords,
        deps
      ).then((merged) => ({ run: merged, replayed: merged.run.replayed ?? [] }))
    : await runEvalsForEvent(
        {
          paths: settings.specs,
          cwd: deps.cwd,
          env: deps.env,
          ...(deps.secrets ? { secrets: deps.secrets } : {}),
          out,
          concurrency: settings.concurrency,
          cache: { mode: settings.cache.mode, dir: resolve(deps.cwd, settings.cache.dir) },
          warn: (message) => io.warning(message),
          progress: lineProgress({ write: (text) => io.info(text.trimEnd()) }, () =>
            performance.now()
          ),
          signal: deps.signal,
          ...(settings.repeats !== undefined ? { repeats: settings.repeats } : {}),
          ...(settings.shard ? { shard: settings.shard } : {}),
          ...(settings.filter !== undefined ? { filter: settings.filter } : {}),
          meta: {
            ...(context.sha ? { commit: context.pullRequest?.headSha ?? context.sha } : {}),
            ...(context.ref ? { ref: context.ref } : {}),
            ...(context.eventName ? { event: context.eventName } : {}),
            ...(commentKey ? { commentKey } : {})
          }
        },
        context,
        io
      ).catch(async (error: unknown) => {
        if (!(error instanceof InputError)) throw error
        // The step fails with the problems as reported: redacted.
        const problems = await reportInvalidSpecs(
          error.message,
          settings,
          context,
          commentKey,
          deps
        )
        throw new EvalgateError(problems, error.exitCode)
      })
  io.setOutput('results-path', out)
  // The specs load now: a record of an earlier run's problems is no report of this one.
  await removeFile(invalidSpecsPathFor(out))
  const summaries = summarizeRun(run)
  const belowThreshold = summaries.filter((s) => s.belowThreshold)
  if (!run.run.complete) {
    io.setOutput('verdict', 'incomplete')
    io.setOutput('passed', 'false')
    await io.writeSummary(
      incompleteMarkdown(
        'nothing was compared, stored or commented, and this check fails.',
        run,
        summaries
      )
    )
    return `evalgate: ${incompleteWhy(run)}; partial results in ${out}`
  }
  if (run.run.shard) {
    // A part of the run gates nothing: the job that merges every shard compares and comments. Its
    // pass rates are of a part of each suite's cases, so it sets no `passed` either.
    const { index, total } = run.run.shard
    await io.writeSummary(
      `### evalgate: shard ${index} of ${total}\n\nThis job ran only its shard of the cases, so it compares, comments and stores nothing; a later job merges every shard's results with \`merge-from\` and gates the whole run.\n\n${renderRunMarkdown(run, summaries)}`
    )
    io.info(`evalgate: shard ${index}/${total} done; merge every shard's results with merge-from`)
    return undefined
  }
  io.setOutput('passed', String(belowThreshold.length === 0))

  const client = settings.githubToken
    ? githubClient(settings.githubToken, context, deps)
    : undefined
  if (!client) io.warning('evalgate: no `github-token`: no baseline, comment or tracking issue')
  const store = storeFor(settings, client, deps)
  const now = deps.now()
  const isDefaultBranch =
    context.defaultBranch !== undefined && context.ref === `refs/heads/${context.defaultBranch}`
  const failsOnThreshold = settings.failOnThreshold && belowThreshold.length > 0
  const scheduled = context.eventName === 'schedule' || context.eventName === 'workflow_dispatch'
  // A filtered run holds only some cases: as a baseline it would leave the others unpaired, and
  // a full run of the same commit, finding it, would not replace it. A run made during an outage
  // would compare nothing: the baseline search goes on to an earlier commit instead.
  const partial = run.run.filter !== undefined
  const outage = outages(run)
  const unfitAsBaseline = partial
    ? `the run was filtered (${run.run.filter}), so it holds only some cases`
    : outage.length > 0
      ? `${outage.join(', ')} mostly failed to reach the provider or its judge (an outage), so it would compare nothing`
      : undefined
  if (unfitAsBaseline && isDefaultBranch && (context.eventName === 'push' || scheduled)) {
    io.info(`evalgate: not stored as the baseline of ${shortSha(context.sha)}: ${unfitAsBaseline}`)
  }
  const storedPush =
    context.eventName === 'push' && isDefaultBranch && store && client && !unfitAsBaseline
      ? await storeBaseline(store, context.sha, run, settings, io)
      : false
  const compares = comparesWithBaseline(context, isDefaultBranch)
  const lookup =
    compares && store && client
      ? await lookUpBaseline(context, isDefaultBranch, client, store, settings, io)
      : undefined
  await recordBaselineError(out, lookup?.status === 'unavailable' ? lookup.error : undefined)

  const comparison =
    lookup?.status === 'found'
      ? compareRuns(lookup.match.run, run, {
          seed: context.pullRequest?.headSha ?? context.sha,
          strict: settings.strict
        })
      : undefined
  const storedNight =
    scheduled && isDefaultBranch && store && lookup && !unfitAsBaseline
      ? await storeNight(
          store,
          context.sha,
          run,
          { lookup, comparison, belowThreshold },
          settings,
          io
        )
      : false

  let markdown: string
  let summaryMarkdown: string | undefined
  // Said first: the suites that fail the check, then the answers replayed for want of secrets.
  const preface =
    (alertFor(settings, summaries) ?? '') +
    // The shards' cache mode is theirs, not this merging job's.
    (replayNote(replayed, settings.mergeFrom ? 'unknown' : settings.cache.mode) ?? '')
  if (lookup?.status === 'found' && comparison) {
    // Recorded for a report-from job, which says where the baseline came from too.
    if (lookup.mergeBase !== undefined) {
      comparison.baseline = { mergeBase: lookup.mergeBase, distance: lookup.match.distance }
    }
    const { match } = lookup
    const reportOptions = {
      baseline: baselineLine(
        { sha: match.sha, distance: match.distance, finishedAt: match.run.run.finishedAt },
        now,
        lookup.what
      ),
      room: preface.length
    }
    markdown = comparisonMarkdown(comparison, context.runUrl, reportOptions)
    summaryMarkdown =
      preface +
      comparisonMarkdown(comparison, context.runUrl, { ...reportOptions, budget: SUMMARY_BUDGET })
  } else if (lookup?.status === 'none') {
    // The file store's baseline is a file in the workspace, which ends with the job.
    const stored = !(storedNight || storedPush)
      ? scheduled
        ? 'Baselines are stored by runs on pushes to the default branch, and by the first healthy scheduled run of a commit on it.'
        : undefined
      : settings.baseline.store === 'file'
        ? `This run was written to \`${markdownInline(settings.baseline.dir, 200)}\` as the baseline of \`${shortSha(context.sha)}\`: later runs compare with it once that directory is committed.`
        : `This run is now the baseline of \`${shortSha(context.sha)}\`: later runs compare with it.`
    markdown = noBaselineMarkdown(lookup.why, run, summaries, stored)
  } else if (lookup?.status === 'unavailable')
    markdown = baselineUnavailableMarkdown(lookup.error, run, summaries)
  else if (compares) {
    markdown = uncomparedMarkdown(
      'no baseline',
      'No `github-token`, so no baseline could be read: finding it walks the commit history on GitHub. Nothing was compared and this check does not fail for it; give the step a token (the default `${{ github.token }}`) to compare.',
      run,
      summaries
    )
  } else {
    markdown = notComparedMarkdown(context.eventName, run, summaries)
  }
  markdown = preface + markdown

  if (context.eventName === 'pull_request' && context.pullRequest && client && lookup) {
    const failed = (comparison !== undefined && failing(comparison)) || failsOnThreshold
    await postComment({
      settings,
      client,
      io,
      owner: { workflow: context.workflow, key: commentKey },
      pullNumber: context.pullRequest.number,
      body: markdown,
      regressed: failed
    })
  } else if (
    scheduled &&
    lookup &&
    store &&
    client &&
    settings.trackingIssue &&
    // A broken threshold fails the night whatever the baseline; a healthy one closes the issue
    // only when compared.
    (comparison || failsOnThreshold)
  ) {
    // The tracking issue follows the default branch's whole suites: a dispatch elsewhere, or a
    // filtered run (which may skip the very cases that regressed), only reports.
    if (isDefaultBranch && !partial) {
      const baseline = lookup.status === 'found' ? lookup.match.sha : undefined
      await trackNight(
        settings,
        context,
        client,
        {
          source: 'night',
          comparison,
          markdown,
          failsOnThreshold,
          storedAsBaseline: storedNight,
          baseline,
          recheck: (recorded) =>
            recheckNight(recorded, { run, baseline }, store, settings, context, now, io)
        },
        io
      )
    } else
      io.info(
        partial
          ? `evalgate: the run was filtered (${run.run.filter}): the tracking issue is left alone`
          : `evalgate: ${context.ref || 'this ref'} is not the default branch: the tracking issue is left alone`
      )
  } else if (context.eventName === 'push' && lookup?.status === 'found' && store && client) {
    // The push that first sees a provider's new model makes it the baseline: said as a night
    // would say it, or no night ever would.
    const drifted = driftedGroups(comparison)
    if (drifted.length > 0) {
      io.warning(
        `evalgate: the model changed since the baseline of ${shortSha(lookup.match.sha)}: the provider reports another model or system fingerprint for ${driftList(drifted, terminalLine)}`
      )
      if (settings.trackingIssue && !partial) {
        const baseline = lookup.match.sha
        await trackNight(
          settings,
          context,
          client,
          {
            source: 'push',
            comparison,
            markdown,
            failsOnThreshold,
            storedAsBaseline: storedPush,
            baseline,
            recheck: (recorded) =>
              recheckNight(recorded, { run, baseline }, store, settings, context, now, io)
          },
          io
        )
      }
    }
  }

  // A regression fails neither a push (merged already) nor a run told not to fail on one.
  const failsOnRegression =
    settings.failOnRegression &&
    comparison !== undefined &&
    failing(comparison) &&
    context.eventName !== 'push'
  if (comparison) {
    await writeComparison(comparison, out, io)
    const stepFails = failsOnRegression || failsOnThreshold
    await annotateRegressions(comparison, stepFails ? 'error' : 'warning', io, deps.cwd)
  } else if (lookup?.status === 'unavailable') {
    io.setOutput('verdict', 'baseline-unavailable')
  } else if (!compares) {
    io.setOutput('verdict', 'not-compared')
    io.info(`evalgate: ${notComparedWhy(context.eventName)}; the report is in the job summary`)
  } else {
    io.setOutput('verdict', 'no-baseline')
    if (client) io.info('evalgate: no baseline to compare with; see the job summary')
  }
  await io.writeSummary(summaryMarkdown ?? markdown)

  if (comparison && failsOnRegression) {
    const strict = strictFailures(comparison)
    return `evalgate: ${comparison.summary}${strict.length > 0 ? ` Strict mode fails: ${strict.join('; ')}.` : ''}`
  }
  if (failsOnThreshold) {
    return `evalgate: ${thresholdFailures(belowThreshold)}; results in ${out}`
  }
  return undefined
}

/** Stores `run` as the baseline of `sha`, saying so; false (and a warning) when it could not. */
async function storeBaseline(
  store: BaselineStore,
  sha: string,
  run: RunResult,
  settings: ActionSettings,
  io: ActionIO
): Promise<boolean> {
  const stored = await storeBaselineSafely(store, sha, run)
  if (!stored.ok) {
    io.warning(
      `evalgate: could not store the baseline (the verdict is unaffected): ${stored.error}`
    )
  } else if (settings.baseline.store === 'file') {
    // The file store writes into the workspace, which ends with the job: only a commit keeps it.
    io.warning(
      `evalgate: wrote the baseline of ${shortSha(sha)} to ${settings.baseline.dir}; the workspace ends with this job, so commit that directory to keep it (or use baseline-store: branch)`
    )
  } else io.info(`evalgate: stored the results as the baseline of ${shortSha(sha)}`)
  return stored.ok
}

/** The suites and providers whose model or system fingerprint changed since the baseline. */
function driftedGroups(comparison: Comparison | undefined): Comparison['groups'] {
  return comparison?.groups.filter((group) => group.modelChanged) ?? []
}

/**
 * A scheduled run on the default branch becomes the baseline of its commit when it is the first
 * healthy one there (a repository may run evals only on a schedule), or when its model changed
 * and nothing else did: the default branch now runs that model, and pull requests must compare
 * with it. Not a night that fails: the next night would pass against it. Whether it was stored.
 */
async function storeNight(
  store: BaselineStore,
  sha: string,
  run: RunResult,
  night: {
    lookup: BaselineLookup
    comparison: Comparison | undefined
    belowThreshold: readonly ProviderSummary[]
  },
  settings: ActionSettings,
  io: ActionIO
): Promise<boolean> {
  const { lookup, comparison } = night
  if (lookup.status === 'unavailable') return false
  // The commit has its baseline already: replaced only by the model it now runs.
  const ownBaseline = lookup.status === 'found' && lookup.match.distance === 0
  if (ownBaseline && driftedGroups(comparison).length === 0) return false
  const notStored = (why: string) => {
    io.info(`evalgate: not stored as the baseline of ${shortSha(sha)}: ${why}`)
    return false
  }
  if (comparison && failing(comparison) && lookup.status === 'found') {
    return notStored(`it fails against the baseline of ${shortSha(lookup.match.sha)}`)
  }
  if (settings.failOnThreshold && night.belowThreshold.length > 0) {
    return notStored(thresholdFailures(night.belowThreshold))
  }
  return storeBaseline(store, sha, run, settings, io)
}

/**
 * What changed, as `suite / provider (before → after)`, escaped for the issue (or, with
 * `terminalLine`, for the log): model ids come from the provider.
 */
function driftList(
  groups: Comparison['groups'],
  escape: (text: string, max: number) => string = markdownInline
): string {
  const described = groups.slice(0, 10).map((group) => {
    const side = (info: typeof group.base) => [
      ...(info?.models ?? []),
      ...(info?.fingerprints ?? [])
    ]
    return `${escape(group.suite, 100)} / ${escape(group.providerId, 100)} (${escape(side(group.base).join(', '), 120)} → ${escape(side(group.head).join(', '), 120)})`
  })
  if (groups.length > 10) described.push(`and ${groups.length - 10} more`)
  return described.join('; ')
}

/**
 * A healthy night against the baseline the open tracking issue reports on, when the night
 * compared with another: a push stored a newer one since, perhaps with the very failure reported.
 */
async function recheckNight(
  recorded: string,
  night: { run: RunResult; baseline: string | undefined },
  store: BaselineStore,
  settings: ActionSettings,
  context: ActionContext,
  now: Date,
  io: ActionIO
): Promise<Recheck> {
  const run = context.runUrl ? ` ([run](${context.runUrl}))` : ''
  const newer = shortSha(night.baseline ?? context.sha)
  const older = shortSha(recorded)
  const read = await attempt('reading the baseline the tracking issue reports on', io, () =>
    store.read(recorded)
  )
  if (!read.ok || read.value === undefined) {
    const where =
      settings.baseline.store === 'file'
        ? `in \`${settings.baseline.dir}\``
        : `on the data branch \`${settings.baseline.branch}\``
    const why = read.ok
      ? `no readable baseline of it is ${where} any more`
      : `reading it failed: ${markdownInline(read.error, 300)}`
    io.info(
      `evalgate: the tracking issue stays open: this night passes against the baseline of ${newer}, but the baseline the issue reports on, ${older}, cannot be read`
    )
    return {
      state: 'unknown',
      comment: `Tonight passes against the baseline of \`${newer}\`, but this issue reports a failure against the baseline of \`${older}\`, and ${why}, so whether the failure is gone cannot be told: this issue stays open. Close it by hand once the reports show the problem is gone.${run}`
    }
  }
  const comparison = compareRuns(read.value, night.run, {
    seed: context.sha,
    strict: settings.strict
  })
  if (!failing(comparison))
    return { state: 'healthy', body: `Recovered: ${comparison.summary}${run}` }
  io.warning(
    `evalgate: the tracking issue stays open: this night passes against the baseline of ${newer}, but fails against ${older}, the baseline the issue reports on: ${comparison.summary}`
  )
  const note = `> [!WARNING]\n> **Still failing against the baseline this issue reports on:** tonight passes against the baseline of \`${newer}\`, stored since, but fails against \`${older}\`'s, so it is no recovery: a push may have stored the very failure reported here as its baseline. If the newer baseline's results are what you expect now, close this issue by hand.\n\n`
  const baseline = `Baseline: \`${older}\` (the one this issue reports on, ${ageText(read.value.run.finishedAt, now)}).`
  return {
    state: 'failing',
    body: note + comparisonMarkdown(comparison, context.runUrl, { baseline, room: note.length })
  }
}

/**
 * Nightly: one tracking issue, opened or updated on a regression, a broken threshold or a changed
 * model, closed when a night passes again; a changed model is reported once, and taken as the
 * new baseline. A push to the default branch that sees the model change reports it the same way.
 */
async function trackNight(
  settings: ActionSettings,
  context: ActionContext,
  client: GitHubClient,
  night: {
    source: 'night' | 'push'
    comparison: Comparison | undefined
    markdown: string
    /** A suite below its min-pass-rate fails the run: no recovery while one is. */
    failsOnThreshold: boolean
    storedAsBaseline: boolean
    /** The SHA of the baseline `comparison` is against. */
    baseline: string | undefined
    /** How a healthy night fares against the baseline the open issue reports on, if another. */
    recheck: (recorded: string) => Promise<Recheck>
  },
  io: ActionIO
): Promise<void> {
  const { comparison, markdown } = night
  const fails = (comparison !== undefined && failing(comparison)) || night.failsOnThreshold
  const drifted = driftedGroups(comparison)
  // The file store writes into the workspace: later nights read what was committed, not this.
  const kept = night.storedAsBaseline && settings.baseline.store !== 'file'
  const [self, Self] =
    night.source === 'push' ? ['this push', 'This push'] : ['this night', 'This night']
  const changed = `> **The model changed:** the provider reports another model or system fingerprint for ${driftList(drifted)}.`
  const failsToo =
    night.source === 'push'
      ? `This push fails against the baseline of \`${shortSha(night.baseline ?? context.sha)}\` as well: this issue stays open until a night passes against that baseline.`
      : 'This night fails as well, so it was not taken as the baseline: the next night compares with the old model again.'
  const driftNote =
    drifted.length === 0
      ? ''
      : fails
        ? `> [!WARNING]\n${changed} ${failsToo}\n\n`
        : kept
          ? `> [!NOTE]\n${changed} Nothing else failed, so ${self}'s results are now the baseline of \`${shortSha(context.sha)}\`: pull requests and the next nights compare with the new model, and the next night that matches it closes this issue.\n\n`
          : night.storedAsBaseline
            ? `> [!WARNING]\n${changed} Nothing else failed, so ${self}'s results were written as the baseline of \`${shortSha(context.sha)}\` to \`${settings.baseline.dir}\` in the workspace, which ends with this job: until that file is committed, the next nights compare with the old model again and report this change again (or use \`baseline-store: branch\`).\n\n`
            : `> [!WARNING]\n${changed} ${Self}'s results could not be stored as the baseline (see the run's log), so the next night compares with the old model again.\n\n`
  const state =
    fails || (drifted.length > 0 && !kept) ? 'failing' : drifted.length > 0 ? 'drifted' : 'healthy'
  // A drifted night's own results are the baseline the issue reports on from now.
  const baseline = state === 'drifted' ? context.sha : night.baseline
  const run = context.runUrl ? ` ([run](${context.runUrl}))` : ''
  const summary = comparison?.summary ?? ''
  const key = settings.commentKey
  const title = `evalgate: regression or model drift in ${context.workflow}`
  // The issue an earlier evalgate opened for the workflow, under this title, is the unkeyed job's.
  const formerMarker = key === undefined ? formerTrackingMarker(context.workflow) : undefined
  const result = await attempt('updating the tracking issue', io, () =>
    syncTrackingIssue(client, {
      marker: trackingMarker(context.workflow, key),
      ...(formerMarker === undefined ? {} : { former: { marker: formerMarker, title } }),
      label: settings.trackingLabel,
      title: key === undefined ? title : `${title} (${key})`,
      state,
      body: state === 'healthy' ? `Recovered: ${summary}${run}` : `${driftNote}${markdown}`,
      afterDrift: `The changed model reported here was taken as the new baseline; tonight's run reports the same model and compares with it: ${summary}${run}`,
      ...(baseline === undefined ? {} : { baseline }),
      recheck: night.recheck,
      // A push reports once per commit, not once per day as a night does.
      ...(night.source === 'push' ? { runKey: `push-${context.sha}` } : {}),
      ...(settings.commentAuthor ? { author: settings.commentAuthor } : {})
    })
  )
  if (result.ok && result.value.url) {
    io.setOutput('issue-url', result.value.url)
    io.info(`evalgate: tracking issue ${result.value.action}: ${result.value.url}`)
  }
}

/**
 * The most report-from reads of an artifact, which the pull request's code writes: far above what
 * a run of 100,000 cases makes, and below what would keep the trusted job busy for long.
 */
const MAX_ARTIFACT_RESULTS_BYTES = 256 * 2 ** 20
const MAX_ARTIFACT_COMPARISON_BYTES = 64 * 2 ** 20

/** The artifact's comparison: read, refused (and why), or not there (no baseline was found). */
type ArtifactComparison = { comparison: Comparison } | { refused: string } | undefined

/** The artifact's comparison, when it is a comparison of `run` (the results beside it). */
async function readComparison(
  path: string,
  run: RunResult,
  io: ActionIO
): Promise<ArtifactComparison> {
  const read = await readArtifactFile(
    path,
    {
      what: 'an evalgate comparison',
      maxBytes: MAX_ARTIFACT_COMPARISON_BYTES,
      check: checkArtifactComparison
    },
    io
  )
  if (!read || 'refused' in read) return read
  const { head } = read.value
  // Another run's comparison beside these results (an older commit's) is not their verdict.
  if (head.id !== run.run.id || head.commit !== (run.run.commit ?? null)) {
    const of = `${terminalLine(head.commit ?? 'an unknown commit', 40)}, run ${terminalLine(head.id, 40)}`
    io.warning(
      `evalgate: ${path} compares the results of ${of}, not those beside it (${run.run.commit ?? 'an unknown commit'}, run ${run.run.id}); reporting without it`
    )
    return { refused: `it compares the results of ${of}, not those of this run` }
  }
  return { comparison: withDerivedVerdicts(read.value) }
}

/**
 * `json` as a comparison. The artifact is the pull request's code's to write: what fails the
 * check is never rendered. An evalgate of another version (the PR may change it) writes another
 * shape: said so.
 */
function checkArtifactComparison(json: unknown): Checked<Comparison> {
  const checked = checkComparison(json)
  if (checked.problem === undefined) return { value: checked.comparison }
  const writtenBy = isRecord(json) && isRecord(json.tool) ? json.tool.version : undefined
  const version =
    typeof writtenBy === 'string' && writtenBy !== TOOL_VERSION
      ? `; it was written by evalgate ${terminalLine(writtenBy, 20)}, this job runs ${TOOL_VERSION}`
      : ''
  return { problem: checked.problem + version }
}

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
 * What a `report-from` job shows of a run it has no comparison of, as that run's own job said it,
 * and the verdict output that job set.
 */
function uncomparedArtifactReport(
  run: RunResult,
  summaries: readonly ProviderSummary[],
  found: {
    /** The run's event, and whether that event compares (eventCompares). */
    event: string
    compares: boolean
    /** Why the comparison beside the results was refused, if it was. */
    refused: string | undefined
    /** The error the run recorded while it read the baseline, if any. */
    baselineError: string | undefined
  }
): { report: string; verdict: string } {
  if (!run.run.complete) {
    return {
      verdict: 'incomplete',
      report: incompleteMarkdown(
        'nothing was compared or stored, and this check fails.',
        run,
        summaries
      )
    }
  }
  if (found.refused !== undefined) {
    return {
      verdict: 'comparison-unreadable',
      report: refusedComparisonMarkdown(found.refused, run, summaries)
    }
  }
  if (found.baselineError !== undefined) {
    return {
      verdict: 'baseline-unavailable',
      report: baselineUnavailableMarkdown(found.baselineError, run, summaries)
    }
  }
  if (!found.compares) {
    return { verdict: 'not-compared', report: notComparedMarkdown(found.event, run, summaries) }
  }
  const which = found.event === 'pull_request' ? 'pull request’s' : found.event
  return {
    verdict: 'no-baseline',
    report: noBaselineMarkdown(`The ${which} run found no baseline.`, run, summaries)
  }
}

/** The client of the repository the job runs in. */
function githubClient(token: string, context: ActionContext, deps: ActionDeps): GitHubClient {
  return deps.createClient({
    token,
    apiUrl: context.apiUrl,
    owner: context.owner,
    repo: context.repo,
    workflowRun: context.eventName === 'workflow_run'
  })
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

/** Said first in a report-from job's summary: no one gets the report unless they open the job. */
function noCommentNote(pull: { number: number } | { noComment: string }): string {
  return 'noComment' in pull ? `> **No comment posted:** ${pull.noComment}.\n\n` : ''
}

/** Far above what a run records of specs that cannot be loaded, and a quick read for report-from. */
const MAX_INVALID_SPECS_BYTES = 2 ** 20

/** `json` as an InvalidSpecsRecord. */
function checkInvalidSpecs(json: unknown): Checked<InvalidSpecsRecord> {
  if (!isRecord(json)) return { problem: 'not a JSON object' }
  const { commit, commentKey, problems } = json
  if (typeof commit !== 'string') return { problem: '`commit` is not a string' }
  if (typeof problems !== 'string') return { problem: '`problems` is not a string' }
  if (commentKey !== undefined && typeof commentKey !== 'string') {
    return { problem: '`commentKey` is not a string' }
  }
  return { value: { commit, problems, ...(commentKey === undefined ? {} : { commentKey }) } }
}

/** The record of specs that could not be loaded at `path`, if there is one (readArtifactFile). */
async function readInvalidSpecs(
  path: string,
  io: ActionIO
): Promise<InvalidSpecsRecord | { refused: string } | undefined> {
  const read = await readArtifactFile(
    path,
    {
      what: 'a record of invalid specs',
      maxBytes: MAX_INVALID_SPECS_BYTES,
      check: checkInvalidSpecs
    },
    io
  )
  return read && 'value' in read ? read.value : read
}

/**
 * A report-from job's report of a run whose specs could not be loaded, from what it recorded: the
 * problems, in the pull request's comment in place of the last commit's report, in the job
 * summary and the outputs; the step fails, as the run's own did.
 */
async function reportInvalidSpecsFromArtifact(
  record: InvalidSpecsRecord,
  /** Where the record is, as `report-from` names it. */
  recordPath: string,
  source: NonNullable<ActionContext['workflowRun']>,
  client: GitHubClient,
  settings: ActionSettings,
  context: ActionContext,
  io: ActionIO
): Promise<string> {
  const pull = await pullRequestToReportOn(client, source, io)
  const markdown = invalidSpecsMarkdown(record.problems)
  if ('number' in pull) {
    await postComment({
      settings,
      client,
      io,
      owner: { workflow: source.workflow ?? context.workflow, key: record.commentKey },
      pullNumber: pull.number,
      body: markdown,
      regressed: true,
      reportFile: recordPath,
      fromArtifact: true
    })
  }
  io.setOutput('verdict', 'invalid-specs')
  io.setOutput('passed', 'false')
  await io.writeSummary(noCommentNote(pull) + markdown)
  return `evalgate: the specs of ${shortSha(source.headSha)} could not be loaded; the job summary lists the problems`
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
 * A `workflow_run` job: comments the report of the pull-request run it follows, from that run's
 * results artifact. The pull request comes from the trusted event (its `pull_requests`, or for a
 * fork the open pull request from its head branch), confirmed on GitHub, never from the artifact,
 * which the PR's code wrote. This job has the write token a fork's run lacks; it never runs the
 * suites.
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
  const path = resolve(deps.cwd, resultsPath)
  // The artifact is the pull request's to write: this job reads no more than a run makes.
  const found = await stat(path).catch(() => undefined)
  const size = found?.size ?? 0
  if (size > MAX_ARTIFACT_RESULTS_BYTES) {
    throw new UsageError(
      `${resultsPath} is ${Math.round(size / 2 ** 20)} MB, more than the ${MAX_ARTIFACT_RESULTS_BYTES / 2 ** 20} MB report-from reads from an artifact`
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
      invalid,
      invalidSpecsPathFor(resultsPath),
      source,
      client,
      settings,
      context,
      io
    )
  }
  if (!found) {
    return reportNoResults(path, invalid && 'refused' in invalid ? invalid : undefined, source, io)
  }
  const run = await readRunResult(path)
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
  const baselineError = read || !complete ? undefined : await readBaselineError(path, io)
  // The same report as the pull request's own run wrote: its threshold failures first.
  const summaries = summarizeRun(run)
  const failsOnThreshold = settings.failOnThreshold && summaries.some((s) => s.belowThreshold)
  // As the pull request's run said it: its threshold failures, then what it replayed; of a run
  // that did not finish, only that.
  const alert = complete
    ? (alertFor(settings, summaries) ?? '') + (replayNote(run.run.replayed ?? [], 'unknown') ?? '')
    : ''
  const baseline = comparison && pullRequestBaselineLine(comparison, deps.now())
  const reportOptions = { room: alert.length, ...(baseline ? { baseline } : {}) }
  // Whether the run's event compared at all, by its branch as the trusted event names it.
  const sourceBranch = source.headBranch ?? run.run.ref?.replace(/^refs\/heads\//, '')
  const shown: { report: string; verdict?: string } = comparison
    ? { report: comparisonMarkdown(comparison, runUrl, reportOptions) }
    : uncomparedArtifactReport(run, summaries, {
        event: source.event,
        compares: eventCompares(
          source.event,
          sourceBranch !== undefined && sourceBranch === context.defaultBranch
        ),
        refused,
        baselineError
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
      regressed: !complete || (comparison !== undefined && failing(comparison)) || failsOnThreshold,
      reportFile: path,
      fromArtifact: true
    })
  }
  // The outputs the pull request's own run set, for steps after this one.
  io.setOutput('results-path', path)
  if (comparison) setComparisonOutputs(comparison, comparisonPathFor(path), io)
  if (shown.verdict !== undefined) io.setOutput('verdict', shown.verdict)
  io.setOutput('passed', String(complete && !summaries.some((s) => s.belowThreshold)))
  // Said first: no one gets this report unless they open the job. From GitHub, not the artifact.
  const noComment = noCommentNote(pull)
  await io.writeSummary(
    noComment +
      (comparison
        ? alert +
          comparisonMarkdown(comparison, runUrl, {
            ...reportOptions,
            room: reportOptions.room + noComment.length,
            budget: SUMMARY_BUDGET
          })
        : markdown)
  )
  // As the run's own step failed: cases it did not reach were never checked.
  if (!complete)
    return `evalgate: the run did not finish (${incompleteWhy(run)}); partial results in ${path}`
  return undefined
}
