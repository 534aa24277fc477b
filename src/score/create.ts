import { EvalgateError, InputError, errorMessage, type Diagnostic } from '../errors.js'
import type { LlmJudgeScorerSpec, ScorerSpec } from '../spec/types.js'
import { ScorerConfigProblem } from './errors.js'
import { javascriptScorer } from './javascript.js'
import { jsonSchemaScorer, jsonValidScorer } from './json.js'
import { createLlmJudgeScorer, type JudgeFactory } from './llm-judge.js'
import type { ScoreFunction } from './outcome.js'
import { sharedRegexMatcher } from './regex-matcher.js'
import {
  containsScorer,
  equalsScorer,
  numericScorer,
  regexScorer,
  similarityScorer
} from './text.js'
import type { Scorer } from './types.js'

/** Loads a JS module export (the javascript scorer's I/O is injected so score/ stays pure and testable). */
export type ModuleLoader = (absolutePath: string, exportName: string) => Promise<unknown>

/** A suite's `timeout` when it sets none. */
const DEFAULT_TIMEOUT_MS = 60_000

export interface CreateScorersOptions {
  /**
   * How long a javascript or regex scorer may take to score one output: the run passes the suite's
   * `timeout`; 60 s (its default) when not given.
   */
  timeoutMs?: number
  /** Builds an llm-judge's judge (the run passes `runJudges`); without it, an llm-judge is an error. */
  createJudge?: JudgeFactory
}

async function scoreFunction(
  spec: Exclude<ScorerSpec, LlmJudgeScorerSpec>,
  loadModule: ModuleLoader,
  options: CreateScorersOptions
): Promise<ScoreFunction> {
  switch (spec.type) {
    case 'equals':
      return equalsScorer(spec)
    case 'contains':
    case 'icontains':
    case 'starts-with':
      return containsScorer(spec)
    case 'regex':
      return regexScorer(spec, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, sharedRegexMatcher)
    case 'json-valid':
      return jsonValidScorer()
    case 'json-schema':
      return jsonSchemaScorer(spec)
    case 'numeric':
      return numericScorer(spec)
    case 'similarity':
      return similarityScorer(spec)
    case 'javascript': {
      let exported: unknown
      try {
        exported = await loadModule(spec.path, spec.export)
      } catch (error) {
        throw new ScorerConfigProblem('path', `cannot load ${spec.path}: ${errorMessage(error)}`)
      }
      return javascriptScorer(spec, exported, options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
    }
  }
}

function checkWeight(spec: ScorerSpec): void {
  if (!Number.isFinite(spec.weight) || spec.weight < 0) {
    throw new ScorerConfigProblem('weight', `weight must be a number ≥ 0, got ${spec.weight}`)
  }
}

async function createScorer(
  spec: ScorerSpec,
  loadModule: ModuleLoader,
  options: CreateScorersOptions
): Promise<Scorer> {
  checkWeight(spec)
  if (spec.type === 'llm-judge') return createLlmJudgeScorer(spec, options.createJudge)
  const score = await scoreFunction(spec, loadModule, options)
  const scorer = { name: spec.name, type: spec.type, weight: spec.weight, score }
  if (spec.type !== 'regex') return scorer
  // Its matching thread is shared, and stops once the last regex scorer is closed.
  sharedRegexMatcher.acquire()
  return { ...scorer, close: () => sharedRegexMatcher.release() }
}

/** Closes what the scorers hold open (llm-judge providers, the regex thread); call once the suite is scored. */
export async function closeScorers(scorers: readonly Scorer[]): Promise<void> {
  await Promise.all(scorers.map((scorer) => scorer.close?.()))
}

/**
 * Builds the scorers of a suite, failing fast on bad configuration: every problem (a regex that
 * does not compile, an invalid JSON Schema, a javascript export that is not a function…) is
 * reported at once in one InputError, each at the scorer's source location with the path
 * `scorers[i].field`, `i` being the scorer's position in `specs`. An llm-judge's provider is
 * started here through `options.createJudge`; close the scorers with closeScorers when done.
 */
export async function createScorers(
  specs: readonly ScorerSpec[],
  loadModule: ModuleLoader,
  options: CreateScorersOptions = {}
): Promise<Scorer[]> {
  if (specs.length === 0) throw new EvalgateError('a suite needs at least one scorer', 2)
  const settled = await Promise.allSettled(
    specs.map((spec) => createScorer(spec, loadModule, options))
  )
  const scorers: Scorer[] = []
  const problems: Diagnostic[] = []
  settled.forEach((result, index) => {
    const spec = specs[index] as ScorerSpec
    if (result.status === 'fulfilled') {
      scorers.push(result.value)
      return
    }
    const problem: unknown = result.reason
    const field = problem instanceof ScorerConfigProblem ? problem.field : ''
    const diagnostic: Diagnostic = {
      ...spec.source,
      path: `scorers[${index}]${field ? '.' + field : ''}`,
      message: `scorer "${spec.name}": ${errorMessage(problem)}`
    }
    if (problem instanceof ScorerConfigProblem && problem.hint) diagnostic.hint = problem.hint
    problems.push(diagnostic)
  })
  if (problems.length > 0) {
    await closeScorers(scorers)
    throw new InputError(
      problems,
      `${problems.length} invalid scorer${problems.length === 1 ? '' : 's'}`
    )
  }
  if (!scorers.some((scorer) => scorer.weight > 0)) {
    await closeScorers(scorers)
    throw new InputError(
      specs.map((spec, index) => ({
        ...spec.source,
        path: `scorers[${index}].weight`,
        message: `scorer "${spec.name}": weight 0`
      })),
      'every scorer has weight 0, so no case could get a score'
    )
  }
  return scorers
}
