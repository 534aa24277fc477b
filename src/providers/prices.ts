import type { TokenUsage } from '../results/types.js'
import type { PriceSpec, ProviderSpec } from '../spec/types.js'

/** OpenAI's own API: where an `openai` provider without `base-url` goes, and whose prices are built in. */
export const OPENAI_API_URL = 'https://api.openai.com/v1'
const OPENAI_API_HOST = new URL(OPENAI_API_URL).hostname

/** USD per 1M tokens, with the date the price was read and where. */
export interface ModelPrice extends PriceSpec {
  asOf: string
  source: string
}

/** The price page of every entry read on the same day, before OpenAI moved it. */
const PRICING_PAGE = { asOf: '2025-08-07', source: 'https://openai.com/api/pricing' }

function price(
  input: number,
  cachedInput: number | undefined,
  output: number,
  read: { asOf: string; source: string } = PRICING_PAGE
): ModelPrice {
  return {
    input,
    ...(cachedInput !== undefined ? { cachedInput } : {}),
    output,
    ...read
  }
}

/**
 * Standard (not batch, not flex, not priority) text-token prices of OpenAI models, keyed by the
 * model id without its date. Only prices known for certain are listed: an unknown model costs
 * `null` (unknown), never 0. Later models are left out where sources disagree; a spec's
 * `prices:` prices them, and overrides this table. Prices change: `asOf` says how old an entry is.
 */
export const BUILT_IN_PRICES: Readonly<Record<string, ModelPrice>> = {
  'gpt-5.2': price(1.75, 0.175, 14, {
    asOf: '2026-11-29',
    source: 'https://nicolalazzari.ai/articles/openai-api-pricing-explained-2026'
  }),
  'gpt-5.1': price(1.25, 0.125, 10, {
    asOf: '2026-11-29',
    source: 'https://koishiai.com/en/articles/openai-gpt-5-1-api-pricing-limits'
  }),
  'gpt-5': price(1.25, 0.125, 10),
  'gpt-5-mini': price(0.25, 0.025, 2),
  'gpt-5-nano': price(0.05, 0.005, 0.4),
  'gpt-4.1': price(2, 0.5, 8),
  'gpt-4.1-mini': price(0.4, 0.1, 1.6),
  'gpt-4.1-nano': price(0.1, 0.025, 0.4),
  'gpt-4o': price(2.5, 1.25, 10),
  // The first gpt-4o snapshot kept its launch price and had no cached-input discount.
  'gpt-4o-2024-05-13': price(5, undefined, 15),
  'gpt-4o-mini': price(0.15, 0.075, 0.6),
  o3: price(2, 0.5, 8),
  'o3-mini': price(1.1, 0.55, 4.4),
  'o4-mini': price(1.1, 0.275, 4.4),
  o1: price(15, 7.5, 60)
}

/** `gpt-4o-mini-2024-07-18` → `gpt-4o-mini`; a dated snapshot is billed as its model. */
function baseModel(model: string): string {
  return model.replace(/-\d{4}-\d{2}-\d{2}$/, '')
}

/**
 * The built-in price of a model as the API reports it (`response.model`, often a dated snapshot)
 * or as configured. Fine-tuned (`ft:…`) and unknown models have none; so have the names of an
 * object's own machinery (`constructor`).
 */
export function builtInPrice(model: string): ModelPrice | undefined {
  for (const name of [model, baseModel(model)]) {
    if (Object.hasOwn(BUILT_IN_PRICES, name)) return BUILT_IN_PRICES[name]
  }
  return undefined
}

/**
 * USD cost of one call, or null when the price or the token counts are unknown — never 0 for
 * "unknown". Billing as OpenAI does: `tokens.input` (prompt_tokens) includes the cached tokens,
 * which are billed at the cached rate and not also at the full rate (the full input rate when no
 * cached rate is known); `tokens.output` (completion_tokens) already includes the reasoning
 * tokens, so `tokens.reasoning` is not added again.
 */
export function costOf(
  model: string,
  tokens: TokenUsage | undefined,
  override?: PriceSpec
): number | null {
  const rates = override ?? builtInPrice(model)
  if (!rates || !tokens) return null
  const cached = Math.min(tokens.cachedInput ?? 0, tokens.input)
  const perMillion =
    (tokens.input - cached) * rates.input +
    cached * (rates.cachedInput ?? rates.input) +
    tokens.output * rates.output
  return perMillion / 1_000_000
}

/**
 * The built-in prices are OpenAI's own API's at its standard tier. A compatible server elsewhere
 * (`base-url`: vLLM, a proxy, Azure) bills differently or not at all, and so does another tier
 * (`flex`, `priority`): their cost is unknown rather than wrong, unless the spec sets `prices:`.
 */
function atBuiltInPrices(spec: ProviderSpec, serviceTier: string | undefined): boolean {
  if (serviceTier !== undefined && serviceTier !== 'default') return false
  if (spec.type !== 'openai' || spec.baseUrl === undefined) return true
  return URL.parse(spec.baseUrl)?.hostname === OPENAI_API_HOST
}

/** What one answer of `spec` (a provider under test or a judge) cost; null when unknown. */
export function callCost(
  spec: ProviderSpec,
  answer: { model?: string; tokens?: TokenUsage; serviceTier?: string }
): number | null {
  const override = spec.prices
  if (!override && !atBuiltInPrices(spec, answer.serviceTier)) return null
  const model = answer.model ?? (spec.type === 'openai' ? spec.model : '')
  return costOf(model, answer.tokens, override)
}
