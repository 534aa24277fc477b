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

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim())
  const index = Number(match?.[1])
  const total = Number(match?.[2])
  if (!match || total < 1 || index < 1 || index > total) {
    throw new UsageError(`--shard "${text}" must be i/n with 1 ≤ i ≤ n, e.g. --shard 2/4`)
  }
  return { index, total }
}

/**
 * The shard a case belongs to: from a hash of suite and case id, so a case stays in its shard
 * when other cases are added or removed, and every machine agrees without coordination.
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
    const cases = spec.cases.filter(
      (c) =>
        (!filter || filter(spec.suite, c.id)) &&
        (!shard || shardOf(spec.suite, c.id, shard.total) === shard.index)
    )
    if (filter && cases.length === 0) continue
    const repeats = options.repeats ?? spec.repeats
    suites.push({ spec, cases, repeats })
    totalCalls += cases.length * spec.providers.length * repeats
  }
  if (filter && suites.length === 0) {
    throw new UsageError(
      `the filter "${options.filter}" matches no case; suites: ${specs.map((s) => s.suite).join(', ')}`
    )
  }
  return { suites, totalCalls }
}
