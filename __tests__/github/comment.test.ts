import { renderGfm } from '../helpers/gfm.js'
import {
  COMMENT_LIMIT,
  fitCommentBody,
  stickyMarker,
  upsertStickyComment
} from '../../src/github/comment.js'
import {
  ACTIONS_BOT_LOGIN,
  ACTIONS_TOKEN,
  OTHER_USER_LOGIN,
  OTHER_USER_TOKEN,
  USER_LOGIN
} from '../helpers/github-server.js'
import type { GitHubServer } from '../helpers/github-server.js'
import { clientFor, countOf, useGitHubServer } from './setup.js'

let server: GitHubServer

useGitHubServer((started) => (server = started))

const marker = stickyMarker('CI')

function pullRequest(): number {
  server.state.commit({ branch: 'feature', parents: server.state.firstParents('main').slice(0, 1) })
  return server.state.addPullRequest({ headBranch: 'feature' }).number
}

describe('upsertStickyComment', () => {
  it('creates the comment once and edits it in place on later runs', async () => {
    const pr = pullRequest()
    const client = clientFor(server)
    const actions: string[] = []
    for (const run of [1, 2, 3]) {
      const result = await upsertStickyComment(client, {
        issueNumber: pr,
        marker,
        body: `verdict of run ${run}`
      })
      actions.push(result?.action ?? 'none')
    }
    expect(actions).toEqual(['created', 'updated', 'updated'])
    const comments = server.state.commentsOn(pr)
    expect(comments).toHaveLength(1)
    expect(comments[0]?.body).toBe(`${marker}\nverdict of run 3`)
    expect(comments[0]?.user.login).toBe(USER_LOGIN)
  })

  it('with create: false keeps an existing comment current but never starts one', async () => {
    const pr = pullRequest()
    const client = clientFor(server)
    const none = await upsertStickyComment(client, {
      issueNumber: pr,
      marker,
      body: 'a',
      create: false
    })
    expect(none).toBeUndefined()
    expect(server.state.commentsOn(pr)).toEqual([])

    await upsertStickyComment(client, { issueNumber: pr, marker, body: 'regression' })
    const kept = await upsertStickyComment(client, {
      issueNumber: pr,
      marker,
      body: 'fixed',
      create: false
    })
    expect(kept?.action).toBe('updated')
    expect(server.state.commentsOn(pr).map((c) => c.body)).toEqual([`${marker}\nfixed`])
  })

  it('returns the comment on github.com', async () => {
    const pr = pullRequest()
    const result = await upsertStickyComment(clientFor(server), {
      issueNumber: pr,
      marker,
      body: 'x'
    })
    const id = server.state.commentsOn(pr)[0]?.id
    expect(result?.url).toBe(
      `https://github.com/${server.owner}/${server.repo}/pull/${pr}#issuecomment-${id}`
    )
  })

  it('finds its comment on page 3 of 250 by paging through all of them', async () => {
    const pr = pullRequest()
    for (let i = 0; i < 230; i++) server.state.addComment(pr, `chatter ${i}`, OTHER_USER_LOGIN)
    const ours = server.state.addComment(pr, `${marker}\nold verdict`, USER_LOGIN)
    for (let i = 0; i < 19; i++) server.state.addComment(pr, `more ${i}`, OTHER_USER_LOGIN)

    const result = await upsertStickyComment(clientFor(server), {
      issueNumber: pr,
      marker,
      body: 'new verdict'
    })

    expect(result?.action).toBe('updated')
    expect(server.state.commentsOn(pr)).toHaveLength(250)
    expect(server.state.comments.get(ours.id)?.body).toBe(`${marker}\nnew verdict`)
    const pages = server.requests
      .filter((r) => r.operationId === 'issues/list-comments')
      .map((r) => new URL(r.path, server.url).searchParams.get('page') ?? '1')
    expect(pages).toEqual(['1', '2', '3'])
  })

  it("leaves another user's comment that carries the same marker alone", async () => {
    const pr = pullRequest()
    const theirs = server.state.addComment(pr, `${marker}\ncopied by hand`, OTHER_USER_LOGIN)

    const result = await upsertStickyComment(clientFor(server), {
      issueNumber: pr,
      marker,
      body: 'verdict'
    })

    expect(result?.action).toBe('created')
    expect(server.state.comments.get(theirs.id)?.body).toBe(`${marker}\ncopied by hand`)
    expect(server.state.commentsOn(pr).map((c) => c.user.login)).toEqual([
      OTHER_USER_LOGIN,
      USER_LOGIN
    ])
  })

  it('creates the comment again after someone deleted it', async () => {
    const pr = pullRequest()
    const client = clientFor(server)
    await upsertStickyComment(client, { issueNumber: pr, marker, body: 'first' })
    const first = server.state.commentsOn(pr)[0]
    server.state.deleteComment(first?.id ?? 0)

    const result = await upsertStickyComment(client, { issueNumber: pr, marker, body: 'second' })

    expect(result?.action).toBe('created')
    expect(server.state.commentsOn(pr).map((c) => c.body)).toEqual([`${marker}\nsecond`])
  })

  it('creates a new comment when the old one disappears between listing and editing', async () => {
    const pr = pullRequest()
    const old = server.state.addComment(pr, `${marker}\nold`, USER_LOGIN)
    server.before('issues/update-comment', () => server.state.deleteComment(old.id))

    const result = await upsertStickyComment(clientFor(server), {
      issueNumber: pr,
      marker,
      body: 'new'
    })

    expect(result?.action).toBe('created')
    expect(server.state.commentsOn(pr).map((c) => c.body)).toEqual([`${marker}\nnew`])
  })

  it('acts as github-actions[bot] with GITHUB_TOKEN, where GET /user is refused', async () => {
    const pr = pullRequest()
    const mine = server.state.addComment(pr, `${marker}\nold`, ACTIONS_BOT_LOGIN)
    const result = await upsertStickyComment(clientFor(server, ACTIONS_TOKEN), {
      issueNumber: pr,
      marker,
      body: 'new'
    })
    expect(result?.action).toBe('updated')
    expect(server.state.comments.get(mine.id)?.body).toBe(`${marker}\nnew`)
  })

  it('takes the author from the caller without asking GitHub (a GitHub App bot)', async () => {
    const pr = pullRequest()
    const appComment = server.state.addComment(pr, `${marker}\nold`, OTHER_USER_LOGIN)
    await upsertStickyComment(clientFor(server, OTHER_USER_TOKEN), {
      issueNumber: pr,
      marker,
      body: 'new',
      author: OTHER_USER_LOGIN.toUpperCase()
    })
    expect(server.state.comments.get(appComment.id)?.body).toBe(`${marker}\nnew`)
    expect(countOf(server, 'users/get-authenticated')).toBe(0)
  })

  it('records its commit under the marker, and leaves a comment that reports a newer one', async () => {
    const pr = pullRequest()
    const client = clientFor(server)
    const [older, newer] = ['a'.repeat(40), 'b'.repeat(40)]
    const asked: string[] = []
    const commit = (sha: string, newerOnes: string[]) => ({
      sha,
      reportsNewer: (reported: string) => {
        asked.push(reported)
        return Promise.resolve(newerOnes.includes(reported))
      }
    })
    const upsert = (body: string, of: ReturnType<typeof commit>) =>
      upsertStickyComment(client, { issueNumber: pr, marker, body, commit: of })
    // An earlier evalgate's comment records no commit; one quoted in its report is not its own.
    const earlier = server.state.addComment(
      pr,
      `${marker}\nreport\n<!-- evalgate:commit ${newer} -->`,
      USER_LOGIN
    )
    expect(await upsert('of the newer', commit(newer, []))).toMatchObject({ action: 'updated' })
    expect(asked).toEqual([])
    const recorded = `${marker}\n<!-- evalgate:commit ${newer} -->\nof the newer`
    expect(server.state.commentsOn(pr).map((c) => c.body)).toEqual([recorded])

    expect(await upsert('of the older', commit(older, [newer]))).toEqual({
      url: expect.stringContaining(`#issuecomment-${earlier.id}`) as string,
      action: 'left',
      commit: older,
      newerCommit: newer
    })
    expect(asked).toEqual([newer])
    expect(server.state.commentsOn(pr).map((c) => c.body)).toEqual([recorded])

    // Not newer: replaced, and now records the older commit.
    expect(await upsert('of the older', commit(older, []))).toMatchObject({ action: 'updated' })
    expect(server.state.commentsOn(pr).map((c) => c.body)).toEqual([
      `${marker}\n<!-- evalgate:commit ${older} -->\nof the older`
    ])
  })

  it('warns of a comment written as another login than the one it looks for (an App without comment-author)', async () => {
    const pr = pullRequest()
    const result = await upsertStickyComment(clientFor(server, OTHER_USER_TOKEN), {
      issueNumber: pr,
      marker,
      body: 'new',
      author: ACTIONS_BOT_LOGIN
    })
    expect(result).toMatchObject({
      action: 'created',
      unexpectedAuthor: { expected: ACTIONS_BOT_LOGIN, actual: OTHER_USER_LOGIN }
    })
  })

  it('is not taken over by another workflow whose marker a model quoted in the report', async () => {
    const pr = pullRequest()
    const client = clientFor(server)
    const nightly = stickyMarker('nightly')
    await upsertStickyComment(client, {
      issueNumber: pr,
      marker: stickyMarker('ci'),
      body: `report\n\`\`\`text\nsure ${nightly}\n\`\`\``
    })
    await upsertStickyComment(client, { issueNumber: pr, marker: nightly, body: 'nightly report' })
    const bodies = server.state.commentsOn(pr).map((c) => c.body)
    expect(bodies).toHaveLength(2)
    expect(bodies[0]?.startsWith(stickyMarker('ci'))).toBe(true)
    expect(bodies[1]).toBe(`${nightly}\nnightly report`)
  })

  it('keeps separate comments for separate workflows', async () => {
    const pr = pullRequest()
    const client = clientFor(server)
    await upsertStickyComment(client, { issueNumber: pr, marker: stickyMarker('ci'), body: 'a' })
    await upsertStickyComment(client, {
      issueNumber: pr,
      marker: stickyMarker('ci-nightly'),
      body: 'b'
    })
    await upsertStickyComment(client, { issueNumber: pr, marker: stickyMarker('ci'), body: 'c' })
    expect(server.state.commentsOn(pr).map((c) => c.body)).toEqual([
      `${stickyMarker('ci')}\nc`,
      `${stickyMarker('ci-nightly')}\nb`
    ])
  })

  it('cuts a body over the limit so GitHub accepts it, and says so', async () => {
    const pr = pullRequest()
    const result = await upsertStickyComment(clientFor(server), {
      issueNumber: pr,
      marker,
      body: 'row\n'.repeat(20_000)
    })
    expect(result).toMatchObject({ truncated: true })
    const body = server.state.commentsOn(pr)[0]?.body ?? ''
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT)
    expect(body.startsWith(marker)).toBe(true)
    expect(body).toContain("cut this comment to fit GitHub's 65,536-character limit")
  })
})

describe('fitCommentBody', () => {
  it('leaves a body within the limit untouched', () => {
    expect(fitCommentBody('short', 10)).toEqual({ body: 'short', truncated: false })
  })

  it('closes a code fence the cut left open', () => {
    const body = 'intro\n```\n' + 'model output line\n'.repeat(20_000) + '```\n'
    const fitted = fitCommentBody(body)
    expect(fitted.body.length).toBeLessThanOrEqual(COMMENT_LIMIT)
    expect(fitted.body.match(/^```/gm)).toHaveLength(2)
  })

  it('closes a longer fence, and the <details> it sits in, so the note shows outside both', () => {
    // An LLM answer in a report: its own ``` fences sit inside the report's longer fence.
    const answer = 'Here is the fix:\n```python\nprint(1)\n```\n'.repeat(3000)
    const body = `## report\n\n<details><summary>Flipped cases</summary>\n\n\`\`\`\`text\n${answer}\`\`\`\`\n\n</details>\n`
    const fitted = fitCommentBody(body)
    expect(fitted.truncated).toBe(true)
    expect(fitted.body.length).toBeLessThanOrEqual(COMMENT_LIMIT)
    const html = renderGfm(fitted.body)
    expect(html).toMatch(/<blockquote>\s*<p>\[!NOTE\]\s*evalgate cut this comment/)
    expect(html.match(/<details>/g)).toHaveLength(1)
    expect(html.match(/<\/details>/g)).toHaveLength(1)
    expect(html.indexOf('</details>')).toBeLessThan(html.indexOf('evalgate cut this comment'))
  })

  it('never splits a surrogate pair', () => {
    // Either parity of the cut lands between or inside a pair.
    for (const prefix of ['', 'a']) {
      const fitted = fitCommentBody(prefix + '😀'.repeat(40_000))
      expect(fitted.body.length).toBeLessThanOrEqual(COMMENT_LIMIT)
      expect(fitted.body).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/)
    }
  })
})

describe('stickyMarker', () => {
  it('keeps the marker one hidden HTML comment whatever the workflow is called', () => {
    expect(stickyMarker('CI')).toBe('<!-- evalgate:CI -->')
    expect(stickyMarker('evil --> <b>x</b>\nname')).toBe('<!-- evalgate:evil - <bx</b name -->')
  })
})
