import { getEventListeners } from 'node:events'
import { mkdtemp, readFile, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ProviderError } from '../../src/errors.js'
import { fingerprint } from '../../src/results/fingerprint.js'
import { parseRunResult } from '../../src/results/parse.js'
import { summarizeRun } from '../../src/results/summary.js'
import type { TokenUsage } from '../../src/results/types.js'
import { ResponseCache } from '../../src/run/cache.js'
import type { CacheMode } from '../../src/run/cache.js'
import type { Provider, ProviderRequest, ProviderResponse } from '../../src/providers/types.js'
import { executePlan } from '../../src/run/execute.js'
import type { ExecuteOptions } from '../../src/run/execute.js'
import { planRun } from '../../src/run/plan.js'
import type { ProviderSpec, ScorerSpec, SuiteSpec } from '../../src/spec/types.js'
import { cases, suiteSpec } from '../helpers/suite.js'
import { secretForms } from '../../src/spec/providers.js'

const source = { file: 'evals/test.eval.yaml', line: 4, column: 5 }

function providerSpec(id: string, extra: Partial<ProviderSpec> = {}): ProviderSpec {
  return {
    id,
    type: 'module',
    path: '/unused.js',
    export: 'default',
    configFingerprint: `fp-${id}`,
    answerConfigFingerprint: `fp-${id}`,
    source,
    ...extra
  } as ProviderSpec
}

type Answer = (request: ProviderRequest, signal: AbortSignal) => Promise<string>

/** A typed fake provider that counts calls in flight. */
class FakeProvider implements Provider {
  readonly type = 'fake'
  inFlight = 0
  maxInFlight = 0
  calls: ProviderRequest[] = []
  tokens: TokenUsage | undefined
  /** The model and fingerprint the provider reports, as a server would. */
  reported: Pick<ProviderResponse, 'model' | 'fingerprint'> = {}
  constructor(
    readonly id: string,
    private readonly answer: Answer
  ) {}
  async call(request: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse> {
    this.calls.push(request)
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    try {
      const output = await this.answer(request, signal)
      return {
        output,
        latencyMs: 5,
        attempts: 1,
        ...(this.tokens ? { tokens: this.tokens } : {}),
        ...this.reported
      }
    } finally {
      this.inFlight--
    }
  }
}

const noWait = async () => undefined
const tick = () => new Promise<void>((resolve) => setImmediate(resolve))
const upper: Answer = async (request) => {
  await tick()
  return String(request.vars.word).toUpperCase()
}

function options(providers: FakeProvider[], extra: Partial<ExecuteOptions> = {}): ExecuteOptions {
  return {
    concurrency: 4,
    toolVersion: 'test',
    loadModule: async () => undefined,
    createProvider: async (spec) => {
      const provider = providers.find((p) => p.id === spec.id)
      if (!provider) throw new Error(`no fake for ${spec.id}`)
      return provider
    },
    ...extra
  }
}

/** Execute options with a cache in `dir`, quiet about corrupt entries. */
function cacheIn(dir: string, mode: CacheMode): Partial<ExecuteOptions> {
  return { cache: new ResponseCache({ dir, mode, warn: () => undefined }) }
}

/** A clock that only sleeping moves, and the waits it was asked for. */
function fakeTime() {
  let now = 0
  const waits: number[] = []
  const options: Partial<ExecuteOptions> = {
    clock: () => now,
    sleep: async (ms) => {
      waits.push(ms)
      now += ms
    }
  }
  return { options, waits }
}

async function execute(
  suites: SuiteSpec[],
  providers: FakeProvider[],
  extra: Partial<ExecuteOptions> = {}
) {
  return executePlan(planRun(suites), options(providers, extra))
}

describe('executePlan', () => {
  it('answers every case × provider × repeat, scored, in spec order', async () => {
    const a = new FakeProvider('a', upper)
    const b = new FakeProvider('b', async (r) =>
      r.caseId === 'case-1' ? 'wrong' : upper(r, new AbortController().signal)
    )
    const run = await execute(
      [suiteSpec({ providers: [providerSpec('a'), providerSpec('b')], repeats: 2 })],
      [a, b]
    )
    const results = run.suites[0]?.results ?? []
    expect(results.map((r) => `${r.caseId}/${r.providerId}/${r.repeat}`)).toEqual([
      'case-0/a/0',
      'case-0/a/1',
      'case-0/b/0',
      'case-0/b/1',
      'case-1/a/0',
      'case-1/a/1',
      'case-1/b/0',
      'case-1/b/1',
      'case-2/a/0',
      'case-2/a/1',
      'case-2/b/0',
      'case-2/b/1'
    ])
    expect(
      results.filter((r) => r.pass === false).map((r) => `${r.caseId}/${r.providerId}`)
    ).toEqual(['case-1/b', 'case-1/b'])
    expect(results[0]).toMatchObject({
      output: 'W0',
      score: 1,
      pass: true,
      latencyMs: 5,
      attempts: 1,
      cached: false
    })
    expect(run.run.complete).toBe(true)
    expect(a.calls[0]?.prompt).toBe('say w0')
    expect(a.calls[0]?.messages).toEqual([{ role: 'user', content: 'say w0' }])
  })

  it('renders chat-message prompts per case', async () => {
    const a = new FakeProvider('a', upper)
    await execute(
      [
        suiteSpec({
          providers: [providerSpec('a')],
          prompt: [
            { role: 'system', content: 'be brief' },
            { role: 'user', content: 'say {{word}}' }
          ]
        })
      ],
      [a]
    )
    expect(a.calls[1]?.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'say w1' }
    ])
    expect(a.calls[1]?.prompt).toBe('be brief\n\nsay w1')
  })

  it('keeps at most `concurrency` calls in flight, and at most a provider’s own limit', async () => {
    const a = new FakeProvider('a', upper)
    const b = new FakeProvider('b', upper)
    await execute(
      [
        suiteSpec({
          cases: cases(40),
          providers: [providerSpec('a'), providerSpec('b', { concurrency: 2 })]
        })
      ],
      [a, b],
      { concurrency: 5 }
    )
    expect(a.calls).toHaveLength(40)
    expect(b.calls).toHaveLength(40)
    expect(b.maxInFlight).toBe(2)
    expect(a.maxInFlight).toBeLessThanOrEqual(5)
    expect(a.maxInFlight + b.maxInFlight).toBeGreaterThan(2)
  })

  it('records a failed call as an errored case and goes on', async () => {
    const a = new FakeProvider('a', async (r) => {
      if (r.caseId === 'case-1') throw new ProviderError('server', 'provider a: HTTP 503')
      return upper(r, new AbortController().signal)
    })
    const run = await execute([suiteSpec({ providers: [providerSpec('a')] })], [a])
    const errored = run.suites[0]?.results[1]
    expect(errored).toMatchObject({
      caseId: 'case-1',
      output: null,
      score: null,
      pass: null,
      latencyMs: null,
      error: { kind: 'provider:server', message: 'provider a: HTTP 503' }
    })
    expect(run.suites[0]?.results.filter((r) => r.pass)).toHaveLength(2)
  })

  it('times out a call that never answers, even when it ignores the signal', async () => {
    const a = new FakeProvider('a', (r) =>
      r.caseId === 'case-0'
        ? new Promise<string>(() => undefined)
        : upper(r, new AbortController().signal)
    )
    const run = await execute(
      [suiteSpec({ providers: [providerSpec('a', { timeoutMs: 30 })] })],
      [a],
      { sleep: noWait }
    )
    // Timeouts are retried (DEFAULT_RETRY_POLICY: 4 attempts), each attempt with its own timeout.
    expect(run.suites[0]?.results[0]?.error).toEqual({
      kind: 'provider:timeout',
      message: 'provider a: no answer within its timeout of 30 ms (after 4 attempts)'
    })
    expect(run.suites[0]?.results[0]?.attempts).toBe(4)
    expect(run.suites[0]?.results[2]?.pass).toBe(true)
  })

  it('marks a case errored when a scorer throws, keeping the output', async () => {
    const a = new FakeProvider('a', upper)
    const throwing = {
      type: 'numeric',
      name: 'amount',
      weight: 1,
      expected: '{{word}}',
      tolerance: 0,
      source
    } as const
    const run = await execute(
      [suiteSpec({ providers: [providerSpec('a')], scorers: [throwing] })],
      [a]
    )
    const result = run.suites[0]?.results[0]
    expect(result?.output).toBe('W0')
    expect(result?.error?.kind).toBe('scorer')
    expect(result?.error?.message).toMatch(/amount/)
  })

  it('on cancellation stops starting calls and returns what finished, marked incomplete', async () => {
    const controller = new AbortController()
    let answered = 0
    const a = new FakeProvider('a', async (r, signal) => {
      if (++answered === 10) controller.abort('SIGINT')
      await tick()
      if (signal.aborted) throw new ProviderError('cancelled', 'cancelled')
      return String(r.vars.word).toUpperCase()
    })
    const run = await execute(
      [suiteSpec({ cases: cases(100), providers: [providerSpec('a')] })],
      [a],
      { concurrency: 2, signal: controller.signal }
    )
    expect(run.run.complete).toBe(false)
    expect(run.run.incompleteReason).toMatch(/^cancelled \(SIGINT\) after \d+ of 100 answers$/)
    const results = run.suites[0]?.results ?? []
    expect(results.length).toBeGreaterThan(5)
    expect(results.length).toBeLessThan(12)
    expect(results.every((r) => r.error === undefined)).toBe(true)
    expect(a.calls.length).toBeLessThan(13)
  })

  describe('with a javascript scorer that never settles on case-1', () => {
    /** The scorer as the suite's module exports it; `onHang` runs when it starts hanging. */
    function hangingScorer(onHang: () => void = () => undefined) {
      return ({ output, vars }: { output: string; vars: Record<string, unknown> }) => {
        if (vars.word === 'w1') {
          onHang()
          return new Promise<boolean>(() => undefined)
        }
        return output === vars.expected
      }
    }
    const javascriptSpec: ScorerSpec = {
      type: 'javascript',
      name: 'checks-word',
      weight: 1,
      // Read for the scorers' fingerprint; loadModule below supplies the function.
      path: fileURLToPath(import.meta.url),
      export: 'default',
      source
    }

    it('errors that case once the suite’s timeout has passed, naming scorer and limit, and goes on', async () => {
      const run = await execute(
        [
          suiteSpec({
            providers: [providerSpec('a')],
            scorers: [javascriptSpec],
            timeoutMs: 50
          })
        ],
        [new FakeProvider('a', upper)],
        { loadModule: async () => hangingScorer() }
      )
      expect(run.run.complete).toBe(true)
      const [first, second, third] = run.suites[0]?.results ?? []
      expect(second).toMatchObject({
        caseId: 'case-1',
        output: 'W1',
        score: null,
        pass: null,
        error: {
          kind: 'scorer',
          message: 'scorer "checks-word" failed: no result within the suite\'s timeout of 50 ms'
        }
      })
      expect([first?.pass, third?.pass]).toEqual([true, true])
    })

    it('on cancellation returns what finished, marked incomplete, without waiting for it', async () => {
      const controller = new AbortController()
      const run = await execute(
        [
          suiteSpec({
            providers: [providerSpec('a')],
            scorers: [javascriptSpec],
            timeoutMs: 60_000
          })
        ],
        [new FakeProvider('a', upper)],
        {
          concurrency: 1,
          signal: controller.signal,
          loadModule: async () => hangingScorer(() => controller.abort('SIGINT'))
        }
      )
      expect(run.run).toMatchObject({
        complete: false,
        incompleteReason: 'cancelled (SIGINT) after 1 of 3 answers'
      })
      expect(run.suites[0]?.results.map((r) => [r.caseId, r.pass])).toEqual([['case-0', true]])
    })
  })

  it('fingerprints the case set and scorers, not the prompt or providers', async () => {
    const a = new FakeProvider('a', upper)
    const first = await execute([suiteSpec({ providers: [providerSpec('a')] })], [a])
    const otherPrompt = await execute(
      [suiteSpec({ providers: [providerSpec('a')], prompt: 'shout {{word}}' })],
      [a]
    )
    const otherCases = await execute(
      [suiteSpec({ providers: [providerSpec('a')], cases: cases(4) })],
      [a]
    )
    expect(otherPrompt.suites[0]?.fingerprint).toBe(first.suites[0]?.fingerprint)
    expect(otherCases.suites[0]?.casesFingerprint).not.toBe(first.suites[0]?.casesFingerprint)
    expect(otherCases.suites[0]?.scorersFingerprint).toBe(first.suites[0]?.scorersFingerprint)
    // Each case's variables have a fingerprint of their own, so compare can tell an edited case.
    expect(first.suites[0]?.cases[1]).toEqual({
      id: 'case-1',
      source: 'evals/cases.jsonl:2',
      varsFingerprint: fingerprint({ word: 'w1', expected: 'W1' })
    })
  })

  it('retries a retryable failure and records the attempts and the time waited', async () => {
    let failures = 0
    const a = new FakeProvider('a', async (r) => {
      if (r.caseId === 'case-0' && failures++ < 2)
        throw new ProviderError('server', 'HTTP 503', { retryable: true })
      if (r.caseId === 'case-1') throw new ProviderError('bad-request', 'HTTP 400')
      if (r.caseId === 'case-2') throw new ProviderError('server', 'HTTP 500', { retryable: true })
      return String(r.vars.word).toUpperCase()
    })
    const policy = { maxAttempts: 3, baseDelayMs: 400, maxDelayMs: 10_000 }
    const run = await execute(
      [suiteSpec({ providers: [providerSpec('a', { retry: policy })] })],
      [a],
      { sleep: noWait, random: () => 0.5 }
    )
    const [first, second, third] = run.suites[0]?.results ?? []
    // Full jitter at 0.5: half of 400 ms, then half of 800 ms.
    expect(first).toMatchObject({ pass: true, attempts: 3, retryWaitMs: 600 })
    expect(second).toMatchObject({
      attempts: 1,
      error: { kind: 'provider:bad-request', message: 'HTTP 400' }
    })
    expect(second).not.toHaveProperty('retryWaitMs')
    expect(third).toMatchObject({
      attempts: 3,
      retryWaitMs: 600,
      error: { kind: 'provider:server', message: 'HTTP 500 (after 3 attempts)' }
    })
  })

  it('replays answers from the cache without calling, and without latency', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-cache-'))
    const suites = [suiteSpec({ providers: [providerSpec('a')] })]
    const recorder = new FakeProvider('a', upper)
    await execute(suites, [recorder], cacheIn(dir, 'read-write'))
    expect(recorder.calls).toHaveLength(3)
    const replayer = new FakeProvider('a', upper)
    const replayed = await execute(suites, [replayer], cacheIn(dir, 'replay'))
    expect(replayer.calls).toHaveLength(0)
    expect(replayed.suites[0]?.results[0]).toMatchObject({
      output: 'W0',
      pass: true,
      cached: true,
      latencyMs: null,
      attempts: 0
    })
    const more = await execute(
      [suiteSpec({ providers: [providerSpec('a')], cases: cases(4) })],
      [replayer],
      cacheIn(dir, 'replay')
    )
    expect(more.suites[0]?.results[3]).toMatchObject({
      caseId: 'case-3',
      output: null,
      attempts: 0,
      error: { kind: 'cache-miss' }
    })
    expect(replayer.calls).toHaveLength(0)
  })

  it('prices the tokens an openai provider reports', async () => {
    const priced = new FakeProvider('gpt', upper)
    priced.tokens = { input: 1000, cachedInput: 400, output: 200 }
    const spec = {
      id: 'gpt',
      type: 'openai',
      model: 'gpt-4o-mini',
      params: {},
      stream: false,
      configFingerprint: 'f',
      answerConfigFingerprint: 'f',
      source
    } as const
    const run = await execute([suiteSpec({ providers: [spec] })], [priced])
    // gpt-4o-mini: $0.15 input, $0.075 cached input, $0.60 output per 1M tokens:
    // (600 × 0.15 + 400 × 0.075 + 200 × 0.6) / 1e6 = (90 + 30 + 120) / 1e6 = 0.00024
    expect(run.suites[0]?.results[0]?.cost).toBeCloseTo(0.00024, 12)
    expect(run.suites[0]?.providers[0]).toMatchObject({ id: 'gpt', model: 'gpt-4o-mini' })
  })

  it('errors an answer whose token counts no answer can have, so its RunResult stays readable', async () => {
    const huge = new FakeProvider('a', upper)
    huge.tokens = { input: 1e308, output: 1 }
    const run = await execute([suiteSpec({ providers: [providerSpec('a')] })], [huge])
    const [result] = run.suites[0]?.results ?? []
    expect(result).toMatchObject({ output: null, score: null })
    expect(result?.tokens).toBeUndefined()
    expect(result?.error).toEqual({
      kind: 'provider:malformed-response',
      message: 'provider a: reported 1e+308 input tokens; a token count is a number from 0 to 1e+12'
    })
    // What a run writes, its reader takes back.
    expect(() => parseRunResult(JSON.stringify(run), 'run.json')).not.toThrow()
  })

  it('records the four token counts of an answer, not whatever else a provider sent along', async () => {
    const chatty = new FakeProvider('a', upper)
    chatty.tokens = { input: 5, output: 1, total: 6 } as TokenUsage
    const run = await execute([suiteSpec({ providers: [providerSpec('a')] })], [chatty])
    expect(run.suites[0]?.results[0]?.tokens).toEqual({ input: 5, output: 1 })
    expect(() => parseRunResult(JSON.stringify(run), 'run.json')).not.toThrow()
  })

  it('shares one rate limit among the suites that call the same provider', async () => {
    const time = fakeTime()
    const limited = providerSpec('a', { rateLimit: { requestsPerMinute: 60 } })
    const a = new FakeProvider('a', upper)
    await execute(
      [
        suiteSpec({ suite: 'one', providers: [limited], cases: cases(2) }),
        suiteSpec({ suite: 'two', providers: [limited], cases: cases(2) })
      ],
      [a],
      time.options
    )
    expect(a.calls).toHaveLength(4)
    // One a second for the account, not for each suite: four calls take three waits (the first
    // 50 ms short: the bucket's leeway for a late timer).
    expect(time.waits).toEqual([950, 1000, 1000])
  })

  describe('while a provider waits for its rate limit or a retry', () => {
    /** A clock that stands still: every sleep waits until the test lets the time pass. */
    function stoppedTime() {
      let now = 0
      const sleeping: { ms: number; wake: () => void }[] = []
      const options: Partial<ExecuteOptions> = {
        clock: () => now,
        sleep: (ms) => new Promise<void>((wake) => sleeping.push({ ms, wake })),
        random: () => 0.5
      }
      /** Wakes the sleepers, the clock moved on by the longest wait. */
      const pass = () => {
        const woken = sleeping.splice(0)
        now += Math.max(0, ...woken.map((s) => s.ms))
        for (const sleeper of woken) sleeper.wake()
      }
      return { options, pass }
    }

    /** Lets the run go on until `done`, without the clock moving (a bounded number of turns). */
    async function turnsUntil(done: () => boolean) {
      for (let turn = 0; turn < 500 && !done(); turn++) await tick()
    }

    it.each([
      ['its rate limit', { rateLimit: { requestsPerMinute: 6 } }, upper],
      [
        'a retry',
        { retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 10_000 } },
        async (r: ProviderRequest): Promise<string> => {
          await tick()
          if (r.caseId !== 'case-0')
            throw new ProviderError('server', 'HTTP 503', { retryable: true })
          return String(r.vars.word).toUpperCase()
        }
      ]
    ] as const)(
      'holds none of the run’s concurrency while it waits for %s',
      async (_what, a, answer) => {
        const time = stoppedTime()
        const waiting = new FakeProvider('a', answer)
        const other = new FakeProvider('b', upper)
        const running = execute(
          [
            suiteSpec({
              cases: cases(6),
              providers: [providerSpec('a', a as Partial<ProviderSpec>), providerSpec('b')]
            })
          ],
          [waiting, other],
          { concurrency: 2, ...time.options }
        )
        // No time passes: provider a is still waiting, yet b answers every case.
        await turnsUntil(() => other.calls.length === 6)
        expect(other.calls).toHaveLength(6)
        expect(waiting.calls.length).toBeLessThan(6)
        let finished = false
        const finish = () => void (finished = true)
        running.then(finish, finish)
        while (!finished) {
          time.pass()
          await tick()
        }
        const run = await running
        expect(run.suites[0]?.results).toHaveLength(12)
      }
    )
  })

  it('shares a provider’s concurrency among the suites that call it, the smallest one set', async () => {
    const a = new FakeProvider('a', async (request) => {
      for (let i = 0; i < 5; i++) await tick()
      return String(request.vars.word).toUpperCase()
    })
    await execute(
      [
        suiteSpec({
          suite: 'one',
          providers: [providerSpec('a', { concurrency: 3 })],
          cases: cases(12)
        }),
        suiteSpec({
          suite: 'two',
          providers: [providerSpec('a', { concurrency: 2 })],
          cases: cases(12)
        }),
        suiteSpec({ suite: 'three', providers: [providerSpec('a')], cases: cases(12) })
      ],
      [a],
      { concurrency: 10 }
    )
    expect(a.calls).toHaveLength(36)
    expect(a.maxInFlight).toBe(2)
  })

  it('a provider that cannot start is a clear input error naming its spec line', async () => {
    const run = execute([suiteSpec({ providers: [providerSpec('ghost')] })], [])
    await expect(run).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('evals/test.eval.yaml:4:5: providers[0]: no fake for ghost')
    })
  })
})

describe('executePlan and the cache', () => {
  it('keys an openai answer on what is sent: a fix of an expected label still replays', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-cache-'))
    const openai = providerSpec('a', {
      type: 'openai',
      model: 'gpt-4o-mini',
      params: {},
      stream: false
    } as Partial<ProviderSpec>)
    const relabelled = cases(3).map((c) => ({ ...c, vars: { ...c.vars, expected: 'fixed' } }))
    await execute([suiteSpec({ providers: [openai] })], [new FakeProvider('a', upper)], {
      ...cacheIn(dir, 'write')
    })
    const model = new FakeProvider('a', upper)
    const replayed = await execute(
      [suiteSpec({ providers: [openai], cases: relabelled })],
      [model],
      cacheIn(dir, 'replay')
    )
    expect(model.calls).toHaveLength(0)
    expect(replayed.suites[0]?.results.every((r) => r.cached && r.error === undefined)).toBe(true)

    // A module provider is given the variables: a change of any of them is a new request.
    const moduleModel = new FakeProvider('b', upper)
    await execute([suiteSpec({ providers: [providerSpec('b')] })], [moduleModel], {
      ...cacheIn(dir, 'write')
    })
    const again = new FakeProvider('b', upper)
    await execute([suiteSpec({ providers: [providerSpec('b')], cases: relabelled })], [again], {
      ...cacheIn(dir, 'read-write')
    })
    expect(again.calls).toHaveLength(3)
  })
})

describe('executePlan and secrets', () => {
  it('writes back a secret a server echoes in the model or fingerprint it reports, or escaped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-cache-'))
    const secret = 'sk-live/ECHOED+key-0123456789'
    const proxy = new FakeProvider('a', async () => `{"auth":"${secret.replace('/', '\\/')}"}`)
    proxy.reported = { model: `proxy(Bearer ${secret})`, fingerprint: `fp-${secret.toLowerCase()}` }
    const run = await execute(
      [suiteSpec({ providers: [providerSpec('a', { secrets: secretForms('KEY', secret) })] })],
      [proxy],
      cacheIn(dir, 'write')
    )
    const written = JSON.stringify(run)
    const cached = await Promise.all(
      (await readdir(dir, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => readFile(join(entry.parentPath, entry.name), 'utf8'))
    )
    for (const text of [written, cached.join('\n')]) {
      expect(text).not.toContain('ECHOED')
      expect(text).not.toContain('echoed')
    }
    expect(run.suites[0]?.results[0]).toMatchObject({
      model: 'proxy(Bearer ${KEY})',
      fingerprint: 'fp-${KEY}'
    })
  })

  it("writes back every provider's secret in every answer, before the cache and the results", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-cache-'))
    const secret = 'sk-secret-of-a-0123456789'
    // `b`, a command under test, prints the key of provider `a` of the same suite.
    const a = new FakeProvider('a', upper)
    const b = new FakeProvider('b', async () => `leaked ${secret}`)
    const run = await execute(
      [
        suiteSpec({
          providers: [
            providerSpec('a', { secrets: [{ name: 'A_KEY', value: secret }] }),
            providerSpec('b')
          ]
        })
      ],
      [a, b],
      cacheIn(dir, 'write')
    )
    const answers = run.suites[0]?.results.filter((r) => r.providerId === 'b') ?? []
    expect(answers.length).toBeGreaterThan(0)
    expect(answers.every((r) => r.output === 'leaked ${A_KEY}')).toBe(true)
    const cached = await Promise.all(
      (await readdir(dir, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => readFile(join(entry.parentPath, entry.name), 'utf8'))
    )
    expect(cached.length).toBeGreaterThan(0)
    expect(cached.join('\n')).not.toContain(secret)
    expect(cached.join('\n')).toContain('leaked ${A_KEY}')
  })
})

describe('executePlan with an LLM judge', () => {
  /** A judge that gives every answer 5 of 5, after a tick, and counts its calls in flight. */
  const judgeFake = () =>
    new FakeProvider('judge', async () => {
      await tick()
      return JSON.stringify({ reasoning: 'Says the word.', score: 5 })
    })

  function judgedSuite(judge: Partial<ProviderSpec> = {}, count = 3, repeats = 1): SuiteSpec {
    const scorer: ScorerSpec = {
      type: 'llm-judge',
      name: 'judge',
      weight: 1,
      rubric: 'The answer is the word in capitals.',
      scale: 5,
      threshold: 0.5,
      judge: providerSpec('judge', judge),
      source
    }
    return suiteSpec({
      providers: [providerSpec('a')],
      scorers: [scorer],
      cases: cases(count),
      repeats
    })
  }

  it('redacts an answer read from the cache before the judge sees it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-cache-'))
    const secret = 'sk-judge-key-0123456789'
    const leaky = new FakeProvider('a', async () => `leaked ${secret}`)
    // Recorded before the secret was one of the run's: the cache holds it as answered.
    await execute([judgedSuite()], [leaky, judgeFake()], cacheIn(dir, 'read-write'))
    const judge = judgeFake()
    const run = await execute(
      [judgedSuite({ secrets: [{ name: 'J_KEY', value: secret }] })],
      [new FakeProvider('a', upper), judge],
      cacheIn(dir, 'read-write')
    )
    expect(run.suites[0]?.results.every((r) => r.cached)).toBe(true)
    expect(judge.calls.length).toBeGreaterThan(0)
    expect(judge.calls.map((c) => c.prompt).join('\n')).toContain('leaked ${J_KEY}')
    expect(judge.calls.map((c) => c.prompt).join('\n')).not.toContain(secret)
  })

  it('records judgements in the cache: a replay calls neither the model nor the judge', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-cache-'))
    const suites = [judgedSuite({}, 3, 2)]
    const judge = judgeFake()
    const recorded = await execute(
      suites,
      [new FakeProvider('a', upper), judge],
      cacheIn(dir, 'read-write')
    )
    // The same answer twice is judged twice: each repeat's judgement is a sample of its own.
    expect(judge.calls.map((r) => `${r.caseId}/${r.repeat}`).sort()).toEqual([
      'case-0/0',
      'case-0/1',
      'case-1/0',
      'case-1/1',
      'case-2/0',
      'case-2/1'
    ])

    const model = new FakeProvider('a', upper)
    const replayJudge = judgeFake()
    const replayed = await execute(suites, [model, replayJudge], cacheIn(dir, 'replay'))
    expect(model.calls).toHaveLength(0)
    expect(replayJudge.calls).toHaveLength(0)
    const scores = (run: typeof recorded) => run.suites[0]?.results.map((r) => r.scores)
    expect(scores(replayed)).toEqual(scores(recorded))
    expect(replayed.suites[0]?.results[0]?.scores).toEqual([
      { scorer: 'judge', score: 1, pass: true, reason: 'Says the word.' }
    ])
  })

  it('records no answer of the judge that is not a verdict, so the next run asks again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-cache-'))
    const refusing = new FakeProvider('judge', async () => "I'm sorry, I can't help with that.")
    const refused = await execute(
      [judgedSuite()],
      [new FakeProvider('a', upper), refusing],
      cacheIn(dir, 'read-write')
    )
    expect(refused.suites[0]?.results[0]?.error?.message).toContain('not JSON')
    const judge = judgeFake()
    const next = await execute(
      [judgedSuite()],
      [new FakeProvider('a', upper), judge],
      cacheIn(dir, 'read-write')
    )
    expect(judge.calls).toHaveLength(3)
    expect(next.suites[0]?.results.every((r) => r.pass === true)).toBe(true)
  })

  it('leaves the case out as a cache miss, naming the judge, when a replay has no judgement recorded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-cache-'))
    // Answers recorded with a plain scorer: the cache has the model's answers, no judgement.
    await execute(
      [suiteSpec({ providers: [providerSpec('a')] })],
      [new FakeProvider('a', upper)],
      cacheIn(dir, 'read-write')
    )
    const judge = judgeFake()
    const replayed = await execute(
      [judgedSuite()],
      [new FakeProvider('a', upper), judge],
      cacheIn(dir, 'replay')
    )
    expect(judge.calls).toHaveLength(0)
    expect(replayed.suites[0]?.results[0]).toMatchObject({
      output: 'W0',
      cached: true,
      score: null,
      error: {
        kind: 'cache-miss',
        message: expect.stringContaining(
          'no cached answer for the judge of judge, case case-0, repeat 0'
        )
      }
    })
    // Missing, as an answer missing from the cache is: out of the pass rate, counted apart.
    const summary = summarizeRun(replayed)[0]
    expect(summary).toMatchObject({ missing: replayed.suites[0]?.results.length, errors: 0 })
  })

  it('keeps at most the judge’s own concurrency in flight, whichever suites it judges', async () => {
    const judge = judgeFake()
    const run = await execute(
      [
        judgedSuite({ concurrency: 1 }, 12),
        { ...judgedSuite({ concurrency: 1 }, 12), suite: 'other' }
      ],
      [new FakeProvider('a', upper), judge],
      {
        concurrency: 6
      }
    )
    expect(judge.calls).toHaveLength(24)
    expect(judge.maxInFlight).toBe(1)
    expect(run.suites.flatMap((suite) => suite.results).every((r) => r.pass === true)).toBe(true)
  })

  it('paces the judge by its rate limit', async () => {
    const time = fakeTime()
    const judge = judgeFake()
    await execute(
      [judgedSuite({ rateLimit: { requestsPerMinute: 60 } }, 4)],
      [new FakeProvider('a', upper), judge],
      time.options
    )
    expect(judge.calls).toHaveLength(4)
    // 60 a minute is one a second: the first goes at once, then one every 1,000 ms (the first
    // wait 50 ms short: the bucket's leeway for a late timer).
    expect(time.waits).toEqual([950, 1000, 1000])
  })

  it('listens to the run’s signal a few times, not once per task, however many suites wait', async () => {
    // Each suite starts up to `concurrency` tasks, all waiting for the run's slots and the judge:
    // Node's cost to add or remove a listener grows with how many the signal has.
    const controller = new AbortController()
    const listening: number[] = []
    const countListeners = () =>
      listening.push(getEventListeners(controller.signal, 'abort').length)
    const model = new FakeProvider('a', async (request) => {
      countListeners()
      return upper(request, controller.signal)
    })
    const judge = new FakeProvider('judge', async () => {
      countListeners()
      await tick()
      return JSON.stringify({ reasoning: 'Says the word.', score: 5 })
    })
    const suites = Array.from({ length: 30 }, (_, i) => ({
      ...judgedSuite({ concurrency: 1 }, 4),
      suite: `suite-${i}`
    }))
    const run = await execute(suites, [model, judge], { concurrency: 4, signal: controller.signal })
    expect(run.suites.flatMap((suite) => suite.results).every((r) => r.pass === true)).toBe(true)
    expect(listening).toHaveLength(240)
    // The scheduler, the scoring of every task, each kind of slot waited for (the run's, the
    // judge's), and each call in flight (its timeout).
    expect(Math.max(...listening)).toBeLessThanOrEqual(4 + 4)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('leaves out a case whose judge the cancellation cut short, rather than erroring it', async () => {
    const controller = new AbortController()
    const judge = new FakeProvider('judge', async (request, signal) => {
      if (request.caseId === 'case-1') {
        controller.abort('SIGINT')
        if (signal.aborted) throw new ProviderError('cancelled', 'the run was cancelled')
      }
      return JSON.stringify({ reasoning: 'Says the word.', score: 5 })
    })
    const run = await execute([judgedSuite()], [new FakeProvider('a', upper), judge], {
      concurrency: 1,
      signal: controller.signal
    })
    expect(run.run.complete).toBe(false)
    expect(run.suites[0]?.results.map((r) => [r.caseId, r.pass, r.error])).toEqual([
      ['case-0', true, undefined]
    ])
  })

  it('retries a judge per its own policy and gives up as an errored case of the judge, not a score of 0', async () => {
    const judge = new FakeProvider('judge', async () => {
      throw new ProviderError('server', 'provider judge: HTTP 503: busy', { retryable: true })
    })
    const run = await execute(
      [judgedSuite({ retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } }, 1)],
      [new FakeProvider('a', upper), judge],
      { sleep: noWait }
    )
    expect(judge.calls).toHaveLength(3)
    expect(run.suites[0]?.results[0]).toMatchObject({
      output: 'W0',
      score: null,
      error: {
        // The judge's kind, not `scorer`: a judge that is down is an outage, not a broken answer.
        kind: 'judge:server',
        message: expect.stringContaining('HTTP 503: busy (after 3 attempts)')
      }
    })
  })
})
