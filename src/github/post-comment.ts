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
import { shortSha } from './reports.js'

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
  /**
   * The commit the report is of, recorded in the comment: a run of an older commit that finishes
   * after a newer one's leaves the newer report in place.
   */
  headSha?: string
}

/**
 * Where a `pull_request` run posts its own sticky comment: its pull request, under its workflow
 * and job (or `comment-key`), unless the comment reports a newer commit; undefined for any other
 * event.
 */
export function ownPullRequest(
  context: ActionContext,
  commentKey: string | undefined
): Pick<CommentPost, 'owner' | 'pullNumber' | 'headSha'> | undefined {
  if (context.eventName !== 'pull_request' || !context.pullRequest) return undefined
  return {
    owner: { workflow: context.workflow, key: commentKey },
    pullNumber: context.pullRequest.number,
    headSha: context.pullRequest.headSha
  }
}

/**
 * Whether the comment's report, of `reported`, is newer than this run's of `headSha`: `reported`
 * descends from it, or (the branch force-pushed, the two diverged) is the pull request's head. A
 * pull request whose newest commit had no run (`[skip ci]`, `paths:`) keeps its last report
 * current this way. When GitHub cannot tell (said as a warning), the comment is updated as ever.
 */
async function reportsNewer(
  client: GitHubClient,
  pullNumber: number,
  headSha: string,
  reported: string,
  io: ActionIO
): Promise<boolean> {
  try {
    const comparison = await client.compareCommits(headSha, reported)
    if (comparison?.status === 'ahead') return true
    if (comparison?.status === 'behind' || comparison?.status === 'identical') return false
    return (await client.getPullRequest(pullNumber)).head.sha === reported
  } catch (error) {
    if (!(error instanceof GitHubApiError)) throw error
    io.warning(
      `evalgate: could not tell whether the comment on #${pullNumber}, of ${shortSha(reported)}, reports a newer commit than this run's ${shortSha(headSha)}, so it is updated: ${error.message}`
    )
    return false
  }
}

/** Why the comment was not posted, for the job summary: GitHub's words are quoted, not rendered. */
function couldNotComment(pullNumber: number, error: unknown): string {
  return `could not comment on #${pullNumber}: ${markdownInline(errorMessage(error).replace(/\.$/, ''), 1_000)}`
}

/**
 * Posts the comment, unless `comment: off`. Returns why none was posted where one was due (the
 * comment reports a newer commit, GitHub refused or failed), in Markdown for the job summary; the
 * log says it too.
 */
export async function postComment({
  settings,
  client,
  io,
  owner,
  pullNumber,
  body,
  regressed,
  reportFile,
  fromArtifact = false,
  headSha
}: CommentPost): Promise<string | undefined> {
  const pr = { number: pullNumber }
  const reportedIn = reportFile ?? settings.resultsPath
  if (settings.comment === 'off') return undefined
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
        : {}),
      ...(headSha === undefined
        ? {}
        : {
            commit: {
              sha: headSha,
              reportsNewer: (reported: string) =>
                reportsNewer(client, pullNumber, headSha, reported, io)
            }
          })
    })
    if (!result) return undefined
    if (result.action === 'left') {
      const why = `the comment on #${pr.number} already reports ${shortSha(result.newerCommit)}, newer than this run's ${shortSha(result.commit)}`
      io.info(`evalgate: no comment: ${why}`)
      return why
    }
    io.setOutput('comment-url', result.url)
    io.info(`evalgate: ${result.action} the comment ${result.url}`)
    if (result.unexpectedAuthor) {
      const { expected, actual } = result.unexpectedAuthor
      io.warning(
        `evalgate: the comment was written as ${actual ?? 'an unknown user'}, but evalgate looks for its comment among ${expected}'s, so the next run will write another: set the input comment-author: ${actual ?? '<the login>'}`
      )
    }
    return undefined
  } catch (error) {
    if (error instanceof GitHubApiError && error.kind === 'locked') {
      io.warning(
        `evalgate: no comment on #${pr.number}: the pull request is locked. The verdict stands; the job summary and ${reportedIn} have the report.`
      )
      return `#${pr.number} is locked`
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
      return couldNotComment(pr.number, error)
    }
    io.warning(`evalgate: could not comment on #${pr.number}: ${errorMessage(error)}`)
    return couldNotComment(pr.number, error)
  }
}
