// First: V8's heap bounds take hold before anything else loads (see bounded-heap.ts); then a
// signal received while the rest loads is kept for the command (see signals.ts).
import './bounded-heap.js'
import { handleSignals } from './signals.js'
import { unsupportedNode } from './cli/node-version.js'
import { writeSync } from 'node:fs'
import { forcedColor } from './cli/color.js'
import type { OutputStream } from './cli/main.js'
import { guardExitCode } from './exit-guard.js'
import { STALLED, cancelWhenStalled } from './stall.js'

// Checked before the rest loads: on an older Node.js, loading undici throws a stack trace.
const unsupported = unsupportedNode(process.versions.node)
if (unsupported) {
  process.stderr.write(`evalgate: ${unsupported}\n`)
  process.exit(2)
}
// Node warns that NO_COLOR is ignored when FORCE_COLOR is set too, once anything loads its colour
// settings (undici does). evalgate lets FORCE_COLOR win as well, so NO_COLOR has no say: without
// it, the warning goes, and the code under test gets the colours it would have had.
if (forcedColor(process.env) === true) delete process.env.NO_COLOR
const { runCli } = await import('./cli/main.js')

/**
 * Exit code of a command the code under test kept from finishing (sysexits' EX_SOFTWARE): it
 * waited for what nothing could settle any more, or the process was ended under it.
 */
const EXIT_STALLED = 70
const exitGuard = guardExitCode((message) => {
  try {
    writeSync(2, `\nevalgate: ${message}\n`)
  } catch {
    // Nobody reads stderr any more (EPIPE): the exit code says it.
  }
}, EXIT_STALLED)

/**
 * What evalgate writes to `stream`: through the write method the stream had at start, whatever
 * the code under test's writes to it become (see divertProcessStdout). A reader that went away
 * (`evalgate run | head`) gets nothing more, from evalgate or the code under test; the command
 * goes on, writes its results and exits with its own code, as if all had been read.
 */
function ownStream(stream: NodeJS.WriteStream): OutputStream {
  const write = stream.write
  let readerGone = false
  stream.on('error', (error: NodeJS.ErrnoException) => {
    // A pipe's reader gone is EPIPE; a socket's, as a Node.js parent's `spawn` gives, ECONNRESET.
    if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') throw error
    readerGone = true
    // Writes already sent elsewhere stay there.
    if (stream.write === write) stream.write = (() => true) as typeof stream.write
  })
  return {
    write: (text) => readerGone || write.call(stream, text),
    isTTY: stream.isTTY,
    // Read at each redraw, so that the bar follows a resized terminal.
    get columns() {
      return stream.columns
    }
  }
}
const stdout = ownStream(process.stdout)
const stderr = ownStream(process.stderr)

// The CLI's process edge: signals become a cancellation, the exit code becomes the process's.
const controller = new AbortController()
const [command] = process.argv.slice(2)
const signalExitCode = (signal: NodeJS.Signals) => (signal === 'SIGINT' ? 130 : 143)
/** Set once every answer of a run is in: a signal then cancels nothing, the run is kept whole. */
let answered = false
/** The first signal received before the command finished: the process exits with its code. */
let stoppedBy: NodeJS.Signals | undefined
/** The command's exit code, once it has finished and written all it had to. */
let finishedWith: number | undefined = undefined
handleSignals((signal) => {
  const exitCode = signalExitCode(signal)
  // Nothing is left to stop: evalgate only waits a moment for what the code under test left.
  if (finishedWith !== undefined) {
    stderr.write(
      `\nevalgate: ${signal} received after ${command ?? 'evalgate'} finished: its exit code ${finishedWith} stands\n`
    )
    exitGuard.exit(finishedWith)
  }
  // Only a run has partial results worth writing; any other command just stops.
  if (command !== 'run') {
    stderr.write(`\nevalgate: ${signal} received, ${command ?? 'evalgate'} stopped\n`)
    exitGuard.exit(exitCode)
  }
  // A second signal stops at once, results written or not (a temp file is removed on exit).
  if (stoppedBy !== undefined || controller.signal.aborted) {
    stderr.write(`\nevalgate: ${signal} received again, stopped at once\n`)
    exitGuard.exit(exitCode)
  }
  stoppedBy = signal
  if (answered) {
    stderr.write(
      `\nevalgate: ${signal} received: the run is complete, writing its results before exiting ${exitCode}\n`
    )
    return
  }
  stderr.write(`\nevalgate: ${signal} received, stopping and writing partial results…\n`)
  controller.abort(signal)
})

const runDone = cancelWhenStalled(controller, {
  stalled: (message) => stderr.write(`\nevalgate: ${message}\n`),
  giveUp: (message) => {
    stderr.write(`evalgate: ${message}\n`)
    exitGuard.exit(EXIT_STALLED)
  }
})

const exitCode = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout,
  stderr,
  signal: controller.signal,
  answered: () => (answered = true),
  divertProcessStdout: () => {
    process.stdout.write = ((...args: Parameters<typeof process.stderr.write>) =>
      process.stderr.write(...args)) as typeof process.stdout.write
  }
})
runDone()
// Everything is written by now. The exit code holds for good: a timer left behind by the code
// under test may still call process.exit, and must not turn a failure into a success. A signal
// received before has its say even when the run it came in was complete.
finishedWith =
  controller.signal.reason === STALLED
    ? EXIT_STALLED
    : stoppedBy !== undefined
      ? signalExitCode(stoppedBy)
      : exitCode
exitGuard.finish(finishedWith)
// Nor may such a timer (a call that ignored its abort signal) hold the process open. Commands
// still running are killed on exit.
setTimeout(() => process.exit(), 1000).unref()
