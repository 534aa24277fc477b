import { UsageError } from '../../src/errors.js'
import { ignoredInputWarnings, parseSettings } from '../../src/github/settings.js'

const reader = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? ''

describe('parseSettings', () => {
  it('fills in the documented defaults', () => {
    expect(parseSettings(reader({ specs: 'evals, more/a.eval.yaml\nthird' }))).toEqual({
      specs: ['evals', 'more/a.eval.yaml', 'third'],
      resultsPath: '.evalgate/results.json',
      concurrency: 8,
      cache: { mode: 'off', dir: '.evalgate/cache' },
      githubToken: '',
      baseline: {
        store: 'branch',
        branch: 'evalgate-data',
        dir: '.evalgate/baselines',
        history: 200,
        maxDistance: 50
      },
      comment: 'on',
      trackingIssue: true,
      trackingLabel: 'evalgate',
      strict: false,
      failOnRegression: true,
      failOnThreshold: true
    })
  })

  it('reads every input into the typed settings', () => {
    const settings = parseSettings(
      reader({
        shard: '2/4',
        repeats: '3',
        filter: 'triage/*',
        cache: 'replay',
        strict: 'true',
        'fail-on-regression': 'False',
        comment: 'on-regression',
        'baseline-store': 'file',
        'baseline-max-distance': '0',
        'tracking-issue': 'false'
      })
    )
    expect(settings).toMatchObject({
      shard: { index: 2, total: 4 },
      repeats: 3,
      filter: 'triage/*',
      cache: { mode: 'replay' },
      strict: true,
      failOnRegression: false,
      comment: 'on-regression',
      baseline: { store: 'file', maxDistance: 0 },
      trackingIssue: false
    })
    // The modes that replace running the suites, one at a time.
    expect(parseSettings(reader({ 'report-from': 'artifact/results.json' })).reportFrom).toBe(
      'artifact/results.json'
    )
    expect(parseSettings(reader({ filter: 'triage/*\n  refunds/r-1,\n' })).filter).toBe(
      'triage/*,refunds/r-1'
    )
    expect(parseSettings(reader({ 'merge-from': 'a.json,\n shards/\n' })).mergeFrom).toEqual([
      'a.json',
      'shards/'
    ])
  })

  it.each([
    [{ concurrency: '0' }, 'input `concurrency` must be a positive integer, got "0"'],
    [{ concurrency: '1e3' }, 'input `concurrency` must be a positive integer, got "1e3"'],
    [{ repeats: '0x10' }, 'input `repeats` must be a positive integer, got "0x10"'],
    [{ repeats: '1000' }, 'input `repeats` must be at most 100, as in a spec; got 1000'],
    [
      { 'baseline-history': '2.5' },
      'input `baseline-history` must be a positive integer, got "2.5"'
    ],
    [
      { 'baseline-max-distance': '-1' },
      'input `baseline-max-distance` must be an integer of 0 or more, got "-1"'
    ],
    [{ shard: '5/4' }, 'input `shard` must be i/n with 1 ≤ i ≤ n ≤ 10000, e.g. 2/4; got "5/4"'],
    [
      { shard: '1/10001' },
      'input `shard` must be i/n with 1 ≤ i ≤ n ≤ 10000, e.g. 2/4; got "1/10001"'
    ],
    [
      { cache: 'sometimes' },
      'input `cache` must be one of off, read, write, read-write, replay, got "sometimes"'
    ],
    [{ strict: 'yes' }, 'input `strict` must be true or false, got "yes"'],
    [{ 'tracking-issue': 'off' }, 'input `tracking-issue` must be true or false, got "off"'],
    [{ comment: 'always' }, 'input `comment` must be one of on, off, on-regression, got "always"'],
    [
      { 'comment-key': '{\n  "model": "gpt"\n}' },
      'input `comment-key` must be one line of at most 100 characters, got several lines: use one value of the matrix, e.g. ${{ matrix.model }}'
    ],
    [
      { 'comment-key': 'k'.repeat(101) },
      'input `comment-key` must be one line of at most 100 characters, got 101 characters: use one value of the matrix, e.g. ${{ matrix.model }}'
    ],
    [
      { 'comment-key': '🚀'.repeat(101) },
      'input `comment-key` must be one line of at most 100 characters, got 101 characters: use one value of the matrix, e.g. ${{ matrix.model }}'
    ],
    [
      { 'merge-from': 'shards\n.evalgate/shard-?.json' },
      'input `merge-from` takes files and directories, not patterns (`*` and `?` are not expanded), got ".evalgate/shard-?.json": name the directory the shards\' artifacts were downloaded to, e.g. `shards`: the results files in it, or in each of its subdirectories, are merged'
    ],
    [{ 'baseline-store': 's3' }, 'input `baseline-store` must be one of branch, file, got "s3"'],
    ...['ml/base lines', 'a..b', 'x.lock', '.hidden', 'data/', '-data', 'a:b'].map((branch) => [
      { 'baseline-branch': branch },
      `input \`baseline-branch\` is not a valid branch name, got "${branch}": no spaces, \`..\`, \`~^:?*[\\\`, or a part that starts with \`.\` or ends with \`.lock\``
    ]),
    [
      { 'baseline-branch': 'refs/heads/main' },
      'input `baseline-branch` takes a branch name, not a ref: write "main", not "refs/heads/main"'
    ],
    [
      { shard: '1/2', 'merge-from': 'shards' },
      'inputs `shard` and `merge-from` exclude each other: a matrix job runs one `shard`, a later job merges them with `merge-from`, and `report-from` only comments'
    ]
  ] as [Record<string, string>, string][])('rejects %j with one clear error', (inputs, message) => {
    expect(() => parseSettings(reader(inputs))).toThrow(new UsageError(message))
  })

  it('takes the branch names git takes', () => {
    for (const branch of ['evalgate-data', 'ml/baselines', 'data_2026.v1', 'x@y'])
      expect(parseSettings(reader({ 'baseline-branch': branch })).baseline.branch).toBe(branch)
  })

  it('counts a comment-key in characters (code points), as the results schema does', () => {
    expect(parseSettings(reader({ 'comment-key': '🚀'.repeat(100) })).commentKey).toBe(
      '🚀'.repeat(100)
    )
  })
})

describe('ignoredInputWarnings', () => {
  it('names each input that does nothing in a merge-from or report-from job, and why', () => {
    const runInputs = {
      specs: 'evals/triage',
      repeats: '3',
      filter: 't/c1',
      concurrency: '4',
      cache: 'replay',
      'cache-dir': 'answers'
    }
    const merging = ignoredInputWarnings(reader({ 'merge-from': 'shards', ...runInputs }))
    expect(merging).toEqual(
      ['specs', 'repeats', 'filter', 'concurrency', 'cache', 'cache-dir'].map(
        (name) =>
          `input \`${name}\` does nothing with \`merge-from\`: it applies to the shard jobs that run the suites, and this job runs none; set it there, and remove it here`
      )
    )
    expect(ignoredInputWarnings(reader({ 'report-from': 'r.json', filter: 't/*' }))).toEqual([
      'input `filter` does nothing with `report-from`: it applies to the run that made the artifact, and this job runs none; set it there, and remove it here'
    ])
  })

  it('says nothing of inputs at their defaults, as the runner passes them, nor in a job that runs', () => {
    const defaults = {
      specs: 'evals',
      concurrency: '8',
      cache: 'off',
      'cache-dir': '.evalgate/cache'
    }
    expect(ignoredInputWarnings(reader({ 'merge-from': 'shards', ...defaults }))).toEqual([])
    expect(ignoredInputWarnings(reader({ filter: 't/c1', repeats: '3' }))).toEqual([])
  })
})
