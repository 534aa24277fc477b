/**
 * The files written beside the results — the comparison, the record of the baseline lookup, the
 * record of invalid specs — and their reading back by a `report-from` or
 * `merge-from` job, which takes them from an artifact the pull request's code wrote.
 */
import { checkComparison, withDerivedVerdicts } from '../compare/index.js'
import { COMPARISON_VERSION } from '../compare/types.js'
import type { Comparison } from '../compare/index.js'
import { errorMessage } from '../errors.js'
import { TOOL_VERSION } from '../version.js'
import { readRegularFileIfExists, removeFile, writeFileAtomic } from '../io/files.js'
import { renderComparisonJson } from '../report/comparison-json.js'
import { terminalLine } from '../report/escape.js'
import type { RunResult } from '../results/types.js'
import type { ActionIO } from './io.js'
import type { BaselineLookup } from './baseline-lookup.js'

/** The comparison is written beside the results: `results.json` → `results.comparison.json`. */
export function comparisonPathFor(resultsPath: string): string {
  return resultsPath.replace(/\.json$/, '') + '.comparison.json'
}

/**
 * Beside the results, what the run's baseline lookup came to: `started` until it ends, so that a
 * run stopped while it looked (a cancelled job) leaves a record of that, not the silence of a run
 * that found no baseline. A `workflow_run` job that comments from the artifact tells the two
 * apart, and says when GitHub failed while the baseline was read, rather than "no baseline yet".
 */
function baselineLookupPathFor(resultsPath: string): string {
  return resultsPath.replace(/\.json$/, '') + '.baseline-lookup.json'
}

/**
 * Where an evalgate that predates the lookup record recorded only the error that kept the
 * baseline from being read; a report-from job still reads it from that evalgate's artifact.
 */
function baselineErrorPathFor(resultsPath: string): string {
  return resultsPath.replace(/\.json$/, '') + '.baseline-unavailable.json'
}

/** What a run records of its baseline lookup (see baselineLookupPathFor). */
export type RecordedLookup =
  { lookup: 'started' | 'found' | 'none' } | { lookup: 'unavailable'; error: string }

/**
 * Runs `lookUp` (undefined when the run compares nothing), recording beside the results that it
 * started, then what it found; or, when there is none, removes a record an earlier run left.
 */
export async function recordBaselineLookup(
  resultsPath: string,
  lookUp: (() => Promise<BaselineLookup>) | undefined
): Promise<BaselineLookup | undefined> {
  const path = baselineLookupPathFor(resultsPath)
  await removeFile(baselineErrorPathFor(resultsPath))
  if (!lookUp) {
    await removeFile(path)
    return undefined
  }
  const record = (recorded: RecordedLookup) =>
    writeFileAtomic(path, JSON.stringify(recorded) + '\n')
  await record({ lookup: 'started' })
  const lookup = await lookUp()
  await record(
    lookup.status === 'unavailable'
      ? { lookup: 'unavailable', error: lookup.error }
      : { lookup: lookup.status }
  )
  return lookup
}

/** A JSON file of an artifact, checked: what it is, or what is wrong with it. */
type Checked<T> = { value: T } | { problem: string }

/**
 * A JSON file beside the results in an artifact, which the pull request's code writes: its value;
 * undefined when there is none; refused, and why, when it is no regular file or larger than
 * `maxBytes` (not read), not JSON, or not `what` as `check` finds. A refusal is said in the log,
 * as the report goes on without the file.
 */
async function readArtifactFile<T>(
  path: string,
  expected: { what: string; maxBytes: number; check: (json: unknown) => Checked<T> },
  io: ActionIO
): Promise<{ value: T } | { refused: string } | undefined> {
  let text: string | undefined
  try {
    text = (await readRegularFileIfExists(path, expected.maxBytes))?.toString('utf8')
  } catch (error) {
    io.warning(`evalgate: cannot read ${path}: ${errorMessage(error)}; reporting without it`)
    return { refused: errorMessage(error) }
  }
  if (text === undefined) return undefined
  let checked: Checked<T>
  try {
    checked = expected.check(JSON.parse(text))
  } catch (error) {
    checked = { problem: `not JSON: ${errorMessage(error)}` }
  }
  if ('value' in checked) return checked
  io.warning(
    `evalgate: ${path} is not ${expected.what} (${terminalLine(checked.problem, 300)}); reporting without it`
  )
  return { refused: checked.problem }
}

/** Far above the error a run records (the report quotes 500 characters of it). */
const MAX_BASELINE_LOOKUP_BYTES = 64 * 2 ** 10

/** `json` as a RecordedLookup. */
function checkBaselineLookup(json: unknown): Checked<RecordedLookup> {
  const lookup = isRecord(json) ? json.lookup : undefined
  if (lookup === 'started' || lookup === 'found' || lookup === 'none') return { value: { lookup } }
  return lookup === 'unavailable'
    ? checkBaselineError(json)
    : { problem: '`lookup` is not one of started, found, none, unavailable' }
}

/** `json` as the record of an older evalgate: the error that kept the baseline from being read. */
function checkBaselineError(json: unknown): Checked<RecordedLookup> {
  const error = isRecord(json) ? json.error : undefined
  return typeof error === 'string'
    ? { value: { lookup: 'unavailable', error } }
    : { problem: '`error` is not a string' }
}

/**
 * What the pull request's run recorded of its baseline lookup, if anything (readArtifactFile);
 * of an older evalgate's run, only the error that kept the baseline from being read, if any.
 */
export async function readBaselineLookup(
  resultsPath: string,
  io: ActionIO
): Promise<RecordedLookup | undefined> {
  const recorded = await readArtifactFile(
    baselineLookupPathFor(resultsPath),
    {
      what: 'a record of the baseline lookup',
      maxBytes: MAX_BASELINE_LOOKUP_BYTES,
      check: checkBaselineLookup
    },
    io
  )
  if (recorded) return 'value' in recorded ? recorded.value : undefined
  const older = await readArtifactFile(
    baselineErrorPathFor(resultsPath),
    {
      what: 'a record of the error that kept the baseline from being read',
      maxBytes: MAX_BASELINE_LOOKUP_BYTES,
      check: checkBaselineError
    },
    io
  )
  return older && 'value' in older ? older.value : undefined
}

/** A JSON object, whose fields are yet to be checked. */
function isRecord(json: unknown): json is Record<string, unknown> {
  return json !== null && typeof json === 'object' && !Array.isArray(json)
}

export async function writeComparison(
  comparison: Comparison,
  resultsPath: string,
  io: ActionIO
): Promise<string> {
  const path = comparisonPathFor(resultsPath)
  await writeFileAtomic(path, renderComparisonJson(comparison))
  setComparisonOutputs(comparison, path, io)
  return path
}

export function setComparisonOutputs(comparison: Comparison, path: string, io: ActionIO): void {
  io.setOutput('comparison-path', path)
  io.setOutput('verdict', comparison.verdict)
  io.setOutput(
    'regression-count',
    String(comparison.counts.regression + comparison.counts.fail + comparison.counts.error)
  )
}

/** What a run whose specs could not be loaded records for a `report-from` job. */
export interface InvalidSpecsRecord {
  /** The commit whose specs these are. */
  commit: string
  /** The job (or `comment-key`) whose sticky comment reports them. */
  commentKey?: string
  /**
   * The problems, as the step's failure lists them (the runner's tokens and the specs' secrets
   * redacted).
   */
  problems: string
}

/**
 * The most report-from reads of an artifact, which the pull request's code writes: far above what
 * a run of 100,000 cases makes, and below what would keep the trusted job busy for long.
 */
export const MAX_ARTIFACT_RESULTS_BYTES = 256 * 2 ** 20

const MAX_ARTIFACT_COMPARISON_BYTES = 64 * 2 ** 20

/** The artifact's comparison: read, refused (and why), or not there (no baseline was found). */
type ArtifactComparison = { comparison: Comparison } | { refused: string } | undefined

/** The artifact's comparison, when it is a comparison of `run` (the results beside it). */
export async function readComparison(
  path: string,
  run: RunResult,
  io: ActionIO
): Promise<ArtifactComparison> {
  const read = await readArtifactFile(
    path,
    {
      what: 'an evalgate comparison',
      maxBytes: MAX_ARTIFACT_COMPARISON_BYTES,
      check: checkArtifactComparison
    },
    io
  )
  if (!read || 'refused' in read) return read
  const { head } = read.value
  // Another run's comparison beside these results (an older commit's) is not their verdict.
  if (head.id !== run.run.id || head.commit !== (run.run.commit ?? null)) {
    const of = `${terminalLine(head.commit ?? 'an unknown commit', 40)}, run ${terminalLine(head.id, 40)}`
    io.warning(
      `evalgate: ${path} compares the results of ${of}, not those beside it (${run.run.commit ?? 'an unknown commit'}, run ${run.run.id}); reporting without it`
    )
    return { refused: `it compares the results of ${of}, not those of this run` }
  }
  return { comparison: withDerivedVerdicts(read.value) }
}

/**
 * `json` as a comparison. The artifact is the pull request's code's to write: what fails the
 * check is never rendered. An evalgate of another version (the PR may change it) writes another
 * shape: a comparison format other than this job's says which workflow to update, before any
 * schema error could.
 */
function checkArtifactComparison(json: unknown): Checked<Comparison> {
  const writtenBy = isRecord(json) && isRecord(json.tool) ? json.tool.version : undefined
  const by =
    typeof writtenBy === 'string' && writtenBy !== TOOL_VERSION
      ? ` ${terminalLine(writtenBy, 20)}`
      : ''
  const format = isRecord(json) ? json.schemaVersion : undefined
  if (typeof format === 'number' && format !== COMPARISON_VERSION) {
    const formats = `comparison format ${format}, this job reads ${COMPARISON_VERSION}`
    return {
      problem:
        format > COMPARISON_VERSION
          ? `written by a newer evalgate${by} (${formats}); update the evalgate version in the workflow of this report-from job (it runs ${TOOL_VERSION})`
          : `written by an older evalgate${by} (${formats}); update the evalgate version in the workflow of the pull request to the one this job runs, ${TOOL_VERSION}`
    }
  }
  const checked = checkComparison(json)
  if (checked.problem === undefined) return { value: checked.comparison }
  const version =
    by === '' ? '' : `; it was written by evalgate${by}, this job runs ${TOOL_VERSION}`
  return { problem: checked.problem + version }
}

/** Far above what a run records of specs that cannot be loaded, and a quick read for report-from. */
const MAX_INVALID_SPECS_BYTES = 2 ** 20

/** `json` as an InvalidSpecsRecord. */
function checkInvalidSpecs(json: unknown): Checked<InvalidSpecsRecord> {
  if (!isRecord(json)) return { problem: 'not a JSON object' }
  const { commit, commentKey, problems } = json
  if (typeof commit !== 'string') return { problem: '`commit` is not a string' }
  if (typeof problems !== 'string') return { problem: '`problems` is not a string' }
  if (commentKey !== undefined && typeof commentKey !== 'string') {
    return { problem: '`commentKey` is not a string' }
  }
  return { value: { commit, problems, ...(commentKey === undefined ? {} : { commentKey }) } }
}

/** The record of specs that could not be loaded at `path`, if there is one (readArtifactFile). */
export async function readInvalidSpecs(
  path: string,
  io: ActionIO
): Promise<InvalidSpecsRecord | { refused: string } | undefined> {
  const read = await readArtifactFile(
    path,
    {
      what: 'a record of invalid specs',
      maxBytes: MAX_INVALID_SPECS_BYTES,
      check: checkInvalidSpecs
    },
    io
  )
  return read && 'value' in read ? read.value : read
}
