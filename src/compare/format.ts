/**
 * Number formats shared by the verdict reasons and the renderers, so a report never says one
 * thing in its table and another in its prose.
 */
import { beyond } from './gate.js'
import type { JudgeSpend, MetricComparison, MetricName, MetricUnit, Verdict } from './types.js'

const MINUS = '−'

function signed(text: string, negative: boolean): string {
  return negative ? `${MINUS}${text}` : `+${text}`
}

/**
 * A change as shown with its sign; one that rounds to zero is ±0 whichever side it is on, never
 * "−0.0".
 */
function signedChange(text: string, d: number): string {
  return /[1-9]/.test(text) ? signed(text, d < 0) : `±${text}`
}

/**
 * Most decimals shown to tell a value from a limit it broke (they differ by more than 1e-9 of
 * the limit), or from 0% and 100%.
 */
const MAX_DECIMALS = 10

/**
 * A fraction as a percentage: 0.873 → "87.3%". A value short of 100% keeps the decimals that
 * show it (0.9996 → "99.96%", not "100.0%"), as does one above 0%.
 */
export function formatPercent(x: number, decimals = 1): string {
  const roundsOff = (text: string) =>
    (x < 1 && Number(text) >= 100) || (x > 0 && Number(text) === 0)
  let text = (x * 100).toFixed(decimals)
  for (let more = decimals + 1; roundsOff(text) && more <= MAX_DECIMALS; more++) {
    text = (x * 100).toFixed(more)
  }
  return `${text}%`
}

/**
 * A value and the limit it broke, as percentages with as many decimals as it takes to tell them
 * apart: "99.96% is below the floor 100.0%", never "100.0% is below the floor 100.0%".
 */
export function formatPercentsApart(value: number, limit: number): [string, string] {
  let shown: [string, string] = [formatPercent(value), formatPercent(limit)]
  for (let decimals = 2; shown[0] === shown[1] && decimals <= MAX_DECIMALS; decimals++) {
    shown = [formatPercent(value, decimals), formatPercent(limit, decimals)]
  }
  return shown
}

/**
 * A flipped case's scores before and after, with as many decimals as it takes to tell them apart
 * (two at least): "1.00 → 0.999", never "1.00 → 1.00" for a case that flipped.
 */
export function formatScoresApart(base: number, head: number): [string, string] {
  let decimals = 2
  while (base.toFixed(decimals) === head.toFixed(decimals) && decimals < MAX_DECIMALS) decimals++
  // The decimals one score needed are not padded onto the other: 1.000 is shown as 1.00.
  const trimmed = (x: number) => x.toFixed(decimals).replace(/(\.\d{2}\d*?)0+$/, '$1')
  return [trimmed(base), trimmed(head)]
}

/**
 * Below this many points a change is the arithmetic's rounding, not a difference between runs:
 * it is shown as ±0.0.
 */
const NOISE_POINTS = 1e-7

/**
 * A difference of fractions in percentage points: −0.021 → "−2.1 pts". A real change that rounds
 * to zero keeps the decimals that show it (one case of 3,000 failing is "−0.03 pts", not "±0.0").
 */
export function formatPoints(d: number, withSign = true, decimals = 1): string {
  const points = Math.abs(d * 100)
  let shown = points.toFixed(decimals)
  for (
    let more = decimals + 1;
    Number(shown) === 0 && points >= NOISE_POINTS && more <= MAX_DECIMALS;
    more++
  ) {
    shown = points.toFixed(more)
  }
  const text = `${shown} pts`
  return withSign ? signedChange(text, d) : text
}

/**
 * A change and the noise floor it is judged against, in points with as many decimals as it takes
 * to tell their sizes apart: "fell 2.02 pts, beyond the 2.00 pts noise floor", never "2.0 … 2.0".
 * Sizes that are equal stay at one decimal: no decimal tells them apart. The limit is shown
 * unsigned.
 */
export function formatPointsApart(d: number, limit: number, withSign = true): [string, string] {
  const shownAt = (decimals: number): [string, string] => [
    formatPoints(d, withSign, decimals),
    formatPoints(limit, false, decimals)
  ]
  let shown = shownAt(1)
  const size = (text: string) => text.replace(/^[−+±]/, '')
  const equal = Math.abs(d) === Math.abs(limit)
  for (
    let decimals = 2;
    !equal && size(shown[0]) === shown[1] && decimals <= MAX_DECIMALS;
    decimals++
  ) {
    shown = shownAt(decimals)
  }
  return shown
}

/** Ratios below this one are shown as `<×0.0001`. */
const SMALLEST_RATIO = 0.0001

export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return '×∞'
  // ×9.996 is ×10.0, as shown from ×10 up.
  if (Number(r.toFixed(2)) >= 10) return `×${r.toFixed(1)}`
  // Below ×0.10 two decimals would lose the value (a tolerated ×1000 is ×0.001 on the faster
  // side, not ×0.00): two significant digits instead, written out (×0.050, never ×0.05 or
  // ×2.3e-8), down to a floor below which the digits say nothing a reader would act on.
  if (r > 0 && Number(r.toFixed(2)) < 0.1) {
    if (r < SMALLEST_RATIO) return `<×${SMALLEST_RATIO}`
    const rounded = Number(r.toPrecision(2))
    return `×${rounded.toFixed(1 - Math.floor(Math.log10(rounded)))}`
  }
  // A real change that rounds to ×1.00 (a large suite detects one) keeps a third digit.
  const digits = r.toFixed(2) === '1.00' && Math.abs(r - 1) >= 0.0005 ? 3 : 2
  return `×${r.toFixed(digits)}`
}

/** Milliseconds, in seconds from what rounds to 1000 ms up: 999.6 → "1.00 s", not "1000 ms". */
export function formatMs(x: number): string {
  if (Math.round(x) >= 1000) return `${(x / 1000).toFixed(2)} s`
  return Number(x.toFixed(1)) >= 10 ? `${Math.round(x)} ms` : `${x.toFixed(1)} ms`
}

/**
 * Dollars: cents from $1 up, else three significant digits written out however small: $0.00300,
 * $0.000000500, never $5.00e-7.
 */
export function formatUsd(x: number, digits = 3): string {
  if (x === 0) return '$0'
  if (Math.abs(x) >= 1 && digits === 3) return `$${x.toFixed(2)}`
  const rounded = Number(x.toPrecision(digits))
  return `$${rounded.toFixed(Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(rounded)))))}`
}

/**
 * An amount and the limit it broke, with as many significant digits as it takes to tell them
 * apart: "$0.01001 is above the maximum $0.01000", never "$0.0100 … $0.0100".
 */
export function formatUsdsApart(value: number, limit: number): [string, string] {
  let shown: [string, string] = [formatUsd(value), formatUsd(limit)]
  for (let digits = 4; shown[0] === shown[1] && digits <= MAX_DECIMALS; digits++) {
    shown = [formatUsd(value, digits), formatUsd(limit, digits)]
  }
  return shown
}

export function formatTokens(x: number): string {
  return Number(x.toFixed(1)) >= 100 ? String(Math.round(x)) : x.toFixed(1)
}

export function formatPValue(p: number): string {
  if (p < 0.001) return '<0.001'
  return p.toFixed(3)
}

/** A metric value in its unit. */
export function formatValue(x: number | null, unit: MetricUnit): string {
  if (x === null) return '–'
  switch (unit) {
    case 'fraction':
      return formatPercent(x)
    case 'ms':
      return formatMs(x)
    case 'usd':
      return formatUsd(x)
    case 'tokens':
      return formatTokens(x)
  }
}

/** A delta: points for fractions, a ratio, or a signed difference in the metric's unit. */
export function formatDelta(
  d: number | null,
  kind: 'difference' | 'ratio',
  unit: MetricUnit
): string {
  if (d === null) return '–'
  if (kind === 'ratio') return formatRatio(d)
  if (unit === 'fraction') return formatPoints(d)
  return signedChange(formatValue(Math.abs(d), unit), d)
}

/** An interval in the delta's terms: "[−3.1, −0.4] pts", "[×1.05, ×1.31]". */
export function formatInterval(
  low: number | null,
  high: number | null,
  kind: 'difference' | 'ratio',
  unit: MetricUnit
): string {
  if (low === null || high === null) return '–'
  if (kind === 'ratio') return `[${formatRatio(low)}, ${formatRatio(high)}]`
  if (unit === 'fraction') {
    const fmt = (x: number) => {
      const points = Math.abs(x * 100).toFixed(1)
      return x < 0 && /[1-9]/.test(points) ? `${MINUS}${points}` : points
    }
    return `[${fmt(low)}, ${fmt(high)}] pts`
  }
  return `[${formatDelta(low, kind, unit)}, ${formatDelta(high, kind, unit)}]`
}

export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`
}

/**
 * The first `shown` of `items`, then how many more: `a, b and 3 more`, or with `; ` as the
 * separator `a; b; and 3 more`.
 */
export function firstAndCount(items: readonly string[], shown: number, separator = ', '): string {
  const rest = items.length - shown
  const more = rest > 0 ? `${separator === ', ' ? ' ' : separator}and ${rest} more` : ''
  return items.slice(0, shown).join(separator) + more
}

export const METRIC_LABELS: Record<MetricName, string> = {
  score: 'mean score',
  'pass-rate': 'pass rate',
  'error-rate': 'error rate',
  'latency-p50': 'latency p50',
  'latency-p95': 'latency p95',
  'ttft-p50': 'time to first token p50',
  cost: 'cost per answer',
  'cost-total': 'cost total',
  'judge-cost': 'LLM judge cost per answer',
  'input-tokens': 'input tokens per answer',
  'output-tokens': 'output tokens per answer',
  'retry-rate': 'retry rate'
}

/** The one clear word a report shows for a verdict. */
export const VERDICT_WORDS: Record<Verdict, string> = {
  regression: 'REGRESSION',
  fail: 'FAIL',
  error: 'ERROR',
  inconclusive: 'INCONCLUSIVE',
  'not-comparable': 'NOT COMPARABLE',
  improvement: 'IMPROVEMENT',
  'minor-change': 'MINOR CHANGE',
  pass: 'PASS',
  'not-gated': 'NOT GATED'
}

/** The p-value a report shows: the adjusted one of the test behind the verdict's direction. */
export function shownPValue(metric: MetricComparison): number | null {
  const worse = metric.test?.pValueAdjusted ?? null
  const better = metric.improvementTest?.pValueAdjusted ?? null
  if (metric.verdict === 'improvement') return better
  // A minor change is significant in one direction: the p shown is that direction's test.
  if (metric.verdict === 'minor-change' && better !== null && (worse === null || better < worse)) {
    return better
  }
  return worse
}

/**
 * A pass the table shows beside a significant p: a latency change within the runner's timing
 * noise. The reports list its reason, as for any other verdict, so the small p is explained.
 */
export function passesDespiteItsP(metric: MetricComparison, alpha: number): boolean {
  const p = shownPValue(metric)
  return metric.verdict === 'pass' && p !== null && p < alpha
}

/** The advice's share of runs: what `powerAdvice` (metrics.ts) aims every number at. */
const ADVISED_POWER = '80% of the time'

/**
 * "needs ~340 more paired cases (or 5 repeats per case) for the 95% CI to rule out a drop of more
 * than 5 points, 80% of the time if nothing changed; this run could detect a drop of 6.1 pts or
 * more 80% of the time", or only what this run could detect when more cases would not settle it;
 * null when neither is known.
 */
export function powerGuidance(metric: MetricComparison): string | null {
  const power = metric.power
  if (metric.verdict !== 'inconclusive' || !power) return null
  const fraction = metric.unit === 'fraction'
  const rise = metric.metric === 'error-rate'
  const worse = fraction
    ? rise
      ? 'rise'
      : 'drop'
    : metric.unit === 'ms'
      ? 'slowdown'
      : 'cost increase'
  const tolerance = power.targetEffect
  const points = (x: number) => Math.round(x * 1000) / 10
  const tolerated = fraction ? tolerance > 0 : tolerance > 1
  const beyondTolerance = fraction
    ? `a ${worse} of more than ${points(tolerance)} points`
    : `a ${worse} beyond ${formatRatio(tolerance)}`
  // The cases advised assume no change, or the change measured when this run has the cases an
  // unchanged one would need (powerAdvice in metrics.ts): for the interval to clear the
  // tolerance, or, for a change at or beyond it, for that change to be a regression.
  const assumed = power.assumedChange
  const assumesMeasured = assumed !== undefined && assumed !== (fraction ? 0 : 1)
  const measured =
    assumed === undefined ? '' : fraction ? formatPoints(assumed) : formatRatio(assumed)
  const withinTolerance =
    assumed === undefined || (fraction ? Math.abs(assumed) < tolerance : assumed < tolerance)
  const aim = !assumesMeasured
    ? `for the 95% CI to rule out ${beyondTolerance}, ${ADVISED_POWER} if nothing changed`
    : withinTolerance
      ? `for the 95% CI to rule out ${beyondTolerance}, ${ADVISED_POWER} if the true change is the ${measured} measured`
      : `for the ${measured} measured to be a regression ${ADVISED_POWER}, if it is the true change`
  const unit = metric.clusters === undefined ? 'paired case' : 'cluster'
  const more =
    power.additionalCases === null
      ? null
      : `~${power.additionalCases.toLocaleString('en-US')} more ${power.additionalCases === 1 ? unit : `${unit}s`}`
  const repeats =
    power.requiredRepeats === null ? null : `${power.requiredRepeats} repeats per case`
  const needs = [more, repeats].filter((x): x is string => x !== null)
  const mde = power.minimumDetectableEffect
  const detectable =
    mde === null
      ? null
      : fraction && mde >= 1
        ? `this run could not detect even a 100-point ${worse} ${ADVISED_POWER}`
        : `this run could detect a ${worse} of ${fraction ? formatPoints(mde, false) : formatRatio(mde)} or more ${ADVISED_POWER}`
  const advice = needs.length === 0 ? null : `needs ${needs.join(' or ')} ${aim}`
  if (!tolerated) {
    const never = `no run size can rule out every ${worse} when none is tolerated`
    return [advice, detectable, never].filter((x): x is string => x !== null).join('; ')
  }
  if (advice === null) {
    return detectable === null
      ? null
      : `${detectable} (tolerated: up to ${fraction ? `a ${points(tolerance)}-point ${worse}` : formatRatio(tolerance)})`
  }
  return detectable === null ? advice : `${advice}; ${detectable}`
}

/**
 * A metric's change as a report shows it: a ratio from nothing to something (a cost from $0) is
 * no number the Comparison can hold, but ×∞ all the same, as its reason says.
 */
export function formatMetricDelta(metric: MetricComparison): string {
  const fromNothing =
    metric.delta === null &&
    metric.deltaKind === 'ratio' &&
    metric.base === 0 &&
    metric.head !== null &&
    metric.head > 0
  return fromNothing
    ? formatRatio(Infinity)
    : formatDelta(metric.delta, metric.deltaKind, metric.unit)
}

/**
 * A metric's row in a report table: label, base, head, Δ, interval, p and verdict word ('–' when
 * not gated). The terminal and Markdown renderers share it and only style it.
 */
export function metricCells(metric: MetricComparison): string[] {
  const p = shownPValue(metric)
  return [
    METRIC_LABELS[metric.metric],
    formatValue(metric.base, metric.unit),
    formatValue(metric.head, metric.unit),
    formatMetricDelta(metric),
    formatInterval(
      metric.interval?.low ?? null,
      metric.interval?.high ?? null,
      metric.deltaKind,
      metric.unit
    ),
    p === null ? '–' : formatPValue(p),
    metric.verdict === 'not-gated' ? '–' : VERDICT_WORDS[metric.verdict]
  ]
}

/**
 * What the score and pass rate compared when it is not their base and head (`compared`): the
 * table's Δ is not head − base then, and says so beside it. Undefined when they are the same.
 */
export function comparedRepeatsNote(metrics: readonly MetricComparison[]): string | undefined {
  const means = metrics.flatMap((m) =>
    m.compared === undefined
      ? []
      : [
          `${METRIC_LABELS[m.metric]} ${formatPercent(m.compared.base)} → ${formatPercent(m.compared.head)}`
        ]
  )
  if (means.length === 0) return undefined
  return `base and head are over every answer; Δ, 95% CI and p compare as many answered repeats on both sides of each case, those both sides answered first (${means.join(', ')})`
}

/**
 * The absolute limit of a metric, what the cases it reads (see `limit`) are called, and the
 * paired cases the table's base and head are over.
 */
const ABSOLUTE_LIMITS: Partial<
  Record<MetricName, { bound: 'min' | 'max'; read: string; table: string }>
> = {
  score: { bound: 'min', read: 'case', table: 'answered in both runs' },
  'pass-rate': { bound: 'min', read: 'case', table: 'answered in both runs' },
  'error-rate': { bound: 'max', read: 'case', table: 'answered in both runs, errors included' },
  cost: { bound: 'max', read: 'priced case', table: 'priced in both runs' }
}

/**
 * What the absolute limits of the `gate:` block (`min`, `max`) read when it is not the table's
 * head: every case the head answered, while base and head are over the paired cases. One line
 * per set of paired cases; empty when no limit read more than the table shows.
 */
export function limitNotes(metrics: readonly MetricComparison[]): string[] {
  const lines = new Map<string, { word: string; n: number; table: string; read: string[] }>()
  for (const m of metrics) {
    const cases = ABSOLUTE_LIMITS[m.metric]
    const limit = cases && m.tolerance[cases.bound]
    if (m.limit === undefined || limit === undefined || cases === undefined) continue
    const min = cases.bound === 'min'
    // Apart only when the limit is broken: a value at its limit reads as equal to it.
    const broken = beyond(m.limit.head, limit, min ? 'beneath' : 'above')
    const apart = m.unit === 'usd' ? formatUsdsApart : formatPercentsApart
    const plain = m.unit === 'usd' ? formatUsd : formatPercent
    const [value, shownLimit] = broken
      ? apart(m.limit.head, limit)
      : [plain(m.limit.head), plain(limit)]
    const word = min ? 'floor' : 'maximum'
    const key = [word, m.n, cases.table].join('\u0000')
    const line = lines.get(key) ?? { word, n: m.n, table: cases.table, read: [] }
    line.read.push(
      `${METRIC_LABELS[m.metric]} ${value} over ${plural(m.limit.cases, cases.read)} (${word} ${shownLimit})`
    )
    lines.set(key, line)
  }
  return [...lines.values()].map(({ word, n, table, read }) => {
    const reads =
      read.length === 1 ? `the ${word} reads` : `the ${word === 'floor' ? 'floors' : 'maxima'} read`
    // With no case in both runs, base and head above are each over their own cases: nothing
    // was compared.
    const tableCases =
      n === 0
        ? `no case is ${table}, so base and head above cannot be compared`
        : `base and head above are over the ${plural(n, 'case')} ${table}`
    return `${reads} every case the head answered, whatever the baseline answered: ${read.join(', ')}; ${tableCases}`
  })
}

/** How a model's reason for stopping short of finishing an answer reads in a report. */
export function finishReasonText(reason: string): string {
  if (reason === 'length') return 'cut off at the token limit'
  if (reason === 'model_length') return "cut off at the model's context length"
  if (reason === 'content_filter') return 'stopped by a content filter'
  if (reason === 'tool_calls' || reason === 'function_call') return 'answered with tool calls'
  return `stopped: ${reason}`
}

/**
 * What a report must say of the LLM judges' spend beside its numbers: whose cost is unknown (and
 * why it can be), and whose judges answered from the cache, their cost spent by the run that
 * recorded them. Empty when neither.
 */
export function judgeSpendCaveats(
  base: JudgeSpend | undefined,
  head: JudgeSpend | undefined
): string[] {
  const sides = (
    [
      ['base', base],
      ['head', head]
    ] as const
  ).flatMap(([name, spend]) => (spend ? [{ name, spend }] : []))
  const listed = (count: (spend: JudgeSpend) => number) =>
    sides
      .filter(({ spend }) => count(spend) > 0)
      .map(({ name, spend }) => `${count(spend)} of ${plural(spend.answers, `${name} answer`)}`)
      .join(' and ')
  const caveats: string[] = []
  const unpriced = listed((spend) => spend.unpriced)
  if (unpriced) {
    caveats.push(
      `the judges' cost is unknown on ${unpriced} judged (no price for the judge's model or its service tier, or no token counts: the run report says which)`
    )
  }
  const cached = listed((spend) => spend.cached)
  if (cached) {
    caveats.push(
      `the judges' answers on ${cached} came from the cache: their cost was spent by the run that recorded them`
    )
  }
  return caveats
}
