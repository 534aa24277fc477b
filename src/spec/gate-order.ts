/**
 * A quality metric's noise floor cannot exceed its `max-drop`: a significant drop within the noise
 * floor passes (as a minor change), so a smaller margin would ask more of a change too small to be
 * significant than of one that is. Checked where a spec is loaded and where a head run's results
 * file, whose gate compare uses as written, is compared.
 */
import { DEFAULT_MARGIN, DEFAULT_NOISE } from '../compare/gate.js'
import type { GateSpec } from './types.js'

export const QUALITY_GATES = ['score', 'pass-rate'] as const

export interface GateOrderProblem {
  /** The field to change: `noise` when written, else `max-drop` (the noise is the default). */
  field: 'noise' | 'max-drop'
  message: string
  hint: string
}

/** The problem of a quality metric's tolerance whose noise floor is above its `max-drop`. */
export function gateOrderProblem(
  tolerance: NonNullable<GateSpec['score']>
): GateOrderProblem | undefined {
  // A value left out is the default: `max-drop: 0.01` alone is below the default noise floor.
  const noise = tolerance.noise ?? DEFAULT_NOISE
  const maxDrop = tolerance['max-drop'] ?? DEFAULT_MARGIN
  if (noise <= maxDrop) return undefined
  const written = (value: number | undefined, fallback: number) =>
    value === undefined ? `${fallback} (the default)` : String(value)
  return {
    field: tolerance.noise === undefined ? 'max-drop' : 'noise',
    message: `the noise floor ${written(tolerance.noise, DEFAULT_NOISE)} is above \`max-drop\` ${written(tolerance['max-drop'], DEFAULT_MARGIN)}`,
    hint: '`noise` is the change too small to matter (a significant drop beyond it is a regression), `max-drop` how far below the baseline the 95% CI of a change that is not significant may reach for it to pass: noise ≤ max-drop'
  }
}
