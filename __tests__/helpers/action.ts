import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runBundle } from './cli.js'
import type { CliProcessOptions, CliRun } from './cli.js'

export interface ActionRun extends CliRun {
  /** What the step set with `core.setOutput`, read back from GITHUB_OUTPUT as the runner does. */
  outputs: Record<string, string>
  summary: string
}

/**
 * Runs the action's bundle as the runner does: inputs as `INPUT_<NAME>`, the event payload in
 * GITHUB_EVENT_PATH, outputs and the job summary through the file commands.
 */
export async function runActionBundle(
  bundle: string,
  options: {
    cwd: string
    inputs: Record<string, string>
    env: Record<string, string>
    payload?: unknown
    /** Watching the process, to signal it as the runner does when the job is cancelled. */
    watch?: Pick<CliProcessOptions, 'onStdout' | 'onSpawn'>
  }
): Promise<ActionRun> {
  const dir = await mkdtemp(join(tmpdir(), 'evalgate-action-'))
  const output = join(dir, 'output')
  const summary = join(dir, 'summary')
  const eventPath = join(dir, 'event.json')
  await writeFile(output, '')
  await writeFile(summary, '')
  await writeFile(eventPath, JSON.stringify(options.payload ?? {}))
  const env: Record<string, string> = {
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_WORKSPACE: options.cwd,
    GITHUB_REPOSITORY: 'octo-org/triage',
    ...options.env
  }
  for (const [name, value] of Object.entries(options.inputs))
    env[`INPUT_${name.toUpperCase()}`] = value
  const run = await runBundle(bundle, [], { cwd: options.cwd, env, ...options.watch })
  const outputs: Record<string, string> = {}
  for (const match of (await readFile(output, 'utf8')).matchAll(
    /^(.+?)<<(.+)\n([\s\S]*?)\n\2$/gm
  )) {
    outputs[match[1] as string] = match[3] as string
  }
  return { ...run, outputs, summary: await readFile(summary, 'utf8') }
}
