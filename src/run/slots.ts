import { abortError, whenAborted } from '../providers/abort.js'

/** What a call holds while it is made: taken (waiting if need be), then given back. */
export interface Gate {
  /** Resolves holding the gate; rejects, holding nothing, when `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<void>
  release(): void
}

/** A call waiting for a slot: admitted with the slot, or gone when its signal aborted. */
interface Waiter {
  admit: () => void
  /** Stops listening to its signal's abort. */
  stop: () => void
  gone: boolean
}

/** At most `limit` holders at once; waiters are served in order and leave on abort. */
export class Slots implements Gate {
  private held = 0
  private readonly waiting: Waiter[] = []

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
      const waiter: Waiter = { admit, stop: () => undefined, gone: false }
      // Passed over when its turn comes: leaving, thousands at once, costs nothing in line.
      waiter.stop = whenAborted(signal, () => {
        waiter.gone = true
        reject(abortError(signal))
      })
      this.waiting.push(waiter)
    })
  }

  release(): void {
    let next = this.waiting.shift()
    while (next?.gone) next = this.waiting.shift()
    if (!next) {
      this.held--
      return
    }
    // The slot passes straight to the next waiter: `held` stays as it is.
    next.stop()
    next.admit()
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
