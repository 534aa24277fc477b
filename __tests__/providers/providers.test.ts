import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { IncomingMessage, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { ProviderError } from '../../src/errors.js'
import { providerCacheIdentity } from '../../src/providers/identity.js'
import { createProvider } from '../../src/providers/index.js'
import { importModule } from '../../src/providers/module.js'
import { CallLimits, callPolicy, callProvider } from '../../src/run/call.js'
import { loadSpecs } from '../../src/spec/index.js'
import type { ProviderRequest } from '../../src/providers/types.js'
import type {
  ExecProviderSpec,
  HttpProviderSpec,
  ModuleProviderSpec,
  ProviderSpec
} from '../../src/spec/types.js'

const source = { file: 'evals/x.eval.yaml', line: 3 }
const app = fileURLToPath(new URL('../fixtures/providers/app.js', import.meta.url))
const request: ProviderRequest = {
  prompt: 'say hi',
  messages: [{ role: 'user', content: 'say hi' }],
  vars: { word: 'hi' },
  caseId: 'case-1',
  repeat: 2
}
const never = new AbortController().signal

function moduleSpec(exportName: string): ModuleProviderSpec {
  return {
    id: 'app',
    type: 'module',
    path: app,
    export: exportName,
    configFingerprint: 'f',
    answerConfigFingerprint: 'f',
    specDirectory: 'evals',
    source
  }
}

function execSpec(command: string[]): ExecProviderSpec {
  return {
    id: 'cli',
    type: 'exec',
    command,
    cwd: process.cwd(),
    env: { GREETING: 'hey' },
    configFingerprint: 'f',
    answerConfigFingerprint: 'f',
    specDirectory: 'evals',
    source
  }
}

describe('importModule', () => {
  it('gives up on a module whose top-level await waits on a timer that never fires', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-module-'))
    const path = join(dir, 'slow.mjs')
    // Unref'd so that the test process is not held open by it once the test is done.
    await writeFile(
      path,
      'await new Promise((r) => setTimeout(r, 1e9).unref())\nexport default 1\n'
    )
    await expect(importModule(path, 100)).rejects.toThrow(
      'it did not finish loading within 0.1 s (a top-level await that never settles?)'
    )
  })
})

describe('module provider', () => {
  it('calls the exported function with the rendered request', async () => {
    const provider = await createProvider(moduleSpec('echo'))
    await expect(provider.call(request, never)).resolves.toMatchObject({
      output: 'echo hi',
      attempts: 1
    })
  })

  it('passes on tokens and model an answer object reports, and stringifies other values', async () => {
    await expect(
      (await createProvider(moduleSpec('withUsage'))).call(request, never)
    ).resolves.toMatchObject({ output: 'SAY HI', tokens: { input: 3, output: 2 }, model: 'app-v1' })
    await expect(
      (await createProvider(moduleSpec('label'))).call(request, never)
    ).resolves.toMatchObject({ output: '42' })
  })

  it('turns a throw into a module error naming the provider', async () => {
    const provider = await createProvider(moduleSpec('explode'))
    await expect(provider.call(request, never)).rejects.toEqual(
      new ProviderError('module', 'provider app threw: database is down')
    )
  })

  it('tells an Error thrown without a message by its name, an AggregateError by its errors', async () => {
    const thrown = async (exportName: string) =>
      (await createProvider(moduleSpec(exportName))).call(request, never).catch((e: unknown) => e)
    expect(await thrown('explodeWithoutMessage')).toEqual(
      new ProviderError('module', 'provider app threw: TypeError')
    )
    expect(await thrown('explodeAll')).toEqual(
      new ProviderError(
        'module',
        'provider app threw: AggregateError: primary is down; RangeError; replica refused; { code: 7 }'
      )
    )
  })

  it('calls an answer of undefined a malformed response naming the provider, null the text null', async () => {
    const answerOf = async (exportName: string) =>
      (await createProvider(moduleSpec(exportName))).call(request, never)
    await expect(answerOf('forgetsToReturn')).rejects.toEqual(
      new ProviderError(
        'malformed-response',
        'provider app: returned undefined — a missing `return`?'
      )
    )
    await expect(answerOf('undefinedOutput')).rejects.toEqual(
      new ProviderError(
        'malformed-response',
        'provider app: returned an object whose `output` is undefined'
      )
    )
    await expect(answerOf('symbol')).rejects.toEqual(
      new ProviderError('malformed-response', 'provider app: returned a symbol')
    )
    await expect(answerOf('nothing')).resolves.toMatchObject({ output: 'null' })
  })

  it('writes out a bigint, and names the provider of a value JSON cannot hold', async () => {
    const answerOf = async (exportName: string) =>
      (await createProvider(moduleSpec(exportName))).call(request, never)
    await expect(answerOf('count')).resolves.toMatchObject({ output: '10' })
    await expect(answerOf('countInObject')).rejects.toEqual(
      new ProviderError(
        'malformed-response',
        'provider app: returned a value JSON cannot hold: Do not know how to serialize a BigInt'
      )
    )
  })

  it('refuses an output over 32 MB, as an exec or http answer, naming the provider', async () => {
    const answerOf = async (exportName: string) =>
      (await createProvider(moduleSpec(exportName))).call(request, never)
    await expect(answerOf('flood')).rejects.toEqual(
      new ProviderError(
        'malformed-response',
        'provider app: returned more than 32 MB of text, the most an answer may hold'
      )
    )
    expect((await answerOf('atTheLimit')).output).toHaveLength(16 * 2 ** 20)
  })

  it('shows a thrown value that is no Error as it is, cut short', async () => {
    const provider = await createProvider(moduleSpec('throwsObject'))
    const error = (await provider.call(request, never).catch((e: unknown) => e)) as ProviderError
    expect(error.kind).toBe('module')
    expect(error.message).toMatch(
      /^provider app threw: \{ code: 42, detail: 'quota', nested: \{ list: \[ 0, 1, 2, .{200,}…$/
    )
    expect(error.message.length).toBeLessThan(400)
  })

  it('refuses an export that is not a function', async () => {
    await expect(createProvider(moduleSpec('notAFunction'))).rejects.toThrow(
      `provider app: ${app} has no exported function \`notAFunction\` (found string)`
    )
  })
})

describe('the cache key of a module or exec provider', () => {
  it('tells apart the same config written in two spec directories, which run two programs', () => {
    const exec = execSpec(['node', './app.js'])
    const inDir = (specDirectory: string) => providerCacheIdentity({ ...exec, specDirectory })
    expect(inDir('evals/a')).not.toBe(inDir('evals/b'))
    const module = moduleSpec('default')
    expect(providerCacheIdentity({ ...module, specDirectory: 'a' })).not.toBe(
      providerCacheIdentity({ ...module, specDirectory: 'b' })
    )
  })

  it('is the spec’s directory from the repository’s root, as it was keyed from the root before', async () => {
    const root = await mkdtemp(join(tmpdir(), 'evalgate-keys-'))
    await mkdir(join(root, '.git'))
    await mkdir(join(root, 'evals'))
    await writeFile(
      join(root, 'evals', 's.eval.yaml'),
      [
        'suite: s',
        'providers: [{ id: cli, type: exec, command: cat }]',
        "prompt: '{{q}}'",
        'cases: [{ id: a, vars: { q: x } }]',
        'scorers: [{ type: contains, value: x }]'
      ].join('\n')
    )
    const keyFrom = async (cwd: string, path: string) => {
      const [suite] = await loadSpecs([path], { cwd, env: {} })
      return providerCacheIdentity(suite!.providers[0]!)
    }
    // What evalgate keyed this provider by, run from the root, before keys left the working
    // directory out: caches recorded then still hit.
    const recordedBefore = '31d64a7def03d732026589b5490f0ab08fbb5fd235aeb1d4b9f04f1f65eed90a'
    expect(await keyFrom(root, 'evals')).toBe(recordedBefore)
    expect(await keyFrom(join(root, 'evals'), '.')).toBe(recordedBefore)
  })
})

describe('exec provider', () => {
  const node = process.execPath
  it('writes the prompt to stdin and reads stdout, with the case in the environment', async () => {
    const script =
      "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(process.env.GREETING+' '+s+' '+process.env.EVALGATE_CASE_ID+' '+process.env.EVALGATE_REPEAT+' '+process.env.EVALGATE_VARS))"
    const provider = await createProvider(execSpec([node, '-e', script]))
    await expect(provider.call(request, never)).resolves.toMatchObject({
      output: 'hey say hi case-1 2 {"word":"hi"}'
    })
  })

  it('a non-zero exit is an error quoting stderr', async () => {
    const provider = await createProvider(
      execSpec([node, '-e', "console.error('model file missing'); process.exit(3)"])
    )
    await expect(provider.call(request, never)).rejects.toEqual(
      new ProviderError('exec', 'provider cli: command exited with code 3: model file missing')
    )
  })

  it("puts the line saying what went wrong first: Node.js's, written before its stack", async () => {
    const script = "require('node:fs').readFileSync('/no/such/dir/config.json')"
    const provider = await createProvider(execSpec([node, '-e', script]))
    const error = (await provider.call(request, never).catch((e: unknown) => e)) as Error
    expect(error.message).toMatch(
      /^provider cli: command exited with code 1: Error: ENOENT: no such file or directory, open '\/no\/such\/dir\/config\.json'; stderr: /
    )
    // The start of stderr says where, its end how Node.js ended.
    expect(error.message).toContain('readFileSync')
    expect(error.message).toMatch(/Node\.js v\d+\.\d+\.\d+$/)
  })

  it("keeps the start and the end of a long stderr, and Python's last line first", async () => {
    const script = `process.stderr.write('Traceback (most recent call last):\\n' + '  File "app.py", line 9, in <module>\\n'.repeat(400) + 'json.decoder.JSONDecodeError: Expecting value: line 1 column 1\\n'); process.exit(1)`
    const provider = await createProvider(execSpec([node, '-e', script]))
    const error = (await provider.call(request, never).catch((e: unknown) => e)) as Error
    expect(error.message).toMatch(
      /^provider cli: command exited with code 1: json\.decoder\.JSONDecodeError: Expecting value: line 1 column 1; stderr: Traceback \(most recent call last\):\n {2}File "app\.py".*\n…\n.*in <module>\njson\.decoder\.JSONDecodeError: Expecting value: line 1 column 1$/s
    )
    expect(error.message.length).toBeLessThan(700)
  })

  it('quotes both ends of stderr with a secret at either end written back', async () => {
    const key = 'sk-exec-SECRETKEY-1234567890abcdef'
    const script = `process.stderr.write(process.env.API_KEY + 'y'.repeat(9000) + process.env.API_KEY); process.exit(1)`
    const provider = await createProvider({
      ...execSpec([node, '-e', script]),
      env: { API_KEY: key },
      secrets: [{ name: 'API_KEY', value: key }]
    })
    const error = (await provider.call(request, never).catch((e: unknown) => e)) as Error
    expect(error.message).toMatch(
      /^provider cli: command exited with code 1: \$\{API_KEY\}y+\n…\ny+\$\{API_KEY\}$/
    )
    expect(error.message).not.toContain(key.slice(-8))
  })

  it('a command that does not exist is an error naming it', async () => {
    const provider = await createProvider(execSpec(['/no/such/binary']))
    await expect(provider.call(request, never)).rejects.toThrow(
      'provider cli: cannot run `/no/such/binary`'
    )
  })

  it('hands variables too long for the environment over in a file, removed after the call', async () => {
    // Linux refuses to start a command with one environment string over 128 KiB.
    const document = 'word '.repeat(26_300)
    const script =
      "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const f=process.env.EVALGATE_VARS_FILE;console.log(JSON.stringify({stdin:s.length,vars:process.env.EVALGATE_VARS??null,file:f,read:JSON.parse(require('fs').readFileSync(f,'utf8')).document.length}))})"
    const provider = await createProvider(execSpec([node, '-e', script]))
    const prompt = `Summarize: ${document}`
    const answer = await provider.call({ ...request, prompt, vars: { document } }, never)
    const seen = JSON.parse(answer.output) as {
      stdin: number
      vars: null
      file: string
      read: number
    }
    expect(seen).toMatchObject({ stdin: prompt.length, vars: null, read: document.length })
    await expect(readFile(seen.file)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('a command the system refuses to start is an error naming the provider', async () => {
    const provider = await createProvider({
      ...execSpec([node, '-e', '']),
      env: { HUGE: 'x'.repeat(200_000) }
    })
    await expect(provider.call(request, never)).rejects.toEqual(
      new ProviderError(
        'exec',
        `provider cli: cannot run \`${node}\`: spawn E2BIG; its arguments or environment are too long (on Linux, one value at most 128 KiB): pass large values on stdin or in a file`
      )
    )
  })

  it('kills the command when the call is aborted', async () => {
    const provider = await createProvider(execSpec([node, '-e', 'setTimeout(() => {}, 60000)']))
    const controller = new AbortController()
    const call = provider.call(request, controller.signal)
    setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), 50)
    await expect(call).rejects.toMatchObject({ kind: 'timeout' })
  })

  it('on a timeout also stops what the command started, which would hold the call open', async () => {
    const pidFile = join(await mkdtemp(join(tmpdir(), 'evalgate-exec-')), 'pid')
    // A script's child that keeps stdout open: killing only the shell would leave the call waiting.
    const provider = await createProvider(
      execSpec(['sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`])
    )
    const controller = new AbortController()
    const call = provider.call(request, controller.signal)
    while (!(await readFile(pidFile, 'utf8').catch(() => '')).trim()) await sleep(10)
    controller.abort(new DOMException('timed out', 'TimeoutError'))
    await expect(call).rejects.toMatchObject({ kind: 'timeout' })
    const sleeper = Number(await readFile(pidFile, 'utf8'))
    const alive = () => {
      try {
        return process.kill(sleeper, 0)
      } catch {
        return false
      }
    }
    // Gone once init has reaped it; without the group kill it lives its 30 s and this times out.
    while (alive()) await sleep(10)
    expect(alive()).toBe(false)
  })
})

/** Whether the process `pid` still runs (a zombie would too, but evalgate reaps its children). */
function alive(pid: number): boolean {
  try {
    return process.kill(pid, 0)
  } catch {
    return false
  }
}

describe('exec provider, a command that misbehaves', () => {
  const node = process.execPath

  it('is stopped once it writes more than 32 MB to stdout, an error not retried', async () => {
    // Writes for ever, as `yes` does; without a limit its answer fills the memory.
    const script =
      "const b = Buffer.alloc(1 << 20, 97); const w = () => { while (process.stdout.write(b)); process.stdout.once('drain', w) }; w()"
    const provider = await createProvider(execSpec([node, '-e', script]))
    const error = await provider.call(request, AbortSignal.timeout(10_000)).catch((e: unknown) => e)
    expect(error).toEqual(
      new ProviderError(
        'exec',
        'provider cli: the command wrote more than 32 MB to stdout, the most an answer may hold; it was stopped'
      )
    )
    expect(error).toMatchObject({ retryable: false })
  })

  it('answers once it exits, stopping what it left in the background holding stdout open', async () => {
    const pidFile = join(await mkdtemp(join(tmpdir(), 'evalgate-exec-')), 'pid')
    // 5 MB: more than a pipe holds, so some of it is still to be read when the command exits.
    const provider = await createProvider(
      execSpec([
        'sh',
        '-c',
        `head -c 5000000 /dev/zero | tr '\\0' a; sleep 30 & echo $! > ${pidFile}; echo`
      ])
    )
    const started = performance.now()
    const answer = await provider.call(request, AbortSignal.timeout(10_000))
    expect(answer.output).toBe('a'.repeat(5_000_000))
    expect(performance.now() - started).toBeLessThan(5000)
    const sleeper = Number(await readFile(pidFile, 'utf8'))
    while (alive(sleeper)) await sleep(10)
    expect(alive(sleeper)).toBe(false)
  })

  it('answers 32 MB written with a line end, and refuses a byte more', async () => {
    const mb32 = 32 * 2 ** 20
    const writing = (bytes: number, lineEnd: string) =>
      execSpec([
        node,
        '-e',
        `process.stdout.write(Buffer.concat([Buffer.alloc(${bytes}, 97), Buffer.from(${JSON.stringify(lineEnd)})]))`
      ])
    for (const lineEnd of ['\n', '\r\n']) {
      const answer = await (await createProvider(writing(mb32, lineEnd))).call(request, never)
      expect(answer.output.length).toBe(mb32)
    }
    const error = await (
      await createProvider(writing(mb32 + 1, '\n'))
    )
      .call(request, never)
      .catch((e: unknown) => e)
    expect(error).toEqual(
      new ProviderError(
        'exec',
        'provider cli: the command wrote more than 32 MB to stdout, the most an answer may hold'
      )
    )
  })

  it('answers with what was written until the grace after its exit, not what its background writes later', async () => {
    // Each writes `late` after the grace, still holding stdout: one ignores SIGTERM, the other
    // left the process group. At 1.5 s, a second from both the grace's end (0.5 s) and the
    // SIGKILL (2.5 s), so that a busy machine's late timers do not move it across either.
    const commands = [
      "echo hi; (trap '' TERM; sleep 1.5; echo late; sleep 5) &",
      "echo hi; setsid sh -c 'sleep 1.5; echo late; sleep 3' &"
    ]
    const answers = await Promise.all(
      commands.map(async (command) =>
        (await createProvider(execSpec(['sh', '-c', command]))).call(
          request,
          AbortSignal.timeout(10_000)
        )
      )
    )
    expect(answers.map((answer) => answer.output)).toEqual(['hi', 'hi'])
  })

  it('keeps its share of `concurrency` after a timeout until it is gone, though it ignores SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-exec-'))
    const pidFile = join(dir, 'pid')
    // The first attempt hangs, ignoring SIGTERM; its retry answers whether the first still runs.
    const script = `
      const fs = require('node:fs')
      let first
      try { first = Number(fs.readFileSync(${JSON.stringify(pidFile)}, 'utf8')) } catch {}
      if (first === undefined) {
        process.on('SIGTERM', () => undefined)
        fs.writeFileSync(${JSON.stringify(pidFile)}, String(process.pid))
        setInterval(() => undefined, 1000)
      } else {
        let running = true
        try { process.kill(first, 0) } catch { running = false }
        console.log(running ? 'beside the first attempt' : 'alone')
      }`
    const spec: ExecProviderSpec = {
      ...execSpec([node, '-e', script]),
      concurrency: 1,
      retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0 }
    }
    const policy = callPolicy(spec, await createProvider(spec), {
      timeoutMs: 1000,
      limiters: new CallLimits({}),
      secrets: []
    })
    const answer = await callProvider(policy, request, never, {}, 'the answer')
    expect(answer).toMatchObject({ response: { output: 'alone' }, attempts: 2 })
  })
})

describe('http provider', () => {
  let server: Server
  let url: string
  const received: { body: unknown; headers: IncomingMessage['headers'] }[] = []
  let reply: { status: number; body: string | Buffer; headers?: Record<string, string> } = {
    status: 200,
    body: ''
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => {
        received.push({ body: JSON.parse(body) as unknown, headers: req.headers })
        res
          .writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
          .end(reply.body)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/answer`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  function httpSpec(fields: Partial<HttpProviderSpec> = {}): HttpProviderSpec {
    return {
      id: 'api',
      type: 'http',
      url,
      method: 'POST',
      headers: { 'x-team': 'evals' },
      body: { input: '{{prompt}}', meta: { word: '{{word}}', n: 1 } },
      outputPath: 'choices.0.text',
      configFingerprint: 'f',
      answerConfigFingerprint: 'f',
      source,
      ...fields
    }
  }

  it('posts the templated body and reads the output at its path', async () => {
    reply = { status: 200, body: JSON.stringify({ choices: [{ text: 'hello' }] }) }
    const provider = await createProvider(httpSpec())
    await expect(provider.call(request, never)).resolves.toMatchObject({
      output: 'hello',
      attempts: 1
    })
    expect(received.at(-1)?.body).toEqual({ input: 'say hi', meta: { word: 'hi', n: 1 } })
    expect(received.at(-1)?.headers['x-team']).toBe('evals')
  })

  it.each([
    [401, 'auth', "; check the provider's headers (its key)"],
    [429, 'rate-limited', ''],
    [400, 'bad-request', '; check url, method and body'],
    [503, 'server', '']
  ])('classifies HTTP %i as %s, with what to check', async (status, kind, hint) => {
    reply = { status, body: '{"error":"nope"}' }
    const provider = await createProvider(httpSpec())
    await expect(provider.call(request, never)).rejects.toMatchObject({
      kind,
      message: `provider api: HTTP ${status}: {"error":"nope"}${hint}`
    })
  })

  it('waits for the reset of a rate limit only on a 429 that used it up, for a 5xx as a 5xx', async () => {
    const limits = { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '42s' }
    const provider = await createProvider(httpSpec())
    const asked = async (status: number, headers: Record<string, string>) => {
      reply = { status, body: '{}', headers }
      const error = await provider.call(request, never).catch((e: unknown) => e)
      return (error as ProviderError).retryAfterMs
    }
    expect(await asked(429, limits)).toBe(42_000)
    expect(await asked(429, { ...limits, 'x-ratelimit-remaining-requests': '7' })).toBeUndefined()
    expect(await asked(503, limits)).toBeUndefined()
    expect(await asked(503, { ...limits, 'retry-after': '3' })).toBe(3000)
    await provider.close?.()
  })

  it('refuses a header value HTTP cannot carry: the spec is wrong, the network is not retried', async () => {
    const provider = await createProvider(
      httpSpec({ headers: { authorization: 'Bearer sk-key-with-a-newline\n' } })
    )
    await expect(provider.call(request, never)).rejects.toMatchObject({
      kind: 'bad-request',
      retryable: false,
      message: expect.stringMatching(
        /^provider api: invalid authorization header; check the provider's headers/
      )
    })
  })

  it('keys cached answers on the headers too, a secret in them as the ${VAR} it came from', () => {
    const base = providerCacheIdentity(httpSpec({ headers: { 'x-model': 'v1' } }))
    expect(providerCacheIdentity(httpSpec({ headers: { 'x-model': 'v2' } }))).not.toBe(base)
    const recorded = httpSpec({
      headers: { authorization: 'Bearer sk-recorded-key-0123' },
      secrets: [{ name: 'MY_KEY', value: 'sk-recorded-key-0123' }]
    })
    // A replay without the secret keeps the reference as written.
    const replayed = httpSpec({ headers: { authorization: 'Bearer ${MY_KEY}' } })
    expect(providerCacheIdentity(recorded)).toBe(providerCacheIdentity(replayed))
  })

  it('shares a rate limit between a judge and a provider of the same endpoint, whatever their params', () => {
    const limiters = new CallLimits({})
    const model = (params: Record<string, unknown>): ProviderSpec => ({
      id: 'gpt',
      type: 'openai',
      model: 'gpt-4o-mini',
      params,
      stream: false,
      rateLimit: { requestsPerMinute: 60 },
      configFingerprint: 'f',
      answerConfigFingerprint: 'f',
      source
    })
    const underTest = limiters.rateLimiter(model({ temperature: 0.7 }))
    expect(underTest).toBeDefined()
    expect(
      limiters.rateLimiter(model({ temperature: 0, response_format: { type: 'json_object' } }))
    ).toBe(underTest)
    expect(limiters.rateLimiter({ ...model({}), model: 'gpt-4.1' } as ProviderSpec)).not.toBe(
      underTest
    )
  })

  it('a response without the output path, or not JSON, is malformed', async () => {
    const provider = await createProvider(httpSpec())
    reply = { status: 200, body: '{"choices":[]}' }
    await expect(provider.call(request, never)).rejects.toMatchObject({
      kind: 'malformed-response',
      message:
        'provider api: the response has nothing at `choices.0.text`: {"choices":[]}; check the provider\'s output path'
    })
    reply = { status: 200, body: '<html>' }
    await expect(provider.call(request, never)).rejects.toMatchObject({
      kind: 'malformed-response'
    })
  })

  it('never lets part of a key out where an error quotes the start of an answer', async () => {
    const key = 'sk-test-SECRETKEY-1234567890abcdef'
    const provider = await createProvider(
      httpSpec({
        headers: { authorization: `Bearer ${key}` },
        secrets: [{ name: 'API_KEY', value: key }],
        usagePaths: { input: 'usage.in' }
      })
    )
    // Each echo puts the key across the point where the quoted excerpt is cut.
    const messages: string[] = []
    for (const [status, body] of [
      [401, `${'x'.repeat(281)}Bearer ${key}`],
      [200, JSON.stringify({ other: `${'x'.repeat(163)}Bearer ${key}` })],
      [200, `${'x'.repeat(180)}Bearer ${key}`],
      [200, JSON.stringify({ choices: [{ text: 'hi' }], usage: { in: `${'x'.repeat(60)}${key}` } })]
    ] as const) {
      reply = { status, body }
      const error = (await provider.call(request, never).catch((e: unknown) => e)) as Error
      messages.push(error.message)
    }
    expect(messages).toHaveLength(4)
    for (const message of messages) {
      expect(message).not.toContain(key.slice(0, 8))
      expect(message).toContain('${API_KEY}')
    }
    expect(messages[0]).toMatch(
      /^provider api: HTTP 401: x+Bearer \$\{API_KEY\}; check the provider's headers/
    )
  })

  it('reads an answer the server compressed, and refuses one over 32 MB without retrying', async () => {
    const provider = await createProvider(httpSpec())
    reply = {
      status: 200,
      headers: { 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ choices: [{ text: 'squeezed' }] }))
    }
    await expect(provider.call(request, never)).resolves.toMatchObject({ output: 'squeezed' })
    // Small on the wire, huge once decompressed, as a runaway server's answer can be.
    reply = {
      status: 200,
      headers: { 'content-encoding': 'gzip' },
      body: gzipSync(`{"choices":[{"text":"${'x'.repeat(33 * 2 ** 20)}"}]}`)
    }
    await expect(provider.call(request, never)).rejects.toMatchObject({
      kind: 'malformed-response',
      retryable: false,
      message: 'provider api: the answer is larger than 32 MB; check what the endpoint returns'
    })
  })

  it('says where a redirect points instead of following it with the headers', async () => {
    const provider = await createProvider(httpSpec())
    reply = { status: 307, body: '', headers: { location: 'https://new.example.test/answer' } }
    await expect(provider.call(request, never)).rejects.toMatchObject({
      kind: 'bad-request',
      retryable: false,
      message: expect.stringMatching(
        /^provider api: HTTP 307: the server redirects to https:\/\/new\.example\.test\/answer, .*; set url to where it points$/
      )
    })
  })

  it('an unreachable server is a network error', async () => {
    const provider = await createProvider({ ...httpSpec(), url: 'http://127.0.0.1:1/answer' })
    await expect(provider.call(request, never)).rejects.toMatchObject({ kind: 'network' })
  })
})
