/**
 * Argument checks shared by the tests and intervals. A violation is a programming error in the
 * caller (the compare stage filters errored cases before calling us), so it throws RangeError
 * rather than returning a NaN that could slip into a verdict.
 */

export function assertFiniteValues(values: readonly number[], name: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new RangeError(`${name}[${i}] must be a finite number, got ${String(values[i])}`)
    }
  }
}

export function assertCount(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${String(value)}`)
  }
}

export function assertPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`)
  }
}

/** A probability strictly between 0 and 1 (a confidence level, α, or power). */
export function assertOpenUnit(value: number, name: string): void {
  if (!(value > 0 && value < 1)) {
    throw new RangeError(`${name} must be strictly between 0 and 1, got ${String(value)}`)
  }
}
