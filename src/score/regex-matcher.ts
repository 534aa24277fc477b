import { Worker } from 'node:worker_threads'

/**
 * The code of the thread that matches: a RegExp compiled once per pattern, `lastIndex` reset so
 * the g and y flags test every output whole. It writes which match it runs, and since when, where
 * the main thread reads it (`running`: the match's id, 0 between matches; `startedAt`: ms since the
 * epoch). Plain CommonJS in a string, so the bundles need no file beside them.
 */
const MATCHING_THREAD = `
const { parentPort, workerData } = require('node:worker_threads')
const running = new Int32Array(workerData.running)
const startedAt = new Float64Array(workerData.startedAt)
const compiled = new Map()
parentPort.on('message', ({ id, source, flags, output }) => {
  const key = flags + '/' + source
  let regex = compiled.get(key)
  if (regex === undefined) {
    regex = new RegExp(source, flags)
    compiled.set(key, regex)
  }
  regex.lastIndex = 0
  startedAt[0] = Date.now()
  Atomics.store(running, 0, id)
  let answer
  try {
    answer = { id, matched: regex.test(output) }
  } catch (error) {
    answer = { id, error: String((error && error.message) || error) }
  }
  Atomics.store(running, 0, 0)
  parentPort.postMessage(answer)
})
`

interface Pending {
  id: number
  regex: RegExp
  output: string
  timeoutMs: number
  resolve: (matched: boolean) => void
  reject: (error: Error) => void
}

type Answer = { id: number; matched: boolean } | { id: number; error: string }

/** A matching thread, and where it says which match it runs and since when. */
interface MatchingThread {
  worker: Worker
  running: Int32Array
  startedAt: Float64Array
}

/** A match that did not finish within its time; the thread running it was stopped. */
export class RegexTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`matching did not finish within ${timeoutMs} ms`)
    this.name = 'RegexTimeoutError'
  }
}

/**
 * Matches regular expressions on a thread of their own, in the order asked. A pattern that
 * backtracks without end (`^(a+)+$` on `aaa…a!`) would hold the process; here only the thread is
 * held, and it is stopped once the match it runs has run for its time (V8 cannot interrupt a match
 * otherwise: a vm timeout, the other way, starts a watchdog thread per match, ~150 µs each). The
 * next match starts on a new thread. The time is the thread's own: a main thread kept busy (a
 * long similarity, a synchronous module) must not take a finished match for a stuck one.
 */
export class RegexMatcher {
  private thread: MatchingThread | undefined
  private readonly queue: Pending[] = []
  private headTimer: NodeJS.Timeout | undefined
  // From 1: the thread writes 0 between matches.
  private nextId = 1
  private users = 0

  /** One more scorer matches here; `release` when it is done. */
  acquire(): void {
    this.users += 1
  }

  /** A scorer is done; the thread stops with the last one. */
  async release(): Promise<void> {
    this.users = Math.max(0, this.users - 1)
    if (this.users === 0 && this.queue.length === 0) await this.stopThread()
  }

  test(regex: RegExp, output: string, timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const pending: Pending = { id: this.nextId++, regex, output, timeoutMs, resolve, reject }
      this.queue.push(pending)
      this.send(pending)
      if (this.queue.length === 1) this.watchHead(timeoutMs)
      this.holdProcessWhileBusy()
    })
  }

  /** Pending matches keep the process alive, as any awaited work does; an idle thread does not. */
  private holdProcessWhileBusy(): void {
    if (this.queue.length > 0) this.thread?.worker.ref()
    else this.thread?.worker.unref()
  }

  private currentThread(): MatchingThread {
    if (this.thread) return this.thread
    const running = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)
    const startedAt = new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT)
    const worker = new Worker(MATCHING_THREAD, { eval: true, workerData: { running, startedAt } })
    const thread = {
      worker,
      running: new Int32Array(running),
      startedAt: new Float64Array(startedAt)
    }
    // A stopped thread's late events are not about the current one.
    worker.on('message', (answer: Answer) => {
      if (this.thread === thread) this.answered(answer)
    })
    worker.on('error', (error) => {
      if (this.thread === thread) this.failAll(error)
    })
    this.thread = thread
    return thread
  }

  private send(pending: Pending): void {
    const { id, regex, output } = pending
    this.currentThread().worker.postMessage({
      id,
      source: regex.source,
      flags: regex.flags,
      output
    })
  }

  /** Looks at the head of the queue, the match the thread runs or runs next, in `afterMs`. */
  private watchHead(afterMs: number): void {
    clearTimeout(this.headTimer)
    this.headTimer = undefined
    const head = this.queue[0]
    if (head) this.headTimer = setTimeout(() => this.checkHead(head), afterMs)
  }

  /**
   * Stops the thread if it has run `head` for its whole time; else looks again when that time
   * would be up. Not yet started (the thread is starting), or finished with its answer on the way:
   * not stuck.
   */
  private checkHead(head: Pending): void {
    const thread = this.thread
    if (this.queue[0] !== head || !thread) return
    if (Atomics.load(thread.running, 0) !== head.id) {
      this.watchHead(head.timeoutMs)
      return
    }
    const ranMs = Date.now() - (thread.startedAt[0] ?? 0)
    if (ranMs < head.timeoutMs) this.watchHead(head.timeoutMs - ranMs)
    else this.timedOut(head)
  }

  private answered(answer: Answer): void {
    const head = this.queue[0]
    if (head?.id !== answer.id) return
    this.queue.shift()
    if ('error' in answer) head.reject(new Error(answer.error))
    else head.resolve(answer.matched)
    this.watchHead(this.queue[0]?.timeoutMs ?? 0)
    this.holdProcessWhileBusy()
    if (this.queue.length === 0 && this.users === 0) void this.stopThread()
  }

  private timedOut(head: Pending): void {
    this.queue.shift()
    head.reject(new RegexTimeoutError(head.timeoutMs))
    const stuck = this.thread
    this.thread = undefined
    void stuck?.worker.terminate()
    // What waited behind the stuck match starts again on a new thread.
    for (const pending of this.queue) this.send(pending)
    this.watchHead(this.queue[0]?.timeoutMs ?? 0)
    this.holdProcessWhileBusy()
  }

  private failAll(error: Error): void {
    this.thread = undefined
    const failed = this.queue.splice(0)
    this.watchHead(0)
    for (const pending of failed) pending.reject(error)
  }

  private async stopThread(): Promise<void> {
    const thread = this.thread
    this.thread = undefined
    await thread?.worker.terminate()
  }
}

/** The matcher every regex scorer of the process shares: one thread, however many scorers. */
export const sharedRegexMatcher = new RegexMatcher()
