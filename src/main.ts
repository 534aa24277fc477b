// First: V8's heap bounds take hold before anything else loads (see bounded-heap.ts).
import './bounded-heap.js'
import { writeSync } from 'node:fs'
import * as core from '@actions/core'
import { EvalgateError, errorMessage } from './errors.js'
import { runAction } from './github/action.js'
import type { ActionIO } from './github/io.js'
import { createGitHubClient } from './github/client.js'
import { readActionContext } from './github/event.js'
import { ignoredInputWarnings, parseSettings } from './github/settings.js'
import { secretForms } from './spec/providers.js'
import { redactText } from './spec/secrets.js'
import type { SecretValue } from './spec/types.js'
import { guardExitCode } from './exit-guard.js'
import { cutMarkdown } from './report/run-report.js'
import { cancelWhenStalled } from './stall.js'
import { handleSignals } from './signals.js'

/** GitHub refuses a step's job summary over 1 MiB. */
const MAX_SUMMARY_BYTES = 2 ** 20

/** @actions/core as the action's side effects: the only place the toolkit is used. */
const io: ActionIO = {
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  annotate: (message, location) =>
    (location.level === 'error' ? core.error : core.warning)(message, {
      file: location.file,
      title: location.title,
      ...(location.line !== undefined ? { startLine: location.line } : {})
    }),
  setOutput: (name, value) => core.setOutput(name, value),
  writeSummary: async (markdown) => {
    // The job summary is a report, not the verdict: failing to write it only warns.
    try {
      await core.summary
        .addRaw(
          cutMarkdown(
            markdown,
            MAX_SUMMARY_BYTES,
            'a job summary holds 1 MiB; the results file has the whole run'
          )
        )
        .write()
    } catch (error) {
      core.warning(`evalgate: could not write the job summary: ${errorMessage(error)}`)
    }
  }
}

/**
 * The runner's tokens that an action's process gets and a `run:` step does not: the inputs (the
 * github-token among them) and the runtime tokens. Removed from process.env once the inputs are
 * read, so no `exec` command is handed them; the code under test can still read them from the
 * process's original environment (/proc), so their values are also redacted like a spec's secrets.
 */
const RUNNER_SECRETS = /^(INPUT_|ACTIONS_RUNTIME_TOKEN$|ACTIONS_ID_TOKEN_REQUEST_TOKEN$)/

/** The ones that are credentials, by the name of the variable the code under test finds them in. */
const RUNNER_TOKENS = [
  'INPUT_GITHUB-TOKEN',
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN'
]

/** The values of the runner's tokens that are set, in every form a spec's secret is redacted in. */
function runnerTokens(env: NodeJS.ProcessEnv): SecretValue[] {
  return RUNNER_TOKENS.flatMap((name) => {
    const value = env[name]
    return value ? secretForms(name, value) : []
  })
}

function withholdRunnerSecrets(env: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(env)) if (RUNNER_SECRETS.test(name)) delete env[name]
}

/**
 * An error annotation written straight to stdout: the process is ending, nothing async runs. It
 * may quote an error of the code under test: escaped as @actions/core escapes its data.
 */
function writeError(message: string): void {
  const data = message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
  writeSync(1, `::error::evalgate: ${data}\n`)
}

/** The action's entry: the one place a step is marked failed. */
export async function run(): Promise<void> {
  const controller = new AbortController()
  const exitGuard = guardExitCode(writeError, 1)
  // The step's outcome is evalgate's alone: the code under test may set process.exitCode too.
  let failed = false
  /** Set once the step's outcome is decided and everything is written. */
  let finished = false
  // The runner cancels a job with SIGINT, then SIGTERM 7.5 s later, then SIGKILL: the first stops
  // the run and keeps what finished; another stops at once, written or not (a temp file is
  // removed on exit), rather than be killed with one left beside the results.
  handleSignals((signal) => {
    if (finished) {
      writeSync(
        1,
        `evalgate: ${signal} received after evalgate finished: the step's outcome stands\n`
      )
      exitGuard.exit(failed ? 1 : 0)
    }
    if (controller.signal.aborted) {
      writeError(`${signal} received again, stopped at once`)
      exitGuard.exit(1)
    }
    core.info(`evalgate: ${signal} received, stopping and reporting what is done`)
    controller.abort(signal)
  })
  let secrets: SecretValue[] = []
  // The message may quote the code under test (a module failing to import), which can read the
  // runner's tokens: masked in the log by the runner, but only in the form it was given.
  const fail = (message: string) => {
    failed = true
    core.setFailed(redactText(message, secrets))
  }
  const runDone = cancelWhenStalled(controller, {
    stalled: (message) => core.error(`evalgate: ${message}`),
    giveUp: (message) => {
      fail(`evalgate: ${message}`)
      exitGuard.exit(1)
    }
  })
  try {
    const readInput = (name: string) => core.getInput(name)
    const settings = parseSettings(readInput)
    for (const warning of ignoredInputWarnings(readInput)) core.warning(`evalgate: ${warning}`)
    secrets = runnerTokens(process.env)
    for (const { value } of secrets) core.setSecret(value)
    withholdRunnerSecrets(process.env)
    const context = await readActionContext(process.env)
    const failure = await runAction(settings, context, {
      io,
      env: process.env,
      secrets,
      cwd: process.env.GITHUB_WORKSPACE ?? process.cwd(),
      signal: controller.signal,
      createClient: createGitHubClient,
      now: () => new Date()
    })
    if (failure) fail(failure)
  } catch (error) {
    // Prefixed like every other error of the step, so that in a job of several actions the
    // annotation says which one raised it; one that already names evalgate is left as it is.
    fail(
      error instanceof EvalgateError
        ? error.message.replace(/^(?!evalgate\b)/, 'evalgate: ')
        : `evalgate: internal error: ${errorMessage(error)}`
    )
  } finally {
    runDone()
    // Neither a process.exitCode the code under test set nor a timer it left behind has a say.
    exitGuard.finish(failed ? 1 : 0)
    finished = true
  }
}
