import { Worker } from 'node:worker_threads'

/**
 * The code of the thread that matches: a RegExp compiled once per pattern, `lastIndex` reset so
 * the g and y flags test every output whole. Plain CommonJS in a string, so the bundles need no
 * file beside them.
 */
const MATCHING_THREAD = `
const { parentPort } = require('node:worker_threads')
const compiled = new Map()
parentPort.on('message', ({ id, source, flags, output }) => {
  const key = flags + '/' + source
  let regex = compiled.get(key)
  if (regex === undefined) {
    regex = new RegExp(source, flags)
    compiled.set(key, regex)
  }
  regex.lastIndex = 0
  try {
    parentPort.postMessage({ id, matched: regex.test(output) })
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) })
  }
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
 * held, and it is stopped when the match at the head of the queue outlasts its time (V8 cannot
 * interrupt a match otherwise: a vm timeout, the other way, starts a watchdog thread per match,
 * ~150 µs each). The next match starts on a new thread.
 */
export class RegexMatcher {
  private worker: Worker | undefined
  private readonly queue: Pending[] = []
  private headTimer: NodeJS.Timeout | undefined
  /** Whether the thread runs: its start, which can be slow on a busy machine, is not match time. */
  private online = false
  private nextId = 0
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
      if (this.queue.length === 1) this.startHeadTimer()
      this.holdProcessWhileBusy()
    })
  }

  /** Pending matches keep the process alive, as any awaited work does; an idle thread does not. */
  private holdProcessWhileBusy(): void {
    if (this.queue.length > 0) this.worker?.ref()
    else this.worker?.unref()
  }

  private thread(): Worker {
    if (this.worker) return this.worker
    const worker = new Worker(MATCHING_THREAD, { eval: true })
    // A stopped thread's late events are not about the current one.
    worker.once('online', () => {
      if (this.worker !== worker) return
      this.online = true
      this.startHeadTimer()
    })
    worker.on('message', (answer: Answer) => {
      if (this.worker === worker) this.answered(answer)
    })
    worker.on('error', (error) => {
      if (this.worker === worker) this.failAll(error)
    })
    this.worker = worker
    this.online = false
    return worker
  }

  private send(pending: Pending): void {
    const { id, regex, output } = pending
    this.thread().postMessage({ id, source: regex.source, flags: regex.flags, output })
  }

  /** The thread works through the queue in order: the head is the match it runs now. */
  private startHeadTimer(): void {
    clearTimeout(this.headTimer)
    this.headTimer = undefined
    const head = this.queue[0]
    if (!head || !this.online) return
    this.headTimer = setTimeout(() => this.timedOut(head), head.timeoutMs)
  }

  private answered(answer: Answer): void {
    const head = this.queue[0]
    if (head?.id !== answer.id) return
    this.queue.shift()
    if ('error' in answer) head.reject(new Error(answer.error))
    else head.resolve(answer.matched)
    this.startHeadTimer()
    this.holdProcessWhileBusy()
    if (this.queue.length === 0 && this.users === 0) void this.stopThread()
  }

  private timedOut(head: Pending): void {
    if (this.queue[0] !== head) return
    this.queue.shift()
    head.reject(new RegexTimeoutError(head.timeoutMs))
    const stuck = this.worker
    this.worker = undefined
    this.online = false
    void stuck?.terminate()
    // What waited behind the stuck match starts again on a new thread.
    for (const pending of this.queue) this.send(pending)
    this.startHeadTimer()
    this.holdProcessWhileBusy()
  }

  private failAll(error: Error): void {
    this.worker = undefined
    this.online = false
    const failed = this.queue.splice(0)
    this.startHeadTimer()
    for (const pending of failed) pending.reject(error)
  }

  private async stopThread(): Promise<void> {
    const worker = this.worker
    this.worker = undefined
    this.online = false
    await worker?.terminate()
  }
}

/** The matcher every regex scorer of the process shares: one thread, however many scorers. */
export const sharedRegexMatcher = new RegexMatcher()
