import { unsupportedNode } from './cli/node-version.js'
import { writeSync } from 'node:fs'
import { failEarlySuccessfulExit } from './exit-guard.js'
import { STALLED, cancelWhenStalled } from './stall.js'

// Checked before the rest loads: on an older Node.js, loading undici throws a stack trace.
const unsupported = unsupportedNode(process.versions.node)
if (unsupported) {
  process.stderr.write(`evalgate: ${unsupported}\n`)
  process.exit(2)
}
const { runCli } = await import('./cli/main.js')

/**
 * Exit code of a command the code under test kept from finishing (sysexits' EX_SOFTWARE): it
 * waited for what nothing could settle any more, or the process was ended under it.
 */
const EXIT_STALLED = 70
const exitGuardDone = failEarlySuccessfulExit(
  (message) => writeSync(2, `\nevalgate: ${message}\n`),
  EXIT_STALLED
)

// The CLI's process edge: signals become a cancellation, the exit code becomes the process's.
// A reader that went away (`evalgate run | head`) ends the CLI quietly, as SIGPIPE ends a
// C program; the results file is written before anything is printed about it.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    exitGuardDone()
    process.exit()
  })
}
const controller = new AbortController()
const [command] = process.argv.slice(2)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    const exitCode = signal === 'SIGINT' ? 130 : 143
    // Only a run has partial results worth writing; any other command just stops.
    if (command !== 'run') {
      process.stderr.write(`\nevalgate: ${signal} received, ${command ?? 'evalgate'} stopped\n`)
      process.exit(exitCode)
    }
    if (controller.signal.aborted) process.exit(exitCode)
    process.stderr.write(`\nevalgate: ${signal} received, stopping and writing partial results…\n`)
    controller.abort(signal)
  })
}

const runDone = cancelWhenStalled(controller, {
  stalled: (message) => process.stderr.write(`\nevalgate: ${message}\n`),
  giveUp: (message) => {
    process.stderr.write(`evalgate: ${message}\n`)
    process.exit(EXIT_STALLED)
  }
})

const exitCode = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal
})
runDone()
exitGuardDone()
process.exitCode = controller.signal.reason === STALLED ? EXIT_STALLED : exitCode
// Everything is written by now; a timer left behind by the code under test (a call that ignored
// its abort signal) must not hold the process open. Commands still running are killed on exit.
setTimeout(() => process.exit(), 1000).unref()
