import { GitHubApiError } from '../../src/github/client.js'
import { resolveTokenIdentity } from '../../src/github/identity.js'
import {
  ACTIONS_BOT_LOGIN,
  ACTIONS_TOKEN,
  faults,
  READ_ONLY_TOKEN,
  USER_LOGIN
} from '../helpers/github-server.js'
import type { GitHubServer } from '../helpers/github-server.js'
import { clientFor, countOf, recordingSleep, useGitHubServer } from './setup.js'

let server: GitHubServer

useGitHubServer((started) => (server = started))

async function failure(promise: Promise<unknown>): Promise<GitHubApiError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof GitHubApiError) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

describe('token identity', () => {
  it("is the PAT's user, and github-actions[bot] for an installation token", async () => {
    expect(await resolveTokenIdentity(clientFor(server))).toEqual({
      login: USER_LOGIN,
      source: 'token-user'
    })
    expect(await resolveTokenIdentity(clientFor(server, ACTIONS_TOKEN))).toEqual({
      login: ACTIONS_BOT_LOGIN,
      source: 'installation-default'
    })
  })

  it('is what the caller configured, without asking GitHub', async () => {
    expect(await resolveTokenIdentity(clientFor(server), ' my-app[bot] ')).toEqual({
      login: 'my-app[bot]',
      source: 'configured'
    })
    expect(server.requests).toEqual([])
  })

  it('fails clearly for a token GitHub refuses', async () => {
    const error = await failure(resolveTokenIdentity(clientFor(server, 'ghp_revoked')))
    expect(error.kind).toBe('auth')
    expect(error.message).toContain('github-token')
  })
})

describe('retries', () => {
  it('retries a read after server errors, backing off', async () => {
    const issue = server.state.addIssue({ title: 'x' })
    server.fault('issues/list-comments', faults.serverError(502), { times: 2 })
    const { sleep, delays } = recordingSleep()
    const client = clientFor(server, undefined, { sleep, baseDelayMs: 100 })

    const comments = []
    for await (const comment of client.listIssueComments(issue.number, 'issue'))
      comments.push(comment)

    expect(comments).toEqual([])
    expect(countOf(server, 'issues/list-comments')).toBe(3)
    expect(delays).toEqual([100, 200])
  })

  it('gives up after the bounded number of retries and says how often it tried', async () => {
    server.fault('git/get-ref', faults.serverError(), { times: Infinity })
    const error = await failure(clientFor(server).getRef('heads/evalgate-data'))
    expect(error.kind).toBe('server')
    expect(countOf(server, 'git/get-ref')).toBe(4)
    expect(error.message).toContain('after 4 attempts')
    expect(error.message).toContain('read the ref heads/evalgate-data')
  })

  it('never repeats creating a comment after a server error (it could appear twice)', async () => {
    const issue = server.state.addIssue({ title: 'x' })
    server.fault('issues/create-comment', faults.serverError())
    const error = await failure(
      clientFor(server).createIssueComment(issue.number, 'hi', 'pull request')
    )
    expect(error.kind).toBe('server')
    expect(error.message).toMatch(/could not create a comment on #\d+ \(POST \/repos\/.+ → 500/)
    expect(countOf(server, 'issues/create-comment')).toBe(1)
  })

  it('waits as long as retry-after asks on 429, then goes on', async () => {
    const issue = server.state.addIssue({ title: 'x' })
    server.fault('issues/create-comment', faults.tooManyRequests(7))
    const { sleep, delays } = recordingSleep()
    await clientFor(server, undefined, { sleep }).createIssueComment(
      issue.number,
      'hi',
      'pull request'
    )
    expect(delays).toEqual([7000])
    expect(server.state.commentsOn(issue.number)).toHaveLength(1)
  })

  it('waits out a secondary rate limit', async () => {
    const issue = server.state.addIssue({ title: 'x' })
    server.fault('issues/update', faults.secondaryRateLimit(3))
    const { sleep, delays } = recordingSleep()
    await clientFor(server, undefined, { sleep }).updateIssue(issue.number, { state: 'closed' })
    expect(delays).toEqual([3000])
    expect(issue.state).toBe('closed')
  })

  it('waits for a primary rate limit that resets soon', async () => {
    server.fault('git/get-ref', faults.rateLimited(1_000_030))
    const { sleep, delays } = recordingSleep()
    const client = clientFor(server, undefined, { sleep, now: () => 1_000_000_000 })
    expect(await client.getRef('heads/main')).toBe(server.state.branchTip('main'))
    expect(delays).toEqual([30_000])
  })

  it('fails at once on a rate limit that resets in an hour, saying when', async () => {
    server.fault('git/get-ref', faults.rateLimited(1_003_600))
    const client = clientFor(server, undefined, { now: () => 1_000_000_000 })
    const error = await failure(client.getRef('heads/main'))
    expect(error.kind).toBe('rate-limited')
    expect(error.message).toContain(`until ${new Date(1_003_600_000).toISOString()} (in 3600 s)`)
    expect(countOf(server, 'git/get-ref')).toBe(1)
  })
})

describe('errors name the call and the likely fix', () => {
  it('a read-only token (fork PR) writing a comment', async () => {
    const issue = server.state.addIssue({ title: 'x' })
    const error = await failure(
      clientFor(server, READ_ONLY_TOKEN).createIssueComment(issue.number, 'hi', 'pull request')
    )
    expect(error.kind).toBe('forbidden')
    expect(error.status).toBe(403)
    expect(error.message).toContain('Resource not accessible by integration')
    expect(error.message).toContain('the token is read-only (fork PR?)')
    expect(error.message).toContain('permissions: pull-requests: write')
    expect(error.message).toContain('workflow_run')
  })

  it('a workflow_run job’s token writing a comment: the permission it lacks, not a job to move to', async () => {
    const issue = server.state.addIssue({ title: 'x' })
    const client = clientFor(server, READ_ONLY_TOKEN, {}, true)
    const created = await failure(client.createIssueComment(issue.number, 'hi', 'pull request'))
    const updated = await failure(client.updateIssueComment(1, 'hi'))
    for (const error of [created, updated]) {
      expect(error.kind).toBe('forbidden')
      expect(error.message).toMatch(
        /: the token lacks `permissions: pull-requests: write` \(or `issues: write`\) in the workflow: this `workflow_run` job is the one that comments for pull requests from forks: give it that permission\.$/
      )
      expect(error.message).not.toContain('fork PR?')
    }
  })

  it('a token without the issues permissions the tracking issue needs: which one, and no fork advice', async () => {
    const issue = server.state.addIssue({ title: 'tracking' })
    const client = clientFor(server, READ_ONLY_TOKEN)
    const comment = await failure(client.createIssueComment(issue.number, 'hi', 'issue'))
    const label = await failure(client.addLabels(issue.number, ['evalgate']))
    server.fault('issues/list-for-repo', faults.forbidden())
    const issues = client.listIssues({ labels: ['evalgate'] })
    const list = await failure(issues[Symbol.asyncIterator]().next())
    for (const [error, permission] of [
      [comment, 'issues: write'],
      [label, 'issues: write'],
      [list, 'issues: read']
    ] as const) {
      expect(error.kind).toBe('forbidden')
      expect(error.message).toContain(
        `the token lacks \`permissions: ${permission}\` in the workflow: give it to the job that runs on schedule and workflow_dispatch, which keeps the tracking issue (or set the input \`tracking-issue: false\`)`
      )
      expect(error.message).not.toMatch(/fork|workflow_run|pull-requests|contents/)
    }
  })

  it('a repository with issues turned off (410)', async () => {
    server.fault('issues/create', { status: 410, message: 'Issues are disabled for this repo' })
    const error = await failure(clientFor(server).createIssue({ title: 'x', body: 'y' }))
    expect(error.kind).toBe('gone')
    expect(error.message).toBe(
      'GitHub API: could not open the issue "x" (POST /repos/octo-org/evalgate-demo/issues → 410: Issues are disabled for this repo): the repository has issues turned off: turn them on in the repository\'s settings (General → Features → Issues), or set the input `tracking-issue: false`.'
    )
  })

  it('a missing issue', async () => {
    const error = await failure(clientFor(server).updateIssue(404, { body: 'x' }))
    expect(error.kind).toBe('not-found')
    expect(error.message).toContain('could not update issue #404')
  })

  it('a request GitHub refuses as invalid', async () => {
    server.state.ensureLabel('evalgate')
    const error = await failure(
      clientFor(server).createLabel({ name: 'evalgate', color: 'ff0000' })
    )
    expect(error.kind).toBe('validation')
    expect(error.message).toContain('Validation Failed; name already_exists')
  })

  it('an HTML page in place of GitHub’s JSON: its words, not its markup', async () => {
    server.fault('repos/get-commit', faults.unicornPage(), { times: Infinity })
    const client = clientFor(server, undefined, { maxRetries: 1 })
    const error = await failure(client.getCommit('main'))
    expect(error.message).toContain(
      '→ 503: an HTML page: "Unicorn! · GitHub No server is currently available to service your request.'
    )
    expect(error.message).not.toContain('<')
    expect(error.message.length).toBeLessThan(600)
  })

  it.each([
    ['an empty body: nothing', { page: '' }, '→ 502): GitHub answered'],
    ['a blank one: nothing', { page: ' \n ' }, '→ 502): GitHub answered'],
    [
      "a proxy's plain text: as text",
      {
        page: 'upstream connect error or disconnect/reset before headers',
        headers: { 'content-type': 'text/plain' }
      },
      '→ 502: "upstream connect error or disconnect/reset before headers"): GitHub answered'
    ],
    [
      'JSON sent as a page: its message',
      { page: '{"message":"Server Error"}' },
      '→ 502: Server Error): GitHub answered'
    ],
    [
      "a page's entities: as the characters they stand for",
      { page: '<p>We&#39;re having a problem &amp; are &#x201C;on it&#x201D; &lt;soon&gt;</p>' },
      '→ 502: an HTML page: "We\'re having a problem & are “on it” <soon>"): GitHub answered'
    ]
  ])('the body of a failure in place of JSON, %s', async (_, body, said) => {
    server.fault('repos/get-commit', { status: 502, ...body }, { times: Infinity })
    const error = await failure(clientFor(server, undefined, { maxRetries: 0 }).getCommit('main'))
    expect(error.message).toContain(said)
    expect(error.message).not.toContain('an HTML page: ""')
  })

  it('no answer at all', async () => {
    const url = server.url
    await server.close()
    const client = clientFor({ ...server, url }, undefined, { maxRetries: 1 })
    const error = await failure(client.getRef('heads/main'))
    expect(error.kind).toBe('network')
    expect(error.message).toContain('no answer from GitHub')
  })
})

describe('refs', () => {
  it('reports a ref that moved and a ref that already exists as outcomes, not errors', async () => {
    const client = clientFor(server)
    const [older] = server.state.linearHistory(2)
    expect(await client.updateRef('heads/main', older as string)).toBe('moved')
    expect(await client.createRef('heads/main', older as string)).toBe('exists')
    expect(await client.getRef('heads/missing')).toBeUndefined()
    // GitHub documents 409 for a ref update it could not make: a race as well.
    server.fault('git/update-ref', { status: 409, message: 'Reference update failed' })
    expect(await client.updateRef('heads/main', older as string)).toBe('moved')
    const moved = await client.updateRef('heads/main', server.state.commit())
    expect(moved).toBe('updated')
    const update = server.requests.find((r) => r.operationId === 'git/update-ref')
    expect(update?.body).toEqual({ sha: expect.any(String), force: false })
  })
})

describe('pull requests', () => {
  it('reads the base and head of a PR', async () => {
    const [forkPoint] = server.state.linearHistory(1)
    const head = server.state.commit({ branch: 'feature', parents: [forkPoint as string] })
    const pr = server.state.addPullRequest({ headBranch: 'feature' })
    expect(await clientFor(server).getPullRequest(pr.number)).toEqual({
      number: pr.number,
      state: 'open',
      base: { ref: 'main', sha: forkPoint },
      head: { ref: 'feature', sha: head, repoFullName: `${server.owner}/${server.repo}` },
      isFork: false
    })
  })
})
