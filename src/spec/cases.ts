import { readFile, stat } from 'node:fs/promises'
import { extname } from 'node:path'
import { parse as parseCsv } from 'csv-parse/sync'
import { errorMessage, type Diagnostic, type SourceLocation } from '../errors.js'
import { utf8Text } from '../io/files.js'
import { canonicalJson, fingerprint } from '../results/fingerprint.js'
import type { SpecContext } from './context.js'
import { rememberWrittenNumber, writtenAs } from './template.js'
import type { EvalCase } from './types.js'
import { YamlFile, formatFieldPath, type FieldPath } from './yaml-file.js'

/** A loaded case, with what duplicate-id diagnostics need. */
export interface LoadedCase {
  evalCase: EvalCase
  /** The id was derived from the variables (the row gave none). */
  derivedId: boolean
  /** Field path of the case in its file (`cases[3]` inline, `[3]` in a YAML case file, or ''). */
  path: string
}

/** The id of a case without one: the first 12 hex digits of the sha256 of its canonical variables. */
export function derivedCaseId(vars: Record<string, unknown>): string {
  return fingerprint(vars).slice(0, 12)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/**
 * `id` / `cluster` of a row: strings and numbers count, a number as written (`007`, `1.10`);
 * empty (a blank CSV cell) means none.
 */
function optionalName(
  row: Record<string, unknown>,
  key: 'id' | 'cluster',
  report: (message: string, hint: string) => void
): string | undefined | false {
  const value = row[key]
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value === 'string') return value
  if (typeof value === 'number' && Number.isFinite(value)) {
    return writtenAs(row, key) ?? String(value)
  }
  report(`\`${key}\` must be a string or a number, got ${kindOf(value)}`, `\`${key}\` is reserved`)
  return false
}

/**
 * One row of a case file (or an inline case) → a case. A row is flat (`id` and `cluster` are
 * reserved, every other key is a variable) or `{id?, cluster?, vars: {...}}`.
 */
function caseFromRow(
  row: Record<string, unknown>,
  source: SourceLocation,
  path: FieldPath,
  diagnostics: Diagnostic[]
): LoadedCase | undefined {
  const { id: _id, cluster: _cluster, ...rest } = row
  const nested = isPlainObject(rest.vars) && Object.keys(rest).length === 1
  const vars = nested ? (rest.vars as Record<string, unknown>) : rest
  const report = (key: string) => (message: string, hint: string) =>
    diagnostics.push({ ...source, path: formatFieldPath([...path, key]), message, hint })
  const id = optionalName(row, 'id', report('id'))
  const cluster = optionalName(row, 'cluster', report('cluster'))
  if (id === false || cluster === false) return undefined
  const evalCase: EvalCase = { id: id ?? derivedCaseId(vars), vars, source }
  if (cluster !== undefined) evalCase.cluster = cluster
  return { evalCase, derivedId: id === undefined, path: formatFieldPath(path) }
}

function rowProblem(file: string, line: number, message: string, hint?: string): Diagnostic {
  return { file, line, path: '', message, ...(hint === undefined ? {} : { hint }) }
}

/** JSON.parse's source text of a value (Node ≥ 22), which TypeScript's lib does not type yet. */
interface JsonReviverContext {
  source?: string
}

/** A JSON.parse reviver keeping the text of numbers as the line writes them (`9.90`). */
function rememberNumbersAsWritten(
  this: unknown,
  key: string,
  value: unknown,
  context?: JsonReviverContext
): unknown {
  if (
    typeof value === 'number' &&
    context?.source !== undefined &&
    (isPlainObject(this) || Array.isArray(this))
  ) {
    rememberWrittenNumber(this, key, context.source)
  }
  return value
}

/**
 * Remembers, through `value` (the data at `path` of `yaml`), the text of each number and boolean
 * as written.
 */
function rememberYamlNumbers(yaml: YamlFile, path: FieldPath, value: unknown): void {
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((item, index) => [index, item])
    : isPlainObject(value)
      ? Object.entries(value)
      : []
  for (const [key, child] of entries) {
    if (typeof child === 'number' || typeof child === 'boolean') {
      const text = yaml.scalarAsWritten([...path, key])
      if (text !== undefined) rememberWrittenNumber(value as object, String(key), text)
    } else {
      rememberYamlNumbers(yaml, [...path, key], child)
    }
  }
}

/**
 * The first key written twice in one object of `json` (valid JSON), where it is written, or
 * undefined: JSON.parse keeps the last value without a word, where YAML refuses the file.
 */
function duplicateKey(json: string): { key: string; offset: number } | undefined {
  // The keys seen in each enclosing object; null for an array.
  const open: (Set<string> | null)[] = []
  for (let i = 0; i < json.length; i++) {
    const c = json[i]
    if (c === '{') open.push(new Set())
    else if (c === '[') open.push(null)
    else if (c === '}' || c === ']') open.pop()
    else if (c === '"') {
      let end = i + 1
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1
      const keys = open.at(-1)
      if (keys && /^\s*:/.test(json.slice(end + 1, end + 64))) {
        const key = JSON.parse(json.slice(i, end + 1)) as string
        if (keys.has(key)) return { key, offset: i }
        keys.add(key)
      }
      i = end
    }
  }
  return undefined
}

/**
 * The problem of a file that is one JSON array or object over several lines, not a case per line:
 * reported once, instead of "not valid JSON" for each of its lines.
 */
function notJsonLines(
  text: string,
  lines: readonly string[],
  file: string
): Diagnostic | undefined {
  const index = lines.findIndex((line) => line.trim() !== '')
  const first = (lines[index] ?? '').trim()
  if (!first.startsWith('[') && !first.startsWith('{')) return undefined
  // A first line that only opens the document, or a broken one of a file that parses whole as
  // one: a mistake on the first line of real JSON Lines (a trailing comma) is reported where it
  // is, as on any line. A first line that parses (every valid file) costs no second parse.
  const opensDocument = first === '[' || first === '{'
  if (!opensDocument && (isJson(first) || first === text.trim() || !isJson(text))) return undefined
  const array = first.startsWith('[')
  return {
    file,
    line: index + 1,
    column: 1,
    path: '',
    message: `the file is one JSON ${array ? 'array' : 'object'} over several lines, not JSON Lines (one case per line)`,
    hint: `write each case as a JSON object on a line of its own; \`jq -c '${array ? '.[]' : '.'}' cases.json > cases.jsonl\` converts it`
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

function parseJsonl(text: string, file: string, diagnostics: Diagnostic[]): LoadedCase[] {
  const cases: LoadedCase[] = []
  const lines = text.split(/\r?\n/)
  const wholeFile = notJsonLines(text, lines, file)
  if (wholeFile !== undefined) {
    diagnostics.push(wholeFile)
    return []
  }
  lines.forEach((line, index) => {
    const lineNumber = index + 1
    if (line.trim() === '') return
    let row: unknown
    try {
      row = JSON.parse(line, rememberNumbersAsWritten)
    } catch (error) {
      const message = (error as Error).message
      // V8 says where: "... in JSON at position 12 (line 1 column 13)", of the line alone: the
      // column is kept, the line of the file is the diagnostic's own.
      const column = /column (\d+)\)/.exec(message)?.[1]
      const reason = message.replace(/ \(line \d+ column \d+\)/, '')
      diagnostics.push({
        ...rowProblem(file, lineNumber, 'line is not valid JSON', reason),
        ...(column === undefined ? {} : { column: Number(column) })
      })
      return
    }
    const repeated = duplicateKey(line)
    if (repeated) {
      diagnostics.push({
        ...rowProblem(
          file,
          lineNumber,
          `key \`${repeated.key}\` appears twice in one object`,
          'JSON would keep the second value and drop the first without a word: keep one'
        ),
        column: repeated.offset + 1
      })
      return
    }
    if (!isPlainObject(row)) {
      diagnostics.push(
        rowProblem(
          file,
          lineNumber,
          `expected a JSON object, got ${kindOf(row)}`,
          'one case per line: {"id": ..., "var": ...}'
        )
      )
      return
    }
    const loaded = caseFromRow(row, { file, line: lineNumber }, [], diagnostics)
    if (loaded) cases.push(loaded)
  })
  return cases
}

interface CsvRecord {
  record: Record<string, string>
  raw: string
  info: { lines: number }
}

/** What csv-parse says of a record it skips (`on_skip`), as far as the diagnostics need it. */
interface CsvSkip {
  code: string
  message: string
  /** The line the parser had reached: the record's last. */
  lines: number
  /** The record's text so far. */
  raw?: string
  /** The field being read. */
  index?: number
  /** The fields read, for a record with the wrong number of them. */
  record?: unknown[]
}

/** A record's text without the empty lines csv-parse skipped before it. */
function recordText(raw: string): string {
  return raw.replace(/^\n+/, '')
}

/** How many line breaks a record's text holds, a final one aside. */
function innerLineBreaks(text: string): number {
  return text.replace(/\n$/, '').match(/\n/g)?.length ?? 0
}

/**
 * Where field `index` (0-based) of a CSV record starts: the line (counted from the record's
 * first) and the column. Fields before it are complete, so their quotes pair up.
 */
function csvFieldStart(raw: string, index: number): { lineOffset: number; column: number } {
  let field = 0
  let quoted = false
  let lineOffset = 0
  let lineStart = 0
  for (let position = 0; position < raw.length && field < index; position++) {
    const char = raw[position]
    if (char === '"') quoted = !quoted
    else if (char === '\n') {
      lineOffset++
      lineStart = position + 1
    } else if (char === ',' && !quoted && ++field === index) {
      return { lineOffset, column: position + 2 - lineStart }
    }
  }
  return { lineOffset: 0, column: 1 }
}

const CSV_FORMAT_HINT =
  'one header row, then one row per case, values separated by commas; quote a value that holds a comma, a quote or a line break'

/** The line a skipped record starts on (a quoted value may span lines). */
function skippedRecordLine(skip: CsvSkip): number {
  return skip.lines - innerLineBreaks(recordText(skip.raw ?? ''))
}

/** A record csv-parse skipped, in plain words, at the line and column of the problem. */
function csvSkipProblem(skip: CsvSkip, file: string, header: readonly string[]): Diagnostic {
  const raw = recordText(skip.raw ?? '')
  const at = (fieldIndex: number) => {
    const { lineOffset, column } = csvFieldStart(raw, fieldIndex)
    return { file, line: skippedRecordLine(skip) + lineOffset, column, path: '' }
  }
  const columns = `the columns are: ${header.join(', ')}`
  switch (skip.code) {
    case 'CSV_RECORD_INCONSISTENT_COLUMNS':
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const count = skip.record?.length ?? 0
      const message = `row has ${count} field${count === 1 ? '' : 's'}, the header has ${header.length}`
      return count > header.length
        ? {
            ...at(header.length),
            message,
            hint: `quote a value that holds a comma, like "a, b"; ${columns}`
          }
        : {
            ...at(0),
            message,
            hint: `give every column a value (an empty one is nothing between two commas); ${columns}`
          }
    }
    case 'INVALID_OPENING_QUOTE':
      return {
        ...at(skip.index ?? 0),
        message: 'a quote `"` inside a value that does not start with one',
        hint: 'quote the whole value and double the quotes inside it: "say ""hi"""'
      }
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return {
        ...at(skip.index ?? 0),
        message: 'text after the closing quote of a quoted value',
        hint: 'a quoted value ends at its closing `"`; write a quote inside it as `""`'
      }
    case 'CSV_QUOTE_NOT_CLOSED':
      return {
        ...at(skip.index ?? 0),
        message: 'a quoted value is never closed',
        hint: 'add the closing `"`; write a quote inside a quoted value as `""`'
      }
    default:
      // The location carries the line, so the message's own " on line N" is dropped.
      return {
        ...at(0),
        message: skip.message.replace(/ (on|at) line \d+$/, ''),
        hint: CSV_FORMAT_HINT
      }
  }
}

/**
 * Empty and duplicate column names, which csv-parse would silently merge, and names with spaces
 * around them, which no `{{name}}` would match.
 */
function csvHeaderProblems(header: readonly string[], text: string, file: string): Diagnostic[] {
  return header.flatMap((name, index) => {
    const { lineOffset, column } = csvFieldStart(text, index)
    const at = { file, line: 1 + lineOffset, column, path: '' }
    if (name === '') {
      return [
        {
          ...at,
          message: `column ${index + 1} has no name`,
          hint: 'name every column in the header row (the first line)'
        }
      ]
    }
    if (name.trim() !== name) {
      return [
        {
          ...at,
          message: `column name ${JSON.stringify(name)} has a space before or after it`,
          hint: `a space after a comma is part of the name in CSV: write the header as \`${header.map((column) => column.trim()).join(',')}\``
        }
      ]
    }
    if (header.indexOf(name) !== index) {
      return [
        {
          ...at,
          message: `duplicate column \`${name}\``,
          hint: 'each column needs its own name: rename or remove one'
        }
      ]
    }
    return []
  })
}

/**
 * Quote mistakes after which csv-parse reads on as if inside a quoted value, swallowing the rest of
 * the file: parsing starts again on the next line, so later rows get their own problems.
 */
const RUNS_ON_QUOTED = new Set([
  'CSV_INVALID_CLOSING_QUOTE',
  'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE',
  'CSV_QUOTE_NOT_CLOSED'
])

/** Thrown from `on_skip` to stop a pass at a quote mistake, and start again after its line. */
class StartAgainAfter {
  constructor(readonly line: number) {}
}

function parseCsvCases(text: string, file: string, diagnostics: Diagnostic[]): LoadedCase[] {
  // CRLF is normalised first: csv-parse miscounts lines after an empty CRLF line.
  const normalized = text.replace(/\r\n/g, '\n')
  const lines = normalized.split('\n')
  let header: string[] = []
  // csv-parse may report a record more than once (one bad quote, then another): its first
  // problem is the one to fix.
  const recordsReported = new Set<number>()
  const records: CsvRecord[] = []
  // Each pass parses from line `offset + 1` on, the header row being the first pass's.
  for (let offset: number | undefined = 0; offset !== undefined;) {
    const passOffset = offset
    offset = undefined
    try {
      parseCsv(passOffset === 0 ? normalized : lines.slice(passOffset).join('\n'), {
        columns: passOffset === 0 ? (names: string[]) => (header = names) : header,
        bom: true,
        info: true,
        raw: true,
        skip_empty_lines: true,
        skip_records_with_error: true,
        on_record: (record: CsvRecord) => {
          records.push({ ...record, info: { lines: record.info.lines + passOffset } })
          return null
        },
        on_skip: (error) => {
          if (error === undefined) return undefined
          const { code, message, lines: reached, raw, index, record } = error as unknown as CsvSkip
          const skip = { code, message, lines: reached + passOffset, raw, index, record }
          if (recordsReported.has(skippedRecordLine(skip))) return undefined
          recordsReported.add(skippedRecordLine(skip))
          const problem = csvSkipProblem(skip, file, header)
          diagnostics.push(problem)
          if (RUNS_ON_QUOTED.has(code)) {
            // After the physical line the mistake is on, not the first of its record: the lines
            // of a multi-line quoted value are no rows of their own. A quote never closed is only
            // found at the end of the file: after its own line, then.
            const reachedLine = code === 'CSV_QUOTE_NOT_CLOSED' ? 0 : skip.lines
            throw new StartAgainAfter(Math.max(problem.line ?? skip.lines, reachedLine))
          }
          return undefined
        }
      })
    } catch (error) {
      if (error instanceof StartAgainAfter) {
        // A mistake in the header row leaves no header to check the rows against: stop there.
        if (header.length > 0 && error.line < lines.length) offset = error.line
        continue
      }
      const reached = (error as { lines?: number }).lines
      diagnostics.push({
        file,
        ...(reached === undefined ? {} : { line: reached + passOffset }),
        path: '',
        message: (error as Error).message,
        hint: CSV_FORMAT_HINT
      })
      return []
    }
  }
  const headerProblems = csvHeaderProblems(header, normalized, file)
  diagnostics.push(...headerProblems)
  if (headerProblems.length > 0) return []
  return records.flatMap(({ record, raw, info }) => {
    // info.lines is the record's last line; a quoted field may span several.
    const line = info.lines - innerLineBreaks(recordText(raw))
    const loaded = caseFromRow(record, { file, line }, [], diagnostics)
    return loaded ? [loaded] : []
  })
}

function parseYamlCases(text: string, file: string, diagnostics: Diagnostic[]): LoadedCase[] {
  const yaml = new YamlFile(file, text)
  if (yaml.syntaxErrors.length > 0) {
    diagnostics.push(...yaml.syntaxErrors)
    return []
  }
  if (yaml.shape === 'empty') return []
  if (yaml.shape !== 'list') {
    diagnostics.push(
      yaml.diagnostic(
        [],
        `expected a list of cases, got a ${yaml.shape}`,
        'write one `- key: value` entry per case'
      )
    )
    return []
  }
  const parsed = yaml.data()
  if ('problems' in parsed) {
    diagnostics.push(...parsed.problems)
    return []
  }
  const rows = parsed.value as unknown[]
  return rows.flatMap((row, index) => {
    if (!isPlainObject(row)) {
      diagnostics.push(
        yaml.diagnostic([index], `expected a mapping (one case), got ${kindOf(row)}`)
      )
      return []
    }
    const { line, column } = yaml.position([index])
    rememberYamlNumbers(yaml, [index], row)
    const loaded = caseFromRow(row, { file, line, column }, [index], diagnostics)
    return loaded ? [loaded] : []
  })
}

/** Far above any eval suite; a larger file would pass what a string can hold once parsed. */
const MAX_CASE_FILE_BYTES = 256 * 2 ** 20

type CaseFileParser = (text: string, file: string, diagnostics: Diagnostic[]) => LoadedCase[]

/** Problems reported per case file before the rest are only counted. */
const CASE_FILE_PROBLEM_LIMIT = 20

/** `parse`, reporting the first problems of a file only: 100,000 bad rows would bury the first. */
function capped(parse: CaseFileParser): CaseFileParser {
  return (text, file, diagnostics) => {
    const problems: Diagnostic[] = []
    const cases = parse(text, file, problems)
    diagnostics.push(...problems.slice(0, CASE_FILE_PROBLEM_LIMIT))
    const unreported = problems.length - CASE_FILE_PROBLEM_LIMIT
    if (unreported > 0) {
      diagnostics.push({
        file,
        path: '',
        message: `…and ${unreported} more problem${unreported === 1 ? '' : 's'} in this file`,
        hint: 'fix the ones above first: the rest are often the same mistake'
      })
    }
    return cases
  }
}

const PARSERS: Record<string, CaseFileParser> = {
  '.jsonl': capped(parseJsonl),
  '.csv': capped(parseCsvCases),
  '.yaml': capped(parseYamlCases),
  '.yml': capped(parseYamlCases)
}

async function loadCaseFile(
  written: string,
  path: FieldPath,
  context: SpecContext
): Promise<LoadedCase[]> {
  const at = [...path, 'file']
  const extension = extname(written).toLowerCase()
  const parse = PARSERS[extension]
  if (parse === undefined) {
    context.report(
      at,
      `unsupported case file type \`${extension || written}\``,
      'case files are .jsonl, .csv, .yaml or .yml'
    )
    return []
  }
  const absolute = await context.existingPath({
    written,
    expanded: written,
    kind: 'file',
    at,
    what: 'case file'
  })
  if (absolute === undefined) return []
  const file = context.relative(absolute)
  const unreadable = (error: unknown): LoadedCase[] => {
    context.report(at, `cannot read case file \`${written}\`: ${errorMessage(error)}`)
    return []
  }
  // Measured before it is read: a file of gigabytes would not even fit in a buffer.
  let size: number
  try {
    size = (await stat(absolute)).size
  } catch (error) {
    return unreadable(error)
  }
  if (size > MAX_CASE_FILE_BYTES) {
    context.report(
      at,
      `case file \`${written}\` is ${Math.round(size / 2 ** 20)} MB, more than the ${MAX_CASE_FILE_BYTES / 2 ** 20} MB a case file may hold`,
      'split it into several files, each listed under `cases:`'
    )
    return []
  }
  let bytes: Buffer
  try {
    bytes = await readFile(absolute)
  } catch (error) {
    return unreadable(error)
  }
  const text = utf8Text(bytes)
  if (text === undefined) {
    context.report(
      at,
      `case file \`${written}\` is not UTF-8 text`,
      'save it as UTF-8 (from a spreadsheet: "CSV UTF-8")'
    )
    return []
  }
  const before = context.diagnostics.length
  const cases = parse(text, file, context.diagnostics)
  if (cases.length === 0 && context.diagnostics.length === before) {
    context.report(at, `case file \`${written}\` has no cases`)
  }
  return cases
}

interface WrittenCaseSource {
  file?: string
  id?: string | number
  cluster?: string | number
  vars?: Record<string, unknown>
}

/**
 * Loads every schema-valid source of `cases:` (case files and inline cases), in order, and checks
 * that case ids are unique within the suite.
 */
export async function loadCases(
  sources: unknown,
  isValid: (path: FieldPath) => boolean,
  context: SpecContext
): Promise<EvalCase[]> {
  if (!Array.isArray(sources)) return []
  const loaded: LoadedCase[] = []
  for (const [index, source] of sources.entries()) {
    const path = ['cases', index]
    if (!isValid(path)) continue
    const written = source as WrittenCaseSource
    if (written.file !== undefined) {
      // One by one: spreading a file of 100,000+ cases as arguments overflows the stack.
      for (const row of await loadCaseFile(written.file, path, context)) loaded.push(row)
    } else {
      const row = { id: written.id, cluster: written.cluster, vars: written.vars ?? {} }
      rememberYamlNumbers(context.yaml, path, row)
      const inline = caseFromRow(row, context.source(path), path, context.diagnostics)
      if (inline) loaded.push(inline)
    }
  }
  reportDuplicateIds(loaded, context.diagnostics)
  return loaded.map(({ evalCase }) => evalCase)
}

function where(source: SourceLocation): string {
  return [source.file, source.line].filter((part) => part !== undefined).join(':')
}

/** A value with each number and boolean as its text as written (`9.90`, `02139`, `True`). */
function asWritten(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  const items = Object.entries(value).map(([key, item]): [string, unknown] => [
    key,
    writtenAs(value, key) ?? asWritten(item)
  ])
  return Array.isArray(value) ? items.map(([, item]) => item) : Object.fromEntries(items)
}

/** Why two cases got one id: the hint of the duplicate's diagnostic. */
function duplicateHint(loaded: LoadedCase, earlier: LoadedCase): string {
  if (!loaded.derivedId && !earlier.derivedId) return 'case ids must be unique within a suite'
  const writtenAlike =
    canonicalJson(asWritten(loaded.evalCase.vars)) ===
    canonicalJson(asWritten(earlier.evalCase.vars))
  return writtenAlike
    ? 'cases without an `id` get one derived from their variables, so identical rows collide; give one an `id`'
    : "cases without an `id` get one derived from their variables' values, and a number is its value however written (`9.90` is `9.9`, `02139` is `2139`), so these rows collide; give one an `id`"
}

function reportDuplicateIds(cases: readonly LoadedCase[], diagnostics: Diagnostic[]): void {
  const first = new Map<string, LoadedCase>()
  let duplicates = 0
  let firstUnreported: SourceLocation | undefined
  for (const loaded of cases) {
    const { id, source } = loaded.evalCase
    const earlier = first.get(id)
    if (earlier === undefined) {
      first.set(id, loaded)
      continue
    }
    if (duplicates++ >= CASE_FILE_PROBLEM_LIMIT) {
      firstUnreported ??= source
      continue
    }
    diagnostics.push({
      ...source,
      path: loaded.path,
      message: `duplicate case id \`${id}\`, first at ${where(earlier.evalCase.source)}`,
      hint: duplicateHint(loaded, earlier)
    })
  }
  const unreported = duplicates - CASE_FILE_PROBLEM_LIMIT
  if (firstUnreported !== undefined) {
    diagnostics.push({
      file: firstUnreported.file,
      ...(firstUnreported.line === undefined ? {} : { line: firstUnreported.line }),
      path: '',
      message: `…and ${unreported} more duplicate case id${unreported === 1 ? '' : 's'}`
    })
  }
}
