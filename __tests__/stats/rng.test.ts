import { createRng } from '../../src/stats/index.js'

const SHA = '3f786850e387550fdab836ed7e6dc881de23001b'

function draw(seed: string, count: number): number[] {
  const rng = createRng(seed)
  return Array.from({ length: count }, () => rng())
}

describe('createRng', () => {
  it('reproduces the same stream from the same seed', () => {
    expect(draw(SHA, 1000)).toEqual(draw(SHA, 1000))
  })

  it('gives a different stream for a different seed, even one character apart', () => {
    const a = draw(SHA, 100)
    const b = draw(SHA.slice(0, -1) + 'c', 100)
    const equalPositions = a.filter((value, i) => value === b[i]).length
    expect(equalPositions).toBeLessThan(3)
    expect(draw('', 10)).not.toEqual(draw(' ', 10))
  })

  it('stays in [0, 1) and looks uniform (mean, variance, deciles over 100,000 draws)', () => {
    const values = draw('uniformity', 100000)
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true)
    const mean = values.reduce((sum, v) => sum + v, 0) / values.length
    const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1)
    // Uniform(0,1): mean 1/2 (SE 0.0009), variance 1/12 = 0.08333.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005)
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002)
    const deciles = new Array<number>(10).fill(0)
    for (const v of values) deciles[Math.floor(v * 10)]! += 1
    // Chi-square with 9 df; the 99.9% point is 27.88 (R: qchisq(0.999, 9) = 27.87716).
    const chiSquare = deciles.reduce((sum, observed) => sum + (observed - 10000) ** 2 / 10000, 0)
    expect(chiSquare).toBeLessThan(27.88)
  })

  it('consecutive draws are uncorrelated (lag-1 correlation near 0)', () => {
    const values = draw('lag', 50000)
    let sum = 0
    for (let i = 1; i < values.length; i++) sum += (values[i]! - 0.5) * (values[i - 1]! - 0.5)
    const correlation = sum / (values.length - 1) / (1 / 12)
    expect(Math.abs(correlation)).toBeLessThan(0.02)
  })
})
