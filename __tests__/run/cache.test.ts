import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, mkdir, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import {
  CacheMissError,
  ResponseCache,
  assertUsableCacheDir,
  cacheKey
} from '../../src/run/cache.js'
import type { CacheMode, CachedAnswer } from '../../src/run/cache.js'
import { UsageError } from '../../src/errors.js'

const answer: CachedAnswer = {
  output: 'Rome.',
  tokens: { input: 12, output: 2, cachedInput: 0, reasoning: 0 },
  model: 'gpt-4o-mini-2024-07-18',
  fingerprint: 'fp_1'
}
const request = {
  messages: [{ role: 'user' as const, content: 'Capital of Italy?' }],
  vars: { country: 'Italy' }
}
const key = cacheKey({ providerFingerprint: 'provider-a', request, repeat: 0 })

let dir: string
let warnings: string[]

function cache(mode: CacheMode): ResponseCache {
  return new ResponseCache({ dir, mode, warn: (m) => warnings.push(m) })
}

function entryPath(k: string): string {
  return join(dir, k.slice(0, 2), `${k}.json`)
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalgate-cache-'))
  warnings = []
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('cacheKey', () => {
  it('depends on the provider, the request (its case id where given) and the repeat, not on key order', () => {
    expect(key).toMatch(/^[0-9a-f]{64}$/)
    const reordered = { vars: { country: 'Italy' }, messages: request.messages }
    expect(cacheKey({ repeat: 0, request: reordered, providerFingerprint: 'provider-a' })).toBe(key)
    expect(cacheKey({ providerFingerprint: 'provider-b', request, repeat: 0 })).not.toBe(key)
    expect(cacheKey({ providerFingerprint: 'provider-a', request, repeat: 1 })).not.toBe(key)
    expect(
      cacheKey({
        providerFingerprint: 'provider-a',
        request: { ...request, vars: { country: 'France' } },
        repeat: 0
      })
    ).not.toBe(key)
    const caseKey = (caseId: string) =>
      cacheKey({ providerFingerprint: 'provider-a', request: { ...request, caseId }, repeat: 0 })
    expect(caseKey('alpha')).not.toBe(key)
    expect(caseKey('alpha')).not.toBe(caseKey('beta'))
  })
})

describe('ResponseCache modes', () => {
  it('read-write: a miss, then the recorded answer without latency', async () => {
    const c = cache('read-write')
    await expect(c.get(key)).resolves.toBeUndefined()
    await c.set(key, { ...answer, latencyMs: 812, ttftMs: 90, attempts: 2 } as CachedAnswer)
    await expect(c.get(key)).resolves.toEqual(answer)
    expect(await readdir(join(dir, key.slice(0, 2)))).toEqual([`${key}.json`])
  })

  it('write: records but never answers', async () => {
    const c = cache('write')
    await c.set(key, answer)
    await expect(c.get(key)).resolves.toBeUndefined()
    await expect(cache('read').get(key)).resolves.toEqual(answer)
  })

  it('read: answers but never records', async () => {
    await cache('read').set(key, answer)
    await expect(readdir(dir)).resolves.toEqual([])
    await cache('write').set(key, answer)
    await expect(cache('read').get(key)).resolves.toEqual(answer)
  })

  it('off: neither reads nor writes', async () => {
    await cache('write').set(key, answer)
    const c = cache('off')
    await expect(c.get(key)).resolves.toBeUndefined()
    const other = cacheKey({ providerFingerprint: 'x', request, repeat: 0 })
    await c.set(other, answer)
    await expect(cache('read').get(other)).resolves.toBeUndefined()
  })

  it('replay: answers from the cache, and a miss is an error explaining replay mode', async () => {
    await cache('write').set(key, answer)
    const c = cache('replay')
    await expect(c.get(key)).resolves.toEqual(answer)
    const missing = cacheKey({ providerFingerprint: 'provider-a', request, repeat: 5 })
    const error = await c.get(missing, 'provider gpt, case capitals, repeat 5').catch((e) => e)
    expect(error).toBeInstanceOf(CacheMissError)
    expect(error.message).toContain('no cached answer for provider gpt, case capitals, repeat 5')
    expect(error.message).toContain('forks')
    expect(error.message).toContain(dir)
    await c.set(missing, answer)
    await expect(c.get(missing)).rejects.toBeInstanceOf(CacheMissError)
  })
})

describe('ResponseCache and what the caller can use', () => {
  it('takes an entry the caller cannot use for a miss where it can call again; a replay takes it as recorded', async () => {
    await cache('write').set(key, answer)
    const unusable = (a: CachedAnswer) => a.output !== 'Rome.'
    await expect(cache('read-write').get(key, 'judge j', unusable)).resolves.toBeUndefined()
    await expect(cache('read').get(key, 'judge j', unusable)).resolves.toBeUndefined()
    // A replay reproduces the recorded run, the judge's broken verdict included.
    await expect(cache('replay').get(key, 'judge j', unusable)).resolves.toEqual(answer)
    // A judge's answer that is no verdict is recorded on purpose: nothing to warn of.
    expect(warnings).toEqual([])
  })
})

describe('ResponseCache leftovers', () => {
  it('sweeps the temp files of writers killed an hour ago or more, and no younger one', async () => {
    const sub = join(dir, key.slice(0, 2))
    await mkdir(sub, { recursive: true })
    const old = join(sub, `${key}.json.0a1b2c3d4e5f.tmp`)
    const young = join(sub, `${key}.json.f5e4d3c2b1a0.tmp`)
    await writeFile(old, '{"format": 2')
    await writeFile(young, '{"format": 2')
    const hourAgo = new Date(Date.now() - 61 * 60 * 1000)
    await utimes(old, hourAgo, hourAgo)
    await cache('read').sweepUnfinishedWrites()
    expect((await readdir(sub)).sort()).toEqual(
      [old, young].map((p) => p.slice(sub.length + 1)).sort()
    )
    await cache('write').sweepUnfinishedWrites()
    expect(await readdir(sub)).toEqual([young.slice(sub.length + 1)])
  })
})

describe('ResponseCache robustness', () => {
  it('treats a corrupt entry as a miss with a warning, and a new write repairs it', async () => {
    await mkdir(join(dir, key.slice(0, 2)), { recursive: true })
    await writeFile(entryPath(key), '{"format": 1, "key": "')
    const c = cache('read-write')
    await expect(c.get(key)).resolves.toBeUndefined()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain(entryPath(key))
    expect(warnings[0]).toContain('not valid JSON')
    await c.set(key, answer)
    await expect(c.get(key)).resolves.toEqual(answer)
    expect(warnings).toHaveLength(1)
  })

  it('warns of a corrupt entry once, however often it is looked up', async () => {
    await mkdir(join(dir, key.slice(0, 2)), { recursive: true })
    await writeFile(entryPath(key), 'garbage')
    const c = cache('read')
    // Two suites ask for the same answer; a replay of the providers without their secrets too.
    for (const lookup of [c, c, c.replaying()]) {
      await lookup.get(key).catch((error: unknown) => expect(error).toBeInstanceOf(CacheMissError))
    }
    expect(warnings).toEqual([
      `cache: ${entryPath(key)} is not valid JSON (Unexpected token 'g', "garbage" is not valid JSON); treated as a miss`
    ])
  })

  it('tells answers missing from a cache of another evalgate version from answers never recorded, once', async () => {
    // A cache of format 2 (before the directory named its format): its keys are not this one's.
    const recorded = cacheKey({ providerFingerprint: 'provider-old', request, repeat: 0 })
    await mkdir(join(dir, recorded.slice(0, 2)), { recursive: true })
    await writeFile(entryPath(recorded), JSON.stringify({ format: 2, key: recorded, answer }))
    const replay = cache('replay')
    await replay.checkFormat()
    const error = await replay.get(key, 'provider gpt, case q1, repeat 0').catch((e) => e)
    expect(error).toBeInstanceOf(CacheMissError)
    expect(error.message).toContain(
      `no cached answer for provider gpt, case q1, repeat 0 (key ${key.slice(0, 12)}…) in ${dir}: its answers were recorded by another evalgate version (cache format 2 or earlier; this one reads format 3). `
    )
    expect(error.message).toContain('Re-record the cache with cache mode write on a trusted run')
    await expect(replay.get(key)).rejects.toBeInstanceOf(CacheMissError)
    expect(warnings).toEqual([])
    replay.warnOfOtherFormat()
    expect(warnings).toEqual([
      `cache: 2 answers were not found in ${dir}: its answers were recorded by another evalgate version (cache format 2 or earlier; this one reads format 3); re-record the cache with cache mode write on a trusted run (push to the default branch)`
    ])

    // A run that records marks the directory as this version's: a miss is then only a miss.
    const write = cache('write')
    await write.checkFormat()
    warnings = []
    const next = cache('replay')
    await next.checkFormat()
    expect((await next.get(key).catch((e) => e)).message).not.toContain('another evalgate version')
    next.warnOfOtherFormat()
    expect(warnings).toEqual([])
    // One written by a later version says its format.
    await writeFile(join(dir, 'evalgate-cache-format'), '4\n')
    const later = cache('read')
    await later.checkFormat()
    await expect(later.get(key)).resolves.toBeUndefined()
    later.warnOfOtherFormat()
    expect(warnings).toEqual([
      `cache: 1 answer was not found in ${dir}: its answers were recorded by another evalgate version (cache format 4; this one reads format 3); re-record the cache with cache mode write on a trusted run (push to the default branch)`
    ])
  })

  it('treats an entry that is not UTF-8 as a miss with a warning, never replaying U+FFFD', async () => {
    await mkdir(join(dir, key.slice(0, 2)), { recursive: true })
    const entry = JSON.stringify({ format: 3, key, answer: { output: 'Rome_' } })
    const bytes = Buffer.from(entry)
    bytes[bytes.indexOf('_')] = 0xff
    await writeFile(entryPath(key), bytes)
    await expect(cache('replay').get(key)).rejects.toBeInstanceOf(CacheMissError)
    expect(warnings).toEqual([`cache: ${entryPath(key)} is not UTF-8; treated as a miss`])
  })

  it('treats a FIFO or a device in place of an entry as a miss, without waiting on it', async () => {
    await mkdir(join(dir, key.slice(0, 2)), { recursive: true })
    execFileSync('mkfifo', [entryPath(key)])
    await expect(cache('replay').get(key)).rejects.toBeInstanceOf(CacheMissError)
    await rm(entryPath(key))
    await symlink('/dev/zero', entryPath(key))
    await expect(cache('read').get(key)).resolves.toBeUndefined()
    expect(warnings).toEqual([
      `cache: cannot read ${entryPath(key)}: not a regular file; counted as a cache miss`,
      `cache: cannot read ${entryPath(key)}: not a regular file; calling the provider instead`
    ])
  })

  it('ignores an entry of the wrong shape or for another key', async () => {
    const c = cache('read-write')
    await mkdir(join(dir, key.slice(0, 2)), { recursive: true })
    await writeFile(entryPath(key), JSON.stringify({ format: 3, key, answer: { output: 42 } }))
    await expect(c.get(key)).resolves.toBeUndefined()
    const other = cacheKey({ providerFingerprint: 'provider-z', request, repeat: 0 })
    await writeFile(entryPath(key), JSON.stringify({ format: 3, key: other, answer }))
    await expect(c.get(key)).resolves.toBeUndefined()
    expect(warnings).toEqual([
      `cache: ignoring ${entryPath(key)}: no output; treated as a miss`,
      `cache: ignoring ${entryPath(key)}: it records another key; treated as a miss`
    ])
  })

  it('keeps the service tier that answered, which decides its price, and only the four counts', async () => {
    const c = cache('read-write')
    const flex = {
      ...answer,
      serviceTier: 'flex',
      tokens: { input: 10, output: 2, total: 12 } as CachedAnswer['tokens']
    }
    await c.set(key, flex)
    await expect(c.get(key)).resolves.toEqual({
      ...answer,
      serviceTier: 'flex',
      tokens: { input: 10, output: 2 }
    })
  })

  it('ignores an entry whose token counts a RunResult could not hold', async () => {
    const c = cache('read-write')
    await mkdir(join(dir, key.slice(0, 2)), { recursive: true })
    const huge = { ...answer, tokens: { input: 1e13, output: 1 } }
    await writeFile(entryPath(key), JSON.stringify({ format: 3, key, answer: huge }))
    await expect(c.get(key)).resolves.toBeUndefined()
    expect(warnings).toEqual([
      `cache: ignoring ${entryPath(key)}: bad token counts: 10000000000000 input tokens; a token count is a number from 0 to 1e+12; treated as a miss`
    ])
  })

  it('a corrupt entry in replay mode is a miss error too, not a crash', async () => {
    await mkdir(join(dir, key.slice(0, 2)), { recursive: true })
    await writeFile(entryPath(key), 'garbage')
    await expect(cache('replay').get(key)).rejects.toBeInstanceOf(CacheMissError)
    expect(warnings).toHaveLength(1)
  })

  it('an entry it cannot read is a miss in replay mode, with no word of calling a provider', async () => {
    // A file where the cache's directories should be: every read fails with ENOTDIR.
    const blocker = join(dir, 'not-a-dir')
    await writeFile(blocker, '')
    const replay = new ResponseCache({
      dir: blocker,
      mode: 'replay',
      warn: (m) => warnings.push(m)
    })
    await expect(replay.get(key)).rejects.toBeInstanceOf(CacheMissError)
    const read = new ResponseCache({ dir: blocker, mode: 'read', warn: (m) => warnings.push(m) })
    await expect(read.get(key)).resolves.toBeUndefined()
    const file = join(blocker, key.slice(0, 2), `${key}.json`)
    expect(warnings).toEqual([
      `cache: cannot read ${file}: ENOTDIR: not a directory, open '${file}'; counted as a cache miss`,
      `cache: cannot read ${file}: ENOTDIR: not a directory, open '${file}'; calling the provider instead`
    ])
  })

  it('survives many concurrent writers of one key and leaves no temp files', async () => {
    const c = cache('read-write')
    const outputs = Array.from({ length: 64 }, (_, i) => `answer ${i}`)
    const reads: (CachedAnswer | undefined)[] = []
    await Promise.all(
      outputs.map(async (output) => {
        await c.set(key, { ...answer, output })
        reads.push(await c.get(key))
      })
    )
    // Every read saw a complete entry written by one of the writers.
    for (const read of reads) expect(outputs).toContain(read?.output)
    expect(await readdir(join(dir, key.slice(0, 2)))).toEqual([`${key}.json`])
    expect(warnings).toEqual([])
  })

  it('survives concurrent writer processes while a reader keeps reading', async () => {
    const bundle = join(dir, 'cache.mjs')
    await build({
      entryPoints: [fileURLToPath(new URL('../../src/run/cache.ts', import.meta.url))],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent'
    })
    const cacheDir = join(dir, 'store')
    const writer = `
      const { ResponseCache } = await import(process.argv[1])
      const cache = new ResponseCache({ dir: process.argv[2], mode: 'write', warn: (m) => { throw new Error(m) } })
      for (let i = 0; i < 200; i++) {
        await cache.set(process.argv[3], { output: 'writer ' + process.pid + ' #' + i + ' ' + 'x'.repeat(4000) })
      }
    `
    const children = [0, 1, 2].map(() =>
      spawn(process.execPath, ['--input-type=module', '-e', writer, bundle, cacheDir, key], {
        stdio: ['ignore', 'ignore', 'inherit']
      })
    )
    const exits = children.map((child) => once(child, 'exit'))
    const reader = new ResponseCache({ dir: cacheDir, mode: 'read', warn: (m) => warnings.push(m) })
    let running = true
    void Promise.all(exits).then(() => (running = false))
    let hits = 0
    while (running) {
      const read = await reader.get(key)
      if (read) {
        expect(read.output).toMatch(/^writer \d+ #\d+ x{4000}$/)
        hits++
      }
    }
    for (const [code] of await Promise.all(exits)) expect(code).toBe(0)
    expect(warnings).toEqual([])
    expect(hits).toBeGreaterThan(0)
    expect(await readdir(join(cacheDir, key.slice(0, 2)))).toEqual([`${key}.json`])
  })
})

describe('assertUsableCacheDir', () => {
  it.each<CacheMode>(['read', 'write', 'read-write', 'replay'])(
    'refuses a file as the cache directory in %s mode, once, before the run',
    async (mode) => {
      const file = join(dir, 'cache')
      await writeFile(file, '')
      await expect(assertUsableCacheDir(file, mode)).rejects.toThrow(
        new UsageError(
          `the cache directory ${file} is not a directory: point cache-dir at a directory (default .evalgate/cache)`
        )
      )
    }
  )

  it('refuses a cache directory under a file, naming the cause', async () => {
    const file = join(dir, 'file')
    await writeFile(file, '')
    const under = join(file, 'cache')
    await expect(assertUsableCacheDir(under, 'read-write')).rejects.toThrow(
      new RegExp(
        `^cannot use the cache directory ${under}: ENOTDIR: .*; point cache-dir at a directory this run can read and write$`
      )
    )
    await expect(assertUsableCacheDir(under, 'replay')).rejects.toThrow(
      /; point cache-dir at a directory this run can read$/
    )
  })

  it('accepts a missing directory: made when the mode writes, all misses when it only reads', async () => {
    await expect(assertUsableCacheDir(join(dir, 'replayed'), 'replay')).resolves.toBeUndefined()
    await expect(stat(join(dir, 'replayed'))).rejects.toThrow(/ENOENT/)
    await expect(assertUsableCacheDir(join(dir, 'a', 'b'), 'write')).resolves.toBeUndefined()
    expect(await readdir(join(dir, 'a', 'b'))).toEqual([])
    // Off ignores the directory altogether.
    const file = join(dir, 'file')
    await writeFile(file, '')
    await expect(assertUsableCacheDir(file, 'off')).resolves.toBeUndefined()
  })
})
