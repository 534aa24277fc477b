import { ProviderError } from '../../src/errors.js'
import { RateLimiter, estimateTokens } from '../../src/run/rate-limit.js'
import { Slots } from '../../src/run/slots.js'

/** A fake clock whose sleep advances time instead of waiting. */
function fakeTime() {
  const clock = { now: 0, sleeps: [] as number[] }
  return {
    clock,
    now: () => clock.now,
    sleep: async (ms: number, signal: AbortSignal) => {
      if (signal.aborted) throw signal.reason
      clock.sleeps.push(ms)
      clock.now += ms
    }
  }
}

const never = new AbortController().signal
const MINUTE_MS = 60_000

interface Charge {
  at: number
  amount: number
}

/** The most admitted in any 60 seconds, from one admission up to (not including) a minute later. */
function mostInAnyMinute(admitted: Charge[]): number {
  let most = 0
  for (const start of admitted) {
    const inWindow = admitted.filter((c) => c.at >= start.at && c.at < start.at + MINUTE_MS)
    most = Math.max(
      most,
      inWindow.reduce((sum, c) => sum + c.amount, 0)
    )
  }
  return most
}

describe('RateLimiter', () => {
  it('paces requests per minute, a second of burst at most', async () => {
    const time = fakeTime()
    // 120/min = 2 per second: a bucket of 2, refilled at 120 − 2 + 1 = 119 a minute, one every
    // 504.2 ms (a waiter sleeps whole milliseconds).
    const limiter = new RateLimiter({ requestsPerMinute: 120, ...time })
    const admittedAt: number[] = []
    for (let i = 0; i < 5; i++) {
      await limiter.acquire(0, never)
      admittedAt.push(time.clock.now)
    }
    expect(admittedAt).toEqual([0, 0, 505, 1009, 1513])
  })

  it('admits no more requests than the limit in any 60 seconds, and that many', async () => {
    for (const perMinute of [1, 6, 60, 120, 500, 3000]) {
      const time = fakeTime()
      const limiter = new RateLimiter({ requestsPerMinute: perMinute, ...time })
      const admitted: Charge[] = []
      while (time.clock.now < 3 * MINUTE_MS) {
        await limiter.acquire(0, never)
        admitted.push({ at: time.clock.now, amount: 1 })
      }
      expect({ perMinute, most: mostInAnyMinute(admitted) }).toEqual({ perMinute, most: perMinute })
    }
  })

  it('admits no more estimated tokens than the limit in any 60 seconds, large calls too', async () => {
    const time = fakeTime()
    // A bucket of 100 tokens; every fifth call is estimated at 8 times that.
    const limiter = new RateLimiter({ tokensPerMinute: 6000, ...time })
    const admitted: Charge[] = []
    for (let i = 0; time.clock.now < 5 * MINUTE_MS; i++) {
      const estimate = i % 5 === 4 ? 800 : 30
      await limiter.acquire(estimate, never)
      admitted.push({ at: time.clock.now, amount: estimate })
    }
    const most = mostInAnyMinute(admitted)
    expect(most).toBeLessThanOrEqual(6000)
    expect(most).toBeGreaterThan(5500)
  })

  it('serves concurrent waiters in arrival order', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({ requestsPerMinute: 60, ...time })
    const order: number[] = []
    await Promise.all([0, 1, 2, 3].map((i) => limiter.acquire(0, never).then(() => order.push(i))))
    expect(order).toEqual([0, 1, 2, 3])
    // 60/min: one at 0, then one per second.
    expect(time.clock.now).toBe(3000)
  })

  it('charges estimated tokens per minute', async () => {
    const time = fakeTime()
    // 6000/min = 100 per second (bucket of 100), refilled at 5901 a minute: 0.09835 per ms.
    const limiter = new RateLimiter({ tokensPerMinute: 6000, ...time })
    await limiter.acquire(80, never)
    expect(time.clock.now).toBe(0)
    // 20 left, 80 needed: (80 − 20) / 0.09835 = 610.1 ms.
    await limiter.acquire(80, never)
    expect(time.clock.now).toBe(611)
  })

  it('charges tokens used beyond the estimate when the call reports them', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({ tokensPerMinute: 6000, ...time })
    await limiter.acquire(50, never)
    // Used 150, estimated 50: 100 more charged → level 100 − 50 − 100 = −50.
    limiter.record(150, 50)
    // Needs 10: (10 + 50) / 0.09835 = 610.1 ms.
    await limiter.acquire(10, never)
    expect(time.clock.now).toBe(611)
    // Using less than estimated gives nothing back.
    limiter.record(0, 10)
    await limiter.acquire(0, never)
    expect(time.clock.now).toBe(611)
  })

  it('lets a call larger than the bucket go once it is full, then makes the next wait', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({ tokensPerMinute: 6000, ...time })
    await limiter.acquire(500, never)
    expect(time.clock.now).toBe(0)
    // Level 100 − 500 = −400; needs 10: 410 / 0.09835 = 4168.8 ms.
    await limiter.acquire(10, never)
    expect(time.clock.now).toBe(4169)
  })

  it('waits for both limits', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({ requestsPerMinute: 600, tokensPerMinute: 600, ...time })
    // Requests: 10/s, bucket of 10. Tokens: bucket of 10, refilled at 591 a minute.
    await limiter.acquire(10, never)
    await limiter.acquire(10, never)
    // The token bucket decides: empty after 10, refills 10 in 10 / 0.00985 = 1015.2 ms.
    expect(time.clock.now).toBe(1016)
  })

  it('takes the gate only once its limits let the call go, and holds it when it resolves', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({ requestsPerMinute: 60, ...time })
    const gate = new Slots(1)
    await limiter.acquire(0, never, gate)
    // The gate is held: the next call waits out the limit (1 s) first, holding nothing meanwhile.
    let admitted = false
    const next = limiter.acquire(0, never, gate).then(() => (admitted = true))
    for (let i = 0; i < 5; i++) await Promise.resolve()
    expect(time.clock.sleeps).toEqual([1000])
    expect(admitted).toBe(false)
    gate.release()
    await next
    // Now it holds the gate: a caller without the limiter waits for it.
    const controller = new AbortController()
    const other = gate.acquire(controller.signal)
    controller.abort()
    await expect(other).rejects.toMatchObject({ kind: 'cancelled' })
  })

  it('gives the gate back when the caller leaves while waiting for it', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({ requestsPerMinute: 60, ...time })
    const gate = new Slots(1)
    await gate.acquire(never)
    const controller = new AbortController()
    const leaving = limiter.acquire(0, controller.signal, gate)
    controller.abort()
    await expect(leaving).rejects.toMatchObject({ kind: 'cancelled' })
    gate.release()
    // Free again: the next caller gets the limit and the gate.
    await limiter.acquire(0, never, gate)
    expect(time.clock.now).toBe(0)
  })

  it('is free without limits', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter(time)
    for (let i = 0; i < 100; i++) await limiter.acquire(1_000_000, never)
    expect(time.clock.sleeps).toEqual([])
  })

  it('stops waiting when the signal aborts, and serves the next waiter', async () => {
    const clock = { now: 0 }
    const limiter = new RateLimiter({
      requestsPerMinute: 60,
      now: () => clock.now,
      // A real wait: only an abort ends it, or time moved by the test.
      sleep: (_ms, signal) =>
        new Promise((resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason), { once: true })
          setTimeout(resolve, 5)
        })
    })
    await limiter.acquire(0, never)
    const controller = new AbortController()
    const waiting = limiter.acquire(0, controller.signal)
    controller.abort()
    await expect(waiting).rejects.toEqual(new ProviderError('cancelled', 'the run was cancelled'))
    clock.now = 1000
    await expect(limiter.acquire(0, never)).resolves.toBeUndefined()
  })
})

describe('estimateTokens', () => {
  it('counts about four characters a token plus the output allowed', () => {
    const messages = [
      { role: 'system' as const, content: 'x'.repeat(40) },
      { role: 'user' as const, content: 'y'.repeat(21) }
    ]
    // ceil(61 / 4) = 16
    expect(estimateTokens(messages)).toBe(16)
    expect(estimateTokens(messages, { max_tokens: 100 })).toBe(116)
    expect(estimateTokens(messages, { max_completion_tokens: 50, max_tokens: 100 })).toBe(66)
  })
})
