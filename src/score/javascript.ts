import { raceAbort } from '../providers/abort.js'
import { durationText } from '../spec/duration.js'
import type { JavascriptScorerSpec } from '../spec/types.js'
import { ScorerConfigProblem } from './errors.js'
import type { Outcome, ScoreFunction } from './outcome.js'
import { truncate } from './reason.js'

/** What a javascript scorer function receives. `vars` is a copy: changing it affects nothing. */
export interface JavascriptScorerInput {
  output: string
  vars: Record<string, unknown>
  caseId: string
}

/** The second argument of a javascript scorer function. */
export interface JavascriptScorerContext {
  /** Aborts when the scorer runs out of time or the run is cancelled: its result is not awaited then. */
  signal: AbortSignal
}

/** What a javascript scorer function may return (or resolve to). */
export type JavascriptScorerResult =
  number | boolean | { score: number; pass?: boolean; reason?: string }

/** A bare number (or an object without `pass`) passes at this score or above. */
export const JAVASCRIPT_PASS_SCORE = 0.5

const SIGNATURE =
  '(input: { output, vars, caseId }, { signal }) => number | boolean | { score, pass?, reason? }'

function checkScore(score: unknown): number {
  if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 1) {
    const given = typeof score === 'number' ? String(score) : describeValue(score)
    throw new Error(`returned score ${given}; a score must be a number between 0 and 1`)
  }
  return score
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `${typeof value} ${truncate(String(value), 40)}`
}

/**
 * Turns what the function returned into an outcome:
 * - `true` / `false` → score 1 / 0, pass as given;
 * - a number in [0, 1] → that score, pass when it is ≥ 0.5;
 * - `{ score, pass?, reason? }` → as given; `pass` defaults to score ≥ 0.5 like a bare number.
 * Anything else, or a score outside [0, 1], is an error (the case is marked errored).
 */
export function toOutcome(returned: unknown): Outcome {
  if (typeof returned === 'boolean') {
    return returned ? { score: 1, pass: true } : { score: 0, pass: false, reason: 'returned false' }
  }
  if (typeof returned === 'number') {
    const score = checkScore(returned)
    return score >= JAVASCRIPT_PASS_SCORE
      ? { score, pass: true }
      : { score, pass: false, reason: `returned ${score} (< ${JAVASCRIPT_PASS_SCORE})` }
  }
  if (typeof returned === 'object' && returned !== null && !Array.isArray(returned)) {
    const { score, pass, reason } = returned as Record<string, unknown>
    const checked = checkScore(score)
    if (pass !== undefined && typeof pass !== 'boolean') {
      throw new Error(`returned pass ${describeValue(pass)}; pass must be true or false`)
    }
    if (reason !== undefined && typeof reason !== 'string') {
      throw new Error(`returned reason ${describeValue(reason)}; reason must be a string`)
    }
    const outcome: Outcome = { score: checked, pass: pass ?? checked >= JAVASCRIPT_PASS_SCORE }
    if (reason !== undefined && reason !== '') outcome.reason = truncate(reason)
    // A failure says why, as a bare score's does, when the function gave no reason.
    else if (!outcome.pass) outcome.reason = `returned score ${checked} without a reason`
    return outcome
  }
  throw new Error(`returned ${describeValue(returned)}; expected ${SIGNATURE}`)
}

/**
 * javascript: calls the user's exported function (already loaded by the caller's loader) with
 * `{ output, vars, caseId }` and `{ signal }`; it may be async. See toOutcome for how its result
 * is read. A result that has not come within `timeoutMs` (the suite's `timeout`) is an error.
 */
export function javascriptScorer(
  spec: JavascriptScorerSpec,
  exported: unknown,
  timeoutMs: number
): ScoreFunction {
  if (typeof exported !== 'function') {
    throw new ScorerConfigProblem(
      'export',
      `export "${spec.export}" of ${spec.path} is not a function (it is ${describeValue(exported)})`,
      `export a function ${SIGNATURE}`
    )
  }
  const scorerFunction = exported as (
    input: JavascriptScorerInput,
    context: JavascriptScorerContext
  ) => unknown
  const timedOut = `no result within the suite's timeout of ${durationText(timeoutMs)}`
  return async ({ output, vars, caseId, signal }) => {
    const limit = new AbortController()
    // A ref'd timer: it also keeps the process alive while the scorer awaits something that
    // nothing else keeps alive, so the limit always comes.
    const timer = setTimeout(() => limit.abort(new Error(timedOut)), timeoutMs)
    const scorerSignal = signal ? AbortSignal.any([signal, limit.signal]) : limit.signal
    try {
      // A copy, so a scorer that mutates vars cannot change what later scorers or cases see.
      const returned = scorerFunction(
        { output, vars: structuredClone(vars), caseId },
        { signal: scorerSignal }
      )
      // A scorer that ignores its signal cannot hold the case, and with it the run, forever.
      const settled = raceAbort(Promise.resolve(returned), scorerSignal, (s) => s.reason)
      return toOutcome(await settled)
    } finally {
      clearTimeout(timer)
    }
  }
}
