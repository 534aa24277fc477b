/**
 * Which stored result a run compares with. For a PR: the result of its merge base on the base
 * branch; when that commit has none, the nearest first-parent ancestor that has one, within a
 * bound, so the report can show the baseline's SHA and distance. No baseline is a visible
 * "no baseline yet" for the caller to report, never a silent pass.
 */
import type { GitHubClient } from '../github/client.js'
import type { RunResult } from '../results/types.js'
import type { BaselineStore } from './store.js'

export const DEFAULT_MAX_DISTANCE = 50

export interface BaselineMatch {
  run: RunResult
  sha: string
  /** First-parent commits between the wanted commit and the baseline's (0: the commit itself). */
  distance: number
}

export interface BaselineSearch {
  match?: BaselineMatch
  /**
   * With no match under the store's key: the nearest commit walked that has a baseline stored
   * under no key, by a job without this one's `comment-key`.
   */
  unkeyed?: string
}

/**
 * Walks `history` (the wanted commit first, then its first parents) and returns the first commit
 * with a readable stored result, looking at no more than `maxDistance + 1` commits.
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
      if (nearestUnkeyed === undefined && unkeyed.has(next.value)) {
        nearestUnkeyed = next.value
        if (stored.size === 0) break
      }
      if (!stored.has(next.value)) continue
      const run = await store.read(next.value)
      if (run) return { match: { run, sha: next.value, distance } }
    }
    return nearestUnkeyed === undefined ? {} : { unkeyed: nearestUnkeyed }
  } finally {
    await iterator.return?.()
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
