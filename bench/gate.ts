/**
 * `npm run bench:gate`: how well the regression gate separates noise from real drops, measured on
 * seeded synthetic suites (never asserted in tests).
 *
 * The simulated suite (fixed before any result was seen, not tuned to them): every case has a
 * pass probability per answer — 60% easy cases (p ≈ 0.95), 25% hard (p ≈ 0.30), 15% flaky
 * (p ≈ 0.50), each ± 0.03 — and a binary `equals`-style score. Every answer also has a latency
 * (a per-case lognormal level × lognormal noise), token counts and a cost, and 0.5% of answers fail
 * with a transient server error, so the whole gate (score, pass rate, error rate, latency, cost)
 * is exercised, not only the score.
 *   A/A:  base and head are drawn independently from the same model: any failing verdict is a
 *         false alarm (`false-regression-rate`, target ≤ 5% at α = 0.05).
 *   drop: the head's pass probability is 5 points lower on every case (a true 5-point drop of
 *         the mean score): `detection-rate` is the share of runs whose score verdict is a
 *         regression (target ≥ 85% at n = 200, K = 3). Spread thinly over every case, a drop
 *         is as hard to see as it can be: no test of the mean change can beat the z-test
 *         ceiling printed beside it.
 *   concentrated drop: the same 5 points lost on as few easy cases as it takes (each then
 *         fails every time), as when a change breaks some cases outright; printed for
 *         comparison, not the headline.
 *   many small suites: the headline's 200 cases as 20 suites of 10, A/A and the spread drop,
 *         which no suite of 10 cases can show alone: the run's pooled test of the mean score
 *         is what sees it, and its false alarms are the run's, over all 20 suites.
 * Then the time and heap of one comparison of 100,000 paired cases.
 */
import { compareRuns, comparisonExitCode } from '../src/compare/index.js'
import type { CaseResult, RunResult, SuiteResult } from '../src/results/types.js'
import { createRng, normalCdf, normalQuantile } from '../src/stats/index.js'
import type { Rng } from '../src/stats/index.js'

const ALPHA = 0.05
const DROP = 0.05
const HEADLINE = { n: 200, k: 3, trials: 1000 }
const GRID_TRIALS = 300
const GRID_N = [50, 100, 200, 400]
const GRID_K = [1, 3, 5]
const TIMING_CASES = 100_000
const SMALL_SUITES = { suites: 20, n: 10, k: 3, trials: 300 }

interface CaseModel {
  p: number
  latencyMs: number
  inputTokens: number
  outputTokens: number
}

const KINDS = [
  { share: 0.6, p: 0.95 },
  { share: 0.25, p: 0.3 },
  { share: 0.15, p: 0.5 }
]

function gaussian(rng: Rng): number {
  // Box–Muller; 1 − u keeps the logarithm finite.
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())
}

function caseModels(n: number, rng: Rng): CaseModel[] {
  return Array.from({ length: n }, () => {
    let pick = rng()
    let kind = KINDS[KINDS.length - 1] as (typeof KINDS)[number]
    for (const k of KINDS) {
      if (pick < k.share) {
        kind = k
        break
      }
      pick -= k.share
    }
    return {
      p: Math.min(1, Math.max(0, kind.p + (rng() * 2 - 1) * 0.03)),
      latencyMs: 400 * Math.exp(0.5 * gaussian(rng)),
      inputTokens: 200 + Math.floor(600 * rng()),
      outputTokens: 20 + 200 * rng()
    }
  })
}

const PRICE_IN = 0.15e-6
const PRICE_OUT = 0.6e-6

function answer(
  model: CaseModel,
  caseId: string,
  repeat: number,
  shift: number,
  rng: Rng
): CaseResult {
  const base = { caseId, providerId: 'model', repeat, attempts: 1, cached: false, scores: [] }
  if (rng() < 0.005) {
    return {
      ...base,
      output: null,
      score: null,
      pass: null,
      latencyMs: null,
      error: { kind: 'provider:server', message: '503' }
    }
  }
  const pass = rng() < model.p - shift
  const output = Math.max(1, Math.round(model.outputTokens * Math.exp(0.2 * gaussian(rng))))
  return {
    ...base,
    output: pass ? 'right' : 'wrong',
    score: pass ? 1 : 0,
    pass,
    scores: [{ scorer: 'equals', score: pass ? 1 : 0, pass }],
    latencyMs: model.latencyMs * Math.exp(0.25 * gaussian(rng)),
    tokens: { input: model.inputTokens, output },
    cost: model.inputTokens * PRICE_IN + output * PRICE_OUT
  }
}

function suite(
  models: readonly CaseModel[],
  k: number,
  shift: number,
  rng: Rng,
  name = 'synthetic'
): SuiteResult {
  const results: CaseResult[] = []
  models.forEach((model, i) => {
    for (let r = 0; r < k; r++) results.push(answer(model, `case-${i}`, r, shift, rng))
  })
  return {
    suite: name,
    file: 'bench/synthetic.eval.yaml',
    fingerprint: 'fp',
    casesFingerprint: 'cases',
    scorersFingerprint: 'scorers',
    repeats: k,
    minPassRate: 0,
    gate: {},
    providers: [{ id: 'model', type: 'module', configFingerprint: 'config' }],
    scorers: [{ name: 'equals', type: 'equals', weight: 1 }],
    cases: models.map((_, i) => ({ id: `case-${i}`, source: `bench:${i + 1}` })),
    results
  }
}

function run(s: SuiteResult | SuiteResult[], commit: string): RunResult {
  return {
    schemaVersion: 1,
    tool: { name: 'evalgate', version: 'bench' },
    run: {
      id: commit,
      startedAt: '2025-01-01T00:00:00Z',
      finishedAt: '2025-01-01T00:01:00Z',
      complete: true,
      commit
    },
    suites: Array.isArray(s) ? s : [s]
  }
}

interface Trial {
  failed: boolean
  scoreRegression: boolean
}

/**
 * The models with `drop` × n points of pass probability taken from easy cases, whole, in order:
 * the mean falls by exactly `drop`, on about drop × n / 0.95 cases.
 */
function concentrated(models: readonly CaseModel[], drop: number): CaseModel[] {
  let left = drop * models.length
  return models.map((model) => {
    if (left <= 0 || model.p < 0.9) return model
    const lost = Math.min(model.p, left)
    left -= lost
    return { ...model, p: model.p - lost }
  })
}

type Change = 'none' | 'uniform' | 'concentrated'

function trial(n: number, k: number, change: Change, index: number): Trial {
  const shift = change === 'uniform' ? DROP : 0
  const label = `n${n}:k${k}:${change === 'concentrated' ? 'concentrated' : `shift${shift}`}:trial${index}`
  const models = caseModels(n, createRng(`${label}:cases`))
  const headModels = change === 'concentrated' ? concentrated(models, DROP) : models
  const base = run(suite(models, k, 0, createRng(`${label}:base`)), 'base')
  const head = run(suite(headModels, k, shift, createRng(`${label}:head`)), 'head')
  const c = compareRuns(base, head, { seed: `sha:${label}` })
  const score = c.groups[0]?.metrics.find((m) => m.metric === 'score')
  return { failed: comparisonExitCode(c) === 1, scoreRegression: score?.verdict === 'regression' }
}

function rates(n: number, k: number, trials: number) {
  let falseAlarms = 0
  let detected = 0
  for (let t = 0; t < trials; t++) {
    if (trial(n, k, 'none', t).failed) falseAlarms++
    if (trial(n, k, 'uniform', t).scoreRegression) detected++
  }
  return { falseAlarm: falseAlarms / trials, detection: detected / trials }
}

/** The run failed, and (of a drop) its score regressed in a suite or pooled over them all. */
function smallSuitesTrial(change: Change, index: number): Trial {
  const shift = change === 'uniform' ? DROP : 0
  const label = `suites${SMALL_SUITES.suites}x${SMALL_SUITES.n}:k${SMALL_SUITES.k}:shift${shift}:trial${index}`
  const side = (name: string, drop: number) =>
    run(
      Array.from({ length: SMALL_SUITES.suites }, (_, s) =>
        suite(
          caseModels(SMALL_SUITES.n, createRng(`${label}:cases:${s}`)),
          SMALL_SUITES.k,
          drop,
          createRng(`${label}:${name}:${s}`),
          `suite-${s}`
        )
      ),
      name
    )
  const c = compareRuns(side('base', 0), side('head', shift), { seed: `sha:${label}` })
  const suiteRegressed = c.groups.some((g) =>
    g.metrics.some((m) => m.metric === 'score' && m.verdict === 'regression')
  )
  return {
    failed: comparisonExitCode(c) === 1,
    scoreRegression: suiteRegressed || c.pooledScore?.verdict === 'regression'
  }
}

function smallSuitesRates(trials: number) {
  let falseAlarms = 0
  let detected = 0
  for (let t = 0; t < trials; t++) {
    if (smallSuitesTrial('none', t).failed) falseAlarms++
    if (smallSuitesTrial('uniform', t).scoreRegression) detected++
  }
  return { falseAlarm: falseAlarms / trials, detection: detected / trials }
}

function concentratedDetection(n: number, k: number, trials: number): number {
  let detected = 0
  for (let t = 0; t < trials; t++) if (trial(n, k, 'concentrated', t).scoreRegression) detected++
  return detected / trials
}

/**
 * The power of a one-sided z-test with the true variance known, at α: the ceiling of any test of
 * the mean paired difference on these data, for reference. Var d_i = (p(1−p) + p'(1−p'))/K per
 * case, averaged over the case mix.
 */
function zTestCeiling(n: number, k: number): number {
  let variance = 0
  for (const kind of KINDS) {
    const p = kind.p
    const q = p - DROP
    variance += (kind.share * (p * (1 - p) + q * (1 - q))) / k
  }
  const se = Math.sqrt(variance / n)
  return normalCdf(DROP / se - normalQuantile(1 - ALPHA))
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`.padStart(6)
}

function timing(): void {
  const rng = createRng('timing')
  const models = caseModels(TIMING_CASES, rng)
  // A judge-like continuous score, so the Monte Carlo sign-flip test runs (the worst case).
  const continuous = (s: SuiteResult, shift: number) => {
    for (const r of s.results) {
      if (r.score === null) continue
      r.score = Math.min(1, Math.max(0, (r.pass ? 0.8 : 0.3) + 0.2 * (rng() - 0.5) - shift))
      r.pass = r.score >= 0.5
    }
    return s
  }
  const base = run(continuous(suite(models, 1, 0, rng), 0), 'base')
  const head = run(continuous(suite(models, 1, 0.01, rng), 0.01), 'head')
  globalThis.gc?.()
  const heapBefore = process.memoryUsage().heapUsed
  const start = performance.now()
  const c = compareRuns(base, head, { seed: 'timing' })
  const ms = performance.now() - start
  const heapAfter = process.memoryUsage().heapUsed
  const gated = c.groups[0]?.metrics.filter((m) => m.gated).length ?? 0
  const rssMb = process.memoryUsage().rss / 2 ** 20
  console.log(
    `\ncompareRuns on ${TIMING_CASES.toLocaleString('en-US')} paired cases × ${c.groups[0]?.metrics.length} metrics (${gated} gated): ${ms.toFixed(0)} ms, heap ${(heapBefore / 2 ** 20).toFixed(0)} → ${(heapAfter / 2 ** 20).toFixed(0)} MB (inputs included), rss ${rssMb.toFixed(0)} MB`
  )
  console.log(`compare-100k-ms: ${ms.toFixed(0)}`)
}

function main(): void {
  const started = performance.now()
  console.log('evalgate gate benchmark: 60% easy (p≈0.95), 25% hard (p≈0.30), 15% flaky (p≈0.50)')
  console.log(`A/A = no change; drop = every case's pass probability −${DROP * 100} points\n`)
  const headline = rates(HEADLINE.n, HEADLINE.k, HEADLINE.trials)
  console.log(
    `n=${HEADLINE.n}, K=${HEADLINE.k}, ${HEADLINE.trials} trials each: false alarms ${percent(headline.falseAlarm)}, 5-point drop detected ${percent(headline.detection)} (z-test ceiling ${percent(zTestCeiling(HEADLINE.n, HEADLINE.k))})`
  )
  console.log(
    `\n${GRID_TRIALS} trials per cell: false alarms (A/A) / detection of the 5-point drop / z-test ceiling`
  )
  console.log(`${'n'.padStart(5)}  ${GRID_K.map((k) => `K=${k}`.padEnd(24)).join('')}`)
  for (const n of GRID_N) {
    const cells = GRID_K.map((k) => {
      const r = rates(n, k, GRID_TRIALS)
      return `${percent(r.falseAlarm)} /${percent(r.detection)} /${percent(zTestCeiling(n, k))}  `
    })
    console.log(`${String(n).padStart(5)}  ${cells.join('')}`)
  }
  const focused = concentratedDetection(HEADLINE.n, HEADLINE.k, HEADLINE.trials)
  console.log(
    `\nthe same 5 points lost on whole easy cases (each then always fails), n=${HEADLINE.n}, K=${HEADLINE.k}: detected ${percent(focused)}`
  )
  const small = smallSuitesRates(SMALL_SUITES.trials)
  const { suites, n, k, trials } = SMALL_SUITES
  console.log(
    `the same ${suites * n} cases as ${suites} suites of ${n}, K=${k}, ${trials} trials each: false alarms ${percent(small.falseAlarm)}, 5-point drop detected ${percent(small.detection)}`
  )
  timing()
  console.log(`(benchmark took ${((performance.now() - started) / 1000).toFixed(0)} s)\n`)
  console.log(`false-regression-rate: ${headline.falseAlarm}`)
  console.log(`detection-rate-5pt-n200-k3: ${headline.detection}`)
  console.log(`detection-rate-5pt-concentrated-n200-k3: ${focused}`)
  console.log(`false-regression-rate-20-suites-of-10-k3: ${small.falseAlarm}`)
  console.log(`detection-rate-5pt-20-suites-of-10-k3: ${small.detection}`)
}

// `npm run bench` runs only the timing (`--timing-only`); `npm run bench:gate` runs it all.
if (process.argv.includes('--timing-only')) timing()
else main()
