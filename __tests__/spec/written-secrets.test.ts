import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { writtenSecrets } from '../../src/spec/index.js'
import { removeWorkspaces, workspace, yaml } from './helpers.js'

afterAll(removeWorkspaces)

/** The names of the secrets writtenSecrets finds in `files`, with every variable set. */
async function secretNames(
  files: Record<string, string | Buffer>,
  env: Record<string, string>,
  paths: string[] = []
): Promise<string[]> {
  const cwd = await workspace(files)
  const secrets = await writtenSecrets(paths, { cwd, env })
  return [...new Set(secrets.map(({ name }) => name))].sort()
}

describe('writtenSecrets: the secrets of specs that could not be loaded', () => {
  const env = {
    API_KEY: 'sk-live-0123456789',
    JUDGE_KEY: 'judge-key-0123456789',
    OPENAI_API_KEY: 'sk-default-0123456789',
    MODEL: 'gpt-4o-mini',
    PROMPT_WORD: 'something-long-enough',
    ESCAPED: 'escaped-0123456789',
    SHORT: 'eu-1',
    EMPTY: ''
  }

  it('are the variables of the providers and judges, as loading takes them', async () => {
    const spec = yaml(
      'suite: s',
      'providers:',
      '  - id: web',
      '    type: http',
      '    url: https://example.com/v1',
      '    headers: { Authorization: "Bearer ${API_KEY}", X-Literal: "$${ESCAPED}" }',
      '    model: "${MODEL}"',
      '    output: text',
      '  - id: short',
      '    type: exec',
      '    command: [node, app.js]',
      '    env: { REGION: "${SHORT}", NONE: "${EMPTY}" }',
      'prompt: "${PROMPT_WORD} {{q}}"',
      'cases:',
      '  - vars: { q: hi }',
      'scorers:',
      '  - type: llm-judge',
      '    rubric: fine',
      '    judge: { type: openai, model: gpt-4o, base-url: "https://judge.example/v1", api-key: "${JUDGE_KEY}" }',
      // Not valid for the schema: still scanned, as loading expands it all the same.
      '    threshold: lots'
    )
    expect(await secretNames({ 'evals/s.eval.yaml': spec }, env)).toEqual(['API_KEY', 'JUDGE_KEY'])
  })

  it('take the OpenAI key from OPENAI_API_KEY for an openai provider that names no key or base-url', async () => {
    const spec = yaml('suite: s', 'providers:', '  - { id: m, type: openai, model: gpt-4o-mini }')
    const secrets = await writtenSecrets([], {
      cwd: await workspace({ 'evals/s.eval.yaml': spec }),
      env
    })
    expect(secrets).toContainEqual({ name: 'OPENAI_API_KEY', value: env.OPENAI_API_KEY })
    // In every form a loaded spec's secret is redacted in.
    expect(secrets).toContainEqual({
      name: 'OPENAI_API_KEY',
      value: env.OPENAI_API_KEY.toUpperCase()
    })
  })

  it('are found in every file another file’s problem does not stop: not YAML, not text, missing', async () => {
    const files = {
      'evals/a.eval.yaml': 'suite: [broken\napi-key: "${JUDGE_KEY}"\n',
      'evals/b.eval.yaml': yaml(
        'suite: b',
        'providers:',
        '  - { id: m, type: module, path: "./${API_KEY}.js" }'
      ),
      'evals/c.eval.yaml': Buffer.from([0xff, 0xfe, 0x00])
    }
    expect(await secretNames(files, env, ['evals', 'missing'])).toEqual(['API_KEY'])
  })

  it('are not read again from a pipe named as a spec, which loading read already', async () => {
    const cwd = await workspace({ 'evals/s.eval.yaml': yaml('suite: s') })
    // No one writes to it: a read would wait for ever.
    execFileSync('mkfifo', [join(cwd, 'spec.fifo')])
    expect(await secretNames({}, env, [join(cwd, 'spec.fifo'), join(cwd, 'evals')])).toEqual([])
  })
})
