import { codeBlock, escapeXml, markdownInline, terminalLine } from '../../src/report/escape.js'

describe('escape', () => {
  it('fences text with a fence longer than any backtick run inside', () => {
    const block = codeBlock('a\n```````\nb')
    expect(block.startsWith('````````text\n')).toBe(true)
    expect(block.endsWith('\n````````')).toBe(true)
    expect(codeBlock('plain').startsWith('```text\n')).toBe(true)
  })

  it('makes inline text inert: HTML, Markdown, mentions, references, line breaks', () => {
    expect(markdownInline('<b>x</b> & [link](http://e) | *y*\n@alice #3')).toBe(
      '&lt;b&gt;x&lt;/b&gt; &amp; \\[link\\](http://e) \\| \\*y\\* @\u200dalice #\u200d3'
    )
    expect(markdownInline('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`)
  })

  it('leaves its own HTML entities whole while neutralising the text’s references', () => {
    // GitHub shows `&#‍39;` literally: the apostrophe of "Unexpected token 'x'" must survive.
    expect(markdownInline("Unexpected token 'x', see #12 and &#35;7")).toBe(
      'Unexpected token &#39;x&#39;, see #\u200d12 and &amp;#\u200d35;7'
    )
  })

  it('removes what XML cannot carry and escapes the rest', () => {
    expect(escapeXml('a\u0000b<c>&"\'\ud83d\ude00\udc00')).toBe(
      'ab&lt;c&gt;&amp;&quot;&apos;\ud83d\ude00'
    )
  })

  it('strips terminal escape sequences and bidi overrides', () => {
    expect(terminalLine('a\u001b[31mb\u202ec\nd')).toBe('a[31mbc d')
  })
})
