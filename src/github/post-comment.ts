/**
 * Posting a pull request's sticky comment as the settings ask, never failing the step for it.
 */
import { errorMessage } from '../errors.js'
import { markdownInline } from '../report/escape.js'
import type { GitHubClient } from './client.js'
import { GitHubApiError } from './client.js'
import { stickyMarker, upsertStickyComment } from './comment.js'
import type { ActionContext } from './event.js'
import type { ActionSettings } from './settings.js'
import type { ActionIO } from './io.js'

/** A pull request's sticky comment to post, and what posting it needs. */
interface CommentPost {
  settings: ActionSettings
  client: GitHubClient
  io: ActionIO
  /** The workflow and the job (or `comment-key`) the sticky comment belongs to. */
  owner: { workflow: string; key: string | undefined }
  pullNumber: number
  body: string
  /** The check fails: `comment: on-regression` writes a new comment only then. */
  regressed: boolean
  /** The file beside the job summary that has the report, when not the results. */
  reportFile?: string
  /** A `report-from` job: already the `workflow_run` job a fork's comment is posted from. */
  fromArtifact?: boolean
}

/**
 * Where a `pull_request` run posts its own sticky comment: its pull request, under its workflow
 * and job (or `comment-key`); undefined for any other event.
 */
export function ownPullRequest(
  context: ActionContext,
  commentKey: string | undefined
): Pick<CommentPost, 'owner' | 'pullNumber'> | undefined {
  if (context.eventName !== 'pull_request' || !context.pullRequest) return undefined
  return {
    owner: { workflow: context.workflow, key: commentKey },
    pullNumber: context.pullRequest.number
  }
}

export async function postComment({
  settings,
  client,
  io,
  owner,
  pullNumber,
  body,
  regressed,
  reportFile,
  fromArtifact = false
}: CommentPost): Promise<void> {
  const pr = { number: pullNumber }
  const reportedIn = reportFile ?? settings.resultsPath
  if (settings.comment === 'off') return
  try {
    // on-regression: a new comment only on a regression, but one already there is kept current.
    const result = await upsertStickyComment(client, {
      issueNumber: pr.number,
      marker: stickyMarker(owner.workflow, owner.key),
      // The comment of an evalgate that marked it by workflow alone is taken over, not doubled.
      ...(owner.key === undefined ? {} : { formerMarker: stickyMarker(owner.workflow) }),
      body,
      create: settings.comment === 'on' || regressed,
      ...(settings.commentAuthor ? { author: settings.commentAuthor } : {}),
      ...(reportFile
        ? { fullReport: `the job summary and \`${markdownInline(reportFile, 300)}\`` }
        : {})
    })
    if (!result) return
    io.setOutput('comment-url', result.url)
    io.info(`evalgate: ${result.action} the comment ${result.url}`)
    if (result.unexpectedAuthor) {
      const { expected, actual } = result.unexpectedAuthor
      io.warning(
        `evalgate: the comment was written as ${actual ?? 'an unknown user'}, but evalgate looks for its comment among ${expected}'s, so the next run will write another: set the input comment-author: ${actual ?? '<the login>'}`
      )
    }
  } catch (error) {
    if (error instanceof GitHubApiError && error.kind === 'locked') {
      io.warning(
        `evalgate: no comment on #${pr.number}: the pull request is locked. The verdict stands; the job summary and ${reportedIn} have the report.`
      )
      return
    }
    // A fork PR's token is read-only: report, never fail for lack of permission. The error says
    // what a report-from job lacks.
    if (error instanceof GitHubApiError && (error.kind === 'forbidden' || error.kind === 'auth')) {
      io.warning(
        `evalgate: could not comment on #${pr.number} (${error.message}). The job summary and ${reportedIn} have the report` +
          (fromArtifact
            ? '.'
            : '; for pull requests from forks, post it from a `workflow_run` job (see the README).')
      )
      return
    }
    io.warning(`evalgate: could not comment on #${pr.number}: ${errorMessage(error)}`)
  }
}
