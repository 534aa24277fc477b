/**
 * RunResult: the versioned contract between `execute` and every later stage (compare, report,
 * publish). Its JSON Schema is `schema/run-result.schema.json`; bump RUN_RESULT_VERSION on any
 * change an older reader could misread.
 */
import type { GateSpec } from '../spec/types.js'

/**
 * 2 added `run.commentKey`, `run.replayed` and each suite's `promptFingerprint` and `timeoutMs`;
 * 3 added each answer's `finishReason` and `judgeCached`; 4 each suite's `scoringFingerprint`, each
 * provider's `resolvedConfigFingerprint` and each case's `varsFingerprint`. An evalgate reading an
 * older version refuses the new
 * fields as unknown: told the file is newer, it says to upgrade. Older files are read as they are
 * (the fields are optional).
 */
export const RUN_RESULT_VERSION = 4

export interface TokenUsage {
  input: number
  output: number
  cachedInput?: number
  reasoning?: number
}

export interface ScorerOutcome {
  scorer: string
  score: number
  pass: boolean
  reason?: string
}

export interface CaseError {
  /**
   * `provider:<kind>` for a failed call, `judge:<kind>` for an LLM judge's failed call,
   * `judge:invalid-verdict` for a judge's answer that is no verdict, `scorer` for a scorer that
   * threw, `cache-miss`, `cancelled`.
   */
  kind: string
  message: string
}

/** One answer: a case × provider × repeat. */
export interface CaseResult {
  caseId: string
  providerId: string
  repeat: number
  output: string | null
  /** Weighted mean of the scorers; null when the case errored. */
  score: number | null
  /** Every scorer passed; null when the case errored. */
  pass: boolean | null
  scores: ScorerOutcome[]
  /** Wall time of the successful call; null when errored or replayed from cache. */
  latencyMs: number | null
  ttftMs?: number
  tokens?: TokenUsage
  /** USD; null when the price is unknown. */
  cost?: number | null
  /** What LLM judges spent scoring this answer: counted apart from the system under test. */
  judgeTokens?: TokenUsage
  judgeCost?: number | null
  /**
   * Every LLM judge's answer on this answer came from the cache: `judgeCost` was spent by the
   * run that recorded it. Absent when no judge answered (and in results before format 3).
   */
  judgeCached?: boolean
  attempts: number
  /** Milliseconds spent waiting between attempts (backoff, Retry-After); absent when none. */
  retryWaitMs?: number
  cached: boolean
  model?: string
  fingerprint?: string
  /**
   * Why the model stopped when it did not finish its answer, as the provider said: OpenAI's
   * `length` (cut off at its token limit), `content_filter`, `tool_calls`… Absent when it finished.
   */
  finishReason?: string
  error?: CaseError
}

export interface CaseInfo {
  id: string
  cluster?: string
  /** `file:line` where the case was written, for annotations. */
  source: string
  /**
   * sha256 of the case's variables (canonical JSON): a case edited under the same id has another,
   * and is not compared with its old self. Absent in results before format 4.
   */
  varsFingerprint?: string
}

export interface ProviderInfo {
  id: string
  type: string
  label?: string
  model?: string
  /** sha256 of the entry as written, label and paths as written too: compared with older runs. */
  configFingerprint: string
  /**
   * sha256 of what the provider calls and how, its paths from the repository's root, without its
   * label: whether its configuration changed, where both runs have it. Absent before format 4.
   */
  resolvedConfigFingerprint?: string
}

export interface ScorerInfo {
  name: string
  type: string
  weight: number
}

export interface SuiteResult {
  suite: string
  description?: string
  file: string
  /** sha256 over the case ids and scorer definitions as written. */
  fingerprint: string
  casesFingerprint: string
  /**
   * sha256 over the scorers as written, in order and with their names: what decides whether
   * scores compare with a run that has no `scoringFingerprint`.
   */
  scorersFingerprint: string
  /**
   * sha256 over what decides the scorers' scores and passes (not their order, names or the
   * spacing in placeholders): runs that both have it compare scores when it is equal. Absent
   * before format 4.
   */
  scoringFingerprint?: string
  /**
   * sha256 over the prompt template: not part of comparability (the prompt is what a change
   * changes), but shards of one run must share it. Absent in older results.
   */
  promptFingerprint?: string
  /** The suite's timeout per call and per scorer, which shards of one run must share. */
  timeoutMs?: number
  repeats: number
  minPassRate: number
  /** The suite's `gate:` block as written; compare fills in the defaults. */
  gate: GateSpec
  providers: ProviderInfo[]
  scorers: ScorerInfo[]
  cases: CaseInfo[]
  results: CaseResult[]
}

export interface RunMeta {
  id: string
  startedAt: string
  finishedAt: string
  /** False when the run was cancelled or stopped early; `incompleteReason` says why. */
  complete: boolean
  incompleteReason?: string
  commit?: string
  ref?: string
  event?: string
  shard?: { index: number; total: number }
  filter?: string
  /**
   * The action's job whose sticky comment reports this run (its `comment-key`, or GITHUB_JOB):
   * a `report-from` job comments in that same comment.
   */
  commentKey?: string
  /**
   * The providers and judges a fork's run replayed from the cache for want of their secrets, for
   * the `report-from` job's comment to say so too.
   */
  replayed?: ReplayedProvider[]
}

/** A provider or judge replayed from the cache because its `${VAR}`s are not set. */
export interface ReplayedProvider {
  suite: string
  /** `provider <id>`, or `the judge of <scorer>`. */
  what: string
  unsetVariables: string[]
}

export interface RunResult {
  schemaVersion: 1 | 2 | 3 | typeof RUN_RESULT_VERSION
  tool: { name: 'evalgate'; version: string }
  run: RunMeta
  suites: SuiteResult[]
}
