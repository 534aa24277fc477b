import {
  LineCounter,
  isAlias,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Alias,
  type Document,
  type Pair,
  type YAMLMap
} from 'yaml'
import { errorMessage, type Diagnostic } from '../errors.js'

/** A field path inside a document: mapping keys and list indexes. */
export type FieldPath = readonly (string | number)[]

export interface Position {
  line: number
  column: number
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/

/** `providers[1].headers.Authorization`, as diagnostics show a field. */
export function formatFieldPath(path: FieldPath): string {
  let text = ''
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`
    else if (PLAIN_KEY.test(segment)) text += text === '' ? segment : `.${segment}`
    else text += `[${JSON.stringify(segment)}]`
  }
  return text
}

/** A `<<` key, which the `merge` option parses as a scalar holding a symbol. */
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === 'symbol' && key.value.description === '<<'
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: readonly number[] } | null)?.range
  return range?.[0]
}

// The YAML tags of JSON's types, which read as written.
const CORE_TAG_PREFIX = 'tag:yaml.org,2002:'
const JSON_TAGS = new Set(['!!str', '!!int', '!!float', '!!bool', '!!null', '!!map', '!!seq'])

/**
 * A parsed YAML file that remembers where every node is, so a problem found in the plain data
 * (by the schema, or later) can be reported at its line and column.
 */
export class YamlFile {
  /**
   * Syntax errors, at yaml's own positions, else the tags evalgate does not read: when there are
   * any, the data is not to be trusted.
   */
  readonly syntaxErrors: Diagnostic[]
  private readonly lineCounter: LineCounter
  private readonly doc: Document

  constructor(
    /** The file as diagnostics name it (relative to the working directory). */
    readonly file: string,
    private readonly text: string
  ) {
    this.lineCounter = new LineCounter()
    // `merge`: `<<: *anchor` merge keys, which YAML 1.2 leaves out but spec files use to share
    // provider settings.
    this.doc = parseDocument(text, {
      lineCounter: this.lineCounter,
      prettyErrors: false,
      merge: true
    })
    const syntaxErrors = this.firstSyntaxError()
    this.syntaxErrors = syntaxErrors.length > 0 ? syntaxErrors : this.tagProblems()
  }

  /**
   * Tags: evalgate reads none. yaml only warns of one it cannot resolve and reads the value as if
   * untagged (`!include prompt.txt` would be the text `prompt.txt`), and turns YAML 1.1's
   * `!!binary`, `!!timestamp`, `!!set`, `!!omap` into values JSON has not (bytes, a date, `{}`).
   * The tags of the JSON types (`!!str`, `!!int`…) and the non-specific `!` are kept.
   */
  private tagProblems(): Diagnostic[] {
    const hint =
      'evalgate reads no YAML tags, so no includes or environment lookups: write the value itself'
    const problems = this.doc.warnings
      .filter((warning) => warning.code === 'TAG_RESOLVE_FAILED')
      .map((warning) => {
        const tag = this.text.slice(warning.pos[0], warning.pos[1])
        return JSON_TAGS.has(tag)
          ? this.problemAt(
              warning.pos[0],
              `YAML tag \`${tag}\` does not fit its value`,
              'leave the tag out, or write a value of its type (`!!float 1.0`)'
            )
          : this.problemAt(warning.pos[0], `unknown YAML tag \`${tag}\``, hint)
      })
    visit(this.doc, {
      Node: (_key, node) => {
        const tag = node.tag
        if (tag === undefined || !tag.startsWith(CORE_TAG_PREFIX)) return
        const short = `!!${tag.slice(CORE_TAG_PREFIX.length)}`
        if (JSON_TAGS.has(short)) return
        problems.push(
          this.problemAt(rangeStart(node) ?? 0, `YAML tag \`${short}\` is not read`, hint)
        )
      }
    })
    return problems
  }

  /**
   * The first YAML error, the one to fix: a parser thrown off by one mistake reports every token
   * after it too (34 errors for one unquoted `${VAR}` in a `{ … }` mapping).
   */
  private firstSyntaxError(): Diagnostic[] {
    const errors = this.doc.errors
    // Duplicate keys are each a mistake of their own, and the file is otherwise read as meant.
    if (errors.length > 0 && errors.every((e) => e.code === 'DUPLICATE_KEY')) {
      return errors.map((error) => {
        const rest = this.text.slice(error.pos[0])
        const key = (/^("(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|[^\n:]*)/.exec(rest)?.[0] ?? '').trim()
        return {
          file: this.file,
          ...this.positionOf(error.pos[0]),
          path: '',
          message: `duplicate key \`${key}\``,
          hint: 'a key appears once in a mapping: remove or merge the other one'
        }
      })
    }
    const [first, ...rest] = errors
    if (first === undefined) return []
    if (first.code === 'MULTIPLE_DOCS') {
      return [
        {
          file: this.file,
          ...this.positionOf(first.pos[0]),
          path: '',
          message: 'a second YAML document (after `---`): a spec file holds one',
          hint: 'remove the `---` line, or move that document to a spec file of its own'
        }
      ]
    }
    const position = this.positionOf(first.pos[0])
    const line = this.text.split(/\r?\n/)[position.line - 1] ?? ''
    const more = rest.length === 0 ? '' : ` (and ${rest.length} more after it, likely caused by it)`
    const diagnostic: Diagnostic = {
      file: this.file,
      ...position,
      path: '',
      message: `invalid YAML: ${first.message}${more}`
    }
    // `{` starts a mapping in YAML: an unquoted `${VAR}` or `{{var}}` value is the usual cause.
    if (/(^|[\s:,[{])(\$\{|\{\{)/.test(line.replace(/'[^']*'|"[^"]*"/g, "''"))) {
      diagnostic.hint = "quote a value holding `${VAR}` or `{{var}}`, e.g. `key: '${VAR}'`"
    }
    return [diagnostic]
  }

  /** The top node: a mapping, a list, a scalar, or undefined for an empty document. */
  get shape(): 'mapping' | 'list' | 'scalar' | 'empty' {
    const contents = this.doc.contents
    if (contents === null) return 'empty'
    if (isScalar(contents) && contents.value === null) return 'empty'
    return isMap(contents) ? 'mapping' : isSeq(contents) ? 'list' : 'scalar'
  }

  /**
   * The plain data, or the problems (at the node) that keep the YAML from having any, or any that
   * means what the file says: a bad alias or merge, or a mapping where text was meant.
   */
  data(): { value: unknown } | { problems: Diagnostic[] } {
    const problems: Diagnostic[] = []
    visit(this.doc, {
      Alias: (_, alias) => {
        const problem = this.aliasProblem(alias)
        if (problem === undefined) return undefined
        problems.push(problem)
        // One bad alias is enough: the rest of the walk may loop through it.
        return visit.BREAK
      },
      Map: (_, map) => {
        const [start, end] = map.range ?? []
        const written = start === undefined ? '' : this.text.slice(start, end)
        if (!/^\{\{[^{}]*\}\}$/.test(written)) return undefined
        problems.push(
          this.problemAt(
            start ?? 0,
            `\`${written}\` unquoted is a YAML mapping, not text`,
            `quote it: '${written}'`
          )
        )
        return visit.SKIP
      },
      Pair: (_, pair) => {
        const problem = isMergeKey(pair.key) ? this.mergeProblem(pair) : this.keyProblem(pair)
        if (problem !== undefined) problems.push(problem)
      }
    })
    if (problems.length > 0) return { problems }
    try {
      return { value: this.doc.toJS({ maxAliasCount: 1000 }) }
    } catch (error) {
      return { problems: [this.diagnostic([], `invalid YAML: ${errorMessage(error)}`)] }
    }
  }

  private resolved(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node
  }

  /** An alias without an anchor, or inside the value it stands for. */
  private aliasProblem(alias: Alias): Diagnostic | undefined {
    const at = rangeStart(alias) ?? 0
    const target = alias.resolve(this.doc)
    const [start, , end] = target?.range ?? []
    if (target === undefined) {
      return this.problemAt(
        at,
        `the alias \`*${alias.source}\` has no anchor \`&${alias.source}\` before it`,
        'define `&name` on a value above it, or write the value itself'
      )
    }
    if (start !== undefined && end !== undefined && at >= start && at < end) {
      return this.problemAt(
        at,
        `the alias \`*${alias.source}\` is inside the value it stands for, which would never end`,
        'write the values out instead of the alias'
      )
    }
    return undefined
  }

  /** A `<<` merge whose value is not a mapping, or a list of mappings, to take keys from. */
  private mergeProblem(pair: Pair): Diagnostic | undefined {
    const value = this.resolved(pair.value)
    const sources = isSeq(value) ? value.items : [value]
    // An alias without an anchor resolves to nothing: reported as that.
    const isMergeable = (source: unknown) =>
      isMap(this.resolved(source)) || (isAlias(source) && source.resolve(this.doc) === undefined)
    if (value === undefined || sources.every(isMergeable)) return undefined
    return this.problemAt(
      rangeStart(pair.key) ?? 0,
      '`<<` merges a mapping into this one, but its value is not a mapping',
      'write `<<: *name` with `&name` on a mapping above, or a list of such aliases'
    )
  }

  /** A mapping or list written as a key, which plain data cannot have. */
  private keyProblem(pair: Pair): Diagnostic | undefined {
    if (!isCollection(this.resolved(pair.key))) return undefined
    return this.problemAt(
      rangeStart(pair.key) ?? 0,
      'a mapping or list used as a key',
      "a key is text: quote it, e.g. `'{a: 1}': value`"
    )
  }

  private problemAt(offset: number, message: string, hint: string): Diagnostic {
    return { file: this.file, ...this.positionOf(offset), path: '', message, hint }
  }

  /**
   * A plain number or boolean as written (`1.10`, `007`, `True`), for a field that takes text:
   * YAML reads it as 1.1, 7 or true, which is not what the file says. Undefined for anything else.
   */
  scalarAsWritten(path: FieldPath): string | undefined {
    const node = this.nodeAt(path, false)
    const value: unknown = isScalar(node) ? node.value : undefined
    const readAsText = typeof value === 'number' || typeof value === 'boolean'
    if (!isScalar(node) || !readAsText || node.type !== 'PLAIN') return undefined
    const [start, end] = node.range ?? []
    return start === undefined || end === undefined ? undefined : this.text.slice(start, end)
  }

  /** Where the node at `path` starts; the nearest existing ancestor when it does not exist. */
  position(path: FieldPath, options: { key?: boolean } = {}): Position {
    return this.positionOf(rangeStart(this.nodeAt(path, options.key ?? false)) ?? 0)
  }

  /**
   * Where character `offset` of the string at `path` is written: inside a literal block (`|`)
   * or a one-line scalar whose text is written as it reads; the scalar's start otherwise
   * (folded or escaped text does not map character by character).
   */
  positionInString(path: FieldPath, offset: number): Position {
    const node = this.nodeAt(path, false)
    const start = this.position(path)
    if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return start
    const value = node.value
    const [from, to] = node.range
    if (node.type === 'BLOCK_LITERAL') {
      const before = value.slice(0, offset).split('\n')
      const lineInValue = before.length - 1
      const column = (before.at(-1) ?? '').length
      const [header = '', ...content] = this.text.slice(from, to).split(/\r?\n/)
      // An indentation indicator (`|2`) sets the indentation, counted from the key's (after a
      // `- ` of a list item); without one, the first line with text does.
      const indicator = /^\|[+-]?([1-9])/.exec(header)?.[1]
      const lineStart = this.text.lastIndexOf('\n', from - 1) + 1
      const ownIndent = /^ *(?:- +)*/.exec(this.text.slice(lineStart, from))?.[0].length ?? 0
      const indent =
        indicator !== undefined
          ? ownIndent + Number(indicator)
          : (/^ */.exec(content.find((line) => line.trim() !== '') ?? '')?.[0].length ?? 0)
      return { line: start.line + 1 + lineInValue, column: indent + column + 1 }
    }
    const quote = node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE' ? 1 : 0
    const written = this.text.slice(from + quote, to - quote)
    if (node.type !== 'PLAIN' && quote === 0) return start
    if (written !== value || value.includes('\n')) return start
    return { line: start.line, column: start.column + quote + offset }
  }

  diagnostic(
    path: FieldPath,
    message: string,
    hint?: string,
    options: { key?: boolean; offset?: number } = {}
  ): Diagnostic {
    const diagnostic: Diagnostic = {
      file: this.file,
      ...(options.offset === undefined
        ? this.position(path, options)
        : this.positionInString(path, options.offset)),
      path: formatFieldPath(path),
      message
    }
    if (hint !== undefined) diagnostic.hint = hint
    return diagnostic
  }

  private positionOf(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset)
    return { line, column: col }
  }

  /**
   * The pair of `map` with key `key`: its own, else one a `<<` merge key brings in (its own keys
   * win, then the merged mappings in order), so a merged field is found where it is written.
   */
  private pairAt(map: YAMLMap, key: string): Pair | undefined {
    const own = map.items.find(
      (item) => isScalar(item.key) && !isMergeKey(item.key) && String(item.key.value) === key
    )
    if (own !== undefined) return own
    for (const item of map.items) {
      if (!isMergeKey(item.key)) continue
      const value = isAlias(item.value) ? item.value.resolve(this.doc) : item.value
      const sources = isSeq(value) ? value.items : [value]
      for (const source of sources) {
        const merged = isAlias(source) ? source.resolve(this.doc) : source
        const pair = isMap(merged) ? this.pairAt(merged, key) : undefined
        if (pair !== undefined) return pair
      }
    }
    return undefined
  }

  /** The node at `path` (its key node when `key`), or the deepest ancestor that exists. */
  private nodeAt(path: FieldPath, key: boolean): unknown {
    let node: unknown = this.doc.contents
    for (const [index, segment] of path.entries()) {
      if (isAlias(node)) node = node.resolve(this.doc)
      let next: unknown
      if (isMap(node)) {
        const pair = this.pairAt(node, String(segment))
        if (pair === undefined) return node
        if (key && index === path.length - 1) return pair.key
        // `key:` with nothing after it has no value node: point at the key.
        next = rangeStart(pair.value) === undefined ? pair.key : pair.value
      } else if (isSeq(node)) {
        next = node.items[Number(segment)]
      }
      if (rangeStart(next) === undefined) return node
      node = next
    }
    return node
  }
}

/** Whether parsed YAML is a mapping (not null, a list or a scalar). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
