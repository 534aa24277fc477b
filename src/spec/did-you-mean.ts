import { levenshtein } from '../score/levenshtein.js'

/** The candidate closest to `word` by edit distance, when it is close enough to be a typo. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const distance = levenshtein(word.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  // Up to a third of the word may be wrong (at least 2 edits), and never the whole word.
  const tolerated = Math.max(2, Math.floor(word.length / 3))
  return bestDistance <= tolerated && bestDistance < word.length ? best : undefined
}

/** `did you mean \`x\`?` when a candidate is close, else the whole list. */
export function suggestOrList(
  word: string,
  candidates: readonly string[],
  listName: string
): string {
  const match = closestMatch(word, candidates)
  return match === undefined
    ? `${listName}: ${candidates.join(', ')}`
    : `did you mean \`${match}\`?`
}

/** The whole list, after `did you mean \`x\`?` when a candidate is close. */
export function suggestAndList(
  word: string,
  candidates: readonly string[],
  listName: string
): string {
  const match = closestMatch(word, candidates)
  const list = `${listName}: ${candidates.join(', ')}`
  return match === undefined ? list : `did you mean \`${match}\`? ${list}`
}
