import { renderComparisonTerminal } from '../../src/report/comparison-terminal.js'
import { formatPoints, formatScoresApart } from '../../src/compare/format.js'
import { renderComparisonJson } from '../../src/report/comparison-json.js'
import { renderMarkdown } from '../../src/report/markdown.js'
import { compareRuns } from '../../src/compare/index.js'
import { errored, runPair, scored } from '../compare/build.js'
import { regression } from './comparison-fixtures.js'

const c = regression({
  cases: 50,
  flipped: 10,
  output: () => 'evil \u001b[2J\u001b]0;title\u0007 output'
})

describe('renderComparisonTerminal', () => {
  it('prints the verdict and an aligned table, plain without colour', () => {
    const text = renderComparisonTerminal(c, { color: false })
    expect(text).not.toContain('\u001b')
    expect(text.split('\n')[0]).toBe('evalgate compare: REGRESSION')
    const header = text.split('\n').find((l) => l.includes('95% CI')) ?? ''
    const score = text.split('\n').find((l) => l.trimStart().startsWith('mean score')) ?? ''
    // Right-aligned numeric columns end where their headers end.
    expect(score.indexOf('−20.0 pts') + '−20.0 pts'.length).toBe(header.indexOf('Δ') + 1)
    expect(text).toContain('flipped: 10 pass → fail, 0 fail → pass')
    // Both answers of a flipped case, and why the head's failed.
    expect(text).toContain('      base: "evil [2J]0;title output"\n')
    expect(text).toContain(
      '      head: "evil [2J]0;title output"  (equals: expected <b>billing</b> @team)\n'
    )
  })

  it('says why a flipped case’s answer was unfinished, as the Markdown report does', () => {
    const { base, head } = runPair(
      { cases: 10, answer: () => scored(1) },
      {
        cases: 10,
        answer: (i) =>
          i === 0
            ? scored(0, { output: 'Pa', finishReason: 'length' })
            : i === 1
              ? scored(0, { output: null, finishReason: 'content_filter' })
              : scored(1)
      }
    )
    const text = renderComparisonTerminal(compareRuns(base, head, { seed: 'f'.repeat(40) }), {
      color: false
    })
    expect(text).toContain('      head: "Pa"  (equals: mismatch; cut off at the token limit)\n')
    expect(text).toContain(
      '      head: no output  (equals: mismatch; stopped by a content filter)\n'
    )
    expect(text).toContain('      base: "output"\n')
  })

  it('shows the digits that tell a flip and a one-in-3,000 change from no change, as the Markdown report does', () => {
    // One case of 3,000 falls from 1 to 0.999 and fails: every number rounds to "no change".
    const { base, head } = runPair(
      { cases: 3000, answer: () => scored(1) },
      { cases: 3000, answer: (i) => (i === 0 ? scored(0.999, { pass: false }) : scored(1)) }
    )
    const comparison = compareRuns(base, head, { seed: 'f'.repeat(40) })
    const text = renderComparisonTerminal(comparison, { color: false })
    expect(text).toContain('    case-0  pass → fail  1.00 → 0.999\n')
    expect(text).toMatch(/\n {2}pass rate +100\.0% +99\.97% +−0\.03 pts /)
    const markdown = renderMarkdown(comparison)
    expect(markdown).toContain(
      '**case-0** (evals/cases.jsonl:1): pass → fail, score 1.00 → 0.999\n'
    )
    expect(markdown).toContain('| pass rate | 100.0% | 99.97% | −0.03 pts |')
    expect(markdown).toContain('| mean score | 100.0% | 99.99997% | −0.00003 pts |')
    // Scores equal to the arithmetic's last bit, and a difference of its rounding, stay short.
    expect(formatScoresApart(0.5, 0.5)).toEqual(['0.50', '0.50'])
    expect(formatScoresApart(0.1 + 0.2, 0.3)).toEqual(['0.30', '0.30'])
    expect(formatPoints(1e-17)).toBe('±0.0 pts')
  })

  it('lists added and removed cases and the head errors, as the Markdown report does', () => {
    const { base, head } = runPair(
      { cases: 12, answer: () => scored(1) },
      {
        cases: 12,
        firstCase: 2,
        answer: (i) => (i < 6 ? errored('provider:server', '503 upstream down') : scored(1))
      }
    )
    const text = renderComparisonTerminal(compareRuns(base, head, { seed: 'f'.repeat(40) }), {
      color: false
    })
    expect(text).toContain(
      '  added (not paired): case-12 (evals/cases.jsonl:13), case-13 (evals/cases.jsonl:14)\n'
    )
    expect(text).toContain(
      '  removed (not paired): case-0 (evals/cases.jsonl:1), case-1 (evals/cases.jsonl:2)\n'
    )
    expect(text).toContain('  head errors: provider:server ×4: 503 upstream down\n')
  })

  it('says that answers came from the cache, which have no latency, as the Markdown report does', () => {
    const { base, head } = runPair(
      { cases: 12, answer: () => scored(1) },
      { cases: 12, answer: () => scored(1, { cached: true, latencyMs: null }) }
    )
    const comparison = compareRuns(base, head, { seed: 'f'.repeat(40) })
    const note =
      '12 of 12 head answers came from the cache (no latency measured: latency compares the others)'
    expect(renderComparisonTerminal(comparison, { color: false })).toContain(`\n  ${note}\n`)
    expect(renderMarkdown(comparison)).toContain(note)
  })

  it('says in its headline that an inconclusive comparison fails in strict mode, and only then', () => {
    // Three cases can never be significant, nor shown non-inferior: inconclusive.
    const { base, head } = runPair(
      { cases: 3, answer: () => scored(1) },
      { cases: 3, answer: () => scored(1) }
    )
    const headline = (strict: boolean) =>
      renderComparisonTerminal(compareRuns(base, head, { seed: 'f'.repeat(40), strict }), {
        color: false
      }).split('\n')[0]
    expect(headline(true)).toBe('evalgate compare: INCONCLUSIVE · FAILS IN STRICT MODE')
    expect(headline(false)).toBe('evalgate compare: INCONCLUSIVE')
  })

  it('says how many flipped cases the JSON format lists, when it cannot list them all', () => {
    const text = renderComparisonTerminal(regression({ cases: 300, flipped: 250 }), {
      color: false
    })
    expect(text).toContain(
      '    … and 245 more (--format json lists the 100 largest changes; the results files have every answer)\n'
    )
    expect(renderComparisonTerminal(c, { color: false })).toContain(
      '    … and 5 more (--format json for all)\n'
    )
  })

  it('shows a long warning whole, down to its advice', () => {
    const { base, head } = runPair(
      { suite: 'ticket-triage-for-the-support-team', cases: 5, answer: () => scored(1) },
      { suite: 'refunds', cases: 5, answer: () => scored(1) }
    )
    // Of another spec file: a suite of another job's specs, not renamed.
    for (const suite of base.suites) suite.file = 'evals/tickets.eval.yaml'
    const [warning] = renderComparisonTerminal(compareRuns(base, head, { seed: 'a'.repeat(40) }), {
      color: false
    })
      .split('\n')
      .filter((line) => line.startsWith('warning: '))
    expect(warning?.length).toBeGreaterThan(300)
    expect(warning).toBe(
      'warning: the baseline was stored for other suites (ticket-triage-for-the-support-team / bot), by another job with other specs, it seems: this run shares no suite and provider with it, so nothing was compared. Give each job its own comment-key (an input of the action), so that each stores and compares its own baselines; if this run renamed them instead, the next baseline compares them'
    )
  })

  it('colours verdicts only when asked, and never passes escape codes through from outputs', () => {
    const text = renderComparisonTerminal(c, { color: true })
    expect(text).toContain('\u001b[1;31mREGRESSION\u001b[0m')
    expect(text).not.toContain('\u001b[2J')
    expect(text).not.toContain('\u001b]0;')
  })
})

describe('renderComparisonJson', () => {
  it('round-trips and is byte-stable', () => {
    const json = renderComparisonJson(c)
    expect(JSON.parse(json)).toEqual(c)
    expect(
      renderComparisonJson(
        regression({
          cases: 50,
          flipped: 10,
          output: () => 'evil \u001b[2J\u001b]0;title\u0007 output'
        })
      )
    ).toBe(json)
    expect(json.endsWith('}\n')).toBe(true)
  })
})
