import type { SourceLocation } from '../errors.js'

/** A chat message of a templated prompt; `content` may hold `{{var}}` placeholders. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

/** The prompt of a suite: one user message as text, or a list of chat messages. */
export type PromptTemplate = string | ChatMessage[]

/** One eval case after loading: a stable id, its variables and where it was written. */
export interface EvalCase {
  id: string
  vars: Record<string, unknown>
  /** Cases sharing a cluster are not independent (same document, same user): clustered SE. */
  cluster?: string
  source: SourceLocation
}

interface ProviderSpecBase {
  id: string
  label?: string
  /** Per-call timeout; falls back to the suite's. */
  timeoutMs?: number
  /** Maximum calls in flight to this provider; falls back to the run's concurrency. */
  concurrency?: number
  /** sha256 of the provider's config as written (before `${VAR}` expansion, so no secret). */
  configFingerprint: string
  /**
   * sha256 of the config as written without the settings that only say how it is called or
   * shown (id, label, timeout, retry, rate-limit, concurrency, prices): a module's or exec
   * command's cached answers are keyed by it, as an openai or http provider's are by its endpoint
   * and request.
   */
  answerConfigFingerprint: string
  /** How failed calls are retried (`retry:`); defaults to DEFAULT_RETRY_POLICY. */
  retry?: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number }
  /** Per-provider pacing (`rate-limit:`). */
  rateLimit?: { requestsPerMinute?: number; tokensPerMinute?: number }
  /** What its answers cost (`prices:`), over the built-in table. */
  prices?: PriceSpec
  /**
   * The values the entry's `${VAR}`s (and a default OPENAI_API_KEY) stand for: wherever text a
   * call produced is recorded (outputs, errors, reasons), each is written back as `${NAME}`.
   */
  secrets?: SecretValue[]
  /**
   * The `${VAR}`s of the entry (and a default OPENAI_API_KEY) that are not set, in a load that
   * lets them be (a fork's pull request has no secrets): this provider cannot be called, only
   * replayed from the cache.
   */
  unsetVariables?: string[]
  source: SourceLocation
}

export interface SecretValue {
  name: string
  value: string
}

/** An exported function of the repository under test. */
export interface ModuleProviderSpec extends ProviderSpecBase {
  type: 'module'
  /** Absolute path of the JS module. */
  path: string
  export: string
  /** Its spec file's directory, relative to the repository's root: its cached answers' key. */
  specDirectory: string
}

/** A command: the rendered prompt on stdin, the output on stdout, a non-zero exit is an error. */
export interface ExecProviderSpec extends ProviderSpecBase {
  type: 'exec'
  /** argv; a command written as one string runs through the system's shell (shellCommandLine). */
  command: string[]
  /** The arguments are passed as written, unquoted: cmd.exe's command line, on Windows. */
  verbatimArguments?: true
  cwd: string
  env: Record<string, string>
  /** Its spec file's directory, relative to the repository's root: its cached answers' key. */
  specDirectory: string
}

/** Any JSON HTTP endpoint. */
export interface HttpProviderSpec extends ProviderSpecBase {
  type: 'http'
  url: string
  method: 'GET' | 'POST' | 'PUT' | 'PATCH'
  headers: Record<string, string>
  /**
   * JSON body as written: string leaves may hold `{{prompt}}` and `{{var}}` placeholders, and
   * `${VAR}`s, replaced by their values in `bodyEnv` once the template around them is rendered.
   */
  body?: unknown
  bodyEnv?: Record<string, string>
  /** Dotted path to the output in the JSON response, e.g. `choices.0.message.content`. */
  outputPath: string
  /** Dotted paths to token counts in the JSON response (`usage: { input, output }`). */
  usagePaths?: { input?: string; output?: string }
  /** Dotted path to the model id in the JSON response, recorded and priced by. */
  modelPath?: string
}

/** Prices in USD per 1M tokens; overrides the built-in table for this provider. */
export interface PriceSpec {
  input: number
  cachedInput?: number
  output: number
}

/** The OpenAI API through the official SDK, or any OpenAI-compatible server via `baseUrl`. */
export interface OpenAIProviderSpec extends ProviderSpecBase {
  type: 'openai'
  model: string
  /** Passed through to chat.completions.create: temperature, max_tokens, seed, response_format… */
  params: Record<string, unknown>
  baseUrl?: string
  /** Already expanded from `${VAR}`; never logged, never stored. */
  apiKey?: string
  /** Stream the answer to measure time to first token. */
  stream: boolean
}

export type ProviderSpec =
  ModuleProviderSpec | ExecProviderSpec | HttpProviderSpec | OpenAIProviderSpec

interface ScorerSpecBase {
  /** Shown in reports; defaults to the type, numbered when a type repeats. */
  name: string
  weight: number
  source: SourceLocation
}

export interface EqualsScorerSpec extends ScorerSpecBase {
  type: 'equals'
  expected: string
  ignoreCase: boolean
  /** Trim surrounding whitespace of both sides before comparing (default true). */
  trim: boolean
}
export interface ContainsScorerSpec extends ScorerSpecBase {
  type: 'contains' | 'icontains' | 'starts-with'
  value: string
}
export interface RegexScorerSpec extends ScorerSpecBase {
  type: 'regex'
  pattern: string
  flags: string
}
export interface JsonValidScorerSpec extends ScorerSpecBase {
  type: 'json-valid'
}
export interface JsonSchemaScorerSpec extends ScorerSpecBase {
  type: 'json-schema'
  schema: Record<string, unknown>
}
export interface NumericScorerSpec extends ScorerSpecBase {
  type: 'numeric'
  /** Template rendering to a number. */
  expected: string
  /** Absolute tolerance: |output − expected| ≤ tolerance passes. */
  tolerance: number
}
export interface SimilarityScorerSpec extends ScorerSpecBase {
  type: 'similarity'
  expected: string
  /** Pass when the normalised Levenshtein similarity is at least this (default 0.8). */
  threshold: number
}
export interface JavascriptScorerSpec extends ScorerSpecBase {
  type: 'javascript'
  /** Absolute path of the JS module. */
  path: string
  export: string
}

/**
 * An LLM as a judge: the judge provider (any provider type, not one under test) is asked to grade
 * the output against the rubric with a strict JSON answer `{ "score": n, "reasoning": "…" }`.
 */
export interface LlmJudgeScorerSpec extends ScorerSpecBase {
  type: 'llm-judge'
  /** Template; may use the case's `{{var}}`s. */
  rubric: string
  /** Scores run 1..scale and are normalised to [0, 1] as (score − 1) / (scale − 1). Default 5. */
  scale: number
  /** Pass when the normalised score is at least this (default 0.5). */
  threshold: number
  /** The judge, resolved like an entry of `providers:` (its `id` defaults to `judge`). */
  judge: ProviderSpec
}

export type ScorerSpec =
  | EqualsScorerSpec
  | ContainsScorerSpec
  | RegexScorerSpec
  | JsonValidScorerSpec
  | JsonSchemaScorerSpec
  | NumericScorerSpec
  | SimilarityScorerSpec
  | JavascriptScorerSpec
  | LlmJudgeScorerSpec

export type ScorerType = ScorerSpec['type']

/** Tolerances per metric, as written in the spec's `gate:` block (compare applies defaults). */
export interface GateSpec {
  score?: { noise?: number; 'max-drop'?: number; min?: number }
  'pass-rate'?: { noise?: number; 'max-drop'?: number; min?: number }
  'latency-p50'?: { 'max-ratio'?: number }
  'latency-p95'?: { 'max-ratio'?: number }
  cost?: { 'max-ratio'?: number; max?: number }
  'error-rate'?: { max?: number }
}

/** One validated eval suite: everything `plan` needs, nothing left to parse. */
export interface SuiteSpec {
  /** The spec file, relative to the working directory, as reports show it. */
  file: string
  suite: string
  description?: string
  providers: ProviderSpec[]
  prompt: PromptTemplate
  cases: EvalCase[]
  scorers: ScorerSpec[]
  repeats: number
  timeoutMs: number
  /** The run exits 1 when a provider's pass rate in this suite falls below this (default 1). */
  minPassRate: number
  gate: GateSpec
  source: SourceLocation
}
