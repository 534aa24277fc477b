/**
 * Shards → one RunResult (DESIGN "RunResult": "Shards merge into one RunResult"). Each shard of a
 * matrix job ran some cases of every suite; merged, they are the run a single job would have
 * made, so compare, report and the baseline store never see a partial run.
 */
import { UsageError } from '../errors.js'
import { canonicalJson, fingerprint } from './fingerprint.js'
import type { RunResult, SuiteResult } from './types.js'

/** A shard's RunResult and the file it came from, for messages. */
export interface ShardFile {
  file: string
  run: RunResult
}

function shardLabel(shard: ShardFile): string {
  const index = shard.run.run.shard
  return index ? `${shard.file} (shard ${index.index}/${index.total})` : shard.file
}

/** A shard stopped before its specs were loaded: incomplete, with no suite to merge. */
function cancelledWhileLoading(shard: ShardFile): boolean {
  return !shard.run.run.complete && shard.run.suites.length === 0
}

/**
 * Every shard must be a different part of the same run: same commit, filter, shard count,
 * evalgate version and results format (two builds of one version may write different formats).
 */
function checkShards(shards: readonly ShardFile[], unread: readonly string[]): void {
  const [first] = shards
  if (!first) throw new UsageError('nothing to merge: give the results files of every shard')
  const total = first.run.run.shard?.total
  const seen = new Map<number, string>()
  for (const shard of shards) {
    const { run } = shard.run
    if (!run.shard) {
      throw new UsageError(`${shard.file} is not a shard's results (it was run without --shard)`)
    }
    if (run.shard.total !== total) {
      throw new UsageError(
        `${shardLabel(shard)} and ${shardLabel(first)} split the cases differently: merge shards of one run`
      )
    }
    if (run.commit !== first.run.run.commit) {
      throw new UsageError(
        `${shardLabel(shard)} is of commit ${run.commit ?? 'unknown'}, ${shardLabel(first)} of ${first.run.run.commit ?? 'unknown'}: merge shards of one commit`
      )
    }
    if (shard.run.tool.version !== first.run.tool.version) {
      throw new UsageError(
        `${shardLabel(shard)} was written by evalgate ${shard.run.tool.version}, ${shardLabel(first)} by ${first.run.tool.version}: run every shard with one version of evalgate`
      )
    }
    if (shard.run.schemaVersion !== first.run.schemaVersion) {
      throw new UsageError(
        `${shardLabel(shard)} is in results format ${shard.run.schemaVersion}, ${shardLabel(first)} in format ${first.run.schemaVersion}: run every shard with one build of evalgate`
      )
    }
    if (run.filter !== first.run.run.filter) {
      throw new UsageError(
        `${shardLabel(shard)} and ${shardLabel(first)} ran different filters: merge shards of one run`
      )
    }
    const twin = seen.get(run.shard.index)
    if (twin !== undefined) {
      throw new UsageError(`${shard.file} and ${twin} are both shard ${run.shard.index}/${total}`)
    }
    seen.set(run.shard.index, shard.file)
  }
  // Every shard lists every suite the run selects (all, or those its filter matches), if only
  // with no case of its own: shards of different spec sets would merge into a "complete" run
  // with cases missing. A shard cancelled while its specs were loading knows no suite: it makes
  // the merged run incomplete, saying so, and is no spec set of its own to hold the others to.
  const suites = (shard: ShardFile) =>
    shard.run.suites
      .map((suite) => suite.suite)
      .sort()
      .join(', ')
  const loaded = shards.filter((shard) => !cancelledWhileLoading(shard))
  const [firstLoaded] = loaded
  const other = firstLoaded && loaded.find((shard) => suites(shard) !== suites(firstLoaded))
  if (firstLoaded && other) {
    throw new UsageError(
      `${shardLabel(other)} ran the suites ${suites(other) || '(none)'}, ${shardLabel(firstLoaded)} ${suites(firstLoaded) || '(none)'}: merge shards of one run`
    )
  }
  const shardTotal = total as number
  const missing = Array.from({ length: shardTotal }, (_, i) => i + 1).filter((i) => !seen.has(i))
  if (missing.length > 0) {
    const passedOver =
      unread.length === 0
        ? ''
        : `; not read, as the directory holding them holds results files itself: ${unread.join(', ')} (name them too)`
    throw new UsageError(
      `shard ${missing.map((i) => `${i}/${shardTotal}`).join(', ')} is missing: merge the results of every shard (${shards.length} of ${shardTotal} given)${passedOver}`
    )
  }
}

function providerIds(suite: SuiteResult): string {
  return suite.providers
    .map((provider) => provider.id)
    .sort()
    .join(', ')
}

/**
 * Every shard of a suite must have asked the same providers, configured alike: a merged run is
 * compared as one, and answers of two configurations under one provider id would pass for one.
 */
function checkProviders(
  part: { shard: ShardFile; suite: SuiteResult },
  first: { shard: ShardFile; suite: SuiteResult }
): void {
  const { suite } = part
  if (providerIds(suite) !== providerIds(first.suite)) {
    throw new UsageError(
      `suite ${suite.suite} has the providers ${providerIds(suite) || '(none)'} in ${shardLabel(part.shard)} but ${providerIds(first.suite) || '(none)'} in ${shardLabel(first.shard)}: merge shards of one run`
    )
  }
  for (const provider of suite.providers) {
    const expected = first.suite.providers.find((p) => p.id === provider.id)?.configFingerprint
    if (expected !== undefined && provider.configFingerprint !== expected) {
      throw new UsageError(
        `suite ${suite.suite}: provider ${provider.id} has the configuration fingerprint ${provider.configFingerprint.slice(0, 12)} in ${shardLabel(part.shard)} but ${expected.slice(0, 12)} in ${shardLabel(first.shard)} (its model, parameters or settings changed between the shards): merge shards of one run`
      )
    }
  }
}

/**
 * What differs between two shards' definitions of a suite, or undefined: the merged run keeps
 * the first shard's settings, which must then hold for every shard's answers.
 */
function definitionDifference(suite: SuiteResult, first: SuiteResult): string | undefined {
  if (suite.fingerprint !== first.fingerprint) return 'its cases or scorers'
  if (suite.repeats !== first.repeats) return `repeats ${suite.repeats} and ${first.repeats}`
  if (suite.minPassRate !== first.minPassRate) {
    return `min-pass-rate ${suite.minPassRate} and ${first.minPassRate}`
  }
  if (canonicalJson(suite.gate) !== canonicalJson(first.gate)) {
    return `gate ${canonicalJson(suite.gate)} and ${canonicalJson(first.gate)}`
  }
  // Older results do not record these: a shard without them is not held to them.
  const recordedApart = <T>(a: T | undefined, b: T | undefined) =>
    a !== undefined && b !== undefined && a !== b
  if (recordedApart(suite.promptFingerprint, first.promptFingerprint)) return 'its prompt'
  if (recordedApart(suite.timeoutMs, first.timeoutMs)) {
    return `timeout ${suite.timeoutMs} ms and ${first.timeoutMs} ms`
  }
  return undefined
}

function mergeSuite(parts: readonly { shard: ShardFile; suite: SuiteResult }[]): SuiteResult {
  const [first] = parts as [{ shard: ShardFile; suite: SuiteResult }]
  const cases: SuiteResult['cases'] = []
  const results: SuiteResult['results'] = []
  const caseOwner = new Map<string, string>()
  for (const { shard, suite } of parts) {
    const difference = definitionDifference(suite, first.suite)
    if (difference !== undefined) {
      throw new UsageError(
        `suite ${suite.suite} differs between ${shardLabel(shard)} and ${shardLabel(first.shard)} (${difference}): merge shards of one run`
      )
    }
    checkProviders({ shard, suite }, first)
    for (const info of suite.cases) {
      const owner = caseOwner.get(info.id)
      if (owner !== undefined) {
        throw new UsageError(
          `case ${info.id} of suite ${suite.suite} is in both ${owner} and ${shard.file}: merge shards of one run`
        )
      }
      caseOwner.set(info.id, shard.file)
      cases.push(info)
    }
    // One by one: spreading a shard's 100,000+ answers as arguments overflows the stack.
    for (const result of suite.results) results.push(result)
  }
  return { ...first.suite, cases, results }
}

/**
 * The shards of one run as the RunResult of the whole run. `unread`: directories of results the
 * shards were not read from, named if a shard is missing.
 */
export function mergeShards(
  shards: readonly ShardFile[],
  unread: readonly string[] = []
): RunResult {
  checkShards(shards, unread)
  const ordered = [...shards].sort(
    (a, b) => (a.run.run.shard?.index ?? 0) - (b.run.run.shard?.index ?? 0)
  )
  const first = ordered[0] as ShardFile
  const suiteParts = new Map<string, { shard: ShardFile; suite: SuiteResult }[]>()
  for (const shard of ordered) {
    for (const suite of shard.run.suites) {
      const parts = suiteParts.get(suite.suite) ?? []
      parts.push({ shard, suite })
      suiteParts.set(suite.suite, parts)
    }
  }
  const incomplete = ordered.filter((shard) => !shard.run.run.complete)
  const { shard: _shard, incompleteReason: _reason, ...meta } = first.run.run
  return {
    ...first.run,
    run: {
      ...meta,
      // Deterministic: merging the same shards twice gives the same run.
      id: fingerprint(ordered.map((shard) => shard.run.run.id)).slice(0, 32),
      startedAt: ordered.map((s) => s.run.run.startedAt).sort()[0] as string,
      finishedAt: ordered
        .map((s) => s.run.run.finishedAt)
        .sort()
        .at(-1) as string,
      complete: incomplete.length === 0,
      ...(incomplete.length > 0
        ? {
            incompleteReason: incomplete
              .map((s) => `${shardLabel(s)}: ${s.run.run.incompleteReason ?? 'stopped early'}`)
              .join('; ')
          }
        : {})
    },
    suites: [...suiteParts.values()].map(mergeSuite)
  }
}
