/**
 * Where baselines live: RunResults keyed by the commit SHA they were run on, and by the
 * `comment-key` of the jobs that store and read them when one is set: the legs of a matrix each
 * keep their own. A PR compares with the result of its merge base (see find.ts); trusted runs on
 * the default branch write.
 */
import { createHash } from 'node:crypto'
import { errorMessage, EvalgateError, UsageError } from '../errors.js'
import { NewerResultsFormatError, parseRunResultBytes } from '../results/parse.js'
import { RUN_RESULT_VERSION } from '../results/types.js'
import type { RunResult } from '../results/types.js'

export interface BaselineStore {
  /** The `comment-key` the baselines are stored under; undefined: those of jobs without one. */
  readonly key: string | undefined
  /**
   * The result stored for `sha`; undefined when there is none or it cannot be read (warned).
   * Throws NewerBaselineError when a newer evalgate wrote it: it is there, but not for this one.
   */
  read(sha: string): Promise<RunResult | undefined>
  /** As read, the result stored for `sha` under no key (by a job without a `comment-key`). */
  readUnkeyed(sha: string): Promise<RunResult | undefined>
  write(sha: string, run: RunResult): Promise<void>
  /** The SHAs with a stored result, oldest first. */
  shas(): Promise<string[]>
  /** The SHAs with a result stored under no key, by jobs without a `comment-key`; any order. */
  unkeyedShas(): Promise<string[]>
}

/** Reports a problem that does not stop the run (`core.warning` in the action). */
export type Warn = (message: string) => void

export const warnOnStderr: Warn = (message) => console.warn(`warning: ${message}`)

/** Whether `sha` can name a baseline: one path component, a SHA or a reviewed baseline's name. */
export function isBaselineKey(sha: string): boolean {
  return /^[0-9A-Za-z][0-9A-Za-z._-]{0,99}$/.test(sha)
}

/** A key becomes one path component: a SHA, or a name for a reviewed baseline. */
export function checkBaselineKey(sha: string): void {
  if (!isBaselineKey(sha)) {
    throw new UsageError(
      `"${sha}" cannot name a baseline: use a commit SHA (letters, digits, '.', '_', '-')`
    )
  }
}

/** The longest directory name a key becomes, far below the 255 bytes file systems allow. */
const MAX_KEY_DIRECTORY = 100

/**
 * The directory of the baselines stored under `key`: one path component, the same for no two
 * keys whatever a matrix value holds (`/`, spaces, dots, any script), even on a file system that
 * ignores case. Lowercase letters, digits, `-` and `_` stay; every other byte of the key's UTF-8
 * becomes %XX. A longer name is cut and ends with `~` and a hash of the whole key: `~` is
 * escaped everywhere else, so the two forms never meet.
 */
export function keyDirectory(key: string): string {
  const escaped = [...Buffer.from(key, 'utf8')]
    .map((byte) => {
      const char = String.fromCharCode(byte)
      return /^[a-z0-9_-]$/.test(char)
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
    })
    .join('')
  if (escaped.length <= MAX_KEY_DIRECTORY) return escaped
  const hash = createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 16)
  const start = escaped.slice(0, MAX_KEY_DIRECTORY - hash.length - 1).replace(/%[0-9A-F]?$/, '')
  return `${start}~${hash}`
}

/**
 * A stored baseline in a results format newer than this evalgate reads: a newer evalgate stores
 * the baselines. Older results would be no stand-in: the comparison would be with another commit.
 */
export class NewerBaselineError extends EvalgateError {
  constructor(
    readonly sha: string,
    readonly formatVersion: number
  ) {
    super(
      `the baseline of ${sha} was written by a newer evalgate (results format ${formatVersion}; this one reads up to ${RUN_RESULT_VERSION}): upgrade the evalgate of this workflow`
    )
  }
}

/**
 * The stored result of `sha` in `bytes`; `file` names it in errors. A newer format than this
 * evalgate reads throws NewerBaselineError, any other problem the InputError of the parse.
 */
export function parseStoredBaseline(bytes: Uint8Array, sha: string, file: string): RunResult {
  try {
    return parseRunResultBytes(bytes, file)
  } catch (error) {
    if (error instanceof NewerResultsFormatError) throw new NewerBaselineError(sha, error.version)
    throw error
  }
}

export type StoreOutcome = { ok: true } | { ok: false; error: string }

/**
 * Writes a baseline without ever throwing: storing is a side effect of a trusted run and must not
 * change its verdict or exit code. The caller reports `error` as a warning.
 */
export async function storeBaselineSafely(
  store: BaselineStore,
  sha: string,
  run: RunResult
): Promise<StoreOutcome> {
  try {
    await store.write(sha, run)
    return { ok: true }
  } catch (error) {
    return { ok: false, error: `could not store the baseline for ${sha}: ${errorMessage(error)}` }
  }
}
