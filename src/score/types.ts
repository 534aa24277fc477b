import type { ScorerOutcome, TokenUsage } from '../results/types.js'

export interface ScoreInput {
  output: string
  vars: Record<string, unknown>
  caseId: string
  /** Which repeat of the case the output answers: each is judged (and cached) on its own. */
  repeat?: number
  /** The rendered prompt the output answers (messages joined), shown to LLM judges. */
  prompt?: string
  /** The run's signal: aborting it stops a judge's call and its retries. */
  signal?: AbortSignal
}

/** What a scorer spent to score one output (an LLM judge's call), apart from the system under test. */
export interface ScorerUsage {
  tokens?: TokenUsage
  /** USD; null when the price or the token counts are unknown. */
  cost: number | null
  /** The answer came from the cache: its cost was spent by the run that recorded it. */
  cached?: boolean
}

/** What a scorer says about one output; scoreOutput adds the scorer's name. */
export interface ScorerResult extends Omit<ScorerOutcome, 'scorer'> {
  usage?: ScorerUsage
}

/** A scorer returns a score in [0, 1] and pass/fail; throwing marks the case errored. */
export interface Scorer {
  readonly name: string
  readonly type: string
  readonly weight: number
  score(input: ScoreInput): Promise<ScorerResult> | ScorerResult
  /** Releases what the scorer holds open (an LLM judge's provider, the regex matching thread). */
  close?(): Promise<void>
}
