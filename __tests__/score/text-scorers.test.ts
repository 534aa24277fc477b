import { setImmediate } from 'node:timers/promises'
import { InputError } from '../../src/errors.js'
import { closeScorers, createScorers, scoreOutput, ScorerFailure } from '../../src/score/index.js'
import type { ScorerOutcome } from '../../src/results/types.js'
import type { ScorerSpec } from '../../src/spec/types.js'
import { noModules, spec } from './helpers.js'

async function outcome(
  scorerSpec: ScorerSpec,
  output: string,
  vars: Record<string, unknown> = {}
): Promise<ScorerOutcome> {
  const scorers = await createScorers([scorerSpec], noModules)
  const result = await scoreOutput(scorers, { output, vars, caseId: 'case-1' })
  return result.scores[0] as ScorerOutcome
}

async function creationError(scorerSpec: ScorerSpec): Promise<InputError> {
  const error: unknown = await createScorers([scorerSpec], noModules).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(InputError)
  return error as InputError
}

describe('equals', () => {
  const equals = spec({ type: 'equals', expected: '{{queue}}', ignoreCase: false, trim: true })

  it('passes when the output equals the expectation rendered from the case vars', async () => {
    expect(await outcome(equals, 'billing', { queue: 'billing' })).toEqual({
      scorer: 'equals',
      score: 1,
      pass: true
    })
  })

  it('fails with both values in the reason', async () => {
    expect(await outcome(equals, 'bug', { queue: 'billing' })).toEqual({
      scorer: 'equals',
      score: 0,
      pass: false,
      reason: 'expected "billing", got "bug"'
    })
  })

  it('trims surrounding whitespace by default, and not with trim: false', async () => {
    expect((await outcome(equals, '  billing\n', { queue: 'billing' })).pass).toBe(true)
    const strict = spec({ type: 'equals', expected: 'billing', ignoreCase: false, trim: false })
    const result = await outcome(strict, 'billing\n')
    expect(result.pass).toBe(false)
    expect(result.reason).toBe('expected "billing", got "billing\\n"')
  })

  it('is case-sensitive unless ignoreCase', async () => {
    expect((await outcome(equals, 'Billing', { queue: 'billing' })).pass).toBe(false)
    const loose = spec({ type: 'equals', expected: '{{queue}}', ignoreCase: true, trim: true })
    expect((await outcome(loose, 'BILLING', { queue: 'billing' })).pass).toBe(true)
  })

  it('renders non-string and nested variables', async () => {
    const nested = spec({
      type: 'equals',
      expected: '{{ticket.priority}}-{{ticket.id}}',
      ignoreCase: false,
      trim: true
    })
    expect((await outcome(nested, 'high-42', { ticket: { priority: 'high', id: 42 } })).pass).toBe(
      true
    )
  })

  it('compares the composed forms, so an é written with a combining accent equals é', async () => {
    expect((await outcome(equals, 'cafe\u0301', { queue: 'caf\u00e9' })).pass).toBe(true)
  })

  it('folds case beyond ASCII with ignoreCase, and says it did', async () => {
    const loose = spec({ type: 'equals', expected: '{{queue}}', ignoreCase: true, trim: true })
    expect((await outcome(loose, 'STRASSE', { queue: 'stra\u00dfe' })).pass).toBe(true)
    expect((await outcome(loose, 'street', { queue: 'stra\u00dfe' })).reason).toBe(
      'expected "stra\u00dfe", got "street" (ignoring case)'
    )
  })

  it('shows characters no one can see, and where long texts first differ', async () => {
    const hidden = await outcome(equals, 'a\u00a0b', { queue: 'a b' })
    expect(hidden.reason).toBe('expected "a b", got "a\\u00a0b"')
    const sentence = 'The quick brown fox jumps over the lazy dog, '.repeat(3)
    const late = await outcome(equals, `${sentence}then sat.`, { queue: `${sentence}then ran.` })
    expect(late.reason).toBe(
      `expected "…${sentence.slice(-15)}then ran.", got "…${sentence.slice(-15)}then sat."`
    )
  })

  it('quotes long texts from where they first differ once trimmed and, with ignoreCase, folded', async () => {
    const sentence = 'The quick brown fox jumps over the lazy dog. '.repeat(3)
    const shouted = await outcome(
      spec({ type: 'equals', expected: '{{queue}}', ignoreCase: true, trim: true }),
      `${sentence.toUpperCase()}CAT`,
      { queue: `${sentence}DOG` }
    )
    expect(shouted.reason).toBe(
      `expected "…${sentence.slice(-20)}DOG", got "…${sentence.slice(-20).toUpperCase()}CAT" (ignoring case)`
    )
    const indented = await outcome(equals, `\n\n   ${sentence}CAT`, { queue: `${sentence}DOG` })
    expect(indented.reason).toBe(
      `expected "…${sentence.slice(-20)}DOG", got "…${sentence.slice(-20)}CAT"`
    )
    // Folding writes ß as two letters: each text is still quoted from its own difference.
    const street = `${'Die Straße ist lang. '.repeat(4)}Ende`
    const folded = await outcome(
      spec({ type: 'equals', expected: '{{queue}}', ignoreCase: true, trim: true }),
      street.toUpperCase().replace('ENDE', 'ANFANG'),
      { queue: street }
    )
    expect(folded.reason).toBe(
      `expected "…${street.slice(-24, -4)}Ende", got "…${street.toUpperCase().slice(-24, -4)}ANFANG" (ignoring case)`
    )
  })

  it('keeps long values short in the reason', async () => {
    const long = 'x'.repeat(1000)
    const result = await outcome(equals, long, { queue: 'billing' })
    expect(result.reason?.length).toBeLessThanOrEqual(200)
    expect(result.reason).toMatch(/^expected "billing", got "x+…"$/)
  })

  it('rejects with ScorerFailure naming the scorer when a variable is missing', async () => {
    const scorers = await createScorers([equals], noModules)
    const error: unknown = await scoreOutput(scorers, {
      output: 'billing',
      vars: {},
      caseId: 'case-1'
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ScorerFailure)
    expect((error as ScorerFailure).scorer).toBe('equals')
    expect((error as ScorerFailure).message).toBe(
      'scorer "equals" failed: variable `queue` is not set'
    )
  })
})

describe('contains, icontains, starts-with', () => {
  it('contains is case-sensitive', async () => {
    const contains = spec({ type: 'contains', value: '{{queue}}' })
    expect((await outcome(contains, 'Route to billing.', { queue: 'billing' })).pass).toBe(true)
    expect(await outcome(contains, 'Route to Billing.', { queue: 'billing' })).toEqual({
      scorer: 'contains',
      score: 0,
      pass: false,
      reason: 'output does not contain "billing": "Route to Billing."'
    })
  })

  it('icontains ignores case', async () => {
    const icontains = spec({ type: 'icontains', value: 'Billing' })
    expect((await outcome(icontains, 'ROUTE TO BILLING', {})).pass).toBe(true)
    const miss = await outcome(icontains, 'route to bugs')
    expect(miss.pass).toBe(false)
    expect(miss.reason).toBe('output does not contain "Billing" (ignoring case): "route to bugs"')
  })

  it('starts-with ignores leading whitespace of the output but not case', async () => {
    const startsWith = spec({ type: 'starts-with', value: 'Queue:' })
    expect((await outcome(startsWith, '\n  Queue: billing')).pass).toBe(true)
    const miss = await outcome(startsWith, 'The queue: billing')
    expect(miss).toEqual({
      scorer: 'starts-with',
      score: 0,
      pass: false,
      reason: 'output does not start with "Queue:": "The queue: billing"'
    })
  })

  it('starts-with keeps the leading whitespace of the output when the value has some', async () => {
    const indented = spec({ type: 'starts-with', value: '{{pre}}' })
    expect((await outcome(indented, '    def main():', { pre: '    def' })).pass).toBe(true)
    expect((await outcome(indented, 'def main():', { pre: '    def' })).pass).toBe(false)
  })

  it('icontains folds case beyond ASCII', async () => {
    const icontains = spec({ type: 'icontains', value: 'stra\u00dfe' })
    expect((await outcome(icontains, 'Go down STRASSE 5')).pass).toBe(true)
  })

  it('icontains finds a Greek word ending in sigma inside a longer one, as contains does', async () => {
    const icontains = spec({ type: 'icontains', value: '{{road}}' })
    const found: [output: string, road: string][] = [
      ['ΟΔΟΣΗΜΑΝΣΗ', 'ΟΔΟΣ'],
      ['οδοσήμανση', 'οδοσ'],
      ['οδοσήμανση', 'ΟΔΟΣ'],
      ['ΟΔΟΣ', 'οδος']
    ]
    for (const [output, road] of found) {
      expect(await outcome(icontains, output, { road })).toMatchObject({ pass: true })
    }
    const loose = spec({ type: 'equals', expected: '{{road}}', ignoreCase: true, trim: true })
    expect((await outcome(loose, 'ΟΔΟΣ', { road: 'οδος' })).pass).toBe(true)
    expect((await outcome(loose, 'ΟΔΟΣ', { road: 'οδοσ' })).pass).toBe(true)
    expect((await outcome(loose, 'ΟΔΟΙ', { road: 'οδος' })).pass).toBe(false)
  })

  it('rejects an empty value at creation and an empty rendered value when scoring', async () => {
    const error = await creationError(spec({ type: 'contains', value: '' }))
    expect(error.diagnostics[0]?.path).toBe('scorers[0].value')
    expect(error.message).toContain('scorer "contains": an empty value matches every output')

    const scorers = await createScorers([spec({ type: 'contains', value: '{{tag}}' })], noModules)
    await expect(
      scoreOutput(scorers, { output: 'anything', vars: { tag: '' }, caseId: 'c' })
    ).rejects.toThrow(/scorer "contains" failed: `value` rendered to an empty string/)
  })
})

describe('regex', () => {
  it('passes when the pattern matches anywhere, honouring flags', async () => {
    const regex = spec({ type: 'regex', pattern: '^queue: (billing|bug)$', flags: 'im' })
    expect((await outcome(regex, 'Thinking…\nQUEUE: Bug')).pass).toBe(true)
    expect(await outcome(regex, 'queue: account')).toEqual({
      scorer: 'regex',
      score: 0,
      pass: false,
      reason: 'output does not match /^queue: (billing|bug)$/im: "queue: account"'
    })
  })

  it('gives the same answer every time with the g flag', async () => {
    const scorers = await createScorers(
      [spec({ type: 'regex', pattern: 'bill', flags: 'g' })],
      noModules
    )
    const input = { output: 'billing', vars: {}, caseId: 'c' }
    const first = await scoreOutput(scorers, input)
    const second = await scoreOutput(scorers, input)
    expect([first.pass, second.pass]).toEqual([true, true])
  })

  it('fails at creation on a pattern that does not compile, naming the scorer', async () => {
    const error = await creationError(
      spec({ type: 'regex', name: 'queue-format', pattern: '(unclosed', flags: '' })
    )
    expect(error.diagnostics).toHaveLength(1)
    expect(error.diagnostics[0]).toMatchObject({
      file: 'evals/triage.eval.yaml',
      line: 12,
      path: 'scorers[0].pattern'
    })
    expect(error.message).toContain('scorer "queue-format":')
    expect(error.message).toContain('Unterminated group')
  })

  it('errors the case, naming the pattern, when matching outlasts the suite timeout', async () => {
    const scorers = await createScorers(
      [spec({ type: 'regex', pattern: '^(a+)+$', flags: '' })],
      noModules,
      {
        timeoutMs: 100
      }
    )
    // Backtracks for about 2^28 steps (seconds): this output is stopped at the timeout.
    const stuck = { output: 'a'.repeat(28) + '!', vars: {}, caseId: 'c' }
    await expect(scoreOutput(scorers, stuck)).rejects.toThrow(
      'scorer "regex" failed: /^(a+)+$/ did not finish matching within the suite\'s timeout of 100 ms'
    )
    // The scorer goes on with the next output.
    const fine = await scoreOutput(scorers, { output: 'aaaa', vars: {}, caseId: 'd' })
    expect(fine.pass).toBe(true)
  })

  it('scores the outputs waiting behind a stuck match, and stops only that one', async () => {
    const scorers = await createScorers(
      [spec({ type: 'regex', pattern: '^(a+)+$', flags: '' })],
      noModules,
      { timeoutMs: 200 }
    )
    const outputs = ['aaa', 'aa', 'a'.repeat(30) + '!', 'aaaa', 'ab']
    const settled = await Promise.allSettled(
      outputs.map((output, i) => scoreOutput(scorers, { output, vars: {}, caseId: `c${i}` }))
    )
    expect(
      settled.map((s) => (s.status === 'fulfilled' ? s.value.pass : String(s.reason)))
    ).toEqual([
      true,
      true,
      expect.stringContaining("did not finish matching within the suite's timeout of 200 ms"),
      true,
      false
    ])
    await closeScorers(scorers)
  })

  it('fails at creation on unknown flags', async () => {
    const error = await creationError(spec({ type: 'regex', pattern: 'a', flags: 'q' }))
    expect(error.message).toMatch(/scorer "regex": .*flags/i)
  })
})

describe('numeric', () => {
  const numeric = spec({ type: 'numeric', expected: '{{total}}', tolerance: 0.5 })

  it('passes within the absolute tolerance of the rendered expected value', async () => {
    expect((await outcome(numeric, ' 42.4\n', { total: 42 })).pass).toBe(true)
    expect((await outcome(numeric, '41.5', { total: '42' })).pass).toBe(true)
    expect((await outcome(numeric, '4.2e1', { total: 42 })).pass).toBe(true)
    expect(await outcome(numeric, '43', { total: 42 })).toEqual({
      scorer: 'numeric',
      score: 0,
      pass: false,
      reason: 'expected 42 ± 0.5, got 43'
    })
    // Both numbers as written, not as JavaScript prints them.
    const written = spec({ type: 'numeric', expected: '1.10', tolerance: 0 })
    expect((await outcome(written, '9.90\n', {})).reason).toBe('expected 1.10 ± 0, got 9.90')
  })

  it('tells apart large whole numbers that differ, at tolerance 0', async () => {
    const exact = spec({ type: 'numeric', expected: '10000000000000000', tolerance: 0 })
    expect((await outcome(exact, '10000000000000008')).pass).toBe(false)
    expect((await outcome(exact, '1e16')).pass).toBe(true)
    // One unit apart, which binary numbers round alike or within their last place.
    expect(await outcome(exact, '10000000000000002')).toMatchObject({
      pass: false,
      reason: 'expected 10000000000000000 ± 0, got 10000000000000002'
    })
    expect((await outcome(exact, '10000000000000001')).pass).toBe(false)
  })

  it('compares the numbers as written at tolerance 0, whatever the notation', async () => {
    const exact = spec({ type: 'numeric', expected: '{{total}}', tolerance: 0 })
    const same: [output: string, total: string][] = [
      ['1.10', '1.1'],
      ['4.2e1', '42'],
      ['+0.00', '-0'],
      ['  0.5\n', '.5'],
      ['1200', '12E2'],
      ['0.000120', '1.2e-4']
    ]
    for (const [output, total] of same) {
      expect(await outcome(exact, output, { total })).toMatchObject({ pass: true })
    }
    const apart: [output: string, total: string][] = [
      ['0.10000000000000001', '0.1'],
      ['-1', '1'],
      ['12', '1.2']
    ]
    for (const [output, total] of apart) {
      expect(await outcome(exact, output, { total })).toMatchObject({ pass: false })
    }
  })

  it('treats a tolerance reached exactly as a pass despite binary rounding', async () => {
    const tight = spec({ type: 'numeric', expected: '1', tolerance: 0.1 })
    expect((await outcome(tight, '1.1')).pass).toBe(true)
    expect((await outcome(tight, '1.11')).pass).toBe(false)
    const exact = spec({ type: 'numeric', expected: '0.3', tolerance: 0 })
    expect((await outcome(exact, '0.3')).pass).toBe(true)
    expect((await outcome(exact, '0.31')).pass).toBe(false)
  })

  it('compares the numbers as written within a tolerance, whatever binary numbers round them to', async () => {
    // Above 2^53 binary numbers are 2 or more apart: 9007199254740994 is 2 from 9007199254740992.
    const large = spec({ type: 'numeric', expected: '9007199254740992', tolerance: 1 })
    expect((await outcome(large, '9007199254740993')).pass).toBe(true)
    expect(await outcome(large, '9007199254740994')).toMatchObject({
      pass: false,
      reason: 'expected 9007199254740992 ± 1, got 9007199254740994'
    })
    const huge = spec({ type: 'numeric', expected: '100000000000000000000', tolerance: 1 })
    expect((await outcome(huge, '100000000000000000001')).pass).toBe(true)
    expect((await outcome(huge, '100000000000000010000')).pass).toBe(false)
    // No slack of a last place below 1 either, and the tolerance as the spec wrote it.
    const tenth = spec({ type: 'numeric', expected: '0.3', tolerance: 0.1 })
    expect((await outcome(tenth, '0.4000000000000001')).pass).toBe(false)
    expect((await outcome(tenth, '0.2')).pass).toBe(true)
    const wide = spec({ type: 'numeric', expected: '1', tolerance: 0.3 })
    expect((await outcome(wide, '1.3')).pass).toBe(true)
    expect((await outcome(wide, '-0.7e0')).pass).toBe(false)
    // A number far below the others decides only at the edge, and quickly.
    const unit = spec({ type: 'numeric', expected: '1', tolerance: 1 })
    expect((await outcome(unit, '1e-99999999')).pass).toBe(true)
    expect((await outcome(unit, '-1e-99999999')).pass).toBe(false)
    expect((await outcome(unit, '2.000e0')).pass).toBe(true)
    // Beyond what a binary number holds, a plain decimal is a number all the same.
    const vast = spec({ type: 'numeric', expected: '1e400', tolerance: 1 })
    expect((await outcome(vast, '1.0e400')).pass).toBe(true)
    expect(await outcome(vast, '2e400')).toMatchObject({
      pass: false,
      reason: 'expected 1e400 ± 1, got 2e400'
    })
  })

  it('judges a number of a hundred thousand digits, at its last digit too, without holding the run', async () => {
    const zeros = '0'.repeat(100_000)
    const tight = spec({ type: 'numeric', expected: '1', tolerance: 0.1 })
    const exact = spec({ type: 'numeric', expected: '1', tolerance: 0 })
    const verdicts: [ScorerSpec, output: string, pass: boolean][] = [
      [tight, `1.1${zeros}`, true],
      [tight, `1.1${zeros}1`, false],
      [tight, `0.9${zeros}1`, true],
      [tight, `0.8${'9'.repeat(100_000)}`, false],
      [tight, `-1${zeros}.5`, false],
      [exact, `1.${zeros}`, true],
      [exact, `1.${zeros}1`, false],
      [exact, `1${zeros}e-100000`, true]
    ]
    for (const [scorer, output, pass] of verdicts) {
      expect((await outcome(scorer, output)).pass).toBe(pass)
      // A turn of the event loop: a scorer that holds the thread for long (scoring runs on it, where
      // nothing can stop it) fails at jest's timeout rather than passing late.
      await setImmediate()
    }
    expect(await outcome(tight, `1${zeros}.5`)).toMatchObject({
      pass: false,
      reason: expect.stringMatching(/^expected 1 ± 0\.1, got 10000.*…$/)
    })
  })

  it.each(['42 apples', 'about 42', '1,000', '', 'NaN', 'Infinity', '0x2A'])(
    'fails (without throwing) on output %j that is not a plain number',
    async (output) => {
      const result = await outcome(numeric, output, { total: 1000 })
      expect(result).toMatchObject({ score: 0, pass: false })
      expect(result.reason).toBe(`output is not a number: ${JSON.stringify(output)}`)
    }
  )

  it('rejects with ScorerFailure when the expected value does not render to a number', async () => {
    const scorers = await createScorers([numeric], noModules)
    await expect(
      scoreOutput(scorers, { output: '42', vars: { total: 'forty-two' }, caseId: 'c' })
    ).rejects.toThrow('scorer "numeric" failed: expected value "forty-two" is not a number')
  })

  it('rejects a literal expected value that is not a number, and a negative tolerance', async () => {
    const notNumber = await creationError(spec({ type: 'numeric', expected: 'ten', tolerance: 0 }))
    expect(notNumber.diagnostics[0]?.path).toBe('scorers[0].expected')
    const negative = await creationError(spec({ type: 'numeric', expected: '1', tolerance: -1 }))
    expect(negative.diagnostics[0]?.path).toBe('scorers[0].tolerance')
  })
})

describe('similarity scorer', () => {
  const similar = spec({ type: 'similarity', expected: '{{answer}}', threshold: 0.8 })

  it('scores the normalised similarity and passes at the threshold', async () => {
    // "kitten" vs "sitting": 3 edits over 7 → 0.571…
    const low = await outcome(similar, 'kitten', { answer: 'sitting' })
    expect(low.score).toBeCloseTo(4 / 7, 10)
    expect(low.pass).toBe(false)
    expect(low.reason).toBe('similarity 0.571 < 0.8 to "sitting", got "kitten"')

    // 1 edit over 5 → exactly 0.8 passes.
    const atThreshold = await outcome(similar, 'abcdx', { answer: 'abcde' })
    expect(atThreshold).toEqual({ scorer: 'similarity', score: 0.8, pass: true })
  })

  it('passes a similarity exactly at the threshold whatever the rounding', async () => {
    // One character of five in common: 1 − 4/5 = 0.2 exactly, 0.19999999999999996 in doubles.
    const fifth = spec({ type: 'similarity', expected: 'abcde', threshold: 0.2 })
    expect(await outcome(fifth, 'aWXYZ')).toMatchObject({ pass: true })
  })

  it('quotes long texts from where they first differ', async () => {
    const sentence = 'The quick brown fox jumps over the lazy dog. '.repeat(3)
    const strict = spec({ type: 'similarity', expected: '{{answer}}', threshold: 0.99 })
    const late = await outcome(strict, `\n\n   ${sentence}CAT`, { answer: `${sentence}DOG` })
    expect(late.reason).toBe(
      `similarity 0.978 < 0.99 to "…${sentence.slice(-20)}DOG", got "…${sentence.slice(-20)}CAT"`
    )
  })

  it('ignores surrounding whitespace', async () => {
    expect(await outcome(similar, '  sitting\n', { answer: 'sitting' })).toMatchObject({
      score: 1,
      pass: true
    })
  })

  it('rejects a threshold outside [0, 1]', async () => {
    const error = await creationError(spec({ type: 'similarity', expected: 'a', threshold: 80 }))
    expect(error.diagnostics[0]?.path).toBe('scorers[0].threshold')
  })
})
