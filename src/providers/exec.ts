import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ProviderError, errorMessage } from '../errors.js'
import type { ExecProviderSpec, SecretValue } from '../spec/types.js'
import type { Provider, ProviderRequest, ProviderResponse } from './types.js'
import { abortError } from './abort.js'
import { MAX_ANSWER_BYTES } from './connections.js'
import { redactText } from '../spec/secrets.js'

/**
 * How much of stderr an error message quotes, from its start and from its end: enough to see the
 * cause, not a log dump. Node.js writes what went wrong near the start, Python at the end.
 */
const STDERR_HEAD_CHARS = 300
const STDERR_TAIL_CHARS = 200
/** How much of each end of stderr is kept, to find the line that says what went wrong. */
const STDERR_KEPT_CHARS = 4000
/** The longest that line is quoted. */
const ERROR_LINE_CHARS = 300
/**
 * A line saying what went wrong, as an uncaught error is written: `Error: …` and
 * `Error [ERR_MODULE_NOT_FOUND]: …` (Node.js), `FileNotFoundError: …`,
 * `json.decoder.JSONDecodeError: …` (Python). The lines of a stack trace are indented.
 */
const ERROR_LINE = /^(?:[\w$]+\.)*[\w$]*(?:Error|Exception)(?: \[\w+\])?: \S/
/** Grace between SIGTERM and SIGKILL for a command that outlives its timeout. */
const KILL_GRACE_MS = 2000
/**
 * How long stdout and stderr may stay open once the command has exited: what it started in the
 * background (`server &`) may hold them open for ever.
 */
const EXIT_GRACE_MS = 500
/** Room past MAX_ANSWER_BYTES for the line end (`\r\n`) an answer is written with: it is dropped. */
const LINE_END_BYTES = 2
/**
 * The longest the case's variables go in EVALGATE_VARS, as UTF-8 JSON: Linux refuses to start a
 * command with any one environment string over 128 KiB (MAX_ARG_STRLEN), macOS caps the whole
 * environment and arguments at 1 MiB. Longer ones go in a file named by EVALGATE_VARS_FILE.
 */
const MAX_VARS_ENV_BYTES = 100 * 1024
/** Process groups (and killing one with a negative pid) are POSIX; Windows kills the child only. */
const GROUP_KILL = process.platform !== 'win32'

/** The system a command runs on: a command written as one string runs through its shell. */
export interface CommandSystem {
  platform: NodeJS.Platform
  env: Record<string, string | undefined>
}

/**
 * How a command written as one string runs, as Node's `shell: true` runs it: `/bin/sh -c`, or on
 * Windows, which has no /bin/sh, the system's cmd.exe (`ComSpec`) with `/d /s /c` and the
 * command in quotes, passed as written (`verbatimArguments`): cmd.exe reads its command line
 * itself, and quoting it again for a C program would change what it runs.
 */
export function shellCommandLine(
  command: string,
  system: CommandSystem
): { command: string[]; verbatimArguments?: true } {
  if (system.platform !== 'win32') return { command: ['/bin/sh', '-c', command] }
  const shell = system.env['ComSpec'] ?? 'cmd.exe'
  return { command: [shell, '/d', '/s', '/c', `"${command}"`], verbatimArguments: true }
}

/** Sends `signalName` to the command's process group (to the command alone on Windows). */
function stop(child: ChildProcess, signalName: NodeJS.Signals): void {
  try {
    if (GROUP_KILL && child.pid !== undefined) process.kill(-child.pid, signalName)
    else child.kill(signalName)
  } catch {
    // Already gone.
  }
}

/** The length of the line end `answer` ends with: its `\n` or `\r\n`, if any. */
function lineEndLength(answer: Buffer): number {
  if (answer.at(-1) !== 0x0a) return 0
  return answer.at(-2) === 0x0d ? 2 : 1
}

/** The start and the end of a text written in pieces, `keep` characters of each. */
class TextEnds {
  head = ''
  tail = ''
  /** Whether characters between `head` and `tail` were dropped. */
  elided = false

  constructor(private readonly keep: number) {}

  add(text: string): void {
    const room = this.keep - this.head.length
    if (room > 0) {
      this.head += text.slice(0, room)
      text = text.slice(room)
    }
    if (text === '') return
    const joined = this.tail + text
    if (joined.length > this.keep) this.elided = true
    this.tail = joined.slice(-this.keep)
  }
}

/**
 * What a failed command's error message quotes of its stderr (secrets written back): the line
 * that says what went wrong first, found at either end (so that a report cutting the message
 * short keeps it), then the start and the end of stderr for where it went wrong.
 */
function quoteStderr(stderr: TextEnds, secrets: readonly SecretValue[]): string {
  // Lines cut where characters were dropped are only searched whole.
  let lines: string[]
  let excerpt: string
  if (stderr.elided) {
    const head = redactText(stderr.head, secrets)
    const tail = redactText(stderr.tail, secrets)
    lines = [...head.split('\n').slice(0, -1), ...tail.split('\n').slice(1)]
    // Kept a secret's length longer than quoted: a secret cut in half where the kept text
    // begins or ends would no longer be recognisable.
    excerpt = `${head.slice(0, STDERR_HEAD_CHARS).trimStart()}\n…\n${tail.slice(-STDERR_TAIL_CHARS).trimEnd()}`
  } else {
    const whole = redactText(stderr.head + stderr.tail, secrets).trim()
    lines = whole.split('\n')
    excerpt =
      whole.length <= STDERR_HEAD_CHARS + STDERR_TAIL_CHARS
        ? whole
        : `${whole.slice(0, STDERR_HEAD_CHARS)}\n…\n${whole.slice(-STDERR_TAIL_CHARS)}`
  }
  // The last: Python's final exception follows those it was raised while handling.
  const errorLine = lines.map((line) => line.trimEnd()).findLast((line) => ERROR_LINE.test(line))
  if (errorLine === undefined || excerpt.startsWith(errorLine)) return excerpt
  const quotedLine =
    errorLine.length > ERROR_LINE_CHARS ? `${errorLine.slice(0, ERROR_LINE_CHARS)}…` : errorLine
  return `${quotedLine}; stderr: ${excerpt}`
}

/**
 * Process groups to SIGKILL when evalgate exits, however it exits: commands still running, and
 * those sent SIGTERM whose grace has not run out — what they started may ignore SIGTERM and
 * outlive them, orphaned. process.kill is synchronous, so it works in an 'exit' listener, which
 * is added with the first command; so are the files of variables still there removed.
 */
const killOnExit = new Set<ChildProcess>()
/** The files of variables too long for the environment (varsEnvironment), while in use. */
const varsFiles = new Set<string>()
let exitHookAdded = false

function cleanUpOnExit(): void {
  if (exitHookAdded) return
  exitHookAdded = true
  process.on('exit', () => {
    for (const group of killOnExit) stop(group, 'SIGKILL')
    for (const file of varsFiles) rmSync(file, { force: true })
  })
}

function killGroupOnExit(child: ChildProcess): void {
  cleanUpOnExit()
  killOnExit.add(child)
}

/**
 * Where the command finds the case's variables: EVALGATE_VARS, or, when too long for an
 * environment variable, a file only its owner can read, named by EVALGATE_VARS_FILE.
 */
async function varsEnvironment(
  vars: Record<string, unknown>
): Promise<{ env: Record<string, string>; file?: string }> {
  const json = JSON.stringify(vars)
  if (Buffer.byteLength(json) <= MAX_VARS_ENV_BYTES) return { env: { EVALGATE_VARS: json } }
  const file = join(tmpdir(), `evalgate-vars-${randomUUID()}.json`)
  cleanUpOnExit()
  varsFiles.add(file)
  await writeFile(file, json, { flag: 'wx', mode: 0o600 })
  return { env: { EVALGATE_VARS_FILE: file }, file }
}

async function removeVarsFile(file: string | undefined): Promise<void> {
  if (file === undefined) return
  await rm(file, { force: true })
  varsFiles.delete(file)
}

/**
 * Runs a command per call: the rendered prompt on stdin, the answer on stdout (one trailing
 * newline dropped, at most MAX_ANSWER_BYTES). The case's id, repeat and variables are in
 * EVALGATE_CASE_ID, EVALGATE_REPEAT and EVALGATE_VARS (JSON), or the file EVALGATE_VARS_FILE names
 * (varsEnvironment). A non-zero exit is an error quoting stderr (see quoteStderr). A call settles
 * once stdout and stderr have closed: what it started has stopped, or let go of them.
 */
export class ExecProvider implements Provider {
  readonly type = 'exec'
  readonly id: string
  readonly settlesWhenStopped = true

  constructor(private readonly spec: ExecProviderSpec) {
    this.id = spec.id
  }

  async call(request: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse> {
    if (signal.aborted) throw abortError(signal)
    const vars = await varsEnvironment(request.vars).catch((error: unknown) => {
      throw new ProviderError(
        'exec',
        `provider ${this.id}: cannot write the case's variables, too long for EVALGATE_VARS, to a file in ${tmpdir()}: ${errorMessage(error)}; set TMPDIR to a writable directory`
      )
    })
    try {
      return await this.run(request, vars.env, signal)
    } finally {
      await removeVarsFile(vars.file)
    }
  }

  private run(
    request: ProviderRequest,
    varsEnv: Record<string, string>,
    signal: AbortSignal
  ): Promise<ProviderResponse> {
    if (signal.aborted) return Promise.reject(abortError(signal))
    const [file, ...args] = this.spec.command
    if (file === undefined) return Promise.reject(new ProviderError('exec', 'empty command'))
    const cannotRun = (error: unknown): ProviderError => {
      // E2BIG: the command line, or a value of `env:`, is longer than the system takes.
      const hint =
        (error as { code?: unknown }).code === 'E2BIG'
          ? '; its arguments or environment are too long (on Linux, one value at most 128 KiB): pass large values on stdin or in a file'
          : ''
      return new ProviderError(
        'exec',
        `provider ${this.id}: cannot run \`${file}\`: ${errorMessage(error)}${hint}`
      )
    }
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.spec.env }
    // Only the one of them that holds this case's variables: an inherited one (evalgate run by an
    // exec command) would be taken for it.
    delete env['EVALGATE_VARS']
    delete env['EVALGATE_VARS_FILE']
    Object.assign(env, varsEnv, {
      EVALGATE_CASE_ID: request.caseId,
      EVALGATE_REPEAT: String(request.repeat)
    })
    const started = performance.now()
    return new Promise((resolve, reject) => {
      let child: ChildProcessWithoutNullStreams
      try {
        child = spawn(file, args, {
          cwd: this.spec.cwd,
          env,
          stdio: ['pipe', 'pipe', 'pipe'],
          windowsVerbatimArguments: this.spec.verbatimArguments === true,
          // Its own process group, so a timeout stops what it started too (`sh -c 'sleep 30'`):
          // a grandchild holding stdout open would otherwise keep the run waiting.
          detached: GROUP_KILL
        })
      } catch (error) {
        // Some failures (E2BIG) are thrown at once rather than sent as an 'error' event.
        reject(cannotRun(error))
        return
      }
      killGroupOnExit(child)
      const stdout: Buffer[] = []
      let stdoutBytes = 0
      let overflowed = false
      // Set once the grace after the command's exit is over: what is written from then on comes
      // from what it left in the background, and is no part of its answer.
      let answerEnded = false
      const secrets = this.spec.secrets ?? []
      const stderr = new TextEnds(
        STDERR_KEPT_CHARS + Math.max(0, ...secrets.map((s) => s.value.length))
      )

      let terminated = false
      const terminate = (): void => {
        if (terminated) return
        terminated = true
        stop(child, 'SIGTERM')
        // The group is killed after the grace even once the command has closed: what it started
        // may ignore SIGTERM. Unref'd: evalgate need not wait, its exit SIGKILLs the group too.
        setTimeout(() => {
          stop(child, 'SIGKILL')
          killOnExit.delete(child)
        }, KILL_GRACE_MS).unref()
      }

      child.stdout.on('data', (chunk: Buffer) => {
        // Still read, so that the pipe closes when its writer is gone rather than blocking it.
        if (answerEnded) return
        stdoutBytes += chunk.length
        if (stdoutBytes <= MAX_ANSWER_BYTES + LINE_END_BYTES) {
          stdout.push(chunk)
          return
        }
        // A runaway command (`yes`) would fill the memory: it is stopped, its answer dropped, and
        // stdout no longer read.
        overflowed = true
        stdout.length = 0
        child.stdout.destroy()
        terminate()
      })
      // Decoded as a stream: a character split between two chunks stays whole.
      child.stderr.setEncoding('utf8')
      child.stderr.on('data', (text: string) => stderr.add(text))
      // A command that exits without reading stdin closes the pipe: not the command's fault.
      child.stdin.on('error', () => undefined)
      child.stdin.end(request.prompt)

      // Once the command has exited, what it started in the background and still holds stdout or
      // stderr open is stopped after a grace; the call settles when they close, so nothing still
      // in the pipe is lost, and its answer is what was written until the grace ended. Something
      // that left the process group may hold them past SIGKILL: then they are closed from this
      // side.
      let lingering: NodeJS.Timeout | undefined
      let exitedAt: number | undefined
      child.on('exit', () => {
        exitedAt = performance.now()
        lingering = setTimeout(() => {
          terminate()
          // On the loop's next turn: what is already in the pipe is read first, even when this
          // timer ran late.
          setImmediate(() => (answerEnded = true))
          lingering = setTimeout(() => {
            child.stdout.destroy()
            child.stderr.destroy()
          }, KILL_GRACE_MS + EXIT_GRACE_MS)
        }, EXIT_GRACE_MS)
      })

      signal.addEventListener('abort', terminate, { once: true })

      child.on('error', (error) => {
        signal.removeEventListener('abort', terminate)
        reject(cannotRun(error))
      })
      child.on('close', (code, killedBy) => {
        signal.removeEventListener('abort', terminate)
        clearTimeout(lingering)
        if (!terminated) killOnExit.delete(child)
        if (signal.aborted) return reject(abortError(signal))
        const tooLong = `provider ${this.id}: the command wrote more than ${MAX_ANSWER_BYTES / 2 ** 20} MB to stdout, the most an answer may hold`
        if (overflowed) return reject(new ProviderError('exec', `${tooLong}; it was stopped`))
        if (code !== 0) {
          const status = code === null ? `was killed by ${killedBy}` : `exited with code ${code}`
          const quoted = quoteStderr(stderr, secrets)
          return reject(
            new ProviderError(
              'exec',
              `provider ${this.id}: command ${status}${quoted ? `: ${quoted}` : ''}`
            )
          )
        }
        const written = Buffer.concat(stdout)
        const answer = written.subarray(0, written.length - lineEndLength(written))
        if (answer.length > MAX_ANSWER_BYTES) return reject(new ProviderError('exec', tooLong))
        const output = answer.toString('utf8')
        // Its latency ends when it exits, not when what it left behind lets go of stdout.
        resolve({ output, latencyMs: (exitedAt ?? performance.now()) - started, attempts: 1 })
      })
    })
  }
}
