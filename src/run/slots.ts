import { abortError } from '../providers/abort.js'

/** What a call holds while it is made: taken (waiting if need be), then given back. */
export interface Gate {
  /** Resolves holding the gate; rejects, holding nothing, when `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<void>
  release(): void
}

/** A call waiting for a slot: admitted with the slot, or rejected when its signal aborts. */
interface Waiter {
  signal: AbortSignal
  admit: () => void
  reject: (error: unknown) => void
}

/** The one abort listener a signal has for all of its waiters, and how many they are. */
interface Watch {
  waiters: number
  onAbort: () => void
}

/**
 * At most `limit` holders at once; waiters are served in order and leave on abort. Waiters on the
 * same signal (the run's, thousands of them with many suites) share one abort listener: Node takes
 * time in proportion to a signal's listeners to add or remove one.
 */
export class Slots implements Gate {
  private held = 0
  private waiting: Waiter[] = []
  private readonly watches = new Map<AbortSignal, Watch>()

  constructor(private limit: number) {}

  /** Lowers the limit to `limit` if it is lower; before any holder, as the run is set up. */
  cap(limit: number): void {
    this.limit = Math.min(this.limit, limit)
  }

  async acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw abortError(signal)
    if (this.held < this.limit) {
      this.held++
      return
    }
    await new Promise<void>((admit, reject) => {
      this.waiting.push({ signal, admit, reject })
      this.watch(signal)
    })
  }

  release(): void {
    const next = this.waiting.shift()
    if (!next) {
      this.held--
      return
    }
    // The slot passes straight to the next waiter: `held` stays as it is.
    this.unwatch(next.signal)
    next.admit()
  }

  private watch(signal: AbortSignal): void {
    const watch = this.watches.get(signal)
    if (watch) {
      watch.waiters++
      return
    }
    const onAbort = (): void => {
      this.watches.delete(signal)
      const leaving = this.waiting.filter((waiter) => waiter.signal === signal)
      this.waiting = this.waiting.filter((waiter) => waiter.signal !== signal)
      for (const waiter of leaving) waiter.reject(abortError(signal))
    }
    this.watches.set(signal, { waiters: 1, onAbort })
    signal.addEventListener('abort', onAbort, { once: true })
  }

  /** Stops listening to `signal` once its last waiter is admitted. */
  private unwatch(signal: AbortSignal): void {
    const watch = this.watches.get(signal)
    if (!watch || --watch.waiters > 0) return
    this.watches.delete(signal)
    signal.removeEventListener('abort', watch.onAbort)
  }
}

/** Holds every gate of `gates`, taken in order and given back in reverse. */
export function allOf(gates: Gate[]): Gate {
  return {
    async acquire(signal) {
      for (const [taken, gate] of gates.entries()) {
        try {
          await gate.acquire(signal)
        } catch (error) {
          for (const held of gates.slice(0, taken).reverse()) held.release()
          throw error
        }
      }
    },
    release() {
      for (const gate of [...gates].reverse()) gate.release()
    }
  }
}
