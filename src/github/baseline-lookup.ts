/**
 * Where an event's baseline is stored and read (DESIGN "The action's behaviour by event").
 */
import { stat } from 'node:fs/promises'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import {
  BranchStore,
  DEFAULT_DATA_BRANCH,
  FileStore,
  findBaseline,
  findPullRequestBaseline,
  firstParentHistory
} from '../baseline/index.js'
import type {
  BaselineMatch,
  BaselineSearch,
  BaselineStore,
  NewerBaseline
} from '../baseline/index.js'
import { UsageError, errorMessage } from '../errors.js'
import { markdownInline } from '../report/escape.js'
import { RUN_RESULT_VERSION } from '../results/types.js'
import type { GitHubClient } from './client.js'
import type { ActionContext } from './event.js'
import type { ActionSettings } from './settings.js'
import { attempt } from './io.js'
import type { ActionIO, ActionDeps, Attempt } from './io.js'
import { shortSha } from './reports.js'

export function storeFor(
  settings: ActionSettings,
  client: GitHubClient | undefined,
  deps: ActionDeps
): BaselineStore | undefined {
  const warn = (message: string) => deps.io.warning(`evalgate: ${message}`)
  // A matrix leg keeps baselines of its own. Only a `comment-key` given keys them: its default,
  // the job's id, differs between the job that stores them and the one that reads them.
  const key = settings.commentKey === undefined ? {} : { key: settings.commentKey }
  if (settings.baseline.store === 'file')
    return new FileStore(resolve(deps.cwd, settings.baseline.dir), { warn, ...key })
  if (!client) return undefined
  return new BranchStore(client, {
    branch: settings.baseline.branch,
    historyLength: settings.baseline.history,
    warn,
    ...key
  })
}

/** The baseline an event compares with: found, known to be missing, or unreadable right now. */
export type BaselineLookup =
  | { status: 'found'; match: BaselineMatch; what: string; mergeBase?: string }
  /** `newerOwn`: this commit's own baseline is a newer evalgate's, not to be replaced. */
  | { status: 'none'; why: string; newerOwn?: true }
  | { status: 'unavailable'; error: string }

function lookupOf(
  found: Attempt<BaselineSearch>,
  what: string,
  why: string,
  key: string | undefined,
  io: ActionIO
): BaselineLookup {
  if (!found.ok) return { status: 'unavailable', error: found.error }
  const { match, unkeyed, newer } = found.value
  if (match) return { status: 'found', match, what }
  if (newer) return newerBaseline(newer, what, io)
  return { status: 'none', why: why + unkeyedNote(key, unkeyed) }
}

/**
 * The nearest baseline is a newer evalgate's: no older commit's stands in for it, which would
 * gate the change on what the commits since changed too.
 */
function newerBaseline(newer: NewerBaseline, what: string, io: ActionIO): BaselineLookup {
  const of = newer.distance === 0 ? `the ${what}` : `\`${shortSha(newer.sha)}\``
  io.warning(
    `evalgate: not comparing: the baseline of ${newer.sha} was written by a newer evalgate (results format ${newer.formatVersion}; this one reads up to ${RUN_RESULT_VERSION}); upgrade the evalgate of this workflow`
  )
  return {
    status: 'none',
    ...(newer.distance === 0 ? { newerOwn: true } : {}),
    why: `The baseline of ${of} was written by a newer evalgate (results format ${newer.formatVersion}; this one reads up to ${RUN_RESULT_VERSION}), and an older commit's is no stand-in for it: upgrade the evalgate of this workflow (the version its step \`uses:\`) to the one that stores the baselines.`
  }
}

/** Said when the baselines found are another job's, stored without this job's `comment-key`. */
function unkeyedNote(key: string | undefined, unkeyed: string | undefined): string {
  if (key === undefined || unkeyed === undefined) return ''
  return ` This job reads the baselines stored under its \`comment-key\` (${markdownInline(key, 100)}), and \`${shortSha(unkeyed)}\` has one stored by a job without it: set the same \`comment-key\` on the job that stores baselines (on pushes and schedules) as on the job that reads them (on pull requests).`
}

/** Said when the data branch does not exist at all: not yet, or `baseline-branch` has a typo. */
async function missingBranchNote(store: BaselineStore): Promise<string> {
  if (!(store instanceof BranchStore) || (await store.exists())) return ''
  return ` The data branch \`${store.branch}\` does not exist: a push to the default branch creates it; if pushes store on another branch, check the input \`baseline-branch\`.`
}

/**
 * Whether the event compares with a baseline (DESIGN "The action's behaviour by event"): known
 * from the event alone, before any call to GitHub, so a run without a token says the same.
 */
export function comparesWithBaseline(context: ActionContext, isDefaultBranch: boolean): boolean {
  // A pull request or a merge queue compares with the base its payload names.
  if (context.eventName === 'pull_request') return context.pullRequest !== undefined
  if (context.eventName === 'merge_group') return context.mergeGroup !== undefined
  return eventCompares(context.eventName, isDefaultBranch)
}

/**
 * Whether a run of `eventName` compares with a baseline, by the event's name and branch: also
 * for the run a `report-from` job reports on, whose payload that job does not have.
 */
export function eventCompares(eventName: string, isDefaultBranch: boolean): boolean {
  switch (eventName) {
    case 'pull_request':
    case 'merge_group':
    case 'schedule':
    case 'workflow_dispatch':
      return true
    case 'push':
      return isDefaultBranch
    default:
      return false
  }
}

/**
 * The baseline of an event that compares (comparesWithBaseline): a pull request's merge base, a
 * push's parent, a scheduled run's own commit, each walking back first parents.
 */
export async function lookUpBaseline(
  context: ActionContext,
  isDefaultBranch: boolean,
  client: GitHubClient,
  store: BaselineStore,
  settings: ActionSettings,
  io: ActionIO
): Promise<BaselineLookup> {
  const maxDistance = settings.baseline.maxDistance
  const walkFrom = async (sha: string, what: string, why: string) =>
    lookupOf(
      await attempt('reading the baseline', io, () =>
        findBaseline(store, firstParentHistory(client, sha, maxDistance + 1), { maxDistance })
      ),
      what,
      why,
      store.key,
      io
    )
  if (context.eventName === 'pull_request' && context.pullRequest) {
    const pr = context.pullRequest
    const found = await attempt('reading the baseline', io, () =>
      findPullRequestBaseline(client, store, { base: pr.baseSha, head: pr.headSha, maxDistance })
    )
    if (!found.ok) return { status: 'unavailable', error: found.error }
    const { match, mergeBase, unkeyed, newer } = found.value
    if (mergeBase === undefined) {
      return {
        status: 'none',
        why: 'The pull request shares no history with its base branch: there is no merge base to compare with.'
      }
    }
    if (match) {
      return { status: 'found', match, what: `merge base \`${shortSha(mergeBase)}\``, mergeBase }
    }
    if (newer) return newerBaseline(newer, `merge base \`${shortSha(mergeBase)}\``, io)
    const parents =
      maxDistance === 0
        ? ''
        : maxDistance === 1
          ? ' or its first parent'
          : ` or its ${maxDistance} first parents`
    return {
      status: 'none',
      why: `No stored results for the merge base${parents}.${await missingBranchNote(store)}${unkeyedNote(store.key, unkeyed)}`
    }
  }
  if (context.eventName === 'merge_group' && context.mergeGroup) {
    // The queue's commit is built on the base branch's tip: that tip is the baseline.
    return walkFrom(
      context.mergeGroup.baseSha,
      'base of the merge queue',
      'No stored results for the base of the merge queue or its first parents.'
    )
  }
  if (context.eventName === 'push' && isDefaultBranch) {
    const parent = await attempt(
      'reading the parent commit',
      io,
      async () => (await client.getCommit(context.sha)).parents[0]
    )
    if (!parent.ok) return { status: 'unavailable', error: parent.error }
    if (parent.value === undefined) return { status: 'none', why: 'This is a root commit.' }
    return walkFrom(parent.value, 'parent commit', 'No stored results for the parent commits.')
  }
  // A scheduled or dispatched run.
  return walkFrom(
    context.sha,
    'checked-out commit',
    'No stored results for this commit or its first parents.'
  )
}

/**
 * Refuses, before anything runs, a baseline store that would write where it must not: the data
 * branch onto the branch under test, the file store outside the repository it is to be
 * committed in.
 */
export async function checkBaselineLocation(
  settings: ActionSettings,
  context: ActionContext,
  cwd: string
): Promise<void> {
  const { baseline } = settings
  if (baseline.store === 'branch') {
    const underTest = [
      context.defaultBranch,
      context.pullRequest?.baseRef,
      context.ref.replace(/^refs\/heads\//, '')
    ]
    if (underTest.includes(baseline.branch)) {
      throw new UsageError(
        `input \`baseline-branch\` names the branch under test (${baseline.branch}): baselines go on a branch of their own, such as the default ${DEFAULT_DATA_BRANCH}`
      )
    }
  } else {
    const inside = relative(cwd, resolve(cwd, baseline.dir))
    if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
      throw new UsageError(
        `input \`baseline-dir\` must be inside the repository (${cwd}), where it can be committed; got "${baseline.dir}"`
      )
    }
    if (inside === '' || inside.split(sep)[0] === '.git') {
      throw new UsageError(
        `input \`baseline-dir\` must be a directory of its own in the repository, which can be committed (not its root, nor .git); got "${baseline.dir}": use the default .evalgate/baselines`
      )
    }
    // Missing is fine, the first baseline makes it; what stands in its way is said now.
    const found = await stat(resolve(cwd, baseline.dir)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw new UsageError(
        `input \`baseline-dir\` cannot be used: ${errorMessage(error)}; choose another directory`
      )
    })
    if (found !== undefined && !found.isDirectory()) {
      throw new UsageError(
        `input \`baseline-dir\` names a file, not a directory: "${baseline.dir}"; move it out of the way or choose another directory`
      )
    }
  }
}
