import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runEvals, silentProgress } from '../../src/run/index.js'

describe('runEvals with cache.replayUnset (a fork’s pull request, without secrets)', () => {
  it('replays only the provider and judge whose variables are not set; the module runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-replay-unset-'))
    await writeFile(join(dir, 'app.mjs'), 'export const echo = ({ vars }) => vars.word\n')
    await writeFile(
      join(dir, 'echo.eval.yaml'),
      [
        'suite: echo',
        'providers:',
        '  - { id: app, label: "app ${APP_FLAVOUR}", type: module, path: ./app.mjs, export: echo }',
        '  - { id: api, type: http, url: "${ECHO_URL}", body: { q: "{{word}}" }, output: answer }',
        "prompt: 'Say {{word}}'",
        'cases:',
        '  - { id: a, vars: { word: alpha } }',
        'scorers:',
        '  - { type: equals, expected: alpha }',
        '  - { type: llm-judge, name: tone, rubric: Polite., judge: { type: openai, model: gpt-4o-mini } }',
        ''
      ].join('\n')
    )
    const warnings: string[] = []
    const { run, replayed } = await runEvals({
      paths: [dir],
      cwd: dir,
      env: { OPENAI_API_KEY: '', ECHO_URL: '' },
      out: join(dir, 'results.json'),
      concurrency: 2,
      progress: silentProgress,
      cache: { mode: 'off', dir: join(dir, 'cache'), replayUnset: true },
      warn: (message) => warnings.push(message)
    })
    expect(replayed).toEqual([
      { suite: 'echo', what: 'provider api', unsetVariables: ['ECHO_URL'] },
      { suite: 'echo', what: 'the judge of tone', unsetVariables: ['OPENAI_API_KEY'] }
    ])
    // Recorded, for the job that comments from the results to say so too.
    expect(run.run.replayed).toEqual(replayed)
    const results = run.suites[0]?.results ?? []
    const app = results.find((r) => r.providerId === 'app')
    const api = results.find((r) => r.providerId === 'api')
    // The module was called (its answer is no cache's), though a variable of its label is not
    // set; only the judge's grade was missing.
    expect(app).toMatchObject({ output: 'alpha', cached: false, error: { kind: 'cache-miss' } })
    expect(app?.error?.message).toContain('judge')
    expect(api).toMatchObject({ output: null, error: { kind: 'cache-miss' } })
    // No cache was restored: said once, before the run, naming the directory.
    expect(warnings).toEqual([
      `the cache directory ${join(dir, 'cache')} does not exist: every answer this run reads from the cache misses; record the answers first with cache mode write on a trusted run and restore that directory (or point cache-dir at it) before this run`
    ])
  })
})
