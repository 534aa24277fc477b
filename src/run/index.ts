import { randomUUID } from 'node:crypto'
import { ResultsWriteError } from '../errors.js'
import { resolve } from 'node:path'
import {
  assertNotAnInput,
  assertResultsFileOrNone,
  assertWritableFile,
  repositoryPaths,
  writeRunResultOrRescue
} from '../io/files.js'
import type { CommandInput } from '../io/files.js'
import { raceAbort } from '../providers/abort.js'
import { createProvider, importExport } from '../providers/index.js'
import { RUN_RESULT_VERSION } from '../results/types.js'
import type { ReplayedProvider, RunMeta, RunResult } from '../results/types.js'
import { loadSpecs } from '../spec/index.js'
import { TOOL_VERSION } from '../version.js'
import { ResponseCache, assertUsableCacheDir, emptyCacheDir } from './cache.js'
import type { CacheMode } from './cache.js'
import { executePlan, providerFiles } from './execute.js'
import { filterCoversSuite, planRun } from './plan.js'
import type { Plan, Shard } from './plan.js'
import type { ProviderSpec, SecretValue, SuiteSpec } from '../spec/types.js'
import type { ProgressReporter } from './progress.js'

export { CACHE_MODES, DEFAULT_CACHE_DIR } from './cache.js'
export type { CacheMode } from './cache.js'
export { MAX_REPEATS, parseShard } from './plan.js'
export type { Shard } from './plan.js'
export { lineProgress, silentProgress, terminalProgress } from './progress.js'
export type { ProgressReporter } from './progress.js'

export interface RunEvalsOptions {
  /** Spec files or directories; empty means `evals`. */
  paths: readonly string[]
  cwd: string
  env: Record<string, string | undefined>
  /** Values redacted from the run besides its providers' and judges' secrets. */
  secrets?: SecretValue[]
  /** Absolute path the RunResult is written to. */
  out: string
  /** How messages name `out`, e.g. `--out results.json` (default: the path). */
  outName?: string
  concurrency: number
  repeats?: number
  shard?: Shard
  filter?: string
  progress: ProgressReporter
  /**
   * Record/replay of answers (default off). With `replayUnset`, a provider or judge whose
   * `${VAR}`s are not set is replayed from `dir` rather than refused by the spec check: the
   * others run as `mode` says (a fork's pull request has no secrets, but its code can run).
   */
  cache?: { mode: CacheMode; dir: string; replayUnset?: boolean }
  /** Problems that do not stop the run (a corrupt cache entry). */
  warn: (message: string) => void
  signal?: AbortSignal
  /** Told once every answer is in, before the complete run is written. */
  answered?: () => void
  meta?: Pick<RunMeta, 'commit' | 'ref' | 'event' | 'commentKey'>
}

/**
 * A cached answer is found by its provider's configuration and request, not by the code behind a
 * module or exec provider: read from the cache, such an answer does not follow a change of that
 * code, which is often what a pull request changes. Said once, before the run.
 */
function warnOfCachedCode(plan: Plan, warn: (message: string) => void): void {
  const isCode = (p: ProviderSpec) => p.type === 'module' || p.type === 'exec'
  const answering = new Set(
    plan.suites.flatMap(({ spec }) => [
      ...spec.providers.filter(isCode).map((p) => `provider ${p.id}`),
      // A judge's grades are cached too.
      ...spec.scorers.flatMap((scorer) =>
        scorer.type === 'llm-judge' && isCode(scorer.judge) ? [`the judge of ${scorer.name}`] : []
      )
    ])
  )
  if (answering.size === 0) return
  warn(
    `the cache finds an answer by its request, not by the code that gave it: a cached answer of ${[...answering].join(', ')} (module or exec) does not follow a change of that code; use cache: off where the code is what you test`
  )
}

/**
 * An `openai` provider's answers are keyed by the model it names: with the `${VAR}` of its
 * `model:` unset, that is the literal `${VAR}`, under which nothing was recorded. Every answer
 * would miss with no word of why; said once, before the run.
 */
function warnOfUnsetModels(plan: Plan, warn: (message: string) => void): void {
  for (const { spec } of plan.suites) {
    const entries = [
      ...spec.providers.map((p) => ({ what: `provider ${p.id}`, provider: p })),
      ...spec.scorers.flatMap((scorer) =>
        scorer.type === 'llm-judge'
          ? [{ what: `the judge of ${scorer.name}`, provider: scorer.judge }]
          : []
      )
    ]
    for (const { what, provider } of entries) {
      if (provider.type !== 'openai') continue
      const { model } = provider
      const names = (provider.unsetVariables ?? []).filter((name) => model.includes(`\${${name}}`))
      if (names.length === 0) continue
      warn(
        `suite ${spec.suite}, ${what}: its model is ${model}, and ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} not set: the cache finds an answer by the model named, so the answers recorded with ${names.length === 1 ? 'it' : 'them'} set all miss; set ${names.join(', ')} as the recording run did`
      )
    }
  }
}

/**
 * The files of a provider's code, named for messages: a module's, and the words of a command
 * that may name a file (those that do not name one are never matched).
 */
function codeFiles(provider: ProviderSpec, owner: string): CommandInput[] {
  if (provider.type === 'module') return [{ what: `the code of ${owner}`, path: provider.path }]
  if (provider.type !== 'exec') return []
  // A command written as one string runs as `/bin/sh -c <string>`: its words are what it names.
  const words = provider.command.flatMap((word) => word.split(/\s+/)).filter(Boolean)
  return words.map((word) => ({
    what: `a file of the command of ${owner}`,
    path: resolve(provider.cwd, word)
  }))
}

/** Every file the suites are read from: specs, case files, the code of providers and scorers. */
function specInputs(specs: readonly SuiteSpec[], cwd: string): CommandInput[] {
  return specs.flatMap((spec) => [
    { what: 'the spec', path: resolve(cwd, spec.file) },
    ...[...new Set(spec.cases.map((c) => c.source.file))].map((file) => ({
      what: 'a case file',
      path: resolve(cwd, file)
    })),
    ...spec.providers.flatMap((provider) => codeFiles(provider, `provider ${provider.id}`)),
    ...spec.scorers.flatMap((scorer) =>
      scorer.type === 'javascript'
        ? [{ what: `the code of scorer ${scorer.name}`, path: scorer.path }]
        : scorer.type === 'llm-judge'
          ? codeFiles(scorer.judge, `the judge of scorer ${scorer.name}`)
          : []
    )
  ])
}

/** A run, and — when its results could not be written to `out` — where they were saved instead. */
export interface EvalsRun {
  run: RunResult
  rescue?: ResultsWriteError
  /** Replayed, not called, for want of their secrets (with `cache.replayUnset`). */
  replayed: ReplayedProvider[]
}

function replayedProviders(plan: Plan): ReplayedProvider[] {
  return plan.suites.flatMap(({ spec }) => [
    ...spec.providers.flatMap((provider) =>
      provider.unsetVariables
        ? [
            {
              suite: spec.suite,
              what: `provider ${provider.id}`,
              unsetVariables: provider.unsetVariables
            }
          ]
        : []
    ),
    ...spec.scorers.flatMap((scorer) =>
      scorer.type === 'llm-judge' && scorer.judge.unsetVariables
        ? [
            {
              suite: spec.suite,
              what: `the judge of ${scorer.name}`,
              unsetVariables: scorer.judge.unsetVariables
            }
          ]
        : []
    )
  ])
}

const CANCELLED_WHILE_LOADING = Symbol('cancelled while loading the specs')

/** Run metadata the caller gave, and the shard and filter the run was narrowed to. */
function givenMeta(
  options: RunEvalsOptions
): Pick<RunMeta, 'commit' | 'ref' | 'event' | 'commentKey' | 'shard' | 'filter'> {
  return {
    ...options.meta,
    ...(options.shard ? { shard: options.shard } : {}),
    ...(options.filter !== undefined ? { filter: options.filter } : {})
  }
}

/**
 * A run cancelled before its specs were loaded, written as an incomplete run with no suites, as a
 * run cancelled later is written with what it answered.
 */
async function cancelledWhileLoading(
  options: RunEvalsOptions,
  startedAt: string
): Promise<EvalsRun> {
  // No spec is known to be one of the inputs the results could overwrite; a file that holds no
  // results (a spec among them) is refused all the same.
  await assertWritableFile(options.out)
  await assertResultsFileOrNone(options.out, {
    cwd: options.cwd,
    shown: options.outName ?? options.out
  })
  const run: RunResult = {
    schemaVersion: RUN_RESULT_VERSION,
    tool: { name: 'evalgate', version: TOOL_VERSION },
    run: {
      id: randomUUID(),
      startedAt,
      finishedAt: new Date().toISOString(),
      complete: false,
      incompleteReason: `cancelled (${String(options.signal?.reason ?? 'aborted')}) while loading the specs, before any answer`,
      ...givenMeta(options)
    },
    suites: []
  }
  return written(options.out, run, [])
}

/** `run` written to `out`, or rescued elsewhere when `out` cannot be written (`rescue` says where). */
async function written(
  out: string,
  run: RunResult,
  replayed: ReplayedProvider[]
): Promise<EvalsRun> {
  try {
    await writeRunResultOrRescue(out, run)
  } catch (error) {
    if (error instanceof ResultsWriteError) return { run, rescue: error, replayed }
    throw error
  }
  return { run, replayed }
}

/**
 * spec → plan → execute → RunResult on disk. The file is written before anything else happens
 * with the results, so a later failure (comment, baseline upload) never loses them; when it
 * cannot be, the run is saved elsewhere and returned with that news, for the caller to report
 * the run all the same.
 */
export async function runEvals(options: RunEvalsOptions): Promise<EvalsRun> {
  const startedAt = new Date().toISOString()
  const loading = loadSpecs(options.paths, {
    cwd: options.cwd,
    env: options.env,
    // Replaying every answer calls no provider, so it needs no secret: fork PRs have none.
    requireSecrets: options.cache?.mode !== 'replay' && !options.cache?.replayUnset,
    ...(options.filter !== undefined ? { runsSuite: filterCoversSuite(options.filter) } : {})
  })
  // Loading imports the modules of the code under test, whose top-level await may take a minute
  // or never settle: a cancelled run does not wait for it, the import is abandoned.
  const specs = options.signal
    ? await raceAbort(loading, options.signal, () => CANCELLED_WHILE_LOADING).catch(
        (error: unknown) => {
          if (error === CANCELLED_WHILE_LOADING) return undefined
          throw error
        }
      )
    : await loading
  if (specs === undefined) return cancelledWhileLoading(options, startedAt)
  const plan = planRun(specs, {
    ...(options.shard ? { shard: options.shard } : {}),
    ...(options.filter !== undefined ? { filter: options.filter } : {}),
    ...(options.repeats !== undefined ? { repeats: options.repeats } : {})
  })
  await assertWritableFile(options.out)
  const shown = options.outName ?? options.out
  await assertNotAnInput(options.out, specInputs(specs, options.cwd), {
    cwd: options.cwd,
    shown,
    advice: 'write the results to another file'
  })
  // After the inputs' check, which names what a file is to the run.
  await assertResultsFileOrNone(options.out, { cwd: options.cwd, shown })
  if (options.cache) await assertUsableCacheDir(options.cache.dir, options.cache.mode)
  const recordedPath = await repositoryPaths(
    options.cwd,
    plan.suites.map(({ spec, cases }) => ({
      specFile: spec.file,
      files: [...cases.map((c) => c.source.file), ...providerFiles(spec)]
    }))
  )
  const cache =
    options.cache && options.cache.mode !== 'off'
      ? new ResponseCache({ ...options.cache, warn: options.warn })
      : undefined
  if (cache?.reads) warnOfCachedCode(plan, options.warn)
  await cache?.sweepUnfinishedWrites()
  const replayed = replayedProviders(plan)
  const replayCache =
    options.cache && replayed.length > 0
      ? (cache?.replaying() ??
        new ResponseCache({ dir: options.cache.dir, mode: 'replay', warn: options.warn }))
      : undefined
  const lookups = cache ?? replayCache
  await lookups?.checkFormat()
  // Variables are left unset only where answers are replayed, never called.
  warnOfUnsetModels(plan, options.warn)
  // A run that writes fills an empty directory; one that only reads gets nothing from it.
  const mustFindAnswers =
    cache?.mode === 'read' || cache?.mode === 'replay' || replayCache !== undefined
  const empty =
    options.cache && mustFindAnswers ? await emptyCacheDir(options.cache.dir) : undefined
  if (options.cache && empty) {
    options.warn(
      `the cache directory ${options.cache.dir} ${empty}: every answer this run reads from the cache misses${cache?.mode === 'read' ? ' and is called instead' : ''}; record the answers first with cache mode write on a trusted run and restore that directory (or point cache-dir at it) before this run`
    )
  }
  const run = await executePlan(plan, {
    recordedPath,
    concurrency: options.concurrency,
    createProvider,
    loadModule: importExport,
    progress: options.progress,
    toolVersion: TOOL_VERSION,
    ...(cache ? { cache } : {}),
    ...(replayCache ? { replayCache } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
    meta: {
      ...givenMeta(options),
      ...(options.cache?.replayUnset && replayed.length > 0 ? { replayed } : {})
    }
  })
  // Told once for both caches, which share what their lookups found.
  lookups?.warnOfOtherFormat()
  if (run.run.complete) options.answered?.()
  return written(options.out, run, replayed)
}
