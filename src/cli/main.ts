import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { EvalgateError, UsageError, errorMessage } from '../errors.js'
import {
  assertNotAnInput,
  assertWritableFile,
  readRunResult,
  readShardsToMerge,
  writeFileAtomic,
  writeRunResult
} from '../io/files.js'
import { compareRuns, comparisonExitCode, strictFailures } from '../compare/index.js'
import type { Comparison } from '../compare/index.js'
import { plural } from '../compare/format.js'
import { renderComparisonJson } from '../report/comparison-json.js'
import { WARNING_CHARACTERS, renderComparisonTerminal } from '../report/comparison-terminal.js'
import { renderJunit } from '../report/junit.js'
import { renderMarkdown } from '../report/markdown.js'
import { stripControl, terminalLine } from '../report/escape.js'
import { renderRunTerminal } from '../report/run-report.js'
import { assertHeadGateOrder } from '../results/parse.js'
import { mergeShards } from '../results/merge.js'
import { summarizeRun } from '../results/summary.js'
import type { ProviderSummary } from '../results/summary.js'
import type { RunResult } from '../results/types.js'
import {
  CACHE_MODES,
  DEFAULT_CACHE_DIR,
  MAX_REPEATS,
  lineProgress,
  parseShard,
  runEvals,
  silentProgress,
  terminalProgress
} from '../run/index.js'
import { loadSpecs } from '../spec/index.js'
import { TOOL_VERSION } from '../version.js'
import { oneOf, parseCommandArgs, positiveInteger } from './args.js'
import { forcedColor } from './color.js'
import { COMPARE_HELP, MAIN_HELP, MERGE_HELP, RUN_HELP, VALIDATE_HELP } from './help.js'

export interface OutputStream {
  write(text: string): unknown
  isTTY?: boolean
  /** A terminal's width, as it is now (a resize changes it): the progress bar is cut to it. */
  readonly columns?: number
}

/** Everything the CLI touches of its process, so tests can run it in-process. */
export interface CliEnvironment {
  cwd: string
  env: Record<string, string | undefined>
  stdout: OutputStream
  stderr: OutputStream
  /** Aborted on SIGINT/SIGTERM: the run stops and writes what it has. */
  signal?: AbortSignal
  /** Told once every answer of a run is in: from then on, there is nothing left to stop. */
  answered?: () => void
  /**
   * When `stdout` is the process's stdout: sends what else is written there from now on (by
   * module providers and javascript scorers, which run in-process, even after the command) to
   * stderr, so that a JSON, JUnit or Markdown comparison meant for a pipe is all stdout holds.
   */
  divertProcessStdout?: () => void
}

const DEFAULT_CONCURRENCY = 8
const DEFAULT_OUT = '.evalgate/results.json'
const COMPARE_FORMATS = ['terminal', 'markdown', 'json', 'junit'] as const
const FAIL_ON = ['threshold', 'never'] as const
type CompareFormat = (typeof COMPARE_FORMATS)[number]
/** A file name `compare --out <dir>` suggests, by format. */
const COMPARISON_FILE: Record<CompareFormat, string> = {
  terminal: 'comparison.txt',
  markdown: 'comparison.md',
  json: 'comparison.json',
  junit: 'comparison.xml'
}

async function currentCommit(cwd: string, env: CliEnvironment['env']): Promise<string | undefined> {
  if (env.GITHUB_SHA) return env.GITHUB_SHA
  // Not util.promisify: see the import of parseArgs in args.ts.
  const head = await new Promise<string>((done) =>
    execFile('git', ['rev-parse', 'HEAD'], { cwd }, (error, stdout) => done(error ? '' : stdout))
  )
  return head.trim() || undefined
}

/**
 * Colours as command-line tools agree: never with `--no-color`; `FORCE_COLOR` (other than `0` or
 * `false`) even into a pipe, `FORCE_COLOR=0` never; otherwise on a terminal, unless `NO_COLOR` is
 * set and not empty (no-color.org) or the terminal is `dumb`.
 */
export function useColor(
  stream: OutputStream,
  env: CliEnvironment['env'],
  noColor: boolean | undefined
): boolean {
  if (noColor) return false
  const forced = forcedColor(env)
  if (forced !== undefined) return forced
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  return stream.isTTY === true && env.TERM !== 'dumb'
}

function renderComparison(comparison: Comparison, format: CompareFormat, color: boolean): string {
  switch (format) {
    case 'terminal':
      return renderComparisonTerminal(comparison, { color })
    case 'markdown':
      return renderMarkdown(comparison)
    case 'json':
      return renderComparisonJson(comparison)
    case 'junit':
      return renderJunit(comparison)
  }
}

async function validateCommand(argv: string[], io: CliEnvironment): Promise<number> {
  const { values, positionals } = parseCommandArgs('validate', argv, {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' }
  })
  if (values.help) return (io.stdout.write(VALIDATE_HELP), 0)
  if (values.version) return printVersion(io)
  const specs = await loadSpecs(positionals, { cwd: io.cwd, env: io.env })
  for (const spec of specs) {
    const calls = spec.cases.length * spec.providers.length * spec.repeats
    io.stdout.write(
      `ok ${spec.file}: suite ${spec.suite}, ${plural(spec.cases.length, 'case')} × ${plural(spec.providers.length, 'provider')} × ${plural(spec.repeats, 'repeat')} = ${plural(calls, 'call')}\n`
    )
  }
  return 0
}

function compareAndReport(
  base: RunResult,
  head: RunResult,
  options: { strict: boolean; seed: string | undefined; format: CompareFormat; color: boolean }
) {
  const comparison = compareRuns(base, head, {
    seed: options.seed ?? head.run.commit ?? head.run.id,
    strict: options.strict
  })
  return { comparison, text: renderComparison(comparison, options.format, options.color) }
}

/**
 * The comparison's warnings on stderr, where a CI log shows them, when the comparison on stdout is
 * for a machine (a terminal report prints them itself): a JUnit or JSON file read by a reporter
 * would pass with them unseen.
 */
function reportWarnings(comparison: Comparison, format: CompareFormat, io: CliEnvironment): void {
  if (format === 'terminal') return
  for (const warning of comparison.warnings) {
    io.stderr.write(`evalgate: warning: ${terminalLine(warning, WARNING_CHARACTERS)}\n`)
  }
}

/**
 * Under --strict, names the suites that fail because nothing could be gated against their
 * baseline: their verdicts (not comparable, not gated) do not say that they fail.
 */
function reportUngated(comparison: Comparison, io: CliEnvironment): void {
  for (const failure of strictFailures(comparison)) {
    io.stderr.write(`evalgate: --strict: ${terminalLine(failure, 300)}: it fails as inconclusive\n`)
  }
}

/** A provider of a suite passed less than the suite's min-pass-rate. */
function belowThreshold(summaries: readonly ProviderSummary[]): boolean {
  return summaries.some((s) => s.belowThreshold)
}

async function runCommand(argv: string[], io: CliEnvironment): Promise<number> {
  const { values, positionals } = parseCommandArgs('run', argv, {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
    out: { type: 'string', short: 'o' },
    concurrency: { type: 'string', short: 'c' },
    repeats: { type: 'string' },
    shard: { type: 'string' },
    filter: { type: 'string' },
    'fail-on': { type: 'string' },
    baseline: { type: 'string' },
    strict: { type: 'boolean' },
    format: { type: 'string' },
    commit: { type: 'string' },
    cache: { type: 'string' },
    'cache-dir': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    'no-color': { type: 'boolean' }
  })
  if (values.help) return (io.stdout.write(RUN_HELP), 0)
  if (values.version) return printVersion(io)
  const concurrency = positiveInteger('concurrency', values.concurrency) ?? DEFAULT_CONCURRENCY
  const repeats = positiveInteger('repeats', values.repeats)
  if (repeats !== undefined && repeats > MAX_REPEATS) {
    throw new UsageError(`--repeats must be at most ${MAX_REPEATS}, as in a spec; got ${repeats}`)
  }
  const shard = values.shard === undefined ? undefined : parseShard(values.shard)
  const failOn = oneOf('fail-on', values['fail-on'], FAIL_ON) ?? 'threshold'
  const format = oneOf('format', values.format, COMPARE_FORMATS) ?? 'terminal'
  if (values.baseline === undefined && (values.format !== undefined || values.strict)) {
    throw new UsageError(
      `--${values.format !== undefined ? 'format' : 'strict'} applies to the comparison: add --baseline <file>, or compare later with \`evalgate compare\``
    )
  }
  const cacheMode = oneOf('cache', values.cache, CACHE_MODES) ?? 'off'
  // resolve(cwd, '') is the working directory: entries would be written all over the project.
  if (values['cache-dir'] === '') {
    throw new UsageError(
      `--cache-dir is empty: name the cache directory (default ${DEFAULT_CACHE_DIR}), or leave the option out`
    )
  }
  if (values['cache-dir'] !== undefined && cacheMode === 'off') {
    io.stderr.write(
      `evalgate: warning: --cache-dir is ignored: the cache is off; add --cache read, write, read-write or replay to use it\n`
    )
  }
  const out = resolve(io.cwd, values.out ?? DEFAULT_OUT)
  const color = useColor(io.stdout, io.env, values['no-color'])
  // Read the baseline before spending a run on it: a typo should fail in a second, not an hour.
  const baseline =
    values.baseline === undefined
      ? undefined
      : await readRunResult(resolve(io.cwd, values.baseline))
  const outName =
    values.out === undefined
      ? `the results, written by default to ${DEFAULT_OUT},`
      : `--out ${values.out}`
  if (values.baseline !== undefined) {
    // Rerun, a baseline replaced by the run compared with it would hide the regression it shows.
    await assertNotAnInput(
      out,
      [{ what: 'the baseline', path: resolve(io.cwd, values.baseline) }],
      {
        cwd: io.cwd,
        shown: outName,
        advice:
          values.out === undefined
            ? `pass --out another file (e.g. --out .evalgate/head.json), or copy the baseline elsewhere and pass the copy to --baseline`
            : 'write the results to another file'
      }
    )
  }

  const now = () => performance.now()
  // A `dumb` terminal moves no cursor and clears no line: the bar's redraws would pile up.
  const progress = values.quiet
    ? silentProgress
    : io.stderr.isTTY && io.env.TERM !== 'dumb'
      ? terminalProgress(io.stderr, now)
      : lineProgress(io.stderr, now)
  const commit = values.commit ?? (await currentCommit(io.cwd, io.env))
  // stdout carries a machine-readable comparison: what the code under test prints goes elsewhere.
  if (format !== 'terminal') io.divertProcessStdout?.()
  const { run, rescue } = await runEvals({
    paths: positionals,
    cwd: io.cwd,
    env: io.env,
    out,
    outName,
    concurrency,
    progress,
    cache: { mode: cacheMode, dir: resolve(io.cwd, values['cache-dir'] ?? DEFAULT_CACHE_DIR) },
    warn: (message) => io.stderr.write(`evalgate: warning: ${message}\n`),
    ...(repeats !== undefined ? { repeats } : {}),
    ...(shard ? { shard } : {}),
    ...(values.filter !== undefined ? { filter: values.filter } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
    ...(io.answered ? { answered: io.answered } : {}),
    meta: {
      ...(commit ? { commit } : {}),
      ...(io.env.GITHUB_REF ? { ref: io.env.GITHUB_REF } : {})
    }
  })
  const summaries = summarizeRun(run)
  // A machine-readable comparison owns stdout (for `| jq`); the run report goes to stderr then,
  // coloured for where it goes.
  const report = format === 'terminal' ? io.stdout : io.stderr
  report.write(
    renderRunTerminal(run, summaries, { color: useColor(report, io.env, values['no-color']) })
  )
  report.write(`\nresults: ${rescue ? 'not written, see below' : out}\n`)
  if (!run.run.complete) {
    if (rescue) io.stderr.write(`evalgate: ${rescue.message}\n`)
    return io.signal?.reason === 'SIGTERM' ? 143 : 130
  }

  // A shard's pass rate is not its suite's: merge applies min-pass-rate to the whole run.
  let exitCode = failOn === 'threshold' && !shard && belowThreshold(summaries) ? 1 : 0
  if (shard && belowThreshold(summaries)) {
    report.write(
      `\nshard ${shard.index}/${shard.total}: min-pass-rate is checked on the whole run, by \`evalgate merge\`\n`
    )
  }
  if (baseline) {
    const { comparison, text } = compareAndReport(baseline, run, {
      strict: values.strict ?? false,
      seed: undefined,
      format,
      color
    })
    io.stdout.write(format === 'terminal' ? '\n' + text : text)
    reportWarnings(comparison, format, io)
    reportUngated(comparison, io)
    exitCode = Math.max(exitCode, comparisonExitCode(comparison))
  }
  // Reported last, after the report and the comparison of the run it saved.
  if (rescue) {
    io.stderr.write(`evalgate: ${rescue.message}\n`)
    return rescue.exitCode
  }
  return exitCode
}

async function compareCommand(argv: string[], io: CliEnvironment): Promise<number> {
  const { values, positionals } = parseCommandArgs('compare', argv, {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
    format: { type: 'string', short: 'f' },
    out: { type: 'string', short: 'o' },
    strict: { type: 'boolean' },
    seed: { type: 'string' },
    'no-color': { type: 'boolean' }
  })
  if (values.help) return (io.stdout.write(COMPARE_HELP), 0)
  if (values.version) return printVersion(io)
  const [basePath, headPath, ...extra] = positionals
  if (basePath === undefined || headPath === undefined || extra.length > 0) {
    throw new EvalgateError(
      'compare takes two files: <base.json> <head.json>. See `evalgate compare --help`.',
      2
    )
  }
  const format = oneOf('format', values.format, COMPARE_FORMATS) ?? 'terminal'
  const out = values.out === undefined ? undefined : resolve(io.cwd, values.out)
  const [base, head] = [resolve(io.cwd, basePath), resolve(io.cwd, headPath)]
  if (out !== undefined) {
    await assertWritableFile(out, { what: 'comparison', example: COMPARISON_FILE[format] })
    const inputs = [
      { what: 'the baseline run', path: base },
      { what: 'the head run', path: head }
    ]
    await assertNotAnInput(out, inputs, {
      cwd: io.cwd,
      shown: `--out ${values.out}`,
      advice: `write the report to another file, e.g. ${COMPARISON_FILE[format]}`
    })
  }
  const [baseRun, headRun] = await Promise.all([readRunResult(base), readRunResult(head)])
  assertHeadGateOrder(headRun, head)
  const color = useColor(io.stdout, io.env, values['no-color']) && values.out === undefined
  const { comparison, text } = compareAndReport(baseRun, headRun, {
    strict: values.strict ?? false,
    seed: values.seed,
    format,
    color
  })
  if (out !== undefined) await writeFileAtomic(out, text)
  io.stdout.write(text)
  reportWarnings(comparison, format, io)
  reportUngated(comparison, io)
  return comparisonExitCode(comparison)
}

async function mergeCommand(argv: string[], io: CliEnvironment): Promise<number> {
  const { values, positionals } = parseCommandArgs('merge', argv, {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
    out: { type: 'string', short: 'o' },
    'fail-on': { type: 'string' },
    'no-color': { type: 'boolean' }
  })
  if (values.help) return (io.stdout.write(MERGE_HELP), 0)
  if (values.version) return printVersion(io)
  if (positionals.length === 0) {
    throw new UsageError(
      "merge takes every shard's results file (or a directory of them). See `evalgate merge --help`."
    )
  }
  const failOn = oneOf('fail-on', values['fail-on'], FAIL_ON) ?? 'threshold'
  const out = resolve(io.cwd, values.out ?? DEFAULT_OUT)
  const shown =
    values.out === undefined
      ? `the merged run, written by default to ${DEFAULT_OUT},`
      : `--out ${values.out}`
  const { shards, unread } = await readShardsToMerge(out, positionals, {
    cwd: io.cwd,
    shown,
    advice: 'write the merged run to another file, e.g. --out merged.json'
  })
  const merged = mergeShards(shards, unread)
  await writeRunResult(out, merged)
  const answers = merged.suites.reduce((total, suite) => total + suite.results.length, 0)
  // The whole run's report and thresholds, which no shard could check on its own.
  const summaries = summarizeRun(merged)
  io.stdout.write(
    renderRunTerminal(merged, summaries, {
      color: useColor(io.stdout, io.env, values['no-color'])
    })
  )
  io.stdout.write(
    `\nmerged ${shards.length} shards: ${plural(merged.suites.length, 'suite')}, ${plural(answers, 'answer')}${merged.run.complete ? '' : ' (incomplete)'} → ${out}\n`
  )
  if (!merged.run.complete) {
    // As the action's merge-from: pass rates of the answers obtained cannot stand for the run.
    io.stderr.write(
      `evalgate: the merged run is incomplete (${terminalLine(merged.run.incompleteReason ?? 'a shard stopped early', 300)}): rerun that shard, then merge again\n`
    )
    return 1
  }
  return failOn === 'threshold' && belowThreshold(summaries) ? 1 : 0
}

const COMMAND_HELP: Record<string, string> = {
  validate: VALIDATE_HELP,
  run: RUN_HELP,
  compare: COMPARE_HELP,
  merge: MERGE_HELP
}

/** `evalgate help [command]`: the overview, or a command's usage as `<command> --help` prints it. */
function helpCommand([topic, ...extra]: string[], io: CliEnvironment): number {
  if (topic === undefined) return (io.stdout.write(MAIN_HELP), 0)
  const help = Object.hasOwn(COMMAND_HELP, topic) ? COMMAND_HELP[topic] : undefined
  if (help === undefined || extra.length > 0) {
    throw new UsageError(
      `help takes one command, one of ${Object.keys(COMMAND_HELP).join(', ')}; got "${[topic, ...extra].join(' ')}"`
    )
  }
  return (io.stdout.write(help), 0)
}

function printVersion(io: CliEnvironment): number {
  io.stdout.write(`${TOOL_VERSION}\n`)
  return 0
}

/** Runs one CLI invocation and returns its exit code; user errors are printed, never thrown. */
export async function runCli(argv: string[], io: CliEnvironment): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case undefined:
        // No command is a usage error: the overview goes with it to stderr.
        io.stderr.write(MAIN_HELP)
        return 2
      case 'help':
      case '--help':
      case '-h':
        return helpCommand(rest, io)
      case '--version':
      case '-v':
        return printVersion(io)
      case 'validate':
        return await validateCommand(rest, io)
      case 'run':
        return await runCommand(rest, io)
      case 'compare':
        return await compareCommand(rest, io)
      case 'merge':
        return await mergeCommand(rest, io)
      default:
        io.stderr.write(`evalgate: unknown command "${command}"\n\n${MAIN_HELP}`)
        return 2
    }
  } catch (error) {
    if (error instanceof EvalgateError) {
      // Messages can quote a results file (a shard's suite or case ids): no escape codes from it.
      io.stderr.write(`evalgate: ${stripControl(error.message)}\n`)
      return error.exitCode
    }
    io.stderr.write(
      `evalgate: internal error: ${errorMessage(error)}\n${(error as Error).stack ?? ''}\n`
    )
    return 70
  }
}
