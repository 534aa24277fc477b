import { runResultChunks } from '../../src/io/files.js'
import { runMetaFromHead } from '../../src/results/parse.js'
import { runResult } from '../helpers/run-result.js'

const bytes = (text: string) => new TextEncoder().encode(text)

describe('runMetaFromHead', () => {
  const results = runResult('abc123')
  results.run.commentKey = 'pull-request'
  const written = [...runResultChunks(results)].join('')
  const runEnd = written.indexOf('"commentKey": "pull-request"\n  }') + 32

  it('reads the run block from the start of the results, cut anywhere after it', () => {
    expect(runMetaFromHead(bytes(written))).toEqual(results.run)
    // Cut off just after the block, or in the middle of the suites' answers.
    expect(runMetaFromHead(bytes(written.slice(0, runEnd + 1)))).toEqual(results.run)
    expect(runMetaFromHead(bytes(written.slice(0, written.indexOf('"caseId"'))))).toEqual(
      results.run
    )
  })

  it('reads it after the suites, as sorted keys put it, when they are within the bytes', () => {
    const { run, schemaVersion, suites, tool } = results
    const sorted = JSON.stringify({ run, schemaVersion, suites, tool }, null, 2)
    expect(runMetaFromHead(bytes(sorted))).toEqual(results.run)
    const afterSuites = JSON.stringify({ suites, run })
    expect(runMetaFromHead(bytes(afterSuites))).toEqual(results.run)
    expect(runMetaFromHead(bytes(afterSuites.slice(0, 40)))).toBeUndefined()
  })

  it('finds none in bytes that end within it, hold none, or hold one the schema refuses', () => {
    expect(runMetaFromHead(bytes(written.slice(0, runEnd)))).toBeUndefined()
    expect(
      runMetaFromHead(bytes(written.slice(0, written.indexOf('"pull-request"'))))
    ).toBeUndefined()
    expect(runMetaFromHead(new Uint8Array(4096))).toBeUndefined()
    expect(runMetaFromHead(bytes('{"schemaVersion": 3, "suites": []}'))).toBeUndefined()
    expect(runMetaFromHead(bytes('["run", {}]'))).toBeUndefined()
    const twoLines = written.replace('"pull-request"', '"pull-request\\nother"')
    expect(runMetaFromHead(bytes(twoLines))).toBeUndefined()
  })
})
