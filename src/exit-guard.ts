import { errorMessage } from './errors.js'
import { terminalLine } from './report/escape.js'

/** The process's exit code, as evalgate decides it. */
export interface ExitGuard {
  /** The command finished with `code`: the process ends with it, whatever happens after. */
  finish(code: number): void
  /** Ends the process now with `code`, as evalgate decided (a signal, a stall). */
  exit(code: number): never
}

/**
 * For the process edges (the CLI and the action). The code under test runs in this process
 * (module providers, javascript scorers, the modules `validate` imports), and may end it: a
 * `process.exit` (with any code), or an error thrown where nothing catches it. Before evalgate
 * has finished, that ends an unfinished run with no results: it is told through `tell`
 * (synchronously: the process is ending) and the exit code becomes `failureCode`. After, a timer
 * the code under test left behind may still call `process.exit(0)`: the exit code stays the one
 * the command finished with, so a failed run never ends as a success.
 */
export function guardExitCode(tell: (message: string) => void, failureCode: number): ExitGuard {
  let decided: number | undefined
  let uncaught: string | undefined
  process.on('uncaughtExceptionMonitor', (error) => (uncaught = uncaughtErrorLine(error)))
  process.on('exit', (code) => {
    if (decided !== undefined) {
      if (code !== decided) process.exitCode = decided
      return
    }
    // Node prints the error's stack after 'exit': evalgate's line comes first, so it quotes it.
    tell(
      uncaught !== undefined
        ? `an uncaught error (${uncaught}; its stack follows) ended the process before evalgate finished: no results written`
        : 'the code under test ended the process (process.exit) before evalgate finished: no results written'
    )
    process.exitCode = failureCode
  })
  return {
    finish: (code) => {
      decided = code
      process.exitCode = code
    },
    exit: (code) => {
      decided = code
      process.exit(code)
    }
  }
}

/**
 * A thrown value on one bounded line, quoted: `"TypeError: x is not a function"`. Never throws,
 * whatever was thrown (a null-prototype object, a `toString` or `message` that throws): it runs
 * as the process ends, where a throw would replace evalgate's word with its own stack.
 */
function uncaughtErrorLine(error: unknown): string {
  let text: string
  try {
    text = error instanceof Error ? `${error.name}: ${error.message}` : errorMessage(error)
  } catch {
    text = Object.prototype.toString.call(error)
  }
  return `"${terminalLine(text, 200)}"`
}
