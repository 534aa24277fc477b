import { spawn } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bundleForNode } from '../../scripts/esbuild-node.mjs'
import { runCli } from '../../src/cli/main.js'

/**
 * Bundles an entry (the CLI or the action) the way `npm run bundle` does, into a temp dir, so integration tests run the
 * current sources as a real process without depending on a committed dist/.
 */
export async function buildEntry(entry: 'src/cli.ts' | 'src/index.ts'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'evalgate-bundle-'))
  const outfile = join(dir, 'bundle.mjs')
  await bundleForNode({ entry, outfile })
  return outfile
}

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** A stream that keeps what is written to it. */
function captured() {
  const stream = { text: '', isTTY: false, write: (text: string) => (stream.text += text) }
  return stream
}

/** The CLI run in this process from `cwd` with `env` (none by default): its exit code and output. */
export async function runCliInProcess(
  args: string[],
  cwd: string,
  env: Record<string, string> = {}
): Promise<CliRun> {
  const io = { cwd, env, stdout: captured(), stderr: captured() }
  const code = await runCli(args, io)
  return { code, stdout: io.stdout.text, stderr: io.stderr.text }
}

export interface CliProcessOptions {
  cwd: string
  env?: Record<string, string>
  /** Called with each stderr chunk; may signal the process. */
  onStderr?: (chunk: string, child: Signalled) => void
  /** Called with each stdout chunk; may signal the process. */
  onStdout?: (chunk: string, child: Signalled) => void
  /** Called once the process is started: to signal it on what another process sees. */
  onSpawn?: (child: Signalled) => void
}

/** What a test may do to a process it started. */
export interface Signalled {
  kill: (signal: NodeJS.Signals) => void
}

export function runBundle(
  cli: string,
  args: string[],
  options: CliProcessOptions
): Promise<CliRun> {
  return runProcess(process.execPath, [cli, ...args], options)
}

/**
 * Runs `script` in bash, where `evalgate` is the bundled CLI: for what only a shell makes, such as
 * a process substitution `<(…)` or a pipe into the CLI's stdin.
 */
export function runInShell(
  cli: string,
  script: string,
  options: CliProcessOptions
): Promise<CliRun> {
  const evalgate = `evalgate() { "$EVALGATE_NODE" "$EVALGATE_CLI" "$@"; }`
  return runProcess('bash', ['-c', `${evalgate}\n${script}`], {
    ...options,
    env: { ...options.env, EVALGATE_NODE: process.execPath, EVALGATE_CLI: cli }
  })
}

function runProcess(command: string, args: string[], options: CliProcessOptions): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    options.onSpawn?.(child)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      options.onStdout?.(chunk.toString(), child)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      options.onStderr?.(chunk.toString(), child)
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
