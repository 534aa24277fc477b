/** Reasons end up in PR comments and terminals: keep each one short. */
export const MAX_REASON_LENGTH = 200
const MAX_QUOTED_LENGTH = 80

export function truncate(text: string, max = MAX_REASON_LENGTH): string {
  const codePoints = Array.from(text)
  return codePoints.length <= max ? text : codePoints.slice(0, max - 1).join('') + '…'
}

/**
 * Characters a reader cannot see or tell apart from a neighbour: no-break and zero-width spaces,
 * directional marks, a byte order mark, combining accents (an `e` + U+0301 looks like `é`).
 */
function isUnseen(codePoint: number): boolean {
  return (
    codePoint === 0xa0 ||
    codePoint === 0xfeff ||
    (codePoint >= 0x300 && codePoint <= 0x36f) ||
    (codePoint >= 0x2000 && codePoint <= 0x200f) ||
    (codePoint >= 0x2028 && codePoint <= 0x202f) ||
    (codePoint >= 0x205f && codePoint <= 0x206f)
  )
}

/**
 * A value as a JSON string literal (so newlines, quotes and unseen characters stay visible, the
 * latter as \uXXXX), cut to fit in a reason; `from` starts it at a code point, after a `…`.
 */
export function quote(text: string, from = 0): string {
  const shown = from > 0 ? `…${Array.from(text).slice(from).join('')}` : text
  return Array.from(JSON.stringify(truncate(shown, MAX_QUOTED_LENGTH)), (c) => {
    const codePoint = c.codePointAt(0) ?? 0
    return isUnseen(codePoint) ? `\\u${codePoint.toString(16).padStart(4, '0')}` : c
  }).join('')
}

/** One text's code points as `fold` writes each, and the code point of the text each came from. */
function folded(
  text: string,
  fold: (codePoint: string) => string
): { at: number[]; forms: string[] } {
  const at: number[] = []
  const forms: string[] = []
  Array.from(text).forEach((codePoint, index) => {
    for (const form of fold(codePoint)) {
      at.push(index)
      forms.push(form)
    }
  })
  return { at, forms }
}

/**
 * Where to start quoting each of two texts that should be equal, so that a reason shows where
 * they first differ: a code point a little before the difference when quoting from the start
 * would cut it off, else 0. They are compared as `fold` writes each code point (case folding may
 * write one as two, `ß` as `ss`), and each start is a code point of its own text.
 */
export function quoteStartsForDifference(
  a: string,
  b: string,
  fold: (codePoint: string) => string = (codePoint) => codePoint
): [number, number] {
  const x = folded(a, fold)
  const y = folded(b, fold)
  let first = 0
  while (first < x.forms.length && first < y.forms.length && x.forms[first] === y.forms[first]) {
    first++
  }
  const start = (text: string, { at }: { at: number[] }): number => {
    const differsAt = at[first] ?? Array.from(text).length
    return differsAt < MAX_QUOTED_LENGTH - 20 ? 0 : differsAt - 20
  }
  return [start(a, x), start(b, y)]
}
