import { useColor } from '../../src/cli/main.js'

const terminal = { write: () => true, isTTY: true }
const pipe = { write: () => true, isTTY: false }

describe('useColor', () => {
  it.each([
    ['a terminal', terminal, {}, undefined, true],
    ['a pipe', pipe, {}, undefined, false],
    ['--no-color, even with FORCE_COLOR', terminal, { FORCE_COLOR: '1' }, true, false],
    ['FORCE_COLOR=1 into a pipe', pipe, { FORCE_COLOR: '1' }, undefined, true],
    ['FORCE_COLOR set empty into a pipe', pipe, { FORCE_COLOR: '' }, undefined, true],
    ['FORCE_COLOR=0 on a terminal', terminal, { FORCE_COLOR: '0' }, undefined, false],
    ['NO_COLOR=1 on a terminal', terminal, { NO_COLOR: '1' }, undefined, false],
    [
      'NO_COLOR set empty on a terminal (no-color.org: ignored)',
      terminal,
      { NO_COLOR: '' },
      undefined,
      true
    ],
    ['TERM=dumb', terminal, { TERM: 'dumb' }, undefined, false]
  ])('%s', (_, stream, env: Record<string, string>, flag, expected) => {
    expect(useColor(stream, env, flag)).toBe(expected)
  })
})
