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
    const onAbort = (): void => reject(reasonOf(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
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
  const onAbort = (): void => controller.abort(signal.reason)
  if (signal.aborted) onAbort()
  else signal.addEventListener('abort', onAbort, { once: true })
  const timer = setTimeout(() => controller.abort(timeoutReason()), ms)
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
    }
  }
}
