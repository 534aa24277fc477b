import { Ajv, type ErrorObject } from 'ajv'
import { InputError } from '../errors.js'
import type { Diagnostic } from '../errors.js'
import { suggestOrList } from '../spec/did-you-mean.js'
import { QUALITY_GATES, gateOrderProblem } from '../spec/gate-order.js'
import runResultSchema from '../../schema/run-result.schema.json' with { type: 'json' }
import { JsonPieceError, lineAndColumn, memberInHead, parseJsonInPieces } from './json-in-pieces.js'
import { RUN_RESULT_VERSION } from './types.js'
import type { RunMeta, RunResult } from './types.js'

let validate: ReturnType<Ajv['compile']> | undefined

/**
 * Checks that `text` is a RunResult this version can read. `file` only names the source in errors.
 * A newer format is refused with an upgrade hint rather than misread.
 */
export function parseRunResult(text: string, file: string): RunResult {
  if (text.trim() === '') {
    throw new InputError(
      [
        {
          file,
          path: '',
          message: 'the file is empty',
          hint: 'point at the results file a run wrote'
        }
      ],
      'cannot read a results file'
    )
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new InputError(
      [{ file, path: '', message: `not valid JSON: ${(error as Error).message}` }],
      'cannot read a results file'
    )
  }
  return checkRunResult(data, file)
}

/**
 * Results files above this are parsed a piece at a time: one string of the whole file would pass
 * V8's limit (about 512 MB) or double the memory of a large run.
 */
const WHOLE_TEXT_LIMIT = 256 * 2 ** 20

/** Decodes UTF-8 (a byte order mark dropped), throwing on bytes that are not. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * A results file that is not UTF-8 text: UTF-16 is what Windows PowerShell 5's `>` writes, which
 * JSON.parse would only call an unexpected token.
 */
function notUtf8Text(file: string): InputError {
  return new InputError(
    [{ file, path: '', message: 'not UTF-8 text', hint: 'save it as UTF-8' }],
    'cannot read a results file'
  )
}

/** Whether `bytes` start with a UTF-16 byte order mark (little- or big-endian). */
function startsAsUtf16(bytes: Uint8Array): boolean {
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)
}

/** A results file's bytes (UTF-8) as a RunResult, whatever its size; `file` names it in errors. */
export function parseRunResultBytes(bytes: Uint8Array, file: string): RunResult {
  if (bytes.length > WHOLE_TEXT_LIMIT) return parseLargeRunResult(bytes, file)
  let text: string
  try {
    text = strictUtf8.decode(bytes)
  } catch {
    throw notUtf8Text(file)
  }
  return parseRunResult(text, file)
}

/**
 * As parseRunResult, for a file too large to be one string (over about 512 MB, which a run can
 * write): parsed a piece at a time.
 */
export function parseLargeRunResult(bytes: Uint8Array, file: string): RunResult {
  if (startsAsUtf16(bytes)) throw notUtf8Text(file)
  let data: unknown
  try {
    data = parseJsonInPieces(bytes)
  } catch (error) {
    if (!(error instanceof JsonPieceError)) throw error
    throw new InputError(
      [
        {
          file,
          ...lineAndColumn(bytes, error.offset),
          path: '',
          message: `not valid JSON: ${error.message}`
        }
      ],
      'cannot read a results file'
    )
  }
  return checkRunResult(data, file)
}

let validateRunMeta: ReturnType<Ajv['compile']> | undefined

/**
 * The `run` block of a results file too large to read, from the file's first bytes (a run writes
 * it before the suites): undefined when they do not hold it whole, or it is not one the schema
 * allows.
 */
export function runMetaFromHead(head: Uint8Array): RunMeta | undefined {
  const run = memberInHead(head, 'run')
  validateRunMeta ??= new Ajv({ strict: false, validateFormats: false }).compile(
    runResultSchema.properties.run
  )
  return run !== undefined && validateRunMeta(run) ? (run as RunMeta) : undefined
}

/** A results file in a format newer than this evalgate reads: `version` is the one it declares. */
export class NewerResultsFormatError extends InputError {
  constructor(
    file: string,
    readonly version: number
  ) {
    super(
      [
        {
          file,
          path: 'schemaVersion',
          message: `format version ${version} is newer than this evalgate reads (${RUN_RESULT_VERSION})`,
          hint: 'upgrade evalgate'
        }
      ],
      'cannot read a results file'
    )
  }
}

/** The checks of a parsed results file: its version, the schema, the answers' consistency. */
function checkRunResult(data: unknown, file: string): RunResult {
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion
  if (typeof version === 'number' && version > RUN_RESULT_VERSION) {
    throw new NewerResultsFormatError(file, version)
  }
  // verbose: an unknown property's error carries its object's schema, whose properties it may misspell.
  validate ??= new Ajv({
    allErrors: true,
    strict: false,
    validateFormats: false,
    verbose: true
  }).compile(runResultSchema)
  if (!validate(data)) {
    const diagnostics = (validate.errors ?? [])
      .slice(0, 20)
      .map((e) => ({ file, ...schemaProblem(e) }))
    throw new InputError(diagnostics, `${file} is not an evalgate RunResult`)
  }
  const run = data as unknown as RunResult
  const anachronism = fieldNewerThanVersion(run, file)
  if (anachronism) throw new InputError([anachronism], 'cannot read a results file')
  throwIfInconsistent(answerProblems(run), file)
  return run
}

function throwIfInconsistent(
  problems: readonly Pick<Diagnostic, 'path' | 'message' | 'hint'>[],
  file: string
): void {
  if (problems.length === 0) return
  throw new InputError(
    problems.slice(0, 20).map((problem) => ({ file, ...problem })),
    `${file} is not a consistent evalgate RunResult`
  )
}

/**
 * Refuses a head run whose gate a spec's loader refuses and the schema cannot say (a noise floor
 * above `max-drop`): compare gates on the head's gate as written, and must not on one no spec
 * could have. A baseline's gate is never read, so a baseline stored by an evalgate that allowed
 * such a gate is compared as any other.
 */
export function assertHeadGateOrder(run: RunResult, file: string): void {
  throwIfInconsistent(gateProblems(run), file)
}

function gateProblems(run: RunResult): Pick<Diagnostic, 'path' | 'message' | 'hint'>[] {
  return run.suites.flatMap((suite, s) =>
    QUALITY_GATES.flatMap((metric) => {
      const tolerance = suite.gate?.[metric]
      const problem = tolerance === undefined ? undefined : gateOrderProblem(tolerance)
      if (!problem) return []
      const { field, message, hint } = problem
      return [{ path: `suites.${s}.gate.${metric}.${field}`, message, hint }]
    })
  )
}

/**
 * Fields by the results format that introduced them: the schema allows them in every version
 * (they are optional), yet no evalgate ever wrote them into an older one.
 */
const ANSWER_FIELDS_SINCE: Record<string, number> = { finishReason: 3, judgeCached: 3 }
const CASE_FIELDS_SINCE: Record<string, number> = { varsFingerprint: 4 }
const SUITE_FIELDS_SINCE: Record<string, number> = { scoringFingerprint: 4 }
const PROVIDER_FIELDS_SINCE: Record<string, number> = { resolvedConfigFingerprint: 4 }

/**
 * The first field newer than the format the file declares: an evalgate of that format
 * would not know the field, so the file was hand-edited or its `schemaVersion` set by something
 * other than the run that wrote it, and which of the two is wrong cannot be told.
 */
function fieldNewerThanVersion(run: RunResult, file: string): Diagnostic | undefined {
  const declared = run.schemaVersion
  if (declared >= RUN_RESULT_VERSION) return undefined
  let first: { path: string; field: string; since: number } | undefined
  let others = 0
  let needed: number = declared
  const check = (holder: object, path: string, fieldsSince: Record<string, number>) => {
    for (const [field, since] of Object.entries(fieldsSince)) {
      if (since <= declared || !Object.hasOwn(holder, field)) continue
      needed = Math.max(needed, since)
      if (first) others++
      else first = { path: `${path}.${field}`, field, since }
    }
  }
  run.suites.forEach((suite, s) => {
    check(suite, `suites.${s}`, SUITE_FIELDS_SINCE)
    suite.providers.forEach((provider, p) => {
      check(provider, `suites.${s}.providers.${p}`, PROVIDER_FIELDS_SINCE)
    })
    suite.results.forEach((result, r) => {
      check(result, `suites.${s}.results.${r}`, ANSWER_FIELDS_SINCE)
    })
    suite.cases.forEach((info, c) => {
      check(info, `suites.${s}.cases.${c}`, CASE_FIELDS_SINCE)
    })
  })
  if (first === undefined) return undefined
  const more =
    others > 0 ? ` (and ${others} more field${others === 1 ? '' : 's'} of a later format)` : ''
  return {
    file,
    path: first.path,
    message: `\`${first.field}\` is a field of results format ${first.since}, but the file declares \`schemaVersion: ${declared}\`${more}: it was hand-edited or written by a different evalgate version`,
    hint: `write it again with \`evalgate run\`, or, if its cases and answers are as an evalgate run wrote them, set \`schemaVersion\` to ${needed}`
  }
}

/** A schema error as a field path (`suites.0.gate`) and what is wrong there. */
function schemaProblem(error: ErrorObject): { path: string; message: string; hint?: string } {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.')
  if (error.keyword !== 'additionalProperties') {
    return { path, message: error.message ?? 'invalid' }
  }
  // A misspelt or hand-added field, named with the one it may stand for.
  const key = String((error.params as { additionalProperty: unknown }).additionalProperty)
  const allowed = Object.keys(
    (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}
  )
  return {
    path: path === '' ? key : `${path}.${key}`,
    message: 'unknown property',
    hint: suggestOrList(key, allowed, 'known properties')
  }
}

/**
 * What the schema cannot say: each suite once, and in it each case and provider once, and every
 * answer of a listed case and provider, once per repeat the suite asked for. An edited or
 * hand-built file that breaks this would be compared wrongly, not refused.
 */
function answerProblems(run: RunResult): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = []
  /**
   * Each name in `list` (the `field` of its entries) by the index where it is first listed; a
   * second listing is a problem.
   */
  const listedOnce = (names: readonly string[], list: string, field: string, what: string) => {
    const first = new Map<string, number>()
    names.forEach((name, i) => {
      const earlier = first.get(name)
      if (earlier === undefined) {
        first.set(name, i)
        return
      }
      problems.push({
        path: `${list}.${i}.${field}`,
        message: `${what} ${name} is listed twice (first as ${list}.${earlier})`
      })
    })
    return first
  }
  listedOnce(
    run.suites.map((suite) => suite.suite),
    'suites',
    'suite',
    'suite'
  )
  run.suites.forEach((suite, s) => {
    const cases = listedOnce(
      suite.cases.map((c) => c.id),
      `suites.${s}.cases`,
      'id',
      'case'
    )
    const providers = listedOnce(
      suite.providers.map((p) => p.id),
      `suites.${s}.providers`,
      'id',
      'provider'
    )
    const seen = new Set<string>()
    suite.results.forEach((result, r) => {
      const path = `suites.${s}.results.${r}`
      const answer = `${result.caseId} × ${result.providerId} × repeat ${result.repeat}`
      if (!cases.has(result.caseId)) {
        problems.push({ path, message: `case ${result.caseId} is not in the suite's cases` })
      } else if (!providers.has(result.providerId)) {
        problems.push({
          path,
          message: `provider ${result.providerId} is not in the suite's providers`
        })
      } else if (result.repeat >= suite.repeats) {
        problems.push({
          path: `${path}.repeat`,
          message: `repeat ${result.repeat}, but the suite has repeats: ${suite.repeats} (numbered from 0)`
        })
      } else if (seen.has(answer)) {
        problems.push({ path, message: `a second answer for ${answer}` })
      }
      seen.add(answer)
    })
  })
  return problems
}
