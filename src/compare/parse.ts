/**
 * A Comparison read back from JSON: the results.comparison.json an action writes beside its
 * results, which a `report-from` job reads from an artifact that a fork's workflow may have
 * written. Every field is checked against `schema/comparison.schema.json`, so the reports can
 * rely on its types (a string where a number belongs would reach a comment unescaped).
 */
import { Ajv, type ValidateFunction } from 'ajv'
import comparisonSchema from '../../schema/comparison.schema.json' with { type: 'json' }
import type { Comparison } from './types.js'

let compiled: ValidateFunction | undefined

/** `data` as a Comparison, or the first way in which it is not one. */
export function checkComparison(
  data: unknown
): { comparison: Comparison; problem?: undefined } | { problem: string } {
  // Compiled on first use, not at import: the action's cold start should not pay for it.
  compiled ??= new Ajv({ allowUnionTypes: true }).compile(comparisonSchema)
  if (compiled(data)) return { comparison: data as Comparison }
  const error = compiled.errors?.[0]
  return { problem: `${error?.instancePath || 'the top level'} ${error?.message ?? 'is invalid'}` }
}
