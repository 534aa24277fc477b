export { createScorers, type ModuleLoader } from './create.js'
export { scoreOutput, type CaseScore } from './score-output.js'
export { levenshtein, similarity } from './levenshtein.js'
export { ScorerFailure } from './errors.js'
export {
  JAVASCRIPT_PASS_SCORE,
  type JavascriptScorerInput,
  type JavascriptScorerResult
} from './javascript.js'
export type { Scorer, ScoreInput } from './types.js'
