import type { ScorerOutcome } from '../results/types.js'

export interface ScoreInput {
  output: string
  vars: Record<string, unknown>
  caseId: string
}

/** A scorer returns a score in [0, 1] and pass/fail; throwing marks the case errored. */
export interface Scorer {
  readonly name: string
  readonly type: string
  readonly weight: number
  score(input: ScoreInput): Promise<Omit<ScorerOutcome, 'scorer'>> | Omit<ScorerOutcome, 'scorer'>
}
