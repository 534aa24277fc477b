/** Code points rather than UTF-16 units, so an emoji or accented letter counts as one edit. */
function codePoints(text: string): number[] {
  return Array.from(text, (char) => char.codePointAt(0) as number)
}

/**
 * Edit distance (insertions, deletions, substitutions) between two strings, counted in Unicode
 * code points. O(n·m) time; memory for one row of the shorter string after the common prefix and
 * suffix are stripped.
 */
export function levenshtein(a: string, b: string): number {
  const left = codePoints(a)
  const right = codePoints(b)

  // A shared prefix or suffix never changes the distance; LLM outputs often share long ones.
  let start = 0
  while (start < left.length && start < right.length && left[start] === right[start]) start++
  let leftEnd = left.length
  let rightEnd = right.length
  while (leftEnd > start && rightEnd > start && left[leftEnd - 1] === right[rightEnd - 1]) {
    leftEnd--
    rightEnd--
  }

  const leftCore = left.slice(start, leftEnd)
  const rightCore = right.slice(start, rightEnd)
  const [longer, shorter] =
    leftCore.length >= rightCore.length ? [leftCore, rightCore] : [rightCore, leftCore]
  if (shorter.length === 0) return longer.length

  // row[j] = distance between the first i code points of `longer` and the first j of `shorter`.
  // Indices below stay within bounds by construction, hence the non-null assertions.
  const row = new Uint32Array(shorter.length + 1)
  for (let j = 0; j <= shorter.length; j++) row[j] = j
  for (let i = 0; i < longer.length; i++) {
    let diagonal = row[0]!
    row[0] = i + 1
    for (let j = 0; j < shorter.length; j++) {
      const above = row[j + 1]!
      const substitution = diagonal + (longer[i] === shorter[j] ? 0 : 1)
      row[j + 1] = Math.min(above + 1, row[j]! + 1, substitution)
      diagonal = above
    }
  }
  return row[shorter.length]!
}

/** 1 − levenshtein / length of the longer string (in code points); 1 for two empty strings. */
export function similarity(a: string, b: string): number {
  const longest = Math.max(codePoints(a).length, codePoints(b).length)
  return longest === 0 ? 1 : 1 - levenshtein(a, b) / longest
}
