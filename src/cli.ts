import { runCli } from './cli/main.js'

// The CLI's process edge: signals become a cancellation, the exit code becomes the process's.
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
