/**
 * A Comparison for a terminal: the verdict, then one aligned table per suite × provider and the
 * cases that flipped. ANSI colours only when asked for; untrusted text never carries escape codes.
 */
import {
  METRIC_LABELS,
  VERDICT_WORDS,
  comparedRepeatsNote,
  finishReasonText,
  formatScoresApart,
  limitNotes,
  plural,
  passesDespiteItsP,
  powerGuidance,
  metricCells
} from '../compare/format.js'
import {
  failsOnlyInStrictMode,
  isRepeated,
  listedCaseSource,
  pooledDropLine,
  shownMetrics,
  strictFailures
} from '../compare/index.js'
import type { Comparison, GroupComparison, OutputSample, Verdict } from '../compare/types.js'
import { terminalLine } from './escape.js'
import { cachedAnswers, judgeSpendNote } from './markdown.js'

const FLIPS_SHOWN = 5
/** Added, removed, edited or unreached case ids listed per group; the JSON format has them all. */
const IDS_SHOWN = 10
const HEADERS = ['metric', 'base', 'head', 'Δ', '95% CI', 'p', 'verdict']
/**
 * A comparison's warning is evalgate's own text, which ends in what to do: shown whole, the
 * terminal wraps it. The bound is for the names it lists (every removed suite, say).
 */
export const WARNING_CHARACTERS = 2000

type Paint = (text: string) => string

function painter(on: boolean) {
  const ansi =
    (...codes: number[]): Paint =>
    (text) =>
      on ? `\u001b[${codes.join(';')}m${text}\u001b[0m` : text
  const verdictColor: Record<Verdict, Paint> = {
    regression: ansi(1, 31),
    fail: ansi(1, 31),
    error: ansi(1, 31),
    inconclusive: ansi(33),
    'not-comparable': ansi(35),
    improvement: ansi(32),
    'minor-change': ansi(36),
    pass: ansi(32),
    'not-gated': ansi(2)
  }
  return {
    bold: ansi(1),
    dim: ansi(2),
    verdict: (v: Verdict, text: string) => verdictColor[v](text)
  }
}

/** One flipped case's answer on one side, on one line, with why it failed or was unfinished. */
function sampleText(sample: OutputSample | null): string {
  if (!sample) return 'no answer'
  const why = [
    ...(sample.failures.length > 0 ? [terminalLine(sample.failures.join('; '), 80)] : []),
    ...(sample.finishReason ? [terminalLine(finishReasonText(sample.finishReason), 80)] : [])
  ]
  const reasons = why.length > 0 ? `  (${why.join('; ')})` : ''
  if (sample.text === null) return `no output${reasons}`
  return `${JSON.stringify(terminalLine(sample.text, 100))}${reasons}`
}

function groupLines(
  group: GroupComparison,
  paint: ReturnType<typeof painter>,
  alpha: number
): string[] {
  const title = `${terminalLine(group.suite, 60)} / ${terminalLine(group.providerLabel ?? group.providerId, 60)}`
  const counts = [plural(group.cases.paired, 'paired case')]
  if (group.cases.added > 0) counts.push(`${group.cases.added} added`)
  if (group.cases.removed > 0) counts.push(`${group.cases.removed} removed`)
  const edited = group.cases.edited ?? 0
  if (edited > 0) counts.push(`${edited} edited`)
  const unreached = group.cases.unreached ?? 0
  if (unreached > 0) counts.push(`${unreached} not reached`)
  const unreachedByBaseline = group.cases.unreachedByBaseline ?? 0
  if (unreachedByBaseline > 0) counts.push(`${unreachedByBaseline} not reached by the baseline`)
  const lines = [
    `${paint.bold(title)}  ${paint.verdict(group.verdict, VERDICT_WORDS[group.verdict])}  ${paint.dim(counts.join(' · '))}`
  ]
  if (group.reason) lines.push(`  ${paint.dim(terminalLine(group.reason, 160))}`)
  // With where each case is written: an id derived from the variables names no case a reader knows.
  const withSource = (id: string) => {
    const source = listedCaseSource(group, id)
    return source === undefined
      ? terminalLine(id, 40)
      : `${terminalLine(id, 40)} (${terminalLine(source, 80)})`
  }
  const ids = (list: readonly string[], total: number, where = false) =>
    list
      .slice(0, IDS_SHOWN)
      .map((id) => (where ? withSource(id) : terminalLine(id, 40)))
      .join(', ') + (total > IDS_SHOWN ? `, … (${total} in all)` : '')
  if (group.cases.added > 0)
    lines.push(`  added (not paired): ${ids(group.cases.addedIds, group.cases.added, true)}`)
  if (group.cases.removed > 0)
    lines.push(`  removed (not paired): ${ids(group.cases.removedIds, group.cases.removed, true)}`)
  if (edited > 0) {
    lines.push(
      `  edited (their variables changed, so not compared): ${ids(group.cases.editedIds ?? [], edited, true)}`
    )
  }
  if (unreached > 0) {
    lines.push(
      `  not reached (the head run was cancelled or stopped early): ${ids(group.cases.unreachedIds ?? [], unreached)}`
    )
  }
  if (unreachedByBaseline > 0) {
    lines.push(
      `  not reached by the baseline (it was cancelled or stopped early): ${ids(group.cases.unreachedByBaselineIds ?? [], unreachedByBaseline)}`
    )
  }
  const cached = cachedAnswers(group)
  if (cached) lines.push(`  ${cached}`)
  const judges = judgeSpendNote(group)
  if (judges) lines.push(`  ${judges}`)
  const errors = group.head?.errorKinds ?? []
  if (errors.length > 0) {
    const kinds = errors.map((e) => `${terminalLine(e.kind, 40)} ×${e.count}`).join(', ')
    const example = group.head?.errorExample
      ? `: ${terminalLine(group.head.errorExample, 160)}`
      : ''
    lines.push(`  head errors: ${kinds}${example}`)
  }
  if (group.modelChanged) {
    const models = (side: GroupComparison['base']) =>
      terminalLine([...(side?.models ?? []), ...(side?.fingerprints ?? [])].join(', '), 80)
    lines.push(`  model changed: ${models(group.base)} → ${models(group.head)}`)
  }
  if (group.configChanged) lines.push('  provider configuration changed in this run')
  const metrics = shownMetrics(group)
  if (metrics.length > 0) {
    const cells = [HEADERS, ...metrics.map(metricCells)]
    const widths = HEADERS.map((_, col) => Math.max(...cells.map((r) => (r[col] ?? '').length)))
    const format = (r: string[]) =>
      r
        .map((cell, col) =>
          col === 0 || col === r.length - 1
            ? cell.padEnd(widths[col] ?? 0)
            : cell.padStart(widths[col] ?? 0)
        )
        .join('  ')
        .trimEnd()
    lines.push(`  ${paint.dim(format(HEADERS))}`)
    metrics.forEach((metric, i) => {
      const text = format(cells[i + 1] ?? [])
      // Colour the verdict word only, so the numbers stay readable.
      const word = metric.verdict === 'not-gated' ? '–' : VERDICT_WORDS[metric.verdict]
      const at = text.lastIndexOf(word)
      lines.push(
        `  ${at < 0 ? text : text.slice(0, at) + paint.verdict(metric.verdict, word) + text.slice(at + word.length)}`
      )
    })
    const compared = comparedRepeatsNote(metrics)
    if (compared) lines.push(`  ${paint.dim(compared)}`)
    for (const note of limitNotes(metrics)) lines.push(`  ${paint.dim(note)}`)
  }
  for (const metric of group.metrics) {
    if (metric.verdict === 'pass' && !passesDespiteItsP(metric, alpha)) continue
    if (metric.verdict === 'not-gated' || metric.verdict === 'not-comparable') continue
    if (isRepeated(metric, group.metrics)) continue
    const guidance = powerGuidance(metric)
    lines.push(
      `  ${paint.verdict(metric.verdict, '•')} ${METRIC_LABELS[metric.metric]}: ${terminalLine(metric.reason, 500)}${guidance ? `; ${guidance}` : ''}`
    )
  }
  const { passToFail, failToPass, cases } = group.flips
  if (passToFail + failToPass > 0) {
    lines.push(`  flipped: ${passToFail} pass → fail, ${failToPass} fail → pass`)
    for (const flip of cases.slice(0, FLIPS_SHOWN)) {
      const arrow = flip.direction === 'pass-to-fail' ? 'pass → fail' : 'fail → pass'
      lines.push(
        `    ${terminalLine(flip.caseId, 40)}  ${arrow}  ${formatScoresApart(flip.baseScore, flip.headScore).join(' → ')}`,
        paint.dim(`      base: ${sampleText(flip.base)}`),
        paint.dim(`      head: ${sampleText(flip.head)}`)
      )
    }
    const more = passToFail + failToPass - Math.min(cases.length, FLIPS_SHOWN)
    // The Comparison keeps the largest changes only (MAX_FLIPPED_CASES), so may not list all.
    const where =
      cases.length === passToFail + failToPass
        ? '--format json for all'
        : `--format json lists the ${cases.length} largest changes; the results files have every answer`
    if (more > 0) lines.push(paint.dim(`    … and ${more} more (${where})`))
  }
  return lines
}

export function renderComparisonTerminal(c: Comparison, options: { color: boolean }): string {
  const paint = painter(options.color)
  const sha = (s: string | null) => (s === null ? 'unknown' : terminalLine(s.slice(0, 12), 12))
  // Strict mode fails an inconclusive verdict, and a suite not gated against its baseline, that
  // would pass otherwise: the headline says so, as the exit code does.
  const ungated = strictFailures(c)
  // A drop no suite shows alone says why the run fails; beside suites' own, it only adds.
  const pooled = pooledDropLine(c)
  const lines = [
    `${paint.bold('evalgate compare:')} ${paint.verdict(c.verdict, VERDICT_WORDS[c.verdict])}` +
      (failsOnlyInStrictMode(c) ? ` ${paint.verdict('fail', '· FAILS IN STRICT MODE')}` : ''),
    terminalLine(c.summary, 200),
    ...(pooled
      ? [
          pooled.alone
            ? paint.verdict('regression', `${pooled.text}.`)
            : paint.dim(`${pooled.text}.`)
        ]
      : []),
    ...ungated.map((failure) =>
      paint.verdict('fail', `fails in strict mode: ${terminalLine(failure, 300)}`)
    ),
    paint.dim(
      `baseline ${sha(c.base.commit)} · head ${sha(c.head.commit)} · α ${c.options.alpha} one-sided, Holm-adjusted${c.options.strict ? ' · strict' : ''}`
    )
  ]
  for (const warning of c.warnings)
    lines.push(
      paint.verdict('inconclusive', `warning: ${terminalLine(warning, WARNING_CHARACTERS)}`)
    )
  for (const group of c.groups) lines.push('', ...groupLines(group, paint, c.options.alpha))
  return lines.join('\n') + '\n'
}
