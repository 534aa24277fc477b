import { EvalgateError, InputError } from '../../src/errors.js'
import { createScorers, scoreOutput, ScorerFailure } from '../../src/score/index.js'
import type { Scorer } from '../../src/score/index.js'
import { noModules, spec } from './helpers.js'

const input = { output: 'billing', vars: { queue: 'billing' }, caseId: 'case-1' }

/** A scorer that returns `outcome` as is, valid or not. */
function fixedScorer(name: string, weight: number, outcome: unknown): Scorer {
  return { name, type: 'fixed', weight, score: () => outcome as ReturnType<Scorer['score']> }
}

describe('scoreOutput', () => {
  it('weights the mean: weights 2 and 1 with scores 1 and 0 give 0.6667, pass false', async () => {
    const scorers = await createScorers(
      [
        spec({ type: 'equals', expected: '{{queue}}', ignoreCase: false, trim: true, weight: 2 }),
        spec({ type: 'contains', value: 'refund', weight: 1 })
      ],
      noModules
    )
    const result = await scoreOutput(scorers, input)
    expect(result.score).toBeCloseTo(0.6667, 4)
    expect(result.pass).toBe(false)
    expect(result.scores).toEqual([
      { scorer: 'equals', score: 1, pass: true },
      {
        scorer: 'contains',
        score: 0,
        pass: false,
        reason: 'output does not contain "refund": "billing"'
      }
    ])
  })

  it('passes only when every scorer passes, averaging fractional scores', async () => {
    const allPass = await scoreOutput(
      [
        fixedScorer('a', 1, { score: 1, pass: true }),
        fixedScorer('b', 3, { score: 0.6, pass: true })
      ],
      input
    )
    expect(allPass.score).toBeCloseTo((1 + 3 * 0.6) / 4, 10)
    expect(allPass.pass).toBe(true)
  })

  it('lets a weight-0 scorer decide pass without moving the score', async () => {
    const result = await scoreOutput(
      [
        fixedScorer('counted', 1, { score: 1, pass: true }),
        fixedScorer('gate', 0, { score: 0, pass: false })
      ],
      input
    )
    expect(result).toMatchObject({ score: 1, pass: false })
  })

  it('rejects with ScorerFailure naming the scorer that throws, the others notwithstanding', async () => {
    const throwing: Scorer = {
      name: 'flaky-check',
      type: 'custom',
      weight: 1,
      score: () => {
        throw new Error('socket closed')
      }
    }
    const error: unknown = await scoreOutput(
      [fixedScorer('ok', 1, { score: 1, pass: true }), throwing],
      input
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ScorerFailure)
    expect(error).toBeInstanceOf(EvalgateError)
    expect((error as ScorerFailure).scorer).toBe('flaky-check')
    expect((error as ScorerFailure).message).toBe('scorer "flaky-check" failed: socket closed')
  })

  it('reports the first failing scorer in order, whichever settles first', async () => {
    const slowFailure: Scorer = {
      name: 'slow',
      type: 'custom',
      weight: 1,
      score: () => new Promise((_resolve, reject) => setImmediate(() => reject(new Error('late'))))
    }
    const fastFailure: Scorer = {
      name: 'fast',
      type: 'custom',
      weight: 1,
      score: () => Promise.reject(new Error('early'))
    }
    await expect(scoreOutput([slowFailure, fastFailure], input)).rejects.toThrow(
      'scorer "slow" failed: late'
    )
  })

  it.each([
    [
      'a score above 1',
      { score: 1.2, pass: true },
      'returned score 1.2, not a number between 0 and 1'
    ],
    ['a NaN score', { score: Number.NaN, pass: false }, 'returned score NaN'],
    ['no pass', { score: 1 }, 'returned pass undefined, not true or false'],
    ['nothing', undefined, 'returned score undefined']
  ])('rejects a scorer that returns %s', async (_label, returned, message) => {
    await expect(scoreOutput([fixedScorer('odd', 1, returned)], input)).rejects.toThrow(
      `scorer "odd" failed: ${message}`
    )
  })
})

describe('createScorers', () => {
  it('reports every bad scorer at once, each at its path', async () => {
    const error: unknown = await createScorers(
      [
        spec({ type: 'regex', pattern: '[', flags: '' }),
        spec({ type: 'json-valid' }),
        spec({ type: 'similarity', expected: 'x', threshold: 2 }),
        spec({ type: 'json-valid', name: 'heavy', weight: -1 })
      ],
      noModules
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InputError)
    const { diagnostics, exitCode, message } = error as InputError
    expect(exitCode).toBe(2)
    expect(diagnostics.map((d) => d.path)).toEqual([
      'scorers[0].pattern',
      'scorers[2].threshold',
      'scorers[3].weight'
    ])
    expect(message.split('\n')[0]).toBe('3 invalid scorers:')
    expect(message).toContain(
      'evals/triage.eval.yaml:12:5: scorers[3].weight: scorer "heavy": weight must be'
    )
  })

  it('rejects scorers whose weights are all 0', async () => {
    await expect(
      createScorers([spec({ type: 'json-valid', weight: 0 })], noModules)
    ).rejects.toBeInstanceOf(InputError)
  })

  it('rejects an empty list of scorers', async () => {
    await expect(createScorers([], noModules)).rejects.toThrow('a suite needs at least one scorer')
  })

  it('keeps name, type and weight of each scorer', async () => {
    const scorers = await createScorers(
      [spec({ type: 'icontains', name: 'mentions-queue', value: 'q', weight: 3 })],
      noModules
    )
    expect(scorers.map(({ name, type, weight }) => ({ name, type, weight }))).toEqual([
      { name: 'mentions-queue', type: 'icontains', weight: 3 }
    ])
  })
})
