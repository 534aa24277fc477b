import { syncTrackingIssue } from '../../src/github/tracking-issue.js'
import type { TrackingIssueOptions } from '../../src/github/tracking-issue.js'
import { ACTIONS_TOKEN, OTHER_USER_LOGIN, USER_LOGIN } from '../helpers/github-server.js'
import type { GitHubServer } from '../helpers/github-server.js'
import { clientFor, countOf, useGitHubServer } from './setup.js'

let server: GitHubServer

useGitHubServer((started) => (server = started))

const marker = '<!-- evalgate-tracking:nightly -->'
const base = { marker, label: 'evalgate', title: 'evalgate: nightly model checks are failing' }

function night(
  date: string,
  state: TrackingIssueOptions['state'],
  body: string
): TrackingIssueOptions {
  return { ...base, state, body, now: () => new Date(`${date}T03:00:00Z`) }
}

describe('syncTrackingIssue', () => {
  it('opens one issue, updates it night after night, and closes it on recovery', async () => {
    const client = clientFor(server, ACTIONS_TOKEN)

    const opened = await syncTrackingIssue(client, night('2026-11-01', 'failing', 'drift in gpt'))
    expect(opened.action).toBe('opened')
    const [issue] = [...server.state.issues.values()]
    expect(issue?.labels).toEqual(['evalgate'])
    expect(issue?.body).toContain(marker)
    expect(issue?.body).toContain('drift in gpt')
    expect(opened.url).toBe(
      `https://github.com/${server.owner}/${server.repo}/issues/${issue?.number}`
    )

    const updated = await syncTrackingIssue(
      client,
      night('2026-11-02', 'failing', 'still drifting')
    )
    expect(updated).toEqual({ action: 'updated', url: opened.url })
    expect(server.state.issues.size).toBe(1)
    expect(issue?.body).toContain('still drifting')
    expect(server.state.commentsOn(issue?.number ?? 0).map((c) => c.body)).toEqual([
      expect.stringContaining('still drifting')
    ])

    const closed = await syncTrackingIssue(
      client,
      night('2026-11-03', 'healthy', 'all checks pass')
    )
    expect(closed).toEqual({ action: 'closed', url: opened.url })
    expect(issue?.state).toBe('closed')
    expect(issue?.stateReason).toBe('completed')
    expect(server.state.commentsOn(issue?.number ?? 0).map((c) => c.body)).toEqual([
      expect.stringContaining('still drifting'),
      'all checks pass'
    ])
  })

  it('adds no second comment for a rerun the same night', async () => {
    const client = clientFor(server)
    await syncTrackingIssue(client, night('2026-11-01', 'failing', 'first'))
    await syncTrackingIssue(client, night('2026-11-02', 'failing', 'second'))
    await syncTrackingIssue(client, night('2026-11-02', 'failing', 'second, rerun'))
    const [issue] = [...server.state.issues.values()]
    expect(issue?.body).toContain('second, rerun')
    expect(server.state.commentsOn(issue?.number ?? 0)).toHaveLength(1)
  })

  it('does nothing when healthy and no issue is open', async () => {
    const result = await syncTrackingIssue(clientFor(server), night('2026-11-01', 'healthy', 'ok'))
    expect(result).toEqual({ action: 'none' })
    expect(server.state.issues.size).toBe(0)
    expect(server.requests.every((r) => r.method === 'GET')).toBe(true)
  })

  it('reopens the closed issue when the checks fail again', async () => {
    const client = clientFor(server)
    await syncTrackingIssue(client, night('2026-11-01', 'failing', 'broke'))
    await syncTrackingIssue(client, night('2026-11-02', 'healthy', 'fixed'))
    const again = await syncTrackingIssue(client, night('2026-11-09', 'failing', 'broke again'))
    expect(again.action).toBe('reopened')
    expect(server.state.issues.size).toBe(1)
    const [issue] = [...server.state.issues.values()]
    expect(issue?.state).toBe('open')
    expect(server.state.commentsOn(issue?.number ?? 0).at(-1)?.body).toContain('broke again')
  })

  it('needs the marker, and the label or the token as the author, to recognise its issue', async () => {
    server.state.addIssue({ title: 'labelled by hand', body: 'no marker', labels: ['evalgate'] })
    server.state.addIssue({
      title: 'marker copied by someone else',
      body: `${marker}\ncopied`,
      author: OTHER_USER_LOGIN
    })
    const result = await syncTrackingIssue(clientFor(server), night('2026-11-01', 'failing', 'x'))
    expect(result.action).toBe('opened')
    expect(server.state.issues.size).toBe(3)
  })

  it('finds its issue after someone deleted the label, labels it again and closes it on recovery', async () => {
    const client = clientFor(server)
    const opened = await syncTrackingIssue(client, night('2026-11-01', 'failing', 'broke'))
    // Deleting a label takes it off every issue.
    server.state.labels.clear()
    for (const issue of server.state.issues.values()) issue.labels = []
    const seen = server.requests.length

    const updated = await syncTrackingIssue(client, night('2026-11-02', 'failing', 'still'))
    expect(updated).toEqual({ action: 'updated', url: opened.url })
    expect(server.state.issues.size).toBe(1)
    const [issue] = [...server.state.issues.values()]
    expect(issue?.labels).toEqual(['evalgate'])
    expect(server.state.labels.get('evalgate')?.color).toBe('d93f0b')
    const byCreator = server.requests
      .slice(seen)
      .filter((r) => new URL(r.path, server.url).searchParams.get('creator') === USER_LOGIN)
    expect(byCreator.map((r) => new URL(r.path, server.url).searchParams.get('state'))).toEqual([
      'open'
    ])

    server.state.labels.clear()
    issue!.labels = []
    const closed = await syncTrackingIssue(client, night('2026-11-03', 'healthy', 'fixed'))
    expect(closed).toEqual({ action: 'closed', url: opened.url })
    expect(issue?.state).toBe('closed')

    server.state.labels.clear()
    issue!.labels = []
    const reopened = await syncTrackingIssue(client, night('2026-11-04', 'failing', 'again'))
    expect(reopened).toEqual({ action: 'reopened', url: opened.url })
    expect(server.state.issues.size).toBe(1)
    expect(issue?.labels).toEqual(['evalgate'])
  })

  it('closes an issue whose last night only drifted with the comment for it', async () => {
    const client = clientFor(server)
    await syncTrackingIssue(client, night('2026-11-01', 'failing', 'regressed'))
    await syncTrackingIssue(client, night('2026-11-02', 'drifted', 'model changed'))
    const [issue] = [...server.state.issues.values()]
    await syncTrackingIssue(client, {
      ...night('2026-11-03', 'healthy', 'recovered'),
      afterDrift: 'the new model is the baseline'
    })
    expect(issue?.state).toBe('closed')
    expect(server.state.commentsOn(issue?.number ?? 0).at(-1)?.body).toBe(
      'the new model is the baseline'
    )

    // A failing night after a drift: the recovery is a recovery again.
    await syncTrackingIssue(client, night('2026-11-04', 'drifted', 'model changed'))
    await syncTrackingIssue(client, night('2026-11-05', 'failing', 'regressed'))
    await syncTrackingIssue(client, {
      ...night('2026-11-06', 'healthy', 'recovered'),
      afterDrift: 'the new model is the baseline'
    })
    expect(server.state.commentsOn(issue?.number ?? 0).at(-1)?.body).toBe('recovered')
  })

  it('keeps an inconclusive night’s issue open with the baseline and drift it records', async () => {
    const client = clientFor(server)
    const none = await syncTrackingIssue(client, night('2026-11-01', 'inconclusive', 'unsure'))
    expect(none).toEqual({ action: 'none' })
    expect(server.state.issues.size).toBe(0)

    await syncTrackingIssue(client, {
      ...night('2026-11-02', 'drifted', 'model changed'),
      baseline: 'aaaaaaa'
    })
    const [issue] = [...server.state.issues.values()]
    const updated = await syncTrackingIssue(client, {
      ...night('2026-11-03', 'inconclusive', 'unsure'),
      baseline: 'bbbbbbb'
    })
    expect(updated.action).toBe('updated')
    expect(issue?.state).toBe('open')
    expect(issue?.body).toBe(
      `${marker}\n<!-- evalgate-run:2026-11-03 -->\n<!-- evalgate-baseline:aaaaaaa -->\n<!-- evalgate-drifted -->\nunsure`
    )
    await syncTrackingIssue(client, {
      ...night('2026-11-04', 'healthy', 'recovered'),
      baseline: 'aaaaaaa',
      afterDrift: 'the new model is the baseline'
    })
    expect(issue?.state).toBe('closed')
    expect(server.state.commentsOn(issue?.number ?? 0).at(-1)?.body).toBe(
      'the new model is the baseline'
    )
  })

  it('creates the label when missing, only for an issue it opens', async () => {
    const client = clientFor(server)
    await syncTrackingIssue(client, night('2026-11-01', 'failing', 'a'))
    const labelCalls = () =>
      countOf(server, 'issues/get-label') + countOf(server, 'issues/create-label')
    expect(labelCalls()).toBe(2)
    await syncTrackingIssue(client, night('2026-11-02', 'failing', 'b'))
    await syncTrackingIssue(client, night('2026-11-03', 'healthy', 'c'))
    expect(labelCalls()).toBe(2)
    expect(countOf(server, 'issues/create-label')).toBe(1)
    expect(server.state.labels.get('evalgate')).toEqual(
      expect.objectContaining({ color: 'd93f0b', description: expect.stringContaining('evalgate') })
    )
  })

  it('lists issues by label, or by the token as their author, so the filter applies on GitHub', async () => {
    await syncTrackingIssue(clientFor(server), night('2026-11-01', 'failing', 'a'))
    const lists = server.requests
      .filter((r) => r.operationId === 'issues/list-for-repo')
      .map((r) => Object.fromEntries(new URL(r.path, server.url).searchParams))
    expect(lists).toEqual([
      expect.objectContaining({ labels: 'evalgate', state: 'open' }),
      expect.objectContaining({ creator: USER_LOGIN, state: 'open' }),
      expect.objectContaining({ labels: 'evalgate', state: 'closed' }),
      expect.objectContaining({ creator: USER_LOGIN, state: 'closed' })
    ])
  })
})
