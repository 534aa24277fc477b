import { opendir, readdir, rm, stat } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import { join } from 'node:path'
import { EvalgateError, UsageError, errorMessage } from '../errors.js'
import {
  probeWritableDirectory,
  readRegularFileIfExists,
  utf8Text,
  writeFileAtomic
} from '../io/files.js'
import { canonicalJson, sha256Hex } from '../results/fingerprint.js'
import { recordedTokens, tokenCountProblem } from '../providers/tokens.js'
import type { ProviderRequest, ProviderResponse } from '../providers/types.js'

export const DEFAULT_CACHE_DIR = '.evalgate/cache'

/** How old a temp file of the cache is before it counts as the leftover of a killed writer. */
const UNFINISHED_WRITE_AGE_MS = 60 * 60 * 1000

/** An entry holds one answer, itself capped at 32 MB (providers/connections.ts), in JSON. */
const MAX_ENTRY_BYTES = 64 * 2 ** 20

/**
 * - `off`: never read, never write.
 * - `read`: answer from the cache when it can, call the provider otherwise; write nothing.
 * - `write`: always call, record every answer (refreshes the cache).
 * - `read-write`: answer from the cache when it can, record what it had to call.
 * - `replay`: answer only from the cache; a miss is an error (CacheMissError), never a call.
 */
export type CacheMode = 'off' | 'read' | 'write' | 'read-write' | 'replay'

export const CACHE_MODES: readonly CacheMode[] = ['off', 'read', 'write', 'read-write', 'replay']

/**
 * Bumped when the key's inputs or the entry format change: old entries then simply miss (the key
 * holds the format), which FORMAT_FILE lets a run tell from answers never recorded. 2: an entry
 * keeps the service tier that answered (a flex answer of format 1 would replay as standard). 3: a
 * module's or exec command's answer is keyed by the case id it is given (two cases with the same
 * variables shared one answer of format 2) and by the settings of its entry that decide its
 * answers (not its id, label, timeout, retries, limits or prices); an http provider's by where
 * its token counts and model are read.
 * An entry's `finishReason` and `refused` came later without a bump: an entry without them
 * replays as an answer that finished, as every answer did before, and a recorded cache stays
 * usable.
 */
const CACHE_FORMAT = 3

/**
 * The file of a cache directory that names the format of its entries, written by every run that
 * records answers. A directory that holds entries without it was written before format 3.
 */
const FORMAT_FILE = 'evalgate-cache-format'

/**
 * What a cached answer restores. No latency, ttft or attempts: nothing was called, so the caller
 * marks the result `cached: true` with `latencyMs: null` and it is never a latency sample.
 */
export type CachedAnswer = Pick<
  ProviderResponse,
  'output' | 'tokens' | 'model' | 'fingerprint' | 'serviceTier' | 'finishReason' | 'refused'
>

export interface CacheKeyInput {
  /** Identity of the provider's resolved configuration (never a secret). */
  providerFingerprint: string
  /** What of the request reaches the provider: the variables and case id only where they do. */
  request: Pick<ProviderRequest, 'messages'> & Partial<Pick<ProviderRequest, 'vars' | 'caseId'>>
  /** Repeats are distinct samples and get distinct entries. */
  repeat: number
}

/** Content address of one answer: sha256 over the canonical JSON of what determines it. */
export function cacheKey(input: CacheKeyInput): string {
  return sha256Hex(
    canonicalJson({
      format: CACHE_FORMAT,
      provider: input.providerFingerprint,
      messages: input.request.messages,
      vars: input.request.vars ?? {},
      ...(input.request.caseId === undefined ? {} : { caseId: input.request.caseId }),
      repeat: input.repeat
    })
  )
}

/** Replay mode found no recorded answer: the run cannot call the provider to make one. */
export class CacheMissError extends EvalgateError {
  readonly key: string
  /**
   * `otherFormat`: the directory was written by another evalgate version, in that cache format:
   * the cache is to be recorded again, not merely restored.
   */
  constructor(key: string, dir: string, what?: string, otherFormat?: string) {
    const found = otherFormat === undefined ? '' : `: ${writtenByAnotherVersion(otherFormat)}`
    super(
      `no cached answer${what ? ` for ${what}` : ''} (key ${key.slice(0, 12)}…) in ${dir}${found}. ` +
        'Replay mode never calls a provider — it is how runs without secrets (pull requests from ' +
        `forks) reuse recorded answers. ${otherFormat === undefined ? 'Record them' : 'Re-record the cache'} with cache mode write on a trusted ` +
        'run (push to the default branch) and make that cache directory available to this run.'
    )
    this.key = key
  }
}

function writtenByAnotherVersion(format: string): string {
  return `its answers were recorded by another evalgate version (cache ${format}; this one reads format ${CACHE_FORMAT})`
}

/**
 * Checks, before a run, that the cache directory can serve `mode`: one that is a file, or cannot
 * be read or written, would otherwise warn on every lookup and every write of the run. A
 * directory that does not exist yet is fine to read from (every lookup misses); one the mode
 * writes to is made.
 */
export async function assertUsableCacheDir(dir: string, mode: CacheMode): Promise<void> {
  if (mode === 'off') return
  const access = { read: 'read', replay: 'read', write: 'write', 'read-write': 'read and write' }[
    mode
  ]
  const unusable = (error: unknown) =>
    new UsageError(
      `cannot use the cache directory ${dir}: ${errorMessage(error)}; point cache-dir at a directory this run can ${access}`
    )
  let existing: Stats | undefined
  try {
    existing = await stat(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unusable(error)
  }
  if (existing && !existing.isDirectory()) {
    throw new UsageError(
      `the cache directory ${dir} is not a directory: point cache-dir at a directory (default ${DEFAULT_CACHE_DIR})`
    )
  }
  try {
    if (mode === 'write' || mode === 'read-write') await probeWritableDirectory(dir)
    else if (existing) await (await opendir(dir)).close()
  } catch (error) {
    throw unusable(error)
  }
}

/**
 * Why a cache directory a run reads from can answer nothing — it does not exist, or holds no
 * entry — or undefined when it holds one: every lookup would miss, which a replay reports only
 * as answers never obtained, far from its cause (a cache not restored, a mistyped cache-dir).
 */
export async function emptyCacheDir(dir: string): Promise<string | undefined> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'does not exist'
    throw error
  }
  for (const name of names) {
    if (!/^[0-9a-f]{2}$/.test(name)) continue
    const entries = await readdir(join(dir, name)).catch(() => [])
    if (entries.some((file) => /^[0-9a-f]{64}\.json$/.test(file))) return undefined
  }
  return 'holds no cached answer'
}

/** What the lookups of a run found wrong with its cache directory. */
interface CacheFindings {
  /** What was said of the files looked up. */
  warned: Set<string>
  /** The cache format of the directory, as `format N`, when it is not this version's. */
  otherFormat?: string
  /** Lookups that missed while the directory was of otherFormat. */
  otherFormatMisses: number
}

interface CacheEntry {
  format: typeof CACHE_FORMAT
  key: string
  answer: CachedAnswer
}

/**
 * What the cache keeps of an answer, and gives back: the output, the token counts, the model, its
 * fingerprint, the service tier that answered (which decides its price), why it stopped and
 * whether it refused; not its latency.
 */
function cachedAnswer(answer: CachedAnswer): CachedAnswer {
  return {
    output: answer.output,
    ...(answer.tokens ? { tokens: recordedTokens(answer.tokens) } : {}),
    ...(answer.model !== undefined ? { model: answer.model } : {}),
    ...(answer.fingerprint !== undefined ? { fingerprint: answer.fingerprint } : {}),
    ...(answer.serviceTier !== undefined ? { serviceTier: answer.serviceTier } : {}),
    ...(answer.finishReason !== undefined ? { finishReason: answer.finishReason } : {}),
    ...(answer.refused ? { refused: true } : {})
  }
}

/** Why a parsed entry is unusable, or undefined when it is fine. */
function entryProblem(entry: unknown, key: string): string | undefined {
  if (entry === null || typeof entry !== 'object') return 'not a JSON object'
  const e = entry as Record<string, unknown>
  if (e['format'] !== CACHE_FORMAT) return `format ${String(e['format'])}, expected ${CACHE_FORMAT}`
  if (e['key'] !== key) return 'it records another key'
  const answer = e['answer'] as Record<string, unknown> | undefined
  if (!answer || typeof answer['output'] !== 'string') return 'no output'
  const tokens = answer['tokens'] === undefined ? undefined : tokenCountProblem(answer['tokens'])
  if (tokens) return `bad token counts: ${tokens}`
  for (const field of ['model', 'fingerprint', 'serviceTier', 'finishReason']) {
    if (answer[field] !== undefined && typeof answer[field] !== 'string') return `bad ${field}`
  }
  if (answer['refused'] !== undefined && typeof answer['refused'] !== 'boolean')
    return 'bad refused'
  return undefined
}

/**
 * Record/replay cache of provider answers on disk, content-addressed: `<dir>/<2 hex>/<key>.json`.
 * Writes go to a unique temp file renamed into place (rename is atomic on one file system), so
 * concurrent writers — promises or processes — never leave a half-written entry; the last rename
 * wins, and entries for one key are equivalent anyway. A corrupt or foreign entry is a miss plus
 * a warning (one per file, however often it is looked up), never a crash. A directory of another
 * evalgate version's format (checkFormat) misses every lookup: told once, counted, by
 * warnOfOtherFormat.
 */
export class ResponseCache {
  readonly dir: string
  readonly mode: CacheMode
  private readonly warn: (message: string) => void
  private readonly findings: CacheFindings

  /** `findings` are shared with the cache this one is the replaying() of. */
  constructor(
    options: { dir: string; mode: CacheMode; warn: (message: string) => void },
    findings: CacheFindings = { warned: new Set(), otherFormatMisses: 0 }
  ) {
    this.dir = options.dir
    this.mode = options.mode
    this.warn = options.warn
    this.findings = findings
  }

  /**
   * This cache in replay mode, for what can only be replayed (a provider whose secrets are not
   * set): what its lookups find wrong with the directory is told with this cache's, once.
   */
  replaying(): ResponseCache {
    if (this.mode === 'replay') return this
    return new ResponseCache({ dir: this.dir, mode: 'replay', warn: this.warn }, this.findings)
  }

  /**
   * Before the run: whether the directory's entries are of another evalgate version's format,
   * which a run that reads cannot find (their keys hold their format), and a replay would
   * otherwise report as answers never recorded. A run that records answers then marks the
   * directory as of this version's format. Best effort: a marker that cannot be read or written
   * only loses the hint.
   */
  async checkFormat(): Promise<void> {
    const marker = join(this.dir, FORMAT_FILE)
    const written = await readRegularFileIfExists(marker, 64).catch(() => undefined)
    const format = written === undefined ? undefined : utf8Text(written)?.trim()
    if (format !== undefined) {
      if (format !== String(CACHE_FORMAT)) this.findings.otherFormat = `format ${format}`
    } else if ((await emptyCacheDir(this.dir).catch(() => 'unreadable')) === undefined) {
      this.findings.otherFormat = 'format 2 or earlier'
    }
    if (this.writes) await writeFileAtomic(marker, `${CACHE_FORMAT}\n`).catch(() => undefined)
  }

  /**
   * Says, once, how many lookups missed in a directory of another evalgate version's format:
   * after a format bump every one does, and naming only the missing answers would send the
   * reader looking for a cache that was not restored.
   */
  warnOfOtherFormat(): void {
    const { otherFormat, otherFormatMisses: misses } = this.findings
    if (otherFormat === undefined || misses === 0) return
    const next = this.writes
      ? 'this run recorded those it called for'
      : 're-record the cache with cache mode write on a trusted run (push to the default branch)'
    this.warn(
      `cache: ${misses} ${misses === 1 ? 'answer was' : 'answers were'} not found in ${this.dir}: ${writtenByAnotherVersion(otherFormat)}; ${next}`
    )
  }

  /** A problem of a file, told the first time only: a file is looked up by every suite that asks. */
  private warnOnce(message: string): void {
    if (this.findings.warned.has(message)) return
    this.findings.warned.add(message)
    this.warn(message)
  }

  /** Whether `get` can answer: the caller skips the lookup otherwise. */
  get reads(): boolean {
    return this.mode === 'read' || this.mode === 'read-write' || this.mode === 'replay'
  }

  /** Whether `set` records answers. */
  get writes(): boolean {
    return this.mode === 'write' || this.mode === 'read-write'
  }

  private path(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`not a cache key: ${key}`)
    return join(this.dir, key.slice(0, 2), `${key}.json`)
  }

  /**
   * The recorded answer, or undefined on a miss (or when this mode does not read). One that is
   * not `usable` to the caller (a judge's answer that is no verdict) is a miss in a mode that can
   * call again, for another try; a replay, which cannot, gives it back as recorded, so the run
   * it replays is reproduced with the same error. In replay mode a miss throws CacheMissError;
   * `what` (e.g. "provider gpt, case q1, repeat 0") names it. `formerKey` gives the key an older
   * evalgate recorded the same answer under, computed and looked up on a miss only (said once): a
   * cache recorded before an upgrade still answers until a run records it again, under `key`.
   */
  async get(
    key: string,
    what?: string,
    usable: (answer: CachedAnswer) => boolean = () => true,
    formerKey?: () => string
  ): Promise<CachedAnswer | undefined> {
    if (!this.reads) return undefined
    const read =
      (await this.read(this.path(key), key)) ??
      (formerKey === undefined ? undefined : await this.readFormer(formerKey()))
    const answer = read && (this.mode === 'replay' || usable(read)) ? read : undefined
    const { otherFormat } = this.findings
    if (!read && otherFormat !== undefined) this.findings.otherFormatMisses++
    if (!answer && this.mode === 'replay') {
      throw new CacheMissError(key, this.dir, what, otherFormat)
    }
    return answer
  }

  private async readFormer(key: string): Promise<CachedAnswer | undefined> {
    const answer = await this.read(this.path(key), key)
    if (answer) {
      this.warnOnce(
        `cache: answers of a module or exec provider in ${this.dir} were found under the key of an older evalgate (its spec's directory from the working directory, not from the repository's root); a run with cache mode write records them under the current one`
      )
    }
    return answer
  }

  private async read(file: string, key: string): Promise<CachedAnswer | undefined> {
    let bytes: Buffer | undefined
    try {
      bytes = await readRegularFileIfExists(file, MAX_ENTRY_BYTES)
    } catch (error) {
      // Replay never calls a provider: the entry it cannot read is a cache miss.
      const instead =
        this.mode === 'replay' ? 'counted as a cache miss' : 'calling the provider instead'
      this.warnOnce(`cache: cannot read ${file}: ${errorMessage(error)}; ${instead}`)
      return undefined
    }
    if (bytes === undefined) return undefined
    // Decoded strictly: a lossy decoding would replay U+FFFD in place of what was recorded.
    const text = utf8Text(bytes)
    if (text === undefined) {
      this.warnOnce(`cache: ${file} is not UTF-8; treated as a miss`)
      return undefined
    }
    let entry: unknown
    try {
      entry = JSON.parse(text)
    } catch (error) {
      this.warnOnce(`cache: ${file} is not valid JSON (${errorMessage(error)}); treated as a miss`)
      return undefined
    }
    const problem = entryProblem(entry, key)
    if (problem) {
      this.warnOnce(`cache: ignoring ${file}: ${problem}; treated as a miss`)
      return undefined
    }
    const { answer } = entry as CacheEntry
    return cachedAnswer(answer)
  }

  /**
   * Removes the temp files of writes that never finished (a writer killed between its write and
   * its rename), an hour old or more: younger ones may be another process's, still writing.
   * Best effort: a file that cannot be removed stays.
   */
  async sweepUnfinishedWrites(now = Date.now()): Promise<void> {
    if (!this.writes) return
    const subdirectories = await readdir(this.dir).catch(() => [])
    for (const name of subdirectories) {
      if (!/^[0-9a-f]{2}$/.test(name)) continue
      const sub = join(this.dir, name)
      for (const file of await readdir(sub).catch(() => [])) {
        if (!file.endsWith('.tmp')) continue
        const path = join(sub, file)
        const modified = (await stat(path).catch(() => undefined))?.mtimeMs
        if (modified !== undefined && now - modified >= UNFINISHED_WRITE_AGE_MS) {
          await rm(path, { force: true }).catch(() => undefined)
        }
      }
    }
  }

  /**
   * Records an answer (when this mode writes), as cachedAnswer keeps it. A failed write is a
   * warning: losing a cache entry must not fail the case.
   */
  async set(key: string, response: CachedAnswer): Promise<void> {
    if (!this.writes) return
    const file = this.path(key)
    const entry: CacheEntry = {
      format: CACHE_FORMAT,
      key,
      answer: cachedAnswer(response)
    }
    try {
      await writeFileAtomic(file, JSON.stringify(entry) + '\n')
    } catch (error) {
      this.warn(`cache: cannot write ${file}: ${errorMessage(error)}; the answer is not recorded`)
    }
  }
}
