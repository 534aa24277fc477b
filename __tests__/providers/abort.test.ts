import { jest } from '@jest/globals'
import { abortAfter } from '../../src/providers/abort.js'

describe('abortAfter', () => {
  beforeEach(() => jest.useFakeTimers())
  afterEach(() => jest.useRealTimers())

  it('aborts with the run’s reason when the run is cancelled', () => {
    const run = new AbortController()
    const attempt = abortAfter(run.signal, 1000, () => 'timed out')
    run.abort('cancelled')
    expect(attempt.signal.reason).toBe('cancelled')
    attempt.dispose()
  })

  it('aborts with its timeout’s reason once the time is up, and not before', () => {
    const attempt = abortAfter(new AbortController().signal, 1000, () => 'timed out')
    jest.advanceTimersByTime(999)
    expect(attempt.signal.aborted).toBe(false)
    jest.advanceTimersByTime(1)
    expect(attempt.signal.reason).toBe('timed out')
  })

  it('starts aborted under a run already cancelled', () => {
    const run = new AbortController()
    run.abort('cancelled')
    expect(abortAfter(run.signal, 1000, () => 'timed out').signal.reason).toBe('cancelled')
  })

  it('no longer aborts once disposed: neither by the run nor by its timeout', () => {
    const run = new AbortController()
    const attempt = abortAfter(run.signal, 1000, () => 'timed out')
    attempt.dispose()
    jest.advanceTimersByTime(2000)
    run.abort('cancelled')
    expect(attempt.signal.aborted).toBe(false)
  })
})
