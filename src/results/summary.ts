import { firstAndCount } from '../compare/format.js'
import { mean, quantile } from '../stats/index.js'
import type { CaseResult, ReplayedProvider, RunResult, SuiteResult } from './types.js'

/** What the run report shows for one suite × provider; derived from the RunResult, never stored. */
export interface ProviderSummary {
  suite: string
  file: string
  providerId: string
  cases: number
  answers: number
  /** Of `answers`, those replayed from the cache: no latency, so in neither p50 nor p95. */
  cachedAnswers: number
  /** Mean over cases of the fraction of repeats that passed; an errored answer did not pass. */
  passRate: number
  /** Mean over cases of the mean score of their scored repeats; NaN when nothing was scored. */
  meanScore: number
  latencyP50: number
  latencyP95: number
  errors: number
  /** Answers never obtained (replay cache misses, cancelled calls): not in any rate. */
  missing: number
  /** Of `missing`, answers obtained whose LLM judge's grade was not in the replay cache. */
  missingGrades: number
  /** Answers the model did not finish, by the reason it gave (`length`, `content_filter`…). */
  unfinished: Record<string, number>
  /**
   * Every answer missing: nothing was measured, and a pass rate of nothing must not pass for
   * one that met its minimum. Not set when only what a fork's run replayed for want of its
   * secrets is missing (that fails nothing: DESIGN "replay from cache or report neutral").
   */
  noAnswer: boolean
  minPassRate: number
  /** Below the suite's `min-pass-rate`, or `noAnswer`: the run exits 1. */
  belowThreshold: boolean
}

/**
 * Answers that never happened: a replay without a cached answer, a cancelled call. They are not
 * errors of the system under test (a fork PR without secrets must not look like an outage), so
 * they are left out of every rate and metric and only counted.
 */
export function isMissingAnswer(result: CaseResult): boolean {
  return result.error?.kind === 'cache-miss' || result.error?.kind === 'cancelled'
}

function byCase(results: readonly CaseResult[]): Map<string, CaseResult[]> {
  const groups = new Map<string, CaseResult[]>()
  for (const result of results) {
    const group = groups.get(result.caseId)
    if (group) group.push(result)
    else groups.set(result.caseId, [result])
  }
  return groups
}

/** A missing answer, or grade, of what a fork's run replayed from the cache for want of secrets. */
function replayedForWantOfSecrets(
  suite: SuiteResult,
  providerId: string,
  replayed: readonly ReplayedProvider[]
): (result: CaseResult) => boolean {
  const ofSuite = replayed.filter((r) => r.suite === suite.suite)
  const provider = ofSuite.some((r) => r.what === `provider ${providerId}`)
  const judge = ofSuite.some((r) => r.what.startsWith('the judge of '))
  // An answer never obtained has no output; an answer whose grade is missing has one.
  return (result) => (result.output === null ? provider : judge)
}

function countFinishReasons(results: readonly CaseResult[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const { finishReason } of results) {
    if (finishReason !== undefined) counts[finishReason] = (counts[finishReason] ?? 0) + 1
  }
  return counts
}

function summarizeProvider(
  suite: SuiteResult,
  providerId: string,
  all: readonly CaseResult[],
  replayed: readonly ReplayedProvider[]
): ProviderSummary {
  const results = all.filter((r) => !isMissingAnswer(r))
  const missing = all.filter(isMissingAnswer)
  const excused = replayedForWantOfSecrets(suite, providerId, replayed)
  const noAnswer = results.length === 0 && missing.length > 0 && !missing.every(excused)
  const cases = [...byCase(results).values()]
  const passRates = cases.map(
    (answers) => answers.filter((a) => a.pass === true).length / answers.length
  )
  const caseScores = cases
    .map((answers) => answers.flatMap((a) => (a.score === null ? [] : [a.score])))
    .filter((scores) => scores.length > 0)
    .map(mean)
  const latencies = results.flatMap((r) => (r.latencyMs === null || r.cached ? [] : [r.latencyMs]))
  const passRate = passRates.length === 0 ? Number.NaN : mean(passRates)
  return {
    suite: suite.suite,
    file: suite.file,
    providerId,
    cases: cases.length,
    answers: results.length,
    cachedAnswers: results.filter((r) => r.cached).length,
    passRate,
    meanScore: caseScores.length === 0 ? Number.NaN : mean(caseScores),
    latencyP50: quantile(latencies, 0.5),
    latencyP95: quantile(latencies, 0.95),
    errors: results.filter((r) => r.error).length,
    missing: missing.length,
    missingGrades: missing.filter((r) => r.error?.kind === 'cache-miss' && r.output !== null)
      .length,
    unfinished: countFinishReasons(results),
    noAnswer,
    minPassRate: suite.minPassRate,
    // Below by more than rounding: five cases, three passing 2 of 3 repeats and two all 3 (80%),
    // average to 0.7999999999999999.
    belowThreshold: noAnswer || (cases.length > 0 && !(passRate >= suite.minPassRate - 1e-9))
  }
}

/** Suites × providers a one-line message names; the rest are counted. */
export const FAILURES_NAMED = 10

/**
 * The threshold failures of `below` (summaries with `belowThreshold`), for a one-line message:
 * `pass rate below min-pass-rate in a/x; no answer obtained in b/y (…)`.
 */
export function thresholdFailures(below: readonly ProviderSummary[]): string {
  const names = (list: readonly ProviderSummary[]) =>
    firstAndCount(
      list.map((s) => `${s.suite}/${s.providerId}`),
      FAILURES_NAMED
    )
  const low = below.filter((s) => !s.noAnswer)
  const none = below.filter((s) => s.noAnswer)
  return [
    ...(low.length > 0 ? [`pass rate below min-pass-rate in ${names(low)}`] : []),
    ...(none.length > 0
      ? [
          `no answer obtained in ${names(none)} (every one missing from the replay cache, or cancelled)`
        ]
      : [])
  ].join('; ')
}

/** Each provider's answers of a suite, in one pass (a run may have many providers). */
export function resultsByProvider(suite: SuiteResult): Map<string, CaseResult[]> {
  const byProvider = new Map<string, CaseResult[]>()
  for (const result of suite.results) {
    const group = byProvider.get(result.providerId)
    if (group) group.push(result)
    else byProvider.set(result.providerId, [result])
  }
  return byProvider
}

export function summarizeRun(run: RunResult): ProviderSummary[] {
  return run.suites.flatMap((suite) => {
    const byProvider = resultsByProvider(suite)
    return suite.providers.map((p) =>
      summarizeProvider(suite, p.id, byProvider.get(p.id) ?? [], run.run.replayed ?? [])
    )
  })
}
