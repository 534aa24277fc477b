import { annotateRegressions } from '../../src/github/annotations.js'
import type { ActionIO } from '../../src/github/io.js'
import { compareRuns } from '../../src/compare/index.js'
import { runPair, scored } from '../compare/build.js'

/** The annotations and log lines a step would show, as the runner's `@actions/core` writes them. */
function recordingIO(): { io: ActionIO; annotations: string[] } {
  const annotations: string[] = []
  const io: ActionIO = {
    info: () => undefined,
    warning: () => undefined,
    annotate: (message, { file, line, level }) =>
      annotations.push(`${level} ${file}:${line ?? ''} ${message}`),
    setOutput: () => undefined,
    writeSummary: async () => undefined
  }
  return { io, annotations }
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
    await annotateRegressions(comparison, 'error', io, '/nonexistent')
    expect(annotations[0]).toBe(
      'error evals/cases.jsonl:1 case case-0 now fails (score 1.00 → 0.999)'
    )
  })
})
