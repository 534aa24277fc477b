import { syncTrackingIssue } from '../../src/github/tracking-issue.js'
import type { TrackingIssueOptions } from '../../src/github/tracking-issue.js'
import { ACTIONS_TOKEN } from '../helpers/github-server.js'
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
    expect(again.action).toBe('opened')
    expect(server.state.issues.size).toBe(1)
    const [issue] = [...server.state.issues.values()]
    expect(issue?.state).toBe('open')
    expect(server.state.commentsOn(issue?.number ?? 0).at(-1)?.body).toContain('broke again')
  })

  it('needs both the marker and the label to recognise its issue', async () => {
    server.state.addIssue({ title: 'labelled by hand', body: 'no marker', labels: ['evalgate'] })
    server.state.addIssue({ title: 'marker without label', body: `${marker}\ncopied` })
    const result = await syncTrackingIssue(clientFor(server), night('2026-11-01', 'failing', 'x'))
    expect(result.action).toBe('opened')
    expect(server.state.issues.size).toBe(3)
  })

  it('creates the label when missing and reuses it afterwards', async () => {
    const client = clientFor(server)
    await syncTrackingIssue(client, night('2026-11-01', 'failing', 'a'))
    await syncTrackingIssue(client, night('2026-11-02', 'failing', 'b'))
    expect(countOf(server, 'issues/create-label')).toBe(1)
    expect(server.state.labels.get('evalgate')).toEqual(
      expect.objectContaining({ color: 'd93f0b', description: expect.stringContaining('evalgate') })
    )
  })

  it('lists issues by label, so the filter applies on GitHub', async () => {
    await syncTrackingIssue(clientFor(server), night('2026-11-01', 'failing', 'a'))
    const lists = server.requests.filter((r) => r.operationId === 'issues/list-for-repo')
    expect(lists.length).toBeGreaterThan(0)
    for (const list of lists) {
      expect(new URL(list.path, server.url).searchParams.get('labels')).toBe('evalgate')
    }
  })
})
