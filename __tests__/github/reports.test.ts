/**
 * The action's report texts: the job summary's room, the step's failure message, the note of a
 * push whose results could not be stored and the report of a run that did not finish.
 */
import { compareRuns } from '../../src/compare/index.js'
import type { Comparison } from '../../src/compare/index.js'
import {
  SUMMARY_BUDGET,
  comparisonMarkdown,
  incompleteMarkdown,
  regressionFailure
} from '../../src/github/reports.js'
import { summarizeRun, thresholdFailures } from '../../src/results/summary.js'
import type { ProviderSummary } from '../../src/results/summary.js'
import { runPair, scored } from '../compare/build.js'
import { regression } from '../report/comparison-fixtures.js'
import { runResult } from '../helpers/run-result.js'

const RUN_URL = 'https://github.com/octo-org/triage/actions/runs/1001'

/** The groups of several suites' regressions, each keeping its 100 largest flipped cases. */
function regressions(suites: number, output: () => string): Comparison {
  const each = Array.from({ length: suites }, (_, s) =>
    regression({ cases: 300, flipped: 200, output, suite: `suite-${s}` })
  )
  return { ...(each[0] as Comparison), groups: each.flatMap((c) => c.groups) }
}

describe('the job summary of a comparison', () => {
  it('fills GitHub’s 1 MiB in bytes, not half of it in characters', () => {
    // Two suites' 200 flipped cases with long answers: about 640 kB, more than 2^19 characters.
    const summary = comparisonMarkdown(
      regressions(2, () => 'x'.repeat(5000)),
      undefined,
      {
        summary: true
      }
    )
    expect(Buffer.byteLength(summary)).toBeGreaterThan(2 ** 19)
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(SUMMARY_BUDGET)
    expect(summary.match(/: pass → fail, score/g)).toHaveLength(200)
  })

  it('stays under 1 MiB in bytes when its characters take two', () => {
    const summary = comparisonMarkdown(
      regressions(4, () => 'é'.repeat(5000)),
      RUN_URL,
      {
        summary: true,
        above: '> a note above\n'
      }
    )
    expect(Buffer.byteLength(summary) + Buffer.byteLength('> a note above\n')).toBeLessThanOrEqual(
      SUMMARY_BUDGET
    )
    expect(summary).toMatch(/… \d+ flipped cases omitted/)
  })

  it('sends the reader of what it cut to the files that have it, never to itself', () => {
    const summary = comparisonMarkdown(
      regressions(8, () => 'x'.repeat(5000)),
      undefined,
      {
        summary: true
      }
    )
    expect(summary).toMatch(
      /… \d+ flipped cases omitted; the comparison file \(output `comparison-path`\) lists the 100 largest changes of each suite × provider and the results file \(output `results-path`\) every answer\.\n/
    )
    expect(summary).not.toContain('](')
  })

  it('is where the comment sends the reader of what it cut, with the files', () => {
    const comment = comparisonMarkdown(
      regressions(2, () => 'x'.repeat(5000)),
      RUN_URL
    )
    expect(comment).toMatch(
      /… \d+ flipped cases omitted; the job summary of \[the run\]\(https:\/\/github\.com\/octo-org\/triage\/actions\/runs\/1001\) shows more, the comparison file \(output `comparison-path`\) lists the 100 largest changes of each suite × provider and the results file \(output `results-path`\) every answer\.\n/
    )
  })
})

describe('the step’s failure message', () => {
  it('names ten suites × providers strict mode fails, and counts the rest', () => {
    // 30 providers whose scorers changed: none can be gated against its baseline.
    const providers = Array.from({ length: 30 }, (_, i) => `bot-${i}`)
    const { base, head } = runPair(
      { providers, cases: 10, answer: () => scored(1) },
      { providers, cases: 10, scorersFingerprint: 'other', answer: () => scored(1) }
    )
    const message = regressionFailure(compareRuns(base, head, { seed: 's', strict: true }))
    expect(message.match(/could not be gated/g)).toHaveLength(10)
    expect(message).toMatch(/\(its scorers changed\); and 20 more\.$/)
  })

  it('names ten suites × providers below min-pass-rate, and counts the rest', () => {
    const below = Array.from(
      { length: 900 },
      (_, i) => ({ suite: 'triage', providerId: `bot-${i}`, noAnswer: false }) as ProviderSummary
    )
    expect(thresholdFailures(below)).toBe(
      `pass rate below min-pass-rate in ${below
        .slice(0, 10)
        .map((s) => `triage/${s.providerId}`)
        .join(', ')} and 890 more`
    )
  })
})

describe('the report of a run that did not finish', () => {
  const what = 'nothing was compared, stored or commented, and this check fails.'

  it('shows the answers it received', () => {
    const run = runResult('a'.repeat(40))
    run.run.complete = false
    run.run.incompleteReason = 'cancelled (SIGINT) after 1 of 3 answers'
    const report = incompleteMarkdown(what, run, summarizeRun(run))
    expect(report).toContain(
      `(cancelled (SIGINT) after 1 of 3 answers): ${what} The partial results follow.`
    )
    expect(report).toContain('| triage | p |')
  })

  it('says it received no answer, with no table, when cancelled while its specs loaded', () => {
    const run = { ...runResult('a'.repeat(40)), suites: [] }
    run.run.complete = false
    run.run.incompleteReason = 'cancelled (SIGTERM) while loading the specs, before any answer'
    expect(incompleteMarkdown(what, run, summarizeRun(run))).toBe(
      `### evalgate: incomplete run\n\nThe run did not finish (cancelled (SIGTERM) while loading the specs, before any answer): ${what} No answer was received.\n`
    )
  })
})
