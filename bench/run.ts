/**
 * `npm run bench`: the harness's own overhead, never asserted in tests. Each measurement runs in a
 * fresh process (this bundle with `--case`), against a local server in another process that
 * answers every call after 50 ms: 2,000 cases at concurrency 50 ideally take 2.0 s.
 *   http    the scheduler with the `http` provider (undici)
 *   openai  the scheduler with the `openai` provider (official SDK) against an
 *           OpenAI-compatible server (schema validation off: the tests validate, here it would
 *           only measure ajv)
 *   sdk     the floor under `openai`: the same calls made by the SDK alone, no evalgate
 * Each process bounds V8's heap growth first, as the shipped entries do (src/bounded-heap.ts): the
 * SDK's floor too, so the two differ by evalgate's own code alone.
 * Then the cold start of the shipped bundles, a regex scorer's cost per output, and compare on
 * 100,000 paired cases.
 * Targets: ≤ 1.2× ideal, < 150 MB, < 300 ms, compare < 2 s. The lines `ratio-to-ideal:` and
 * `peak-rss-mb:` are the openai provider's; `-http` ones are the http provider's, `-sdk-alone`
 * ones the SDK's alone.
 */
// First, as in the shipped entries.
import '../src/bounded-heap.js'
import { spawnSync } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { existsSync } from 'node:fs'
import {
  CASES,
  CONCURRENCY,
  DELAY_MS,
  IDEAL_S,
  type Measurement,
  measureRegexScoring,
  measureScheduler,
  measureSdkAlone,
  startServerProcess
} from './harness.js'

const argValue = (flag: string) => {
  const index = process.argv.indexOf(flag)
  return index === -1 ? undefined : process.argv[index + 1]
}

async function serve(kind: string): Promise<void> {
  if (kind === 'openai') {
    // Imported here, in the server process only: the measured process must not carry it.
    const { startOpenAIServer } = await import('../__tests__/helpers/openai-server.js')
    const server = await startOpenAIServer({
      validate: false,
      respond: () => ({ type: 'answer', delayMs: DELAY_MS })
    })
    console.log(server.baseUrl)
    return
  }
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () =>
      setTimeout(() => {
        const { input } = JSON.parse(body) as { input: string }
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ answer: { text: input.toUpperCase() } }))
      }, DELAY_MS)
    )
  })
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1', () =>
    console.log(`http://127.0.0.1:${(server.address() as AddressInfo).port}/answer`)
  )
}

async function measure(kind: string): Promise<void> {
  const server = await startServerProcess(kind === 'sdk' ? 'openai' : kind)
  const source = { file: 'bench' }
  try {
    if (kind === 'sdk') {
      console.log(JSON.stringify(await measureSdkAlone(server.url)))
      return
    }
    const measurement = await measureScheduler(
      kind === 'openai'
        ? {
            id: 'openai',
            type: 'openai',
            model: 'gpt-4o-mini',
            params: { temperature: 0 },
            baseUrl: server.url,
            apiKey: 'sk-bench',
            stream: false,
            configFingerprint: 'bench',
            answerConfigFingerprint: 'bench',
            source
          }
        : {
            id: 'http',
            type: 'http',
            url: server.url,
            method: 'POST',
            headers: {},
            body: { input: '{{prompt}}' },
            outputPath: 'answer.text',
            configFingerprint: 'bench',
            answerConfigFingerprint: 'bench',
            source
          }
    )
    console.log(JSON.stringify(measurement))
  } finally {
    server.stop()
  }
}

function runCase(kind: string): Measurement {
  const child = spawnSync(process.execPath, [process.argv[1] as string, '--case', kind], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit']
  })
  if (child.status !== 0) throw new Error(`bench case ${kind} failed`)
  return JSON.parse(child.stdout.trim().split('\n').at(-1) as string) as Measurement
}

function coldStartMs(
  bundle: string,
  args: string[],
  env: Record<string, string>
): number | undefined {
  if (!existsSync(bundle)) return undefined
  const times: number[] = []
  for (let i = 0; i < 5; i++) {
    const started = performance.now()
    spawnSync(process.execPath, [bundle, ...args], {
      env: { ...process.env, ...env },
      stdio: 'ignore'
    })
    times.push(performance.now() - started)
  }
  return times.sort((a, b) => a - b)[2]
}

async function report(): Promise<void> {
  console.log(
    `${CASES} cases, concurrency ${CONCURRENCY}, ${DELAY_MS} ms answers: ideal ${IDEAL_S.toFixed(1)} s`
  )
  const lines: string[] = []
  const label = {
    http: 'http',
    openai: 'openai',
    sdk: 'openai SDK alone (same calls, no evalgate)'
  }
  for (const kind of ['http', 'openai', 'sdk'] as const) {
    const { wallS, loadedRssMb, peakRssMb } = runCase(kind)
    const ratio = wallS / IDEAL_S
    console.log(
      `  ${label[kind].padEnd(7)} wall ${wallS.toFixed(3)} s  ratio ${ratio.toFixed(3)}  peak RSS ${peakRssMb.toFixed(1)} MB (${loadedRssMb.toFixed(1)} MB once loaded, before the first call)`
    )
    // The unsuffixed lines are the real model provider's; the others carry their case's name.
    const suffix = kind === 'openai' ? '' : `-${kind === 'sdk' ? 'sdk-alone' : kind}`
    lines.push(`ratio-to-ideal${suffix}: ${ratio.toFixed(3)}`)
    lines.push(`peak-rss-mb${suffix}: ${peakRssMb.toFixed(1)}`)
  }
  // The action bundle with no spec to run: loads everything, then fails fast.
  const action = coldStartMs('dist/index.js', [], {
    INPUT_SPECS: 'bench/no-such-dir',
    GITHUB_OUTPUT: '',
    GITHUB_STEP_SUMMARY: ''
  })
  const cli = coldStartMs('dist/cli.js', ['--version'], {})
  if (action === undefined || cli === undefined) {
    console.log('cold start: dist/ is not built (npm run bundle)')
  } else {
    console.log(
      `cold start (median of 5 whole processes): action ${action.toFixed(0)} ms, cli ${cli.toFixed(0)} ms`
    )
    lines.push(`action-cold-start-ms: ${action.toFixed(0)}`)
  }
  const regex = await measureRegexScoring()
  console.log(
    `regex scorer: ${regex.wallUs.toFixed(1)} µs per output (${regex.cpuUs.toFixed(1)} µs of CPU, both threads), ${CONCURRENCY} outputs at a time`
  )
  lines.push(`regex-scorer-us-per-output: ${regex.wallUs.toFixed(1)}`)
  // compare on 100,000 paired cases (target < 2 s), measured by the gate benchmark's timing.
  const compare = spawnSync(
    process.execPath,
    ['scripts/run-ts.mjs', 'bench/gate.ts', '--timing-only'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit']
    }
  )
  const compareLines = compare.stdout.trim().split('\n')
  console.log(
    compareLines
      .filter((line) => !line.startsWith('compare-100k-ms'))
      .join('\n')
      .trim()
  )
  lines.push(...compareLines.filter((line) => line.startsWith('compare-100k-ms')))
  for (const line of lines) console.log(line)
}

const server = argValue('--server')
const kind = argValue('--case')
if (server) await serve(server)
else if (kind) await measure(kind)
else await report()
