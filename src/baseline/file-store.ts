/**
 * Baselines as files, `<dir>/<sha>.json`, or `<dir>/<key directory>/<sha>.json` under a
 * `comment-key` (see keyDirectory): committed, reviewed baselines, and the CLI's default.
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { InputError, UsageError, errorMessage } from '../errors.js'
import { readRegularFileIfExists, writeRunResult } from '../io/files.js'
import type { RunResult } from '../results/types.js'
import {
  checkBaselineKey,
  keyDirectory,
  NewerBaselineError,
  parseStoredBaseline,
  warnOnStderr
} from './store.js'
import type { BaselineStore, Warn } from './store.js'

/**
 * A baseline path the file system refuses (a file where the directory should be, a directory
 * named <sha>.json): the workspace's to fix, never mistaken for a missing baseline.
 */
function unusablePath(path: string, error: unknown): UsageError {
  return new UsageError(
    `cannot read the baselines at ${path}: ${errorMessage(error)}; \`baseline-dir\` must be a directory of <commit sha>.json files: move what is there out of the way`
  )
}

export class FileStore implements BaselineStore {
  private readonly warn: Warn
  readonly key: string | undefined
  /** Where this store's baselines are: `dir`, or its directory of the key. */
  private readonly keyDir: string

  constructor(
    readonly dir: string,
    options: { warn?: Warn; key?: string } = {}
  ) {
    this.warn = options.warn ?? warnOnStderr
    this.key = options.key
    this.keyDir = this.key === undefined ? dir : join(dir, keyDirectory(this.key))
  }

  private path(sha: string, dir = this.keyDir): string {
    checkBaselineKey(sha)
    return join(dir, `${sha}.json`)
  }

  async read(sha: string): Promise<RunResult | undefined> {
    return this.readFrom(this.path(sha), sha)
  }

  async readUnkeyed(sha: string): Promise<RunResult | undefined> {
    return this.readFrom(this.path(sha, this.dir), sha)
  }

  private async readFrom(path: string, sha: string): Promise<RunResult | undefined> {
    let bytes: Buffer | undefined
    try {
      bytes = await readRegularFileIfExists(path)
    } catch (error) {
      throw unusablePath(path, error)
    }
    if (bytes === undefined) return undefined
    try {
      return parseStoredBaseline(bytes, sha, path)
    } catch (error) {
      if (error instanceof NewerBaselineError) throw error
      if (!(error instanceof InputError)) throw unusablePath(path, error)
      this.warn(`ignoring the baseline ${path}: ${errorMessage(error)}`)
      return undefined
    }
  }

  async write(sha: string, run: RunResult): Promise<void> {
    await writeRunResult(this.path(sha), run)
  }

  shas(): Promise<string[]> {
    return this.listed(this.keyDir)
  }

  unkeyedShas(): Promise<string[]> {
    return this.listed(this.dir)
  }

  /** The SHAs of the baselines in `dir`, oldest first; not those of the keys' directories. */
  private async listed(dir: string): Promise<string[]> {
    let names: string[]
    try {
      names = await readdir(dir)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw unusablePath(dir, error)
    }
    const found = await Promise.all(
      names
        .filter((name) => /^[0-9A-Za-z][0-9A-Za-z._-]*\.json$/.test(name))
        .map(async (name) => ({
          sha: name.slice(0, -'.json'.length),
          modified: (await stat(join(dir, name))).mtimeMs
        }))
    )
    return found
      .sort((a, b) => a.modified - b.modified || a.sha.localeCompare(b.sha))
      .map((entry) => entry.sha)
  }
}
