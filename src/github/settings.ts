import {
  DEFAULT_DATA_BRANCH,
  DEFAULT_HISTORY_LENGTH,
  DEFAULT_MAX_DISTANCE
} from '../baseline/index.js'
import { UsageError } from '../errors.js'
import { CACHE_MODES, DEFAULT_CACHE_DIR } from '../run/cache.js'
import type { CacheMode } from '../run/cache.js'
import { MAX_REPEATS, MAX_SHARDS, parseShard } from '../run/plan.js'
import type { Shard } from '../run/plan.js'

export type CommentMode = 'on' | 'off' | 'on-regression'
export type BaselineStoreKind = 'branch' | 'file'

/** The action's inputs, parsed and checked once. */
export interface ActionSettings {
  specs: string[]
  resultsPath: string
  concurrency: number
  repeats?: number
  shard?: Shard
  filter?: string
  cache: { mode: CacheMode; dir: string }
  githubToken: string
  baseline: {
    store: BaselineStoreKind
    branch: string
    dir: string
    history: number
    maxDistance: number
  }
  comment: CommentMode
  commentAuthor?: string
  /** Scheduled runs keep a tracking issue; off for a repository without issues. */
  trackingIssue: boolean
  /**
   * Tells this job's sticky comment from the other jobs' of the workflow, e.g. a matrix leg's
   * (`comment-key`); default: the job's id (GITHUB_JOB).
   */
  commentKey?: string
  trackingLabel: string
  strict: boolean
  failOnRegression: boolean
  failOnThreshold: boolean
  /**
   * A `workflow_run` job's results file (from the artifact of the run it follows): comment it on
   * that run's pull request instead of running the suites.
   */
  reportFrom?: string
  /**
   * The results files (or directories of them) of every shard of a matrix job: merged, then
   * compared, commented and stored as if this job had run the suites.
   */
  mergeFrom?: string[]
}

/** Reads one input as the runner passes it (`INPUT_<NAME>`); empty when unset. */
export type InputReader = (name: string) => string

/** An integer input of at least `least` (1: positive, 0: non-negative); undefined when empty. */
function integer(name: string, text: string, least: 0 | 1 = 1): number | undefined {
  if (text === '') return undefined
  // Digits only: Number() would also take "1e3", "0x10" and " ".
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(value) || value < least) {
    const kind = least === 1 ? 'a positive integer' : 'an integer of 0 or more'
    throw new UsageError(`input \`${name}\` must be ${kind}, got "${text}"`)
  }
  return value
}

function oneOf<T extends string>(
  name: string,
  text: string,
  allowed: readonly T[],
  fallback: T
): T {
  if (text === '') return fallback
  if (!(allowed as readonly string[]).includes(text)) {
    throw new UsageError(`input \`${name}\` must be one of ${allowed.join(', ')}, got "${text}"`)
  }
  return text as T
}

/** YAML 1.2 core booleans, as actions/toolkit's getBooleanInput reads them. */
function boolean(name: string, text: string, fallback: boolean): boolean {
  if (text === '') return fallback
  if (['true', 'True', 'TRUE'].includes(text)) return true
  if (['false', 'False', 'FALSE'].includes(text)) return false
  throw new UsageError(`input \`${name}\` must be true or false, got "${text}"`)
}

/**
 * A branch name as `git check-ref-format --branch` takes it; GitHub refuses the others, which
 * would show only as a warning on every push that stores a baseline.
 */
function branchName(name: string, text: string): string {
  if (text.startsWith('refs/')) {
    throw new UsageError(
      `input \`${name}\` takes a branch name, not a ref: write "${text.replace(/^refs\/heads\//, '')}", not "${text}"`
    )
  }
  const invalid =
    text.startsWith('-') ||
    text === '@' ||
    [...text].some((c) => c <= ' ' || c === '\x7f') ||
    /[~^:?*[\\]|\.\.|@\{|\/\/|^\/|\/$|\.$|\.lock$|\.lock\/|(^|\/)\./.test(text)
  if (invalid) {
    throw new UsageError(
      `input \`${name}\` is not a valid branch name, got "${text}": no spaces, \`..\`, \`~^:?*[\\\`, or a part that starts with \`.\` or ends with \`.lock\``
    )
  }
  return text
}

/** A list input: items separated by commas or newlines. */
function list(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

/** The inputs that choose how the suites run, with the value that means "not set". */
const RUN_INPUTS: readonly { name: string; unset: string }[] = [
  { name: 'specs', unset: 'evals' },
  { name: 'repeats', unset: '' },
  { name: 'filter', unset: '' },
  { name: 'concurrency', unset: '8' },
  { name: 'cache', unset: 'off' },
  { name: 'cache-dir', unset: DEFAULT_CACHE_DIR }
]

/**
 * Warnings for the inputs that do nothing in this job: a `merge-from` or `report-from` job runs no
 * suite, so how to run them is the shard jobs' (or the pull request run's) to say. Read from the
 * inputs as given, after parseSettings accepted them.
 */
export function ignoredInputWarnings(input: InputReader): string[] {
  const mode =
    list(input('merge-from')).length > 0
      ? { name: 'merge-from', runs: 'the shard jobs that run the suites' }
      : input('report-from')
        ? { name: 'report-from', runs: 'the run that made the artifact' }
        : undefined
  if (!mode) return []
  return RUN_INPUTS.filter(({ name, unset }) => {
    const text = input(name).trim()
    return text !== '' && text !== unset
  }).map(
    ({ name }) =>
      `input \`${name}\` does nothing with \`${mode.name}\`: it applies to ${mode.runs}, and this job runs none; set it there, and remove it here`
  )
}

export function parseSettings(input: InputReader): ActionSettings {
  const specs = list(input('specs'))
  const shardText = input('shard')
  let shard: Shard | undefined
  try {
    shard = shardText ? parseShard(shardText) : undefined
  } catch {
    throw new UsageError(
      `input \`shard\` must be i/n with 1 ≤ i ≤ n ≤ ${MAX_SHARDS}, e.g. 2/4; got "${shardText}"`
    )
  }
  const repeats = integer('repeats', input('repeats'))
  if (repeats !== undefined && repeats > MAX_REPEATS) {
    throw new UsageError(
      `input \`repeats\` must be at most ${MAX_REPEATS}, as in a spec; got ${repeats}`
    )
  }
  // A YAML block (`filter: |`) puts one pattern a line, as in `specs`.
  const filter = list(input('filter')).join(',')
  const commentAuthor = input('comment-author')
  const commentKey = input('comment-key')
  // It marks the job's comment and is recorded in the results, whose readers refuse more.
  // Counted in code points, as the results schema counts them: an emoji is one character.
  const keyLength = [...commentKey].length
  if (keyLength > 100 || /[\r\n]/.test(commentKey)) {
    throw new UsageError(
      `input \`comment-key\` must be one line of at most 100 characters, got ${/[\r\n]/.test(commentKey) ? 'several lines' : `${keyLength} characters`}: use one value of the matrix, e.g. \${{ matrix.model }}`
    )
  }
  const reportFrom = input('report-from')
  const mergeFrom = list(input('merge-from'))
  const pattern = mergeFrom.find((path) => /[*?]/.test(path))
  if (pattern !== undefined) {
    throw new UsageError(
      `input \`merge-from\` takes files and directories, not patterns (\`*\` and \`?\` are not expanded), got "${pattern}": name the directory the shards' artifacts were downloaded to, e.g. \`shards\`: the results files in it, or in each of its subdirectories, are merged`
    )
  }
  const modes = [
    shardText && '`shard`',
    reportFrom && '`report-from`',
    mergeFrom.length > 0 && '`merge-from`'
  ].filter(Boolean)
  if (modes.length > 1) {
    throw new UsageError(
      `inputs ${modes.join(' and ')} exclude each other: a matrix job runs one \`shard\`, a later job merges them with \`merge-from\`, and \`report-from\` only comments`
    )
  }
  return {
    specs,
    resultsPath: input('results-path') || '.evalgate/results.json',
    concurrency: integer('concurrency', input('concurrency')) ?? 8,
    ...(repeats !== undefined ? { repeats } : {}),
    ...(shard ? { shard } : {}),
    ...(filter ? { filter } : {}),
    cache: {
      mode: oneOf('cache', input('cache'), CACHE_MODES, 'off'),
      dir: input('cache-dir') || DEFAULT_CACHE_DIR
    },
    githubToken: input('github-token'),
    baseline: {
      store: oneOf(
        'baseline-store',
        input('baseline-store'),
        ['branch', 'file'] as const,
        'branch'
      ),
      branch: branchName('baseline-branch', input('baseline-branch') || DEFAULT_DATA_BRANCH),
      dir: input('baseline-dir') || '.evalgate/baselines',
      history: integer('baseline-history', input('baseline-history')) ?? DEFAULT_HISTORY_LENGTH,
      maxDistance:
        // 0: the merge base's (or the commit's) own results only.
        integer('baseline-max-distance', input('baseline-max-distance'), 0) ?? DEFAULT_MAX_DISTANCE
    },
    comment: oneOf('comment', input('comment'), ['on', 'off', 'on-regression'] as const, 'on'),
    ...(commentAuthor ? { commentAuthor } : {}),
    ...(commentKey ? { commentKey } : {}),
    ...(reportFrom ? { reportFrom } : {}),
    ...(mergeFrom.length > 0 ? { mergeFrom } : {}),
    trackingIssue: boolean('tracking-issue', input('tracking-issue'), true),
    trackingLabel: input('tracking-label') || 'evalgate',
    strict: boolean('strict', input('strict'), false),
    failOnRegression: boolean('fail-on-regression', input('fail-on-regression'), true),
    failOnThreshold: boolean('fail-on-threshold', input('fail-on-threshold'), true)
  }
}
