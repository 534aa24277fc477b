/**
 * Where baselines live: RunResults keyed by the commit SHA they were run on, and by the
 * `comment-key` of the jobs that store and read them when one is set: the legs of a matrix each
 * keep their own. A PR compares with the result of its merge base (see find.ts); trusted runs on
 * the default branch write.
 */
import { createHash } from 'node:crypto'
import { errorMessage, UsageError } from '../errors.js'
import type { RunResult } from '../results/types.js'

export interface BaselineStore {
  /** The `comment-key` the baselines are stored under; undefined: those of jobs without one. */
  readonly key: string | undefined
  /** The result stored for `sha`; undefined when there is none or it cannot be read (warned). */
  read(sha: string): Promise<RunResult | undefined>
  write(sha: string, run: RunResult): Promise<void>
  /** The SHAs with a stored result, oldest first. */
  shas(): Promise<string[]>
  /** The SHAs with a result stored under no key, by jobs without a `comment-key`; any order. */
  unkeyedShas(): Promise<string[]>
}

/** Reports a problem that does not stop the run (`core.warning` in the action). */
export type Warn = (message: string) => void

export const warnOnStderr: Warn = (message) => console.warn(`warning: ${message}`)

/** A key becomes one path component: a SHA, or a name for a reviewed baseline. */
export function checkBaselineKey(sha: string): void {
  if (!/^[0-9A-Za-z][0-9A-Za-z._-]{0,99}$/.test(sha)) {
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
