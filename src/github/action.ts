import { resolve } from 'node:path'
import { compareRuns, outages } from '../compare/index.js'
import { EvalgateError, InputError, UsageError } from '../errors.js'
import { invalidSpecsPathFor, removeFile } from '../io/files.js'
import { terminalLine } from '../report/escape.js'
import { renderRunMarkdown } from '../report/run-report.js'
import { summarizeRun, thresholdFailures } from '../results/summary.js'
import type { ReplayedProvider, RunResult } from '../results/types.js'
import { lineProgress, runEvals } from '../run/index.js'
import type { RunEvalsOptions } from '../run/index.js'
import type { ActionContext } from './event.js'
import type { ActionSettings } from './settings.js'
import { githubClient } from './io.js'
import type { ActionIO, ActionDeps } from './io.js'
import {
  failing,
  shortSha,
  notComparedWhy,
  incompleteWhy,
  incompleteMarkdown,
  alertFor,
  othersNote,
  replayedList,
  replayNote,
  notStoredNote,
  regressionFailure,
  driftList,
  runReport,
  noCommentNote
} from './reports.js'
import { annotateRegressions } from './annotations.js'
import { recordBaselineLookup, writeComparison } from './artifact-files.js'
import { ownPullRequest, postComment } from './post-comment.js'
import {
  storeFor,
  comparesWithBaseline,
  lookUpBaseline,
  checkBaselineLocation
} from './baseline-lookup.js'
import { reportInvalidSpecs } from './invalid-specs.js'
import { SpecPathsError } from '../spec/find.js'
import { mergeShardResults, shardsInvalidSpecs } from './shards.js'
import type { RefusedRecord } from './shards.js'
import { storeBaseline, driftedGroups, storeNight, recheckNight, trackNight } from './nightly.js'
import { reportFromArtifact } from './report-from.js'

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
        // The paths came from the input `specs`: said so, as the workflow is where to fix them.
        const named = error instanceof SpecPathsError ? error.ofInput('specs') : error
        // The step fails with the problems as reported: redacted.
        const problems = await reportInvalidSpecs(
          named.message,
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
  const pushStored =
    context.eventName === 'push' && isDefaultBranch && store && client && !unfitAsBaseline
      ? await storeBaseline(store, context.sha, run, settings, io)
      : undefined
  const storedPush = pushStored?.ok === true
  const compares = comparesWithBaseline(context, isDefaultBranch)
  const lookup = await recordBaselineLookup(
    out,
    compares && store && client
      ? () => lookUpBaseline(context, isDefaultBranch, client, store, settings, io)
      : undefined
  )

  const comparison =
    lookup?.status === 'found'
      ? compareRuns(lookup.match.run, run, {
          seed: context.pullRequest?.headSha ?? context.sha,
          strict: settings.strict
        })
      : undefined
  // Recorded for a report-from job, which says where the baseline came from too.
  if (comparison && lookup?.status === 'found' && lookup.mergeBase !== undefined) {
    comparison.baseline = { mergeBase: lookup.mergeBase, distance: lookup.match.distance }
  }
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

  // Said first: the suites that fail the check, then the answers replayed for want of secrets.
  const preface =
    (alertFor(settings, summaries) ?? '') +
    // The shards' cache mode is theirs, not this merging job's.
    (replayNote(replayed, settings.mergeFrom ? 'unknown' : settings.cache.mode) ?? '') +
    (pushStored?.ok === false ? notStoredNote(context.sha, pushStored.error) : '')
  const { markdown, summaryMarkdown } = runReport(
    {
      run,
      summaries,
      lookup,
      comparison,
      compares,
      scheduled,
      storedAsBaseline: storedNight || storedPush,
      preface
    },
    settings,
    context,
    now
  )

  const pull = ownPullRequest(context, commentKey)
  /** Why the pull request got no comment, said first in the job summary. */
  let noComment: string | undefined
  if (pull && client && lookup) {
    const failed = (comparison !== undefined && failing(comparison)) || failsOnThreshold
    noComment = await postComment({
      settings,
      client,
      io,
      ...pull,
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
    await annotateRegressions(comparison, stepFails ? 'error' : 'warning', io, {
      cwd: deps.cwd,
      specs: settings.specs
    })
  } else if (lookup?.status === 'unavailable') {
    io.setOutput('verdict', 'baseline-unavailable')
  } else if (!compares) {
    io.setOutput('verdict', 'not-compared')
    io.info(
      `evalgate: ${notComparedWhy(context.eventName, context.ref, terminalLine)}; the report is in the job summary`
    )
  } else {
    io.setOutput('verdict', 'no-baseline')
    if (client) io.info('evalgate: no baseline to compare with; see the job summary')
  }
  await io.writeSummary(
    (noComment === undefined ? '' : noCommentNote({ noComment })) + summaryMarkdown
  )

  if (comparison && failsOnRegression) {
    return regressionFailure(comparison)
  }
  if (failsOnThreshold) {
    return `evalgate: ${thresholdFailures(belowThreshold)}; results in ${out}`
  }
  return undefined
}
