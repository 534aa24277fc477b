/**
 * Where baselines live: RunResults keyed by the commit SHA they were run on. A PR compares with
 * the result of its merge base (see find.ts); trusted runs on the default branch write.
 */
import { errorMessage, UsageError } from '../errors.js'
import type { RunResult } from '../results/types.js'

export interface BaselineStore {
  /** The result stored for `sha`; undefined when there is none or it cannot be read (warned). */
  read(sha: string): Promise<RunResult | undefined>
  write(sha: string, run: RunResult): Promise<void>
  /** The SHAs with a stored result, oldest first. */
  shas(): Promise<string[]>
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
