import { pathToFileURL } from 'node:url'
import { InputError } from '../../src/errors.js'
import { createScorers, scoreOutput, ScorerFailure } from '../../src/score/index.js'
import type { ScorerOutcome } from '../../src/results/types.js'
import type { Scorer } from '../../src/score/types.js'
import { importLoader, SCORERS_FIXTURE, spec } from './helpers.js'

function javascript(exportName: string) {
  return spec({ type: 'javascript', name: exportName, path: SCORERS_FIXTURE, export: exportName })
}

async function outcome(
  exportName: string,
  output: string,
  vars: Record<string, unknown> = {}
): Promise<ScorerOutcome> {
  const scorers = await createScorers([javascript(exportName)], importLoader)
  const result = await scoreOutput(scorers, { output, vars, caseId: 'case-7' })
  return result.scores[0] as ScorerOutcome
}

/** What scoring one output rejects with. */
function failureOf(scorers: Scorer[]): Promise<unknown> {
  return scoreOutput(scorers, { output: 'x', vars: {}, caseId: 'c' }).catch((e: unknown) => e)
}

describe('javascript scorer loaded from a real module', () => {
  it('reads true / false as 1 / 0', async () => {
    expect(await outcome('default', 'route to billing', { keyword: 'billing' })).toEqual({
      scorer: 'default',
      score: 1,
      pass: true
    })
    expect(await outcome('default', 'route to bug', { keyword: 'billing' })).toEqual({
      scorer: 'default',
      score: 0,
      pass: false,
      reason: 'returned false'
    })
  })

  it('reads a number as the score, passing at 0.5 or above', async () => {
    const vars = { words: ['refund', 'invoice', 'billing', 'card'] }
    expect(await outcome('wordRecall', 'refund the invoice', vars)).toEqual({
      scorer: 'wordRecall',
      score: 0.5,
      pass: true
    })
    expect(await outcome('wordRecall', 'a refund', vars)).toEqual({
      scorer: 'wordRecall',
      score: 0.25,
      pass: false,
      reason: 'returned 0.25 (< 0.5)'
    })
  })

  it('reads an object (from an async function) as given, with its reason', async () => {
    const vars = { words: ['refund', 'invoice'] }
    expect(await outcome('graded', 'refund the invoice', vars)).toEqual({
      scorer: 'graded',
      score: 1,
      pass: true
    })
    expect(await outcome('graded', 'refund it', vars)).toEqual({
      scorer: 'graded',
      score: 0.5,
      pass: false,
      reason: 'case-7: missing invoice'
    })
  })

  it('defaults pass of an object to score ≥ 0.5', async () => {
    expect(await outcome('scoreOnly', 'long enough')).toMatchObject({ score: 0.6, pass: true })
    // A failure without a reason still says why, as a bare score's does.
    expect(await outcome('scoreOnly', 'no')).toMatchObject({
      score: 0.2,
      pass: false,
      reason: 'returned score 0.2 without a reason'
    })
  })

  it('gives the function a copy of the vars', async () => {
    const vars = { keyword: 'billing' }
    const scorers = await createScorers(
      [javascript('mutatesVars'), javascript('default')],
      importLoader
    )
    const result = await scoreOutput(scorers, { output: 'billing', vars, caseId: 'c' })
    expect(result.pass).toBe(true)
    expect(vars.keyword).toBe('billing')
  })

  it.each([
    ['throws', 'scorer "throws" failed: boom'],
    [
      'outOfRange',
      'scorer "outOfRange" failed: returned score 1.5; a score must be a number between 0 and 1'
    ],
    ['returnsText', 'scorer "returnsText" failed: returned string yes; expected (input:'],
    [
      'scoreAsText',
      'scorer "scoreAsText" failed: returned score string 1; a score must be a number between 0 and 1'
    ]
  ])('rejects with ScorerFailure when %s', async (exportName, message) => {
    const scorers = await createScorers([javascript(exportName)], importLoader)
    const error: unknown = await failureOf(scorers)
    expect(error).toBeInstanceOf(ScorerFailure)
    expect((error as ScorerFailure).scorer).toBe(exportName)
    expect((error as ScorerFailure).message).toContain(message)
  })

  it('fails when no result comes within the suite’s timeout, naming the scorer and the limit', async () => {
    const scorers = await createScorers([javascript('neverSettles')], importLoader, {
      timeoutMs: 40
    })
    const error: unknown = await failureOf(scorers)
    expect(error).toBeInstanceOf(ScorerFailure)
    expect((error as ScorerFailure).message).toBe(
      'scorer "neverSettles" failed: no result within the suite\'s timeout of 40 ms'
    )
  })

  it('gives the function a signal that aborts at its time limit or when the run is cancelled', async () => {
    const { abortReasons } = (await import(pathToFileURL(SCORERS_FIXTURE).href)) as {
      abortReasons: unknown[]
    }
    const scorers = await createScorers([javascript('waitsForAbort')], importLoader, {
      timeoutMs: 40
    })
    const input = { output: 'x', vars: {}, caseId: 'c' }
    await expect(scoreOutput(scorers, input)).rejects.toThrow('timeout of 40 ms')
    const run = new AbortController()
    const cancelled = scoreOutput(scorers, { ...input, signal: run.signal })
    run.abort('SIGINT')
    await expect(cancelled).rejects.toBeInstanceOf(ScorerFailure)
    expect(abortReasons).toEqual(["no result within the suite's timeout of 40 ms", 'SIGINT'])
  })

  it('rejects at creation when the export is not a function, naming file and export', async () => {
    const error: unknown = await createScorers(
      [javascript('notAFunction'), javascript('missing')],
      importLoader
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InputError)
    const { diagnostics } = error as InputError
    expect(diagnostics.map((d) => d.message)).toEqual([
      `scorer "notAFunction": export "notAFunction" of ${SCORERS_FIXTURE} is not a function (it is number 42)`,
      `scorer "missing": export "missing" of ${SCORERS_FIXTURE} is not a function (it is undefined)`
    ])
    expect(diagnostics.map((d) => d.path)).toEqual(['scorers[0].export', 'scorers[1].export'])
  })

  it('rejects at creation when the module cannot be loaded', async () => {
    const missingFile = SCORERS_FIXTURE.replace('scorers.js', 'nope.js')
    const error: unknown = await createScorers(
      [spec({ type: 'javascript', path: missingFile, export: 'default' })],
      importLoader
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).message).toContain(
      `scorer "javascript": cannot load ${missingFile}`
    )
  })
})
