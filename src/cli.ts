import { unsupportedNode } from './cli/node-version.js'

// Checked before the rest loads: on an older Node.js, loading undici throws a stack trace.
const unsupported = unsupportedNode(process.versions.node)
if (unsupported) {
  process.stderr.write(`evalgate: ${unsupported}\n`)
  process.exit(2)
}
const { runCli } = await import('./cli/main.js')

// The CLI's process edge: signals become a cancellation, the exit code becomes the process's.
// A reader that went away (`evalgate run | head`) ends the CLI quietly, as SIGPIPE ends a
// C program; the results file is written before anything is printed about it.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    process.exit()
  })
}
const controller = new AbortController()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143)
    process.stderr.write(`\nevalgate: ${signal} received, stopping and writing partial results…\n`)
    controller.abort(signal)
  })
}

process.exitCode = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal
})
// Everything is written by now; a timer left behind by the code under test (a call that ignored
// its abort signal) must not hold the process open.
setTimeout(() => process.exit(), 1000).unref()
