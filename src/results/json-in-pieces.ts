/**
 * JSON.parse for a document too large to be one string: V8 caps a string near 512 MB, and a run of
 * 20,000 answers of 30 KB is larger. A value of at most `maxPiece` bytes is decoded and parsed
 * whole by JSON.parse; a larger object or array is taken apart, member by member, so no string
 * longer than one member is ever made. The result is what JSON.parse would give the whole text.
 */

const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a

/** Invalid JSON, at a byte offset of the whole document. */
export class JsonPieceError extends Error {
  readonly offset: number
  constructor(message: string, offset: number) {
    super(message)
    this.offset = offset
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true })
const encoder = new TextEncoder()

function isWhitespace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09
}

function skipWhitespace(bytes: Uint8Array, at: number): number {
  while (isWhitespace(bytes[at])) at++
  return at
}

/** The offset just past the string whose opening quote is at `start`. */
function stringEnd(bytes: Uint8Array, start: number): number {
  for (let at = start + 1; at < bytes.length; at++) {
    const byte = bytes[at]
    if (byte === BACKSLASH) at++
    else if (byte === QUOTE) return at + 1
  }
  throw new JsonPieceError('a string is not closed', start)
}

/**
 * The offset just past the value that starts at `start`: a string, a balanced object or array
 * (checked for balance only; JSON.parse or the descent checks the rest), or a bare word or number.
 */
function valueEnd(bytes: Uint8Array, start: number): number {
  const first = bytes[start]
  if (first === QUOTE) return stringEnd(bytes, start)
  if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) {
    let at = start
    while (at < bytes.length) {
      const byte = bytes[at]
      if (byte === COMMA || byte === CLOSE_OBJECT || byte === CLOSE_ARRAY || isWhitespace(byte))
        break
      at++
    }
    if (at === start) throw new JsonPieceError('a value is missing', start)
    return at
  }
  const closers: number[] = []
  for (let at = start; at < bytes.length; at++) {
    const byte = bytes[at]
    if (byte === QUOTE) at = stringEnd(bytes, at) - 1
    else if (byte === OPEN_OBJECT) closers.push(CLOSE_OBJECT)
    else if (byte === OPEN_ARRAY) closers.push(CLOSE_ARRAY)
    else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      if (closers.pop() !== byte)
        throw new JsonPieceError(`an unexpected \`${String.fromCharCode(byte)}\``, at)
      if (closers.length === 0) return at + 1
    }
  }
  throw new JsonPieceError(
    `${first === OPEN_OBJECT ? 'an object' : 'an array'} is not closed`,
    start
  )
}

/** JSON.parse of bytes [start, end), its errors placed in the whole document. */
function parseWhole(bytes: Uint8Array, start: number, end: number): unknown {
  let text: string
  try {
    text = decoder.decode(bytes.subarray(start, end))
  } catch {
    throw new JsonPieceError('the text is not valid UTF-8', start)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    const message = (error as Error).message
    const position = /at position (\d+)/.exec(message)?.[1]
    const offset =
      position === undefined
        ? start
        : start + encoder.encode(text.slice(0, Number(position))).length
    throw new JsonPieceError(message.replace(/ in JSON at position.*$/, ''), offset)
  }
}

class Reader {
  at = 0
  constructor(
    private readonly bytes: Uint8Array,
    private readonly maxPiece: number
  ) {}

  value(): unknown {
    const start = this.at
    const end = valueEnd(this.bytes, start)
    const first = this.bytes[start]
    if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) {
      this.at = end
      return parseWhole(this.bytes, start, end)
    }
    if (end - start <= this.maxPiece) {
      this.at = end
      try {
        return parseWhole(this.bytes, start, end)
      } catch (error) {
        // JSON.parse does not always say where: taking this piece apart finds the very token.
        const apart = new Reader(this.bytes, 0)
        apart.at = start
        apart.value()
        throw error
      }
    }
    this.at = start + 1
    return first === OPEN_ARRAY ? this.array() : this.object()
  }

  private array(): unknown[] {
    const items: unknown[] = []
    this.members(CLOSE_ARRAY, () => items.push(this.value()))
    return items
  }

  private object(): Record<string, unknown> {
    const object: Record<string, unknown> = {}
    this.members(CLOSE_OBJECT, () => {
      if (this.bytes[this.at] !== QUOTE) throw new JsonPieceError('a key is missing', this.at)
      const keyEnd = stringEnd(this.bytes, this.at)
      const key = parseWhole(this.bytes, this.at, keyEnd) as string
      this.at = skipWhitespace(this.bytes, keyEnd)
      if (this.bytes[this.at] !== COLON) throw new JsonPieceError('a `:` is missing', this.at)
      this.at = skipWhitespace(this.bytes, this.at + 1)
      // Defined, not assigned: a `__proto__` key is data, as JSON.parse makes it.
      Object.defineProperty(object, key, {
        value: this.value(),
        writable: true,
        enumerable: true,
        configurable: true
      })
    })
    return object
  }

  /** The members up to `closer`, separated by commas, each read by `member`. */
  private members(closer: number, member: () => void): void {
    this.at = skipWhitespace(this.bytes, this.at)
    if (this.bytes[this.at] === closer) {
      this.at++
      return
    }
    for (;;) {
      member()
      this.at = skipWhitespace(this.bytes, this.at)
      const byte = this.bytes[this.at]
      if (byte === closer) {
        this.at++
        return
      }
      if (byte !== COMMA) throw new JsonPieceError('a `,` is missing', this.at)
      this.at = skipWhitespace(this.bytes, this.at + 1)
    }
  }
}

/** The value of the JSON document `bytes` (UTF-8); throws JsonPieceError where it is invalid. */
export function parseJsonInPieces(bytes: Uint8Array, maxPiece = 64 * 2 ** 20): unknown {
  const reader = new Reader(bytes, maxPiece)
  reader.at = skipWhitespace(bytes, 0)
  if (reader.at === bytes.length) throw new JsonPieceError('there is no JSON value', 0)
  const value = reader.value()
  const rest = skipWhitespace(bytes, reader.at)
  if (rest !== bytes.length) throw new JsonPieceError('unexpected text after the JSON value', rest)
  return value
}

/** The 1-based line and column (in characters, as editors count them) of a byte offset. */
export function lineAndColumn(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1
  let column = 1
  for (let at = 0; at < offset && at < bytes.length; at++) {
    const byte = bytes[at] as number
    if (byte === 0x0a) {
      line++
      column = 1
    } else if ((byte & 0xc0) !== 0x80) {
      // Not a UTF-8 continuation byte: a character starts here.
      column++
    }
  }
  return { line, column }
}

/**
 * The value of the member `key` of the JSON object that `head` begins, when `head` holds it whole:
 * `head` is the start of a document too large to read, so the members before it are stepped over,
 * not parsed. Undefined when `head` ends before that member does, does not begin an object, or
 * the object ends without that member.
 */
export function memberInHead(head: Uint8Array, key: string): unknown {
  try {
    let at = skipWhitespace(head, 0)
    if (head[at] !== OPEN_OBJECT) return undefined
    at = skipWhitespace(head, at + 1)
    while (head[at] === QUOTE) {
      const keyEnd = stringEnd(head, at)
      const name = parseWhole(head, at, keyEnd)
      at = skipWhitespace(head, keyEnd)
      if (head[at] !== COLON) return undefined
      const start = skipWhitespace(head, at + 1)
      const end = valueEnd(head, start)
      // A value that ends with `head` may be cut short (a number): the object's `}` comes after it.
      if (end >= head.length) return undefined
      if (name === key) return parseWhole(head, start, end)
      at = skipWhitespace(head, end)
      if (head[at] !== COMMA) return undefined
      at = skipWhitespace(head, at + 1)
    }
    return undefined
  } catch (error) {
    if (error instanceof JsonPieceError) return undefined
    throw error
  }
}
