import { ProviderError } from '../errors.js'

/** The ProviderError a call ends with when its signal aborts: a timeout or a cancelled run. */
export function abortError(signal: AbortSignal): ProviderError {
  const reason: unknown = signal.reason
  if (reason instanceof ProviderError) return reason
  if (reason instanceof DOMException && reason.name === 'TimeoutError') {
    return new ProviderError('timeout', 'the call timed out', { retryable: true })
  }
  return new ProviderError('cancelled', 'the run was cancelled')
}

/** The one listener a signal has for every caller waiting on it, and their callbacks. */
interface Watch {
  callbacks: Set<() => void>
  listener: () => void
}

const watches = new WeakMap<AbortSignal, Watch>()

/**
 * Calls `onAbort` when `signal` aborts (at once if it has), unless the function returned is
 * called first. Every caller on one signal shares one listener: Node takes time in proportion to
 * a signal's listeners to add or remove one, and a run's signal has thousands of callers waiting
 * on it with many suites. The listener goes with the last caller.
 */
export function whenAborted(signal: AbortSignal, onAbort: () => void): () => void {
  if (signal.aborted) {
    onAbort()
    return () => undefined
  }
  let watch = watches.get(signal)
  if (!watch) {
    const callbacks = new Set<() => void>()
    const listener = (): void => {
      watches.delete(signal)
      for (const callback of callbacks) callback()
    }
    watch = { callbacks, listener }
    watches.set(signal, watch)
    signal.addEventListener('abort', listener, { once: true })
  }
  const { callbacks, listener } = watch
  // Each caller's own entry, though two pass the same function.
  const callback = (): void => onAbort()
  callbacks.add(callback)
  return () => {
    if (!callbacks.delete(callback) || callbacks.size > 0) return
    if (watches.get(signal)?.callbacks === callbacks) watches.delete(signal)
    signal.removeEventListener('abort', listener)
  }
}

/**
 * Settles with `work`, or rejects as soon as `signal` aborts — for calls (user functions) that may
 * ignore the signal, so a timeout still frees the slot. It rejects with `reasonOf(signal)`: by
 * default the ProviderError a call ends with.
 */
export function raceAbort<T>(
  work: Promise<T>,
  signal: AbortSignal,
  reasonOf: (signal: AbortSignal) => unknown = abortError
): Promise<T> {
  if (signal.aborted) {
    // The abandoned call may still fail later; that failure is already accounted for.
    work.catch(() => undefined)
    return Promise.reject(reasonOf(signal))
  }
  return new Promise<T>((resolve, reject) => {
    const stop = whenAborted(signal, () => reject(reasonOf(signal)))
    work.then(
      (value) => {
        stop()
        resolve(value)
      },
      (error: unknown) => {
        stop()
        reject(error)
      }
    )
  })
}

/**
 * A signal that aborts when `signal` does, or after `ms` with `timeoutReason()`; `dispose` stops
 * both. Made by hand rather than with AbortSignal.any: Node keeps every composite signal followed
 * for as long as its sources live, which at hundreds of calls a second is measurable work.
 */
export function abortAfter(
  signal: AbortSignal,
  ms: number,
  timeoutReason: () => unknown
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController()
  const stop = whenAborted(signal, () => controller.abort(signal.reason))
  const timer = setTimeout(() => controller.abort(timeoutReason()), ms)
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer)
      stop()
    }
  }
}
