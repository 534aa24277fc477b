/**
 * The suite's `gate:` block with evalgate's defaults filled in (DESIGN "Statistics": α = 0.05
 * one-sided, noise floor 2 points, non-inferiority margin 5 points, latency ratio 1.2, cost ratio
 * 1.1). Absolute limits (`min`, `max`) have no default: they fail on their own, so they must be
 * asked for.
 */
import type { GateSpec } from '../spec/types.js'

export const DEFAULT_ALPHA = 0.05
export const DEFAULT_NOISE = 0.02
export const DEFAULT_MARGIN = 0.05
export const DEFAULT_LATENCY_RATIO = 1.2
export const DEFAULT_COST_RATIO = 1.1
/** A provider whose head answers errored more often than this is down, not worse. */
export const OUTAGE_ERROR_RATE = 0.5
/** Latency p95 needs this many measured answers per side to be gated (DESIGN "Statistics"). */
export const P95_MIN_SAMPLES = 200

export interface QualityTolerance {
  noise: number
  margin: number
  min?: number
}

export interface ResolvedGate {
  score: QualityTolerance
  passRate: QualityTolerance
  latencyP50: { maxRatio: number }
  latencyP95: { maxRatio: number }
  cost: { maxRatio: number; max?: number }
  errorRate: { noise: number; max?: number }
}

function quality(spec: GateSpec['score']): QualityTolerance {
  return {
    noise: spec?.noise ?? DEFAULT_NOISE,
    margin: spec?.['max-drop'] ?? DEFAULT_MARGIN,
    ...(spec?.min !== undefined ? { min: spec.min } : {})
  }
}

export function resolveGate(spec: GateSpec | undefined): ResolvedGate {
  const gate = spec ?? {}
  return {
    score: quality(gate.score),
    passRate: quality(gate['pass-rate']),
    latencyP50: { maxRatio: gate['latency-p50']?.['max-ratio'] ?? DEFAULT_LATENCY_RATIO },
    latencyP95: { maxRatio: gate['latency-p95']?.['max-ratio'] ?? DEFAULT_LATENCY_RATIO },
    cost: {
      maxRatio: gate.cost?.['max-ratio'] ?? DEFAULT_COST_RATIO,
      ...(gate.cost?.max !== undefined ? { max: gate.cost.max } : {})
    },
    // An error-rate increase within the score's noise floor is not a change worth a verdict.
    errorRate: {
      noise: gate.score?.noise ?? DEFAULT_NOISE,
      ...(gate['error-rate']?.max !== undefined ? { max: gate['error-rate'].max } : {})
    }
  }
}

/**
 * Whether `value` is beyond `limit` (above it; below it for `beneath`) by more than rounding: a
 * change exactly at a tolerance (a 2.00-point drop, a ×1.20 ratio) must get one verdict, whatever
 * the last bit the arithmetic left on it.
 */
export function beyond(value: number, limit: number, side: 'above' | 'beneath' = 'above'): boolean {
  const slack = 1e-9 * Math.max(1, Math.abs(limit))
  return side === 'above' ? value > limit + slack : value < limit - slack
}
