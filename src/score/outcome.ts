import type { ScoreInput, ScorerResult } from './types.js'

/** What one scorer says about one output; scoreOutput adds the scorer's name. */
export type Outcome = ScorerResult

/** Scores one output synchronously or not; throwing marks the case errored. */
export type ScoreFunction = (input: ScoreInput) => Outcome | Promise<Outcome>

export const PASSED: Outcome = Object.freeze({ score: 1, pass: true })

export function failed(reason: string): Outcome {
  return { score: 0, pass: false, reason }
}
