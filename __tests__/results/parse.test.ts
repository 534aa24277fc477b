import { InputError } from '../../src/errors.js'
import { parseRunResult } from '../../src/results/parse.js'
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

  it('says when the file is not JSON at all', () => {
    expect(() => parseRunResult('{"schemaVersion": 1,', 'x.json')).toThrow(
      /x\.json: not valid JSON/
    )
  })
})
