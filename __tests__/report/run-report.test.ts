import {
  cutMarkdown,
  renderRunMarkdown,
  renderRunTerminal,
  thresholdAlert
} from '../../src/report/run-report.js'
import { summarizeRun } from '../../src/results/summary.js'
import { renderGfm } from '../helpers/gfm.js'
import type { CaseResult, RunResult } from '../../src/results/types.js'

function answer(
  caseId: string,
  repeat: number,
  pass: boolean | null,
  latencyMs: number | null,
  extra: Partial<CaseResult> = {}
): CaseResult {
  return {
    caseId,
    providerId: 'bot',
    repeat,
    output: pass === null ? null : 'out',
    score: pass === null ? null : pass ? 1 : 0.25,
    pass,
    scores:
      pass === null
        ? []
        : [
            {
              scorer: 'equals',
              score: pass ? 1 : 0,
              pass,
              ...(pass ? {} : { reason: 'expected "billing", got "bug"' })
            }
          ],
    latencyMs,
    attempts: 1,
    cached: false,
    ...extra
  }
}

const run: RunResult = {
  schemaVersion: 1,
  tool: { name: 'evalgate', version: 'test' },
  run: {
    id: 'r',
    startedAt: '2026-11-28T00:00:00Z',
    finishedAt: '2026-11-28T00:00:01Z',
    complete: false,
    incompleteReason: 'cancelled (SIGINT) after 7 of 9 answers'
  },
  suites: [
    {
      suite: 'triage',
      file: 'evals/triage.eval.yaml',
      fingerprint: 'f',
      casesFingerprint: 'c',
      scorersFingerprint: 's',
      repeats: 2,
      minPassRate: 0.8,
      gate: {},
      providers: [{ id: 'bot', type: 'module', configFingerprint: 'p' }],
      scorers: [{ name: 'equals', type: 'equals', weight: 1 }],
      cases: ['a', 'b', 'c', 'd'].map((id) => ({ id, source: `evals/t.jsonl:${id}` })),
      results: [
        answer('a', 0, true, 100),
        answer('a', 1, true, 200),
        answer('b', 0, true, 300),
        answer('b', 1, false, 400),
        answer('c', 0, null, null, {
          error: { kind: 'provider:server', message: 'HTTP 503 <b>busy</b>' }
        }),
        answer('c', 1, true, null, { cached: true }),
        answer('d', 0, true, 500)
      ]
    }
  ]
}

describe('summarizeRun', () => {
  it('takes the case as the unit: repeats averaged per case, errors count as failed', () => {
    const [summary] = summarizeRun(run)
    // Cases a, b, c, d pass 2/2, 1/2, 1/2, 1/1 of their answers: (1 + 0.5 + 0.5 + 1) / 4.
    expect(summary?.passRate).toBeCloseTo(0.75, 12)
    // Scored answers only: a 1, b (1 + 0.25) / 2, c 1, d 1.
    expect(summary?.meanScore).toBeCloseTo((1 + 0.625 + 1 + 1) / 4, 12)
    // The cached answer has no latency; type-7 quantiles of [100, 200, 300, 400, 500].
    expect(summary?.latencyP50).toBe(300)
    expect(summary?.latencyP95).toBeCloseTo(480, 12)
    expect(summary).toMatchObject({ cases: 4, answers: 7, errors: 1, belowThreshold: true })
  })
})

describe('min-pass-rate', () => {
  /** One suite of `cases` cases × `repeats` answers; `passes(i)` of case i's answers pass. */
  const suiteRun = (
    cases: number,
    repeats: number,
    minPassRate: number,
    passes: (i: number) => number
  ): RunResult => {
    const suite = run.suites[0]
    if (!suite) throw new Error('the run has a suite')
    const ids = Array.from({ length: cases }, (_, i) => `case-${i}`)
    return {
      ...run,
      run: { ...run.run, complete: true },
      suites: [
        {
          ...suite,
          repeats,
          minPassRate,
          cases: ids.map((id) => ({ id, source: `evals/t.jsonl:${id}` })),
          results: ids.flatMap((id, i) =>
            Array.from({ length: repeats }, (_, r) => answer(id, r, r < passes(i), 100))
          )
        }
      ]
    }
  }

  it('is met by a pass rate at it, whatever rounding the average leaves', () => {
    // Three cases pass 2 of 3 repeats, two pass all 3: 80%, averaged to 0.7999999999999999.
    const atMinimum = suiteRun(5, 3, 0.8, (i) => (i < 3 ? 2 : 3))
    const [summary] = summarizeRun(atMinimum)
    expect(summary?.belowThreshold).toBe(false)
    expect(renderRunTerminal(atMinimum, summarizeRun(atMinimum), { color: false })).toContain(
      '  80.0%  '
    )
  })

  it('shows a pass rate below it with the decimals that tell them apart', () => {
    // 1,999 of 2,000 cases pass: 99.95%, which one decimal would round up to 100.0%.
    const below = suiteRun(2000, 1, 1, (i) => (i === 0 ? 0 : 1))
    const summaries = summarizeRun(below)
    expect(renderRunTerminal(below, summaries, { color: false })).toContain(' 99.95% < 100.0% ')
    expect(renderRunMarkdown(below, summaries)).toContain('| 99.95% &lt; 100.0% |')
    expect(thresholdAlert(summaries)).toContain('triage / bot passed 99.95% (min-pass-rate 100.0%)')
  })
})

describe('renderRunTerminal', () => {
  it('prints the table, the failures and the incomplete note', () => {
    const text = renderRunTerminal(run, summarizeRun(run), { color: false })
    expect(text.split('\n').slice(0, 2)).toEqual([
      'suite   provider  cases      pass rate  mean score    p50    p95  errors',
      'triage  bot           4  75.0% < 80.0%       0.906  300ms  480ms       1'
    ])
    expect(text).toContain(
      'triage / bot: 2 failed or errored\n  b #1: equals: expected "billing", got "bug"\n  c #0: error (provider:server): HTTP 503 <b>busy</b>'
    )
    expect(text).toContain('incomplete run: cancelled (SIGINT) after 7 of 9 answers')
  })

  it('shows latencies that round to 1000 ms in seconds', () => {
    const suite = run.suites[0]
    if (!suite) throw new Error('the run has a suite')
    const slow: RunResult = {
      ...run,
      suites: [{ ...suite, results: [answer('a', 0, true, 999.6)] }]
    }
    expect(renderRunTerminal(slow, summarizeRun(slow), { color: false })).toMatch(
      / {2}1\.00s {2}1\.00s {2}/
    )
  })

  it('colours failing rows only when asked', () => {
    expect(renderRunTerminal(run, summarizeRun(run), { color: true })).toContain('\u001b[31mtriage')
  })
})

describe('what LLM judges spent', () => {
  const judged = (costs: (number | null)[]): RunResult => {
    const suite = run.suites[0]
    if (!suite) throw new Error('the run has a suite')
    return {
      ...run,
      suites: [
        {
          ...suite,
          scorers: [...suite.scorers, { name: 'polite', type: 'llm-judge', weight: 1 }],
          results: costs.map((judgeCost, i) =>
            answer(`j${i}`, 0, true, 100, { judgeCost, judgeTokens: { input: 900, output: 100 } })
          )
        }
      ]
    }
  }

  it('is said apart from the systems under test, in both reports', () => {
    const note =
      'LLM judges: $0.00300, 2,000 tokens judging 2 answers (apart from the cost of the systems under test)'
    const paid = judged([0.001, 0.002])
    expect(renderRunTerminal(paid, summarizeRun(paid), { color: false })).toContain(note)
    expect(renderRunMarkdown(paid, summarizeRun(paid))).toContain(note)
    const unpriced = judged([0.001, null])
    // Not "no price for its model": gpt-4o has one, but not at a base-url other than OpenAI's.
    const why =
      "LLM judges: cost unknown (no price for the judge of triage / polite: set prices: on the judge; the built-in prices hold only for the models they list, on OpenAI's own API at its standard tier, not for a judge with a base-url elsewhere), 2,000 tokens judging 2 answers"
    expect(renderRunTerminal(unpriced, summarizeRun(unpriced), { color: false })).toContain(why)
    expect(renderRunMarkdown(unpriced, summarizeRun(unpriced))).toContain(
      'LLM judges: cost unknown (no price for the judge of triage / polite: set prices: on the judge;'
    )
    expect(renderRunMarkdown(run, summarizeRun(run))).not.toContain('LLM judges')
  })

  it('does not send the user to price a judge that may be priced, of a suite with two', () => {
    const unpriced = judged([0.001, null])
    const suite = unpriced.suites[0]
    if (!suite) throw new Error('one suite')
    // The results record that a grade had no cost, not which of the two judges lacked a price.
    const twoJudges: RunResult = {
      ...unpriced,
      suites: [
        {
          ...suite,
          scorers: [...suite.scorers, { name: 'concise', type: 'llm-judge', weight: 1 }]
        }
      ]
    }
    expect(renderRunTerminal(twoJudges, summarizeRun(twoJudges), { color: false })).toContain(
      'LLM judges: cost unknown (no price for one or more of the judges of triage / polite, concise: set prices: on the judge;'
    )
  })

  it('says that a judge reported no tokens, not that it needs a price, when that is why its cost is unknown', () => {
    const counted = judged([0.001])
    const suite = counted.suites[0]
    const [priced] = suite?.results ?? []
    if (!suite || !priced) throw new Error('one answer')
    // A module judge with prices: that returns no token counts: nothing to price.
    const uncounted: RunResult = {
      ...counted,
      suites: [
        {
          ...suite,
          results: [
            priced,
            answer('j1', 0, true, 100, { judgeCost: null, judgeTokens: { input: 0, output: 0 } })
          ]
        }
      ]
    }
    const note = renderRunTerminal(uncounted, summarizeRun(uncounted), { color: false })
    expect(note).toContain(
      'LLM judges: cost unknown (no token counts from the judge of triage / polite, so its prices: have nothing to price: an http judge reports them through usage: paths, a module judge by returning tokens), 1,000 tokens judging 2 answers'
    )
    expect(note).not.toContain('set prices: on the judge')
  })

  it('is the recorded cost, not this run’s spending, for the judges’ answers from the cache', () => {
    const replayed = judged([0.001, 0.002])
    const [first, second] = replayed.suites[0]?.results ?? []
    const suite = replayed.suites[0]
    if (!first || !second || !suite) throw new Error('two answers')
    // The first answer from the cache, graded anew (its rubric changed); the second answered
    // anew, its grade from the cache (the same text as recorded).
    const run = {
      ...replayed,
      suites: [
        {
          ...suite,
          results: [
            { ...first, cached: true, latencyMs: null, judgeCached: false },
            { ...second, judgeCached: true }
          ]
        }
      ]
    }
    const text = renderRunTerminal(run, summarizeRun(run), { color: false })
    expect(text).toContain(
      '1 of 2 answers came from the cache (no latency measured: p50 and p95 are of the others)'
    )
    expect(text).toContain(
      "judging 2 answers (apart from the cost of the systems under test); the judges' answers on 1 of them came from the cache, and their cost is the one recorded, not spent by this run"
    )
    const graded = {
      ...run,
      suites: [
        {
          ...suite,
          results: [{ ...first, cached: true, latencyMs: null, judgeCached: false }, second]
        }
      ]
    }
    expect(renderRunTerminal(graded, summarizeRun(graded), { color: false })).not.toContain(
      'came from the cache, and their cost'
    )
  })

  it('counts the answers judged, whether or not the judge gave a verdict', () => {
    const broken = judged([0.001])
    const suite = broken.suites[0]
    const [only] = suite?.results ?? []
    if (!suite || !only) throw new Error('one answer')
    const run = {
      ...broken,
      suites: [
        {
          ...suite,
          results: [
            {
              ...only,
              score: null,
              pass: null,
              scores: [],
              error: { kind: 'judge:invalid-verdict', message: "the judge's answer was empty" }
            }
          ]
        }
      ]
    }
    const text = renderRunTerminal(run, summarizeRun(run), { color: false })
    expect(text).toContain('LLM judges: $0.00100, 1,000 tokens judging 1 answer (apart from')
  })
})

describe('answers never obtained', () => {
  const miss = (kind: 'answer' | 'grade', caseId: string): CaseResult =>
    answer(caseId, 0, null, null, {
      ...(kind === 'grade' ? { output: 'out' } : {}),
      error: { kind: 'cache-miss', message: `no cached answer for the ${kind} of ${caseId} in /c` }
    })
  function replay(results: CaseResult[], replayed: string[] = []): RunResult {
    const [suite] = run.suites
    return {
      ...run,
      run: {
        ...run.run,
        complete: true,
        replayed: replayed.map((what) => ({ suite: 'triage', what, unsetVariables: ['KEY'] }))
      },
      suites: suite ? [{ ...suite, results }] : []
    }
  }

  it('tells a grade missing from the replay cache apart from an answer missing', () => {
    const partly = replay([miss('answer', 'a'), miss('grade', 'b'), answer('c', 0, true, null)])
    expect(renderRunTerminal(partly, summarizeRun(partly), { color: false })).toContain(
      "1 answer was never obtained (not in the replay cache, or cancelled), and 1 answer was obtained but not graded (an LLM judge's grade not in the replay cache), and left out of the rates"
    )
  })

  it('fail the run when none was obtained, saying why, unless a fork could not call for want of secrets', () => {
    const none = replay([miss('answer', 'a'), miss('grade', 'b')])
    const [summary] = summarizeRun(none)
    expect(summary).toMatchObject({ noAnswer: true, belowThreshold: true, missingGrades: 1 })
    expect(renderRunTerminal(none, summarizeRun(none), { color: false })).toContain(
      'triage / bot: no answer obtained (2 missing), so the run fails\n  error (cache-miss): no cached answer for the answer of a in /c'
    )
    expect(thresholdAlert(summarizeRun(none))).toBe(
      '> [!CAUTION]\n> **Below min-pass-rate or without any answer, so this check fails:** triage / bot obtained no answer (all 2 missing from the replay cache, or cancelled).\n'
    )
    // A fork's run replays what it has no secret for: what is missing there fails nothing.
    const fork = replay(none.suites[0]?.results ?? [], ['provider bot', 'the judge of polite'])
    expect(summarizeRun(fork)[0]).toMatchObject({ noAnswer: false, belowThreshold: false })
    const ownJudge = replay(none.suites[0]?.results ?? [], ['provider bot'])
    expect(summarizeRun(ownJudge)[0]).toMatchObject({ noAnswer: true, belowThreshold: true })
  })
})

describe('renderRunMarkdown', () => {
  it('renders a table and collapsible failures, with output escaped', () => {
    const markdown = renderRunMarkdown(run, summarizeRun(run))
    expect(markdown).toContain(
      '| triage | bot | 4 | 75.0% &lt; 80.0% | 0.906 | 300ms | 480ms | 1 |'
    )
    expect(markdown).toContain('<details><summary>triage / bot: 2 failed or errored</summary>')
    expect(markdown).toContain('HTTP 503 &lt;b&gt;busy&lt;/b&gt;')
    expect(markdown).not.toContain('<b>')
  })
})

describe('renderRunMarkdown with hostile case ids', () => {
  it('lists a case id that reads as Markdown block syntax as text', () => {
    const suite = run.suites[0]
    if (!suite) throw new Error('the run has a suite')
    const ids = ['# All checks passed', '1. fine', '---']
    const hostile: RunResult = {
      ...run,
      suites: [{ ...suite, results: ids.map((id) => answer(id, 0, false, 100)) }]
    }
    const html = renderGfm(renderRunMarkdown(hostile, summarizeRun(hostile)))
    expect(html).not.toMatch(/<h\d|<ol|<hr/)
    expect(html).toContain('<li># All checks passed #\u200d0: equals: expected')
  })
})

describe('cutMarkdown', () => {
  it('keeps what fits, cut at a line end, with a note, within the bytes given', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `| row ${i} | é |`)
    const markdown = lines.join('\n')
    expect(cutMarkdown(markdown, 10_000, 'too long')).toBe(markdown)
    const cut = cutMarkdown(markdown, 300, 'a job summary holds 1 MiB')
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(300)
    expect(cut.endsWith('\n\n… cut: a job summary holds 1 MiB.\n')).toBe(true)
    const kept = cut.split('\n\n… cut:')[0]?.split('\n') ?? []
    expect(kept.length).toBeGreaterThan(5)
    expect(kept.every((line, i) => line === lines[i])).toBe(true)
  })

  it('closes the <details> and code fence it cuts into, so its note shows', () => {
    const suite = run.suites[0]
    if (!suite) throw new Error('the run has a suite')
    const failing: RunResult = {
      ...run,
      suites: Array.from({ length: 20 }, (_, i) => ({
        ...suite,
        suite: `suite-${i}`,
        results: ['a', 'b', 'c'].map((id) => answer(id, 0, false, 100))
      }))
    }
    const markdown = renderRunMarkdown(failing, summarizeRun(failing))
    // Inside the tenth suite's failures, which a cut at a line end leaves open.
    const inside = markdown.indexOf('- c #', markdown.indexOf('suite-9 /'))
    const cut = cutMarkdown(markdown, Buffer.byteLength(markdown.slice(0, inside)), 'cut')
    const html = renderGfm(cut)
    expect(html.match(/<details>/g)?.length).toBe(10)
    expect(html.match(/<\/details>/g)?.length).toBe(10)
    expect(html).toMatch(/<\/details>\n<p>… cut: cut\.<\/p>\n$/)

    const fenced = ['intro', '', '````text', ...Array.from({ length: 50 }, () => 'output')]
    const fencedCut = cutMarkdown(fenced.join('\n') + '\n````\n', 200, 'cut')
    expect(Buffer.byteLength(fencedCut)).toBeLessThanOrEqual(200)
    expect(renderGfm(fencedCut)).toMatch(/output\n<\/code><\/pre>\n<p>… cut: cut\.<\/p>\n$/)
  })
})
