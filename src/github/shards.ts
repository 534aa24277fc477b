/**
 * A matrix job's shards, merged by the `merge-from` job that gates the whole run.
 */
import { resolve } from 'node:path'
import { UsageError } from '../errors.js'
import { invalidSpecsRecordsAmong, readShardsToMerge, writeRunResult } from '../io/files.js'
import { terminalLine } from '../report/escape.js'
import { mergeShards } from '../results/merge.js'
import type { RunResult } from '../results/types.js'
import type { ActionDeps } from './io.js'
import { readInvalidSpecs } from './artifact-files.js'

/** A shard's record of invalid specs that was not read, and why. */
export interface RefusedRecord {
  path: string
  refused: string
}

/**
 * Why shards that do not merge may not: a shard whose specs could not be loaded wrote a record in
 * place of its results, and that record was refused, so what is missing is not all there is to
 * say. `merge`: what merging said.
 */
function refusedRecordsError(refused: readonly RefusedRecord[], merge: string): UsageError {
  const records = refused.map(({ path, refused: why }) => `${path} (${terminalLine(why, 300)})`)
  const named =
    records.length === 1
      ? `the record of invalid specs ${records.join('')} was refused`
      : `the records of invalid specs ${records.join(', ')} were refused`
  return new UsageError(
    `${named}, so the shards do not merge: a shard whose specs could not be loaded writes such a record in place of its results, and its problems cannot be reported from a refused one. Merging said: ${merge}. The log of that shard's job lists its problems: fix them and run the shards again; if its specs do load, run that shard again, as its record was damaged`
  )
}

/**
 * A matrix job's shards, merged and written as this job's results (before any GitHub call).
 * `refused`: the shards' records of invalid specs that could not be read, named when the shards
 * do not merge.
 */
export async function mergeShardResults(
  paths: readonly string[],
  out: string,
  run: { commit: string; commentKey: string | undefined },
  refused: readonly RefusedRecord[],
  deps: ActionDeps
): Promise<RunResult> {
  const { shards, unread } = await readShardsToMerge(out, paths, {
    cwd: deps.cwd,
    shown: 'input `results-path`',
    advice: 'set it to a file of its own, e.g. merged/results.json',
    named: 'input `merge-from`'
  })
  const { commit, commentKey } = run
  let shardsRun: RunResult
  try {
    shardsRun = mergeShards(shards, unread)
  } catch (error) {
    if (refused.length === 0 || !(error instanceof UsageError)) throw error
    throw refusedRecordsError(refused, error.message)
  }
  // Stale artifacts would be compared, or stored as this commit's baseline, under the wrong SHA.
  if (shardsRun.run.commit !== commit) {
    throw new UsageError(
      `the shards in ${paths.join(', ')} hold results of ${shardsRun.run.commit ?? 'an unknown commit'}, not of this run's ${commit}: download the artifacts of this workflow run`
    )
  }
  // This job comments, not the shards' jobs.
  const { commentKey: _shardJob, ...meta } = shardsRun.run
  const merged = { ...shardsRun, run: { ...meta, ...(commentKey ? { commentKey } : {}) } }
  await writeRunResult(out, merged)
  deps.io.info(`evalgate: merged ${shards.length} shards into ${out}`)
  return merged
}

/**
 * The problems recorded by the shards whose specs could not be loaded, of `commit`: such a shard
 * wrote no results, so the run cannot be merged, and this job reports them in their place. A
 * record of another commit (a stale artifact) is passed over.
 */
export async function shardsInvalidSpecs(
  paths: readonly string[],
  commit: string,
  deps: ActionDeps
): Promise<{ problems: string | undefined; refused: RefusedRecord[] }> {
  const records = await invalidSpecsRecordsAmong(paths.map((path) => resolve(deps.cwd, path)))
  const problems = new Set<string>()
  const refused: RefusedRecord[] = []
  for (const path of records) {
    const record = await readInvalidSpecs(path, deps.io)
    if (record && 'refused' in record) refused.push({ path, refused: record.refused })
    else if (record && record.commit === commit) problems.add(record.problems)
  }
  return { problems: problems.size > 0 ? [...problems].join('\n\n') : undefined, refused }
}
