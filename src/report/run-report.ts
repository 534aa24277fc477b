import { isMissingAnswer, resultsByProvider } from '../results/summary.js'
import type { ProviderSummary } from '../results/summary.js'
import {
  finishReasonText,
  firstAndCount,
  formatPercent,
  formatPercentsApart,
  formatUsd
} from '../compare/format.js'
import { htmlInline, markdownInline, terminalLine } from './escape.js'
import { closingOf } from './markdown-blocks.js'
import type { CaseResult, RunResult } from '../results/types.js'

const HEADERS = ['suite', 'provider', 'cases', 'pass rate', 'mean score', 'p50', 'p95', 'errors']
/** Failed and errored answers listed under the table, per suite × provider. */
const EXAMPLES_SHOWN = 5

function percent(x: number): string {
  return Number.isNaN(x) ? '–' : formatPercent(x)
}

/** "78.0% < 80.0%": a pass rate below its minimum never reads as equal to it. */
function belowMinimum(s: ProviderSummary): string {
  return formatPercentsApart(s.passRate, s.minPassRate).join(' < ')
}

function milliseconds(x: number): string {
  if (Number.isNaN(x)) return '–'
  return Math.round(x) >= 1000 ? `${(x / 1000).toFixed(2)}s` : `${Math.round(x)}ms`
}

function summaryRow(s: ProviderSummary): string[] {
  return [
    s.suite,
    s.providerId,
    String(s.cases),
    s.noAnswer ? 'no answer' : s.belowThreshold ? belowMinimum(s) : percent(s.passRate),
    Number.isNaN(s.meanScore) ? '–' : s.meanScore.toFixed(3),
    milliseconds(s.latencyP50),
    milliseconds(s.latencyP95),
    String(s.errors)
  ]
}

function whyFailed(result: CaseResult): string {
  if (result.error) return `error (${result.error.kind}): ${result.error.message}`
  const failed = result.scores.filter((s) => !s.pass)
  const reasons = failed.map((s) => `${s.scorer}${s.reason ? `: ${s.reason}` : ''}`).join('; ')
  return result.finishReason ? `${reasons} (${finishReasonText(result.finishReason)})` : reasons
}

/**
 * Which answers the model did not finish, per suite × provider, with what to do about a token
 * limit: their scores measure the limit, not the model. Plain text, undefined when all finished.
 */
function unfinishedNote(summaries: readonly ProviderSummary[]): string | undefined {
  const groups = summaries.flatMap((s) => {
    const counts = Object.entries(s.unfinished)
    if (counts.length === 0) return []
    const how = counts
      .sort(([, a], [, b]) => b - a)
      .map(([reason, n]) => `${n.toLocaleString('en-US')} ${finishReasonText(reason)}`)
      .join(', ')
    return [`${terminalLine(s.suite, 60)} / ${terminalLine(s.providerId, 60)}: ${how}`]
  })
  if (groups.length === 0) return undefined
  const cutOff = summaries.some((s) => (s.unfinished['length'] ?? 0) > 0)
  const advice = cutOff
    ? ": an answer cut off is scored as it stands, so raise max_tokens (or max_completion_tokens) in the provider's params"
    : ''
  return `Answers the model did not finish (${groups.join('; ')})${advice}.`
}

interface Problem {
  title: string
  lines: string[]
  more: number
}

/**
 * The failed and errored answers worth showing, grouped by suite × provider; for one that
 * obtained no answer at all, why the first was missing (its cache miss names the directory).
 */
function problems(run: RunResult, summaries: readonly ProviderSummary[]): Problem[] {
  const groups: Problem[] = []
  for (const suite of run.suites) {
    const byProvider = resultsByProvider(suite)
    for (const provider of suite.providers) {
      const results = byProvider.get(provider.id) ?? []
      const summary = summaries.find((s) => s.suite === suite.suite && s.providerId === provider.id)
      const firstMissing = results.find(isMissingAnswer)
      if (summary?.noAnswer && firstMissing) {
        groups.push({
          title: `${terminalLine(suite.suite, 60)} / ${terminalLine(provider.id, 60)}: no answer obtained (${summary.missing} missing), so the run fails`,
          lines: [terminalLine(whyFailed(firstMissing), 600)],
          more: 0
        })
        continue
      }
      const bad = results.filter((r) => r.pass !== true && !isMissingAnswer(r))
      if (bad.length === 0) continue
      // Plain one-line text from the results file (a shard's, maybe): each report escapes it.
      groups.push({
        title: `${terminalLine(suite.suite, 60)} / ${terminalLine(provider.id, 60)}: ${bad.length} failed or errored`,
        lines: bad
          .slice(0, EXAMPLES_SHOWN)
          .map(
            (r) =>
              `${terminalLine(r.caseId, 80)}${suite.repeats > 1 ? ` #${r.repeat}` : ''}: ${terminalLine(whyFailed(r), 160)}`
          ),
        more: Math.max(0, bad.length - EXAMPLES_SHOWN)
      })
    }
  }
  return groups
}

/** Why some answers are not in the report's rates, when some are not; plain text. */
function missingNote(summaries: readonly ProviderSummary[]): string | undefined {
  const grades = summaries.reduce((total, s) => total + s.missingGrades, 0)
  const answers = summaries.reduce((total, s) => total + s.missing, 0) - grades
  if (answers + grades === 0) return undefined
  const missing = [
    ...(answers > 0
      ? [
          `${answers} answer${answers === 1 ? ' was' : 's were'} never obtained (not in the replay cache, or cancelled)`
        ]
      : []),
    ...(grades > 0
      ? [
          `${grades} answer${grades === 1 ? ' was' : 's were'} obtained but not graded (an LLM judge's grade not in the replay cache)`
        ]
      : [])
  ]
  return `${missing.join(', and ')}, and left out of the rates: to replay a run, record its answers first with --cache write (the action's cache input) and restore that cache directory.`
}

/** "the judge of a / j1; one or more of the judges of b / j2, j3; and 2 more" */
function judgesNamed(judges: readonly string[]): string {
  return judges.length === 0 ? 'a judge' : firstAndCount(judges, 3, '; ')
}

/**
 * Why a judge's cost is unknown, with what to do: the results record that a grade had no price
 * and whether the judge reported the tokens it used, not which of a suite's judges lacked one, nor
 * why a price is missing (the model, the server or the service tier).
 */
function unknownJudgeCostReason(unpriced: readonly string[], uncounted: readonly string[]): string {
  const reasons: string[] = []
  if (unpriced.length > 0) {
    reasons.push(
      `no price for ${judgesNamed(unpriced)}: set prices: on the judge; the built-in prices hold only for the models they list, on OpenAI's own API at its standard tier, not for a judge with a base-url elsewhere`
    )
  }
  if (uncounted.length > 0) {
    reasons.push(
      `no token counts from ${judgesNamed(uncounted)}, so its prices: have nothing to price: an http judge reports them through usage: paths, a module judge by returning tokens`
    )
  }
  return reasons.join('; ')
}

/**
 * What the run's LLM judges spent, apart from the systems under test (whose cost is compared);
 * undefined when no judge answered. Plain text. It counts the answers judged, not grades: a judge
 * that gave no verdict was paid all the same.
 */
function judgeSpendNote(run: RunResult): string | undefined {
  let judged = 0
  let judgedFromCache = 0
  let cost: number | null = 0
  let tokens = 0
  const unpriced: string[] = []
  const uncounted: string[] = []
  for (const suite of run.suites) {
    let suiteUnpriced = false
    let suiteUncounted = false
    for (const result of suite.results) {
      if (result.judgeCost === undefined && result.judgeTokens === undefined) continue
      judged++
      if (result.judgeCached) judgedFromCache++
      const used = (result.judgeTokens?.input ?? 0) + (result.judgeTokens?.output ?? 0)
      if (result.judgeCost === null) {
        if (used === 0) suiteUncounted = true
        else suiteUnpriced = true
      }
      cost = result.judgeCost === null || cost === null ? null : cost + (result.judgeCost ?? 0)
      tokens += used
    }
    const judges = suite.scorers.filter((scorer) => scorer.type === 'llm-judge')
    // The results say that an answer's judging had no cost, not which of the suite's judges
    // lacked one.
    const names = judges.map((judge) => judge.name).join(', ')
    const named =
      judges.length === 1
        ? `the judge of ${suite.suite} / ${names}`
        : `one or more of the judges of ${suite.suite} / ${names}`
    if (judges.length > 0 && suiteUnpriced) unpriced.push(named)
    if (judges.length > 0 && suiteUncounted) uncounted.push(named)
  }
  if (judged === 0) return undefined
  const spent =
    cost === null
      ? `cost unknown (${unknownJudgeCostReason(unpriced, uncounted)})`
      : formatUsd(cost)
  // What a judge answered from the cache was paid for by the run that recorded it.
  const recorded =
    judgedFromCache === 0
      ? ''
      : `; the judges' answers on ${judgedFromCache.toLocaleString('en-US')} of them came from the cache, and their cost is the one recorded, not spent by this run`
  const answers = `${judged.toLocaleString('en-US')} answer${judged === 1 ? '' : 's'}`
  return `LLM judges: ${spent}, ${tokens.toLocaleString('en-US')} tokens judging ${answers} (apart from the cost of the systems under test)${recorded}`
}

/** How many answers the cache gave, which have no latency; plain text, undefined when none. */
function cachedNote(summaries: readonly ProviderSummary[]): string | undefined {
  const cached = summaries.reduce((total, s) => total + s.cachedAnswers, 0)
  if (cached === 0) return undefined
  const answers = summaries.reduce((total, s) => total + s.answers, 0)
  return `${cached.toLocaleString('en-US')} of ${answers.toLocaleString('en-US')} answers came from the cache (no latency measured: p50 and p95 are of the others)`
}

const ansi = (code: string, on: boolean) => (text: string) =>
  on ? `\u001b[${code}m${text}\u001b[0m` : text

/** The run report for a terminal: one table, then a few failures of each suite × provider. */
export function renderRunTerminal(
  run: RunResult,
  summaries: readonly ProviderSummary[],
  options: { color: boolean }
): string {
  const red = ansi('31', options.color)
  const bold = ansi('1', options.color)
  const dim = ansi('2', options.color)
  const rows = [
    HEADERS,
    ...summaries.map((s) => summaryRow(s).map((cell) => terminalLine(cell, 60)))
  ]
  const widths = HEADERS.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)))
  const format = (row: string[]) =>
    row
      .map((cell, col) =>
        col < 2 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0)
      )
      .join('  ')
  const lines = [bold(format(HEADERS))]
  summaries.forEach((s, i) => {
    const line = format(rows[i + 1] ?? [])
    lines.push(s.belowThreshold || s.errors > 0 ? red(line) : line)
  })
  for (const group of problems(run, summaries)) {
    lines.push('', bold(group.title))
    lines.push(...group.lines.map((l) => `  ${l}`))
    if (group.more > 0) lines.push(dim(`  … and ${group.more} more in the results file`))
  }
  const cached = cachedNote(summaries)
  if (cached) lines.push('', dim(cached))
  const judges = judgeSpendNote(run)
  if (judges) lines.push('', dim(judges))
  const unfinished = unfinishedNote(summaries)
  if (unfinished) lines.push('', unfinished)
  const missing = missingNote(summaries)
  if (missing) lines.push('', red(missing))
  if (!run.run.complete)
    lines.push(
      '',
      red(`incomplete run: ${terminalLine(run.run.incompleteReason ?? 'stopped early', 300)}`)
    )
  return lines.join('\n') + '\n'
}

/** The most suites the min-pass-rate alert names, so it cannot crowd the report out of a comment. */
const ALERT_ITEMS = 10

/**
 * The suites below their `min-pass-rate`, as an alert for the top of a report: the check fails
 * for them whatever the comparison says. Undefined when every suite met its minimum.
 */
export function thresholdAlert(summaries: readonly ProviderSummary[]): string | undefined {
  const below = summaries.filter((s) => s.belowThreshold)
  if (below.length === 0) return undefined
  const items = below.slice(0, ALERT_ITEMS).map((s) => {
    if (s.noAnswer) {
      return `${markdownInline(s.suite, 100)} / ${markdownInline(s.providerId, 100)} obtained no answer (all ${s.missing} missing from the replay cache, or cancelled)`
    }
    const [passed, minimum] = formatPercentsApart(s.passRate, s.minPassRate)
    return `${markdownInline(s.suite, 100)} / ${markdownInline(s.providerId, 100)} passed ${passed} (min-pass-rate ${minimum})`
  })
  if (below.length > ALERT_ITEMS) items.push(`and ${below.length - ALERT_ITEMS} more`)
  const what = below.some((s) => s.noAnswer)
    ? 'Below min-pass-rate or without any answer'
    : 'Below min-pass-rate'
  return `> [!CAUTION]\n> **${what}, so this check fails:** ${items.join('; ')}.\n`
}

/** The run report as Markdown, for the job summary of an action run without a baseline. */
export function renderRunMarkdown(run: RunResult, summaries: readonly ProviderSummary[]): string {
  const lines = [
    `| ${HEADERS.join(' | ')} |`,
    `|${HEADERS.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...summaries.map(
      (s) =>
        `| ${summaryRow(s)
          .map((cell) => markdownInline(cell))
          .join(' | ')} |`
    )
  ]
  for (const group of problems(run, summaries)) {
    lines.push('', `<details><summary>${htmlInline(group.title)}</summary>`, '')
    lines.push(...group.lines.map((l) => `- ${markdownInline(l, 500)}`))
    if (group.more > 0) lines.push(`- … and ${group.more} more in the results file`)
    lines.push('', '</details>')
  }
  const cached = cachedNote(summaries)
  if (cached) lines.push('', markdownInline(cached, 500))
  const judges = judgeSpendNote(run)
  if (judges) lines.push('', markdownInline(judges, 500))
  const unfinished = unfinishedNote(summaries)
  if (unfinished) lines.push('', `> [!WARNING]\n> ${markdownInline(unfinished, 1000)}`)
  const missing = missingNote(summaries)
  if (missing) lines.push('', `> [!WARNING]\n> ${markdownInline(missing, 500)}`)
  if (!run.run.complete)
    lines.push(
      '',
      `**Incomplete run:** ${markdownInline(run.run.incompleteReason ?? 'stopped early')}`
    )
  return lines.join('\n') + '\n'
}

/**
 * `markdown` in at most `maxBytes` of UTF-8, cut at a line end with `note` saying so: what GitHub
 * refuses whole (a job summary over 1 MiB) is shown in part. The code fence and `<details>` left
 * open by the cut are closed first, so the note shows.
 */
export function cutMarkdown(markdown: string, maxBytes: number, note: string): string {
  if (Buffer.byteLength(markdown) <= maxBytes) return markdown
  const bytes = Buffer.from(markdown)
  const ending = `\n\n… cut: ${note}.\n`
  let room = maxBytes - Buffer.byteLength(ending)
  for (;;) {
    const decoded = bytes.subarray(0, Math.max(0, room)).toString('utf8')
    // Cut at the last whole line: a character cut in two would decode as U+FFFD.
    const kept = decoded.slice(0, Math.max(0, decoded.lastIndexOf('\n')))
    const closing = closingOf(kept)
    const over = Buffer.byteLength(kept + closing + ending) - maxBytes
    if (over <= 0 || kept.length === 0) return kept + closing + ending
    room = Buffer.byteLength(kept) - over
  }
}
