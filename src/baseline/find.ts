/**
 * Which stored result a run compares with. For a PR: the result of its merge base on the base
 * branch; when that commit has none, the nearest first-parent ancestor that has one, within a
 * bound, so the report can show the baseline's SHA and distance. No baseline is a visible
 * "no baseline yet" for the caller to report, never a silent pass.
 */
import type { GitHubClient } from '../github/client.js'
import type { RunResult } from '../results/types.js'
import { NewerBaselineError } from './store.js'
import type { BaselineStore } from './store.js'

export const DEFAULT_MAX_DISTANCE = 50

export interface BaselineMatch {
  run: RunResult
  sha: string
  /** First-parent commits between the wanted commit and the baseline's (0: the commit itself). */
  distance: number
}

/** A commit walked whose baseline a newer evalgate wrote: the walk stops there. */
export interface NewerBaseline {
  sha: string
  distance: number
  formatVersion: number
}

export interface BaselineSearch {
  match?: BaselineMatch
  /**
   * With no match under the store's key: the nearest commit walked that has a baseline stored
   * under no key, by a job without this one's `comment-key`.
   */
  unkeyed?: string
  /**
   * The first commit walked with a baseline, when a newer evalgate wrote it: an older commit's
   * would be compared in its stead, so none is.
   */
  newer?: NewerBaseline
}

/**
 * Walks `history` (the wanted commit first, then its first parents) and returns the first commit
 * with a readable stored result, looking at no more than `maxDistance + 1` commits. Under a key,
 * a result stored under none by a job of that `comment-key` (an evalgate from before keyed
 * baselines stored the key in the run only) is the job's own; only the nearest is read.
 */
export async function findBaseline(
  store: BaselineStore,
  history: AsyncIterable<string> | Iterable<string>,
  options: { maxDistance?: number } = {}
): Promise<BaselineSearch> {
  const maxDistance = options.maxDistance ?? DEFAULT_MAX_DISTANCE
  const stored = new Set(await store.shas())
  const unkeyed = new Set(store.key === undefined ? [] : await store.unkeyedShas())
  if (stored.size === 0 && unkeyed.size === 0) return {}
  let nearestUnkeyed: string | undefined
  const iterator =
    Symbol.asyncIterator in history
      ? history[Symbol.asyncIterator]()
      : (history as Iterable<string>)[Symbol.iterator]()
  try {
    // Pull one commit at a time: a lazy history fetches no further than needed.
    for (let distance = 0; distance <= maxDistance; distance++) {
      const next = await iterator.next()
      if (next.done) break
      const sha = next.value
      if (stored.has(sha)) {
        const run = await readUnlessNewer(() => store.read(sha))
        if (run instanceof NewerBaselineError) {
          return { newer: { sha, distance, formatVersion: run.formatVersion } }
        }
        if (run) return { match: { run, sha, distance } }
      }
      if (nearestUnkeyed === undefined && unkeyed.has(sha)) {
        nearestUnkeyed = sha
        // A newer evalgate stores under the key: a newer result of none is not this job's.
        const own = await readUnlessNewer(() => store.readUnkeyed(sha))
        if (own && !(own instanceof NewerBaselineError) && own.run.commentKey === store.key) {
          return { match: { run: own, sha, distance } }
        }
        if (stored.size === 0) break
      }
    }
    return nearestUnkeyed === undefined ? {} : { unkeyed: nearestUnkeyed }
  } finally {
    await iterator.return?.()
  }
}

/** A stored result, or the error that says a newer evalgate wrote it. */
async function readUnlessNewer(
  read: () => Promise<RunResult | undefined>
): Promise<RunResult | NewerBaselineError | undefined> {
  try {
    return await read()
  } catch (error) {
    if (error instanceof NewerBaselineError) return error
    throw error
  }
}

/**
 * `sha`, then its first parent, and so on: at most `limit` commits, each fetched only when the
 * consumer asks for it (`GET /repos/{o}/{r}/commits/{sha}`).
 */
export async function* firstParentHistory(
  client: Pick<GitHubClient, 'getCommit'>,
  sha: string,
  limit = DEFAULT_MAX_DISTANCE + 1
): AsyncGenerator<string> {
  let current: string | undefined = sha
  for (let count = 0; current !== undefined && count < limit; count++) {
    yield current
    if (count + 1 >= limit) return
    current = (await client.getCommit(current)).parents[0]
  }
}

/**
 * The merge base of `head` with `base` (branches or SHAs), from the compare endpoint; undefined
 * when they share no history.
 */
export async function mergeBase(
  client: Pick<GitHubClient, 'compareCommits'>,
  base: string,
  head: string
): Promise<string | undefined> {
  return (await client.compareCommits(base, head))?.mergeBase
}

/**
 * A PR's baseline: the merge base of head with base, or its nearest stored first parent; no
 * merge base (unrelated histories), no baseline.
 */
export async function findPullRequestBaseline(
  client: Pick<GitHubClient, 'compareCommits' | 'getCommit'>,
  store: BaselineStore,
  refs: { base: string; head: string; maxDistance?: number }
): Promise<BaselineSearch & { mergeBase: string | undefined }> {
  const maxDistance = refs.maxDistance ?? DEFAULT_MAX_DISTANCE
  const base = await mergeBase(client, refs.base, refs.head)
  if (base === undefined) return { mergeBase: undefined }
  const search = await findBaseline(store, firstParentHistory(client, base, maxDistance + 1), {
    maxDistance
  })
  return { mergeBase: base, ...search }
}
