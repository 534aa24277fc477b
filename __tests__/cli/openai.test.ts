import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkComparison } from '../../src/compare/index.js'
import type { Comparison } from '../../src/compare/index.js'
import { parseRunResult } from '../../src/results/parse.js'
import { buildEntry, runBundle } from '../helpers/cli.js'
import { startOpenAIServer } from '../helpers/openai-server.js'
import type { Behaviour, OpenAIServer, ReceivedRequest } from '../helpers/openai-server.js'

const KEY = 'sk-test-SECRET123'
let cli: string
let server: OpenAIServer
let dir: string

/** A judge that is down answers 503 to every call. */
let judgeDown = false
/** The model's token limit cuts its answer about France off. */
let franceCutOff = false
/**
 * What the judge answers instead of its verdict, given what it is sent to grade (the prompt and
 * the answer); undefined: its verdict.
 */
let judgeAnswer: ((graded: string) => Behaviour | undefined) | undefined
/** The model answers with the URL it was called at, query and all. */
let answerEchoesUrl = false

/** The model under test answers capitals; the judge grades politeness as JSON. */
function respond(request: ReceivedRequest): Behaviour {
  const body = request.body as { messages: { content: string }[]; response_format?: unknown }
  if (body.response_format && judgeDown) {
    return { type: 'error', status: 503, message: 'the judge is overloaded' }
  }
  const instead = body.response_format
    ? judgeAnswer?.(body.messages.at(-1)?.content ?? '')
    : undefined
  if (instead) return instead
  if (answerEchoesUrl) return { type: 'answer', text: `called at ${request.url}` }
  if (body.response_format) {
    return {
      type: 'answer' as const,
      text: JSON.stringify({ reasoning: 'Short and correct.', score: 4 }),
      usage: { promptTokens: 100, completionTokens: 10 }
    }
  }
  const question = body.messages.at(-1)?.content ?? ''
  if (franceCutOff && question.includes('France')) {
    return { type: 'answer', text: 'Pa', finishReason: 'length' }
  }
  return {
    type: 'answer' as const,
    text: question.includes('France') ? 'Paris' : 'Berlin',
    usage: { promptTokens: 20, completionTokens: 2 }
  }
}

beforeAll(async () => {
  cli = await buildEntry('src/cli.ts')
  server = await startOpenAIServer({ respond })
  dir = await mkdtemp(join(tmpdir(), 'evalgate-openai-'))
  await writeFile(
    join(dir, 'capitals.eval.yaml'),
    [
      'suite: capitals',
      'providers:',
      '  - id: mini',
      '    type: openai',
      '    model: gpt-4o-mini',
      `    base-url: ${server.baseUrl}`,
      '    api-key: ${LOCAL_OPENAI_KEY}',
      '    params: { temperature: 0, seed: 7 }',
      // A compatible server is not OpenAI's API: its answers are priced by `prices:` only.
      '    prices: { input: 0.15, output: 0.6 }',
      'prompt:',
      '  - { role: system, content: Answer with the city only. }',
      '  - { role: user, content: "Capital of {{country}}?" }',
      'cases:',
      '  - { id: fr, vars: { country: France, capital: Paris } }',
      '  - { id: de, vars: { country: Germany, capital: Berlin } }',
      'scorers:',
      '  - type: equals',
      '    expected: "{{capital}}"',
      '  - type: llm-judge',
      '    rubric: The answer is only the city name.',
      '    judge:',
      '      type: openai',
      '      model: gpt-4o-mini',
      `      base-url: ${server.baseUrl}`,
      '      api-key: ${LOCAL_OPENAI_KEY}',
      '      prices: { input: 0.15, output: 0.6 }',
      ''
    ].join('\n')
  )
})
afterAll(() => server.close())

describe('evalgate run with the openai provider and an LLM judge', () => {
  it('records tokens, cost and judge cost apart, and replays from the cache without secrets or server', async () => {
    const recorded = join(dir, 'recorded.json')
    const cacheDir = join(dir, 'cache')
    const run = await runBundle(
      cli,
      ['run', '.', '--out', recorded, '--cache', 'read-write', '--cache-dir', cacheDir],
      {
        cwd: dir,
        env: { LOCAL_OPENAI_KEY: KEY }
      }
    )
    expect(run.code).toBe(0)
    expect(run.stdout + run.stderr).not.toContain(KEY)
    const results = parseRunResult(await readFile(recorded, 'utf8'), recorded)
    expect(JSON.stringify(results)).not.toContain(KEY)
    const [fr] = results.suites[0]?.results ?? []
    // $0.15 in, $0.60 out per 1M tokens. Answer: 20 × 0.15 + 2 × 0.6 = 4.2e-6 USD;
    // judge: 100 × 0.15 + 10 × 0.6 = 2.1e-5 USD, counted apart.
    expect(fr).toMatchObject({
      output: 'Paris',
      pass: true,
      cached: false,
      tokens: { input: 20, output: 2 },
      judgeTokens: { input: 100, output: 10 }
    })
    expect(fr?.cost).toBeCloseTo(4.2e-6, 15)
    expect(fr?.judgeCost).toBeCloseTo(2.1e-5, 15)
    // A judge score of 4 on a 1–5 scale normalises to (4 − 1) / 4.
    expect(fr?.scores.find((s) => s.scorer === 'llm-judge')).toEqual({
      scorer: 'llm-judge',
      score: 0.75,
      pass: true,
      reason: 'Short and correct.'
    })
    expect(server.violations).toEqual([])
    const answered = server.requests.filter(
      (r) => !(r.body as { response_format?: unknown }).response_format
    )
    expect(answered).toHaveLength(2)
    expect(answered[0]?.headers.authorization).toBe(`Bearer ${KEY}`)
    // Two answers and two judgements.
    expect(server.requests).toHaveLength(4)

    // A fork PR: no key, and nothing is called: answers and grades come from the cache.
    const replayed = join(dir, 'replayed.json')
    const replay = await runBundle(
      cli,
      ['run', '.', '--out', replayed, '--cache', 'replay', '--cache-dir', cacheDir],
      { cwd: dir }
    )
    expect(replay.stderr).not.toContain('LOCAL_OPENAI_KEY')
    const replayResults = parseRunResult(await readFile(replayed, 'utf8'), replayed)
    expect(
      replayResults.suites[0]?.results.map((r) => [r.output, r.cached, r.latencyMs, r.attempts])
    ).toEqual([
      ['Paris', true, null, 0],
      ['Berlin', true, null, 0]
    ])
    // Nothing was called: not the model, and not the judge, whose grades came from the cache too.
    expect(server.requests).toHaveLength(4)
    expect(replayResults.suites[0]?.results.map((r) => r.scores)).toEqual(
      results.suites[0]?.results.map((r) => r.scores)
    )
  })
})

/** A spec of one case (France, answered Paris) asking the provider written as `provider`, priced. */
async function writeFranceSpec(dir: string, provider: string[]): Promise<void> {
  await writeFile(
    join(dir, 'capitals.eval.yaml'),
    [
      'suite: capitals',
      'providers:',
      ...provider,
      '    prices: { input: 0.15, output: 0.6 }',
      'prompt: "Capital of {{country}}?"',
      'cases:',
      '  - { id: fr, vars: { country: France } }',
      'scorers:',
      '  - type: equals',
      '    expected: Paris',
      ''
    ].join('\n')
  )
}

describe('a judge that is down', () => {
  afterEach(() => {
    judgeDown = false
  })

  it('is an outage (an error verdict), not a regression of the model it grades', async () => {
    const judgedDir = await mkdtemp(join(tmpdir(), 'evalgate-openai-judge-down-'))
    await writeFile(
      join(judgedDir, 'capitals.eval.yaml'),
      [
        'suite: capitals',
        'providers:',
        '  - id: mini',
        '    type: openai',
        '    model: gpt-4o-mini',
        `    base-url: ${server.baseUrl}`,
        '    api-key: ${LOCAL_OPENAI_KEY}',
        'prompt: "Capital of {{country}}?"',
        'cases:',
        ...['France', 'Germany', 'Spain', 'Italy', 'Peru', 'Chile'].map(
          (country) => `  - { id: ${country}, vars: { country: ${country} } }`
        ),
        'scorers:',
        '  - type: llm-judge',
        '    rubric: The answer is only the city name.',
        '    judge:',
        '      type: openai',
        '      model: gpt-4o-mini',
        `      base-url: ${server.baseUrl}`,
        '      api-key: ${LOCAL_OPENAI_KEY}',
        '      retry: { max-attempts: 1 }',
        'min-pass-rate: 0',
        ''
      ].join('\n')
    )
    const run = (out: string) =>
      runBundle(cli, ['run', '.', '--quiet', '--out', out], {
        cwd: judgedDir,
        env: { LOCAL_OPENAI_KEY: KEY }
      })
    const base = join(judgedDir, 'base.json')
    const head = join(judgedDir, 'head.json')
    expect((await run(base)).code).toBe(0)
    judgeDown = true
    expect((await run(head)).code).toBe(0)
    const headResults = parseRunResult(await readFile(head, 'utf8'), head)
    expect(headResults.suites[0]?.results[0]?.error?.kind).toBe('judge:server')

    const compared = await runBundle(cli, ['compare', base, head, '--no-color'], {
      cwd: judgedDir
    })
    expect(compared.code).toBe(1)
    expect(compared.stdout).toContain('evalgate compare: ERROR')
    expect(compared.stdout).toContain(
      'outage: 100.0% of the head answers could not be graded: the judge was unavailable (judge:server ×6)'
    )
    expect(compared.stdout).not.toContain('REGRESSION')
  })
})

describe('a model chosen through ${VAR}', () => {
  it('is recorded as the model the server reports, not written back as the variable', async () => {
    const modelDir = await mkdtemp(join(tmpdir(), 'evalgate-openai-model-'))
    await writeFranceSpec(modelDir, [
      '  - id: chosen',
      '    type: openai',
      '    model: ${EVAL_MODEL}',
      `    base-url: ${server.baseUrl}`,
      '    api-key: ${LOCAL_OPENAI_KEY}'
    ])
    const out = join(modelDir, 'results.json')
    const run = await runBundle(cli, ['run', '.', '--out', out], {
      cwd: modelDir,
      env: { LOCAL_OPENAI_KEY: KEY, EVAL_MODEL: 'gpt-4o-mini' }
    })
    expect(run.code).toBe(0)
    const results = parseRunResult(await readFile(out, 'utf8'), out)
    // The model is published as the provider's; the key stays written back.
    expect(results.suites[0]?.providers[0]?.model).toBe('gpt-4o-mini')
    expect(results.suites[0]?.results[0]?.model).toBe('gpt-4o-mini')
    expect(JSON.stringify(results)).not.toContain(KEY)
  })
})

describe('a secret in the query of base-url', () => {
  afterEach(() => (answerEchoesUrl = false))

  // Each is sent `%XX`-decoded and encoded again the SDK's way, unlike it is written.
  it.each(['sig+abc%2Fdef==', 'AbC%2bdef%2fgh%3d', "AbC+def%2Fgh==(x)!'*"])(
    'is written back wherever the server echoes the URL it was called at: %s',
    async (signature) => {
      const sigDir = await mkdtemp(join(tmpdir(), 'evalgate-openai-sig-'))
      await writeFranceSpec(sigDir, [
        '  - id: signed',
        '    type: openai',
        '    model: gpt-4o-mini',
        `    base-url: "${server.baseUrl}?api-version=2024-10-21&sig=\${MY_SIG}"`
      ])
      const decoded = decodeURIComponent(signature)
      const leaks = (text: string) =>
        [signature, decoded, encodeURIComponent(decoded)].filter((form) => text.includes(form))
      const echoed: string[] = []
      for (const echo of ['error', 'answer'] as const) {
        const out = join(sigDir, `${echo}.json`)
        answerEchoesUrl = echo === 'answer'
        if (echo === 'error') {
          server.enqueue({
            type: 'error',
            status: 401,
            message: (received) => `bad signature in ${received.url}`
          })
        }
        const run = await runBundle(cli, ['run', '.', '--out', out], {
          cwd: sigDir,
          env: { MY_SIG: signature }
        })
        const sent = new URL(server.requests.at(-1)?.url ?? '', server.baseUrl)
        expect(sent.searchParams.get('sig')).toBe(decoded)
        const written = await readFile(out, 'utf8')
        for (const text of [written, run.stdout, run.stderr]) expect(leaks(text)).toEqual([])
        const [result] = parseRunResult(written, out).suites[0]?.results ?? []
        echoed.push(result?.error?.message ?? result?.output ?? '')
      }
      expect(echoed).toEqual([
        "provider signed: HTTP 401 (not authorised): bad signature in /v1/chat/completions?api-version=2024-10-21&sig=${MY_SIG}; check the provider's api-key (OPENAI_API_KEY when it has none)",
        'called at /v1/chat/completions?api-version=2024-10-21&sig=${MY_SIG}'
      ])
    }
  )
})

describe('an answer the model did not finish', () => {
  afterEach(() => (franceCutOff = false))

  it('is recorded, replayed from the cache, named in the run report and in the flipped case', async () => {
    const cutDir = await mkdtemp(join(tmpdir(), 'evalgate-openai-cut-'))
    await writeFile(
      join(cutDir, 'capitals.eval.yaml'),
      [
        'suite: capitals',
        'providers:',
        '  - id: mini',
        '    type: openai',
        '    model: gpt-4o-mini',
        `    base-url: ${server.baseUrl}`,
        '    api-key: ${LOCAL_OPENAI_KEY}',
        '    params: { max_tokens: 1 }',
        'prompt: "Capital of {{country}}?"',
        'cases:',
        '  - { id: fr, vars: { country: France, capital: Paris } }',
        '  - { id: de, vars: { country: Germany, capital: Berlin } }',
        'scorers:',
        '  - type: equals',
        '    expected: "{{capital}}"',
        ''
      ].join('\n')
    )
    const env = { LOCAL_OPENAI_KEY: KEY }
    const base = join(cutDir, 'base.json')
    expect((await runBundle(cli, ['run', '.', '--out', base], { cwd: cutDir, env })).code).toBe(0)

    franceCutOff = true
    const head = join(cutDir, 'head.json')
    const cache = ['--cache', 'write', '--cache-dir', join(cutDir, 'cache')]
    const run = await runBundle(cli, ['run', '.', '--out', head, ...cache], { cwd: cutDir, env })
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('fr: equals: ')
    expect(run.stdout).toContain('(cut off at the token limit)')
    expect(run.stdout).toContain(
      "Answers the model did not finish (capitals / mini: 1 cut off at the token limit): an answer cut off is scored as it stands, so raise max_tokens (or max_completion_tokens) in the provider's params."
    )
    const results = parseRunResult(await readFile(head, 'utf8'), head)
    expect(results.schemaVersion).toBe(4)
    expect(results.suites[0]?.results.map((r) => [r.caseId, r.output, r.finishReason])).toEqual([
      ['fr', 'Pa', 'length'],
      ['de', 'Berlin', undefined]
    ])

    const replayed = join(cutDir, 'replayed.json')
    const replay = await runBundle(
      cli,
      ['run', '.', '--out', replayed, '--cache', 'replay', '--cache-dir', join(cutDir, 'cache')],
      { cwd: cutDir }
    )
    expect(replay.stdout).toContain('1 cut off at the token limit')
    const replayedResults = parseRunResult(await readFile(replayed, 'utf8'), replayed)
    expect(replayedResults.suites[0]?.results.map((r) => [r.cached, r.finishReason])).toEqual([
      [true, 'length'],
      [true, undefined]
    ])

    const compared = await runBundle(cli, ['compare', base, head, '--format', 'markdown'], {
      cwd: cutDir
    })
    expect(compared.stdout).toContain(
      'Head (repeat 0, failed; equals: expected &quot;Paris&quot;, got &quot;Pa&quot;; cut off at the token limit):'
    )
    expect(compared.stdout).toMatch(/Base \(repeat 0, passed\):/)
  })
})

const SIX = ['France', 'Germany', 'Spain', 'Italy', 'Peru', 'Chile']

const judgeRequests = (from = 0) =>
  server.requests
    .slice(from)
    .filter((r) => (r.body as { response_format?: unknown }).response_format !== undefined)
const modelRequests = (from = 0) => server.requests.length - from - judgeRequests(from).length

describe('an LLM judge and the cache', () => {
  afterEach(() => {
    judgeAnswer = undefined
  })

  /** A spec of `countries` graded by the judge of scorer `polite`, in a directory of its own. */
  async function judgedSpec(
    options: {
      rubric?: string
      seed?: number
      countries?: string[]
      dir?: string
      /** The judge's model, and its `prices:` (null: none, so its cost is unknown). */
      judgeModel?: string
      judgePrices?: string | null
    } = {}
  ): Promise<string> {
    const judgePrices =
      options.judgePrices === undefined ? '{ input: 0.15, output: 0.6 }' : options.judgePrices
    const specDir = options.dir ?? (await mkdtemp(join(tmpdir(), 'evalgate-openai-judged-')))
    const countries = options.countries ?? ['France', 'Germany']
    await writeFile(
      join(specDir, 'capitals.eval.yaml'),
      [
        'suite: capitals',
        'providers:',
        '  - id: mini',
        '    type: openai',
        '    model: gpt-4o-mini',
        `    base-url: ${server.baseUrl}`,
        '    api-key: ${LOCAL_OPENAI_KEY}',
        `    params: { seed: ${options.seed ?? 7} }`,
        '    prices: { input: 0.15, output: 0.6 }',
        'prompt: "Capital of {{country}}?"',
        'cases:',
        ...countries.map((country) => `  - { id: ${country}, vars: { country: ${country} } }`),
        'scorers:',
        '  - type: llm-judge',
        '    name: polite',
        `    rubric: ${options.rubric ?? 'The answer is only the city name.'}`,
        '    judge:',
        '      type: openai',
        `      model: ${options.judgeModel ?? 'gpt-4o-mini'}`,
        `      base-url: ${server.baseUrl}`,
        '      api-key: ${LOCAL_OPENAI_KEY}',
        ...(judgePrices === null ? [] : [`      prices: ${judgePrices}`]),
        '      retry: { max-attempts: 1 }',
        'min-pass-rate: 0',
        ''
      ].join('\n')
    )
    return specDir
  }

  const run = (specDir: string, out: string, cache: string[] = []) =>
    runBundle(cli, ['run', '.', '--no-color', '--quiet', '--out', out, ...cache], {
      cwd: specDir,
      env: { LOCAL_OPENAI_KEY: KEY }
    })
  const results = async (file: string) => parseRunResult(await readFile(file, 'utf8'), file)

  it("says whose grades came from the cache by the judge's own answers, not the model's", async () => {
    const specDir = await judgedSpec()
    const cache = ['--cache-dir', join(specDir, 'cache')]
    const recorded = join(specDir, 'recorded.json')
    expect((await run(specDir, recorded, ['--cache', 'write', ...cache])).code).toBe(0)

    // The rubric changed: the answers come from the cache, the judge is asked anew and paid.
    await judgedSpec({ dir: specDir, rubric: 'The answer is polite.' })
    const before = server.requests.length
    const regraded = join(specDir, 'regraded.json')
    const rubricRun = await run(specDir, regraded, ['--cache', 'read', ...cache])
    expect([modelRequests(before), judgeRequests(before).length]).toEqual([0, 2])
    expect(
      (await results(regraded)).suites[0]?.results.map((r) => [r.cached, r.judgeCached])
    ).toEqual([
      [true, false],
      [true, false]
    ])
    expect(rubricRun.stdout).toContain(
      'tokens judging 2 answers (apart from the cost of the systems under test)\n'
    )

    // Only the model's parameters changed: the model is called, the judge's grades of the same
    // answers come from the cache.
    await judgedSpec({ dir: specDir, seed: 8 })
    const next = server.requests.length
    const reasked = join(specDir, 'reasked.json')
    const modelRun = await run(specDir, reasked, ['--cache', 'read', ...cache])
    expect([modelRequests(next), judgeRequests(next).length]).toEqual([2, 0])
    expect(
      (await results(reasked)).suites[0]?.results.map((r) => [r.cached, r.judgeCached])
    ).toEqual([
      [false, true],
      [false, true]
    ])
    expect(modelRun.stdout).toContain(
      "tokens judging 2 answers (apart from the cost of the systems under test); the judges' answers on 2 of them came from the cache, and their cost is the one recorded, not spent by this run"
    )
  })

  it("shows the judges' cost per answer in a comparison, reported only, with its ratio, cache and unknown price", async () => {
    const specDir = await judgedSpec()
    const cache = ['--cache-dir', join(specDir, 'cache')]
    const base = join(specDir, 'base.json')
    expect((await run(specDir, base, ['--cache', 'write', ...cache])).code).toBe(0)

    // A judge model ten times dearer: the answers come from the cache, the new judge is paid.
    await judgedSpec({
      dir: specDir,
      judgeModel: 'gpt-4o',
      judgePrices: '{ input: 1.5, output: 6 }'
    })
    const head = join(specDir, 'head.json')
    expect((await run(specDir, head, ['--cache', 'read-write', ...cache])).code).toBe(0)
    const compare = (headFile: string, format: string) =>
      runBundle(cli, ['compare', base, headFile, '--no-color', '--format', format], {
        cwd: specDir
      })
    // 100 × 0.15 + 10 × 0.6 = 2.1e-5 USD per answer judged, then 2.1e-4: never gated.
    const terminal = await compare(head, 'terminal')
    expect(terminal.code).toBe(0)
    expect(terminal.stdout).toMatch(
      /LLM judge cost per answer +\$0\.0000210 +\$0\.000210 +×10\.0 +– +– +–\n/
    )
    expect(terminal.stdout).not.toContain('LLM judges (reported only')
    const markdown = await compare(head, 'markdown')
    expect(markdown.stdout).toContain(
      '| LLM judge cost per answer | $0.0000210 | $0.000210 | ×10.0 | – | – | – |'
    )
    const json = await compare(head, 'json')
    const comparison = JSON.parse(json.stdout) as unknown
    expect(checkComparison(comparison).problem).toBeUndefined()
    const [group] = (comparison as Comparison).groups
    const judgeCost = group?.metrics.find((m) => m.metric === 'judge-cost')
    expect(judgeCost).toMatchObject({ gated: false, verdict: 'not-gated', test: null, n: 2 })
    expect(judgeCost?.delta).toBeCloseTo(10, 9)
    expect(group?.head?.judges).toEqual({
      answers: 2,
      cost: expect.closeTo(4.2e-4, 15) as number,
      unpriced: 0,
      cached: 0
    })
    const junit = await compare(head, 'junit')
    expect(junit.stdout).toMatch(
      /<testcase classname="evalgate\.capitals\.mini" name="LLM judge cost per answer"[^>]*>\s*<system-out>NOT GATED: reported only/
    )

    // A rerun: the judge's answers come from the cache, paid for by the run that recorded them.
    const replayed = join(specDir, 'replayed.json')
    expect((await run(specDir, replayed, ['--cache', 'read', ...cache])).code).toBe(0)
    const fromCache =
      "LLM judges (reported only, never gated): the judges' answers on 2 of 2 head answers came from the cache: their cost was spent by the run that recorded them"
    expect((await compare(replayed, 'terminal')).stdout).toContain(`  ${fromCache}\n`)
    expect((await compare(replayed, 'markdown')).stdout).toContain(`- ${fromCache}\n`)

    // A judge without a price: its cost is unknown, not $0.
    await judgedSpec({ dir: specDir, judgeModel: 'gpt-4o', judgePrices: null })
    const unpriced = join(specDir, 'unpriced.json')
    expect((await run(specDir, unpriced, ['--cache', 'read', ...cache])).code).toBe(0)
    const unknown = await compare(unpriced, 'terminal')
    expect(unknown.stdout).toMatch(/LLM judge cost per answer +\$0\.0000210 +– +– +– +– +–\n/)
    expect(unknown.stdout).toContain(
      "the judges' cost is unknown on 2 of 2 head answers judged (no price for the judge's model or its service tier, or no token counts: the run report says which)"
    )
    expect(unknown.stdout).not.toContain('$0 ')
  })

  it('compares a replay missing a grade with the answers it counts, naming the judge of the scorer', async () => {
    const specDir = await judgedSpec()
    const cacheDir = join(specDir, 'cache')
    const recorded = join(specDir, 'recorded.json')
    expect((await run(specDir, recorded, ['--cache', 'write', '--cache-dir', cacheDir])).code).toBe(
      0
    )
    // One grade lost from the cache (as an older evalgate left out a verdict it could not read).
    const entries = (await readdir(cacheDir, { recursive: true })).filter((f) =>
      f.endsWith('.json')
    )
    const texts = await Promise.all(entries.map((f) => readFile(join(cacheDir, f), 'utf8')))
    // A grade's output is the judge's JSON, quoted in the entry; an answer's token counts may
    // hold a `reasoning` field too.
    const grade = entries.find((_, i) => texts[i]?.includes('\\"reasoning\\"'))
    if (!grade) throw new Error('no grade recorded')
    await rm(join(cacheDir, grade))

    const replayed = join(specDir, 'replayed.json')
    await run(specDir, replayed, ['--cache', 'replay', '--cache-dir', cacheDir])
    const missing = (await results(replayed)).suites[0]?.results.find((r) => r.error)
    const compared = await runBundle(cli, ['compare', recorded, replayed, '--no-color'], {
      cwd: specDir
    })
    expect(compared.stdout).toContain('1 of 1 head answers came from the cache')
    // The answer was obtained (from the cache): only its grade is missing.
    expect(compared.stdout).toContain(
      "warning: capitals / mini: 1 head answer obtained but not graded (an LLM judge's grade not in the replay cache): left out of the comparison\n"
    )
    expect(compared.stdout).not.toContain('never obtained')
    expect(missing?.error?.kind).toBe('cache-miss')
    expect(missing?.error?.message).toContain(
      `no cached answer for the judge of polite, case ${missing?.caseId}, repeat 0`
    )
  })

  it("replays a recorded judge's broken verdict as the same judge error, which a run that can call asks again", async () => {
    const specDir = await judgedSpec({ countries: SIX })
    const cache = ['--cache-dir', join(specDir, 'cache')]
    judgeAnswer = (graded) =>
      graded.includes('Germany')
        ? { type: 'answer', text: 'Berlin is right, I would say.' }
        : undefined
    const recorded = join(specDir, 'recorded.json')
    expect((await run(specDir, recorded, ['--cache', 'write', ...cache])).code).toBe(0)
    const recordedErrors = (await results(recorded)).suites[0]?.results.map((r) => r.error)
    expect(recordedErrors?.filter((error) => error !== undefined)).toEqual([
      {
        kind: 'judge:invalid-verdict',
        message: `scorer "polite" failed: the judge's answer is not JSON: "Berlin is right, I would say."`
      }
    ])

    // A replay of the same code reproduces the run, and compares with it as a pass: its scores
    // pass, and one errored answer of 6 in each run leaves only the error rate unsettled (6
    // answers cannot bound a rise within 2 points).
    const replayed = join(specDir, 'replayed.json')
    const replay = await run(specDir, replayed, ['--cache', 'replay', ...cache])
    expect(replay.stdout).not.toContain('not graded')
    expect((await results(replayed)).suites[0]?.results.map((r) => r.error)).toEqual(recordedErrors)
    const compared = await runBundle(cli, ['compare', recorded, replayed, '--no-color'], {
      cwd: specDir
    })
    expect(compared.stdout).toMatch(/mean score .* PASS/)
    expect(compared.stdout).toMatch(/error rate .* INCONCLUSIVE/)
    expect(compared.stdout).toContain('1 inconclusive result, 3 passes')
    expect(compared.code).toBe(0)

    // A run that can call asks the judge again for that answer, and records its verdict.
    judgeAnswer = undefined
    const before = server.requests.length
    const retried = join(specDir, 'retried.json')
    expect((await run(specDir, retried, ['--cache', 'read-write', ...cache])).code).toBe(0)
    expect(judgeRequests(before).map((r) => JSON.stringify(r.body))).toEqual([
      expect.stringContaining('Capital of Germany?')
    ])
    expect(modelRequests(before)).toBe(0)
    const again = join(specDir, 'again.json')
    await run(specDir, again, ['--cache', 'replay', ...cache])
    expect((await results(again)).suites[0]?.results.every((r) => r.pass)).toBe(true)
  })

  it("is an error verdict, not a regression of the model, when the judge's verdicts are broken", async () => {
    const specDir = await judgedSpec({ countries: SIX })
    const base = join(specDir, 'base.json')
    expect((await run(specDir, base)).code).toBe(0)
    // The judge's token limit cuts every verdict off.
    judgeAnswer = () => ({
      type: 'answer',
      text: '{"reasoning": "The answer',
      finishReason: 'length'
    })
    const head = join(specDir, 'head.json')
    expect((await run(specDir, head)).code).toBe(0)
    expect((await results(head)).suites[0]?.results[0]?.error).toEqual({
      kind: 'judge:invalid-verdict',
      message: `scorer "polite" failed: the judge's answer was cut off at its token limit; raise max_completion_tokens (or max_tokens) in the judge's params: "{\\"reasoning\\": \\"The answer"`
    })
    const compared = await runBundle(cli, ['compare', base, head, '--no-color'], { cwd: specDir })
    expect(compared.stdout).toContain('evalgate compare: ERROR')
    expect(compared.stdout).toContain(
      'outage: 100.0% of the head answers could not be graded: the judge gave no usable verdict (judge:invalid-verdict ×6)'
    )
    expect(compared.stdout).not.toContain('REGRESSION')
    expect(compared.code).toBe(1)
  })

  it('says that a judge answered nothing, or refused', async () => {
    const specDir = await judgedSpec()
    judgeAnswer = (graded) =>
      graded.includes('Paris')
        ? { type: 'answer', text: null }
        : { type: 'answer', refusal: "I'm sorry, I can't help with that." }
    const out = join(specDir, 'results.json')
    await run(specDir, out)
    expect((await results(out)).suites[0]?.results.map((r) => r.error)).toEqual([
      {
        kind: 'judge:invalid-verdict',
        message: `scorer "polite" failed: the judge's answer was empty`
      },
      {
        kind: 'judge:invalid-verdict',
        message: `scorer "polite" failed: the judge refused to grade: "I'm sorry, I can't help with that."`
      }
    ])
    expect(server.violations).toEqual([])
  })
})
