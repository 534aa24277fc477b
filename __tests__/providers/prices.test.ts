import { BUILT_IN_PRICES, builtInPrice, callCost, costOf } from '../../src/providers/prices.js'
import type { OpenAIProviderSpec } from '../../src/spec/types.js'

describe('costOf', () => {
  it('bills cached input at the cached rate and not also at the full rate', () => {
    // gpt-4o-mini: $0.15 in, $0.075 cached, $0.60 out per 1M.
    // (1000 − 400) × 0.15 + 400 × 0.075 + 500 × 0.60 = 90 + 30 + 300 = 420 → $0.000420
    expect(costOf('gpt-4o-mini', { input: 1000, cachedInput: 400, output: 500 })).toBeCloseTo(
      0.00042,
      12
    )
    // gpt-5: $1.25 in, $0.125 cached, $10 out.
    // 2000 × 1.25 + 8000 × 0.125 + 1000 × 10 = 2500 + 1000 + 10000 = 13500 → $0.0135
    expect(costOf('gpt-5', { input: 10_000, cachedInput: 8000, output: 1000 })).toBeCloseTo(
      0.0135,
      12
    )
  })

  it('prices a dated snapshot as its model', () => {
    // gpt-4.1-mini: 3000 × 0.40 + 1000 × 1.60 = 1200 + 1600 = 2800 → $0.0028
    expect(costOf('gpt-4.1-mini-2025-04-14', { input: 3000, output: 1000 })).toBeCloseTo(0.0028, 12)
    expect(builtInPrice('gpt-4o-mini-2024-07-18')).toBe(BUILT_IN_PRICES['gpt-4o-mini'])
  })

  it('keeps the launch price of the first gpt-4o snapshot, with no cached discount', () => {
    // $5 in, $15 out, cached billed as input: 1000 × 5 + 100 × 15 = 6500 → $0.0065
    expect(costOf('gpt-4o-2024-05-13', { input: 1000, cachedInput: 200, output: 100 })).toBeCloseTo(
      0.0065,
      12
    )
    // Any later gpt-4o snapshot is the current gpt-4o: 1000 × 2.5 + 100 × 10 = 3500 → $0.0035
    expect(costOf('gpt-4o-2024-08-06', { input: 1000, output: 100 })).toBeCloseTo(0.0035, 12)
  })

  it('does not add reasoning tokens again: they are part of the output tokens', () => {
    // o4-mini: $1.10 in, $4.40 out; 3000 output tokens of which 2500 reasoning.
    // 2000 × 1.10 + 3000 × 4.40 = 2200 + 13200 = 15400 → $0.0154
    expect(costOf('o4-mini', { input: 2000, output: 3000, reasoning: 2500 })).toBeCloseTo(
      0.0154,
      12
    )
  })

  it('is unknown (null), never 0, without a price or without token counts', () => {
    expect(costOf('my-local-llama', { input: 10, output: 10 })).toBeNull()
    expect(costOf('ft:gpt-4o-mini-2024-07-18:acme::abc123', { input: 10, output: 10 })).toBeNull()
    expect(costOf('gpt-4o-mini', undefined)).toBeNull()
    expect(costOf('gpt-4o-mini', { input: 0, output: 0 })).toBe(0)
  })

  it('uses the spec override before the table, cached at the input rate when it has none', () => {
    // 1,000,000 × $1 + 500,000 × $2 = $2
    expect(
      costOf('my-local-llama', { input: 1_000_000, output: 500_000 }, { input: 1, output: 2 })
    ).toBeCloseTo(2, 12)
    // Override wins over the built-in gpt-4o price; cached 600k at $0.5, rest 400k at $1:
    // 400,000 × 1 + 600,000 × 0.5 + 0 = 700,000 → $0.70
    expect(
      costOf(
        'gpt-4o',
        { input: 1_000_000, cachedInput: 600_000, output: 0 },
        { input: 1, cachedInput: 0.5, output: 2 }
      )
    ).toBeCloseTo(0.7, 12)
    // No cachedInput in the override: all 1M input at $1 → $1
    expect(
      costOf('x', { input: 1_000_000, cachedInput: 600_000, output: 0 }, { input: 1, output: 2 })
    ).toBeCloseTo(1, 12)
  })

  it('dates every built-in price and names its source', () => {
    for (const [model, entry] of Object.entries(BUILT_IN_PRICES)) {
      expect({ model, asOf: /^\d{4}-\d{2}-\d{2}$/.test(entry.asOf) }).toEqual({ model, asOf: true })
      expect(entry.source).toMatch(/^https:\/\//)
      expect(entry.output).toBeGreaterThan(0)
    }
  })

  it('prices gpt-5.1 and gpt-5.2, and knows no price for a name of an object’s machinery', () => {
    // gpt-5.2: $1.75 in, $0.175 cached, $14 out: 1000 × 1.75 + 1000 × 14 = 15750 → $0.01575
    expect(costOf('gpt-5.2-2025-12-11', { input: 1000, output: 1000 })).toBeCloseTo(0.01575, 12)
    // gpt-5.1: $1.25 in, $10 out: 1000 × 1.25 + 1000 × 10 = 11250 → $0.01125
    expect(costOf('gpt-5.1', { input: 1000, output: 1000 })).toBeCloseTo(0.01125, 12)
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(costOf(name, { input: 10, output: 10 })).toBeNull()
    }
  })
})

describe('callCost', () => {
  const openai = (extra: Partial<OpenAIProviderSpec> = {}): OpenAIProviderSpec => ({
    id: 'gpt',
    type: 'openai',
    model: 'gpt-4o-mini',
    params: {},
    stream: false,
    configFingerprint: 'f',
    answerConfigFingerprint: 'f',
    source: { file: 'evals/x.eval.yaml' },
    ...extra
  })
  const tokens = { input: 1_000_000, output: 1_000_000 }

  it('prices OpenAI’s own API at its standard tier from the table', () => {
    // gpt-4o-mini: $0.15 + $0.60
    expect(callCost(openai(), { tokens })).toBeCloseTo(0.75, 12)
    expect(callCost(openai({ baseUrl: 'https://api.openai.com/v1' }), { tokens })).toBeCloseTo(
      0.75,
      12
    )
    expect(callCost(openai(), { tokens, serviceTier: 'default' })).toBeCloseTo(0.75, 12)
  })

  it('leaves unknown, not wrong, a compatible server’s answer and another tier’s', () => {
    expect(callCost(openai({ baseUrl: 'http://localhost:8000/v1' }), { tokens })).toBeNull()
    expect(
      callCost(openai({ baseUrl: 'https://x.openai.azure.com/openai/v1' }), { tokens })
    ).toBeNull()
    expect(callCost(openai(), { tokens, serviceTier: 'flex' })).toBeNull()
    expect(callCost(openai(), { tokens, serviceTier: 'priority' })).toBeNull()
  })

  it('prices a module, exec or http provider’s answers at its `prices:`', () => {
    const module = {
      id: 'app',
      type: 'module',
      path: '/repo/app.js',
      export: 'default',
      prices: { input: 1, output: 2 },
      configFingerprint: 'f',
      answerConfigFingerprint: 'f',
      specDirectory: 'evals',
      source: { file: 'evals/x.eval.yaml' }
    } as const
    // A model the table does not know: 1M × $1 + 1M × $2.
    expect(callCost(module, { model: 'my-finetune', tokens })).toBeCloseTo(3, 12)
  })

  it('prices at the spec’s prices wherever the answer came from', () => {
    const prices = { input: 1, output: 2 }
    expect(
      callCost(openai({ baseUrl: 'http://localhost:8000/v1', prices }), {
        tokens,
        serviceTier: 'flex'
      })
    ).toBeCloseTo(3, 12)
  })
})
