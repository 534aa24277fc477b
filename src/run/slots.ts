import { abortError } from '../providers/abort.js'

/** What a call holds while it is made: taken (waiting if need be), then given back. */
export interface Gate {
  /** Resolves holding the gate; rejects, holding nothing, when `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<void>
  release(): void
}

/** At most `limit` holders at once; waiters are served in order and leave on abort. */
export class Slots implements Gate {
  private held = 0
  private readonly waiting: (() => void)[] = []

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
    await new Promise<void>((resolve, reject) => {
      const admit = (): void => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = (): void => {
        this.waiting.splice(this.waiting.indexOf(admit), 1)
        reject(abortError(signal))
      }
      this.waiting.push(admit)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  release(): void {
    const next = this.waiting.shift()
    // The slot passes straight to the next waiter: `held` stays as it is.
    if (next) next()
    else this.held--
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
