import { spawn } from 'node:child_process'
import { once } from 'node:events'
import OpenAI from 'openai'
import { createProvider, importExport } from '../src/providers/index.js'
import { executePlan } from '../src/run/execute.js'
import { planRun } from '../src/run/plan.js'
import { closeScorers, createScorers, scoreOutput } from '../src/score/index.js'
import { createUndiciFetch } from '../src/providers/undici-fetch.js'
import { providerConnections } from '../src/providers/connections.js'
import type { ProviderSpec, SuiteSpec } from '../src/spec/types.js'

export const CASES = 2000
export const CONCURRENCY = 50
export const DELAY_MS = 50
/** 2,000 calls, 50 at a time, 50 ms each: 40 rounds of 50 ms. */
export const IDEAL_S = (CASES / CONCURRENCY) * (DELAY_MS / 1000)

/**
 * Starts this same bench bundle with `--server <kind>` in a child process, so the server's memory
 * and CPU are not the measured process's; the child prints its base URL.
 */
export async function startServerProcess(kind: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [process.argv[1] as string, '--server', kind], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer]
  return { url: chunk.toString().trim(), stop: () => child.kill() }
}

function suite(provider: ProviderSpec): SuiteSpec {
  const source = { file: 'bench' }
  return {
    file: 'bench',
    suite: 'bench',
    source,
    providers: [provider],
    prompt: [
      { role: 'system', content: 'Repeat the word.' },
      { role: 'user', content: 'say {{word}}' }
    ],
    cases: Array.from({ length: CASES }, (_, i) => ({
      id: `case-${i}`,
      vars: { word: `w${i}` },
      source
    })),
    scorers: [{ type: 'icontains', name: 'icontains', weight: 1, value: '{{word}}', source }],
    repeats: 1,
    timeoutMs: 30_000,
    minPassRate: 0,
    gate: {}
  }
}

export interface Measurement {
  wallS: number
  /** RSS before the first call: node, evalgate and the provider's libraries loaded. */
  loadedRssMb: number
  peakRssMb: number
}

/** Samples this process's RSS every 10 ms while `work` runs. */
async function sampleRss(work: () => Promise<void>): Promise<Measurement> {
  const loadedRss = process.memoryUsage.rss()
  let peakRss = loadedRss
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 10)
  try {
    const started = performance.now()
    await work()
    const wallS = (performance.now() - started) / 1000
    peakRss = Math.max(peakRss, process.memoryUsage.rss())
    return { wallS, loadedRssMb: loadedRss / 2 ** 20, peakRssMb: peakRss / 2 ** 20 }
  } finally {
    clearInterval(sampler)
  }
}

/** Runs 2,000 cases through the real scheduler and `provider`, sampling this process's RSS. */
export async function measureScheduler(provider: ProviderSpec): Promise<Measurement> {
  return sampleRss(async () => {
    const run = await executePlan(planRun([suite(provider)]), {
      concurrency: CONCURRENCY,
      createProvider,
      loadModule: importExport,
      toolVersion: 'bench'
    })
    const results = run.suites[0]?.results ?? []
    const errors = results.filter((r) => r.error)
    const passed = results.filter((r) => r.pass).length
    if (errors.length > 0 || passed !== CASES) {
      throw new Error(
        `bench run was not clean: ${errors.length} errors (${errors[0]?.error?.message}), ${passed}/${CASES} passed`
      )
    }
  })
}

/**
 * The floor under the openai measurement: the same 2,000 calls, 50 at a time, made by the official
 * SDK alone over the transport evalgate gives it, with no scheduler, scoring or results. What the
 * scheduler measurement adds to this is evalgate's own overhead.
 */
export async function measureSdkAlone(baseUrl: string): Promise<Measurement> {
  const agent = providerConnections()
  const client = new OpenAI({
    apiKey: 'sk-bench',
    baseURL: baseUrl,
    maxRetries: 0,
    logLevel: 'off',
    fetch: createUndiciFetch(agent)
  })
  try {
    return await sampleRss(async () => {
      let next = 0
      const worker = async () => {
        while (next < CASES) {
          const word = `w${next++}`
          const completion = await client.chat.completions.create({
            model: 'gpt-4o-mini',
            temperature: 0,
            messages: [
              { role: 'system', content: 'Repeat the word.' },
              { role: 'user', content: `say ${word}` }
            ]
          })
          if (!completion.choices[0]?.message.content?.includes(word)) {
            throw new Error(`bench SDK call for ${word} got another answer`)
          }
        }
      }
      await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    })
  } finally {
    await agent.close()
  }
}

/**
 * A regex scorer's cost per output: 10,000 outputs, `CONCURRENCY` scored at once as a run scores
 * them. Each match runs on the scorer's matching thread, so it can be stopped at the timeout.
 */
export async function measureRegexScoring(): Promise<{ wallUs: number; cpuUs: number }> {
  const scorers = await createScorers(
    [
      {
        type: 'regex',
        name: 'regex',
        weight: 1,
        pattern: '\\bParis\\b',
        flags: 'i',
        source: { file: 'bench' }
      }
    ],
    () => Promise.reject(new Error('the bench loads no module')),
    { timeoutMs: 60_000 }
  )
  const outputs = 10_000
  const text = 'The capital of France is Paris, of course. '.repeat(5)
  const score = (i: number) => scoreOutput(scorers, { output: text + i, vars: {}, caseId: `c${i}` })
  // The thread's start is not a match's cost.
  await score(-1)
  const cpuAtStart = process.cpuUsage()
  const started = performance.now()
  for (let i = 0; i < outputs; i += CONCURRENCY) {
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, j) => score(i + j)))
  }
  const wallUs = ((performance.now() - started) * 1000) / outputs
  const cpu = process.cpuUsage(cpuAtStart)
  await closeScorers(scorers)
  return { wallUs, cpuUs: (cpu.user + cpu.system) / outputs }
}
