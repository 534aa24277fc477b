/**
 * The local GitHub server is only worth its tests if it refuses what GitHub refuses and answers
 * what GitHub answers: these prove the checks against the OpenAPI description fire.
 */
import { ACTIONS_TOKEN, USER_LOGIN, USER_TOKEN } from '../helpers/github-server.js'
import type { GitHubServer } from '../helpers/github-server.js'
import { useGitHubServer } from './setup.js'

let server: GitHubServer

useGitHubServer((started) => (server = started))

async function api(
  method: string,
  path: string,
  body?: unknown,
  token = USER_TOKEN
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `token ${token}`,
      accept: 'application/vnd.github+json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' })
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) })
  })
  const text = await response.text()
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: response.headers
  }
}

/** Takes the violations a test provoked on purpose, leaving none for afterEach. */
function takeViolations() {
  return server.violations.splice(0)
}

const repoPath = () => `/repos/${server.owner}/${server.repo}`

describe('the local GitHub server checks requests against the OpenAPI description', () => {
  it('refuses a comment without a body, as GitHub does, and records the violation', async () => {
    const issue = server.state.addIssue({ title: 'x' })
    const answer = await api('POST', `${repoPath()}/issues/${issue.number}/comments`, {
      text: 'the field is called body'
    })
    expect(answer.status).toBe(422)
    expect(answer.body['message']).toContain(`"body" wasn't supplied.`)
    expect(takeViolations()).toEqual([
      expect.objectContaining({
        operationId: 'issues/create-comment',
        against: 'request-body',
        message: expect.stringContaining("must have required property 'body'")
      })
    ])
    expect(server.state.commentsOn(issue.number)).toEqual([])
  })

  it('refuses a field of the wrong type and an enum value GitHub does not know', async () => {
    const issue = server.state.addIssue({ title: 'x' })
    const wrongType = await api('PATCH', `${repoPath()}/issues/${issue.number}`, { state: 'shut' })
    expect(wrongType.status).toBe(422)
    const badQuery = await api('GET', `${repoPath()}/issues?state=opened`)
    expect(badQuery.status).toBe(422)
    expect(takeViolations().map((v) => v.against)).toEqual(['request-body', 'query'])
  })

  it('answers 404 to a route GitHub does not have', async () => {
    const answer = await api('GET', `${repoPath()}/evalgate/baselines`)
    expect(answer.status).toBe(404)
    expect(takeViolations()).toEqual([
      expect.objectContaining({ against: 'route', operationId: undefined })
    ])
  })

  it('flags a query parameter GitHub would silently ignore', async () => {
    const answer = await api('GET', `${repoPath()}/issues?label=bug`)
    expect(answer.status).toBe(200)
    expect(takeViolations()).toEqual([
      expect.objectContaining({ against: 'query', message: expect.stringContaining('label') })
    ])
  })

  it('checks its own answers against the response schema', async () => {
    const issue = server.state.addIssue({ title: 'x' })
    server.tamper('issues/get', (body) => ({ ...(body as object), number: 'one' }))
    await api('GET', `${repoPath()}/issues/${issue.number}`)
    expect(takeViolations()).toEqual([
      expect.objectContaining({
        against: 'response',
        message: expect.stringContaining('/number must be integer')
      })
    ])
  })

  it('refuses requests without valid credentials', async () => {
    expect((await api('GET', '/user', undefined, 'ghp_unknown')).status).toBe(401)
  })
})

describe('the local GitHub server behaves as GitHub', () => {
  it('tells a PAT who it is and refuses GET /user to an installation token', async () => {
    expect((await api('GET', '/user')).body['login']).toBe(USER_LOGIN)
    const installation = await api('GET', '/user', undefined, ACTIONS_TOKEN)
    expect(installation.status).toBe(403)
    expect(installation.body['message']).toBe('Resource not accessible by integration')
  })

  it('pages comments with a Link header', async () => {
    const issue = server.state.addIssue({ title: 'x' })
    for (let i = 0; i < 250; i++) server.state.addComment(issue.number, `c${i}`, 'someone')
    const first = await api('GET', `${repoPath()}/issues/${issue.number}/comments?per_page=100`)
    const link = first.headers.get('link') ?? ''
    expect(link).toContain('page=2>; rel="next"')
    expect(link).toContain('page=3>; rel="last"')
    const last = await fetch(
      `${server.url}${repoPath()}/issues/${issue.number}/comments?per_page=100&page=3`,
      {
        headers: { authorization: `token ${USER_TOKEN}` }
      }
    )
    const comments = (await last.json()) as { body: string }[]
    expect(comments.map((c) => c.body)).toEqual(Array.from({ length: 50 }, (_, i) => `c${200 + i}`))
    expect(last.headers.get('link')).toContain('page=2>; rel="prev"')
    expect(last.headers.get('link')).not.toContain('rel="next"')
  })

  it('stores git objects under the SHA git would give them', async () => {
    const blob = await api('POST', `${repoPath()}/git/blobs`, {
      content: Buffer.from('hello\n').toString('base64'),
      encoding: 'base64'
    })
    // `printf 'hello\n' | git hash-object --stdin`
    expect(blob.body['sha']).toBe('ce013625030ba8dba906f756967f9e9ca394464a')
    const tree = await api('POST', `${repoPath()}/git/trees`, {
      tree: [{ path: 'hello.txt', mode: '100644', type: 'blob', sha: blob.body['sha'] }]
    })
    // `git mktree` of that one entry
    expect(tree.body['sha']).toBe('aaa96ced2d9a1c8e72c56b253a0e2fe78393feb7')
    const read = await api('GET', `${repoPath()}/git/blobs/${String(blob.body['sha'])}`)
    expect(Buffer.from(String(read.body['content']), 'base64').toString()).toBe('hello\n')
  })

  it('refuses to move a ref backwards without force', async () => {
    const [first, second] = server.state.linearHistory(2)
    const backwards = await api('PATCH', `${repoPath()}/git/refs/heads%2Fmain`, {
      sha: first,
      force: false
    })
    expect(backwards.status).toBe(422)
    expect(backwards.body['message']).toBe('Update is not a fast forward')
    expect(server.state.branchTip('main')).toBe(second)
  })

  it('finds the merge base of two branches', async () => {
    const [forkPoint] = server.state.linearHistory(1)
    server.state.commit({
      branch: 'feature',
      parents: [forkPoint as string],
      files: { 'f.txt': 'f' }
    })
    server.state.linearHistory(2)
    const answer = await api('GET', `${repoPath()}/compare/main...feature`)
    expect((answer.body['merge_base_commit'] as { sha: string }).sha).toBe(forkPoint)
    expect(answer.body['status']).toBe('diverged')
  })
})
