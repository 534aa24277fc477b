import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runEvals, silentProgress } from '../../src/run/index.js'
import type { CacheMode } from '../../src/run/index.js'
import type { CaseResult } from '../../src/results/types.js'
import { startJsonEndpoint } from '../helpers/json-endpoint.js'
import type { JsonEndpoint } from '../helpers/json-endpoint.js'

let dir: string
let cacheDir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalgate-cache-keys-'))
  cacheDir = join(dir, 'cache')
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function writeSpec(name: string, lines: string[]): Promise<void> {
  await writeFile(join(dir, name), [...lines, ''].join('\n'))
}

/** One run of the specs in `dir` with the cache in `mode`: its results and its warnings. */
async function run(mode: CacheMode): Promise<{ results: CaseResult[]; warnings: string[] }> {
  const warnings: string[] = []
  const { run } = await runEvals({
    paths: [dir],
    cwd: dir,
    env: {},
    out: join(dir, 'results.json'),
    concurrency: 1,
    progress: silentProgress,
    cache: { mode, dir: cacheDir },
    warn: (message) => warnings.push(message)
  })
  return { results: run.suites.flatMap((suite) => suite.results), warnings }
}

/** The paths of the entries in the cache directory. */
async function entries(): Promise<string[]> {
  const files = await readdir(cacheDir, { recursive: true })
  return files.filter((file) => file.endsWith('.json')).map((file) => join(cacheDir, file))
}

const outputs = (results: CaseResult[]) =>
  Object.fromEntries(results.map((r) => [`${r.providerId} ${r.caseId}`, r.output]))

describe('the cache key of a provider given the case id', () => {
  it('gives each case of a module or exec provider its own answer, even with the same variables', async () => {
    await writeFile(join(dir, 'app.mjs'), 'export default ({ caseId }) => caseId\n')
    await writeSpec('ids.eval.yaml', [
      'suite: ids',
      'providers:',
      `  - { id: sh, type: exec, command: 'cat >/dev/null; echo "$EVALGATE_CASE_ID"' }`,
      '  - { id: app, type: module, path: ./app.mjs }',
      "prompt: 'Say your case id'",
      'cases:',
      '  - { id: alpha, vars: { expect: alpha } }',
      '  - { id: beta, vars: { expect: alpha } }',
      'scorers:',
      "  - { type: equals, expected: '{{expect}}' }"
    ])
    const own = { 'sh alpha': 'alpha', 'sh beta': 'beta', 'app alpha': 'alpha', 'app beta': 'beta' }
    expect(outputs((await run('write')).results)).toEqual(own)
    expect(await entries()).toHaveLength(4)
    const replayed = await run('replay')
    expect(outputs(replayed.results)).toEqual(own)
    expect(replayed.results.filter((r) => r.pass).map((r) => r.caseId)).toEqual(['alpha', 'alpha'])
  })
})

describe('the cache key of an http provider', () => {
  let endpoint: JsonEndpoint

  beforeEach(async () => {
    endpoint = await startJsonEndpoint({
      status: 200,
      body: JSON.stringify({ text: 'hi', used: { in: 12, out: 3 }, served: 'model-7' })
    })
  })

  afterEach(async () => {
    await endpoint.close()
  })

  const spec = (extra: string) => [
    'suite: api',
    'providers:',
    `  - { id: api, type: http, url: "${endpoint.url}", body: { q: "{{prompt}}" }, output: text${extra} }`,
    "prompt: 'Say hi'",
    'cases:',
    '  - { id: a, vars: {} }',
    'scorers:',
    '  - { type: equals, expected: hi }'
  ]

  it('changes with where its token counts and model are read: a fixed path calls again', async () => {
    await writeSpec('api.eval.yaml', spec(''))
    const recorded = (await run('read-write')).results[0]
    expect(recorded).toMatchObject({ output: 'hi', cached: false })
    expect(recorded?.tokens).toBeUndefined()
    await writeSpec('api.eval.yaml', spec(', usage: { input: used.in, output: used.out }'))
    const counted = (await run('read-write')).results[0]
    expect(counted).toMatchObject({ cached: false, tokens: { input: 12, output: 3 } })
    await writeSpec(
      'api.eval.yaml',
      spec(', usage: { input: used.in, output: used.out }, model: served')
    )
    const named = (await run('read-write')).results[0]
    expect(named).toMatchObject({ cached: false, model: 'model-7', tokens: { input: 12 } })
    expect(endpoint.received).toHaveLength(3)
    // Unchanged, it is answered from the cache as recorded.
    expect((await run('replay')).results[0]).toMatchObject({ cached: true, model: 'model-7' })
  })
})

describe('the cache key of a module or exec provider', () => {
  it('ignores its id, label, timeout, retries, limits, concurrency and prices, as an endpoint’s does', async () => {
    await writeFile(join(dir, 'app.mjs'), 'export default ({ vars }) => vars.word\n')
    const spec = (settings: string, prices = '', renamed = '') => [
      'suite: echo',
      'providers:',
      `  - { id: app${renamed}, type: module, path: ./app.mjs${settings}${prices} }`,
      `  - { id: sh${renamed}, type: exec, command: 'cat'${settings} }`,
      "prompt: 'Say {{word}}'",
      'cases:',
      '  - { id: a, vars: { word: alpha } }',
      'scorers:',
      '  - { type: contains, value: alpha }'
    ]
    await writeSpec('echo.eval.yaml', spec(''))
    await run('write')
    await writeSpec(
      'echo.eval.yaml',
      spec(
        ', label: "The app", timeout: 5s, concurrency: 2, retry: { max-attempts: 2 },' +
          ' rate-limit: { requests-per-minute: 600 }',
        ', prices: { input: 1, output: 2 }',
        '-renamed'
      )
    )
    const { results } = await run('replay')
    expect(results.map((r) => [r.providerId, r.output, r.cached, r.error])).toEqual([
      ['app-renamed', 'alpha', true, undefined],
      ['sh-renamed', 'Say alpha', true, undefined]
    ])
    // What it is given still counts.
    await writeSpec('echo.eval.yaml', spec('', ', export: default'))
    expect((await run('replay')).results.map((r) => r.error?.kind)).toEqual([
      'cache-miss',
      undefined
    ])
  })
})

describe('a cache written by another evalgate version', () => {
  it('is said once, counted, and named in the missing answers of a replay', async () => {
    for (const suite of ['one', 'two']) {
      await writeSpec(`${suite}.eval.yaml`, [
        `suite: ${suite}`,
        'providers:',
        "  - { id: sh, type: exec, command: 'cat' }",
        "prompt: 'Say {{n}}'",
        'cases:',
        ...[1, 2, 3, 4].map((n) => `  - { id: c${n}, vars: { n: '${n}' } }`),
        'scorers:',
        "  - { type: contains, value: '{{n}}' }"
      ])
    }
    await run('write')
    const files = await entries()
    // Both suites ask for the same four answers.
    expect(files).toHaveLength(4)
    // As evalgate 2 left it: entries under keys of its own, and no word of their format.
    const [corrupt, ...recorded] = files as [string, ...string[]]
    for (const file of recorded) {
      const entry = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
      await rm(file)
      const older = file.replace(/[0-9a-f]{62}\.json$/, (name) => `${name.slice(0, 61)}0.json`)
      await writeFile(older, JSON.stringify({ ...entry, format: 2 }))
    }
    await rm(join(cacheDir, 'evalgate-cache-format'))
    await writeFile(corrupt, 'garbage')
    const { results, warnings } = await run('replay')
    expect(results.map((r) => r.error?.kind)).toEqual(Array(8).fill('cache-miss'))
    expect(warnings.filter((w) => w.startsWith('cache:'))).toEqual([
      `cache: ${corrupt} is not valid JSON (Unexpected token 'g', "garbage" is not valid JSON); treated as a miss`,
      `cache: 8 answers were not found in ${cacheDir}: its answers were recorded by another evalgate version (cache format 2 or earlier; this one reads format 3); re-record the cache with cache mode write on a trusted run (push to the default branch)`
    ])
    for (const result of results) {
      expect(result.error?.message).toMatch(
        /: its answers were recorded by another evalgate version \(cache format 2 or earlier; this one reads format 3\)\. .* Re-record the cache with cache mode write/
      )
    }
    // A run that reads and writes records them again, and the cache is this version's.
    const rerecorded = (await run('read-write')).warnings.filter((w) => w.startsWith('cache:'))
    expect(rerecorded).toHaveLength(2)
    expect(rerecorded[1]).toMatch(
      /^cache: \d answers were not found in .*\(cache format 2 or earlier; this one reads format 3\); this run recorded those it called for$/
    )
    const replayed = await run('replay')
    expect(replayed.results.every((r) => r.cached)).toBe(true)
    expect(replayed.warnings.filter((w) => w.startsWith('cache:'))).toEqual([])
  })
})
