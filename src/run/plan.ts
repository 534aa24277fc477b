import { UsageError } from '../errors.js'
import { sha256Hex } from '../results/fingerprint.js'
import type { EvalCase, SuiteSpec } from '../spec/types.js'

export interface Shard {
  /** 1-based, as written on the command line: `--shard 2/4`. */
  index: number
  total: number
}

export interface PlanOptions {
  shard?: Shard
  /** `suite-glob[/case-glob]`, several separated by commas. */
  filter?: string
  /** Overrides every suite's `repeats`. */
  repeats?: number
}

export interface PlannedSuite {
  spec: SuiteSpec
  /** The cases this run executes, after sharding and filtering, in spec order. */
  cases: EvalCase[]
  repeats: number
}

export interface Plan {
  suites: PlannedSuite[]
  /** Provider calls the plan makes: cases × providers × repeats, summed over suites. */
  totalCalls: number
}

/** The most answers per case and provider a run asks for: a spec's `repeats` maximum too. */
export const MAX_REPEATS = 100

/**
 * The most shards a run splits into: far more than any CI matrix runs (GitHub's allows 256), and
 * small enough that shardOf's 48 hash bits spread cases evenly (a bias under 10⁻¹⁰).
 */
export const MAX_SHARDS = 10_000

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim())
  const index = Number(match?.[1])
  const total = Number(match?.[2])
  if (!match || total < 1 || index < 1 || index > total) {
    throw new UsageError(`--shard "${text}" must be i/n with 1 ≤ i ≤ n, e.g. --shard 2/4`)
  }
  // Past 2⁵³ the digits are rounded, and past shardOf's 48 hash bits most shards get no case:
  // either would run the wrong cases, or none, and exit 0.
  if (total > MAX_SHARDS) {
    throw new UsageError(
      `--shard "${text}" has ${match[2]} shards; at most ${MAX_SHARDS} are allowed, e.g. --shard 2/4`
    )
  }
  return { index, total }
}

/**
 * The shard a case belongs to: from a hash of suite and case id, so a case stays in its shard
 * when other cases are added or removed, and every machine agrees without coordination. 48 bits
 * of the hash modulo at most MAX_SHARDS is uniform to within 10⁻¹⁰.
 */
export function shardOf(suite: string, caseId: string, total: number): number {
  const hash = sha256Hex(`${suite}\u0000${caseId}`)
  return (Number.parseInt(hash.slice(0, 12), 16) % total) + 1
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
  return new RegExp(`^${escaped}$`)
}

type CaseFilter = (suite: string, caseId: string) => boolean

function filterPatterns(text: string): { suite: RegExp; case: RegExp }[] {
  const patterns = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const slash = part.indexOf('/')
      const suiteGlob = slash === -1 ? part : part.slice(0, slash)
      const caseGlob = slash === -1 ? '*' : part.slice(slash + 1)
      return { suite: globToRegExp(suiteGlob), case: globToRegExp(caseGlob || '*') }
    })
  if (patterns.length === 0) {
    throw new UsageError(
      `the filter "${text}" is empty; use suite-glob[/case-glob], e.g. triage/refund-*`
    )
  }
  return patterns
}

export function parseFilter(text: string): CaseFilter {
  const patterns = filterPatterns(text)
  return (suite, caseId) => patterns.some((p) => p.suite.test(suite) && p.case.test(caseId))
}

/** Whether a filter can select any case of `suite`: one it cannot needs no secret to load. */
export function filterCoversSuite(text: string): (suite: string) => boolean {
  const patterns = filterPatterns(text)
  return (suite) => patterns.some((p) => p.suite.test(suite))
}

/** Decides which cases of which suites this run executes, and how many times. */
export function planRun(specs: readonly SuiteSpec[], options: PlanOptions = {}): Plan {
  const filter = options.filter === undefined ? undefined : parseFilter(options.filter)
  const { shard } = options
  const suites: PlannedSuite[] = []
  let totalCalls = 0
  for (const spec of specs) {
    const selected = filter ? spec.cases.filter((c) => filter(spec.suite, c.id)) : spec.cases
    if (filter && selected.length === 0) continue
    // A suite the filter selects stays in every shard, if only with no case of its own: an empty
    // shard is still a part of the run, and merge checks every shard ran the same suites.
    const cases = shard
      ? selected.filter((c) => shardOf(spec.suite, c.id, shard.total) === shard.index)
      : selected
    const repeats = options.repeats ?? spec.repeats
    suites.push({ spec, cases, repeats })
    totalCalls += cases.length * spec.providers.length * repeats
  }
  // Decided on the filter alone, before sharding: a shard that got none of its cases is valid.
  if (filter && suites.length === 0) {
    throw new UsageError(
      `the filter "${options.filter}" matches no case; suites: ${specs.map((s) => s.suite).join(', ')}`
    )
  }
  return { suites, totalCalls }
}
