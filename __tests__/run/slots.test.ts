import { getEventListeners } from 'node:events'
import { Slots } from '../../src/run/slots.js'

const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length

/** Lets settled waiters run their callbacks. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('Slots', () => {
  it('serves waiters in order, listening to their shared signal once, and not after', async () => {
    const slots = new Slots(1)
    const run = new AbortController()
    await slots.acquire(run.signal)
    const admitted: number[] = []
    const waiters = Array.from({ length: 500 }, (_, i) =>
      slots.acquire(run.signal).then(() => admitted.push(i))
    )
    // Many suites put thousands of calls in line on the run's signal: one listener for them all.
    expect(abortListeners(run.signal)).toBe(1)
    for (let i = 0; i < 500; i++) slots.release()
    await Promise.all(waiters)
    expect(admitted).toEqual(Array.from({ length: 500 }, (_, i) => i))
    expect(abortListeners(run.signal)).toBe(0)
  })

  it('rejects every waiter of a signal when it aborts, leaving no listener, and serves the others', async () => {
    const slots = new Slots(1)
    const run = new AbortController()
    const other = new AbortController()
    await slots.acquire(run.signal)
    const cancelled = Array.from({ length: 3 }, () => slots.acquire(run.signal))
    let served = false
    const waiting = slots.acquire(other.signal).then(() => (served = true))
    expect([abortListeners(run.signal), abortListeners(other.signal)]).toEqual([1, 1])
    run.abort()
    for (const waiter of cancelled)
      await expect(waiter).rejects.toMatchObject({ kind: 'cancelled' })
    expect(abortListeners(run.signal)).toBe(0)
    await settle()
    expect(served).toBe(false)
    slots.release()
    await waiting
    expect(abortListeners(other.signal)).toBe(0)
    // The cancelled waiters hold nothing: once the slot is back, the next caller takes it.
    slots.release()
    await slots.acquire(new AbortController().signal)
  })
})
