import { UsageError } from '../errors.js'
import { CACHE_MODES, DEFAULT_CACHE_DIR } from '../run/cache.js'
import type { CacheMode } from '../run/cache.js'
import { parseShard } from '../run/plan.js'
import type { Shard } from '../run/plan.js'

/** The action's inputs, parsed and checked once. */
export interface ActionSettings {
  specs: string[]
  resultsPath: string
  concurrency: number
  repeats?: number
  shard?: Shard
  filter?: string
  failOn: 'threshold' | 'never'
  cache: { mode: CacheMode; dir: string }
}

/** Reads one input as the runner passes it (`INPUT_<NAME>`); empty when unset. */
export type InputReader = (name: string) => string

function positiveInteger(name: string, text: string): number | undefined {
  if (text === '') return undefined
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1) {
    throw new UsageError(`input \`${name}\` must be a positive integer, got "${text}"`)
  }
  return value
}

export function parseSettings(input: InputReader): ActionSettings {
  const specs = input('specs')
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
  const failOn = input('fail-on') || 'threshold'
  if (failOn !== 'threshold' && failOn !== 'never') {
    throw new UsageError(`input \`fail-on\` must be threshold or never, got "${failOn}"`)
  }
  const cacheMode = input('cache') || 'off'
  if (!(CACHE_MODES as readonly string[]).includes(cacheMode)) {
    throw new UsageError(
      `input \`cache\` must be one of ${CACHE_MODES.join(', ')}, got "${cacheMode}"`
    )
  }
  const shard = input('shard')
  const filter = input('filter')
  const repeats = positiveInteger('repeats', input('repeats'))
  let parsedShard: Shard | undefined
  try {
    parsedShard = shard ? parseShard(shard) : undefined
  } catch {
    throw new UsageError(`input \`shard\` must be i/n with 1 ≤ i ≤ n, e.g. 2/4; got "${shard}"`)
  }
  return {
    specs,
    resultsPath: input('results-path') || '.evalgate/results.json',
    concurrency: positiveInteger('concurrency', input('concurrency')) ?? 8,
    failOn,
    cache: { mode: cacheMode as CacheMode, dir: input('cache-dir') || DEFAULT_CACHE_DIR },
    ...(repeats !== undefined ? { repeats } : {}),
    ...(parsedShard ? { shard: parsedShard } : {}),
    ...(filter ? { filter } : {})
  }
}
