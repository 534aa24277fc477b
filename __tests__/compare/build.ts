import type { CaseResult, RunResult, SuiteResult } from '../../src/results/types.js'
import type { GateSpec } from '../../src/spec/types.js'

/** What a test says about one answer; everything else gets a plausible default. */
export type AnswerSpec = Partial<CaseResult> & { score?: number | null }

export interface SuiteBuild {
  suite?: string
  providers?: string[]
  cases: number
  /** Case ids `case-<index>`; `firstCase` shifts the range (for added/removed cases). */
  firstCase?: number
  repeats?: number
  gate?: GateSpec
  scorersFingerprint?: string
  cluster?: (caseIndex: number) => string | undefined
  /** The answer of case `caseIndex`, repeat `repeat`, provider `providerId`. */
  answer: (caseIndex: number, repeat: number, providerId: string) => AnswerSpec
}

/** A scored answer: score 1 passes unless `pass` says otherwise. */
export function scored(score: number, extra: AnswerSpec = {}): AnswerSpec {
  return { score, pass: extra.pass ?? score === 1, ...extra }
}

export function errored(kind: string, message = 'failed'): AnswerSpec {
  return { score: null, pass: null, output: null, latencyMs: null, error: { kind, message } }
}

function caseResult(
  caseId: string,
  providerId: string,
  repeat: number,
  spec: AnswerSpec
): CaseResult {
  const score = spec.score === undefined ? 1 : spec.score
  const pass = spec.pass === undefined ? (score === null ? null : score === 1) : spec.pass
  return {
    caseId,
    providerId,
    repeat,
    output: score === null ? null : 'output',
    score,
    pass,
    scores:
      score === null
        ? []
        : [
            {
              scorer: 'equals',
              score,
              pass: pass ?? false,
              ...(pass ? {} : { reason: 'mismatch' })
            }
          ],
    latencyMs: score === null ? null : 100,
    attempts: 1,
    cached: false,
    ...spec
  }
}

export function buildSuite(build: SuiteBuild): SuiteResult {
  const providers = build.providers ?? ['bot']
  const repeats = build.repeats ?? 1
  const first = build.firstCase ?? 0
  const indices = Array.from({ length: build.cases }, (_, i) => first + i)
  const results: CaseResult[] = []
  for (const providerId of providers) {
    for (const i of indices) {
      for (let r = 0; r < repeats; r++) {
        results.push(caseResult(`case-${i}`, providerId, r, build.answer(i, r, providerId)))
      }
    }
  }
  return {
    suite: build.suite ?? 'triage',
    file: 'evals/triage.eval.yaml',
    fingerprint: 'suite-fp',
    casesFingerprint: 'cases-fp',
    scorersFingerprint: build.scorersFingerprint ?? 'scorers-fp',
    repeats,
    minPassRate: 0,
    gate: build.gate ?? {},
    providers: providers.map((id) => ({ id, type: 'module', configFingerprint: `config-${id}` })),
    scorers: [{ name: 'equals', type: 'equals', weight: 1 }],
    cases: indices.map((i) => {
      const cluster = build.cluster?.(i)
      return {
        id: `case-${i}`,
        source: `evals/cases.jsonl:${i + 1}`,
        ...(cluster !== undefined ? { cluster } : {})
      }
    }),
    results
  }
}

export function buildRun(
  suites: SuiteResult[],
  commit = 'c0ffee0000000000000000000000000000000000'
): RunResult {
  return {
    schemaVersion: 1,
    tool: { name: 'evalgate', version: '0.1.0' },
    run: {
      id: `run-${commit.slice(0, 7)}`,
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: '2025-01-01T00:10:00.000Z',
      complete: true,
      commit,
      ref: 'refs/heads/main'
    },
    suites
  }
}

/** A base and a head run of one suite. */
export function runPair(base: SuiteBuild, head: SuiteBuild): { base: RunResult; head: RunResult } {
  return {
    base: buildRun([buildSuite(base)], 'b'.repeat(40)),
    head: buildRun([buildSuite(head)], 'a'.repeat(40))
  }
}

/** A deterministic pseudo-random stream for building data (not the code under test's rng). */
export function lcg(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 4294967296
  }
}
