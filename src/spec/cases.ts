import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { parse as parseCsv } from 'csv-parse/sync'
import type { Diagnostic, SourceLocation } from '../errors.js'
import { fingerprint } from '../results/fingerprint.js'
import type { SpecContext } from './context.js'
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

/** `id` / `cluster` of a row: strings and numbers count; empty (a blank CSV cell) means none. */
function optionalName(
  value: unknown,
  key: 'id' | 'cluster',
  report: (message: string, hint: string) => void
): string | undefined | false {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value === 'string') return value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
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
  const { id: rawId, cluster: rawCluster, ...rest } = row
  const nested = isPlainObject(rest.vars) && Object.keys(rest).length === 1
  const vars = nested ? (rest.vars as Record<string, unknown>) : rest
  const report = (key: string) => (message: string, hint: string) =>
    diagnostics.push({ ...source, path: formatFieldPath([...path, key]), message, hint })
  const id = optionalName(rawId, 'id', report('id'))
  const cluster = optionalName(rawCluster, 'cluster', report('cluster'))
  if (id === false || cluster === false) return undefined
  const evalCase: EvalCase = { id: id ?? derivedCaseId(vars), vars, source }
  if (cluster !== undefined) evalCase.cluster = cluster
  return { evalCase, derivedId: id === undefined, path: formatFieldPath(path) }
}

function rowProblem(file: string, line: number, message: string, hint?: string): Diagnostic {
  return { file, line, path: '', message, ...(hint === undefined ? {} : { hint }) }
}

function parseJsonl(text: string, file: string, diagnostics: Diagnostic[]): LoadedCase[] {
  const cases: LoadedCase[] = []
  text.split(/\r?\n/).forEach((line, index) => {
    const lineNumber = index + 1
    if (line.trim() === '') return
    let row: unknown
    try {
      row = JSON.parse(line)
    } catch (error) {
      const reason = (error as Error).message
      // V8 says where: "... in JSON at position 12 (line 1 column 13)".
      const column = /column (\d+)\)/.exec(reason)?.[1]
      diagnostics.push({
        ...rowProblem(file, lineNumber, 'line is not valid JSON', reason),
        ...(column === undefined ? {} : { column: Number(column) })
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

function parseCsvCases(text: string, file: string, diagnostics: Diagnostic[]): LoadedCase[] {
  const headerProblems: Diagnostic[] = []
  let records: CsvRecord[]
  try {
    // CRLF is normalised first: csv-parse miscounts lines after an empty CRLF line.
    records = parseCsv(text.replace(/\r\n/g, '\n'), {
      // columns: true, plus a check for duplicate or empty column names (which csv-parse merges).
      columns: (header: string[]) => {
        header.forEach((name, index) => {
          if (name === '') {
            headerProblems.push(rowProblem(file, 1, `column ${index + 1} has no name`))
          } else if (header.indexOf(name) !== index) {
            headerProblems.push(rowProblem(file, 1, `duplicate column \`${name}\``))
          }
        })
        return header
      },
      bom: true,
      info: true,
      raw: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        // The location carries the line, so the message's own " on line N" is dropped.
        if (error) {
          const message = error.message.replace(/ (on|at) line \d+$/, '')
          diagnostics.push(rowProblem(file, Number(error.lines), message))
        }
        return undefined
      }
    }) as unknown as CsvRecord[]
  } catch (error) {
    const lines = (error as { lines?: number }).lines
    diagnostics.push({
      file,
      ...(lines === undefined ? {} : { line: lines }),
      path: '',
      message: (error as Error).message
    })
    return []
  }
  diagnostics.push(...headerProblems)
  if (headerProblems.length > 0) return []
  return records.flatMap(({ record, raw, info }) => {
    // info.lines is the record's last line; a quoted field may span several.
    const line = info.lines - (raw.replace(/\n$/, '').match(/\n/g)?.length ?? 0)
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
  let rows: unknown[]
  try {
    rows = yaml.toJS() as unknown[]
  } catch (error) {
    diagnostics.push(yaml.diagnostic([], (error as Error).message))
    return []
  }
  return rows.flatMap((row, index) => {
    if (!isPlainObject(row)) {
      diagnostics.push(
        yaml.diagnostic([index], `expected a mapping (one case), got ${kindOf(row)}`)
      )
      return []
    }
    const { line, column } = yaml.position([index])
    const loaded = caseFromRow(row, { file, line, column }, [index], diagnostics)
    return loaded ? [loaded] : []
  })
}

const PARSERS: Record<
  string,
  (text: string, file: string, diagnostics: Diagnostic[]) => LoadedCase[]
> = {
  '.jsonl': parseJsonl,
  '.csv': parseCsvCases,
  '.yaml': parseYamlCases,
  '.yml': parseYamlCases
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
  const text = (await readFile(absolute, 'utf8')).replace(/^\uFEFF/, '')
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
      loaded.push(...(await loadCaseFile(written.file, path, context)))
    } else {
      const row = { id: written.id, cluster: written.cluster, vars: written.vars ?? {} }
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

function reportDuplicateIds(cases: readonly LoadedCase[], diagnostics: Diagnostic[]): void {
  const first = new Map<string, LoadedCase>()
  for (const loaded of cases) {
    const { id, source } = loaded.evalCase
    const earlier = first.get(id)
    if (earlier === undefined) {
      first.set(id, loaded)
      continue
    }
    diagnostics.push({
      ...source,
      path: loaded.path,
      message: `duplicate case id \`${id}\`, first at ${where(earlier.evalCase.source)}`,
      hint:
        loaded.derivedId || earlier.derivedId
          ? 'cases without an `id` get one derived from their variables, so identical rows collide; give one an `id`'
          : 'case ids must be unique within a suite'
    })
  }
}
