import { renderMarkdown } from '../../src/report/markdown.js'
import { compareRuns } from '../../src/compare/index.js'
import { runPair, scored } from '../compare/build.js'
import { renderGfm } from '../helpers/gfm.js'
import { regression } from './comparison-fixtures.js'

/** The text outside fenced code blocks; fails when a fence is left open. */
function outsideFences(markdown: string): string {
  const outside: string[] = []
  let fence: string | null = null
  for (const line of markdown.split('\n')) {
    if (fence === null) {
      const open = /^(`{3,})/.exec(line)
      if (open) fence = open[1] as string
      else outside.push(line)
    } else if (/^`+\s*$/.test(line) && line.trim().length >= fence.length) {
      fence = null
    }
  }
  expect(fence).toBeNull()
  return outside.join('\n')
}

const hostile = [
  '<script>alert("x")</script> <img src=x onerror=alert(1)>',
  '@octocat please look at #12 and GH-7',
  '`````',
  '</details>',
  '| a | b |'
].join('\n')

describe('renderMarkdown', () => {
  it('leads with the verdict word, the baseline and a table per suite × provider', () => {
    const body = renderMarkdown(regression({ cases: 100, flipped: 30 }), {
      runUrl: 'https://github.com/o/r/actions/runs/1',
      title: 'Evals'
    })
    expect(body.split('\n')[0]).toBe('## Evals: REGRESSION')
    expect(body).toMatch(/Baseline \*\*bbbbbbbbbbbb\*\* on main/)
    expect(body).toContain('| metric | base | head | Δ | 95% CI | p | verdict |')
    expect(body).toMatch(
      /\| mean score \| 100\.0% \| 70\.0% \| −30\.0 pts \| .* \| <0\.001 \| \*\*REGRESSION\*\* \|/
    )
    expect(body).toContain('[the full report](https://github.com/o/r/actions/runs/1)')
    expect(body).toContain('30 pass → fail, 0 fail → pass')
  })

  it('escapes untrusted outputs, case ids and reasons', () => {
    const c = regression({
      cases: 20,
      flipped: 2,
      output: () => hostile,
      caseId: (i) => `<script>x</script>@octocat#12-${i}`
    })
    const body = renderMarkdown(c)
    const outside = outsideFences(body)
    expect(outside).not.toMatch(/<script|<img|<b>/i)
    expect(outside).not.toMatch(/@octocat|@team/)
    expect(outside).not.toMatch(/#12|GH-7/)
    expect(outside).toContain('&lt;script&gt;x&lt;/script&gt;')
    expect(outside).toContain('@\u200doctocat')
    // The only <details> blocks are the report's own.
    expect(outside.match(/<details>/g)?.length).toBe(outside.match(/<\/details>/g)?.length)
    // The output sits in a fence longer than its own backtick run.
    expect(body).toMatch(/^`{6,}text$/m)
    expect(body).toContain('<script>alert("x")</script>')
  })

  it('guides an inconclusive result with the cases needed', () => {
    const { base, head } = runPair(
      { cases: 10, answer: () => scored(1) },
      { cases: 10, answer: (i) => scored(i === 0 ? 0 : 1) }
    )
    const body = renderMarkdown(compareRuns(base, head, { seed: 's' }))
    expect(body.split('\n')[0]).toBe('## evalgate: INCONCLUSIVE')
    expect(body).toContain(
      'needs ~306 more paired cases for the 95% CI to rule out a drop of more than 5 points, 80% of the time if nothing changed'
    )
  })

  it('cuts flipped cases first to stay under maxLength and says how many', () => {
    const c = regression({
      cases: 80,
      flipped: 60,
      output: (i, side) => `${side} ${i} `.repeat(300)
    })
    const body = renderMarkdown(c, { maxLength: 20000 })
    expect(body.length).toBeLessThanOrEqual(20000)
    expect(body).toContain('| mean score |')
    const shown = body.match(/: pass → fail, score/g)?.length ?? 0
    expect(shown).toBeGreaterThan(0)
    expect(shown).toBeLessThan(60)
    expect(body).toContain(
      `… ${60 - shown} flipped cases omitted; \`--format json\` lists them all.`
    )
    outsideFences(body)
  })

  it('stays under GitHub’s limit by default, however many cases flipped', () => {
    const c = regression({ cases: 400, flipped: 300, output: () => 'x'.repeat(5000) })
    const body = renderMarkdown(c)
    expect(body.length).toBeLessThanOrEqual(65536)
    expect(body).toMatch(/… \d+ flipped cases omitted/)
    outsideFences(body)
  })

  it('sends the reader of what it cut where the cases are: the largest in the JSON, all in the results', () => {
    // 300 flipped: the comparison keeps the 100 largest changes, the results every answer.
    const c = regression({ cases: 400, flipped: 300, output: () => 'x'.repeat(5000) })
    const body = renderMarkdown(c, { runUrl: 'https://github.com/o/r/actions/runs/1' })
    expect(body).toMatch(
      /… \d+ flipped cases omitted; `--format json` lists the 100 largest changes of each suite × provider and the results files every answer\.\n/
    )
    const comment = renderMarkdown(c, {
      cutsReadIn: {
        fuller: 'the job summary of [the run](https://github.com/o/r/actions/runs/1)',
        comparison: 'the comparison file',
        results: 'the results file'
      }
    })
    expect(comment).toMatch(
      /… \d+ flipped cases omitted; the job summary of \[the run\]\(https:\/\/github\.com\/o\/r\/actions\/runs\/1\) shows more, the comparison file lists the 100 largest changes of each suite × provider and the results file every answer\.\n/
    )
  })

  it('measures its room with the size it is given: bytes for a job summary', () => {
    // Two bytes a character: a body of 20,000 characters would be twice as many bytes.
    const c = regression({
      cases: 80,
      flipped: 60,
      output: (i, side) => `${side} ${i} é`.repeat(300)
    })
    const bytes = (text: string) => Buffer.byteLength(text)
    const body = renderMarkdown(c, { maxLength: 20_000, size: bytes })
    expect(bytes(body)).toBeLessThanOrEqual(20_000)
    expect(bytes(body)).toBeGreaterThan(15_000)
    expect(body).toMatch(/… \d+ flipped cases omitted/)
    outsideFences(body)
    const tiny = renderMarkdown(
      { ...c, warnings: ['é'.repeat(400)] },
      { maxLength: 700, size: bytes }
    )
    expect(bytes(tiny)).toBeLessThanOrEqual(700)
  })

  it('cuts whole tables when even they do not fit', () => {
    const body = renderMarkdown(regression({ cases: 20, flipped: 5 }), { maxLength: 900 })
    expect(body.length).toBeLessThanOrEqual(900)
    expect(body).toContain('REGRESSION')
    outsideFences(body)
  })

  it('keeps a failing suite × provider when tables must be cut, and says what was left out', () => {
    const providers = Array.from({ length: 40 }, (_, i) => `prov${i}`)
    const { base, head } = runPair(
      { providers, cases: 12, answer: () => scored(1) },
      { providers, cases: 12, answer: (i, _, p) => scored(p === 'prov39' && i < 10 ? 0 : 1) }
    )
    const body = renderMarkdown(compareRuns(base, head, { seed: 's' }), { maxLength: 8_000 })
    expect(body.length).toBeLessThanOrEqual(8_000)
    expect(body.split('\n')[0]).toBe('## evalgate: REGRESSION')
    expect(body).toContain('### triage / prov39: REGRESSION')
    const shown = body.match(/^### /gm)?.length ?? 0
    expect(shown).toBeLessThan(40)
    expect(body).toContain(
      `… ${40 - shown} suite × provider results omitted (${40 - shown} PASS); see \`--format json\`.`
    )
  })

  it('lists ten warnings and counts the rest, so the tables stay', () => {
    const c = regression({ cases: 20, flipped: 5 })
    const warnings = Array.from({ length: 300 }, (_, i) => `warning ${i}: ${'w'.repeat(400)}`)
    const body = renderMarkdown({ ...c, warnings })
    expect(body.match(/^> \*\*Warning:\*\* /gm)?.length).toBe(10)
    expect(body).toContain('> … and 290 more warnings; see `--format json`.')
    expect(body).toContain('| mean score |')
    expect(body).toContain('pass → fail, score')
    expect(body).toMatch(/<sub>p: one-sided, .*<\/sub>\n$/)
  })

  it('keeps the note of what was omitted and the footer when even the header does not fit', () => {
    const c = regression({ cases: 20, flipped: 5 })
    const warnings = Array.from({ length: 10 }, (_, i) => `warning ${i}: ${'w'.repeat(400)}`)
    const body = renderMarkdown({ ...c, warnings }, { maxLength: 3000 })
    expect(body.length).toBeLessThanOrEqual(3000)
    expect(body.split('\n')[0]).toBe('## evalgate: REGRESSION')
    expect(body).toContain('> **Warning:** warning 0: ')
    expect(body).not.toContain('warning 9: ')
    expect(body).toContain(
      '… 1 suite × provider result omitted (1 REGRESSION); see `--format json`.'
    )
    expect(body).toMatch(/<sub>p: one-sided, .*<\/sub>\n$/)
  })

  it('turns no case id, output or reason into a link', () => {
    const c = regression({
      cases: 10,
      flipped: 2,
      caseId: (i) => `see https://github.com/o/r/issues/${i} or www.example.com`
    })
    const html = renderGfm(renderMarkdown(c, { runUrl: 'https://github.com/o/r/actions/runs/1' }))
    const links = html.match(/<a href="[^"]*"/g) ?? []
    expect(new Set(links)).toEqual(new Set(['<a href="https://github.com/o/r/actions/runs/1"']))
  })

  it('shows names in a collapsed section’s summary as written, without Markdown escapes', () => {
    const html = renderGfm(renderMarkdown(regression({ cases: 10, flipped: 2, suite: 'a|b*c' })))
    expect(html).toContain('<summary>Flipped cases of a|b*c / bot:')
  })

  it('says a baseline that ran after the head ran after it', () => {
    const { base, head } = runPair(
      { cases: 10, answer: () => scored(1) },
      { cases: 10, answer: () => scored(1) }
    )
    base.run.startedAt = '2025-01-08T00:00:00.000Z'
    const body = renderMarkdown(compareRuns(base, head, { seed: 's' }))
    expect(body).toContain(', run 7 days after the head')
  })
})
