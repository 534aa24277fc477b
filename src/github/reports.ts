/**
 * The texts of the action's reports (the comment, the job summary, the log): pure, from what the
 * run, the comparison and the settings say.
 */
import { comparisonExitCode, strictFailures } from '../compare/index.js'
import type { Comparison } from '../compare/index.js'
import { firstAndCount } from '../compare/format.js'
import { renderMarkdown } from '../report/markdown.js'
import { codeBlock, markdownInline, terminalLine } from '../report/escape.js'
import { renderRunMarkdown, thresholdAlert } from '../report/run-report.js'
import { FAILURES_NAMED } from '../results/summary.js'
import type { ProviderSummary } from '../results/summary.js'
import type { ReplayedProvider, RunResult } from '../results/types.js'
import type { CacheMode } from '../run/cache.js'
import type { ActionSettings } from './settings.js'
import type { ActionContext } from './event.js'
import type { BaselineLookup } from './baseline-lookup.js'

/** Verdicts that fail the check (with `strict`, inconclusive too). */
export function failing(comparison: Comparison): boolean {
  return comparisonExitCode(comparison) === 1
}

/**
 * The step's failure message for a comparison that fails: its summary, and what fails in strict
 * mode. The message is an annotation too, which GitHub cuts at 64 KiB: the first few, then a count.
 */
export function regressionFailure(comparison: Comparison): string {
  const strict = strictFailures(comparison)
  const named = firstAndCount(strict, FAILURES_NAMED, '; ')
  return `evalgate: ${comparison.summary}${strict.length > 0 ? ` Strict mode fails: ${named}.` : ''}`
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7)
}

export function ageText(from: string, now: Date): string {
  const hours = Math.max(0, (now.getTime() - Date.parse(from)) / 3_600_000)
  if (hours < 1) return 'less than an hour old'
  if (hours < 48) return `${Math.round(hours)} hours old`
  return `${Math.round(hours / 24)} days old`
}

/** Where the baseline came from, as the report's first line after the verdict. */
export function baselineLine(
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
export function pullRequestBaselineLine(comparison: Comparison, now: Date): string | undefined {
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
 * The job summary's room, in bytes: GitHub takes 1 MiB, less room for the baseline line and the
 * notes said around the report. The comment points there for what it had to leave out.
 */
export const SUMMARY_BUDGET = 2 ** 20 - 4_000

/** Where the action's reports send the reader for what they cut: the files its outputs name. */
const ACTION_FILES = {
  comparison: 'the comparison file (output `comparison-path`)',
  results: 'the results file (output `results-path`)'
}

/**
 * A comparison's report, as a comment (or an issue) or, with `summary`, as the job summary, which
 * has more room. `above`: what is said above the report (the threshold alert), whose room is kept.
 * `runUrl`: the run whose job summary a comment sends the reader to, and a summary links to when
 * it is another run's.
 */
export function comparisonMarkdown(
  comparison: Comparison,
  runUrl: string | undefined,
  options: { baseline?: string; above?: string; summary?: boolean } = {}
): string {
  // A summary counts bytes; a comment, characters, and sends the reader to its run's summary.
  const size = options.summary
    ? (text: string) => Buffer.byteLength(text)
    : (text: string) => text.length
  const fuller =
    runUrl && !options.summary ? `the job summary of [the run](${encodeURI(runUrl)})` : undefined
  const report = renderMarkdown(comparison, {
    maxLength: (options.summary ? SUMMARY_BUDGET : COMMENT_BUDGET) - size(options.above ?? ''),
    size,
    cutsReadIn: { ...ACTION_FILES, ...(fuller ? { fuller } : {}) },
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

/** A push that compares nothing, by its ref (`refs/heads/…`, `refs/tags/…`) when known. */
function pushWhat(ref: string | undefined, escape: (text: string, max: number) => string): string {
  const tag = /^refs\/tags\/(.+)$/.exec(ref ?? '')?.[1]
  if (tag !== undefined) return `a push of the tag ${escape(tag, 100)}`
  const branch = /^refs\/heads\/(.+)$/.exec(ref ?? '')?.[1]
  if (branch !== undefined) return `a push to the branch ${escape(branch, 100)}`
  return 'a push to a branch other than the default one'
}

/**
 * Why an event compares nothing, for the report (or, with `terminalLine`, for the log; see
 * comparesWithBaseline). `ref`: the run's, when known.
 */
export function notComparedWhy(
  eventName: string,
  ref: string | undefined,
  escape: (text: string, max: number) => string = markdownInline
): string {
  // The event's name comes from the runner; a branch's or a tag's from whoever pushed it.
  const event =
    eventName === 'push' ? pushWhat(ref, escape) : `a ${eventName || 'run of this'} event`
  return `${event} compares nothing (pull_request, merge_group, a push to the default branch, schedule and workflow_dispatch do)`
}

/** The report of a run that compared nothing for its event (see notComparedWhy). */
function notComparedMarkdown(
  event: { name: string; ref: string | undefined },
  run: RunResult,
  summaries: readonly ProviderSummary[]
): string {
  return uncomparedMarkdown(
    'nothing compared',
    `Nothing was compared, and this check does not fail for it: ${notComparedWhy(event.name, event.ref)}.`,
    run,
    summaries
  )
}

/**
 * The reason a run stopped early, as its results record it: on one bounded line, with no control
 * character, since a `report-from` job reads it from a fork's artifact into its log.
 */
export function incompleteWhy(run: RunResult): string {
  return terminalLine(run.run.incompleteReason ?? 'the run stopped early', 300)
}

/**
 * The report of a run cancelled before it finished: cases it did not reach were never checked,
 * neither passed nor compared. `what`: what became of it, and that the check fails. A run
 * cancelled before any answer (while its specs loaded) has no results to show: said so, with no
 * table.
 */
export function incompleteMarkdown(
  what: string,
  run: RunResult,
  summaries: readonly ProviderSummary[]
): string {
  const why = `The run did not finish (${markdownInline(incompleteWhy(run), 300)}): ${what}`
  if (summaries.every((summary) => summary.answers === 0)) {
    return ['### evalgate: incomplete run', '', `${why} No answer was received.`, ''].join('\n')
  }
  return uncomparedMarkdown('incomplete run', `${why} The partial results follow.`, run, summaries)
}

/** The suites below their min-pass-rate, said first since they fail the check; or undefined. */
export function alertFor(
  settings: ActionSettings,
  summaries: readonly ProviderSummary[]
): string | undefined {
  const alert = settings.failOnThreshold ? thresholdAlert(summaries) : undefined
  return alert === undefined ? undefined : `${alert}\n`
}

/**
 * What became of the providers a fork's run did not replay for want of a secret, by the run's
 * cache mode (`unknown` for a report-from job, whose results do not record it).
 */
export function othersNote(mode: CacheMode | 'unknown'): string {
  if (mode === 'replay') {
    return 'The other providers were replayed too, as `cache: replay` asks: their missing answers fail the check'
  }
  if (mode === 'unknown') {
    return 'The other providers ran (or, under `cache: replay`, were replayed too) and are compared as usual'
  }
  return 'The other providers ran and are compared as usual'
}

/** `suite / provider x (VAR not set)`, for the log and the report. */
export function replayedList(replayed: readonly ReplayedProvider[]): string {
  return replayed
    .map(
      ({ suite, what, unsetVariables }) =>
        `${suite} / ${what} (${unsetVariables.join(', ')} not set)`
    )
    .join(', ')
}

/** Said above the report of a fork's run: which answers were replayed rather than called, and why. */
export function replayNote(
  replayed: readonly ReplayedProvider[],
  mode: CacheMode | 'unknown'
): string | undefined {
  if (replayed.length === 0) return undefined
  return `> **Replayed from the cache, not called:** ${markdownInline(replayedList(replayed), 1_000)}. GitHub gives a fork's pull request no secrets; a missing answer fails nothing. ${othersNote(mode)}.\n`
}

/**
 * Said above the report of a push to the default branch whose results could not be stored as its
 * commit's baseline: pull requests onto it compare with an older one. `error`: the store's why
 * and what to do.
 */
export function notStoredNote(sha: string, error: string): string {
  return `> [!WARNING]\n> **Not stored as the baseline of \`${shortSha(sha)}\`:** ${markdownInline(error.replace(/\.$/, ''), 1_000)}. Until a later push to the default branch is stored, runs compare with an older baseline.\n\n`
}

/** The report of specs that could not be loaded: the job summary, and the comment. */
export function invalidSpecsMarkdown(problems: string): string {
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
 * What changed, as `suite / provider (before → after)`, escaped for the issue (or, with
 * `terminalLine`, for the log): model ids come from the provider.
 */
export function driftList(
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
 * What a `report-from` job shows of a run it has no comparison of, as that run's own job said it,
 * and the verdict output that job set.
 */
export function uncomparedArtifactReport(
  run: RunResult,
  summaries: readonly ProviderSummary[],
  found: {
    /** The run's event, its ref when known, and whether that event compares (eventCompares). */
    event: string
    ref: string | undefined
    compares: boolean
    /** Why the comparison beside the results was refused, if it was. */
    refused: string | undefined
    /** The error the run recorded while it read the baseline, if any. */
    baselineError: string | undefined
    /** How the run was stopped, all its answers in, before it compared them; if it was. */
    stoppedBeforeComparing: string | undefined
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
  if (found.stoppedBeforeComparing !== undefined) {
    return {
      verdict: 'incomplete',
      report: uncomparedMarkdown(
        'run stopped before comparing',
        `Every answer is in, but the run was stopped before it compared them with the baseline: ${found.stoppedBeforeComparing}. Nothing was compared, and this check fails: re-run the run’s job to compare.`,
        run,
        summaries
      )
    }
  }
  if (!found.compares) {
    return {
      verdict: 'not-compared',
      report: notComparedMarkdown({ name: found.event, ref: found.ref }, run, summaries)
    }
  }
  const which = found.event === 'pull_request' ? 'pull request’s' : found.event
  return {
    verdict: 'no-baseline',
    report: noBaselineMarkdown(`The ${which} run found no baseline.`, run, summaries)
  }
}

/**
 * Said first in a job summary whose report no comment carries (a report-from job's, or a pull
 * request run's whose comment was not posted): no one gets the report unless they open the job.
 */
export function noCommentNote(pull: { number: number } | { noComment: string }): string {
  return 'noComment' in pull ? `> **No comment posted:** ${pull.noComment}.\n\n` : ''
}

/**
 * The report of a run, as the comment and the job summary say it (the summary with more room):
 * its comparison, or why it compared nothing. `preface`: what is said first (alertFor,
 * replayNote); `storedAsBaseline`: this run was stored as its commit's baseline.
 */
export function runReport(
  found: {
    run: RunResult
    summaries: readonly ProviderSummary[]
    lookup: BaselineLookup | undefined
    comparison: Comparison | undefined
    /** The event compares with a baseline (comparesWithBaseline). */
    compares: boolean
    scheduled: boolean
    storedAsBaseline: boolean
    preface: string
  },
  settings: ActionSettings,
  context: ActionContext,
  now: Date
): { markdown: string; summaryMarkdown: string } {
  const { run, summaries, lookup, comparison, preface } = found
  if (lookup?.status === 'found' && comparison) {
    const { match } = lookup
    const reportOptions = {
      baseline: baselineLine(
        { sha: match.sha, distance: match.distance, finishedAt: match.run.run.finishedAt },
        now,
        lookup.what
      ),
      above: preface
    }
    return {
      markdown: preface + comparisonMarkdown(comparison, context.runUrl, reportOptions),
      // Its own run's link would be to itself.
      summaryMarkdown:
        preface + comparisonMarkdown(comparison, undefined, { ...reportOptions, summary: true })
    }
  }
  let markdown: string
  if (lookup?.status === 'none') {
    // The file store's baseline is a file in the workspace, which ends with the job.
    const stored = !found.storedAsBaseline
      ? found.scheduled
        ? 'Baselines are stored by runs on pushes to the default branch, and by the first healthy scheduled run of a commit on it.'
        : undefined
      : settings.baseline.store === 'file'
        ? `This run was written to \`${markdownInline(settings.baseline.dir, 200)}\` as the baseline of \`${shortSha(context.sha)}\`: later runs compare with it once that directory is committed.`
        : `This run is now the baseline of \`${shortSha(context.sha)}\`: later runs compare with it.`
    markdown = noBaselineMarkdown(lookup.why, run, summaries, stored)
  } else if (lookup?.status === 'unavailable') {
    markdown = baselineUnavailableMarkdown(lookup.error, run, summaries)
  } else if (found.compares) {
    markdown = uncomparedMarkdown(
      'no baseline',
      'No `github-token`, so no baseline could be read: finding it walks the commit history on GitHub. Nothing was compared and this check does not fail for it; give the step a token (the default `${{ github.token }}`) to compare.',
      run,
      summaries
    )
  } else {
    markdown = notComparedMarkdown({ name: context.eventName, ref: context.ref }, run, summaries)
  }
  return { markdown: preface + markdown, summaryMarkdown: preface + markdown }
}
