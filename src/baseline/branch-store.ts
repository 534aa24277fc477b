/**
 * Baselines on an orphan data branch (default `evalgate-data`), written only through GitHub's Git
 * Data API — no checkout, no push, so it works from any job with `contents: write` and is readable
 * by fork PRs. It outlives artifact retention and feeds trends.
 *
 * Layout of the branch:
 *   results/<sha>.json.gz        one RunResult per commit, gzip'ed JSON
 *   results/<key>/<sha>.json.gz  the same, of the jobs with a `comment-key` (see keyDirectory)
 *   index.json                   { formatVersion: 1 or 2,
 *                                  entries: [{ sha, key?, storedAt, suites, toolVersion }] },
 *                                oldest first; pruning drops from the front, per key
 * Format 2 marks a branch that holds results of a key: an evalgate from before keyed baselines
 * reads format 1 and would take `results/<key>/<sha>` for a result of no key, prune it and drop
 * the keyed entries; told the index is newer, it writes nothing.
 * The branch holds evalgate's data only: an index.json that is not evalgate's is never overwritten.
 *
 * A write builds a new tree on the current tip and moves the ref without force. When another job
 * moved it first (422 "Update is not a fast forward" or a lost race, or the branch appeared or
 * was deleted meanwhile), the change is applied again on the new tip after a jittered backoff, a
 * bounded number of times.
 * A result that cannot be read (bad gzip or JSON) is reported through `warn` and treated as
 * absent, never as a crash; one of a newer format is a NewerBaselineError, as no stand-in for it is.
 */
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip, gunzipSync } from 'node:zlib'
import { EvalgateError, errorMessage } from '../errors.js'
import type { GitHubClient, TreeChange } from '../github/client.js'
import { runResultChunks } from '../io/files.js'
import type { RunResult } from '../results/types.js'
import {
  checkBaselineKey,
  isBaselineKey,
  keyDirectory,
  NewerBaselineError,
  parseStoredBaseline,
  warnOnStderr
} from './store.js'
import type { BaselineStore, Warn } from './store.js'

export const DEFAULT_DATA_BRANCH = 'evalgate-data'
export const DEFAULT_HISTORY_LENGTH = 200
const INDEX_PATH = 'index.json'
/** The index of a branch with results of no key only: every evalgate reads and writes it. */
const UNKEYED_INDEX_FORMAT = 1
/** The index of a branch that holds results of a key (see the layout above). */
const INDEX_FORMAT = 2
/** The largest blob GitHub's Git Data API takes. */
const MAX_BLOB_BYTES = 100 * 1000 * 1000

export interface IndexEntry {
  sha: string
  /** The `comment-key` it is stored under; absent for the jobs without one. */
  key?: string
  storedAt: string
  suites: string[]
  toolVersion: string
}

interface DataIndex {
  formatVersion: typeof UNKEYED_INDEX_FORMAT | typeof INDEX_FORMAT
  entries: IndexEntry[]
}

export interface BranchStoreOptions {
  branch?: string
  /** The `comment-key` of the jobs that store and read these baselines; none by default. */
  key?: string
  /** How many results of the key to keep; the oldest go first. */
  historyLength?: number
  warn?: Warn
  /** Tries at moving the ref before giving up. */
  maxAttempts?: number
  /** First backoff after a conflict; doubles per attempt, with jitter. */
  backoffMs?: number
  sleep?: (ms: number) => Promise<void>
  random?: () => number
  now?: () => Date
  /** The largest gzip'ed result uploaded (GitHub's limit of a blob by default). */
  maxBlobBytes?: number
}

/** What the branch holds at one tip. */
interface Snapshot {
  tip: string
  tree: string
  /** Blob SHA by path. */
  files: Map<string, string>
  /**
   * Oldest first, of every key. This key's results listed on the branch but not in the index (a
   * lost or unreadable index) come first with an empty `storedAt`: when they were stored is
   * unknown, so they are pruned before any result the index dates, never the newest ones.
   */
  entries: IndexEntry[]
  /**
   * Where `entries` come from: the index; the file listing when the index is missing or
   * unreadable; or the listing because the index must not be overwritten: of a newer format
   * than this evalgate writes, or not evalgate's at all (`foreign`).
   */
  source: 'index' | 'listing' | 'newer-format' | 'foreign'
}

/** Where the results of `sha` stored under `key` (or none) are. */
function resultPath(sha: string, key: string | undefined): string {
  return `${keyFolder(key)}${sha}.json.gz`
}

function keyFolder(key: string | undefined): string {
  return key === undefined ? 'results/' : `results/${keyDirectory(key)}/`
}

/** The SHAs whose results under `key` (or none) the branch holds, by their paths. */
function listedShas(files: Map<string, string>, key: string | undefined): string[] {
  const folder = keyFolder(key)
  return [...files.keys()]
    .filter((path) => path.startsWith(folder) && path.endsWith('.json.gz'))
    .map((path) => path.slice(folder.length, -'.json.gz'.length))
    .filter((sha) => sha !== '' && !sha.includes('/'))
}

/** Whether `path` is the result of a key, `results/<key directory>/<sha>.json.gz`. */
function isKeyedResultPath(path: string): boolean {
  return /^results\/[^/]+\/[^/]+\.json\.gz$/.test(path)
}

/** Whether a stored baseline's suites differ from a run's; unknown ones (from a lost index) do not. */
function otherSuites(stored: string[], run: string[]): boolean {
  if (stored.length === 0) return false
  const sorted = (suites: string[]) => [...new Set(suites)].sort().join('\n')
  return sorted(stored) !== sorted(run)
}

/**
 * An entry as evalgate writes it. Its `sha` names one result (an evalgate from before keyed
 * baselines listed `<key>/<sha>` as one): anything else makes the index malformed, rebuilt from
 * the listing rather than pruned by.
 */
function isIndexEntry(value: unknown): value is IndexEntry {
  const entry = value as Partial<IndexEntry> | null
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.sha === 'string' &&
    isBaselineKey(entry.sha) &&
    (entry.key === undefined || typeof entry.key === 'string') &&
    typeof entry.storedAt === 'string' &&
    Array.isArray(entry.suites) &&
    typeof entry.toolVersion === 'string'
  )
}

export class BranchStore implements BaselineStore {
  readonly branch: string
  readonly key: string | undefined
  private readonly historyLength: number
  private readonly warn: Warn
  /** What the index said was wrong: a write reloads the branch, and need not say it again. */
  private readonly indexWarnings = new Set<string>()
  private readonly maxAttempts: number
  private readonly backoffMs: number
  private readonly sleep: (ms: number) => Promise<void>
  private readonly random: () => number
  private readonly now: () => Date
  private readonly maxBlobBytes: number
  /** Reads share one view of the branch; a write drops it. */
  private snapshot: Promise<Snapshot | undefined> | undefined

  constructor(
    private readonly client: GitHubClient,
    options: BranchStoreOptions = {}
  ) {
    this.branch = options.branch ?? DEFAULT_DATA_BRANCH
    this.key = options.key
    this.historyLength = options.historyLength ?? DEFAULT_HISTORY_LENGTH
    if (!Number.isInteger(this.historyLength) || this.historyLength < 1) {
      throw new EvalgateError(`the baseline history length must be a positive integer`)
    }
    this.warn = options.warn ?? warnOnStderr
    this.maxAttempts = options.maxAttempts ?? 5
    this.backoffMs = options.backoffMs ?? 250
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
    this.random = options.random ?? Math.random
    this.now = options.now ?? (() => new Date())
    this.maxBlobBytes = options.maxBlobBytes ?? MAX_BLOB_BYTES
  }

  private get ref(): string {
    return `heads/${this.branch}`
  }

  private view(): Promise<Snapshot | undefined> {
    if (!this.snapshot) {
      this.snapshot = this.load().catch((error: unknown) => {
        this.snapshot = undefined
        throw error
      })
    }
    return this.snapshot
  }

  private async load(): Promise<Snapshot | undefined> {
    const tip = await this.client.getRef(this.ref)
    if (!tip) return undefined
    const { tree } = await this.client.getGitCommit(tip)
    const files = new Map(
      (await this.client.getTree(tree, { recursive: true }))
        .filter((entry) => entry.type === 'blob')
        .map((entry) => [entry.path, entry.sha] as const)
    )
    return { tip, tree, files, ...(await this.readIndex(files)) }
  }

  /**
   * The index, after the results it does not list; rebuilt from the file listing when missing,
   * unreadable, of a newer format or not evalgate's.
   */
  private async readIndex(
    files: Map<string, string>
  ): Promise<Pick<Snapshot, 'entries' | 'source'>> {
    const listed = listedShas(files, this.key)
    const undatedBesides = (dated: IndexEntry[]): IndexEntry[] =>
      listed
        .filter((sha) => !dated.some((entry) => entry.sha === sha && this.isOwn(entry)))
        .map((sha) => ({ sha, ...this.keyField(), storedAt: '', suites: [], toolVersion: '' }))
    const fromListing = (source: Snapshot['source']) => ({ entries: undatedBesides([]), source })
    // An index of evalgate's that cannot be read: rebuilt from the listing, repaired by a write.
    const unreadable = (why: string) => {
      this.warnOnce(
        `the index of the branch ${this.branch} is unreadable (${why}); using the file listing instead`
      )
      return fromListing('listing')
    }
    const blob = files.get(INDEX_PATH)
    if (!blob) {
      // Without an index, results alone are evalgate's branch that lost it; any other file is a
      // branch of the repository's own (`main`, docs), which evalgate must never commit onto.
      const other = [...files.keys()].find((path) => !/^results\/.+\.json\.gz$/.test(path))
      if (other === undefined) return fromListing('listing')
      this.warnOnce(
        `the branch ${this.branch} is not an evalgate data branch: it holds ${other} and no evalgate index; reading the file listing, writing nothing`
      )
      return fromListing('foreign')
    }
    const content = await this.client.getBlob(blob)
    let index: Partial<DataIndex> | null
    try {
      index = JSON.parse(content.toString('utf8')) as Partial<DataIndex> | null
    } catch (error) {
      return unreadable(errorMessage(error))
    }
    if (typeof index !== 'object' || index === null || typeof index.formatVersion !== 'number') {
      this.warnOnce(
        `the branch ${this.branch} is not an evalgate data branch: its index.json is not evalgate's; reading the file listing, writing nothing`
      )
      return fromListing('foreign')
    }
    if (index.formatVersion > INDEX_FORMAT) {
      this.warnOnce(
        `the index of the branch ${this.branch} is of a newer format (${index.formatVersion}) than this evalgate's (${INDEX_FORMAT}); reading the file listing, writing nothing`
      )
      return fromListing('newer-format')
    }
    if (index.formatVersion < UNKEYED_INDEX_FORMAT || !Array.isArray(index.entries)) {
      return unreadable(`unknown index format ${index.formatVersion}`)
    }
    if (!index.entries.every(isIndexEntry)) {
      return unreadable('malformed entries')
    }
    return { entries: [...undatedBesides(index.entries), ...index.entries], source: 'index' }
  }

  /** Whether `entry` is stored under this store's key (or, unkeyed, under none). */
  private isOwn(entry: IndexEntry): boolean {
    return entry.key === this.key
  }

  private keyField(): Pick<IndexEntry, 'key'> {
    return this.key === undefined ? {} : { key: this.key }
  }

  private warnOnce(message: string): void {
    if (this.indexWarnings.has(message)) return
    this.indexWarnings.add(message)
    this.warn(message)
  }

  read(sha: string): Promise<RunResult | undefined> {
    return this.readAt(sha, this.key)
  }

  readUnkeyed(sha: string): Promise<RunResult | undefined> {
    return this.readAt(sha, undefined)
  }

  private async readAt(sha: string, key: string | undefined): Promise<RunResult | undefined> {
    checkBaselineKey(sha)
    const snapshot = await this.view()
    const path = resultPath(sha, key)
    const blob = snapshot?.files.get(path)
    if (!blob) return undefined
    const content = await this.client.getBlob(blob)
    try {
      return parseStoredBaseline(gunzipSync(content), sha, `${this.branch}:${path}`)
    } catch (error) {
      if (error instanceof NewerBaselineError) throw error
      this.warn(`ignoring the stored baseline for ${sha} on ${this.branch}: ${errorMessage(error)}`)
      return undefined
    }
  }

  /** Whether the branch exists, from the view reads share. */
  async exists(): Promise<boolean> {
    return (await this.view()) !== undefined
  }

  async shas(): Promise<string[]> {
    const snapshot = await this.view()
    if (!snapshot) return []
    return snapshot.entries
      .filter((entry) => this.isOwn(entry) && snapshot.files.has(resultPath(entry.sha, entry.key)))
      .map((entry) => entry.sha)
  }

  async unkeyedShas(): Promise<string[]> {
    const snapshot = await this.view()
    return snapshot ? listedShas(snapshot.files, undefined) : []
  }

  async write(sha: string, run: RunResult): Promise<void> {
    checkBaselineKey(sha)
    // Content-addressed: uploaded once, reused by every attempt.
    const resultBlob = await this.client.createBlob(await this.gzipped(sha, run))
    const entry: IndexEntry = {
      sha,
      ...this.keyField(),
      storedAt: this.now().toISOString(),
      suites: run.suites.map((suite) => suite.suite),
      toolVersion: run.tool.version
    }
    let warnedOfReplacing = false
    for (let attempt = 1; ; attempt++) {
      this.snapshot = undefined
      const current = await this.view()
      if (current?.source === 'newer-format') {
        throw new EvalgateError(
          `not storing the results of ${sha} on the branch ${this.branch}: a newer evalgate writes it; update the action (or CLI) that stores baselines`
        )
      }
      if (current?.source === 'foreign') {
        throw new EvalgateError(
          `not storing the results of ${sha} on the branch ${this.branch}: it is not an evalgate data branch (it holds files evalgate did not write), and evalgate would commit onto them; choose a branch of evalgate's own, such as the default ${DEFAULT_DATA_BRANCH}`
        )
      }
      // Jobs of other specs under one key (most often none) store on the same commit: the last
      // one's results replace the others', whose pull requests then find no baseline of theirs.
      const replaced = current?.entries.find(
        (e) => this.isOwn(e) && e.sha === sha && current.files.has(resultPath(sha, this.key))
      )
      if (!warnedOfReplacing && replaced && otherSuites(replaced.suites, entry.suites)) {
        warnedOfReplacing = true
        this.warn(
          `the results of ${sha} replace its baseline on the branch ${this.branch}, which another job stored for other suites (${replaced.suites.join(', ')}; this run's: ${entry.suites.join(', ')}): that job's pull requests will find no baseline of their suites. Give each job its own \`comment-key\`, so that each stores and compares its own baselines`
        )
      }
      const commit = await this.commitOnto(current, sha, resultBlob, entry)
      const outcome = current
        ? await this.client.updateRef(this.ref, commit)
        : await this.client.createRef(this.ref, commit)
      if (outcome === 'updated' || outcome === 'created') {
        this.snapshot = undefined
        return
      }
      if (attempt >= this.maxAttempts) {
        throw new EvalgateError(
          `could not store the results of ${sha} on the branch ${this.branch}: it moved under ` +
            `${this.maxAttempts} attempts in a row (other jobs writing at the same time?); ` +
            'the verdict is unaffected, the next trusted run stores again'
        )
      }
      await this.sleep(this.backoffMs * 2 ** (attempt - 1) * (0.5 + this.random()))
    }
  }

  /**
   * The run as gzip'ed JSON, written and compressed a piece at a time: a large run is more than
   * one string can hold. Refused past the largest blob GitHub takes.
   */
  private async gzipped(sha: string, run: RunResult): Promise<Buffer> {
    const parts: Buffer[] = []
    let size = 0
    await pipeline(Readable.from(runResultChunks(run)), createGzip(), async (gzip) => {
      for await (const part of gzip as AsyncIterable<Buffer>) {
        size += part.length
        if (size > this.maxBlobBytes) {
          throw new EvalgateError(
            `not storing the results of ${sha} on the branch ${this.branch}: gzip'ed, they are over the ${Math.floor(this.maxBlobBytes / 1e6)} MB GitHub takes in one blob; make the run smaller (fewer or shorter outputs: a lower max_tokens; fewer repeats), or split its suites among jobs, each with a baseline-branch of its own`
          )
        }
        parts.push(part)
      }
    })
    return Buffer.concat(parts)
  }

  /**
   * A commit on `current` (or a root commit) that adds the result and prunes the key's oldest;
   * the other keys' results are theirs to prune.
   */
  private async commitOnto(
    current: Snapshot | undefined,
    sha: string,
    resultBlob: string,
    entry: IndexEntry
  ): Promise<string> {
    // An entry whose result is gone (deleted by hand) takes no place in the history: counted, it
    // would have a result that is still there pruned in its stead.
    const previous = (current?.entries ?? []).filter(
      (e) => !(e.sha === sha && this.isOwn(e)) && current?.files.has(resultPath(e.sha, e.key))
    )
    const own = previous.filter((e) => this.isOwn(e))
    // A result whose time of storing is unknown (from a lost index) is taken for older than any
    // the index dates: the newest results are the ones kept. The history length is at least 1,
    // so this run's own entry, the last, is never pruned.
    const byAge = [...own.filter((e) => e.storedAt === ''), ...own.filter((e) => e.storedAt !== '')]
    const pruned = byAge.slice(0, Math.max(0, byAge.length + 1 - this.historyLength))
    const entries = [...previous.filter((e) => !pruned.includes(e)), entry]
    const keyed =
      this.key !== undefined || [...(current?.files.keys() ?? [])].some(isKeyedResultPath)
    const index: DataIndex = {
      formatVersion: keyed ? INDEX_FORMAT : UNKEYED_INDEX_FORMAT,
      entries
    }
    const indexBlob = await this.client.createBlob(
      Buffer.from(JSON.stringify(index, null, 2) + '\n')
    )
    const changes: TreeChange[] = [
      { path: resultPath(sha, this.key), sha: resultBlob },
      { path: INDEX_PATH, sha: indexBlob },
      ...pruned.map((old) => ({ path: resultPath(old.sha, old.key), sha: null }))
    ]
    const tree = await this.client.createTree({
      ...(current ? { baseTree: current.tree } : {}),
      changes
    })
    return this.client.createGitCommit({
      message: `evalgate: store the results of ${sha}${this.key === undefined ? '' : ` (comment-key ${this.key})`}`,
      tree,
      parents: current ? [current.tip] : []
    })
  }
}
