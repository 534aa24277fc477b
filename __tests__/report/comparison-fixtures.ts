import { compareRuns } from '../../src/compare/index.js'
import type { Comparison } from '../../src/compare/index.js'
import type { RunResult } from '../../src/results/types.js'
import { runPair, scored } from '../compare/build.js'

/** Renames case `case-<i>` to `rename(i)` in both runs (ids are untrusted text too). */
function renameCases(run: RunResult, rename: (i: number) => string): void {
  for (const suite of run.suites) {
    const id = (old: string) => rename(Number(old.slice('case-'.length)))
    for (const r of suite.results) r.caseId = id(r.caseId)
    for (const c of suite.cases) c.id = id(c.id)
  }
}

/**
 * `flipped` of `cases` cases go from pass to fail; every output is `output(i, side)`.
 */
export function regression(options: {
  cases: number
  flipped: number
  output?: (i: number, side: 'base' | 'head') => string
  caseId?: (i: number) => string
  suite?: string
}): Comparison {
  const output = options.output ?? ((i, side) => `${side} answer ${i}`)
  const { base, head } = runPair(
    {
      suite: options.suite ?? 'triage',
      cases: options.cases,
      answer: (i) => scored(1, { output: output(i, 'base') })
    },
    {
      suite: options.suite ?? 'triage',
      cases: options.cases,
      answer: (i) =>
        i < options.flipped
          ? scored(0, {
              output: output(i, 'head'),
              scores: [
                { scorer: 'equals', score: 0, pass: false, reason: 'expected <b>billing</b> @team' }
              ]
            })
          : scored(1, { output: output(i, 'head') })
    }
  )
  if (options.caseId) {
    renameCases(base, options.caseId)
    renameCases(head, options.caseId)
  }
  return compareRuns(base, head, { seed: 'f'.repeat(40) })
}
