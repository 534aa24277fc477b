import { InputError } from '../../src/errors.js'
import {
  JsonPieceError,
  lineAndColumn,
  parseJsonInPieces
} from '../../src/results/json-in-pieces.js'
import { parseLargeRunResult, parseRunResult } from '../../src/results/parse.js'
import { runResult } from '../helpers/run-result.js'

const bytes = (text: string) => new TextEncoder().encode(text)

/** Piece sizes from "every value taken apart" to "one JSON.parse". */
const PIECES = [1, 7, 64, Number.POSITIVE_INFINITY]

/** A seeded generator of JSON values: nesting, escapes, multi-byte text, all the literals. */
function randomJson(seed: number): unknown {
  let state = seed
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31
    return state / 2 ** 31
  }
  const texts = [
    '',
    'a',
    'quote " and \\ back',
    'é🚀 ünï',
    'line\nbreak\ttab',
    '__proto__',
    '\u0000'
  ]
  const value = (depth: number): unknown => {
    const kind = Math.floor(next() * (depth > 3 ? 5 : 7))
    switch (kind) {
      case 0:
        return null
      case 1:
        return next() < 0.5
      case 2:
        return Math.round((next() - 0.5) * 1e6) / 100
      case 3:
      case 4:
        return texts[Math.floor(next() * texts.length)]
      case 5:
        return Array.from({ length: Math.floor(next() * 5) }, () => value(depth + 1))
      default: {
        const object: Record<string, unknown> = {}
        for (let i = Math.floor(next() * 5); i > 0; i--) {
          object[texts[Math.floor(next() * texts.length)] + String(i)] = value(depth + 1)
        }
        return object
      }
    }
  }
  return value(0)
}

describe('parseJsonInPieces', () => {
  it.each(PIECES)('gives what JSON.parse gives, in pieces of at most %d bytes', (maxPiece) => {
    const documents = [
      '{"a": [1, 2.5e3, -0.25, true, false, null], "b": {"c": "é🚀 \\" \\\\ \\u00e9"}}',
      ' \n\t[ ] ',
      '{}',
      '"just a string"',
      '-12',
      '[[[[["deep"]]]], {"x": {}}, []]',
      '{\r\n  "spaced" :\r\n  [ 1 ,\r\n 2 ]\r\n}'
    ]
    for (const text of documents) {
      expect(parseJsonInPieces(bytes(text), maxPiece)).toEqual(JSON.parse(text))
    }
    for (let seed = 1; seed <= 200; seed++) {
      const text = JSON.stringify(randomJson(seed), null, seed % 2 === 0 ? 2 : undefined)
      expect(parseJsonInPieces(bytes(text), maxPiece)).toEqual(JSON.parse(text))
    }
  })

  it('keeps a `__proto__` key as data, as JSON.parse does', () => {
    const parsed = parseJsonInPieces(bytes('{"__proto__": {"polluted": true}, "a": 1}'), 1) as {
      polluted?: unknown
    }
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype)
    expect(parsed.polluted).toBeUndefined()
    expect(Object.keys(parsed)).toEqual(['__proto__', 'a'])
  })

  it.each([
    ['{"a": 1,}', 'a key is missing', 8],
    ['[1 2]', 'a `,` is missing', 3],
    ['{"a" 1}', 'a `:` is missing', 5],
    ['[1, [2]', 'an array is not closed', 0],
    ['{"a": [1}', 'an unexpected `}`', 8],
    ['{"a": "b', 'a string is not closed', 6],
    ['{} x', 'unexpected text after the JSON value', 3],
    ['  ', 'there is no JSON value', 0]
  ])('says where %j is invalid: %s', (text, message, offset) => {
    expect(() => parseJsonInPieces(bytes(text), 1)).toThrow(new JsonPieceError(message, offset))
    try {
      parseJsonInPieces(bytes(text), 1)
    } catch (error) {
      expect((error as JsonPieceError).offset).toBe(offset)
    }
  })

  it.each(PIECES)(
    "places JSON.parse's errors on their token, in pieces of %d bytes",
    (maxPiece) => {
      const text = '{\n  "a": [1, 2],\n  "é": tru\n}'
      let error: JsonPieceError | undefined
      try {
        parseJsonInPieces(bytes(text), maxPiece)
      } catch (thrown) {
        error = thrown as JsonPieceError
      }
      expect(error).toBeInstanceOf(JsonPieceError)
      expect(lineAndColumn(bytes(text), error?.offset ?? -1)).toEqual({ line: 3, column: 8 })
    }
  )

  it('refuses bytes that are not UTF-8', () => {
    expect(() => parseJsonInPieces(new Uint8Array([0x22, 0xff, 0x22]), 1)).toThrow(
      'the text is not valid UTF-8'
    )
  })
})

describe('parseLargeRunResult', () => {
  it('reads a RunResult as parseRunResult does', () => {
    const text = JSON.stringify(runResult('abc123'), null, 2)
    expect(parseLargeRunResult(bytes(text), 'big.json')).toEqual(parseRunResult(text, 'big.json'))
  })

  it('names the line and column of invalid JSON', () => {
    const text = JSON.stringify(runResult('abc123'), null, 2).replace('"suites": [', '"suites": [,')
    const line = text.split('\n').findIndex((l) => l.includes('"suites": [,')) + 1
    expect(() => parseLargeRunResult(bytes(text), 'big.json')).toThrow(InputError)
    expect(() => parseLargeRunResult(bytes(text), 'big.json')).toThrow(
      new RegExp(`big\\.json:${line}:\\d+: not valid JSON: `)
    )
  })
})
