/**
 * The runner-facing side effects and the clients the action is given: behind small interfaces,
 * so the flow is tested without @actions/core.
 */
import { UsageError, errorMessage } from '../errors.js'
import type { SecretValue } from '../spec/types.js'
import type { GitHubClient, GitHubClientOptions } from './client.js'
import type { ActionContext } from './event.js'

/** The runner-facing side effects, behind an interface so the flow is testable without @actions/core. */
export interface ActionIO {
  info(message: string): void
  warning(message: string): void
  /**
   * An annotation on a line of a file of the repository: an error when the step fails, else a
   * warning (an error on a step that passes reads as a failure it is not).
   */
  annotate(
    message: string,
    location: { file: string; line?: number; title: string; level: 'error' | 'warning' }
  ): void
  setOutput(name: string, value: string): void
  writeSummary(markdown: string): Promise<void>
}

export interface ActionDeps {
  io: ActionIO
  env: Record<string, string | undefined>
  /** The runner's tokens: redacted from the run as the spec's secrets are. */
  secrets?: SecretValue[]
  cwd: string
  signal: AbortSignal
  createClient: (options: GitHubClientOptions) => GitHubClient
  now: () => Date
}

export type Attempt<T> = { ok: true; value: T } | { ok: false; error: string }

/**
 * Reading a baseline or updating the tracking issue is best effort: an API failure is reported
 * and returned, so the report can say what failed, and never fails the step. A usage error (a
 * baseline directory the file system refuses) is the user's to fix, and fails it.
 */
export async function attempt<T>(
  what: string,
  io: ActionIO,
  work: () => Promise<T>
): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await work() }
  } catch (error) {
    if (error instanceof UsageError) throw error
    const message = errorMessage(error)
    io.warning(`evalgate: ${what}: ${message}`)
    return { ok: false, error: message }
  }
}

/** The client of the repository the job runs in. */
export function githubClient(
  token: string,
  context: ActionContext,
  deps: ActionDeps
): GitHubClient {
  return deps.createClient({
    token,
    apiUrl: context.apiUrl,
    owner: context.owner,
    repo: context.repo,
    workflowRun: context.eventName === 'workflow_run',
    // A cancelled job stops talking to GitHub, and reports what it did.
    signal: deps.signal
  })
}
