import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runCli, useColor } from '../../src/cli/main.js'

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

describe('run --baseline --format json', () => {
  /** A stream that keeps what is written to it. */
  function captured(isTTY: boolean) {
    const stream = { text: '', isTTY, write: (text: string) => (stream.text += text) }
    return stream
  }

  it('colours the run report, on stderr, by whether stderr is a terminal', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-color-'))
    const spec = 'evals/refunds.eval.yaml'
    const base = join(dir, 'base.json')
    const cwd = resolve('.')
    const env = {}
    const first = { cwd, env, stdout: captured(false), stderr: captured(false) }
    expect(await runCli(['run', spec, '--out', base, '--quiet'], first)).toBe(0)
    const compared = (stdoutTTY: boolean, stderrTTY: boolean) => {
      const io = { cwd, env, stdout: captured(stdoutTTY), stderr: captured(stderrTTY) }
      const args = ['run', spec, '--out', join(dir, 'head.json'), '--quiet', '--baseline', base]
      return runCli([...args, '--format', 'json'], io).then(() => io)
    }
    const intoPipe = await compared(true, false)
    expect(intoPipe.stderr.text).toContain('calculator')
    expect(intoPipe.stderr.text).not.toContain('\u001b[')
    const onTerminal = await compared(false, true)
    expect(onTerminal.stderr.text).toContain('\u001b[1msuite')
    expect(onTerminal.stdout.text).not.toContain('\u001b[')
  })
})

describe('run progress on a terminal', () => {
  it('is a bar redrawn in place, but plain lines when TERM is dumb', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-progress-'))
    const progressOn = async (env: Record<string, string>) => {
      const stderr = { text: '', isTTY: true, write: (text: string) => (stderr.text += text) }
      const stdout = { write: () => true, isTTY: true }
      const args = ['run', 'evals/refunds.eval.yaml', '--out', join(dir, 'results.json')]
      expect(await runCli(args, { cwd: resolve('.'), env, stdout, stderr })).toBe(0)
      return stderr.text
    }
    expect(await progressOn({})).toContain('\r\u001b[2K')
    const dumb = await progressOn({ TERM: 'dumb' })
    expect(dumb).not.toContain('\u001b[')
    expect(dumb).toMatch(/^evalgate: running 11 answers\nevalgate: \d+\/11 answers/)
  })
})
