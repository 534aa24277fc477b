/**
 * Relative closeness for reference values quoted to a limited number of significant digits
 * (R prints 7 by default): |actual − expected| ≤ relative · |expected|.
 */
export function expectRelativelyClose(actual: number, expected: number, relative: number): void {
  const error = Math.abs(actual - expected)
  const allowed = relative * Math.abs(expected)
  if (!(error <= allowed)) {
    throw new Error(
      `expected ${actual} to be within ${relative} (relative) of ${expected}, off by ${error}`
    )
  }
}
