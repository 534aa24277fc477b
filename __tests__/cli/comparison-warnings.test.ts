import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Comparison } from '../../src/compare/index.js'
import { runCliInProcess } from '../helpers/cli.js'
import { runResult } from '../helpers/run-result.js'

// A baseline of other suites than the head's: nothing is compared, and only a warning says so.
const OTHER_SUITES =
  'the baseline was stored for other suites (triage / p), by another job with other specs, it seems: this run shares no suite and provider with it, so nothing was compared. Give each job its own comment-key (an input of the action), so that each stores and compares its own baselines; if this run renamed them instead, the next baseline compares them'

let dir: string
let base: string
let head: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalgate-warnings-'))
  base = join(dir, 'base.json')
  head = join(dir, 'head.json')
  await writeFile(base, JSON.stringify(runResult('abc123')))
  await writeFile(head, JSON.stringify(runResult('def456', 1, 'refunds')))
})

describe("a comparison's warnings, whatever the format", () => {
  it.each(['junit', 'json', 'markdown'])(
    'compare --format %s writes them to stderr, for the CI log',
    async (format) => {
      const compared = await runCliInProcess(['compare', base, head, '--format', format], dir)
      expect(compared.code).toBe(0)
      expect(compared.stderr).toBe(`evalgate: warning: ${OTHER_SUITES}\n`)
      if (format === 'json') {
        expect((JSON.parse(compared.stdout) as Comparison).warnings).toEqual([OTHER_SUITES])
      }
    }
  )

  it('compare --format junit lists them in the XML, as a skipped testcase of testsuite evalgate', async () => {
    const compared = await runCliInProcess(['compare', base, head, '--format', 'junit'], dir)
    const escaped = OTHER_SUITES.replace(/'/g, '&apos;')
    expect(compared.stdout).toContain(
      `  <testsuite name="evalgate" tests="1" failures="0" errors="0" skipped="1" time="0" timestamp="2026-11-28T10:00:00.000Z">\n    <testcase classname="evalgate" name="warning: ${escaped}" time="0">\n      <skipped message="${escaped}"/>\n    </testcase>\n`
    )
  })

  it('the terminal report prints them itself, not twice', async () => {
    const compared = await runCliInProcess(['compare', base, head, '--no-color'], dir)
    expect(compared.stderr).toBe('')
    expect(compared.stdout).toContain(`\nwarning: ${OTHER_SUITES}\n`)
  })

  it('run --baseline --format junit writes them to stderr too', async () => {
    const run = await runCliInProcess(
      [
        'run',
        'evals/refunds.eval.yaml',
        '--out',
        join(dir, 'run.json'),
        '--quiet',
        '--baseline',
        base,
        '--format',
        'junit'
      ],
      resolve('.')
    )
    expect(run.code).toBe(0)
    expect(run.stderr).toContain(`\nevalgate: warning: ${OTHER_SUITES}\n`)
    expect(run.stdout).toContain('<testsuite name="evalgate" tests="1"')
  })
})
