import { RegexMatcher, RegexTimeoutError } from '../../src/score/regex-matcher.js'

/** Keeps the main thread busy for `ms`, as a long similarity or a synchronous module does. */
function busyFor(ms: number): void {
  const until = Date.now() + ms
  while (Date.now() < until) {
    // The event loop, timers and the thread's answers wait.
  }
}

describe('RegexMatcher', () => {
  it('does not take a finished match for a stuck one while the main thread was busy', async () => {
    const matcher = new RegexMatcher()
    matcher.acquire()
    // The thread is up: its start is not what is measured.
    await expect(matcher.test(/^h/, 'hello', 5_000)).resolves.toBe(true)
    const matched = await new Promise<boolean>((resolve, reject) =>
      setImmediate(() => {
        const match = matcher.test(/^h/, 'hello', 200)
        busyFor(600)
        match.then(resolve, reject)
      })
    )
    expect(matched).toBe(true)
    await matcher.release()
  })

  it('stops a match that runs for its whole time, and goes on with the next on a new thread', async () => {
    const matcher = new RegexMatcher()
    matcher.acquire()
    const stuck = matcher.test(/^(a+)+$/, 'a'.repeat(32) + '!', 200)
    const next = matcher.test(/b/, 'abc', 200)
    await expect(stuck).rejects.toBeInstanceOf(RegexTimeoutError)
    await expect(next).resolves.toBe(true)
    await matcher.release()
  })
})
