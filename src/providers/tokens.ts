import type { TokenUsage } from '../results/types.js'

/** The most tokens one answer may report: the RunResult schema's bound, far above any model's. */
export const MAX_TOKENS = 1e12

const FIELDS = ['input', 'output', 'cachedInput', 'reasoning'] as const

/**
 * Why `tokens` (as a provider reported them, or as a cache entry holds them) are not counts a
 * RunResult can hold — each a number from 0 to MAX_TOKENS, `input` and `output` given — or
 * undefined when they are.
 */
export function tokenCountProblem(tokens: unknown): string | undefined {
  if (tokens === null || typeof tokens !== 'object') return 'token counts that are not an object'
  const counts = tokens as Record<string, unknown>
  for (const field of FIELDS) {
    const count = counts[field]
    if (count === undefined && (field === 'cachedInput' || field === 'reasoning')) continue
    if (typeof count !== 'number' || !(count >= 0 && count <= MAX_TOKENS)) {
      return `${String(count).slice(0, 40)} ${field} tokens; a token count is a number from 0 to ${MAX_TOKENS.toExponential()}`
    }
  }
  return undefined
}

/** The counts a RunResult records, without whatever else a provider sent along (`total`). */
export function recordedTokens(tokens: TokenUsage): TokenUsage {
  return {
    input: tokens.input,
    output: tokens.output,
    ...(tokens.cachedInput !== undefined ? { cachedInput: tokens.cachedInput } : {}),
    ...(tokens.reasoning !== undefined ? { reasoning: tokens.reasoning } : {})
  }
}
