import { RUN_RESULT_VERSION } from '../../src/results/types.js'
import type { RunResult } from '../../src/results/types.js'

/** A small valid RunResult for `commit`, its score chosen so two results differ. */
export function runResult(commit: string, score = 1, suite = 'triage'): RunResult {
  return {
    schemaVersion: RUN_RESULT_VERSION,
    tool: { name: 'evalgate', version: '0.1.0' },
    run: {
      id: `run-${commit}`,
      startedAt: '2026-11-28T10:00:00.000Z',
      finishedAt: '2026-11-28T10:01:00.000Z',
      complete: true,
      commit
    },
    suites: [
      {
        suite,
        file: `evals/${suite}.eval.yaml`,
        fingerprint: 'a',
        casesFingerprint: 'b',
        scorersFingerprint: 'c',
        repeats: 1,
        minPassRate: 1,
        gate: {},
        providers: [{ id: 'p', type: 'module', configFingerprint: 'd' }],
        scorers: [{ name: 'equals', type: 'equals', weight: 1 }],
        cases: [{ id: 'c1', source: `evals/${suite}.eval.yaml:9` }],
        results: [
          {
            caseId: 'c1',
            providerId: 'p',
            repeat: 0,
            output: 'x',
            score,
            pass: score === 1,
            scores: [{ scorer: 'equals', score, pass: score === 1 }],
            latencyMs: 3,
            attempts: 1,
            cached: false
          }
        ]
      }
    ]
  }
}
