/**
 * The report of specs that could not be loaded, in place of a run.
 */
import { resolve } from 'node:path'
import { errorMessage } from '../errors.js'
import { invalidSpecsPathFor, writeFileAtomic } from '../io/files.js'
import { sliceWhole } from '../report/escape.js'
import { writtenSecrets } from '../spec/index.js'
import { redactText } from '../spec/secrets.js'
import type { ActionContext } from './event.js'
import type { ActionSettings } from './settings.js'
import { githubClient } from './io.js'
import type { ActionDeps } from './io.js'
import { invalidSpecsMarkdown } from './reports.js'
import type { InvalidSpecsRecord } from './artifact-files.js'
import { ownPullRequest, postComment } from './post-comment.js'

/**
 * Characters of problems a report keeps: more than a comment shows, well within what a record's
 * reader takes (MAX_INVALID_SPECS_BYTES), since a spec naming thousands of moved files has as many.
 */
const MAX_PROBLEMS_CHARS = 60_000

/** `problems` cut at a line end to MAX_PROBLEMS_CHARS, saying how many lines the log has besides. */
function capProblems(problems: string): string {
  if (problems.length <= MAX_PROBLEMS_CHARS) return problems
  const lineEnd = problems.lastIndexOf('\n', MAX_PROBLEMS_CHARS)
  const kept = lineEnd > 0 ? problems.slice(0, lineEnd) : sliceWhole(problems, MAX_PROBLEMS_CHARS)
  const left = problems
    .slice(kept.length)
    .split('\n')
    .filter((line) => line !== '').length
  return `${kept}\n… and ${left.toLocaleString('en-US')} more lines: see this job's log`
}

/**
 * Specs that cannot be loaded (a case file's path mistyped, a field the schema refuses, a module
 * that fails to import) run nothing: said in the job summary and the outputs, and on a pull
 * request in its comment, where the report of an earlier commit must not stand for this one. A
 * comment is written as for any run that fails the check; the step fails with the same problems.
 * A fork's run cannot comment: what it records beside the results is reported by `report-from`.
 * A shard comments nothing either: the `merge-from` job reports what it records, in its comment.
 * Returns the problems as reported, for the step's failure.
 */
export async function reportInvalidSpecs(
  problemsFound: string,
  settings: ActionSettings,
  context: ActionContext,
  commentKey: string | undefined,
  deps: ActionDeps
): Promise<string> {
  const { io } = deps
  io.setOutput('verdict', 'invalid-specs')
  io.setOutput('passed', 'false')
  // A module that fails to import may quote the runner's tokens, which it can read (see main.ts),
  // or the keys of the specs' providers and judges, expanded before it failed.
  const specSecrets = await writtenSecrets(settings.specs, { cwd: deps.cwd, env: deps.env })
  const redacted = redactText(problemsFound, [...(deps.secrets ?? []), ...specSecrets])
  const problems = capProblems(redacted)
  const record: InvalidSpecsRecord = {
    commit: context.pullRequest?.headSha ?? context.sha,
    ...(commentKey ? { commentKey } : {}),
    problems
  }
  const recordPath = invalidSpecsPathFor(settings.resultsPath)
  const path = resolve(deps.cwd, recordPath)
  await writeFileAtomic(path, JSON.stringify(record) + '\n').catch((writeError: unknown) =>
    io.warning(
      `evalgate: could not write ${path} for a report-from job: ${errorMessage(writeError)}`
    )
  )
  const markdown = invalidSpecsMarkdown(problems)
  const pull = ownPullRequest(context, commentKey)
  if (!settings.shard && pull && settings.githubToken) {
    const client = githubClient(settings.githubToken, context, deps)
    await postComment({
      settings,
      client,
      io,
      ...pull,
      body: markdown,
      regressed: true,
      reportFile: recordPath
    })
  }
  await io.writeSummary(markdown)
  return redacted
}
