import { existsSync } from 'node:fs'
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ACTIONS_TOKEN, READ_ONLY_TOKEN } from '../helpers/github-server.js'
import type { GitHubServer } from '../helpers/github-server.js'
import {
  listedPullRequest,
  pullRequestPayload,
  repositoryWithBaseline,
  workflowRunPayload
} from '../helpers/events.js'
import type { eventRunner } from '../helpers/events.js'
import { makeFifo, unlessStuckOn } from '../helpers/fifo.js'

const RUNTIME_TOKEN = 'runtime-evalgateRuntimeToken0000000000'
const ID_TOKEN_REQUEST_TOKEN = 'idreq-evalgateIdTokenRequest000000000'

let server: GitHubServer
let workspace: string
let mainSha: string
let runEvent: ReturnType<typeof eventRunner>

/** A fork's pull request run of a new branch (read-only token, no comment), and its artifact. */
async function forkRun(branch: string) {
  const headSha = server.state.commit({ branch, parents: [mainSha], files: { [branch]: '1\n' } })
  const { number } = server.state.addPullRequest({ headBranch: branch })
  const run = await runEvent(
    'pull_request',
    pullRequestPayload({ number, headSha, headBranch: branch, baseSha: mainSha }, 'someone/fork'),
    {
      GITHUB_SHA: '9'.repeat(40),
      GITHUB_REF: `refs/pull/${number}/merge`,
      ACTIONS_RUNTIME_TOKEN: RUNTIME_TOKEN,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: ID_TOKEN_REQUEST_TOKEN
    },
    READ_ONLY_TOKEN
  )
  // As download-artifact leaves it: the results and what the run wrote beside them.
  const artifact = join(await mkdtemp(join(tmpdir(), 'evalgate-artifact-')), 'results.json')
  await copyFile(run.resultsPath, artifact)
  await copyFile(
    run.resultsPath.replace(/\.json$/, '.comparison.json'),
    artifact.replace(/\.json$/, '.comparison.json')
  )
  return { run, artifact, number, headSha, branch }
}

/** The trusted `workflow_run` job on main, commenting from the fork run's artifact. */
function reportFrom(fork: { artifact: string; number: number; headSha: string; branch: string }) {
  const payload = workflowRunPayload({
    id: 901,
    headSha: fork.headSha,
    headBranch: fork.branch,
    pullRequests: [listedPullRequest(fork.number, fork.headSha)]
  })
  return runEvent(
    'workflow_run',
    payload,
    { GITHUB_SHA: mainSha, GITHUB_REF: 'refs/heads/main', GITHUB_RUN_ID: '2002' },
    ACTIONS_TOKEN,
    { 'report-from': fork.artifact }
  )
}

beforeAll(async () => {
  ;({ server, workspace, runEvent, mainSha } = await repositoryWithBaseline())
})
afterAll(() => server.close())
afterEach(() => expect(server.violations).toEqual([]))

describe('the runner’s tokens, read by the code under test', () => {
  it('are redacted from the results, the job summary and the comment', async () => {
    // The pull request's code: it reads the action's token from the process's original
    // environment, where it stays after evalgate removes it from process.env, and answers with
    // it; or it knows the tokens some other way.
    await writeFile(
      join(workspace, 'evals/app.js'),
      `import { readFileSync } from 'node:fs'
function fromEnviron(name) {
  const entry = readFileSync('/proc/self/environ', 'utf8').split('\\0').find((e) => e.startsWith(name + '='))
  return entry?.slice(name.length + 1)
}
export function answer({ vars, caseId }) {
  const index = Number(caseId.split('-')[1])
  if (index % 4 === 0) return 'read ' + fromEnviron('INPUT_GITHUB-TOKEN')
  if (index % 4 === 1) return 'leaked ' + ${JSON.stringify(READ_ONLY_TOKEN)}
  if (index % 4 === 2) return 'leaked ' + ${JSON.stringify(`${RUNTIME_TOKEN} ${ID_TOKEN_REQUEST_TOKEN}`)}
  return vars.capital
}
`
    )
    const fork = await forkRun('leaky')
    const report = await reportFrom(fork)
    expect(report.code).toBe(0)
    const [comment] = server.state.commentsOn(fork.number)
    const results = await readFile(fork.run.resultsPath, 'utf8')
    // The answers were recorded, the tokens written back as the variables they came from.
    expect(results).toContain('leaked ${INPUT_GITHUB-TOKEN}')
    expect(results).toContain('leaked ${ACTIONS_RUNTIME_TOKEN} ${ACTIONS_ID_TOKEN_REQUEST_TOKEN}')
    expect(comment?.body).toContain('leaked ${INPUT_GITHUB-TOKEN}')
    if (existsSync('/proc/self/environ')) expect(results).toContain('read ${INPUT_GITHUB-TOKEN}')
    const written = [
      results,
      await readFile(fork.artifact.replace(/\.json$/, '.comparison.json'), 'utf8'),
      fork.run.summary,
      JSON.stringify(fork.run.outputs),
      report.summary,
      JSON.stringify(report.outputs),
      comment?.body ?? ''
    ].join('\n')
    for (const token of [READ_ONLY_TOKEN, RUNTIME_TOKEN, ID_TOKEN_REQUEST_TOKEN]) {
      expect(written).not.toContain(token)
    }
  })
})

describe('the runner’s tokens, in the error of a module that fails to import', () => {
  it('are redacted from the invalid-specs comment, job summary, record and failure', async () => {
    const module = join(workspace, 'evals/app.js')
    const written = await readFile(module, 'utf8')
    // The pull request's code, failing at import with the token it read, and in a form the
    // runner's log masking, which knows the token as given, would miss.
    await writeFile(
      module,
      `import { readFileSync } from 'node:fs'
const entry = readFileSync('/proc/self/environ', 'utf8').split('\\0').find((e) => e.startsWith('INPUT_GITHUB-TOKEN='))
throw new Error('read ' + entry + ' knew ' + ${JSON.stringify(ACTIONS_TOKEN.toUpperCase())})
`
    )
    try {
      const headSha = server.state.commit({
        branch: 'throws',
        parents: [mainSha],
        files: { t: '1\n' }
      })
      const { number } = server.state.addPullRequest({ headBranch: 'throws' })
      const run = await runEvent(
        'pull_request',
        pullRequestPayload({ number, headSha, headBranch: 'throws', baseSha: mainSha }),
        { GITHUB_SHA: '8'.repeat(40), GITHUB_REF: `refs/pull/${number}/merge` },
        ACTIONS_TOKEN
      )
      expect(run.code).toBe(1)
      expect(run.outputs.verdict).toBe('invalid-specs')
      const [comment] = server.state.commentsOn(number)
      expect(comment?.body).toContain('### evalgate: invalid specs')
      expect(comment?.body).toContain('knew ${INPUT_GITHUB-TOKEN}')
      if (existsSync('/proc/self/environ')) {
        expect(comment?.body).toContain('read INPUT_GITHUB-TOKEN=${INPUT_GITHUB-TOKEN}')
      }
      const record = await readFile(
        run.resultsPath.replace(/\.json$/, '.invalid-specs.json'),
        'utf8'
      )
      // The log's own masking commands name the token: that is how the runner learns it.
      const log = run.stdout
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n')
      expect(log).toMatch(
        /^::error::evalgate: 1 problem in eval specs:.*knew \$\{INPUT_GITHUB-TOKEN\}/m
      )
      for (const text of [comment?.body ?? '', run.summary, record, log]) {
        expect(text).not.toContain(ACTIONS_TOKEN)
        expect(text).not.toContain(ACTIONS_TOKEN.toUpperCase())
      }
    } finally {
      await writeFile(module, written)
    }
  })
})

describe('a spec’s own secrets, in the error of a module that fails to import', () => {
  it('are redacted from the invalid-specs comment, job summary, record and failure', async () => {
    const specKey = 'evalgate-spec-key-0000000000'
    const openaiKey = 'sk-evalgate/default+key0000'
    const files = {
      // A spec whose providers read their keys; the javascript scorer's module quotes them as it
      // fails to import, one URL-encoded. The model and a short value are no secrets: kept.
      'evals/keyed.eval.yaml': [
        'suite: keyed',
        'providers:',
        '  - id: api',
        '    type: openai',
        "    model: '${EVALGATE_SPEC_MODEL}'",
        '    base-url: http://127.0.0.1:9/v1',
        "    api-key: '${EVALGATE_SPEC_KEY}'",
        "    params: { user: '${EVALGATE_SPEC_REGION}' }",
        '  - id: default-key',
        '    type: openai',
        '    model: gpt-4o-mini',
        "prompt: 'Say {{word}}'",
        'cases:',
        '  - vars: { word: hi }',
        'scorers:',
        '  - type: javascript',
        '    path: ./keyed-scorer.js',
        ''
      ].join('\n'),
      'evals/keyed-scorer.js': `throw new Error('refused ' + process.env.EVALGATE_SPEC_KEY + ' and ' + encodeURIComponent(process.env.OPENAI_API_KEY) + ' for ' + process.env.EVALGATE_SPEC_MODEL + ' in ' + process.env.EVALGATE_SPEC_REGION)\n`,
      // A later spec file that is not even YAML: the others' secrets are redacted all the same.
      'evals/zz-broken.eval.yaml': "suite: [broken\napi-key: '${EVALGATE_SPEC_KEY}'\n"
    }
    for (const [path, text] of Object.entries(files)) await writeFile(join(workspace, path), text)
    try {
      const headSha = server.state.commit({
        branch: 'keyed',
        parents: [mainSha],
        files: { k: '1\n' }
      })
      const { number } = server.state.addPullRequest({ headBranch: 'keyed' })
      const run = await runEvent(
        'pull_request',
        pullRequestPayload({ number, headSha, headBranch: 'keyed', baseSha: mainSha }),
        {
          GITHUB_SHA: '7'.repeat(40),
          GITHUB_REF: `refs/pull/${number}/merge`,
          EVALGATE_SPEC_KEY: specKey,
          OPENAI_API_KEY: openaiKey,
          EVALGATE_SPEC_MODEL: 'gpt-4o-mini',
          EVALGATE_SPEC_REGION: 'eu-1'
        },
        ACTIONS_TOKEN
      )
      expect(run.code).toBe(1)
      expect(run.outputs.verdict).toBe('invalid-specs')
      const [comment] = server.state.commentsOn(number)
      const record = await readFile(
        run.resultsPath.replace(/\.json$/, '.invalid-specs.json'),
        'utf8'
      )
      const quoted = 'refused ${EVALGATE_SPEC_KEY} and ${OPENAI_API_KEY} for gpt-4o-mini in eu-1'
      expect(comment?.body).toContain('### evalgate: invalid specs')
      expect(comment?.body).toContain(quoted)
      expect(comment?.body).toContain('evals/zz-broken.eval.yaml:2:1: invalid YAML')
      expect(run.summary).toContain(quoted)
      expect(run.stdout).toMatch(
        /^::error::evalgate: 2 problems in eval specs:.*refused \$\{EVALGATE_SPEC_KEY\}/m
      )
      for (const text of [comment?.body ?? '', run.summary, record, run.stdout, run.stderr]) {
        expect(text).not.toContain(specKey)
        expect(text).not.toContain(encodeURIComponent(openaiKey))
      }
    } finally {
      await Promise.all(Object.keys(files).map((path) => rm(join(workspace, path))))
    }
  })
})

describe('report-from: the baseline error recorded beside the results', () => {
  /** A fork's artifact without its comparison, as a run that could not read the baseline leaves it. */
  async function withoutComparison(branch: string) {
    const fork = await forkRun(branch)
    await rm(fork.artifact.replace(/\.json$/, '.comparison.json'))
    return {
      ...fork,
      baselineError: fork.artifact.replace(/\.json$/, '.baseline-unavailable.json')
    }
  }

  it('is not read when larger than any error a run records: the report goes out without it', async () => {
    const fork = await withoutComparison('padded')
    await writeFile(fork.baselineError, JSON.stringify({ error: 'x'.repeat(64 * 1024) }))
    const report = await reportFrom(fork)
    expect(report.code).toBe(0)
    expect(report.stdout).toContain(
      `::warning::evalgate: cannot read ${fork.baselineError}: larger than 65536 bytes; reporting without it`
    )
    expect(report.outputs.verdict).toBe('no-baseline')
    expect(server.state.commentsOn(fork.number)[0]?.body).toContain(
      'The pull request’s run found no baseline.'
    )
  })

  it('is not read from a pipe, which would hang the job: the report goes out without it', async () => {
    const fork = await withoutComparison('piped')
    await makeFifo(fork.baselineError)
    const report = await unlessStuckOn(fork.baselineError, reportFrom(fork))
    expect(report.code).toBe(0)
    expect(report.stdout).toContain(
      `::warning::evalgate: cannot read ${fork.baselineError}: not a regular file; reporting without it`
    )
    expect(report.outputs.verdict).toBe('no-baseline')
    expect(server.state.commentsOn(fork.number)).toHaveLength(1)
  })
  it('is said to be refused when not a record, as the other files beside the results are', async () => {
    const fork = await withoutComparison('not-an-error')
    await writeFile(fork.baselineError, JSON.stringify({ error: { message: 'forged' } }))
    const report = await reportFrom(fork)
    expect(report.code).toBe(0)
    expect(report.stdout).toContain(
      `::warning::evalgate: ${fork.baselineError} is not a record of the error that kept the baseline from being read (\`error\` is not a string); reporting without it`
    )
    expect(report.outputs.verdict).toBe('no-baseline')
  })
})

describe('report-from: the comparison beside the results', () => {
  it('is not read from a pipe, and said refused as the other files beside the results are', async () => {
    const fork = await forkRun('piped-comparison')
    const comparison = fork.artifact.replace(/\.json$/, '.comparison.json')
    await rm(comparison)
    await makeFifo(comparison)
    const report = await unlessStuckOn(comparison, reportFrom(fork))
    expect(report.code).toBe(0)
    expect(report.stdout).toContain(
      `::warning::evalgate: cannot read ${comparison}: not a regular file; reporting without it`
    )
    expect(report.outputs.verdict).toBe('comparison-unreadable')
    expect(server.state.commentsOn(fork.number)[0]?.body).toContain(
      'The pull request’s run wrote a comparison this job does not accept (not a regular file)'
    )
  })
})
