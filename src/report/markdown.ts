/**
 * The PR comment (and job summary) for a Comparison: verdict first, then one table per suite ×
 * provider, guidance for inconclusive results, and the flipped cases with both outputs. Everything
 * from a RunResult is untrusted (see escape.ts). The body stays under GitHub's 65,536-character
 * limit: flipped-case details go first, then whole tables, each cut said in the comment.
 */
import {
  METRIC_LABELS,
  VERDICT_WORDS,
  comparedRepeatsNote,
  limitNotes,
  finishReasonText,
  formatScoresApart,
  judgeSpendCaveats,
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
import { MAX_FLIPPED_CASES } from '../compare/flips.js'
import { VERDICT_SEVERITY } from '../compare/types.js'
import type {
  Comparison,
  FlippedCase,
  GroupComparison,
  MetricComparison,
  OutputSample,
  RunInfo
} from '../compare/types.js'
import { codeBlock, htmlInline, markdownInline, sliceWhole } from './escape.js'

export interface MarkdownOptions {
  /** Link to the workflow run (or anywhere the full report lives). */
  runUrl?: string
  /** Default 65,536, GitHub's limit for a comment body; in the units of `size`. */
  maxLength?: number
  /** How long a text is: its characters by default (a comment); a job summary counts bytes. */
  size?: (text: string) => number
  title?: string
  /** Where the notes of what was cut send the reader; the CLI's by default. */
  cutsReadIn?: CutsReadIn
}

/** Where what a body leaves out can be read, each in Markdown. */
export interface CutsReadIn {
  /** A report with more room than this body (a comment's job summary); none by default. */
  fuller?: string
  /** The whole comparison, which keeps the largest flipped cases of each suite × provider. */
  comparison: string
  /** Every answer of the run. */
  results: string
}

const CLI_CUTS_READ_IN: CutsReadIn = {
  comparison: '`--format json`',
  results: 'the results files'
}

const GITHUB_COMMENT_LIMIT = 65536
/** Characters of one output shown in the comment; the JSON report keeps more. */
const OUTPUT_CHARS_SHOWN = 1500
/** Room kept for the notes that say what was cut. */
const CUT_NOTE_RESERVE = 400
/** Warnings listed in the comment, so they cannot crowd the verdict's evidence out of it. */
const WARNINGS_SHOWN = 10

function shortSha(sha: string | null): string {
  return sha === null ? 'unknown commit' : markdownInline(sha.slice(0, 12), 12)
}

function daysBetween(earlier: string, later: string): number | null {
  const ms = Date.parse(later) - Date.parse(earlier)
  return Number.isFinite(ms) ? ms / 86_400_000 : null
}

function baselineLine(base: RunInfo, head: RunInfo): string {
  const ref =
    base.ref === null ? '' : ` on ${markdownInline(base.ref.replace(/^refs\/heads\//, ''), 80)}`
  const days = daysBetween(base.startedAt, head.startedAt)
  const when = days !== null && days < 0 ? 'after' : 'before'
  const apart = days === null ? null : Math.abs(days)
  const age =
    apart === null
      ? ''
      : apart < 1 / 24
        ? `, run just ${when} the head`
        : apart < 2
          ? `, run ${Math.round(apart * 24)} h ${when} the head`
          : `, run ${Math.round(apart)} days ${when} the head`
  return `Baseline **${shortSha(base.commit)}**${ref}${age} · head **${shortSha(head.commit)}**`
}

function metricRow(metric: MetricComparison): string {
  const cells = metricCells(metric)
  // The verdict word in bold; '–' (not gated) stays plain.
  if (metric.verdict !== 'not-gated') cells[cells.length - 1] = `**${cells.at(-1) ?? ''}**`
  return `| ${cells.join(' | ')} |`
}

function caseCounts(group: GroupComparison): string {
  const parts = [plural(group.cases.paired, 'paired case')]
  if (group.cases.added > 0) parts.push(`${group.cases.added} added`)
  if (group.cases.removed > 0) parts.push(`${group.cases.removed} removed`)
  if ((group.cases.edited ?? 0) > 0) parts.push(`${group.cases.edited} edited`)
  if ((group.cases.unreached ?? 0) > 0) parts.push(`${group.cases.unreached} not reached`)
  if ((group.cases.unreachedByBaseline ?? 0) > 0) {
    parts.push(`${group.cases.unreachedByBaseline} not reached by the baseline`)
  }
  const { base, head } = group.repeats
  if (head !== null) {
    parts.push(
      base !== null && base !== head ? `repeats ${base} → ${head}` : plural(head, 'repeat')
    )
  }
  const models = group.head?.models ?? []
  if (models.length > 0) parts.push(`model ${models.map((m) => markdownInline(m, 60)).join(', ')}`)
  return parts.join(' · ')
}

/** "3 of 10 head answers came from the cache (no latency measured)", or undefined; plain text. */
export function cachedAnswers(group: GroupComparison): string | undefined {
  const sides = (['base', 'head'] as const).flatMap((name) => {
    const side = group[name]
    return side?.cached ? [`${side.cached} of ${side.answers} ${name}`] : []
  })
  if (sides.length === 0) return undefined
  return `${sides.join(' and ')} answers came from the cache (no latency measured: latency compares the others)`
}

/**
 * What the table's LLM judge cost cannot say (an unknown cost, judges answered from the cache),
 * or undefined; plain text.
 */
export function judgeSpendNote(group: GroupComparison): string | undefined {
  const caveats = judgeSpendCaveats(group.base?.judges, group.head?.judges)
  if (caveats.length === 0) return undefined
  return `LLM judges (reported only, never gated): ${caveats.join('; ')}`
}

function groupNotes(group: GroupComparison): string[] {
  const notes: string[] = []
  if (group.reason) notes.push(`*${markdownInline(group.reason, 300)}*`)
  if (group.modelChanged) {
    const before = [...(group.base?.models ?? []), ...(group.base?.fingerprints ?? [])]
    const after = [...(group.head?.models ?? []), ...(group.head?.fingerprints ?? [])]
    notes.push(
      `**Model changed**: ${markdownInline(before.join(', '), 120)} → ${markdownInline(after.join(', '), 120)}`
    )
  }
  if (group.configChanged) notes.push('Provider configuration changed in this run.')
  // With where each case is written: an id derived from the variables names no case a reader knows.
  const withSource = (id: string) => {
    const source = listedCaseSource(group, id)
    return source === undefined
      ? markdownInline(id, 60)
      : `${markdownInline(id, 60)} (${markdownInline(source, 120)})`
  }
  const list = (ids: string[], total: number, where = false) =>
    ids
      .slice(0, 10)
      .map((id) => (where ? withSource(id) : markdownInline(id, 60)))
      .join(', ') + (total > 10 ? `, … (${total} in all)` : '')
  const { added, removed, edited = 0, unreached = 0, unreachedByBaseline = 0 } = group.cases
  if (added > 0) notes.push(`Added (not paired): ${list(group.cases.addedIds, added, true)}`)
  if (removed > 0) {
    notes.push(`Removed (not paired): ${list(group.cases.removedIds, removed, true)}`)
  }
  if (edited > 0) {
    notes.push(
      `Edited (their variables changed, so not compared): ${list(group.cases.editedIds ?? [], edited, true)}`
    )
  }
  if (unreached > 0) {
    notes.push(
      `Not reached (the head run was cancelled or stopped early): ${list(group.cases.unreachedIds ?? [], unreached)}`
    )
  }
  if (unreachedByBaseline > 0) {
    notes.push(
      `Not reached by the baseline (it was cancelled or stopped early): ${list(group.cases.unreachedByBaselineIds ?? [], unreachedByBaseline)}`
    )
  }
  const cached = cachedAnswers(group)
  if (cached) notes.push(cached)
  const judges = judgeSpendNote(group)
  if (judges) notes.push(judges)
  const errors = group.head?.errorKinds ?? []
  if (errors.length > 0 && group.head) {
    const kinds = errors.map((e) => `${markdownInline(e.kind, 40)} ×${e.count}`).join(', ')
    const example = group.head.errorExample
      ? `: ${markdownInline(group.head.errorExample, 200)}`
      : ''
    notes.push(`Head errors: ${kinds}${example}`)
  }
  return notes
}

function findings(group: GroupComparison, alpha: number): string[] {
  const lines: string[] = []
  for (const metric of group.metrics) {
    if (metric.verdict === 'pass' && !passesDespiteItsP(metric, alpha)) continue
    if (metric.verdict === 'not-gated') continue
    if (metric.verdict === 'not-comparable' && metric.metric !== 'score') continue
    if (isRepeated(metric, group.metrics)) continue
    // The guidance is built from numbers only: no untrusted text, nothing to escape.
    const guidance = powerGuidance(metric)
    lines.push(
      `- **${METRIC_LABELS[metric.metric]}** ${VERDICT_WORDS[metric.verdict]}: ${markdownInline(metric.reason, 400)}` +
        (guidance ? `. **Inconclusive: ${guidance}.**` : '')
    )
  }
  return lines
}

/** `inline` is markdownInline in Markdown, htmlInline inside raw HTML. */
function groupTitle(group: GroupComparison, inline = markdownInline): string {
  const provider = group.providerLabel ?? group.providerId
  return `${inline(group.suite, 100)} / ${inline(provider, 100)}`
}

function groupSection(group: GroupComparison, alpha: number): string {
  const lines = [`### ${groupTitle(group)}: ${VERDICT_WORDS[group.verdict]}`, '', caseCounts(group)]
  const notes = groupNotes(group)
  if (notes.length > 0) lines.push('', ...notes.map((n) => `- ${n}`))
  const rows = shownMetrics(group)
  if (rows.length > 0) {
    lines.push(
      '',
      '| metric | base | head | Δ | 95% CI | p | verdict |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
      ...rows.map(metricRow)
    )
    const compared = comparedRepeatsNote(rows)
    if (compared) lines.push('', `*${compared}*`)
    for (const note of limitNotes(rows)) lines.push('', `*${note}*`)
  }
  const found = findings(group, alpha)
  if (found.length > 0) lines.push('', ...found)
  return lines.join('\n')
}

function outputBlock(label: string, sample: OutputSample | null): string {
  if (!sample) return `${label}: no answer`
  const failures =
    sample.failures.length > 0
      ? `; ${sample.failures.map((f) => markdownInline(f, 200)).join('; ')}`
      : ''
  const unfinished = sample.finishReason
    ? `; ${markdownInline(finishReasonText(sample.finishReason), 200)}`
    : ''
  const header = `${label} (repeat ${sample.repeat}, ${sample.pass ? 'passed' : 'failed'}${failures}${unfinished}):`
  if (sample.text === null) return `${header} no output`
  const shown =
    sample.text.length > OUTPUT_CHARS_SHOWN
      ? sliceWhole(sample.text, OUTPUT_CHARS_SHOWN)
      : sample.text
  const cut = sample.text.length - shown.length + sample.truncated
  return [
    header,
    '',
    codeBlock(shown),
    ...(cut > 0 ? ['', `*… ${cut.toLocaleString('en-US')} more characters*`] : [])
  ].join('\n')
}

function flipEntry(flip: FlippedCase): string {
  const arrow = flip.direction === 'pass-to-fail' ? 'pass → fail' : 'fail → pass'
  const source = flip.source ? ` (${markdownInline(flip.source, 120)})` : ''
  return [
    `**${markdownInline(flip.caseId, 120)}**${source}: ${arrow}, score ${formatScoresApart(flip.baseScore, flip.headScore).join(' → ')}`,
    '',
    outputBlock('Base', flip.base),
    '',
    outputBlock('Head', flip.head)
  ].join('\n')
}

function flipsOpen(group: GroupComparison): string {
  const { passToFail, failToPass } = group.flips
  return `<details><summary>Flipped cases of ${groupTitle(group, htmlInline)}: ${passToFail} pass → fail, ${failToPass} fail → pass</summary>\n\n`
}

const FLIPS_CLOSE = '\n\n</details>'
const FLIP_SEPARATOR = '\n\n---\n\n'

function fullReport(runUrl: string): string {
  return `[the full report](${encodeURI(runUrl)})`
}

/** `see …`: where the whole of what was cut from the comparison's tables or warnings is. */
function seeWhole(where: CutsReadIn): string {
  return `see ${where.fuller ? `${where.fuller} or ` : ''}${where.comparison}`
}

/**
 * Where the flipped cases a body left out are: the comparison keeps only the largest changes of
 * each suite × provider (MAX_FLIPPED_CASES), the results every answer.
 */
function flipsElsewhere(c: Comparison, where: CutsReadIn): string {
  const allKept = c.groups.every(
    ({ flips }) => flips.cases.length === flips.passToFail + flips.failToPass
  )
  const kept = allKept
    ? `${where.comparison} lists them all`
    : `${where.comparison} lists the ${MAX_FLIPPED_CASES} largest changes of each suite × provider and ${where.results} every answer`
  return where.fuller ? `${where.fuller} shows more, ${kept}` : kept
}

/** The PR comment body; never longer than `maxLength`. */
export function renderMarkdown(c: Comparison, options: MarkdownOptions = {}): string {
  const maxLength = options.maxLength ?? GITHUB_COMMENT_LIMIT
  const size = options.size ?? ((text: string) => text.length)
  const where = options.cutsReadIn ?? CLI_CUTS_READ_IN
  const title = markdownInline(options.title ?? 'evalgate', 100)
  const header: string[] = [
    `## ${title}: ${VERDICT_WORDS[c.verdict]}${failsOnlyInStrictMode(c) ? ' · FAILS IN STRICT MODE' : ''}`,
    '',
    markdownInline(c.summary, 500),
    '',
    baselineLine(c.base, c.head) + (options.runUrl ? ` · ${fullReport(options.runUrl)}` : '')
  ]
  // Numbers only, nothing to escape: in bold when it alone says why the run fails.
  const pooled = pooledDropLine(c)
  if (pooled) header.push('', pooled.alone ? `**${pooled.text}.**` : `*${pooled.text}.*`)
  if (c.options.strict) header.push('', 'Strict mode: an inconclusive result fails the check.')
  const ungated = strictFailures(c)
  if (ungated.length > 0) {
    const more =
      ungated.length > WARNINGS_SHOWN ? `; and ${ungated.length - WARNINGS_SHOWN} more` : ''
    header.push(
      '',
      `**Fails in strict mode:** ${markdownInline(ungated.slice(0, WARNINGS_SHOWN).join('; '), 2_000)}${more}.`
    )
  }
  if (c.warnings.length > 0) {
    const shown = c.warnings.slice(0, WARNINGS_SHOWN)
    header.push('', ...shown.map((w) => `> **Warning:** ${markdownInline(w, 500)}`))
    if (c.warnings.length > shown.length) {
      header.push(
        `> … and ${plural(c.warnings.length - shown.length, 'more warning')}; ${seeWhole(where)}.`
      )
    }
  }
  const footer = [
    '',
    '---',
    `<sub>p: one-sided, Holm-adjusted at α = ${c.options.alpha} over the run's gated quality tests and, apart, its operational ones; 95% CI of the paired change; seed ${markdownInline(c.options.seed.slice(0, 12), 12)}; evalgate ${markdownInline(c.tool.version, 20)}</sub>`
  ].join('\n')

  const headText = header.join('\n')
  const sections = c.groups.map((group) => groupSection(group, c.options.alpha))
  const cutNoteReserve =
    CUT_NOTE_RESERVE +
    2 * size(where.fuller ?? '') +
    2 * size(where.comparison) +
    size(where.results)
  let budget = maxLength - size(headText) - size(footer) - cutNoteReserve
  // Tables while they fit, the most severe verdicts first, so a cut never hides a failing group
  // behind passing ones; they are shown in the comparison's order, each cut said in the comment.
  const bySeverity = c.groups
    .map((group, g) => ({ g, rank: VERDICT_SEVERITY.indexOf(group.verdict) }))
    .sort((a, b) => a.rank - b.rank)
    .map(({ g }) => g)
  const shownGroups = c.groups.map(() => false)
  for (const g of bySeverity) {
    const section = sections[g] as string
    if (size(section) + 2 > budget) continue
    budget -= size(section) + 2
    shownGroups[g] = true
  }
  // Then flipped cases, largest score change first within each group, while they fit.
  const shownFlips: string[][] = c.groups.map(() => [])
  let stopped = false
  for (const g of bySeverity) {
    if (stopped) break
    if (!shownGroups[g]) continue
    const group = c.groups[g] as GroupComparison
    const shown = shownFlips[g] as string[]
    const wrapper = size(flipsOpen(group)) + size(FLIPS_CLOSE) + 2
    for (const flip of group.flips.cases) {
      const entry = flipEntry(flip)
      const cost = size(entry) + size(FLIP_SEPARATOR) + (shown.length === 0 ? wrapper : 0)
      if (cost > budget) {
        stopped = true
        break
      }
      budget -= cost
      shown.push(entry)
    }
  }
  const text = assemble(c, {
    headText,
    footer,
    sections,
    shownGroups,
    shownFlips,
    where
  })
  if (size(text) <= maxLength) return text
  // Only a maxLength smaller than the essentials gets here. Without flipped cases there is no
  // code block, so a cut at a line boundary cannot leave a fence open.
  const essentials = assemble(c, {
    headText,
    footer,
    sections,
    shownGroups,
    shownFlips: c.groups.map(() => []),
    where
  })
  if (size(essentials) <= maxLength) return essentials
  // The header alone is too long: it is cut at a line end, and the note of what was omitted and
  // the footer stay.
  const withHeader = (head: string) =>
    assemble(c, {
      headText: head,
      footer,
      sections,
      shownGroups: c.groups.map(() => false),
      shownFlips: c.groups.map(() => []),
      where
    })
  const cutMark = '\n…'
  const room = maxLength - (size(withHeader('')) + size(cutMark))
  const kept = fitted(headText, room, size)
  const lastLine = kept.lastIndexOf('\n')
  if (lastLine > 0) return withHeader(kept.slice(0, lastLine) + cutMark)
  // Not even the title fits with the notes: the most that does.
  const cut = fitted(essentials, maxLength - size('\n…'), size)
  const cutLine = cut.lastIndexOf('\n')
  return fitted(`${cutLine > 0 ? cut.slice(0, cutLine) : cut}\n…`, maxLength, size)
}

/** The longest start of `text` whose size is at most `room`. */
function fitted(text: string, room: number, size: (text: string) => number): string {
  let kept = text.slice(0, Math.max(0, room))
  // A character may count more than one unit (bytes): shortened until it fits.
  while (kept.length > 0 && size(kept) > room) kept = kept.slice(0, Math.floor(kept.length * 0.9))
  return kept
}

function assemble(
  c: Comparison,
  parts: {
    headText: string
    footer: string
    sections: string[]
    shownGroups: boolean[]
    shownFlips: string[][]
    where: CutsReadIn
  }
): string {
  const body: string[] = [parts.headText]
  let flipsShown = 0
  let flipsTotal = 0
  const omitted = new Map<GroupComparison['verdict'], number>()
  c.groups.forEach((group, g) => {
    flipsTotal += group.flips.passToFail + group.flips.failToPass
    if (!parts.shownGroups[g]) {
      omitted.set(group.verdict, (omitted.get(group.verdict) ?? 0) + 1)
      return
    }
    body.push(parts.sections[g] as string)
    const entries = parts.shownFlips[g] ?? []
    flipsShown += entries.length
    if (entries.length > 0) body.push(flipsOpen(group) + entries.join(FLIP_SEPARATOR) + FLIPS_CLOSE)
  })
  const cuts: string[] = []
  if (omitted.size > 0) {
    const count = [...omitted.values()].reduce((sum, n) => sum + n, 0)
    const verdicts = VERDICT_SEVERITY.filter((v) => omitted.has(v))
      .map((v) => `${omitted.get(v)} ${VERDICT_WORDS[v]}`)
      .join(', ')
    cuts.push(
      `… ${plural(count, 'suite × provider result')} omitted (${verdicts}); ${seeWhole(parts.where)}.`
    )
  }
  if (flipsTotal > flipsShown) {
    cuts.push(
      `… ${plural(flipsTotal - flipsShown, 'flipped case')} omitted; ${flipsElsewhere(c, parts.where)}.`
    )
  }
  if (cuts.length > 0) body.push(cuts.join('\n'))
  return `${body.join('\n\n')}\n${parts.footer}\n`
}
