import { annotateRegressions } from '../../src/github/annotations.js'
import type { ActionIO } from '../../src/github/io.js'
import { compareRuns } from '../../src/compare/index.js'
import { errored, runPair, scored } from '../compare/build.js'

/** The annotations and log lines a step would show, as the runner's `@actions/core` writes them. */
function recordingIO(): { io: ActionIO; annotations: string[]; infos: string[] } {
  const annotations: string[] = []
  const infos: string[] = []
  const io: ActionIO = {
    info: (message) => infos.push(message),
    warning: () => undefined,
    annotate: (message, { file, line, level }) =>
      annotations.push(`${level} ${file}:${line ?? ''} ${message}`),
    setOutput: () => undefined,
    writeSummary: async () => undefined
  }
  return { io, annotations, infos }
}

describe('annotateRegressions', () => {
  it('shows the digits that tell a flipped case’s scores apart', async () => {
    // A quarter of the cases fall from 1 to 0.999 and fail: a regression whose scores round alike.
    const { base, head } = runPair(
      { cases: 200, answer: () => scored(1) },
      { cases: 200, answer: (i) => (i % 4 === 0 ? scored(0.999, { pass: false }) : scored(1)) }
    )
    const comparison = compareRuns(base, head, { seed: 'f'.repeat(40) })
    expect(comparison.verdict).toBe('regression')
    const { io, annotations } = recordingIO()
    await annotateRegressions(comparison, 'error', io, { cwd: '/nonexistent', specs: ['evals'] })
    expect(annotations[0]).toBe(
      'error evals/cases.jsonl:1 case case-0 now fails (score 1.00 → 0.999)'
    )
  })

  it('annotates a pass rate that repeats the score when its own floor broke', async () => {
    // Unchanged runs, no case flipped: each floor is annotated as a metric, the pass rate's too.
    const gate = { score: { min: 0.9 }, 'pass-rate': { min: 0.8889 } }
    const build = {
      cases: 30,
      gate,
      answer: (i: number) => (i < 3 ? errored('provider:module') : scored(i < 6 ? 0 : 1))
    }
    const { base, head } = runPair(build, build)
    const comparison = compareRuns(base, head, { seed: 'f'.repeat(40) })
    const { io, annotations } = recordingIO()
    await annotateRegressions(comparison, 'error', io, { cwd: '/nonexistent', specs: ['evals'] })
    expect(annotations).toEqual([
      'error evals/triage.eval.yaml: mean score broke its limit: mean score 88.9% is below the floor 90.0%',
      'error evals/triage.eval.yaml: pass rate broke its limit: pass rate 88.889% is below the floor 88.890%'
    ])
  })

  it('says where the cases it did not annotate are: the largest in the comparison file', async () => {
    // 300 cases fail: the comparison keeps the 100 largest changes, the results every answer.
    const { base, head } = runPair(
      { cases: 400, answer: () => scored(1) },
      { cases: 400, answer: (i) => scored(i < 300 ? 0 : 1) }
    )
    const { io, infos } = recordingIO()
    await annotateRegressions(compareRuns(base, head, { seed: 's' }), 'error', io, {
      cwd: '/nonexistent',
      specs: ['evals']
    })
    expect(infos).toEqual([
      'evalgate: cases that now fail but are not annotated (GitHub shows 10 error annotations per step): 291 more; the comparison file lists the 100 largest changes of each suite × provider, the results file every answer'
    ])
  })
})
