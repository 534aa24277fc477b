import { levenshtein, similarity } from '../../src/score/index.js'

describe('levenshtein', () => {
  it.each([
    ['kitten', 'sitting', 3],
    ['flaw', 'lawn', 2],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['', '', 0],
    ['same', 'same', 0],
    ['abc', 'xyz', 3],
    ['prefix-kitten-suffix', 'prefix-sitting-suffix', 3],
    ['ab', 'ba', 2],
    ['saturday', 'sunday', 3]
  ])('%j → %j is %i edits', (a, b, expected) => {
    expect(levenshtein(a, b)).toBe(expected)
    expect(levenshtein(b, a)).toBe(expected)
  })

  it('counts an emoji or other astral character as one code point', () => {
    expect(levenshtein('a😀b', 'a😃b')).toBe(1)
    expect(levenshtein('😀', '')).toBe(1)
  })
})

describe('similarity', () => {
  it('is 1 for two empty strings and for equal strings', () => {
    expect(similarity('', '')).toBe(1)
    expect(similarity('billing', 'billing')).toBe(1)
  })

  it('is 1 − distance / longer length', () => {
    expect(similarity('kitten', 'sitting')).toBeCloseTo(1 - 3 / 7, 10)
    expect(similarity('', 'abc')).toBe(0)
    expect(similarity('flaw', 'lawn')).toBe(0.5)
  })
})
