/**
 * Sanitising untrusted text (model outputs, case ids, error messages, scorer reasons) for the
 * places reports put it: a GitHub comment, XML, a terminal. A model's output must not be able to
 * inject HTML, ping people or teams, link issues, break out of its code block, or move the cursor.
 */

const ZERO_WIDTH_JOINER = '\u200d'

/**
 * C0/C1 control characters other than tab and newline (ESC starts terminal sequences), and the
 * bidirectional overrides and isolates that can make text read differently than it is
 * ("Trojan Source", CVE-2021-42574).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

/** Line breaks normalised to \n; unsafe control and bidi characters removed. */
export function stripControl(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(UNSAFE_CHARACTERS, '')
}

/** The first `max` UTF-16 units of `text`, one fewer rather than half of a surrogate pair. */
export function sliceWhole(text: string, max: number): string {
  const cut = text.slice(0, Math.max(0, max))
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut
}

/** At most `max` characters (code points kept whole), with "…" when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text
  return `${sliceWhole(text, max - 1)}…`
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

/** `@user` and `@org/team` no longer notify anyone: a zero-width joiner follows the `@`. */
export function neutralizeMentions(text: string): string {
  return text.replace(/@(?=[A-Za-z0-9])/g, `@${ZERO_WIDTH_JOINER}`)
}

/**
 * `#123`, `owner/repo#123` and `GH-123` no longer link (or cross-reference) issues. A `#` right
 * after `&` is escapeHtml's own `&#39;`, left whole (an `&` of the text is `&amp;` by then).
 */
export function neutralizeReferences(text: string): string {
  return text
    .replace(/(?<!&)#(?=\d)/g, `#${ZERO_WIDTH_JOINER}`)
    .replace(/\b(GH)-(?=\d)/gi, `$1-${ZERO_WIDTH_JOINER}`)
}

/**
 * `https://…` and `www.…` are no longer turned into links by GitHub's autolinking (a link to an
 * issue or pull request would also cross-reference it); the text reads the same. GFM links a
 * `www.` after any character but a letter or digit, `_` too (no word boundary there).
 */
export function neutralizeLinks(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*):\/\//gi, `$1:${ZERO_WIDTH_JOINER}//`)
    .replace(/(?<![A-Za-z0-9])(www)\./gi, `$1${ZERO_WIDTH_JOINER}.`)
}

/** One line of at most `max` characters: whitespace runs collapsed, unsafe characters gone. */
function oneLine(text: string, max: number): string {
  return truncate(stripControl(text).replace(/\s+/g, ' ').trim(), max)
}

/**
 * What would open a block at the start of a line, or of a list item: a heading (`#`), a list item
 * (`-`, `+`, `1.`, `1)`), a thematic break (`---`) or a setext underline (`===`). (`*`, `_`, `~`,
 * backticks and `>` are escaped everywhere already.)
 */
function escapeLeadingBlockMarker(text: string): string {
  return text
    .replace(/^(\d{1,9})([.)])(?= |$)/, '$1\\$2')
    .replace(/^(?:#|[-+](?= |$)|[-=](?=[-= ]*$))/, (c) => `\\${c}`)
}

/**
 * Untrusted text for inline Markdown (a table cell, a heading, a list item): one line, at most
 * `max` characters, no HTML, no Markdown syntax (so no links, images, emphasis, table breaks or
 * blocks), no mentions, no issue references.
 */
export function markdownInline(text: string, max = 200): string {
  const escaped = escapeHtml(oneLine(text, max)).replace(/[\\`*_[\]|~!]/g, (c) => `\\${c}`)
  return neutralizeReferences(
    neutralizeMentions(neutralizeLinks(escapeLeadingBlockMarker(escaped)))
  )
}

/**
 * Untrusted text inside raw HTML of a comment (a `<summary>`), where Markdown is not parsed, so
 * backslash escapes would show: HTML-escaped only, one line, no mentions, references or links.
 */
export function htmlInline(text: string, max = 200): string {
  return neutralizeReferences(neutralizeMentions(neutralizeLinks(escapeHtml(oneLine(text, max)))))
}

/** The longest run of `char` in `text`. */
function longestRun(text: string, char: string): number {
  let longest = 0
  let current = 0
  for (const c of text) {
    current = c === char ? current + 1 : 0
    if (current > longest) longest = current
  }
  return longest
}

/**
 * Untrusted multi-line text as a fenced code block whose fence is longer than any backtick run
 * inside, so no line of the text can close it. Inside a code block GitHub renders no HTML,
 * mentions or references; they are neutralised anyway, in case the block is ever cut or quoted
 * outside its fence.
 */
export function codeBlock(text: string, info = 'text'): string {
  const clean = neutralizeReferences(neutralizeMentions(stripControl(text)))
  const fence = '`'.repeat(Math.max(3, longestRun(clean, '`') + 1))
  return `${fence}${info}\n${clean}${clean.endsWith('\n') ? '' : '\n'}${fence}`
}

/**
 * Characters XML 1.0 cannot carry at all (even escaped): controls other than tab, newline and
 * carriage return, lone surrogates, U+FFFE and U+FFFF.
 */
const XML_INVALID =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/** Text for XML element content. */
export function escapeXml(text: string): string {
  return text
    .replace(XML_INVALID, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

/**
 * Text for an XML attribute value: tab and line breaks as character references, since a parser
 * reads them as spaces when written as they are.
 */
export function escapeXmlAttribute(text: string): string {
  return escapeXml(text).replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** Untrusted text for one terminal line: no escape sequences, no line breaks. */
export function terminalLine(text: string, max = 120): string {
  return oneLine(text, max)
}
