export {
  closeScorers,
  createScorers,
  type CreateScorersOptions,
  type ModuleLoader
} from './create.js'
export { scoreOutput, type CaseScore } from './score-output.js'
export { levenshtein, similarity } from './levenshtein.js'
export { InvalidVerdictError, JudgeCallError, ScorerFailure } from './errors.js'
export {
  JAVASCRIPT_PASS_SCORE,
  type JavascriptScorerContext,
  type JavascriptScorerInput,
  type JavascriptScorerResult
} from './javascript.js'
export {
  JUDGEMENT_RESPONSE_FORMAT,
  parseJudgement,
  type Judge,
  type JudgeFactory,
  type Judgement
} from './llm-judge.js'
export type { Scorer, ScoreInput, ScorerResult, ScorerUsage } from './types.js'
