import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { EvalgateError, InputError, ProviderError, errorMessage } from '../errors.js'
import { raceAbort } from '../providers/abort.js'
import { execEnvironment, providerCacheIdentity } from '../providers/identity.js'
import { callCost } from '../providers/prices.js'
import { attemptsOf } from '../providers/retry.js'
import type { Provider, ProviderRequest } from '../providers/types.js'
import { RUN_RESULT_VERSION } from '../results/types.js'
import type { CaseResult, RunMeta, RunResult, SuiteResult } from '../results/types.js'
import { fingerprint, sha256Hex } from '../results/fingerprint.js'
import {
  InvalidVerdictError,
  JudgeCallError,
  ScorerFailure,
  closeScorers,
  createScorers,
  scoreOutput
} from '../score/index.js'
import type { JudgeFactory, ModuleLoader } from '../score/index.js'
import type { Scorer } from '../score/types.js'
import { canonicalTemplate, renderTemplate } from '../spec/template.js'
import { redactValue } from '../spec/secrets.js'
import type {
  ChatMessage,
  EvalCase,
  ProviderSpec,
  ScorerSpec,
  SecretValue,
  SuiteSpec
} from '../spec/types.js'
import type { Plan, PlannedSuite, Shard } from './plan.js'
import { CacheMissError } from './cache.js'
import type { ResponseCache } from './cache.js'
import { CallLimits, callPolicy, callProvider } from './call.js'
import type { Answer, CallOptions, CallPolicy } from './call.js'
import { runJudges } from './judge.js'
import { redactResult } from './redact.js'
import type { ProgressReporter } from './progress.js'
import { silentProgress } from './progress.js'

export interface ExecuteOptions extends CallOptions {
  /** Calls in flight across all providers. */
  concurrency: number
  createProvider: (spec: ProviderSpec) => Promise<Provider>
  loadModule: ModuleLoader
  /** Aborting stops new calls, cancels those in flight and returns a RunResult marked incomplete. */
  signal?: AbortSignal
  /** Record/replay of answers, the judges' too; none means every answer is a call. */
  cache?: ResponseCache
  progress?: ProgressReporter
  now?: () => Date
  toolVersion: string
  /**
   * Values redacted from every call's answer besides the providers' and judges' secrets: the
   * action's tokens, which the code under test can read from the process's environment.
   */
  secrets?: readonly SecretValue[]
  /**
   * A spec or case file of the suite of `specFile` as the RunResult records it (relative to the
   * root of the spec's repository), from the path the spec shows (relative to the working
   * directory); default: as the spec shows it.
   */
  recordedPath?: (file: string, specFile: string) => string
  meta?: Pick<RunMeta, 'commit' | 'ref' | 'event' | 'filter' | 'commentKey' | 'replayed'> & {
    shard?: Shard
  }
}

/**
 * One suite × provider: its own queue, at most `limit` of its tasks started at once. A started
 * task holds the run's and its endpoint's slots only while a call is made (`callProvider`), so
 * one slow or rate-limited provider cannot starve the rest.
 */
interface Lane {
  suite: SuiteRun
  providerIndex: number
  spec: ProviderSpec
  call: CallPolicy
  limit: number
  inFlight: number
  /** Next task: task t is case ⌊t / repeats⌋, repeat t mod repeats. */
  next: number
  taskCount: number
}

interface SuiteRun {
  planned: PlannedSuite
  scorers: Scorer[]
  fingerprints: SuiteFingerprints
  /** Indexed by (caseIndex × providers + providerIndex) × repeats + repeat: spec order, whatever the finishing order. */
  results: (CaseResult | undefined)[]
}

/**
 * The secrets of every provider and judge of the run, and `others`, each once. Every call's answer is redacted
 * of all of them, not only its own provider's: a command under test can print another
 * provider's key as well as its own.
 */
function runSecrets(plan: Plan, others: readonly SecretValue[]): SecretValue[] {
  const secrets = new Map<string, SecretValue>()
  for (const secret of others) secrets.set(JSON.stringify(secret), secret)
  for (const { spec } of plan.suites) {
    const judges = spec.scorers.flatMap((scorer) =>
      scorer.type === 'llm-judge' ? [scorer.judge] : []
    )
    for (const provider of [...spec.providers, ...judges]) {
      for (const secret of provider.secrets ?? []) secrets.set(JSON.stringify(secret), secret)
    }
  }
  return [...secrets.values()]
}

function renderMessages(spec: SuiteSpec, evalCase: EvalCase): ChatMessage[] {
  if (typeof spec.prompt === 'string') {
    return [{ role: 'user', content: renderTemplate(spec.prompt, evalCase.vars) }]
  }
  return spec.prompt.map((m) => ({
    role: m.role,
    content: renderTemplate(m.content, evalCase.vars)
  }))
}

function buildRequest(spec: SuiteSpec, evalCase: EvalCase, repeat: number): ProviderRequest {
  const messages = renderMessages(spec, evalCase)
  return {
    prompt: messages.map((m) => m.content).join('\n\n'),
    messages,
    vars: evalCase.vars,
    caseId: evalCase.id,
    repeat
  }
}

function caseFingerprint(evalCase: EvalCase): string {
  return fingerprint({ id: evalCase.id, vars: evalCase.vars })
}

/**
 * What makes two runs of a suite comparable: the scorers, not prompt or model; and the prompt,
 * which shards of one run must share. `scorersFingerprint` is kept as older runs wrote it, for
 * their baselines to be compared on it; `scoringFingerprint` is compared wherever both runs have it.
 */
type SuiteFingerprints = Pick<
  SuiteResult,
  | 'fingerprint'
  | 'casesFingerprint'
  | 'scorersFingerprint'
  | 'scoringFingerprint'
  | 'promptFingerprint'
>

/**
 * A custom scorer is identified by its code, not by where it sits: an absolute path differs
 * between a laptop and CI, and an edited scorer must not be compared with the old one. Its `code`
 * (the file's text, read once) as the file holds it, as older runs hashed it
 * (`scorersFingerprint`, which their baselines are compared on).
 */
function scorerIdentity(scorer: ScorerSpec, code: string | undefined): Record<string, unknown> {
  if (scorer.type === 'llm-judge') {
    // The judge by what it is (model, endpoint), never by its key or local paths.
    const { source: _source, judge, ...definition } = scorer
    return { ...definition, judge: providerCacheIdentity(judge) }
  }
  if (scorer.type !== 'javascript') {
    const { source: _source, ...definition } = scorer
    return definition
  }
  const { source: _source, path: _path, ...definition } = scorer
  return { ...definition, code: sha256Hex(code ?? '') }
}

/**
 * A custom scorer's code as Git stores it: a Windows checkout (CRLF line ends, an editor's BOM)
 * holds the same scorer as a Linux one.
 */
function storedCode(code: string): string {
  return sha256Hex(code.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n'))
}

/** The scorer fields that are templates, rendered with the case's variables. */
const TEMPLATE_FIELDS = new Set(['expected', 'value', 'rubric'])

/** Where the results record a file or directory a spec names, from the repository's root. */
type Recorded = (file: string) => string

/**
 * A scorer by what decides its scores and passes alone: not its name (a label shown in reports),
 * its weight as its share of the total (the score is the weighted mean), its placeholders however
 * spaced (`{{ a }}` renders as `{{a}}`), its regex flags in any order, an LLM judge by what it
 * calls (a moved spec's judge command is the same command), a custom scorer by its `code`
 * whatever its line ends.
 */
function scoringIdentity(
  scorer: ScorerSpec,
  identity: Record<string, unknown>,
  code: string | undefined,
  totalWeight: number,
  recorded: Recorded
): string {
  const { name: _label, weight: _weight, ...definition } = identity
  const canonical = Object.fromEntries(
    Object.entries(definition).map(([field, value]) => [
      field,
      TEMPLATE_FIELDS.has(field) && typeof value === 'string' ? canonicalTemplate(value) : value
    ])
  )
  if (scorer.type === 'regex') canonical.flags = [...scorer.flags].sort().join('')
  if (scorer.type === 'llm-judge') canonical.judge = providerCalls(scorer.judge, recorded)
  if (code !== undefined) canonical.code = code
  return fingerprint({ ...canonical, weight: scorer.weight / totalWeight })
}

async function suiteFingerprints(spec: SuiteSpec, recorded: Recorded): Promise<SuiteFingerprints> {
  const casesFingerprint = fingerprint(spec.cases.map(caseFingerprint).sort())
  const codes = await Promise.all(
    spec.scorers.map((scorer) =>
      scorer.type === 'javascript' ? readFile(scorer.path, 'utf8') : undefined
    )
  )
  const identities = spec.scorers.map((scorer, i) => scorerIdentity(scorer, codes[i]))
  const scorersFingerprint = fingerprint(identities)
  const totalWeight = spec.scorers.reduce((total, scorer) => total + scorer.weight, 0)
  // Sorted: a case's score is the weighted mean and its pass needs every scorer's, whatever the order.
  const scoring = spec.scorers.map((scorer, i) =>
    scoringIdentity(
      scorer,
      identities[i] as Record<string, unknown>,
      codes[i] === undefined ? undefined : storedCode(codes[i]),
      totalWeight,
      recorded
    )
  )
  return {
    fingerprint: fingerprint([casesFingerprint, scorersFingerprint]),
    casesFingerprint,
    scorersFingerprint,
    scoringFingerprint: fingerprint(scoring.sort()),
    promptFingerprint: fingerprint(spec.prompt)
  }
}

/**
 * The files and directories a suite's providers and judges name, for the results to record them
 * from the repository's root.
 */
export function providerFiles(spec: SuiteSpec): string[] {
  const judges = spec.scorers.flatMap((scorer) =>
    scorer.type === 'llm-judge' ? [scorer.judge] : []
  )
  return [...spec.providers, ...judges].flatMap((provider) => {
    if (provider.type === 'module') return [provider.path]
    return provider.type === 'exec' ? [provider.cwd] : []
  })
}

/**
 * What a provider or judge calls: its endpoint and request as its answers are cached by, or its
 * module or command with the files it names from the repository's root (a spec moved to another
 * folder, its relative paths fixed, calls the same code). Never its label, only shown; never a
 * secret's value, written back as its `${VAR}`.
 */
function providerCalls(spec: ProviderSpec, recorded: Recorded): Record<string, unknown> {
  const secrets = spec.secrets ?? []
  switch (spec.type) {
    case 'openai':
      return { answers: providerCacheIdentity(spec), stream: spec.stream }
    case 'http':
      return { answers: providerCacheIdentity(spec) }
    case 'module':
      return { module: recorded(spec.path), export: spec.export }
    case 'exec':
      return {
        command: redactValue(spec.command, secrets),
        cwd: recorded(spec.cwd),
        env: execEnvironment(spec)
      }
  }
}

/**
 * What a provider calls and how it is called (timeout, retries, limits, prices), for the report to
 * say when its configuration changed.
 */
function resolvedConfigFingerprint(spec: ProviderSpec, recorded: Recorded): string {
  return fingerprint({
    ...providerCalls(spec, recorded),
    timeoutMs: spec.timeoutMs ?? null,
    concurrency: spec.concurrency ?? null,
    retry: spec.retry ?? null,
    rateLimit: spec.rateLimit ?? null,
    prices: spec.prices ?? null
  })
}

async function prepareSuite(
  planned: PlannedSuite,
  createJudge: JudgeFactory,
  options: ExecuteOptions
): Promise<SuiteRun> {
  let scorers: Scorer[]
  try {
    scorers = await createScorers(planned.spec.scorers, options.loadModule, {
      createJudge,
      timeoutMs: planned.spec.timeoutMs
    })
  } catch (error) {
    if (error instanceof InputError || !(error instanceof EvalgateError)) throw error
    throw new InputError(
      [{ ...planned.spec.source, path: 'scorers', message: error.message }],
      'cannot create a scorer'
    )
  }
  const slots = planned.cases.length * planned.spec.providers.length * planned.repeats
  const recordedPath = options.recordedPath ?? ((file) => file)
  return {
    planned,
    scorers,
    fingerprints: await suiteFingerprints(planned.spec, (file) =>
      recordedPath(file, planned.spec.file)
    ),
    results: new Array<CaseResult | undefined>(slots)
  }
}

async function openProviders(
  suites: SuiteRun[],
  limiters: CallLimits,
  secrets: SecretValue[],
  options: ExecuteOptions
): Promise<Lane[]> {
  const lanes: Lane[] = []
  for (const suite of suites) {
    const { spec, cases, repeats } = suite.planned
    for (const [providerIndex, providerSpec] of spec.providers.entries()) {
      let provider: Provider
      try {
        provider = await options.createProvider(providerSpec)
      } catch (error) {
        const message = errorMessage(error)
        throw new InputError(
          [{ ...providerSpec.source, path: `providers[${providerIndex}]`, message }],
          'cannot start a provider'
        )
      }
      const timeoutMs = providerSpec.timeoutMs ?? spec.timeoutMs
      lanes.push({
        suite,
        providerIndex,
        spec: providerSpec,
        call: callPolicy(providerSpec, provider, { timeoutMs, limiters, secrets }),
        limit: providerSpec.concurrency ?? options.concurrency,
        inFlight: 0,
        next: 0,
        taskCount: cases.length * repeats
      })
    }
  }
  return lanes
}

function errorKind(error: unknown): string {
  if (error instanceof CacheMissError) return 'cache-miss'
  return error instanceof ProviderError ? `provider:${error.kind}` : 'provider:unknown'
}

/**
 * A judge's grade missing from a replay's cache says nothing of the answer, as a missing answer
 * says nothing of the model: a cache miss. A judge whose call failed keeps its provider's kind
 * (`judge:server`…), and one that answered with no verdict is `judge:invalid-verdict`, so that a
 * judge's failings are told from an answer that broke a scorer.
 */
function scoringErrorKind(error: unknown): string {
  const cause = error instanceof ScorerFailure ? error.cause : undefined
  if (cause instanceof CacheMissError) return 'cache-miss'
  if (cause instanceof InvalidVerdictError) return 'judge:invalid-verdict'
  return cause instanceof JudgeCallError ? `judge:${cause.kind}` : 'scorer'
}

function retryWait(waitedMs: number): Pick<CaseResult, 'retryWaitMs'> {
  return waitedMs > 0 ? { retryWaitMs: waitedMs } : {}
}

/**
 * Calls one provider for one case and repeat, then scores the answer. Returns undefined when the
 * run was cancelled mid-call or mid-scoring: a cancelled answer is not a result (it is not an
 * error of the model).
 */
async function runTask(
  lane: Lane,
  caseIndex: number,
  repeat: number,
  runSignal: AbortSignal,
  options: ExecuteOptions
): Promise<CaseResult | undefined> {
  const { spec } = lane.suite.planned
  const evalCase = lane.suite.planned.cases[caseIndex] as EvalCase
  const base = { caseId: evalCase.id, providerId: lane.spec.id, repeat }
  const request = buildRequest(spec, evalCase, repeat)
  let answered: Answer
  try {
    const what = `provider ${lane.spec.id}, case ${request.caseId}, repeat ${request.repeat}`
    answered = await callProvider(lane.call, request, runSignal, options, what)
  } catch (error) {
    if (runSignal.aborted) return undefined
    const { attempts, waitedMs } =
      error instanceof CacheMissError ? { attempts: 0, waitedMs: 0 } : attemptsOf(error)
    return {
      ...base,
      output: null,
      score: null,
      pass: null,
      scores: [],
      latencyMs: null,
      attempts,
      ...retryWait(waitedMs),
      cached: false,
      error: { kind: errorKind(error), message: errorMessage(error) }
    }
  }
  const { response } = answered
  const result = {
    ...base,
    output: response.output,
    latencyMs: response.latencyMs,
    attempts: answered.attempts,
    ...retryWait(answered.waitedMs),
    cached: answered.cached,
    ...(response.ttftMs !== undefined ? { ttftMs: response.ttftMs } : {}),
    ...(response.tokens ? { tokens: response.tokens, cost: callCost(lane.spec, response) } : {}),
    ...(response.model ? { model: response.model } : {}),
    ...(response.fingerprint ? { fingerprint: response.fingerprint } : {}),
    ...(response.finishReason ? { finishReason: response.finishReason } : {})
  }
  try {
    // Raced against the run's signal: a cancelled run is written at once, whatever a scorer does.
    const scoring = scoreOutput(lane.suite.scorers, {
      output: response.output,
      vars: evalCase.vars,
      caseId: evalCase.id,
      repeat,
      prompt: request.prompt,
      signal: runSignal
    })
    const scored = await raceAbort(scoring, runSignal)
    return {
      ...result,
      score: scored.score,
      pass: scored.pass,
      scores: scored.scores,
      ...(scored.judgeTokens ? { judgeTokens: scored.judgeTokens } : {}),
      ...(scored.judgeCost !== undefined ? { judgeCost: scored.judgeCost } : {}),
      ...(scored.judgeCached !== undefined ? { judgeCached: scored.judgeCached } : {})
    }
  } catch (error) {
    // Scoring cut short by the cancellation says nothing of the answer: not a result either.
    if (runSignal.aborted) return undefined
    return {
      ...result,
      score: null,
      pass: null,
      scores: [],
      ...(error instanceof ScorerFailure ? error.judgeSpending : {}),
      error: { kind: scoringErrorKind(error), message: errorMessage(error) }
    }
  }
}

/** Answers received so far, how many of them are errors, and how many a replay did not find. */
interface Tally {
  done: number
  errors: number
  missing: number
}

/**
 * Runs every lane's tasks, at most `lane.limit` at once per lane, counting answers in `tally`.
 * The run's `concurrency` caps calls, not tasks (callProvider): a task waiting for its rate limit
 * or a retry holds none of it, so a rate-limited provider cannot hold up the others.
 */
function schedule(
  lanes: Lane[],
  signal: AbortSignal,
  progress: ProgressReporter,
  tally: Tally,
  options: ExecuteOptions
): Promise<void> {
  let inFlight = 0
  let cursor = 0
  // Aborted once the schedule settles, to take its listener off the caller's signal.
  const settled = new AbortController()
  const scheduled = new Promise<void>((resolve, reject) => {
    const finished = (): boolean =>
      lanes.every((lane) => lane.next === lane.taskCount || signal.aborted)
    const pump = (): void => {
      let started = true
      while (started && !signal.aborted) {
        started = false
        for (let i = 0; i < lanes.length; i++) {
          const lane = lanes[(cursor + i) % lanes.length] as Lane
          if (lane.next >= lane.taskCount || lane.inFlight >= lane.limit) continue
          start(lane)
          started = true
        }
        cursor = (cursor + 1) % Math.max(lanes.length, 1)
      }
      if (inFlight === 0 && finished()) resolve()
    }
    const start = (lane: Lane): void => {
      const task = lane.next++
      const { repeats, spec } = lane.suite.planned
      const caseIndex = Math.floor(task / repeats)
      const repeat = task % repeats
      const slot = (caseIndex * spec.providers.length + lane.providerIndex) * repeats + repeat
      lane.inFlight++
      inFlight++
      runTask(lane, caseIndex, repeat, signal, options).then((result) => {
        lane.inFlight--
        inFlight--
        if (result) {
          lane.suite.results[slot] = redactResult(result, lane.call.secrets)
          tally.done++
          if (result.error?.kind === 'cache-miss') tally.missing++
          else if (result.error) tally.errors++
          progress.update(tally.done, tally.errors, tally.missing)
        }
        pump()
      }, reject)
    }
    signal.addEventListener('abort', pump, { once: true, signal: settled.signal })
    pump()
  })
  return scheduled.finally(() => settled.abort())
}

function suiteResult(
  run: SuiteRun,
  recordedPath: (file: string, specFile: string) => string
): SuiteResult {
  const { spec, cases, repeats } = run.planned
  return {
    suite: spec.suite,
    ...(spec.description ? { description: spec.description } : {}),
    file: recordedPath(spec.file, spec.file),
    ...run.fingerprints,
    timeoutMs: spec.timeoutMs,
    repeats,
    minPassRate: spec.minPassRate,
    gate: spec.gate,
    providers: spec.providers.map((p) => ({
      id: p.id,
      type: p.type,
      ...(p.label ? { label: p.label } : {}),
      ...(p.type === 'openai' ? { model: p.model } : {}),
      configFingerprint: p.configFingerprint,
      resolvedConfigFingerprint: resolvedConfigFingerprint(p, (file) =>
        recordedPath(file, spec.file)
      )
    })),
    scorers: spec.scorers.map((s) => ({ name: s.name, type: s.type, weight: s.weight })),
    cases: cases.map((c) => ({
      id: c.id,
      ...(c.cluster !== undefined ? { cluster: c.cluster } : {}),
      source: `${recordedPath(c.source.file, spec.file)}:${c.source.line ?? 1}`,
      // Compare pairs cases by id: this tells an edited case from the one the baseline answered.
      varsFingerprint: fingerprint(c.vars)
    })),
    results: run.results.filter((r): r is CaseResult => r !== undefined)
  }
}

/** Executes a plan and returns its RunResult; a cancelled run returns what finished, marked incomplete. */
export async function executePlan(plan: Plan, options: ExecuteOptions): Promise<RunResult> {
  const now = options.now ?? (() => new Date())
  const signal = options.signal ?? new AbortController().signal
  const progress = options.progress ?? silentProgress
  const startedAt = now().toISOString()
  const limiters = new CallLimits(options)
  const secrets = runSecrets(plan, options.secrets ?? [])
  const judges = runJudges({ ...options, limiters, secrets })
  const suites = await Promise.all(plan.suites.map((s) => prepareSuite(s, judges, options)))
  const lanes = await openProviders(suites, limiters, secrets, options)
  const tally: Tally = { done: 0, errors: 0, missing: 0 }
  try {
    progress.start(plan.totalCalls)
    await schedule(lanes, signal, progress, tally, options)
  } finally {
    // Also when the schedule fails: the reporter's last line, and no heartbeat after the run.
    progress.finish(tally.done, tally.errors, tally.missing)
    await Promise.all([
      ...lanes.map((lane) => lane.call.provider.close?.()),
      ...suites.map((suite) => closeScorers(suite.scorers))
    ])
  }
  const { meta = {} } = options
  const cancelled = signal.aborted
  return {
    schemaVersion: RUN_RESULT_VERSION,
    tool: { name: 'evalgate', version: options.toolVersion },
    run: {
      id: randomUUID(),
      startedAt,
      finishedAt: now().toISOString(),
      complete: !cancelled,
      ...(cancelled
        ? {
            incompleteReason: `cancelled (${String(signal.reason ?? 'aborted')}) after ${tally.done} of ${plan.totalCalls} answers`
          }
        : {}),
      ...meta
    },
    suites: suites.map((suite) => suiteResult(suite, options.recordedPath ?? ((file) => file)))
  }
}
