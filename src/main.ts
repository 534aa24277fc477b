import * as core from '@actions/core'
import { resolve } from 'node:path'
import { EvalgateError, errorMessage } from './errors.js'
import { parseSettings } from './github/settings.js'
import { renderRunMarkdown } from './report/run-report.js'
import { summarizeRun } from './results/summary.js'
import { lineProgress, runEvals } from './run/index.js'

/** The job summary is a report, not the verdict: failing to write it only warns. */
async function writeJobSummary(markdown: string): Promise<void> {
  try {
    await core.summary.addHeading('evalgate', 2).addRaw(markdown).write()
  } catch (error) {
    core.warning(`evalgate: could not write the job summary: ${errorMessage(error)}`)
  }
}

/**
 * The action's entry: runs the eval suites of the workspace, writes the RunResult, the job
 * summary and the outputs, and fails the step when a suite falls below its min-pass-rate.
 */
export async function run(): Promise<void> {
  const controller = new AbortController()
  // The runner cancels a job with SIGINT, then SIGTERM: stop and keep what finished.
  const cancel = (signal: NodeJS.Signals) => controller.abort(signal)
  process.once('SIGINT', cancel)
  process.once('SIGTERM', cancel)
  try {
    const settings = parseSettings((name) => core.getInput(name))
    const cwd = process.env.GITHUB_WORKSPACE ?? process.cwd()
    const out = resolve(cwd, settings.resultsPath)
    const run = await runEvals({
      paths: settings.specs,
      cwd,
      env: process.env,
      out,
      concurrency: settings.concurrency,
      cache: { mode: settings.cache.mode, dir: resolve(cwd, settings.cache.dir) },
      warn: (message) => core.warning(message),
      progress: lineProgress({ write: (text) => process.stdout.write(text) }, () =>
        performance.now()
      ),
      signal: controller.signal,
      ...(settings.repeats !== undefined ? { repeats: settings.repeats } : {}),
      ...(settings.shard ? { shard: settings.shard } : {}),
      ...(settings.filter !== undefined ? { filter: settings.filter } : {}),
      meta: {
        ...(process.env.GITHUB_SHA ? { commit: process.env.GITHUB_SHA } : {}),
        ...(process.env.GITHUB_REF ? { ref: process.env.GITHUB_REF } : {}),
        ...(process.env.GITHUB_EVENT_NAME ? { event: process.env.GITHUB_EVENT_NAME } : {})
      }
    })
    core.setOutput('results-path', out)
    const summaries = summarizeRun(run)
    const failing = summaries.filter((s) => s.belowThreshold)
    core.setOutput('passed', String(failing.length === 0))
    await writeJobSummary(renderRunMarkdown(run, summaries))
    if (!run.run.complete) {
      core.setFailed(
        `evalgate: ${run.run.incompleteReason ?? 'the run stopped early'}; partial results in ${out}`
      )
    } else if (settings.failOn === 'threshold' && failing.length > 0) {
      const names = failing.map((s) => `${s.suite}/${s.providerId}`).join(', ')
      core.setFailed(`evalgate: pass rate below min-pass-rate in ${names}; results in ${out}`)
    }
  } catch (error) {
    core.setFailed(
      error instanceof EvalgateError
        ? error.message
        : `evalgate: internal error: ${errorMessage(error)}`
    )
  } finally {
    process.off('SIGINT', cancel)
    process.off('SIGTERM', cancel)
  }
}
