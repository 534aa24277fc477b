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

describe('a replay with the variable of an openai model unset', () => {
  it('says, before the run, that the unset model is why every answer misses', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-replay-model-'))
    await writeFile(
      join(dir, 'model.eval.yaml'),
      [
        'suite: model',
        'providers:',
        '  - { id: chosen, type: openai, model: "${EVAL_MODEL}", base-url: "http://127.0.0.1:9" }',
        "prompt: 'Say {{word}}'",
        'cases:',
        '  - { id: a, vars: { word: alpha } }',
        'scorers:',
        '  - { type: equals, expected: alpha }',
        ''
      ].join('\n')
    )
    const warnings: string[] = []
    const { run } = await runEvals({
      paths: [dir],
      cwd: dir,
      env: {},
      out: join(dir, 'results.json'),
      concurrency: 1,
      progress: silentProgress,
      cache: { mode: 'replay', dir: join(dir, 'cache') },
      warn: (message) => warnings.push(message)
    })
    expect(run.suites[0]?.results[0]?.error?.kind).toBe('cache-miss')
    expect(warnings).toContain(
      'suite model, provider chosen: its model is ${EVAL_MODEL}, and EVAL_MODEL is not set: the cache finds an answer by the model named, so the answers recorded with it set all miss; set EVAL_MODEL as the recording run did'
    )
  })
})
