import { compareRuns } from '../../src/compare/index.js'
import { renderJunit } from '../../src/report/junit.js'
import { runPair, scored } from '../compare/build.js'
import { regression } from './comparison-fixtures.js'

/** A small well-formedness check: balanced tags, quoted attributes, only known entities. */
function expectWellFormed(xml: string): void {
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true)
  const body = xml.replace(/^<\?xml[^>]*\?>\n/, '')
  const stack: string[] = []
  const tag = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"<]*")*)\s*(\/?)>/g
  let last = 0
  for (let match = tag.exec(body); match; match = tag.exec(body)) {
    expect(body.slice(last, match.index)).not.toMatch(/[<>]/)
    last = match.index + match[0].length
    const [, closing, name, , selfClosing] = match
    if (selfClosing) continue
    if (closing) expect(stack.pop()).toBe(name)
    else stack.push(name as string)
  }
  expect(body.slice(last).trim()).toBe('')
  expect(stack).toEqual([])
  expect(xml).not.toMatch(/&(?!(amp|lt|gt|quot|apos|#\d+);)/)
}

type Attributes = Record<string, string>

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** An attribute's value as a parser reads it. */
function unescape(value: string): string {
  return value.replace(/&(?:#(\d+)|(\w+));/g, (_, code: string | undefined, name: string) =>
    code !== undefined ? String.fromCharCode(Number(code)) : (ENTITIES[name] ?? '')
  )
}

function attributesOf(tag: string): Attributes {
  return Object.fromEntries(
    [...tag.matchAll(/([\w-]+)="([^"]*)"/g)].map(([, name, value]) => [name, unescape(value ?? '')])
  ) as Attributes
}

/** Each `<testsuite>` of the XML: its attributes, and each testcase's with how it ended. */
function testsuites(xml: string) {
  return [...xml.matchAll(/<testsuite (.*?)>\n([\s\S]*?)\n {2}<\/testsuite>/g)].map(
    ([, open, body]) => ({
      attributes: attributesOf(open ?? ''),
      systemErr: unescape(/<system-err>([^<]*)<\/system-err>/.exec(body ?? '')?.[1] ?? ''),
      testcases: [
        ...(body ?? '').matchAll(/<testcase (.*?)>\n\s+<(failure|skipped|system-out)( [^>]*)?>/g)
      ].map(([, attributes, outcome, child]) => ({
        attributes: attributesOf(attributes ?? ''),
        outcome: outcome === 'system-out' ? 'passed' : outcome,
        message: attributesOf(child ?? '').message
      }))
    })
  )
}

describe('renderJunit', () => {
  it('writes one testcase per metric, failures for regressions, valid XML', () => {
    const c = regression({ cases: 100, flipped: 30, suite: 'tri<age>&"x"' })
    const xml = renderJunit(c)
    expectWellFormed(xml)
    const metrics = c.groups[0]?.metrics.length ?? 0
    expect(xml.match(/<testcase /g)?.length).toBe(metrics)
    // The pass rate repeats the score's numbers: one regression, as the summary counts it.
    expect(xml).toMatch(new RegExp(`<testsuites name="evalgate" tests="${metrics}" failures="1"`))
    expect(xml).toMatch(
      /<testcase classname="evalgate\.tri&lt;age&gt;&amp;&quot;x&quot;\.bot" name="mean score"[^>]*>\n\s+<failure message="REGRESSION: mean score fell 30\.0 pts/
    )
    expect(xml).toContain('type="regression"')
    // The p as the other reports show it, not a float's every digit.
    expect(xml).toMatch(/<failure [^>]*>[^<]*, p &lt;0\.001<\/failure>/)
  })

  it('keeps line breaks of a name in its attribute, where a parser would read spaces', () => {
    const xml = renderJunit(regression({ cases: 5, flipped: 0, suite: 'two\nlines' }))
    expectWellFormed(xml)
    expect(xml).toContain('name="two&#10;lines / bot"')
  })

  it('marks inconclusive metrics skipped', () => {
    const xml = renderJunit(regression({ cases: 10, flipped: 1 }))
    expectWellFormed(xml)
    expect(xml).toMatch(/name="mean score"[^>]*>\n\s+<skipped message="INCONCLUSIVE: /)
  })

  it('fails inconclusive metrics in strict mode, where they fail the check', () => {
    const c = regression({ cases: 10, flipped: 1 })
    const inconclusive = c.counts.inconclusive
    expect(inconclusive).toBeGreaterThan(0)
    const xml = renderJunit({ ...c, options: { ...c.options, strict: true } })
    expectWellFormed(xml)
    expect(xml).toMatch(
      /name="mean score"[^>]*>\n\s+<failure message="INCONCLUSIVE: [^"]*" type="inconclusive">/
    )
    // The pass rate that repeats the score is counted with it, as the summary counts it.
    expect(xml).toMatch(/name="pass rate"[^>]*>\n\s+<skipped message="INCONCLUSIVE: repeats /)
    expect(xml).toMatch(new RegExp(`<testsuites [^>]*failures="${inconclusive}" [^>]*skipped="1"`))
  })

  it('gives the means the change compared when they are not base and head', () => {
    // Repeats 1 → 3, the head's later answers worse: "base 90.0%, head 70.0%, change ±0.0 pts"
    // must say the change is over the first answers, 90.0% on both sides.
    const gate = { score: { min: 0.8 } }
    const { base, head } = runPair(
      { cases: 30, gate, answer: () => scored(0.9, { pass: true }) },
      {
        cases: 30,
        repeats: 3,
        gate,
        answer: (_i, r) => scored(r === 0 ? 0.9 : 0.6, { pass: true })
      }
    )
    const c = compareRuns(base, head, { seed: 'a'.repeat(40) })
    expect(c.groups[0]?.metrics[0]).toMatchObject({
      metric: 'score',
      compared: { base: 0.9, head: 0.9 }
    })
    const xml = renderJunit(c)
    expectWellFormed(xml)
    expect(xml).toContain(
      '>base 90.0%, head 70.0%, change ±0.0 pts, compared 90.0% → 90.0% (as many answered repeats on both sides of each case, those both sides answered first), p 1.000</failure>'
    )
    // A metric whose base and head are what it compared has no such note.
    expect(xml).toMatch(
      /name="error rate"[^>]*>\n\s+<system-out>PASS: [^<]*\(base 0\.0%, head 0\.0%, change ±0\.0 pts[,)]/
    )
    expect(xml.match(/compared /g)?.length).toBe(2)
  })

  it('drops characters XML cannot carry', () => {
    const xml = renderJunit(regression({ cases: 5, flipped: 0, suite: 'a\u0001b\ud800c' }))
    expectWellFormed(xml)
    expect(xml).toContain('name="abc / bot"')
  })

  it('lists the warnings as skipped testcases of a testsuite evalgate, first', () => {
    const { base, head } = runPair(
      { cases: 10, answer: () => scored(1) },
      { cases: 10, answer: () => scored(1) }
    )
    head.run.complete = false
    head.run.incompleteReason = 'interrupted (SIGINT)'
    head.run.shard = { index: 1, total: 2 }
    const c = compareRuns(base, head, { seed: 'a'.repeat(40) })
    expect(c.warnings).toHaveLength(2)
    const xml = renderJunit(c)
    expectWellFormed(xml)
    const [warnings, ...groups] = testsuites(xml)
    expect(warnings?.attributes).toMatchObject({ name: 'evalgate', tests: '2', skipped: '2' })
    expect(warnings?.testcases).toEqual(
      c.warnings.map((warning) => ({
        attributes: { classname: 'evalgate', name: `warning: ${warning}`, time: '0' },
        outcome: 'skipped',
        message: warning
      }))
    )
    expect(warnings?.systemErr).toBe(c.warnings.map((w) => `warning: ${w}`).join('\n'))
    expect(warnings?.testcases[0]?.message).toMatch(/^the head run is incomplete \(interrupted/)
    expect(groups).toHaveLength(1)
    const metrics = c.groups[0]?.metrics.length ?? 0
    expect(xml).toMatch(
      new RegExp(
        `<testsuites name="evalgate" tests="${metrics + 2}" failures="0" errors="0" skipped="`
      )
    )
    // No warning, no such testsuite.
    const clean = renderJunit(
      compareRuns(
        base,
        { ...head, run: { ...head.run, complete: true, shard: undefined } },
        { seed: 'a'.repeat(40) }
      )
    )
    expect(testsuites(clean).map((suite) => suite.attributes.name)).toEqual(['triage / bot'])
  })

  it('gives every testsuite and testcase a time in seconds, the run its length', () => {
    const c = regression({ cases: 30, flipped: 10 })
    const xml = renderJunit(c)
    // Reporters read the time as seconds (dorny/test-reporter: parseFloat(time) * 1000).
    expect(attributesOf(/<testsuites .*?>/.exec(xml)?.[0] ?? '').time).toBe('600.000')
    const suites = testsuites(xml)
    expect(suites).toHaveLength(1)
    for (const suite of suites) {
      expect(suite.attributes).toMatchObject({ time: '0', timestamp: c.head.startedAt })
      expect(suite.testcases.length).toBeGreaterThan(0)
      for (const testcase of suite.testcases) expect(testcase.attributes.time).toBe('0')
    }
  })

  it('names the spec file of every testcase, which reporters annotate', () => {
    // mikepenz/action-junit-report takes a file from the classname's last dot segment otherwise:
    // "1-mini" for a provider gpt-4.1-mini.
    const c = regression({ cases: 30, flipped: 10 })
    const xml = renderJunit(c)
    const testcases = testsuites(xml).flatMap((suite) => suite.testcases)
    expect(testcases.length).toBe(c.groups[0]?.metrics.length)
    for (const testcase of testcases)
      expect(testcase.attributes.file).toBe('evals/triage.eval.yaml')
  })

  it('counts a regression once when the pass rate repeats the score, as the summary does', () => {
    const c = regression({ cases: 30, flipped: 10 })
    const [score, passRate] = c.groups[0]?.metrics ?? []
    expect(score).toMatchObject({ metric: 'score', verdict: 'regression' })
    expect(passRate).toMatchObject({
      metric: 'pass-rate',
      verdict: 'regression',
      duplicateOf: 'score'
    })
    expect(c.counts.regression).toBe(1)
    const xml = renderJunit(c)
    expectWellFormed(xml)
    const [suite] = testsuites(xml)
    expect(suite?.attributes.failures).toBe('1')
    expect(suite?.testcases.filter((t) => t.outcome === 'failure')).toHaveLength(1)
    expect(suite?.testcases.find((t) => t.attributes.name === 'pass rate')).toMatchObject({
      outcome: 'skipped',
      message: expect.stringMatching(
        /^REGRESSION: repeats the mean score's numbers \(every score is 0 or 1, a pass is a 1\), so it is counted there, once: /
      ) as unknown
    })
    expect(xml).toMatch(/<testsuites [^>]*failures="1"/)
  })
})
