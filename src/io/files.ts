import { randomBytes } from 'node:crypto'
import { constants, unlinkSync } from 'node:fs'
import type { Dirent } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { mkdir, open, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { InputError, ResultsWriteError, UsageError, errorMessage } from '../errors.js'
import { parseRunResultBytes } from '../results/parse.js'
import type { RunResult } from '../results/types.js'
import type { ShardFile } from '../results/merge.js'

/**
 * `mkdir -p`, one level at a time: Node's recursive mkdir never returns for a directory that
 * cannot be made under one that exists (`/proc/x`), and a run must fail, not hang.
 */
async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return
    if (code !== 'ENOENT' || dirname(dir) === dir) throw error
    await makeDirectory(dirname(dir))
    await mkdir(dir).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again
    })
  }
}

/** Temp files being written: the process may end before one is renamed into place. */
const unfinishedTemps = new Set<string>()
let removesTempsOnExit = false

/** Removes the temp files still unfinished when the process ends (a second Ctrl-C, a process.exit). */
function removeUnfinishedTemps(): void {
  for (const temp of unfinishedTemps) {
    try {
      unlinkSync(temp)
    } catch {
      // Not made yet, or renamed into place as the process ended: nothing is left behind.
    }
  }
}

/**
 * Writes `path` through a temp file beside it and a rename, so a reader never sees half a file:
 * `write` fills the open temp file. Ended before the rename, the process leaves no temp file.
 */
async function writeThroughTemp(
  path: string,
  write: (file: FileHandle) => Promise<void>
): Promise<void> {
  await makeDirectory(dirname(path))
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  if (!removesTempsOnExit) {
    process.on('exit', removeUnfinishedTemps)
    removesTempsOnExit = true
  }
  unfinishedTemps.add(temp)
  try {
    const file = await open(temp, 'w')
    try {
      await write(file)
    } finally {
      await file.close()
    }
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  } finally {
    unfinishedTemps.delete(temp)
  }
}

/** Writes `content` to `path` at once, for readers: never half a file. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  await writeThroughTemp(path, async (file) => {
    await file.writeFile(content)
  })
}

/** The nearest directory from `dir` up that holds `.git` (a directory, or a worktree's file). */
async function repositoryRoot(dir: string): Promise<string | undefined> {
  for (let current = dir; ; current = dirname(current)) {
    if (await stat(join(current, '.git')).catch(() => undefined)) return current
    if (dirname(current) === current) return undefined
  }
}

/** The path with symbolic links resolved; as it is when it cannot be (it does not exist). */
async function realPathOf(path: string): Promise<string> {
  return realpath(path).catch(() => path)
}

/**
 * The root of the git repository holding `path` (symbolic links resolved first, as
 * repositoryPaths does), which its recorded paths start from; undefined outside one.
 */
export async function repositoryRootOf(path: string): Promise<string | undefined> {
  return repositoryRoot(await realPathOf(path))
}

/**
 * The directory of a spec file (relative to `cwd`) as its `module` and `exec` providers' cached
 * answers are keyed: relative to the root of the git repository holding it, so the same whichever
 * directory a run starts in (`.` for the root itself); relative to `cwd` outside one. Symbolic
 * links are kept as written, so a run from the root keys as evalgate always has.
 */
export async function repositoryDirectory(cwd: string, specFile: string): Promise<string> {
  const directory = dirname(resolve(cwd, specFile))
  const root = await repositoryRoot(directory)
  const path = root === undefined ? dirname(specFile) : relative(root, directory) || '.'
  return path.split('\\').join('/')
}

/**
 * For each spec file (relative to `cwd`), how its files are recorded in a RunResult: relative to
 * the root of the git repository holding the spec — the spec itself and its case files, even one
 * in a nested repository or outside it — so they are the same whichever directory a run starts
 * in, and what GitHub's annotations expect. Symbolic links are resolved first. A spec in no
 * repository keeps its files relative to `cwd`.
 */
export async function repositoryPaths(
  cwd: string,
  suites: Iterable<{ specFile: string; files: Iterable<string> }>
): Promise<(file: string, specFile: string) => string> {
  const recorded = new Map<string, Map<string, string>>()
  for (const { specFile, files } of suites) {
    if (recorded.has(specFile)) continue
    const spec = await realPathOf(resolve(cwd, specFile))
    const root = await repositoryRoot(dirname(spec))
    const paths = new Map<string, string>()
    for (const file of new Set([specFile, ...files])) {
      const path = root === undefined ? file : relative(root, await realPathOf(resolve(cwd, file)))
      paths.set(file, path.split('\\').join('/'))
    }
    recorded.set(specFile, paths)
  }
  return (file, specFile) => recorded.get(specFile)?.get(file) ?? file
}

/** Removes a file, if there is one. */
export async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true })
}

/**
 * Bytes read as UTF-8 text, without a byte order mark; undefined when they are not UTF-8 (a
 * Latin-1 or UTF-16 export), which Node would otherwise turn into U+FFFD without a word.
 */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}

/** A path that is no regular file: a pipe, a device, a socket or a directory. */
export class NotRegularFileError extends Error {
  constructor() {
    super('not a regular file')
  }
}

/**
 * The bytes of a regular file of at most `maxBytes`, or undefined when there is no such file.
 * Anything else throws: a FIFO (opened without blocking, so it cannot hang the read), a device,
 * a directory, a larger file — what a tampered cache directory may hold in place of an entry.
 */
export async function readRegularFileIfExists(
  path: string,
  maxBytes = Number.POSITIVE_INFINITY
): Promise<Buffer | undefined> {
  let handle: FileHandle
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    const info = await handle.stat()
    if (!info.isFile()) throw new NotRegularFileError()
    if (info.size > maxBytes) throw new Error(`larger than ${maxBytes} bytes`)
    return await handle.readFile()
  } finally {
    await handle.close()
  }
}

/**
 * Writes and removes a probe file in `dir`, made first if need be; throws what the file system
 * says when it cannot. A real write, not access(W_OK): that says yes to root everywhere, /proc
 * included.
 */
export async function probeWritableDirectory(dir: string): Promise<void> {
  const probe = join(dir, `.evalgate-write-check-${randomBytes(6).toString('hex')}`)
  await makeDirectory(dir)
  await writeFile(probe, '')
  await rm(probe, { force: true })
}

/** What a file written for the user holds, for messages: `the results`, a file name to suggest. */
export interface OutputFileKind {
  /** e.g. `results`, `comparison` */
  what: string
  /** A file name to suggest when a directory is given, e.g. `results.json`. */
  example: string
}

const RESULTS_FILE: OutputFileKind = { what: 'results', example: 'results.json' }

/**
 * Checks, before the work (a run, a merge, a comparison), that its output can be written to
 * `path`: a path that is a directory or lies under a file would otherwise lose the work at the
 * end, or fail with no clear message.
 */
export async function assertWritableFile(
  path: string,
  kind: OutputFileKind = RESULTS_FILE
): Promise<void> {
  const existing = await stat(path).catch(() => undefined)
  if (existing?.isDirectory()) {
    throw new UsageError(
      `the ${kind.what} path ${path} is a directory: name a file, e.g. ${join(path, kind.example)}`
    )
  }
  // The file is written whole and renamed into place: a device or a pipe there would be replaced.
  if (existing && !existing.isFile()) {
    throw new UsageError(
      `the ${kind.what} path ${path} is not a regular file (a device or a pipe), which writing would replace: name a file, e.g. ${kind.example}`
    )
  }
  try {
    await probeWritableDirectory(dirname(path))
  } catch (error) {
    throw new UsageError(`cannot write the ${kind.what} to ${path}: ${errorMessage(error)}`)
  }
}

/** `path` relative to `cwd` when it lies under it, for messages; absolute otherwise. */
function shownPath(cwd: string, path: string): string {
  const under = relative(cwd, path)
  return under.startsWith('..') || isAbsolute(under) ? path : under
}

/** A file a command reads, for the message when its output would overwrite it. */
export interface CommandInput {
  /** What the file is to the command, e.g. `the baseline`, `the spec`. */
  what: string
  path: string
}

/**
 * Refuses to write a command's output over one of its inputs (a spec replaced by results, a
 * baseline by the run compared with it, a shard by the merge): the same file by device and inode,
 * so also through a symbolic or hard link or another spelling of the path. `shown` is the output
 * as the user named it; `advice` says what to do instead.
 */
export async function assertNotAnInput(
  out: string,
  inputs: readonly CommandInput[],
  { cwd, shown, advice }: { cwd: string; shown: string; advice: string }
): Promise<void> {
  const target = await stat(out).catch(() => undefined)
  if (!target) return
  for (const input of inputs) {
    const info = await stat(input.path).catch(() => undefined)
    if (info?.dev === target.dev && info.ino === target.ino) {
      throw new UsageError(
        `${shown} would overwrite ${input.what} (${shownPath(cwd, input.path)}): ${advice}`
      )
    }
  }
}

/** What is read of an existing output file to tell a results file: its first fields. */
const RESULTS_HEAD_BYTES = 4096
/** A JSON object whose `tool` names evalgate: fields a results file opens with (after `schemaVersion`). */
const RESULTS_HEAD = /^\uFEFF?\s*\{[^]*?"tool"\s*:\s*\{\s*"name"\s*:\s*"evalgate"/
/** A JSON object showing a results file's other fields: `tool` may come later, its keys sorted. */
const RESULTS_KEYS = /^\uFEFF?\s*\{[^]*?"(?:run|schemaVersion|suites)"\s*:/
/** The `tool` field, whole up to its name: cut short at the end of a read, it is read on. */
const TOOL_NAME = /"tool"\s*:\s*\{\s*"name"\s*:\s*"([^"\\]*)"/
/** How much of a file is read at a time when looking past its head for `tool`. */
const READ_ON_BYTES = 1 << 20

/**
 * Whether `file` is empty or an earlier RunResult, told by its first fields; or, when they show a
 * RunResult's fields but not `tool` (keys sorted, by `jq -S` or Python's sort_keys, put it after
 * the suites), by reading on until `tool` names evalgate.
 */
async function holdsResults(file: FileHandle): Promise<boolean> {
  const head = Buffer.alloc(RESULTS_HEAD_BYTES)
  const { bytesRead } = await file.read(head, 0, RESULTS_HEAD_BYTES, 0)
  const headText = head.toString('utf8', 0, bytesRead)
  if (headText.trim() === '' || RESULTS_HEAD.test(headText)) return true
  if (!RESULTS_KEYS.test(headText)) return false
  const named = TOOL_NAME.exec(headText)?.[1]
  if (named !== undefined) return named === 'evalgate'
  // Latin-1, a character a byte: the field is ASCII, and a read may end inside a UTF-8 character.
  let text = head.toString('latin1', 0, bytesRead)
  const chunk = Buffer.alloc(READ_ON_BYTES)
  for (let position = bytesRead; ;) {
    const { bytesRead: read } = await file.read(chunk, 0, READ_ON_BYTES, position)
    if (read === 0) return false
    position += read
    // The field may straddle two reads: the end of the last one is searched again.
    text = text.slice(-RESULTS_HEAD_BYTES) + chunk.toString('latin1', 0, read)
    const name = TOOL_NAME.exec(text)?.[1]
    if (name !== undefined) return name === 'evalgate'
  }
}

/**
 * Refuses to replace a file that is not an earlier RunResult with one: a command cannot know every
 * file it reads (a module provider imports others), but a results file tells itself by its first
 * fields, which are mostly all that is read of it. A file that is empty is replaced; so is a
 * results file whose rest is damaged. `shown` is the output as the user named it.
 */
export async function assertResultsFileOrNone(
  out: string,
  { cwd, shown }: { cwd: string; shown: string }
): Promise<void> {
  const existing = await stat(out).catch(() => undefined)
  // A directory or a device is refused by assertWritableFile, with its own message.
  if (!existing?.isFile()) return
  let isResults: boolean
  try {
    const file = await open(out, 'r')
    try {
      isResults = await holdsResults(file)
    } finally {
      await file.close()
    }
  } catch (error) {
    throw new UsageError(
      `${shown} would overwrite ${shownPath(cwd, out)}, which evalgate cannot read to check that it holds results (${errorMessage(error)}): write them to another file`
    )
  }
  if (isResults) return
  throw new UsageError(
    `${shown} would overwrite ${shownPath(cwd, out)}, which is not an evalgate results file (code, data or another tool's file, perhaps one the run reads): write the results to another file, or remove that one first if it can go`
  )
}

/**
 * The RunResult as JSON, in pieces: one string of a whole run can pass V8's limit (about 512 MB:
 * 20,000 cases of 30 KB answers), and a run must never be lost to its own size. The suites'
 * answers are one line each; the rest is indented as `JSON.stringify(…, null, 2)` would.
 */
export function* runResultChunks(run: RunResult): Generator<string> {
  const { suites, ...head } = run
  yield JSON.stringify(head, null, 2).replace(/\n}$/, ',\n  "suites": [')
  for (const [index, suite] of suites.entries()) {
    const { results, ...rest } = suite
    const fields = JSON.stringify(rest, null, 2).replace(/\n/g, '\n    ')
    yield `${index === 0 ? '' : ','}\n    ${fields.replace(/\n {4}}$/, ',\n      "results": [')}`
    for (const [i, result] of results.entries()) {
      yield `${i === 0 ? '' : ','}\n        ${JSON.stringify(result)}`
    }
    yield `${results.length === 0 ? '' : '\n      '}]\n    }`
  }
  yield `${suites.length === 0 ? '' : '\n  '}]\n}\n`
}

/** Written as writeFileAtomic writes, a piece at a time. */
export async function writeRunResult(path: string, run: RunResult): Promise<void> {
  await writeThroughTemp(path, async (file) => {
    let buffered = ''
    for (const chunk of runResultChunks(run)) {
      buffered += chunk
      if (buffered.length >= 1 << 20) {
        await file.write(buffered)
        buffered = ''
      }
    }
    await file.write(buffered)
  })
}

/**
 * Writes a run's results to `path`, or — when that fails after the run (a full disk, a path
 * removed meanwhile) — to a new file in `rescueDir`, and throws a ResultsWriteError naming it:
 * hours of answers are never lost to one failed write.
 */
export async function writeRunResultOrRescue(
  path: string,
  run: RunResult,
  rescueDir = tmpdir()
): Promise<void> {
  try {
    await writeRunResult(path, run)
  } catch (error) {
    const rescue = join(rescueDir, `evalgate-results-${randomBytes(6).toString('hex')}.json`)
    const failed = `cannot write the results to ${path}: ${errorMessage(error)}`
    try {
      await writeRunResult(rescue, run)
    } catch (rescueError) {
      throw new ResultsWriteError(`${failed}; nor to ${rescue}: ${errorMessage(rescueError)}`)
    }
    throw new ResultsWriteError(`${failed}; they were saved to ${rescue} instead`)
  }
}

/**
 * The RunResult in `path`, or undefined when there is no such file; a file that is no valid
 * RunResult throws an InputError, any other failure to read it its own error — a pipe or a
 * device a NotRegularFileError: a read of one could wait for ever, and no signal ends it.
 */
export async function readRunResultIfExists(path: string): Promise<RunResult | undefined> {
  const bytes = await readRegularFileIfExists(path)
  return bytes === undefined ? undefined : parseRunResultBytes(bytes, path)
}

/** The RunResult in `path`; a missing or unreadable file is an InputError too. */
export async function readRunResult(path: string): Promise<RunResult> {
  const unreadable = (message: string, hint?: string) =>
    new InputError(
      [{ file: path, path: '', message, ...(hint ? { hint } : {}) }],
      'cannot read a results file'
    )
  let run: RunResult | undefined
  try {
    run = await readRunResultIfExists(path)
  } catch (error) {
    if (error instanceof InputError) throw error
    throw error instanceof NotRegularFileError
      ? unreadable(error.message, 'point at the results file a run wrote')
      : unreadable(String(error))
  }
  if (run === undefined) throw unreadable('no such file')
  return run
}

/** Files written beside a results file, which are not results. */
const BESIDE_RESULTS = /\.(comparison|baseline-lookup|baseline-unavailable|invalid-specs)\.json$/

/**
 * Written beside the results when the specs could not be loaded: a `report-from` job, or the
 * `merge-from` job after a matrix of shards, reports the problems from it.
 */
export function invalidSpecsPathFor(resultsPath: string): string {
  return resultsPath.replace(/\.json$/, '') + '.invalid-specs.json'
}

/**
 * The directories a directory of shards stands for: itself, and — as actions/download-artifact
 * lays out several artifacts without `merge-multiple` — each directory directly in it.
 */
async function shardDirectories(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true })
  const directories = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(path, entry.name))
    .sort()
  return [path, ...directories]
}

/**
 * The records of invalid specs among the shards named: in each directory (and the directories
 * directly in it, one per artifact), and beside each file — a shard whose specs could not be
 * loaded wrote one instead of its results.
 */
export async function invalidSpecsRecordsAmong(paths: readonly string[]): Promise<string[]> {
  const records = new Set<string>()
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined)
    const candidates = info?.isDirectory()
      ? (
          await Promise.all(
            (await shardDirectories(path)).map(async (directory) =>
              (await readdir(directory))
                .filter((name) => name.endsWith('.invalid-specs.json'))
                .sort()
                .map((name) => join(directory, name))
            )
          )
        ).flat()
      : [invalidSpecsPathFor(path)]
    for (const candidate of candidates) {
      if ((await stat(candidate).catch(() => undefined))?.isFile()) records.add(candidate)
    }
  }
  return [...records]
}

/**
 * The results files directly in `directory`, sorted: its `*.json` but the files written beside
 * results. A link to a results file (a downloaded artifact linked in) counts as the file; a
 * broken link is kept, to be named when it cannot be read.
 */
async function resultsFilesIn(directory: string): Promise<string[]> {
  const entries = (await readdir(directory, { withFileTypes: true })).filter(
    (entry) => entry.name.endsWith('.json') && !BESIDE_RESULTS.test(entry.name)
  )
  const isResultsFile = async (entry: Dirent): Promise<boolean> =>
    entry.isFile() ||
    (entry.isSymbolicLink() &&
      ((await stat(join(directory, entry.name)).catch(() => undefined))?.isFile() ?? true))
  const kept = await Promise.all(entries.map(isResultsFile))
  return entries
    .filter((_, i) => kept[i])
    .map((entry) => join(directory, entry.name))
    .sort()
}

/**
 * The results files named, each once; a directory stands for the `*.json` directly in it (not
 * the files written beside results, nor subdirectories such as a cache), as a matrix job's
 * artifacts are laid out when downloaded with `merge-multiple`, or — when it holds none — for
 * those of each directory directly in it, one per artifact, as they are laid out without.
 * `fromDirectory` marks those, which callers may sift. `named`: what named the paths, for a
 * directory holding none. `unread`: the directories in a directory holding results files itself
 * that hold some too, not read, for when a shard is found missing.
 */
async function resultsFiles(
  paths: readonly string[],
  named: string | undefined
): Promise<{ files: { file: string; fromDirectory: boolean }[]; unread: string[] }> {
  const files = new Map<string, boolean>()
  const unread: string[] = []
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined)
    if (!info?.isDirectory()) {
      files.set(path, files.get(path) ?? false)
      continue
    }
    let found = await resultsFilesIn(path)
    const [, ...artifacts] = await shardDirectories(path)
    const inArtifacts = await Promise.all(artifacts.map(resultsFilesIn))
    if (found.length === 0) found = inArtifacts.flat()
    else unread.push(...artifacts.filter((_, i) => (inArtifacts[i]?.length ?? 0) > 0))
    if (found.length === 0) {
      throw new UsageError(
        `${named ? `${named}: ` : ''}${path} holds no results file (*.json), nor does any directory directly in it (one per downloaded artifact): name the shards' results files, or the directory their artifacts were downloaded to`
      )
    }
    for (const file of found) files.set(file, files.get(file) ?? true)
  }
  return { files: [...files].map(([file, fromDirectory]) => ({ file, fromDirectory })), unread }
}

/**
 * The shards' RunResults to merge: every file named, and the shard results of each directory — a
 * RunResult there that is no shard's (a merged run written earlier) is passed over, unless there
 * is nothing else: then merging says it was run without --shard.
 */
async function readShardFiles(
  paths: readonly string[],
  named: string | undefined
): Promise<{ shards: ShardFile[]; unread: string[] }> {
  const { files, unread } = await resultsFiles(paths, named)
  const read = await Promise.all(
    files.map(async ({ file, fromDirectory }) => ({
      file,
      fromDirectory,
      run: await readRunResult(file)
    }))
  )
  const shards = read.filter(
    ({ run, fromDirectory }) => !fromDirectory || run.run.shard !== undefined
  )
  return {
    shards: (shards.length > 0 ? shards : read).map(({ file, run }) => ({ file, run })),
    unread
  }
}

/**
 * The shards to merge into `out` (see readShardFiles), once `out` is known to be a file it may
 * write: a directory or a file other than results is refused before any shard is read, a shard
 * itself once they are. `shown` names `out` as the user wrote it; `advice` says where else to
 * write; `named` what named the shards (an input). The CLI's `merge` and the action's
 * `merge-from` check the same. `unread`: directories passed over (see resultsFiles), for mergeShards.
 */
export async function readShardsToMerge(
  out: string,
  paths: readonly string[],
  { cwd, shown, advice, named }: { cwd: string; shown: string; advice: string; named?: string }
): Promise<{ shards: ShardFile[]; unread: string[] }> {
  await assertWritableFile(out)
  await assertResultsFileOrNone(out, { cwd, shown })
  const read = await readShardFiles(
    paths.map((path) => resolve(cwd, path)),
    named
  )
  await assertNotAnInput(
    out,
    read.shards.map(({ file }) => ({ what: 'the shard', path: file })),
    { cwd, shown, advice }
  )
  return read
}
