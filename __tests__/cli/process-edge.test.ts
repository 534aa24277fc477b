import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { promisify } from 'node:util'
import { parseRunResult } from '../../src/results/parse.js'
import type { RunResult } from '../../src/results/types.js'
import { buildEntry } from '../helpers/cli.js'

// The CLI as a process, where what goes wrong is what the process does: hang, end without
// results, or leave commands running behind it.

let cli: string
let dir: string
const started: ChildProcess[] = []

beforeAll(async () => {
  cli = await buildEntry('src/cli.ts')
})
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalgate-edge-'))
})
afterEach(() => {
  // A test that failed must not leave a hung CLI behind.
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
})

interface Ended {
  code: number | null
  stdout: string
  stderr: string
}

function startCli(
  args: string[],
  env: Record<string, string> = { NO_COLOR: '1' }
): { child: ChildProcess; ended: Promise<Ended> } {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  started.push(child)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const ended = once(child, 'close').then(([code]) => ({
    code: code as number | null,
    stdout,
    stderr
  }))
  return { child, ended }
}

async function untilExists(path: string): Promise<void> {
  while (!existsSync(path)) await delay(20)
}

async function readResults(path: string): Promise<RunResult> {
  return parseRunResult(await readFile(path, 'utf8'), path)
}

/** Live (not zombie) processes of process group `group`. */
async function processesOf(group: number): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ps', ['-eo', 'pgid=,stat=,args='])
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pgid, stat]) => Number(pgid) === group && !stat?.startsWith('Z'))
    .map((fields) => fields.slice(2).join(' '))
}

/**
 * The processes of `group` once they are gone, or those still there after a while. SIGKILL is
 * sent before evalgate exits, yet a process dies when the kernel next schedules it.
 */
async function survivorsOf(group: number): Promise<string[]> {
  for (let checks = 0; checks < 50; checks++) {
    const live = await processesOf(group)
    if (live.length === 0) return live
    await delay(100)
  }
  return processesOf(group)
}

/** Cases `c0`… with the answer expected of the module provider, which echoes it. */
async function writeSuite(scorerModule: string, timeout: string, caseCount: number) {
  await writeFile(join(dir, 'app.js'), 'export default ({ vars }) => vars.expected\n')
  await writeFile(join(dir, 'scorer.js'), scorerModule)
  const lines = Array.from({ length: caseCount }, (_, i) =>
    JSON.stringify({ id: `c${i}`, i, expected: `E${i}` })
  )
  await writeFile(join(dir, 'cases.jsonl'), lines.join('\n') + '\n')
  await writeFile(
    join(dir, 'hang.eval.yaml'),
    [
      'suite: hang',
      'providers:',
      '  - { id: app, type: module, path: ./app.js }',
      "prompt: 'say {{expected}}'",
      `timeout: ${timeout}`,
      'cases:',
      '  - file: ./cases.jsonl',
      'scorers:',
      '  - { type: javascript, name: checks-answer, path: ./scorer.js }'
    ].join('\n') + '\n'
  )
}

describe('a javascript scorer that never settles', () => {
  it('errors its case after the suite’s timeout; the run ends with every other result written', async () => {
    // Nothing keeps the process alive while this promise is pending: Node once ended here with
    // exit code 13 ("unsettled top-level await") and no results file.
    await writeSuite(
      'export default async ({ output, vars }) => vars.i === 5 ? new Promise(() => {}) : output === vars.expected\n',
      '1s',
      40
    )
    const out = join(dir, 'results.json')
    const run = await startCli(['run', 'hang.eval.yaml', '--out', out, '-q']).ended
    expect(run.stderr).not.toMatch(/unsettled top-level await/)
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(
      'c5: error (scorer): scorer "checks-answer" failed: no result within the suite\'s timeout of 1 s'
    )
    const results = await readResults(out)
    expect(results.run.complete).toBe(true)
    const answers = results.suites[0]?.results ?? []
    expect(answers).toHaveLength(40)
    expect(answers.filter((r) => r.pass !== true).map((r) => [r.caseId, r.error?.kind])).toEqual([
      ['c5', 'scorer']
    ])
  })

  it('does not keep a cancelled run from writing its partial results and exiting 130', async () => {
    // This one keeps a timer alive, so the run waits for it; the timeout is far off.
    const marker = join(dir, 'hanging')
    await writeSuite(
      [
        "import { writeFileSync } from 'node:fs'",
        'export default async ({ output, vars }) => {',
        '  if (vars.i !== 5) return output === vars.expected',
        `  writeFileSync(${JSON.stringify(marker)}, '')`,
        '  return new Promise(() => setInterval(() => {}, 1000))',
        '}'
      ].join('\n') + '\n',
      '60s',
      10
    )
    const out = join(dir, 'results.json')
    const { child, ended } = startCli(['run', 'hang.eval.yaml', '--out', out, '-q'])
    await untilExists(marker)
    child.kill('SIGINT')
    const run = await ended
    expect(run.code).toBe(130)
    expect(run.stdout).toMatch(/incomplete run: cancelled \(SIGINT\) after \d+ of 10 answers/)
    const results = await readResults(out)
    expect(results.run.complete).toBe(false)
    const answers = results.suites[0]?.results ?? []
    expect(answers.map((r) => r.caseId)).not.toContain('c5')
    expect(answers.every((r) => r.pass === true)).toBe(true)
  })
})

it.each([
  ['SIGINT', 130],
  ['SIGTERM', 143]
] as const)(
  'validate stops on %s with exit code %d, rather than finishing and exiting 0',
  async (signal, code) => {
    // The scorer's module is imported by validate: it takes 20 s to load.
    const marker = join(dir, 'loading')
    await writeSuite(
      [
        "import { writeFileSync } from 'node:fs'",
        `writeFileSync(${JSON.stringify(marker)}, '')`,
        'await new Promise((resolve) => setTimeout(resolve, 20000))',
        'export default () => true'
      ].join('\n') + '\n',
      '1s',
      1
    )
    const { child, ended } = startCli(['validate', 'hang.eval.yaml'])
    await untilExists(marker)
    const sentAt = Date.now()
    child.kill(signal)
    const run = await ended
    expect(run.code).toBe(code)
    expect(Date.now() - sentAt).toBeLessThan(5000)
    expect(run.stderr).toBe(`\nevalgate: ${signal} received, validate stopped\n`)
    expect(run.stdout).toBe('')
  }
)

it('stops on the first SIGINT while a module is still loading, writing the run as incomplete', async () => {
  // The import never settles while the test runs, and keeps the process busy (no stall).
  const marker = join(dir, 'loading')
  await writeAppSuite(
    [
      "import { writeFileSync } from 'node:fs'",
      `writeFileSync(${JSON.stringify(marker)}, '')`,
      'await new Promise(() => setInterval(() => {}, 1000))',
      'export default () => "x"'
    ].join('\n') + '\n',
    1
  )
  const out = join(dir, 'results.json')
  const { child, ended } = startCli(['run', 'app.eval.yaml', '--out', out])
  await untilExists(marker)
  child.kill('SIGINT')
  const run = await ended
  expect(run.code).toBe(130)
  expect(run.stderr).toContain('evalgate: SIGINT received, stopping and writing partial results')
  expect(run.stderr).not.toContain('running')
  expect(run.stdout).toContain(
    'incomplete run: cancelled (SIGINT) while loading the specs, before any answer'
  )
  const results = await readResults(out)
  expect(results.run).toMatchObject({
    complete: false,
    incompleteReason: 'cancelled (SIGINT) while loading the specs, before any answer'
  })
  expect(results.suites).toEqual([])
})

it('stops on a SIGINT that comes while the CLI’s own modules load, writing the run as incomplete', async () => {
  await writeAppSuite('export default () => "x"\n', 1)
  const out = join(dir, 'results.json')
  // The preload sends the signal while the bundle's modules are still being evaluated.
  const preload = resolve('__tests__/fixtures/signal-while-loading.mjs')
  const run = await startCli(['run', 'app.eval.yaml', '--out', out], {
    NO_COLOR: '1',
    NODE_OPTIONS: `--import=${preload}`
  }).ended
  expect(run.stderr).toContain('evalgate: SIGINT received, stopping and writing partial results')
  expect(run.code).toBe(130)
  const results = await readResults(out)
  expect(results.run).toMatchObject({
    complete: false,
    incompleteReason: 'cancelled (SIGINT) while loading the specs, before any answer'
  })
})

it('ends with exit code 70 and says why when it waits for a module that never finishes loading', async () => {
  await writeSuite('await new Promise(() => {})\nexport default () => true\n', '1s', 1)
  const out = join(dir, 'results.json')
  const run = await startCli(['run', 'hang.eval.yaml', '--out', out]).ended
  expect(run.stderr).not.toMatch(/unsettled top-level await/)
  // Of the spec's two modules, the one whose import hangs is named.
  expect(run.stderr).toContain(
    '\nevalgate: stalled: evalgate waits for something that can never settle: still importing scorer.js (a top-level await there, or in a module it imports, that nothing resolves); stopping'
  )
  expect(run.code).toBe(70)
  // The run is cancelled, and written as such, without waiting for the module.
  expect((await readResults(out)).run).toMatchObject({
    complete: false,
    incompleteReason: 'cancelled (stalled) while loading the specs, before any answer'
  })
  // validate imports the module as the run would: the same words, which speak of no run.
  const validate = await startCli(['validate', 'hang.eval.yaml']).ended
  expect(validate.stderr).toContain(
    'evalgate: stalled: evalgate waits for something that can never settle: still importing scorer.js'
  )
  expect(validate.code).toBe(70)
})

it('fails, and says why, when the code under test ends the process with exit code 0', async () => {
  // A scorer that "passes" by ending the process: the run has not written a thing.
  await writeSuite('export default () => process.exit(0)\n', '1s', 3)
  const out = join(dir, 'results.json')
  const run = await startCli(['run', 'hang.eval.yaml', '--out', out, '-q']).ended
  expect(run.stderr).toContain(
    'evalgate: the code under test ended the process (process.exit) before evalgate finished: no results written'
  )
  expect(run.code).toBe(70)
  expect(existsSync(out)).toBe(false)
  // The same code under `validate`, which imports it.
  await writeFile(join(dir, 'scorer.js'), 'process.exit(0)\nexport default () => true\n')
  const validate = await startCli(['validate', 'hang.eval.yaml']).ended
  expect(validate.code).toBe(70)
})

/** Cases `c0`… answered by the module provider `app` (`({ vars }) => …`, vars `i` and `expected`). */
async function writeAppSuite(app: string, caseCount: number): Promise<void> {
  await writeFile(join(dir, 'app.mjs'), app)
  const cases = Array.from({ length: caseCount }, (_, i) =>
    JSON.stringify({ id: `c${i}`, i, expected: `E${i}` })
  )
  await writeFile(join(dir, 'cases.jsonl'), cases.join('\n') + '\n')
  await writeFile(
    join(dir, 'app.eval.yaml'),
    [
      'suite: app',
      'providers:',
      '  - { id: app, type: module, path: ./app.mjs }',
      "prompt: 'say {{expected}}'",
      'cases:',
      '  - file: ./cases.jsonl',
      'scorers:',
      "  - { type: equals, expected: '{{expected}}' }"
    ].join('\n') + '\n'
  )
}

it.each([1, 2])(
  'fails, and says why, when the code under test ends the process with exit code %d',
  async (code) => {
    await writeAppSuite(
      `export default ({ vars }) => vars.i === 2 ? process.exit(${code}) : vars.expected\n`,
      4
    )
    const out = join(dir, 'results.json')
    const run = await startCli(['run', 'app.eval.yaml', '--out', out, '-q']).ended
    expect(run.stderr).toContain(
      'evalgate: the code under test ended the process (process.exit) before evalgate finished: no results written'
    )
    expect(run.code).toBe(70)
    expect(existsSync(out)).toBe(false)
  }
)

it('fails, and says why, when an error the code under test throws in a timer ends the process', async () => {
  await writeAppSuite(
    "export default ({ vars }) => { if (vars.i === 2) setTimeout(() => { throw new Error('boom from a timer') }); return new Promise((done) => setTimeout(() => done(vars.expected), 200)) }\n",
    4
  )
  const out = join(dir, 'results.json')
  const run = await startCli(['run', 'app.eval.yaml', '--out', out, '-q']).ended
  // Node prints the error's stack after evalgate's line, which quotes it.
  const line =
    'evalgate: an uncaught error ("Error: boom from a timer"; its stack follows) ended the process before evalgate finished: no results written\n'
  expect(run.stderr).toContain(line)
  expect(run.stderr.indexOf('    at ')).toBeGreaterThan(run.stderr.indexOf(line))
  expect(run.code).toBe(70)
  expect(existsSync(out)).toBe(false)
})

it('says so too when what the code under test throws cannot be turned into text', async () => {
  await writeAppSuite(
    'export default ({ vars }) => { if (vars.i === 2) setTimeout(() => { throw Object.create(null) }); return new Promise((done) => setTimeout(() => done(vars.expected), 200)) }\n',
    4
  )
  const run = await startCli(['run', 'app.eval.yaml', '--out', join(dir, 'results.json'), '-q'])
    .ended
  expect(run.stderr).toContain(
    'evalgate: an uncaught error ("[object Object]"; its stack follows) ended the process before evalgate finished: no results written\n'
  )
  expect(run.code).toBe(70)
})

it('keeps the exit code of a failed run when the code under test calls process.exit(0) after it', async () => {
  // The timer fires once the run has printed its failure and returned its exit code.
  await writeAppSuite(
    "export default () => { setTimeout(() => process.exit(0), 300); return 'wrong' }\n",
    1
  )
  const out = join(dir, 'results.json')
  const run = await startCli(['run', 'app.eval.yaml', '--out', out, '-q']).ended
  expect(run.stdout).toContain('c0: equals: expected "E0", got "wrong"')
  expect(run.code).toBe(1)
  expect((await readResults(out)).run.complete).toBe(true)
})

it('run --baseline --format json keeps stdout to the comparison when the code under test prints after the run', async () => {
  await writeAppSuite(
    "export default ({ vars }) => { setTimeout(() => console.log('LATE LOG'), 200); return vars.expected }\n",
    2
  )
  const baseline = join(dir, 'baseline.json')
  expect((await startCli(['run', 'app.eval.yaml', '--out', baseline, '-q']).ended).code).toBe(0)
  const run = await startCli([
    'run',
    'app.eval.yaml',
    '--out',
    join(dir, 'head.json'),
    '-q',
    '--baseline',
    baseline,
    '--format',
    'json'
  ]).ended
  expect(run.code).toBe(0)
  expect(run.stdout).not.toContain('LATE LOG')
  expect(JSON.parse(run.stdout)).toHaveProperty('verdict')
  expect(run.stderr).toContain('LATE LOG\n')
})

it('a reader of stdout that goes away (`| head -1`) leaves the run to finish, write its results and exit with its code', async () => {
  // The provider prints while the run goes on; the reader leaves after the first output.
  await writeAppSuite(
    [
      'export default async ({ vars }) => {',
      "  for (let line = 0; line < 100; line++) console.log(`case ${vars.i}: ${'x'.repeat(200)}`)",
      '  await new Promise((done) => setTimeout(done, 50))',
      "  return vars.i === 3 ? 'wrong' : vars.expected",
      '}'
    ].join('\n') + '\n',
    8
  )
  const out = join(dir, 'results.json')
  const { child, ended } = startCli(['run', 'app.eval.yaml', '--out', out, '-q'])
  child.stdout?.once('data', () => child.stdout?.destroy())
  const run = await ended
  expect(run.stderr).toBe('')
  expect(run.code).toBe(1)
  const results = await readResults(out)
  expect(results.run.complete).toBe(true)
  expect(results.suites[0]?.results).toHaveLength(8)
})

it('FORCE_COLOR wins over NO_COLOR without Node’s warning that it ignores NO_COLOR', async () => {
  await writeAppSuite('export default ({ vars }) => vars.expected\n', 2)
  const both = { FORCE_COLOR: '1', NO_COLOR: '1' }
  const run = await startCli(['run', 'app.eval.yaml', '--out', join(dir, 'a.json')], both).ended
  expect(run.code).toBe(0)
  expect(run.stderr).not.toContain('Warning')
  const again = await startCli(['run', 'app.eval.yaml', '--out', join(dir, 'b.json'), '-q']).ended
  expect(again.code).toBe(0)
  const compare = await startCli(['compare', 'a.json', 'b.json'], both).ended
  expect(compare.code).toBe(0)
  expect(compare.stderr).toBe('')
  expect(compare.stdout).toContain('\u001b[')
})

describe('a signal once every answer is in', () => {
  /** 40 answers of 2 MB, which fail: an 80 MB results file takes a while to write. */
  async function writeLargeSuite(): Promise<void> {
    await writeAppSuite("export default ({ vars }) => vars.expected + 'x'.repeat(2_000_000)\n", 40)
  }

  /** Sends `signal` to the CLI once it has begun the temp file of its results, and returns it. */
  async function signalWhileWriting(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
    while (!(await readdir(dir)).some((name) => name.endsWith('.tmp'))) await delay(5)
    child.kill(signal)
  }

  it('keeps the complete run: its results are written whole, and the exit code is the signal’s', async () => {
    await writeLargeSuite()
    const out = join(dir, 'results.json')
    const { child, ended } = startCli(['run', 'app.eval.yaml', '--out', out, '-q'])
    await signalWhileWriting(child, 'SIGTERM')
    const run = await ended
    expect(run.stderr).toBe(
      '\nevalgate: SIGTERM received: the run is complete, writing its results before exiting 143\n'
    )
    expect(run.code).toBe(143)
    expect(run.stdout).toContain(`results: ${out}`)
    const results = await readResults(out)
    expect(results.run.complete).toBe(true)
    expect(results.suites[0]?.results).toHaveLength(40)
  })

  it('a second one stops at once, and leaves no temp file behind', async () => {
    await writeLargeSuite()
    const out = join(dir, 'results.json')
    const { child, ended } = startCli(['run', 'app.eval.yaml', '--out', out, '-q'])
    child.stderr?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('the run is complete')) child.kill('SIGINT')
    })
    await signalWhileWriting(child, 'SIGTERM')
    const run = await ended
    expect(run.stderr).toContain('\nevalgate: SIGINT received again, stopped at once\n')
    expect(run.code).toBe(130)
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })
})

it('a signal once the run has finished ends the wait for a timer left behind, keeping the exit code', async () => {
  await writeAppSuite(
    'export default ({ vars }) => { setTimeout(() => {}, 5000); return vars.expected }\n',
    2
  )
  const out = join(dir, 'results.json')
  const { child, ended } = startCli(['run', 'app.eval.yaml', '--out', out, '-q'])
  child.stdout?.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('results: ')) child.kill('SIGTERM')
  })
  const run = await ended
  expect(run.stderr).toBe(
    '\nevalgate: SIGTERM received after run finished: its exit code 0 stands\n'
  )
  expect(run.code).toBe(0)
  expect((await readResults(out)).run.complete).toBe(true)
})

it('cuts the progress bar to the width of the terminal, and follows the terminal when it is resized', async () => {
  // The second answer narrows the terminal from 40 to 30 columns; each waits for a redraw.
  await writeAppSuite(
    [
      "import { execFileSync } from 'node:child_process'",
      'export default async ({ vars }) => {',
      "  if (vars.i === 1) execFileSync('stty', ['cols', '30'], { stdio: ['inherit', 'ignore', 'ignore'] })",
      '  await new Promise((done) => setTimeout(done, 1300))',
      '  return vars.expected',
      '}'
    ].join('\n') + '\n',
    3
  )
  // A real terminal: `script` runs the CLI on a pseudo-terminal and copies what it shows.
  const command = `stty cols 40 rows 20; exec '${process.execPath}' '${cli}' run app.eval.yaml --out r.json -c 1`
  const terminal = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  started.push(terminal)
  let shown = ''
  terminal.stdout.on('data', (chunk: Buffer) => (shown += chunk.toString()))
  const [code] = await once(terminal, 'close')
  expect(code).toBe(0)
  const bars = shown
    .split('\r\u001b[2K')
    .slice(1)
    .map((drawn) => drawn.split(/[\r\n]/)[0] ?? '')
  expect(bars[0]).toMatch(/^░+ 0\/3 answers/)
  // Every bar is longer than either width: each is cut one short of the last column.
  const widths = bars.map((bar) => bar.length)
  const resizedAt = widths.indexOf(29)
  expect(resizedAt).toBeGreaterThan(0)
  expect(widths).toEqual([
    ...Array<number>(resizedAt).fill(39),
    ...Array<number>(widths.length - resizedAt).fill(29)
  ])
})

describe('an exec command that ignores SIGTERM', () => {
  /**
   * A spec whose one command writes its process group, then sleeps: it ignores SIGTERM itself,
   * or (`background`) leaves behind a process that does, detached from its output.
   */
  async function writeStubbornSuite(
    timeout: string,
    stubborn: 'itself' | 'background' = 'itself'
  ): Promise<string> {
    const groupFile = join(dir, 'group')
    const group = `ps -o pgid= -p $$ > ${groupFile}`
    const command =
      stubborn === 'itself'
        ? `trap "" TERM; ${group}; sleep 300; echo x`
        : `(trap "" TERM; exec sleep 301) </dev/null >/dev/null 2>&1 & ${group}; sleep 300; echo x`
    await writeFile(
      join(dir, 'stubborn.eval.yaml'),
      [
        'suite: stubborn',
        'providers:',
        '  - id: stubborn',
        '    type: exec',
        `    command: ${JSON.stringify(`sh -c '${command}'`)}`,
        '    retry: { max-attempts: 1 }',
        "prompt: 'hi'",
        `timeout: ${timeout}`,
        'cases:',
        '  - { id: a, vars: {} }',
        'scorers:',
        '  - { type: equals, expected: x }'
      ].join('\n') + '\n'
    )
    return groupFile
  }

  async function groupIn(groupFile: string): Promise<number> {
    await untilExists(groupFile)
    let text = ''
    while (text.trim() === '') text = await readFile(groupFile, 'utf8')
    return Number(text.trim())
  }

  /** Kills what a failed test left running. */
  function killGroup(group: number | undefined): void {
    try {
      if (group !== undefined) process.kill(-group, 'SIGKILL')
    } catch {
      // Already gone, as it should be.
    }
  }

  it.each([
    ['ignores SIGTERM itself', 'itself'],
    ['leaves a background process that ignores it', 'background']
  ] as const)(
    'is killed, with all it started, by the time evalgate has ended after its timeout, when it %s',
    async (_, stubborn) => {
      const groupFile = await writeStubbornSuite('1s', stubborn)
      const out = join(dir, 'results.json')
      let group: number | undefined
      try {
        const { ended } = startCli(['run', 'stubborn.eval.yaml', '--out', out, '-q'])
        group = await groupIn(groupFile)
        const run = await ended
        expect(run.code).toBe(1)
        const results = await readResults(out)
        expect(results.suites[0]?.results[0]?.error?.kind).toBe('provider:timeout')
        expect(await survivorsOf(group)).toEqual([])
      } finally {
        killGroup(group)
      }
    }
  )

  it('is killed, with all it started, by the time evalgate has ended on SIGINT', async () => {
    const groupFile = await writeStubbornSuite('60s')
    const out = join(dir, 'results.json')
    let group: number | undefined
    try {
      const { child, ended } = startCli(['run', 'stubborn.eval.yaml', '--out', out, '-q'])
      group = await groupIn(groupFile)
      child.kill('SIGINT')
      const run = await ended
      expect(run.code).toBe(130)
      expect((await readResults(out)).run.complete).toBe(false)
      expect(await survivorsOf(group)).toEqual([])
    } finally {
      killGroup(group)
    }
  })
})
