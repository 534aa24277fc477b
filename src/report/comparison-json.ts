/**
 * The Comparison as JSON: pretty, with a trailing newline. A Comparison holds no NaN or Infinity
 * and is built in a fixed order, so the same comparison always gives the same bytes.
 */
import type { Comparison } from '../compare/types.js'

export function renderComparisonJson(c: Comparison): string {
  return `${JSON.stringify(c, null, 2)}\n`
}
