/**
 * `node scripts/run-ts.mjs bench/openai.ts`: overhead of the OpenAI provider (official SDK) under
 * the scheduler. The local OpenAI-compatible test server runs in a child process (this same
 * bundle started with `--server`, so its memory is not ours) and answers every chat completion
 * after 50 ms, WITHOUT OpenAPI schema validation (the tests validate; here it would only measure
 * ajv). 2,000 cases at concurrency 50 ideally take 2,000 / 50 × 50 ms = 2.0 s. Prints wall time,
 * the ratio to that ideal and the peak RSS of this process.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { startOpenAIServer } from '../__tests__/helpers/openai-server.js'
import { createProvider, importExport } from '../src/providers/index.js'
import { executePlan } from '../src/run/execute.js'
import { planRun } from '../src/run/plan.js'
import type { SuiteSpec } from '../src/spec/types.js'

const CASES = 2000
const CONCURRENCY = 50
const DELAY_MS = 50
const IDEAL_S = (CASES / CONCURRENCY) * (DELAY_MS / 1000)

async function serve(): Promise<void> {
  const server = await startOpenAIServer({
    validate: false,
    respond: () => ({ type: 'answer', delayMs: DELAY_MS })
  })
  console.log(server.baseUrl)
}

async function startServer(): Promise<{ baseUrl: string; stop: () => void }> {
  const script = process.argv[1] as string
  const child = spawn(process.execPath, [script, '--server'], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer]
  return { baseUrl: chunk.toString().trim(), stop: () => child.kill() }
}

function suite(baseUrl: string, stream: boolean): SuiteSpec {
  const source = { file: 'bench' }
  return {
    file: 'bench',
    suite: 'bench-openai',
    source,
    providers: [
      {
        id: 'local-openai',
        type: 'openai',
        model: 'gpt-4o-mini',
        params: { temperature: 0 },
        baseUrl,
        apiKey: 'sk-bench',
        stream,
        configFingerprint: 'bench',
        source
      }
    ],
    prompt: [
      { role: 'system', content: 'Repeat the word.' },
      { role: 'user', content: 'say {{word}}' }
    ],
    cases: Array.from({ length: CASES }, (_, i) => ({
      id: `case-${i}`,
      vars: { word: `w${i}` },
      source
    })),
    scorers: [{ type: 'contains', name: 'contains', weight: 1, value: '{{word}}', source }],
    repeats: 1,
    timeoutMs: 30_000,
    minPassRate: 0,
    gate: {}
  }
}

async function bench(): Promise<void> {
  const stream = process.argv.includes('--stream')
  const server = await startServer()
  let peakRss = process.memoryUsage.rss()
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 10)
  try {
    const plan = planRun([suite(server.baseUrl, stream)])
    const started = performance.now()
    const run = await executePlan(plan, {
      concurrency: CONCURRENCY,
      createProvider,
      loadModule: importExport,
      toolVersion: 'bench'
    })
    const wallS = (performance.now() - started) / 1000
    peakRss = Math.max(peakRss, process.memoryUsage.rss())
    const results = run.suites[0]?.results ?? []
    const errors = results.filter((r) => r.error)
    const passed = results.filter((r) => r.pass).length
    if (errors.length > 0 || passed !== CASES) {
      throw new Error(
        `bench run was not clean: ${errors.length} errors (${errors[0]?.error?.message}), ${passed}/${CASES} passed`
      )
    }
    console.log(
      `openai provider: ${CASES} cases, concurrency ${CONCURRENCY}, ${DELAY_MS} ms answers, ` +
        `${stream ? 'streamed' : 'not streamed'} (server in a child process, no schema validation)`
    )
    console.log(`  wall time      ${wallS.toFixed(3)} s (ideal ${IDEAL_S.toFixed(1)} s)`)
    console.log(`  peak RSS       ${(peakRss / 2 ** 20).toFixed(1)} MB`)
    console.log(`ratio-to-ideal: ${(wallS / IDEAL_S).toFixed(3)}`)
    console.log(`peak-rss-mb: ${(peakRss / 2 ** 20).toFixed(1)}`)
  } finally {
    clearInterval(sampler)
    server.stop()
  }
}

await (process.argv.includes('--server') ? serve() : bench())
