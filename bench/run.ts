/**
 * `npm run bench`: harness overhead of the scheduler. A local HTTP server (a child process, so its
 * memory is not ours) answers every call after 50 ms; 2,000 cases at concurrency 50 ideally take
 * 2,000 / 50 × 50 ms = 2.0 s. Prints wall time, the ratio to that ideal and the peak RSS of this
 * process, then the cold start of the shipped bundles. Targets: ≤ 1.2× ideal, < 150 MB, < 300 ms.
 */
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { executePlan } from '../src/run/execute.js'
import { planRun } from '../src/run/plan.js'
import { createProvider, importExport } from '../src/providers/index.js'
import type { SuiteSpec } from '../src/spec/types.js'

const CASES = 2000
const CONCURRENCY = 50
const DELAY_MS = 50
const IDEAL_S = (CASES / CONCURRENCY) * (DELAY_MS / 1000)

const SERVER = `
const http = require('node:http')
const server = http.createServer((req, res) => {
  let body = ''
  req.on('data', (c) => (body += c))
  req.on('end', () => setTimeout(() => {
    const { input } = JSON.parse(body)
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ answer: { text: input.toUpperCase() } }))
  }, ${DELAY_MS}))
})
server.keepAliveTimeout = 60000
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
`

async function startServer(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer]
  return { url: `http://127.0.0.1:${chunk.toString().trim()}/answer`, stop: () => child.kill() }
}

function suite(url: string): SuiteSpec {
  const source = { file: 'bench' }
  return {
    file: 'bench',
    suite: 'bench',
    source,
    providers: [
      {
        id: 'stub',
        type: 'http',
        url,
        method: 'POST',
        headers: {},
        body: { input: '{{prompt}}' },
        outputPath: 'answer.text',
        configFingerprint: 'bench',
        source
      }
    ],
    prompt: 'say {{word}}',
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

function coldStartMs(args: string[], env: Record<string, string>): number {
  const runs = 5
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    spawnSync(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' })
    times.push(performance.now() - started)
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)] as number
}

const server = await startServer()
let peakRss = process.memoryUsage.rss()
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 10)
try {
  const plan = planRun([suite(server.url)])
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
  const errors = results.filter((r) => r.error).length
  const passed = results.filter((r) => r.pass).length
  if (errors > 0 || passed !== CASES)
    throw new Error(`bench run was not clean: ${errors} errors, ${passed}/${CASES} passed`)
  console.log(
    `scheduler: ${CASES} cases, concurrency ${CONCURRENCY}, ${DELAY_MS} ms answers (http provider)`
  )
  console.log(`  wall time      ${wallS.toFixed(3)} s (ideal ${IDEAL_S.toFixed(1)} s)`)
  console.log(`  peak RSS       ${(peakRss / 2 ** 20).toFixed(1)} MB`)
  const actionMs = coldStartMs(['dist/index.js'], {
    INPUT_SPECS: 'bench/no-such-dir',
    GITHUB_OUTPUT: '',
    GITHUB_STEP_SUMMARY: ''
  })
  const cliMs = coldStartMs(['dist/cli.js', '--version'], {})
  console.log(
    `cold start (median of 5, whole process): action ${actionMs.toFixed(0)} ms, cli ${cliMs.toFixed(0)} ms`
  )
  console.log(`ratio-to-ideal: ${(wallS / IDEAL_S).toFixed(3)}`)
  console.log(`peak-rss-mb: ${(peakRss / 2 ** 20).toFixed(1)}`)
  console.log(`action-cold-start-ms: ${actionMs.toFixed(0)}`)
} finally {
  clearInterval(sampler)
  server.stop()
}
