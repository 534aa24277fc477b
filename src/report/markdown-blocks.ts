/**
 * What a Markdown text cut short leaves open, so a note after the cut renders as Markdown rather
 * than inside a code block or a collapsed `<details>`.
 */

/**
 * What is still open at the end of `markdown`: the code fence (as the line that closes it) and
 * how many `<details>` blocks. A fence closes only on a line of at least its own length of its
 * own character, so shorter fences quoted inside it do not count.
 */
function openBlocks(markdown: string): { fence: string | undefined; details: number } {
  let fence: string | undefined
  let details = 0
  for (const line of markdown.split('\n')) {
    if (fence !== undefined) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line)?.[1]
      if (close && close[0] === fence[0] && close.length >= fence.length) fence = undefined
      continue
    }
    // A backtick fence's info string has no backtick: "```x```" is inline code, not a fence.
    const open = /^ {0,3}(`{3,}(?=[^`]*$)|~{3,})/.exec(line)?.[1]
    if (open) {
      fence = open
      continue
    }
    details +=
      (line.match(/<details[\s>]/gi)?.length ?? 0) - (line.match(/<\/details>/gi)?.length ?? 0)
    details = Math.max(0, details)
  }
  return { fence, details }
}

/** The text that closes what `markdown` leaves open, so what follows it renders as Markdown. */
export function closingOf(markdown: string): string {
  const { fence, details } = openBlocks(markdown)
  return (fence === undefined ? '' : `\n${fence}`) + '\n\n</details>'.repeat(details)
}
