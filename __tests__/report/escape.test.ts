import {
  codeBlock,
  escapeXml,
  escapeXmlAttribute,
  htmlInline,
  markdownInline,
  terminalLine
} from '../../src/report/escape.js'
import { renderGfm } from '../helpers/gfm.js'
import { renderMarkdown } from '../../src/report/markdown.js'
import { regression } from './comparison-fixtures.js'

describe('escape', () => {
  it('fences text with a fence longer than any backtick run inside', () => {
    const block = codeBlock('a\n```````\nb')
    expect(block.startsWith('````````text\n')).toBe(true)
    expect(block.endsWith('\n````````')).toBe(true)
    expect(codeBlock('plain').startsWith('```text\n')).toBe(true)
  })

  it('makes inline text inert: HTML, Markdown, mentions, references, line breaks', () => {
    expect(markdownInline('<b>x</b> & [link](http://e) | *y*\n@alice #3')).toBe(
      '&lt;b&gt;x&lt;/b&gt; &amp; \\[link\\](http:\u200d//e) \\| \\*y\\* @\u200dalice #\u200d3'
    )
    expect(markdownInline('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`)
  })

  it('leaves no text that GitHub would turn into a link (and a cross-reference)', () => {
    const text =
      'see https://github.com/o/r/issues/1, www.example.com/login and ftp://x.org, ' +
      'x_www.a.example _www.b.example *www.c.example ~WWW.d.example (www.e.example) [www.f.example]'
    const html = renderGfm(
      `- ${markdownInline(text, 500)}\n- <summary>${htmlInline(text, 500)}</summary>`
    )
    expect(html).not.toContain('<a ')
    expect(html).toContain('https:\u200d//github.com/o/r/issues/1')
  })

  it('opens no block with what text starts with, in a list item or a line of its own', () => {
    const starts = [
      '# All checks passed',
      '1. one',
      '2) two',
      '+ plus',
      '- minus',
      '---',
      '= =',
      '>'
    ]
    for (const text of starts) {
      const shown = text.replace('>', '&gt;')
      expect(renderGfm(`- ${markdownInline(text)}`)).toBe(`<ul>\n<li>${shown}</li>\n</ul>`)
      expect(renderGfm(`before\n${markdownInline(text)}`)).toBe(`<p>before\n${shown}</p>`)
    }
    // Text that opens nothing keeps its characters unescaped.
    expect(markdownInline('-0.5 #tag 1.5 +1')).toBe('-0.5 #tag 1.5 +1')
  })

  it('makes text inert inside raw HTML without Markdown escapes, which would show', () => {
    expect(htmlInline('suite|a *b* [c] `d` <e> @bob #4')).toBe(
      'suite|a *b* [c] `d` &lt;e&gt; @\u200dbob #\u200d4'
    )
  })

  it('leaves its own HTML entities whole while neutralising the text’s references', () => {
    // GitHub shows `&#‍39;` literally: the apostrophe of "Unexpected token 'x'" must survive.
    expect(markdownInline("Unexpected token 'x', see #12 and &#35;7")).toBe(
      'Unexpected token &#39;x&#39;, see #\u200d12 and &amp;#\u200d35;7'
    )
  })

  it('never cuts a surrogate pair in two, in a comparison or a comment', () => {
    // Pairs start at odd indices, so cuts at 1,500 and 4,000 fall inside one.
    const rockets = 'x' + '🚀'.repeat(3000)
    const c = regression({
      cases: 10,
      flipped: 1,
      output: (i, side) => (side === 'head' && i === 0 ? rockets : 'ok')
    })
    const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
    expect(c.groups[0]?.flips.cases[0]?.head?.text).not.toMatch(loneSurrogate)
    expect(renderMarkdown(c)).not.toMatch(loneSurrogate)
  })

  it('removes what XML cannot carry and escapes the rest', () => {
    expect(escapeXml('a\u0000b<c>&"\'\ud83d\ude00\udc00')).toBe(
      'ab&lt;c&gt;&amp;&quot;&apos;\ud83d\ude00'
    )
  })

  it('keeps tabs and line breaks of an attribute value as character references', () => {
    expect(escapeXmlAttribute('a\nb\tc\rd<')).toBe('a&#10;b&#9;c&#13;d&lt;')
  })

  it('strips terminal escape sequences and bidi overrides', () => {
    expect(terminalLine('a\u001b[31mb\u202ec\nd')).toBe('a[31mbc d')
  })
})
