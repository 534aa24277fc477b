import { spawn } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ACTIONS_TOKEN, startGitHubServer } from '../helpers/github-server.js'
import type { GitHubServer } from '../helpers/github-server.js'
import { startOpenAIServer } from '../helpers/openai-server.js'
import type { Behaviour, OpenAIServer, ReceivedRequest } from '../helpers/openai-server.js'

/**
 * The action as users debug it: GitHub's own local runner (`npx local-action . src/main.ts .env`)
 * runs src/main.ts against a local GitHub REST server and a local OpenAI-compatible model server,
 * both validating every request against the official OpenAPI descriptions.
 */
const CAPITALS: Record<string, string> = {
  France: 'Paris',
  Germany: 'Berlin',
  Italy: 'Rome',
  Spain: 'Madrid'
}
const COUNTRIES = Array.from({ length: 40 }, (_, i) => Object.keys(CAPITALS)[i % 4] as string)

let github: GitHubServer
let model: OpenAIServer
let workspace: string
/** The model under test gets worse: every other answer is wrong. */
let worse = false

function respond(request: ReceivedRequest): Behaviour {
  const question =
    (request.body as { messages: { content: string }[] }).messages.at(-1)?.content ?? ''
  const index = Number(/#(\d+)/.exec(question)?.[1])
  const country = Object.keys(CAPITALS).find((c) => question.includes(c)) ?? ''
  return {
    type: 'answer',
    text: worse && index % 2 === 0 ? 'No idea' : (CAPITALS[country] ?? ''),
    usage: { promptTokens: 12, completionTokens: 2 }
  }
}

beforeAll(async () => {
  github = await startGitHubServer({ owner: 'octo-org', repo: 'triage', defaultBranch: 'main' })
  model = await startOpenAIServer({ respond })
  workspace = await mkdtemp(join(tmpdir(), 'evalgate-local-action-'))
  await writeFile(
    join(workspace, 'capitals.eval.yaml'),
    [
      'suite: capitals',
      'providers:',
      '  - { id: mini, type: openai, model: gpt-4o-mini, base-url: "' +
        model.baseUrl +
        '", api-key: "${MODEL_KEY}" }',
      "prompt: 'Question #{{n}}: capital of {{country}}?'",
      'cases:',
      '  - file: ./cases.jsonl',
      'scorers:',
      "  - { type: equals, expected: '{{capital}}' }",
      'min-pass-rate: 0.4',
      ''
    ].join('\n')
  )
  await writeFile(
    join(workspace, 'cases.jsonl'),
    COUNTRIES.map((country, n) =>
      JSON.stringify({ id: `q${n}`, n, country, capital: CAPITALS[country] })
    ).join('\n') + '\n'
  )
})
afterAll(async () => {
  await github.close()
  await model.close()
})
afterEach(() => {
  expect(github.violations).toEqual([])
  expect(model.violations).toEqual([])
})

async function localAction(
  event: string,
  payload: object,
  env: Record<string, string>
): Promise<string> {
  const envFile = join(workspace, `${event}.env`)
  const eventPath = join(workspace, `${event}.json`)
  await writeFile(eventPath, JSON.stringify(payload))
  const settings: Record<string, string> = {
    INPUT_SPECS: '.',
    'INPUT_RESULTS-PATH': join(workspace, `${event}-results.json`),
    'INPUT_GITHUB-TOKEN': ACTIONS_TOKEN,
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'octo-org/triage',
    GITHUB_API_URL: github.url,
    GITHUB_EVENT_NAME: event,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_WORKFLOW: 'evals',
    MODEL_KEY: 'sk-local-test',
    ...env
  }
  await writeFile(
    envFile,
    Object.entries(settings)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n'
  )
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [
        resolve('node_modules/@github/local-action/bin/local-action.js'),
        '.',
        'src/main.ts',
        envFile
      ],
      {
        cwd: resolve('.'),
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
        stdio: ['ignore', 'pipe', 'pipe']
      }
    )
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', fail)
    child.on('close', () => done(output))
  })
}

describe('@github/local-action running src/main.ts', () => {
  it('stores a baseline on push, then comments and fails a pull request whose model got worse', async () => {
    const main = github.state.linearHistory(2).at(-1) as string
    const push = await localAction(
      'push',
      {
        ref: 'refs/heads/main',
        after: main,
        repository: { full_name: 'octo-org/triage', default_branch: 'main' }
      },
      { GITHUB_SHA: main, GITHUB_REF: 'refs/heads/main' }
    )
    expect(push).toContain(`evalgate: stored the results as the baseline of ${main.slice(0, 7)}`)
    expect(github.state.readFile('evalgate-data', `results/${main}.json.gz`)).toBeDefined()

    worse = true
    const head = github.state.commit({
      branch: 'feature',
      parents: [main],
      files: { 'prompt.txt': 'shorter\n' }
    })
    const pr = github.state.addPullRequest({ headBranch: 'feature' })
    const repo = { full_name: 'octo-org/triage' }
    const output = await localAction(
      'pull_request',
      {
        number: pr.number,
        repository: { ...repo, default_branch: 'main' },
        pull_request: {
          number: pr.number,
          base: { ref: 'main', sha: main, repo },
          head: { ref: 'feature', sha: head, repo }
        }
      },
      { GITHUB_SHA: head, GITHUB_REF: `refs/pull/${pr.number}/merge` }
    )
    expect(output).toMatch(/::error::evalgate: Regression/)
    const [comment] = github.state.commentsOn(pr.number)
    expect(comment?.body).toContain('## evalgate: REGRESSION')
    expect(comment?.body).toContain('capitals')
    expect(output).not.toContain('sk-local-test')
    const results = JSON.parse(
      await readFile(join(workspace, 'pull_request-results.json'), 'utf8')
    ) as { suites: { results: { tokens: unknown }[] }[] }
    expect(results.suites[0]?.results[0]?.tokens).toEqual({
      input: 12,
      output: 2,
      cachedInput: 0,
      reasoning: 0
    })
  })
})
