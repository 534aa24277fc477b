/**
 * Baselines stored by pushes and nights, and the one tracking issue of regressions and model drift.
 */
import { storeBaselineSafely } from '../baseline/index.js'
import type { StoreOutcome } from '../baseline/index.js'
import type { BaselineStore } from '../baseline/index.js'
import { compareRuns } from '../compare/index.js'
import type { Comparison, Verdict } from '../compare/index.js'
import { markdownInline } from '../report/escape.js'
import { thresholdFailures } from '../results/summary.js'
import type { ProviderSummary } from '../results/summary.js'
import type { RunResult } from '../results/types.js'
import type { GitHubClient } from './client.js'
import type { ActionContext } from './event.js'
import type { ActionSettings } from './settings.js'
import { formerTrackingMarker, syncTrackingIssue, trackingMarker } from './tracking-issue.js'
import type { Recheck } from './tracking-issue.js'
import { attempt } from './io.js'
import type { ActionIO } from './io.js'
import { failing, shortSha, ageText, comparisonMarkdown, driftList } from './reports.js'
import type { BaselineLookup } from './baseline-lookup.js'

/** Stores `run` as the baseline of `sha`, saying so; why not (and a warning) when it could not. */
export async function storeBaseline(
  store: BaselineStore,
  sha: string,
  run: RunResult,
  settings: ActionSettings,
  io: ActionIO
): Promise<StoreOutcome> {
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
  return stored
}

/** The verdicts that show a failure gone: others that fail nothing (inconclusive) do not. */
const PASSING_VERDICTS: readonly Verdict[] = ['pass', 'minor-change', 'improvement']

/** Whether a comparison that fails nothing passes too, which an inconclusive one does not. */
function passes(comparison: Comparison): boolean {
  return PASSING_VERDICTS.includes(comparison.verdict)
}

/** A comparison's verdict in a sentence: `inconclusive`, `not comparable`. */
function verdictText(comparison: Comparison): string {
  return comparison.verdict.replace('-', ' ')
}

/** Said first in the tracking issue of a night that fails nothing but does not pass: `what` it was. */
function notConfirmedNote(what: string): string {
  return `> [!NOTE]\n> **Not confirmed gone:** ${what}: nothing fails, but that does not show that what this issue reports is gone, so this issue stays open until a night passes.\n\n`
}

/** The suites and providers whose model or system fingerprint changed since the baseline. */
export function driftedGroups(comparison: Comparison | undefined): Comparison['groups'] {
  return comparison?.groups.filter((group) => group.modelChanged) ?? []
}

/**
 * A scheduled run on the default branch becomes the baseline of its commit when it is the first
 * healthy one there (a repository may run evals only on a schedule), or when its model changed
 * and nothing else did: the default branch now runs that model, and pull requests must compare
 * with it. Not a night that fails: the next night would pass against it. Whether it was stored.
 */
export async function storeNight(
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
  if (lookup.status === 'none' && lookup.newerOwn) {
    return notStored('a newer evalgate stored its baseline, which this one does not replace')
  }
  if (comparison && failing(comparison) && lookup.status === 'found') {
    return notStored(`it fails against the baseline of ${shortSha(lookup.match.sha)}`)
  }
  if (settings.failOnThreshold && night.belowThreshold.length > 0) {
    return notStored(thresholdFailures(night.belowThreshold))
  }
  return (await storeBaseline(store, sha, run, settings, io)).ok
}

/**
 * A healthy night against the baseline the open tracking issue reports on, when the night
 * compared with another: a push stored a newer one since, perhaps with the very failure reported.
 */
export async function recheckNight(
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
  const baseline = `Baseline: \`${older}\` (the one this issue reports on, ${ageText(read.value.run.finishedAt, now)}).`
  /** The issue's body: `note`, then the report against the baseline the issue reports on. */
  const body = (note: string) =>
    note + comparisonMarkdown(comparison, context.runUrl, { baseline, above: note })
  if (!failing(comparison)) {
    if (passes(comparison))
      return { state: 'healthy', body: `Recovered: ${comparison.summary}${run}` }
    io.info(
      `evalgate: the tracking issue stays open: this night passes against the baseline of ${newer}, but is ${verdictText(comparison)} against ${older}, the baseline the issue reports on: ${comparison.summary}`
    )
    const note = notConfirmedNote(
      `tonight passes against the baseline of \`${newer}\`, stored since, but its verdict against \`${older}\`'s, the one this issue reports on, is ${verdictText(comparison)}`
    )
    return { state: 'inconclusive', body: body(note) }
  }
  io.warning(
    `evalgate: the tracking issue stays open: this night passes against the baseline of ${newer}, but fails against ${older}, the baseline the issue reports on: ${comparison.summary}`
  )
  const note = `> [!WARNING]\n> **Still failing against the baseline this issue reports on:** tonight passes against the baseline of \`${newer}\`, stored since, but fails against \`${older}\`'s, so it is no recovery: a push may have stored the very failure reported here as its baseline. If the newer baseline's results are what you expect now, close this issue by hand.\n\n`
  return { state: 'failing', body: body(note) }
}

/**
 * Nightly: one tracking issue, opened or updated on a regression, a broken threshold or a changed
 * model, updated but left open by a night that fails nothing but does not pass (inconclusive),
 * closed when a night passes again; a changed model is reported once, and taken as the
 * new baseline. A push to the default branch that sees the model change reports it the same way.
 */
export async function trackNight(
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
    fails || (drifted.length > 0 && !kept)
      ? 'failing'
      : drifted.length > 0
        ? 'drifted'
        : comparison && passes(comparison)
          ? 'healthy'
          : 'inconclusive'
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
      body:
        state === 'healthy'
          ? `Recovered: ${summary}${run}`
          : state === 'inconclusive' && comparison
            ? notConfirmedNote(`tonight's verdict is ${verdictText(comparison)}`) + markdown
            : `${driftNote}${markdown}`,
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
    if (state === 'inconclusive' && comparison && result.value.action === 'updated') {
      io.info(
        `evalgate: the tracking issue stays open: this night is ${verdictText(comparison)}, which does not show that what it reports is gone`
      )
    }
  }
}
