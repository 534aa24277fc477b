/**
 * Seeded pseudo-random numbers. Every random choice the gate makes (Monte Carlo permutation tests,
 * bootstrap resamples) draws from an `Rng` seeded from the commit SHA, so rerunning a job on the
 * same commit reproduces the same p-values and intervals bit for bit and cannot flip a verdict.
 */

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number

const TWO_POW_32 = 4294967296

/**
 * cyrb128: a 128-bit non-cryptographic string hash by bryc
 * (https://github.com/bryc/code/blob/master/jshash/PRNGs.md), used only to turn a seed string
 * into four well-mixed 32-bit words for sfc32. Works on UTF-16 code units.
 */
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703
  let h2 = 3144134277
  let h3 = 1013904242
  let h4 = 2773480762
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i)
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067)
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233)
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213)
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179)
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067)
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233)
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213)
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179)
  h1 ^= h2 ^ h3 ^ h4
  h2 ^= h1
  h3 ^= h1
  h4 ^= h1
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0]
}

/**
 * A deterministic generator seeded from any string (typically a commit SHA plus a label naming
 * the test, so two tests on the same commit draw independent streams).
 *
 * Algorithm: the string is hashed with cyrb128 into 128 bits that seed sfc32, Chris
 * Doty-Humphrey's "Small Fast Counting" generator from PractRand (passes PractRand and
 * TestU01 BigCrush; period at least 2^32 thanks to its counter). The first 15 outputs are
 * discarded so that similar seeds diverge fully. Each call returns a multiple of 2^-32 in [0, 1).
 * No `Math.random`, no platform APIs: the stream is identical on every JavaScript engine.
 */
export function createRng(seed: string): Rng {
  let [a, b, c, d] = cyrb128(seed)
  const next: Rng = () => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / TWO_POW_32
  }
  for (let i = 0; i < 15; i++) next()
  return next
}

/** A uniform integer in [0, n), clamped so an `Rng` that rounds up to 1 cannot index past n. */
export function randomIndex(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n))
}

/**
 * 32 uniform random bits from one draw: exact for `createRng` (whose outputs are k / 2^32) and the
 * top 32 bits of the mantissa for any other `Rng` with at least 32 bits of resolution.
 */
export function randomUint32(rng: Rng): number {
  return Math.floor(rng() * TWO_POW_32) >>> 0
}
