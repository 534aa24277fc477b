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

describe('renderJunit', () => {
  it('writes one testcase per metric, failures for regressions, valid XML', () => {
    const c = regression({ cases: 100, flipped: 30, suite: 'tri<age>&"x"' })
    const xml = renderJunit(c)
    expectWellFormed(xml)
    const metrics = c.groups[0]?.metrics.length ?? 0
    expect(xml.match(/<testcase /g)?.length).toBe(metrics)
    expect(xml).toMatch(new RegExp(`<testsuites name="evalgate" tests="${metrics}" failures="2"`))
    expect(xml).toMatch(
      /<testcase classname="evalgate\.tri&lt;age&gt;&amp;&quot;x&quot;\.bot" name="mean score">\n\s+<failure message="REGRESSION: mean score fell 30\.0 pts/
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
    expect(xml).toMatch(/name="mean score">\n\s+<skipped message="INCONCLUSIVE: /)
  })

  it('fails inconclusive metrics in strict mode, where they fail the check', () => {
    const c = regression({ cases: 10, flipped: 1 })
    const inconclusive = c.groups[0]?.metrics.filter((m) => m.verdict === 'inconclusive').length
    expect(inconclusive).toBeGreaterThan(0)
    const xml = renderJunit({ ...c, options: { ...c.options, strict: true } })
    expectWellFormed(xml)
    expect(xml).toMatch(
      /name="mean score">\n\s+<failure message="INCONCLUSIVE: [^"]*" type="inconclusive">/
    )
    expect(xml).not.toContain('<skipped')
    expect(xml).toMatch(new RegExp(`<testsuites [^>]*failures="${inconclusive}" [^>]*skipped="0"`))
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
      /name="error rate">\n\s+<system-out>PASS: [^<]*\(base 0\.0%, head 0\.0%, change ±0\.0 pts[,)]/
    )
    expect(xml.match(/compared /g)?.length).toBe(2)
  })

  it('drops characters XML cannot carry', () => {
    const xml = renderJunit(regression({ cases: 5, flipped: 0, suite: 'a\u0001b\ud800c' }))
    expectWellFormed(xml)
    expect(xml).toContain('name="abc / bot"')
  })
})
