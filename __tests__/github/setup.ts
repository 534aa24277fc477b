/** Shared by the tests of the GitHub layer and the baseline stores. */
import { createGitHubClient } from '../../src/github/client.js'
import type { GitHubClient, RetryPolicy } from '../../src/github/client.js'
import { USER_TOKEN, startGitHubServer } from '../helpers/github-server.js'
import type { GitHubServer } from '../helpers/github-server.js'

/** Waits nobody has to sit through: the delays asked for are recorded instead. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = []
  return {
    delays,
    sleep: (ms) => {
      delays.push(ms)
      return Promise.resolve()
    }
  }
}

/**
 * A client of the local server over real HTTP, as the action would build it; `workflowRun` as a
 * job on `workflow_run` builds it.
 */
export function clientFor(
  server: GitHubServer,
  token = USER_TOKEN,
  retry: Partial<RetryPolicy> = {},
  workflowRun = false
): GitHubClient {
  return createGitHubClient({
    token,
    apiUrl: server.url,
    owner: server.owner,
    repo: server.repo,
    retry: { sleep: recordingSleep().sleep, random: () => 0.5, ...retry },
    workflowRun
  })
}

/** Every count of requests a test makes, by operation. */
export function countOf(server: GitHubServer, operationId: string): number {
  return server.requests.filter((r) => r.operationId === operationId).length
}

/**
 * A fresh local GitHub per test, handed to `use`; after each test it is closed and must have seen
 * no request or answer GitHub's OpenAPI description would reject.
 */
export function useGitHubServer(use: (server: GitHubServer) => void): void {
  let current: GitHubServer | undefined
  beforeEach(async () => {
    current = await startGitHubServer()
    use(current)
  })
  afterEach(async () => {
    await current?.close()
    expect(current?.violations).toEqual([])
  })
}
