import { readFile } from 'node:fs/promises'
import runResultSchema from '../../schema/run-result.schema.json' with { type: 'json' }
import specSchema from '../../schema/eval-spec.schema.json' with { type: 'json' }
import { InputError } from '../../src/errors.js'
import { assertHeadGateOrder, parseRunResult } from '../../src/results/parse.js'
import { RUN_RESULT_VERSION } from '../../src/results/types.js'
import type { RunResult } from '../../src/results/types.js'
import { runResult } from '../helpers/run-result.js'

const valid: RunResult = runResult('abc123')

describe('parseRunResult', () => {
  it('accepts a RunResult and returns it typed', () => {
    expect(parseRunResult(JSON.stringify(valid), 'base.json')).toEqual(valid)
  })

  it('refuses a newer format with an upgrade hint', () => {
    const newer = JSON.stringify({ ...valid, schemaVersion: RUN_RESULT_VERSION + 1 })
    expect(() => parseRunResult(newer, 'base.json')).toThrow(
      `base.json: schemaVersion: format version ${RUN_RESULT_VERSION + 1} is newer than this evalgate reads (${RUN_RESULT_VERSION}) (upgrade evalgate)`
    )
  })

  it('writes version 4, which an older evalgate refuses with its upgrade hint, and reads 1 to 3', () => {
    expect(valid.schemaVersion).toBe(4)
    for (const older of [1, 2, 3]) {
      const before = { ...structuredClone(valid), schemaVersion: older }
      expect(parseRunResult(JSON.stringify(before), 'base.json').schemaVersion).toBe(older)
    }
  })

  it("refuses a file of an older format that carries a later format's answer fields, saying how to mend it", () => {
    const mixed = structuredClone(valid)
    const suite = mixed.suites[0]
    const answer = suite?.results[0]
    if (!suite || !answer) throw new Error('the helper run has an answer')
    suite.results = [
      { ...answer, finishReason: 'length' },
      { ...answer, caseId: 'c2', judgeCached: true }
    ]
    suite.cases.push({ id: 'c2', source: 'evals/triage.eval.yaml:12' })
    for (const declared of [1, 2]) {
      const text = JSON.stringify({ ...mixed, schemaVersion: declared })
      expect(() => parseRunResult(text, 'edited.json')).toThrow(
        new InputError(
          [
            {
              file: 'edited.json',
              path: 'suites.0.results.0.finishReason',
              message: `\`finishReason\` is a field of results format 3, but the file declares \`schemaVersion: ${declared}\` (and 1 more field of a later format): it was hand-edited or written by a different evalgate version`,
              hint: 'write it again with `evalgate run`, or, if its cases and answers are as an evalgate run wrote them, set `schemaVersion` to 3'
            }
          ],
          'cannot read a results file'
        ).message
      )
    }
    // One field alone is named alone, and the file as format 3 is read.
    const [finished] = suite.results
    if (finished) delete finished.finishReason
    expect(() =>
      parseRunResult(JSON.stringify({ ...mixed, schemaVersion: 2 }), 'edited.json')
    ).toThrow(
      'cannot read a results file:\n  edited.json: suites.0.results.1.judgeCached: `judgeCached` is a field of results format 3, but the file declares `schemaVersion: 2`: it was hand-edited'
    )
    expect(parseRunResult(JSON.stringify(mixed), 'edited.json').suites[0]?.results).toHaveLength(2)
  })

  it("refuses a file of format 3 that carries format 4's fingerprints, by the field", () => {
    const mixed = structuredClone(valid)
    const suite = mixed.suites[0]
    const provider = suite?.providers[0]
    if (!suite || !provider) throw new Error('the helper run has a suite and a provider')
    suite.scoringFingerprint = 'scoring'
    provider.resolvedConfigFingerprint = 'resolved'
    expect(() =>
      parseRunResult(JSON.stringify({ ...mixed, schemaVersion: 3 }), 'edited.json')
    ).toThrow(
      'cannot read a results file:\n  edited.json: suites.0.scoringFingerprint: `scoringFingerprint` is a field of results format 4, but the file declares `schemaVersion: 3` (and 1 more field of a later format): it was hand-edited'
    )
    expect(parseRunResult(JSON.stringify(mixed), 'edited.json').suites[0]?.scoringFingerprint).toBe(
      'scoring'
    )
  })

  it("refuses a file of format 3 or older that carries a case's `varsFingerprint`, saying to set 4", () => {
    const mixed = structuredClone(valid)
    const info = mixed.suites[0]?.cases[0]
    if (!info) throw new Error('the helper run has a case')
    info.varsFingerprint = 'a'.repeat(64)
    expect(() =>
      parseRunResult(JSON.stringify({ ...mixed, schemaVersion: 3 }), 'edited.json')
    ).toThrow(
      'edited.json: suites.0.cases.0.varsFingerprint: `varsFingerprint` is a field of results format 4, but the file declares `schemaVersion: 3`: it was hand-edited or written by a different evalgate version (write it again with `evalgate run`, or, if its cases and answers are as an evalgate run wrote them, set `schemaVersion` to 4)'
    )
    expect(parseRunResult(JSON.stringify(mixed), 'edited.json').suites[0]?.cases[0]).toEqual(info)
  })

  it('names the file and field of a malformed result', () => {
    const broken = structuredClone(valid) as unknown as {
      suites: { results: { score: unknown }[] }[]
    }
    const result = broken.suites[0]?.results[0]
    if (result) result.score = 'high'
    let error: unknown
    try {
      parseRunResult(JSON.stringify(broken), 'head.json')
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).exitCode).toBe(2)
    expect((error as InputError).message).toContain(
      'head.json: suites.0.results.0.score: must be number,null'
    )
  })

  it('refuses a cost, latency or token count no answer can have, which sums would overflow', () => {
    const huge = structuredClone(valid)
    const result = huge.suites[0]?.results[0]
    if (result) result.cost = 1e308
    expect(() => parseRunResult(JSON.stringify(huge), 'huge.json')).toThrow(
      'huge.json: suites.0.results.0.cost: must be <= 1000000000000000'
    )
  })

  it('says an empty file is empty', () => {
    expect(() => parseRunResult(' \n', 'empty.json')).toThrow(
      'empty.json: the file is empty (point at the results file a run wrote)'
    )
  })

  it('refuses answers of unlisted cases or providers, and a second answer for one repeat', () => {
    const edited = structuredClone(valid)
    const suite = edited.suites[0]
    const answer = suite?.results[0]
    if (!suite || !answer) throw new Error('the helper run has an answer')
    suite.results.push(
      { ...answer, caseId: 'ghost' },
      { ...answer, providerId: 'other' },
      { ...answer }
    )
    expect(() => parseRunResult(JSON.stringify(edited), 'edited.json')).toThrow(
      [
        'edited.json is not a consistent evalgate RunResult:',
        "  edited.json: suites.0.results.1: case ghost is not in the suite's cases",
        "  edited.json: suites.0.results.2: provider other is not in the suite's providers",
        '  edited.json: suites.0.results.3: a second answer for c1 × p × repeat 0'
      ].join('\n')
    )
  })

  it('refuses a gate the spec would refuse, naming the field, rather than comparing with it', () => {
    const withGate = (gate: unknown) => {
      const edited = structuredClone(valid) as unknown as { suites: { gate: unknown }[] }
      ;(edited.suites[0] as { gate: unknown }).gate = gate
      return JSON.stringify(edited)
    }
    const refusals: [unknown, string][] = [
      [
        { 'latency-p50': { 'max-ratio': 'abc' } },
        'suites.0.gate.latency-p50.max-ratio: must be number'
      ],
      [{ 'latency-p50': { 'max-ratio': 0 } }, 'suites.0.gate.latency-p50.max-ratio: must be > 0'],
      [{ score: { noise: 'x' } }, 'suites.0.gate.score.noise: must be number'],
      [{ score: { 'max-drop': '0.5' } }, 'suites.0.gate.score.max-drop: must be number'],
      [{ score: 5 }, 'suites.0.gate.score: must be object'],
      [{ 'error-rate': { max: 2 } }, 'suites.0.gate.error-rate.max: must be <= 1'],
      [{ scroe: {} }, 'suites.0.gate.scroe: unknown property (did you mean `score`?)']
    ]
    for (const [gate, problem] of refusals) {
      expect(() => parseRunResult(withGate(gate), 'gated.json')).toThrow(`gated.json: ${problem}`)
    }
    // A noise floor above max-drop, as the spec's loader refuses it, the default named as such:
    // read (a baseline's gate is never used, and earlier versions stored such gates), refused as
    // the head's.
    const hint =
      '(`noise` is the change too small to matter (a significant drop beyond it is a regression), `max-drop` how far below the baseline the 95% CI of a change that is not significant may reach for it to pass: noise ≤ max-drop)'
    const disordered = parseRunResult(
      withGate({ score: { noise: 0.2, 'max-drop': 0.1 }, 'pass-rate': { 'max-drop': 0.01 } }),
      'gated.json'
    )
    expect(() => assertHeadGateOrder(disordered, 'gated.json')).toThrow(
      [
        'gated.json is not a consistent evalgate RunResult:',
        `  gated.json: suites.0.gate.score.noise: the noise floor 0.2 is above \`max-drop\` 0.1 ${hint}`,
        `  gated.json: suites.0.gate.pass-rate.max-drop: the noise floor 0.02 (the default) is above \`max-drop\` 0.01 ${hint}`
      ].join('\n')
    )
    const gate = {
      score: { noise: 0.01, 'max-drop': 0.1, min: 0.5 },
      cost: { 'max-ratio': 1, max: 2 }
    }
    expect(parseRunResult(withGate(gate), 'gated.json').suites[0]?.gate).toEqual(gate)
  })

  it("checks the gate by the spec's own schema of it, but for a max-ratio below 1", () => {
    const definitions = (schema: { definitions: Record<string, unknown> }) => ({
      gate: schema.definitions.gate,
      qualityGate: schema.definitions.qualityGate,
      latencyGate: schema.definitions.latencyGate
    })
    // Specs allowed any ratio above 0 before they asked for at least 1: results read it still.
    const specMinimums: unknown[] = []
    const asResultsRead = (key: string, value: unknown) => {
      if (key !== 'max-ratio') return value
      specMinimums.push((value as { minimum?: unknown }).minimum)
      return { ...(value as object), minimum: undefined, exclusiveMinimum: 0 }
    }
    const specAsRead: unknown = JSON.parse(JSON.stringify(definitions(specSchema), asResultsRead))
    expect(specMinimums).toEqual([1, 1])
    expect(definitions(runResultSchema)).toEqual(specAsRead)
  })

  it('reads a version 1 file whose gate tolerates a ratio below 1, as earlier versions allowed', async () => {
    const fixture = new URL('../fixtures/results/v1-gate-ratio-below-1.json', import.meta.url)
    const earlier = parseRunResult(await readFile(fixture, 'utf8'), 'earlier.json')
    expect(earlier.schemaVersion).toBe(1)
    expect(earlier.suites[0]?.gate).toEqual({
      'latency-p50': { 'max-ratio': 0.9 },
      'latency-p95': { 'max-ratio': 0.95 },
      cost: { 'max-ratio': 0.8 }
    })
  })

  it('names an unknown property, and the one it may be a misspelling of', () => {
    const edited = structuredClone(valid) as unknown as Record<string, Record<string, unknown>>
    ;(edited.run as Record<string, unknown>).comitt = 'abc123'
    edited.extra = {}
    expect(() => parseRunResult(JSON.stringify(edited), 'ex.json')).toThrow(
      [
        'ex.json is not an evalgate RunResult:',
        '  ex.json: extra: unknown property (known properties: schemaVersion, tool, run, suites)',
        '  ex.json: run.comitt: unknown property (did you mean `commit`?)'
      ].join('\n')
    )
  })

  it('refuses a suite, case or provider listed twice, and a repeat the suite did not ask for', () => {
    const edited = structuredClone(valid)
    const suite = edited.suites[0]
    const answer = suite?.results[0]
    if (!suite || !answer) throw new Error('the helper run has an answer')
    edited.suites.push(structuredClone(suite))
    suite.cases.push({ id: 'c1', source: 'evals/triage.eval.yaml:12' })
    suite.providers.push({ id: 'p', type: 'module', configFingerprint: 'e' })
    suite.results.push({ ...answer, repeat: 7 })
    expect(() => parseRunResult(JSON.stringify(edited), 'twice.json')).toThrow(
      [
        'twice.json is not a consistent evalgate RunResult:',
        '  twice.json: suites.1.suite: suite triage is listed twice (first as suites.0)',
        '  twice.json: suites.0.cases.1.id: case c1 is listed twice (first as suites.0.cases.0)',
        '  twice.json: suites.0.providers.1.id: provider p is listed twice (first as suites.0.providers.0)',
        '  twice.json: suites.0.results.1.repeat: repeat 7, but the suite has repeats: 1 (numbered from 0)'
      ].join('\n')
    )
  })

  it('says when the file is not JSON at all', () => {
    expect(() => parseRunResult('{"schemaVersion": 1,', 'x.json')).toThrow(
      /x\.json: not valid JSON/
    )
  })
})
