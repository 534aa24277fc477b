/**
 * compare: a baseline RunResult and a head RunResult in, verdicts out (DESIGN "Statistics").
 * Pure: no I/O, no clock, no Math.random; the same inputs and seed give the same Comparison.
 */
import { UsageError } from '../errors.js'
import { providerConfigChanged, sameScoring } from '../results/comparability.js'
import { canonicalJson } from '../results/fingerprint.js'
import type { CaseInfo, ProviderInfo, RunResult, SuiteResult } from '../results/types.js'
import { holm } from '../stats/index.js'
import { TOOL_VERSION } from '../version.js'
import { isOutageKind, outageLoss, outageShare, summarizeSide } from './cases.js'
import type { CaseSummary, SideSummary } from './cases.js'
import { findFlips } from './flips.js'
import {
  METRIC_LABELS,
  VERDICT_WORDS,
  firstAndCount,
  formatInterval,
  formatPercent,
  formatPoints,
  plural
} from './format.js'
import { DEFAULT_ALPHA, DEFAULT_NOISE, OUTAGE_ERROR_RATE, resolveGate } from './gate.js'
import type { ResolvedGate } from './gate.js'
import {
  canReach,
  costMetric,
  costTotalMetric,
  errorRateMetric,
  headOnlyQualityMetric,
  incomparableQualityMetric,
  judgeCostMetric,
  judgeSpend,
  latencyMetric,
  latencyTailMetric,
  meanOfKnown,
  pText,
  pooledScoreMetric,
  qualityMetric,
  retryRateMetric,
  sameRepeatPairs,
  showHeadAlone,
  tokenMetric,
  ttftMetric
} from './metrics.js'
import type { GroupContext, HeadReading, Pair, PendingMetric } from './metrics.js'
import { COMPARISON_VERSION, VERDICT_SEVERITY } from './types.js'
import type {
  Comparison,
  GroupComparison,
  MetricComparison,
  MetricName,
  PooledScore,
  RunInfo,
  SideInfo,
  Verdict,
  VerdictCounts
} from './types.js'

export * from './types.js'
export { DEFAULT_ALPHA } from './gate.js'
export { checkComparison } from './parse.js'

export interface CompareOptions {
  /** Seeds every random test: the head commit SHA, so a rerun cannot flip a verdict. */
  seed: string
  /** An inconclusive result fails the check too. */
  strict?: boolean
  /** One-sided significance level of every gated test, after Holm (default 0.05). */
  alpha?: number
}

/**
 * Holm families (Holm 1979; src/stats `holm`), each adjusted over every suite × provider of the
 * run so that ten suites do not give ten chances of a false alarm:
 * - quality: the score and pass-rate drop tests (a pass rate that equals the 0/1 scores counts
 *   once);
 * - operational: error rate, latency p50/p95 and cost.
 * DESIGN asks for one family of all gated drop tests. The operational tests also need their point
 * estimate beyond a tolerance (×1.2, ×1.1, +2 points) that a change without effect practically
 * never reaches, so in one family they would spend α on alarms that cannot happen: at n = 200,
 * K = 3 (bench/gate.ts) one family gave 1.2% false alarms and caught a 5-point drop 51.6% of
 * the time; two families give 4.2% and 75.7% (the ceiling of any test of the mean change on
 * those data is 78%). Within each family the false alarm rate stays at α.
 */
const HOLM_FAMILY: Record<MetricName, string> = {
  score: 'quality',
  'pass-rate': 'quality',
  'error-rate': 'operational',
  'latency-p50': 'operational',
  'latency-p95': 'operational',
  'ttft-p50': 'operational',
  cost: 'operational',
  'cost-total': 'operational',
  'judge-cost': 'operational',
  'input-tokens': 'operational',
  'output-tokens': 'operational',
  'retry-rate': 'operational'
}

const MAX_LISTED_IDS = 100
/**
 * The fewest suite × providers with a tested score that get the pooled test. It is one more test
 * in their Holm family, which costs each suite's own test α/m → α/(m + 1): a little among ten or
 * more, where drops too small for any one suite to show are the risk; among fewer, whose own tests
 * see their drops, it would cost them regressions they showed (α/2 → α/3 for two).
 */
const POOLED_MIN_GROUPS = 10
/**
 * A case without an `id` gets the first 12 hex digits of the sha256 of its variables (the spec's
 * derivedCaseId), which is its `varsFingerprint`: so a results file tells a derived id from one
 * given.
 */
const DERIVED_ID_LENGTH = 12
const MAX_ERROR_EXAMPLE_CHARS = 300

interface PendingGroup {
  group: GroupComparison
  pending: PendingMetric[]
}

function severityRank(verdict: Verdict): number {
  return VERDICT_SEVERITY.indexOf(verdict)
}

export function mostSevere(verdicts: Iterable<Verdict>): Verdict {
  let worst: Verdict = 'not-gated'
  for (const v of verdicts) if (severityRank(v) < severityRank(worst)) worst = v
  return worst
}

function runInfo(run: RunResult): RunInfo {
  return {
    id: run.run.id,
    commit: run.run.commit ?? null,
    ref: run.run.ref ?? null,
    event: run.run.event ?? null,
    startedAt: run.run.startedAt,
    finishedAt: run.run.finishedAt,
    complete: run.run.complete,
    incompleteReason: run.run.incompleteReason ?? null,
    toolVersion: run.tool.version
  }
}

function sideInfo(side: SideSummary, provider: ProviderInfo): SideInfo {
  const errorKinds = [...side.errorKinds.entries()]
    .map(([kind, count]) => ({ kind, count }))
    .sort((a, b) => b.count - a.count || (a.kind < b.kind ? -1 : 1))
  const example = errorKinds[0] ? side.errorExamples.get(errorKinds[0].kind) : undefined
  const judges = judgeSpend(side)
  return {
    cases: side.cases.size,
    answers: side.answers,
    errors: side.errors,
    missing: side.missing,
    ...(side.missingGrades > 0 ? { missingGrades: side.missingGrades } : {}),
    ...(side.cachedAnswers > 0 ? { cached: side.cachedAnswers } : {}),
    ...(judges ? { judges } : {}),
    models: [...side.models].sort(),
    fingerprints: [...side.fingerprints].sort(),
    configFingerprint: provider.configFingerprint,
    errorKinds,
    ...(example !== undefined ? { errorExample: example.slice(0, MAX_ERROR_EXAMPLE_CHARS) } : {})
  }
}

/**
 * `2 head answers never obtained (…) and 1 obtained but not graded (…)`, as the run report tells
 * them apart; undefined when none is missing.
 */
function missingAnswers(head: SideSummary): string | undefined {
  const grades = head.missingGrades
  const answers = head.missing - grades
  const neverObtained = 'never obtained (replay cache misses or cancelled calls)'
  const notGraded = "obtained but not graded (an LLM judge's grade not in the replay cache)"
  if (answers > 0 && grades > 0) {
    return `${plural(answers, 'head answer')} ${neverObtained} and ${grades} ${notGraded}`
  }
  if (answers > 0) return `${plural(answers, 'head answer')} ${neverObtained}`
  return grades > 0 ? `${plural(grades, 'head answer')} ${notGraded}` : undefined
}

/**
 * Values of a side over all its cases, and how many cases each is over, for absolute limits that
 * hold whatever the baseline.
 */
function headTotals(
  side: SideSummary
): Record<'score' | 'passRate' | 'cost' | 'errorRate', HeadReading | null> {
  const cases = [...side.cases.values()]
  const over = (value: number | null, known: (c: CaseSummary) => unknown) =>
    value === null ? null : { value, cases: cases.filter((c) => known(c) !== null).length }
  return {
    // Over the cases with an answered repeat.
    score: over(meanOfKnown(cases.map((c) => c.score)), (c) => c.score),
    passRate: over(meanOfKnown(cases.map((c) => c.passRate)), (c) => c.passRate),
    cost: over(meanOfKnown(cases.map((c) => c.cost)), (c) => c.cost),
    // Over every answer obtained, errored or not.
    errorRate: over(side.answers === 0 ? null : side.errors / side.answers, (c) => c.errorRate)
  }
}

function setsDiffer(a: readonly string[], b: readonly string[]): boolean {
  return a.length > 0 && b.length > 0 && canonicalJson(a) !== canonicalJson(b)
}

function emptyGroup(
  suite: SuiteResult,
  provider: ProviderInfo,
  status: GroupComparison['status']
): GroupComparison {
  return {
    suite: suite.suite,
    file: suite.file,
    providerId: provider.id,
    ...(provider.label !== undefined ? { providerLabel: provider.label } : {}),
    status,
    comparable: false,
    verdict: 'not-gated',
    base: null,
    head: null,
    repeats: { base: null, head: null },
    cases: { paired: 0, added: 0, removed: 0, addedIds: [], removedIds: [] },
    modelChanged: false,
    configChanged: false,
    gateChanged: false,
    metrics: [],
    flips: { passToFail: 0, failToPass: 0, cases: [], omitted: 0 }
  }
}

/** A suite × provider without a baseline: nothing to compare, but absolute limits still hold. */
function newGroup(suite: SuiteResult, provider: ProviderInfo, gate: ResolvedGate): PendingGroup {
  const group = emptyGroup(suite, provider, 'new')
  const head = summarizeSide(suite, provider.id)
  const totals = headTotals(head)
  group.head = sideInfo(head, provider)
  group.repeats.head = suite.repeats
  group.reason = 'no baseline for this suite and provider yet'
  group.cases.added = head.cases.size
  group.cases.addedIds = [...head.cases.keys()].slice(0, MAX_LISTED_IDS)
  const pending = [
    headOnlyQualityMetric('score', totals.score?.value ?? null, gate.score, head),
    headOnlyQualityMetric('pass-rate', totals.passRate?.value ?? null, gate.passRate, head)
  ]
  // An outage or a broken absolute limit is visible without a baseline.
  const errors = errorRateMetric({
    pairs: [],
    head,
    noise: gate.errorRate.noise,
    max: gate.errorRate.max,
    headAll: totals.errorRate,
    outageRate: OUTAGE_ERROR_RATE,
    ctx: { suite: suite.suite, providerId: provider.id, seed: '', alpha: DEFAULT_ALPHA },
    family: HOLM_FAMILY['error-rate']
  })
  showHeadAlone(errors, totals.errorRate?.value ?? null)
  pending.push(errors)
  // A maximum with no cost to read (unpriced answers, or none answered) cannot be checked.
  const costUnknown = totals.cost === null
  if (gate.cost.max !== undefined && (costUnknown || (totals.cost?.value ?? 0) > gate.cost.max)) {
    // No pairs: only the absolute maximum is judged (the head stands in for the missing base).
    const cost = costMetric({
      pairs: [],
      base: head,
      head,
      maxRatio: gate.cost.maxRatio,
      max: gate.cost.max,
      headAll: totals.cost,
      ctx: { suite: suite.suite, providerId: provider.id, seed: '', alpha: DEFAULT_ALPHA },
      family: HOLM_FAMILY.cost
    })
    showHeadAlone(cost, totals.cost?.value ?? null)
    pending.push(cost)
  }
  const judges = judgeCostMetric(null, head)
  if (judges) pending.push(judges)
  return { group, pending }
}

function comparedGroup(
  baseSuite: SuiteResult,
  headSuite: SuiteResult,
  baseProvider: ProviderInfo,
  headProvider: ProviderInfo,
  ctx: GroupContext,
  warnings: string[]
): PendingGroup {
  const group = emptyGroup(headSuite, headProvider, 'compared')
  const gate = resolveGate(headSuite.gate)
  const base = summarizeSide(baseSuite, baseProvider.id)
  const head = summarizeSide(headSuite, headProvider.id)
  const totals = headTotals(head)
  const where = `${headSuite.suite} / ${headProvider.id}`
  group.base = sideInfo(base, baseProvider)
  group.head = sideInfo(head, headProvider)
  group.repeats = { base: baseSuite.repeats, head: headSuite.repeats }
  group.comparable = sameScoring(baseSuite, headSuite)
  if (!group.comparable) {
    const floors = [
      ...(gate.score.min !== undefined ? ['score'] : []),
      ...(gate.passRate.min !== undefined ? ['pass rate'] : [])
    ]
    // A floor needs no baseline: it still holds, on the head alone.
    const judged =
      floors.length === 0
        ? ''
        : `; the ${floors.length === 1 ? 'floor' : 'floors'} of the ${floors.join(' and ')} ${floors.length === 1 ? 'is' : 'are'} judged on the head alone`
    group.reason = `the scorers changed: scores are not comparable (latency, cost and errors are)${judged}`
  }
  group.modelChanged =
    setsDiffer(group.base.models, group.head.models) ||
    setsDiffer(group.base.fingerprints, group.head.fingerprints)
  group.configChanged = providerConfigChanged(baseProvider, headProvider)
  group.gateChanged = canonicalJson(baseSuite.gate ?? {}) !== canonicalJson(headSuite.gate ?? {})
  if (group.gateChanged) {
    warnings.push(`${where}: the gate block changed; the head's tolerances were used`)
  }
  const missing = missingAnswers(head)
  if (missing) warnings.push(`${where}: ${missing}: left out of the comparison`)

  const clusterOf = new Map<string, string>()
  const sourceOf = new Map<string, string>()
  for (const info of [...baseSuite.cases, ...headSuite.cases]) {
    if (info.cluster !== undefined) clusterOf.set(info.id, info.cluster)
    sourceOf.set(info.id, info.source)
  }
  // A case whose variables changed under the same id (a corrected expected answer) is another
  // case: paired with its old self, the correction would count as a change of the model. Results
  // before format 4 have no fingerprint: their cases pair by id alone, as they did.
  const baseListed = new Map(baseSuite.cases.map((info) => [info.id, info.varsFingerprint]))
  const editedIds = new Set(
    headSuite.cases
      .filter((info) => {
        const before = baseListed.get(info.id)
        return (
          before !== undefined &&
          info.varsFingerprint !== undefined &&
          before !== info.varsFingerprint
        )
      })
      .map((info) => info.id)
  )
  // A case a run lists but has no answer for was not reached (the run was cancelled or stopped
  // early): not added to the head's spec, nor deleted from it.
  const headListed = new Set(headSuite.cases.map((info) => info.id))
  const pairs: Pair[] = []
  const added: string[] = []
  const edited: string[] = []
  const unreachedByBaseline: string[] = []
  for (const [caseId, headCase] of head.cases) {
    const baseCase = base.cases.get(caseId)
    if (editedIds.has(caseId)) edited.push(caseId)
    else if (baseCase)
      pairs.push({ caseId, base: baseCase, head: headCase, cluster: clusterOf.get(caseId) })
    else if (baseListed.has(caseId)) unreachedByBaseline.push(caseId)
    else added.push(caseId)
  }
  const baseOnly = [...base.cases.keys()].filter((id) => !head.cases.has(id))
  const removed = baseOnly.filter((id) => !headListed.has(id))
  const unreached = baseOnly.filter((id) => headListed.has(id))
  const listed = [added, removed, edited].flatMap((ids) => ids.slice(0, MAX_LISTED_IDS))
  const sources = listed.flatMap((id) => {
    const source = sourceOf.get(id)
    return source === undefined ? [] : [[id, source] as const]
  })
  group.cases = {
    paired: pairs.length,
    added: added.length,
    removed: removed.length,
    addedIds: added.slice(0, MAX_LISTED_IDS),
    removedIds: removed.slice(0, MAX_LISTED_IDS),
    ...(edited.length > 0
      ? { edited: edited.length, editedIds: edited.slice(0, MAX_LISTED_IDS) }
      : {}),
    ...(unreached.length > 0
      ? { unreached: unreached.length, unreachedIds: unreached.slice(0, MAX_LISTED_IDS) }
      : {}),
    ...(unreachedByBaseline.length > 0
      ? {
          unreachedByBaseline: unreachedByBaseline.length,
          unreachedByBaselineIds: unreachedByBaseline.slice(0, MAX_LISTED_IDS)
        }
      : {}),
    ...(sources.length > 0 ? { sources: Object.fromEntries(sources) } : {})
  }
  // Nothing pairs with the baseline: said in every mode, not only as strict mode's failure.
  if (pairs.length === 0 && head.cases.size > 0) {
    const why = noPairsReason(group.cases, {
      head: idOrigin(headSuite.cases, added),
      base: idOrigin(baseSuite.cases, removed)
    })
    group.reason ??= why
    warnings.push(
      `${where}: not compared with its baseline: ${why}; the head's values are shown alone`
    )
  }

  const pending: PendingMetric[] = []
  const errorRate = errorRateMetric({
    pairs,
    head,
    noise: gate.errorRate.noise,
    max: gate.errorRate.max,
    headAll: totals.errorRate,
    outageRate: OUTAGE_ERROR_RATE,
    ctx,
    family: HOLM_FAMILY['error-rate']
  })
  // The quality metrics and the flipped cases compare the same answers of each case.
  const qualityPairs = sameRepeatPairs(pairs)
  // A case one side never answered compares nothing either way: no other answers were compared.
  const trimmed = qualityPairs.some((pair, i) => pair !== pairs[i] && pair.base.answered.length > 0)
  if (group.comparable) {
    const repeatsChanged = baseSuite.repeats !== headSuite.repeats
    if (repeatsChanged && pairs.length > 0) {
      const compared = Math.min(baseSuite.repeats, headSuite.repeats)
      warnings.push(
        `${where}: repeats changed ${baseSuite.repeats} → ${headSuite.repeats}; the score's and pass rate's Δ, CI, p and flipped cases compare up to ${plural(compared, 'answered repeat')} of each side of a case, the repeats both sides answered first, as the paired test needs as many on both; base and head are over every answer`
      )
    }
    const score = qualityMetric({
      name: 'score',
      pairs: qualityPairs,
      tolerance: gate.score,
      ctx,
      headAll: totals.score,
      head,
      ...(trimmed ? { everyAnswer: pairs } : {}),
      repeats: repeatsChanged ? null : headSuite.repeats,
      family: HOLM_FAMILY.score
    })
    const sameNumbers =
      qualityPairs.length > 0 &&
      qualityPairs.every(
        (p) =>
          p.base.passMatchesScore &&
          p.head.passMatchesScore &&
          p.base.binaryScores &&
          p.head.binaryScores
      )
    const passRate = qualityMetric({
      name: 'pass-rate',
      pairs: qualityPairs,
      tolerance: gate.passRate,
      ctx,
      headAll: totals.passRate,
      head,
      ...(trimmed ? { everyAnswer: pairs } : {}),
      repeats: repeatsChanged ? null : headSuite.repeats,
      family: HOLM_FAMILY['pass-rate'],
      ...(sameNumbers ? { sameNumbersAs: score } : {})
    })
    if (sameNumbers) passRate.metric.duplicateOf = 'score'
    pending.push(score, passRate)
  } else {
    pending.push(
      incomparableQualityMetric('score', base, head, gate.score),
      incomparableQualityMetric('pass-rate', base, head, gate.passRate)
    )
  }
  pending.push(errorRate)
  pending.push(
    latencyMetric({
      pairs,
      maxRatio: gate.latencyP50.maxRatio,
      ctx,
      family: HOLM_FAMILY['latency-p50']
    }),
    latencyTailMetric({
      pairs,
      maxRatio: gate.latencyP95.maxRatio,
      ctx,
      family: HOLM_FAMILY['latency-p95']
    })
  )
  const ttft = ttftMetric(pairs)
  if (ttft) pending.push(ttft)
  pending.push(
    costMetric({
      pairs,
      base,
      head,
      maxRatio: gate.cost.maxRatio,
      max: gate.cost.max,
      headAll: totals.cost,
      ctx,
      family: HOLM_FAMILY.cost
    })
  )
  for (const extra of [
    costTotalMetric(base, head),
    judgeCostMetric(base, head),
    tokenMetric(pairs, 'input-tokens'),
    tokenMetric(pairs, 'output-tokens'),
    retryRateMetric(pairs)
  ]) {
    if (extra) pending.push(extra)
  }

  // With no case paired, the head's own values are what the table can show, as for a new suite.
  if (pairs.length === 0) {
    const headAlone: Partial<Record<MetricName, number | null>> = {
      ...(group.comparable
        ? { score: totals.score?.value ?? null, 'pass-rate': totals.passRate?.value ?? null }
        : {}),
      'error-rate': totals.errorRate?.value ?? null,
      cost: totals.cost?.value ?? null
    }
    for (const p of pending) {
      const value = headAlone[p.metric.metric]
      if (value !== undefined) showHeadAlone(p, value)
    }
  }

  // An outage on either side says nothing about quality, speed or cost: only the error rate of
  // the head and the gate's absolute limits are judged. An outage of the head is an `error`; of
  // the base, the quality is unknown (inconclusive, never an improvement) until it is rerun.
  const headOutage = (outageShare(head) ?? 0) > OUTAGE_ERROR_RATE
  const baseOutageShare = outageShare(base) ?? 0
  if (headOutage || baseOutageShare > OUTAGE_ERROR_RATE) {
    const reason = headOutage
      ? `not judged: ${formatPercent(outageShare(head) as number)} of the head answers ${outageLoss(head)}`
      : `not judged: ${formatPercent(baseOutageShare)} of the baseline answers ${outageLoss(base)}; rerun the baseline`
    if (!headOutage) {
      warnings.push(`${where}: the baseline mostly errored; rerun it`)
      // Fewer errors than during the baseline's outage is the provider's recovery, not the
      // change's doing: no improvement, unless an absolute maximum is broken all the same.
      const judgeErrorRate = errorRate.decide
      errorRate.family = null
      errorRate.decide = (familySize) => {
        judgeErrorRate(familySize)
        if (errorRate.metric.verdict === 'fail') return
        errorRate.metric.gated = false
        errorRate.metric.verdict = 'not-gated'
        errorRate.metric.reason = reason
      }
    }
    for (const p of pending) {
      if (p === errorRate || p.metric.verdict === 'not-comparable') continue
      p.family = null
      p.sameAs = undefined
      p.decide = () => {
        const limit = p.brokenLimit?.()
        const unknownQuality =
          !headOutage && (p.metric.metric === 'score' || p.metric.metric === 'pass-rate')
        p.metric.gated = limit !== undefined || unknownQuality
        p.metric.verdict = limit ? 'fail' : unknownQuality ? 'inconclusive' : 'not-gated'
        p.metric.reason = limit ?? reason
      }
    }
  }
  // A replay misses exactly where an answer, or what a judge grades, changed: the cases that
  // were answered cannot show that the quality held where it may have changed (a regression they
  // show stands).
  const unanswered = pairs.reduce((n, p) => n + p.head.missing, 0)
  if (unanswered > 0) {
    for (const p of pending) {
      if (p.metric.metric !== 'score' && p.metric.metric !== 'pass-rate') continue
      const judge = p.decide
      p.decide = (familySize) => {
        judge(familySize)
        if (!['pass', 'improvement', 'minor-change', 'not-gated'].includes(p.metric.verdict)) return
        p.metric.gated = true
        p.metric.verdict = 'inconclusive'
        p.metric.reason = `${plural(unanswered, 'answer')} of paired cases missing from the replay cache (or cancelled): a replay misses where an answer or what a judge grades changed, so the cases answered cannot show the quality held`
      }
    }
  }
  group.flips = findFlips(qualityPairs, (id) => sourceOf.get(id) ?? '', group.comparable)
  return { group, pending }
}

/**
 * Whether the ids of `ids` (cases of `cases`) were derived from their variables or given:
 * `unknown` when they are mixed, or the results are older than the variables' fingerprints.
 */
function idOrigin(cases: readonly CaseInfo[], ids: readonly string[]): IdOrigin {
  const wanted = new Set(ids)
  const origins = new Set(
    cases
      .filter((info) => wanted.has(info.id))
      .map((info) =>
        info.varsFingerprint === undefined
          ? 'unknown'
          : info.id === info.varsFingerprint.slice(0, DERIVED_ID_LENGTH)
            ? 'derived'
            : 'given'
      )
  )
  const [only] = origins
  return origins.size === 1 && only !== undefined ? only : 'unknown'
}

type IdOrigin = 'derived' | 'given' | 'unknown'

/** Why no case of a suite × provider was paired with its baseline, and what to do about it. */
function noPairsReason(
  cases: GroupComparison['cases'],
  origin: { head: IdOrigin; base: IdOrigin }
): string {
  const { unreached = 0, unreachedByBaseline = 0, edited = 0 } = cases
  const noneOf = (count: number) =>
    count === 1 ? 'not the one case' : `none of the ${count} cases`
  if (unreached > 0 && unreachedByBaseline > 0) {
    return 'both runs were cancelled or stopped early: neither answered a case the other did'
  }
  if (unreached > 0) {
    return `the head run was cancelled or stopped early: it answered ${noneOf(unreached)} it shares with the baseline`
  }
  if (unreachedByBaseline > 0) {
    return `the baseline run was cancelled or stopped early: it answered ${noneOf(unreachedByBaseline)} it shares with the head run`
  }
  if (edited > 0) {
    const others = cases.added > 0 || cases.removed > 0 ? '; the others were added or removed' : ''
    return `${edited === 1 ? 'the one case both runs list was' : `all ${edited} cases both runs list were`} edited (their variables changed, so not compared)${others}`
  }
  if (origin.head === 'derived') {
    return 'no case id is in both runs: ids derived from the variables (expected answers too) change with any edit; give cases an `id` to keep them paired across edits'
  }
  if (origin.head === 'given' && origin.base === 'derived') {
    return 'no case id is in both runs: the cases were given an `id`, and the baseline derived theirs from their variables; they are paired from the next baseline on'
  }
  if (origin.head === 'given' && origin.base === 'given') {
    return "no case id is in both runs: the cases' `id`s were renamed"
  }
  return 'no case id is in both runs: the case ids changed (renamed, or derived from variables that changed); give cases an `id` to keep them paired across edits'
}

/** `renamedAs`: the suite new to the head run in the same spec file, which may be this one. */
function removedGroup(
  suite: SuiteResult,
  provider: ProviderInfo,
  renamedAs: string | undefined
): PendingGroup {
  const group = emptyGroup(suite, provider, 'removed')
  group.base = sideInfo(summarizeSide(suite, provider.id), provider)
  group.repeats.base = suite.repeats
  group.reason =
    renamedAs === undefined
      ? 'in the baseline but not in this run'
      : `in the baseline but not in this run: renamed ${renamedAs}, it seems (a suite is known by its name)`
  return { group, pending: [] }
}

/**
 * Holm within each family, separately for the worse and the better direction. A test that could
 * not reach α whatever its data did (every paired difference 0, or too few non-zero) is left out
 * of its family and keeps its own p-value: it can never reject, so leaving it out keeps the
 * family-wise error rate at α (Tarone 1990) while fifty unchanged suites no longer dilute the one
 * that dropped.
 */
function adjust(pendings: readonly PendingMetric[], alpha: number): Record<string, number> {
  const familySizes: Record<string, number> = {}
  for (const direction of ['test', 'improvementTest'] as const) {
    const families = new Map<string, PendingMetric[]>()
    for (const p of pendings) {
      const test = p.metric[direction]
      if (p.family === null || p.sameAs || !test) continue
      if (!canReach(test, alpha)) {
        test.pValueAdjusted = test.pValue
        continue
      }
      const members = families.get(p.family)
      if (members) members.push(p)
      else families.set(p.family, [p])
    }
    for (const [family, members] of families) {
      const adjusted = holm(members.map((p) => p.metric[direction]?.pValue as number))
      members.forEach((p, i) => {
        const test = p.metric[direction]
        if (test) test.pValueAdjusted = adjusted[i] ?? null
      })
      if (direction === 'test') familySizes[family] = members.length
    }
  }
  for (const p of pendings) {
    const source = p.sameAs?.metric
    if (!source) continue
    if (p.metric.test && source.test) p.metric.test.pValueAdjusted = source.test.pValueAdjusted
    if (p.metric.improvementTest && source.improvementTest) {
      p.metric.improvementTest.pValueAdjusted = source.improvementTest.pValueAdjusted
    }
  }
  return familySizes
}

/**
 * The metrics a report's table shows: those with a value on either side, and those without one
 * that still reached a verdict (a maximum cost that cannot be checked).
 */
export function shownMetrics(group: GroupComparison): MetricComparison[] {
  return group.metrics.filter(
    (m) => m.base !== null || m.head !== null || m.verdict !== 'not-gated'
  )
}

/**
 * A duplicate metric that reached its original's verdict says nothing new when the original's
 * reason says all its own does (in the original's name; the original may add its own broken
 * floor). One its own tolerances decided otherwise (a floor of its own broken, a noise floor or
 * margin of its own) is shown and counted: folded, its broken floor would go unsaid.
 */
export function isRepeated(
  metric: MetricComparison,
  metrics: readonly MetricComparison[]
): boolean {
  const original = metrics.find((m) => m.metric === metric.duplicateOf)
  if (original === undefined || original.verdict !== metric.verdict) return false
  // In the original's name, as shown and as a `gate:` key (a floor the advice suggests).
  const asOriginal = metric.reason
    .split(METRIC_LABELS[metric.metric])
    .join(METRIC_LABELS[original.metric])
    .split(`{ ${metric.metric}: `)
    .join(`{ ${original.metric}: `)
  return original.reason.startsWith(asOriginal)
}

const COUNT_WORDS: Record<Verdict, [string, string]> = {
  regression: ['regression', 'regressions'],
  fail: ['broken limit', 'broken limits'],
  error: ['error', 'errors'],
  inconclusive: ['inconclusive result', 'inconclusive results'],
  'not-comparable': ['incomparable metric', 'incomparable metrics'],
  improvement: ['improvement', 'improvements'],
  'minor-change': ['minor change', 'minor changes'],
  pass: ['pass', 'passes'],
  'not-gated': ['reported metric', 'reported metrics']
}

function emptyCounts(): VerdictCounts {
  return Object.fromEntries(VERDICT_SEVERITY.map((v) => [v, 0])) as VerdictCounts
}

function summaryLine(
  verdict: Verdict,
  counts: VerdictCounts,
  groups: number,
  pooledAlone: boolean
): string {
  const parts = [
    ...(pooledAlone ? ['a pooled drop of the mean score'] : []),
    ...VERDICT_SEVERITY.filter((v) => v !== 'not-gated' && counts[v] > 0).map((v) =>
      plural(counts[v], COUNT_WORDS[v][0], COUNT_WORDS[v][1])
    )
  ]
  const scope = `${plural(groups, 'suite × provider')}`
  if (parts.length === 0) return `Nothing gated across ${scope}.`
  const head = verdict === 'pass' ? 'No regression' : VERDICT_WORDS[verdict].toLowerCase()
  return `${head[0]?.toUpperCase()}${head.slice(1)}: ${parts.join(', ')} across ${scope}.`
}

/**
 * Compares every suite × provider of `head` with the same suite (by name) and provider (by id) of
 * `base`, pairing cases by id. See DESIGN "Statistics" for the methods.
 */
export function compareRuns(base: RunResult, head: RunResult, options: CompareOptions): Comparison {
  const alpha = options.alpha ?? DEFAULT_ALPHA
  if (!(alpha > 0 && alpha < 1)) throw new UsageError(`alpha must be between 0 and 1, got ${alpha}`)
  const strict = options.strict ?? false
  const warnings: string[] = []
  for (const [name, run] of [
    ['head', head],
    ['baseline', base]
  ] as const) {
    if (!run.run.complete) {
      warnings.push(
        `the ${name} run is incomplete (${run.run.incompleteReason ?? 'stopped early'}): cases it did not reach are not compared`
      )
    }
    if (run.run.shard && run.run.shard.total > 1) {
      warnings.push(
        `the ${name} run is shard ${run.run.shard.index} of ${run.run.shard.total}: merge every shard first (evalgate merge, or the action's merge-from input)`
      )
    }
  }

  const pendingGroups: PendingGroup[] = []
  const baseSuites = new Map(base.suites.map((s) => [s.suite, s]))
  for (const headSuite of head.suites) {
    const baseSuite = baseSuites.get(headSuite.suite)
    for (const headProvider of headSuite.providers) {
      const baseProvider = baseSuite?.providers.find((p) => p.id === headProvider.id)
      if (!baseSuite || !baseProvider) {
        pendingGroups.push(newGroup(headSuite, headProvider, resolveGate(headSuite.gate)))
        continue
      }
      const ctx: GroupContext = {
        suite: headSuite.suite,
        providerId: headProvider.id,
        seed: options.seed,
        alpha
      }
      pendingGroups.push(
        comparedGroup(baseSuite, headSuite, baseProvider, headProvider, ctx, warnings)
      )
    }
  }
  const headSuites = new Map(head.suites.map((s) => [s.suite, s]))
  const newSuites = pendingGroups.flatMap(({ group }) => (group.status === 'new' ? [group] : []))
  const removed: string[] = []
  const renamed: string[] = []
  for (const baseSuite of base.suites) {
    const headSuite = headSuites.get(baseSuite.suite)
    for (const provider of baseSuite.providers) {
      if (headSuite?.providers.some((p) => p.id === provider.id)) continue
      // A spec file holds one suite: a suite gone from it while another is new there was most
      // likely renamed, which the names that pair suites cannot tell from a deletion. A filtered
      // run leaves suites out without renaming them.
      const renamedAs =
        head.run.filter === undefined
          ? newSuites.find(
              (g) =>
                g.file === baseSuite.file &&
                g.providerId === provider.id &&
                g.suite !== baseSuite.suite
            )?.suite
          : undefined
      pendingGroups.push(removedGroup(baseSuite, provider, renamedAs))
      const where = `${baseSuite.suite} / ${provider.id}`
      if (renamedAs === undefined) removed.push(where)
      else {
        renamed.push(
          `${where} is in the baseline but not in the head run, and ${renamedAs} / ${provider.id} is new in its spec file (${baseSuite.file}): renamed, it seems; a suite is known by its name, so it was not compared with its baseline (--strict does not fail it) until a baseline of the new name is stored`
        )
      }
    }
  }
  warnings.push(...renamed)
  if (head.run.filter !== undefined && head.run.filter !== base.run.filter) {
    warnings.push(
      `the head run ran only the cases of the filter ${head.run.filter}: the baseline's other cases are listed as removed because they were not run, not because they were deleted`
    )
  }
  // Said at the top, not only in a table: renaming or deleting a suite must not pass unnoticed.
  // A baseline with none of the head's suite names is most likely another job's, of other specs,
  // stored on the same commit: renaming every suite at once is rare. A suite both have whose
  // provider was renamed (gpt-4o → gpt-4o-mini) is this run's own change.
  const sharesNoSuite =
    renamed.length === 0 &&
    head.suites.length > 0 &&
    head.suites.every((s) => !baseSuites.has(s.suite))
  if (removed.length > 0 && head.run.filter === undefined) {
    const listed = firstAndCount(removed, 5)
    warnings.push(
      sharesNoSuite
        ? `the baseline was stored for other suites (${listed}), by another job with other specs, it seems: this run shares no suite and provider with it, so nothing was compared. Give each job its own comment-key (an input of the action), so that each stores and compares its own baselines; if this run renamed them instead, the next baseline compares them`
        : `${removed.join(', ')} ${removed.length === 1 ? 'is' : 'are'} in the baseline but not in the head run, so not compared (renamed or deleted?)`
    )
  }

  const pooled = pooledScore(pendingGroups, options.seed, alpha)
  const allPending = [
    ...pendingGroups.flatMap((g) => g.pending),
    ...(pooled ? [pooled.pending] : [])
  ]
  const familySizes = adjust(allPending, alpha)
  for (const p of allPending) p.decide(p.family === null ? 1 : (familySizes[p.family] ?? 1))

  const groups = pendingGroups.map(({ group, pending }) => {
    group.metrics = pending.map((p) => p.metric)
    return group
  })
  return {
    schemaVersion: COMPARISON_VERSION,
    tool: { name: 'evalgate', version: TOOL_VERSION },
    ...verdictsOf(groups, strict, pooled?.pooled),
    options: { seed: options.seed, strict, alpha },
    holmFamilySizes: familySizes,
    base: runInfo(base),
    head: runInfo(head),
    warnings,
    ...(pooled ? { pooledScore: pooled.pooled } : {})
  }
}

/**
 * The run's pooled drop test of the mean score (see pooledScoreMetric), over the suite ×
 * providers whose score is tested against its baseline (in its Holm family: compared, comparable,
 * no outage); null with fewer than POOLED_MIN_GROUPS.
 */
function pooledScore(
  pendingGroups: readonly PendingGroup[],
  seed: string,
  alpha: number
): ReturnType<typeof pooledScoreMetric> | null {
  const sources = pendingGroups.flatMap(({ pending }) =>
    pending.flatMap((p) =>
      p.metric.metric === 'score' && p.family !== null && p.compared
        ? [{ compared: p.compared, noise: p.metric.tolerance.noise ?? DEFAULT_NOISE }]
        : []
    )
  )
  if (sources.length < POOLED_MIN_GROUPS) return null
  return pooledScoreMetric({ sources, seed, alpha, family: HOLM_FAMILY.score })
}

/**
 * Strict mode fails a suite × provider that had a baseline but could not be gated against it, as
 * it fails an inconclusive result: its score says inconclusive, so that the verdicts, counts and
 * summary above it say the run fails, as the exit code does. A score not judged for an outage is
 * left as it is: the outage's error verdict (or, of the baseline, its inconclusive score) fails
 * already, and says why.
 */
function strictScore(group: GroupComparison): GroupComparison {
  if (!isUngated(group)) return group
  const metrics = group.metrics.map((m) =>
    m.metric === 'score' &&
    (m.verdict === 'not-comparable' || (m.verdict === 'not-gated' && m.n === 0))
      ? {
          ...m,
          gated: true,
          verdict: 'inconclusive' as const,
          reason: `${m.reason}; strict mode fails a score not gated against its baseline as inconclusive`
        }
      : m
  )
  return { ...group, metrics }
}

/**
 * Each group's verdict from its metrics', then the counts, the run's verdict (a regression too
 * when the pooled score test is one) and its summary.
 */
function verdictsOf(
  metricsOfGroups: readonly GroupComparison[],
  strict: boolean,
  pooled: PooledScore | undefined
): Pick<Comparison, 'verdict' | 'summary' | 'groups' | 'counts'> {
  const counts = emptyCounts()
  const groups = metricsOfGroups.map((unraised) => {
    const group = strict ? strictScore(unraised) : unraised
    for (const m of group.metrics) {
      if (m.verdict !== 'not-gated' && !isRepeated(m, group.metrics)) counts[m.verdict]++
    }
    return { ...group, verdict: mostSevere(group.metrics.map((m) => m.verdict)) }
  })
  const pooledVerdict: Verdict[] = pooled?.verdict === 'regression' ? ['regression'] : []
  const verdict = mostSevere([...groups.map((g) => g.verdict), ...pooledVerdict])
  const pooledAlone = pooled !== undefined && pooledDropAlone({ groups, pooledScore: pooled })
  return {
    verdict,
    summary: summaryLine(verdict, counts, groups.length, pooledAlone),
    groups,
    counts
  }
}

/**
 * A comparison read back from a file (which a pull request's code may have written) with its
 * verdicts derived again from its metrics' and its pooled test's verdicts, as its tables and
 * lines show them: a verdict or summary written to pass cannot stand above a table that says
 * regression.
 */
export function withDerivedVerdicts(comparison: Comparison): Comparison {
  return {
    ...comparison,
    ...verdictsOf(comparison.groups, comparison.options.strict, comparison.pooledScore)
  }
}

/**
 * Whether the pooled score test is a regression that no suite × provider's own score or pass rate
 * shows: then it alone says that the quality dropped, and the reports say it in full.
 */
function pooledDropAlone(c: Pick<Comparison, 'groups' | 'pooledScore'>): boolean {
  if (c.pooledScore?.verdict !== 'regression') return false
  return !c.groups.some((g) =>
    g.metrics.some(
      (m) => (m.metric === 'score' || m.metric === 'pass-rate') && m.verdict === 'regression'
    )
  )
}

/**
 * The pooled score test's line for a report, numbers only: in full when it alone says the quality
 * dropped (`alone`); shorter beside the suites' own quality regressions, which fail already;
 * undefined when it shows no drop beyond the noise floor, which adds nothing.
 */
export function pooledDropLine(c: Comparison): { text: string; alone: boolean } | undefined {
  const pooled = c.pooledScore
  if (pooled?.verdict !== 'regression') return undefined
  const { low, high } = pooled.interval ?? { low: null, high: null }
  const interval =
    low === null || high === null
      ? ''
      : `95% CI ${formatInterval(low, high, 'difference', 'fraction')}, `
  const numbers = `${interval}${pText(pooled.test)}`
  const across = `Across all ${plural(pooled.groups, 'suite × provider', 'suites × providers')} whose scores were compared, the mean score dropped ${formatPoints(pooled.delta, false)} (${numbers})`
  return pooledDropAlone(c)
    ? {
        text: `${across}: beyond the ${formatPoints(pooled.noise, false)} noise floor, though no single suite × provider's drop is a regression on its own`,
        alone: true
      }
    : { text: across, alone: false }
}

/**
 * The suite × providers that had a baseline but whose quality could not be judged against it:
 * their scorers changed, or no case was answered in both runs (case ids that changed with their
 * content, every answer missing from a replay cache, a head or baseline run cancelled before the
 * cases it shares with the other). Strict mode counts them as inconclusive.
 */
export function ungatedAgainstBaseline(c: Comparison): GroupComparison[] {
  return c.groups.filter(isUngated)
}

/**
 * See ungatedAgainstBaseline; a score strict mode made inconclusive has no paired case. A score
 * not judged for an outage is not: an outage of every answer leaves no case answered in both
 * runs, but the outage's own verdict says what went wrong. Nor is a suite whose floor of the score
 * or pass rate failed on the head alone: it fails already, and its verdict says why.
 */
function isUngated(group: GroupComparison): boolean {
  if (group.status !== 'compared') return false
  const floorFailed = group.metrics.some(
    (m) => (m.metric === 'score' || m.metric === 'pass-rate') && m.verdict === 'fail'
  )
  if (floorFailed) return false
  // Scorers that changed leave the score ungated against the baseline.
  if (!group.comparable) return true
  const outage = isOutage(group.base) || isOutage(group.head)
  return group.metrics.some((m) => m.metric === 'score' && isUngatedScore(m, outage))
}

function isUngatedScore(score: MetricComparison, outage: boolean): boolean {
  if (score.verdict === 'not-comparable') return true
  return (
    !outage && (score.verdict === 'not-gated' || score.verdict === 'inconclusive') && score.n === 0
  )
}

/** Whether most of a side's answers were lost to an outage (as compareRuns judged it). */
function isOutage(side: SideInfo | null): boolean {
  if (!side || side.answers === 0) return false
  const lost = side.errorKinds.reduce((n, e) => n + (isOutageKind(e.kind) ? e.count : 0), 0)
  return lost / side.answers > OUTAGE_ERROR_RATE
}

/** `file:line` of a listed added, removed or edited case of `group`, when the comparison has it. */
export function listedCaseSource(group: GroupComparison, caseId: string): string | undefined {
  const sources = group.cases.sources
  // An own entry only: a case id such as `constructor` is no key of every object.
  return sources !== undefined && Object.hasOwn(sources, caseId) ? sources[caseId] : undefined
}

/** Why a group with a baseline could not be gated against it (see ungatedAgainstBaseline). */
export function ungatedReason(group: GroupComparison): string {
  if (!group.comparable) return 'its scorers changed'
  if (group.cases.paired > 0) return 'no case was answered in both runs'
  // compareRuns says why in the group's reason; a comparison of an older evalgate may not.
  return group.reason ?? noPairsReason(group.cases, { head: 'unknown', base: 'unknown' })
}

/**
 * What fails a strict comparison that no verdict says fails: `suite / provider could not be gated
 * against its baseline (why)`, one per group; empty when not strict.
 */
export function strictFailures(c: Comparison): string[] {
  if (!c.options.strict) return []
  return ungatedAgainstBaseline(c).map(
    (group) =>
      `${group.suite} / ${group.providerId} could not be gated against its baseline (${ungatedReason(group)})`
  )
}

/**
 * The comparison fails only because it is strict: inconclusive, which includes a suite with a
 * baseline it could not be gated against (see strictScore), which proves no more.
 */
export function failsOnlyInStrictMode(c: Comparison): boolean {
  return c.options.strict && c.verdict === 'inconclusive'
}

/** 1 on a regression, a broken absolute limit or an error verdict; when strict, on an inconclusive one too. */
export function comparisonExitCode(c: Comparison): 0 | 1 {
  if (c.verdict === 'regression' || c.verdict === 'fail' || c.verdict === 'error') return 1
  return failsOnlyInStrictMode(c) ? 1 : 0
}

/**
 * The suite × provider results of `run` that mostly failed to reach their provider or its LLM
 * judge: as a baseline, such a result compares nothing (every later run would only be told to
 * rerun it).
 */
export function outages(run: RunResult): string[] {
  return run.suites.flatMap((suite) =>
    suite.providers
      .filter((p) => (outageShare(summarizeSide(suite, p.id)) ?? 0) > OUTAGE_ERROR_RATE)
      .map((p) => `${suite.suite} / ${p.id}`)
  )
}
