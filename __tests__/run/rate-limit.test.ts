import { getEventListeners } from 'node:events'
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

/** The most admitted in any `windowMs`, from one admission up to (not including) `windowMs` later. */
function mostInAnyWindow(admitted: Charge[], windowMs: number): number {
  let most = 0
  for (const start of admitted) {
    const inWindow = admitted.filter((c) => c.at >= start.at && c.at < start.at + windowMs)
    most = Math.max(
      most,
      inWindow.reduce((sum, c) => sum + c.amount, 0)
    )
  }
  return most
}

describe('RateLimiter', () => {
  it('spaces requests evenly from the first, with no burst', async () => {
    const time = fakeTime()
    // 120/min, one every 500 ms: a bucket of one request plus the 50 ms of refill a late timer may
    // cost (0.1). The second goes 50 ms early, as the bucket started with its 0.1.
    const limiter = new RateLimiter({ requestsPerMinute: 120, ...time })
    const admittedAt: number[] = []
    for (let i = 0; i < 5; i++) {
      await limiter.acquire(0, never)
      admittedAt.push(time.clock.now)
    }
    expect(admittedAt).toEqual([0, 450, 950, 1450, 1950])
  })

  it('admits about a second of requests in any second, from the start and after an idle spell', async () => {
    for (const perMinute of [6, 60, 120, 600, 3000, 60_000]) {
      const time = fakeTime()
      const limiter = new RateLimiter({ requestsPerMinute: perMinute, ...time })
      const admitted: Charge[] = []
      // Three busy seconds, ten idle ones, three busy ones again.
      for (let spell = 0; spell < 2; spell++) {
        const until = time.clock.now + 3000
        while (time.clock.now < until) {
          await limiter.acquire(0, never)
          admitted.push({ at: time.clock.now, amount: 1 })
        }
        time.clock.now += 10_000
      }
      // A second's worth, the 5% a late timer may cost, and the one request that goes at once.
      const secondsWorth = Math.floor((perMinute / 60) * 1.05 + 1)
      const most = mostInAnyWindow(admitted, 1000)
      expect({ perMinute, most, tooMany: most > secondsWorth }).toEqual({
        perMinute,
        most,
        tooMany: false
      })
    }
  })

  it('keeps the rate when every timer wakes its waiter late', async () => {
    const time = fakeTime()
    const lateSleep = (ms: number, signal: AbortSignal) => time.sleep(ms + 30, signal)
    const limiter = new RateLimiter({ requestsPerMinute: 600, now: time.now, sleep: lateSleep })
    const admittedAt: number[] = []
    while (time.clock.now < MINUTE_MS) {
      await limiter.acquire(0, never)
      admittedAt.push(time.clock.now)
    }
    // 600 in the first minute, as when timers are on time: the 30 ms are made up.
    expect(admittedAt.filter((at) => at < MINUTE_MS)).toHaveLength(600)
  })

  it('admits about a second of estimated tokens in any second, one call more at most', async () => {
    const time = fakeTime()
    // 100 tokens a second; calls of 30.
    const limiter = new RateLimiter({ tokensPerMinute: 6000, ...time })
    const admitted: Charge[] = []
    while (time.clock.now < 5000) {
      await limiter.acquire(30, never)
      admitted.push({ at: time.clock.now, amount: 30 })
    }
    expect(mostInAnyWindow(admitted, 1000)).toBeLessThanOrEqual(100 * 1.05 + 30)
    // The rate is kept: 5 seconds admit 5 seconds' worth, give or take a call.
    expect(admitted.length * 30).toBeGreaterThanOrEqual(500 - 30)
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
      expect({ perMinute, most: mostInAnyWindow(admitted, MINUTE_MS) }).toEqual({
        perMinute,
        most: perMinute
      })
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
    const most = mostInAnyWindow(admitted, MINUTE_MS)
    expect(most).toBeLessThanOrEqual(6000)
    expect(most).toBeGreaterThan(5500)
  })

  it('serves concurrent waiters in arrival order', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({ requestsPerMinute: 60, ...time })
    const order: number[] = []
    await Promise.all([0, 1, 2, 3].map((i) => limiter.acquire(0, never).then(() => order.push(i))))
    expect(order).toEqual([0, 1, 2, 3])
    // 60/min: one at 0, then one per second, the first 50 ms early (the bucket's 0.05).
    expect(time.clock.now).toBe(2950)
  })

  it('charges estimated tokens per minute', async () => {
    const time = fakeTime()
    // 6000/min = 0.1 per ms: a bucket of 1 + 50 × 0.1 = 6.
    const limiter = new RateLimiter({ tokensPerMinute: 6000, ...time })
    await limiter.acquire(80, never)
    expect(time.clock.now).toBe(0)
    // 6 − 80 = −74 left; the next goes at 1: 75 / 0.1 = 750 ms.
    await limiter.acquire(80, never)
    expect(time.clock.now).toBe(750)
  })

  it('charges tokens used beyond the estimate when the call reports them', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({ tokensPerMinute: 6000, ...time })
    await limiter.acquire(50, never)
    // Used 150, estimated 50: 100 more charged → level 6 − 50 − 100 = −144.
    limiter.record(150, 50)
    // Goes at 1: 145 / 0.1 = 1450 ms.
    await limiter.acquire(10, never)
    expect(time.clock.now).toBe(1450)
    // Using less than estimated gives nothing back: from 1 − 10, 1 is 100 ms away.
    limiter.record(0, 10)
    await limiter.acquire(10, never)
    expect(time.clock.now).toBe(1550)
  })

  it('lets a call larger than the bucket go, then makes the next wait out its debt', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({ tokensPerMinute: 6000, ...time })
    await limiter.acquire(500, never)
    expect(time.clock.now).toBe(0)
    // Level 6 − 500 = −494; the next goes at 1: 495 / 0.1 = 4950 ms.
    await limiter.acquire(10, never)
    expect(time.clock.now).toBe(4950)
  })

  it('waits for both limits', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({ requestsPerMinute: 600, tokensPerMinute: 600, ...time })
    // Both: 0.01 per ms, a bucket of 1.5.
    await limiter.acquire(10, never)
    await limiter.acquire(10, never)
    // The token bucket decides: 1.5 − 10 = −8.5, at 1 in 9.5 / 0.01 = 950 ms (requests: 50).
    expect(time.clock.now).toBe(950)
  })

  it('takes the gate only once its limits let the call go, and holds it when it resolves', async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({ requestsPerMinute: 60, ...time })
    const gate = new Slots(1)
    await limiter.acquire(0, never, gate)
    // The gate is held: the next call waits out the limit (0.95 / 0.001 = 950 ms) first, holding
    // nothing meanwhile.
    let admitted = false
    const next = limiter.acquire(0, never, gate).then(() => (admitted = true))
    for (let i = 0; i < 5; i++) await Promise.resolve()
    expect(time.clock.sleeps).toEqual([950])
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

  it("listens to the run's signal once for every caller in line, and not after", async () => {
    const time = fakeTime()
    const limiter = new RateLimiter({ requestsPerMinute: 60_000, ...time })
    const run = new AbortController()
    // Many suites put thousands of calls in line on the run's signal: one listener for them all.
    const waiting = Array.from({ length: 500 }, () => limiter.acquire(0, run.signal))
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(1)
    await Promise.all(waiting)
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0)
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
