import {
  checkComparison,
  compareRuns,
  comparisonExitCode,
  withDerivedVerdicts
} from '../../src/compare/index.js'
import type { Comparison, GroupComparison } from '../../src/compare/index.js'
import { renderComparisonJson } from '../../src/report/comparison-json.js'
import { renderComparisonTerminal } from '../../src/report/comparison-terminal.js'
import { renderJunit } from '../../src/report/junit.js'
import { renderMarkdown } from '../../src/report/markdown.js'
import type { SuiteResult } from '../../src/results/types.js'
import type { GateSpec } from '../../src/spec/types.js'
import { buildRun, buildSuite, lcg, scored } from './build.js'

const seed = 'a'.repeat(40)
/**
 * Enough suites of 10 cases that none can show a drop on its own: Holm over 61 tests asks for
 * p < 0.00082, and 10 cases cannot go below 2^−10 ≈ 0.00098 (so with 900, which take minutes
 * under jest).
 */
const SUITES = 60
const CASES = 10

function scoreVerdicts(c: Comparison): string[] {
  return [
    ...new Set(
      c.groups.map(
        (g: GroupComparison) => g.metrics.find((m) => m.metric === 'score')?.verdict ?? 'none'
      )
    )
  ]
}

/**
 * `count` suites of 10 cases whose case scores are `level(suite, case)`; the head of a drop
 * scores each case `drop` lower, give or take noise, so that every suite drops alike.
 */
function suites(
  count: number,
  score: (suite: number, caseIndex: number) => number,
  gate?: (suite: number) => GateSpec
): SuiteResult[] {
  return Array.from({ length: count }, (_, s) =>
    buildSuite({
      suite: `s${s}`,
      cases: CASES,
      ...(gate ? { gate: gate(s) } : {}),
      answer: (i) => scored(score(s, i), { pass: true })
    })
  )
}

/** Base scores in [0.6, 1], the same in every run. */
function baseLevel(s: number, i: number): number {
  return 0.6 + 0.4 * lcg(1000 * s + i)()
}

/** The base's scores 32 points lower on average, each case ±30 points of noise around that. */
function dropped(s: number, i: number): number {
  const noise = 0.6 * lcg(7919 * (1000 * s + i) + 1)() - 0.3
  return Math.min(1, Math.max(0, baseLevel(s, i) - 0.32 + noise))
}

/** Half a point up or down, alternately: a change of nothing. */
function unchanged(run: number) {
  return (s: number, i: number) => 0.5 + 0.005 * ((i + s + run) % 2 ? 1 : -1)
}

describe('the pooled drop test of the mean score', () => {
  it('fails a drop spread over 60 small suites that no suite can show on its own', () => {
    const c = compareRuns(buildRun(suites(SUITES, baseLevel)), buildRun(suites(SUITES, dropped)), {
      seed
    })
    // No suite's drop survives Holm over 61 tests: 10 cases give p ≥ 2^−10.
    expect(scoreVerdicts(c)).toEqual(['inconclusive'])
    const pooled = c.pooledScore
    expect(pooled).toMatchObject({
      groups: SUITES,
      n: SUITES * CASES,
      noise: 0.02,
      verdict: 'regression',
      test: { method: 'sign-flip', alternative: 'less' }
    })
    expect(pooled?.delta).toBeLessThan(-0.25)
    expect(pooled?.interval?.high).toBeLessThan(-0.25)
    expect(pooled?.test.pValueAdjusted).toBeLessThan(1e-10)
    expect(c.holmFamilySizes.quality).toBe(SUITES + 1)
    expect(c.verdict).toBe('regression')
    expect(comparisonExitCode(c)).toBe(1)
    expect(c.summary).toBe(
      `Regression: a pooled drop of the mean score, ${SUITES} inconclusive results, ${3 * SUITES} passes across ${SUITES} suite × providers.`
    )

    const drop = (pooled?.delta ?? 0) * -100
    const line = new RegExp(
      `Across all 60 suites × providers whose scores were compared, the mean score dropped ${drop.toFixed(1)} pts \\(95% CI \\[−\\d+\\.\\d, −\\d+\\.\\d\\] pts, p < 0\\.001\\): beyond the 2\\.0 pts noise floor, though no single suite × provider's drop is a regression on its own\\.`
    )
    const terminal = renderComparisonTerminal(c, { color: false })
    expect(terminal.split('\n').slice(0, 3).join('\n')).toMatch(line)
    const markdown = renderMarkdown(c)
    expect(markdown).toMatch(new RegExp(`\\*\\*${line.source}\\*\\*`))
    expect(markdown.split('\n')[0]).toBe('## evalgate: REGRESSION')

    const json = JSON.parse(renderComparisonJson(c)) as Comparison
    expect(json.schemaVersion).toBe(3)
    expect(json.pooledScore?.verdict).toBe('regression')
    expect(checkComparison(json).problem).toBeUndefined()

    const junit = renderJunit(c)
    expect(junit).toMatch(
      /<testsuites name="evalgate" tests="\d+" failures="1" errors="0" skipped="60"/
    )
    expect(junit).toContain(
      `<testsuite name="all 60 suites × providers" tests="1" failures="1" errors="0" skipped="0"`
    )
    expect(junit).toMatch(
      /<testcase classname="evalgate\.pooled" name="mean score, pooled" time="0">\n\s*<failure message="REGRESSION: mean score of the 600 paired cases of 60 suites × providers fell \d+\.\d pts, beyond the 2\.0 pts noise floor \(p &lt; 0\.001\)" type="regression">/
    )

    // A report-from job derives the verdict again: a comparison written to pass does not.
    const written = { ...json, verdict: 'pass' as const, summary: 'No regression.' }
    expect(withDerivedVerdicts(written)).toMatchObject({
      verdict: 'regression',
      summary: c.summary
    })
  })

  it('passes 60 suites that did not change, adding nothing to the reports', () => {
    const c = compareRuns(
      buildRun(suites(SUITES, unchanged(0))),
      buildRun(suites(SUITES, unchanged(1))),
      { seed }
    )
    expect(c.pooledScore?.verdict).toBe('not-significant')
    expect(c.verdict).toBe('pass')
    expect(comparisonExitCode(c)).toBe(0)
    expect(c.summary).toBe(
      `No regression: ${4 * SUITES} passes across ${SUITES} suite × providers.`
    )
    expect(renderComparisonTerminal(c, { color: false })).not.toContain('Across all')
    expect(renderMarkdown(c)).not.toContain('Across all')
    expect(renderJunit(c)).toContain(
      '<testsuite name="all 60 suites × providers" tests="1" failures="0"'
    )
  })

  it('still reports one collapsed suite among unchanged ones as that suite’s regression', () => {
    const same = suites(SUITES - 1, baseLevel)
    const collapsed = (level: number) =>
      buildSuite({ suite: 'collapsed', cases: CASES, answer: () => scored(level) })
    const c = compareRuns(buildRun([collapsed(1), ...same]), buildRun([collapsed(0), ...same]), {
      seed
    })
    const score = c.groups[0]?.metrics.find((m) => m.metric === 'score')
    expect(score?.verdict).toBe('regression')
    // The unchanged suites cannot reject (Tarone): the collapse and the pooled test remain.
    expect(c.holmFamilySizes.quality).toBe(2)
    // 10 of 600 cases fell: significant, but a 1.7-point drop of the mean is within the noise.
    expect(c.pooledScore?.verdict).toBe('minor-change')
    expect(c.summary).toBe(
      `Regression: 1 regression, ${4 * SUITES - 2} passes across ${SUITES} suite × providers.`
    )
    expect(renderMarkdown(c)).not.toContain('Across all')
    expect(renderComparisonTerminal(c, { color: false })).not.toContain('Across all')
  })

  it('says a pooled drop that repeats a suite’s own regression in one quiet line', () => {
    const same = suites(9, baseLevel)
    const collapsed = (level: number) =>
      buildSuite({ suite: 'collapsed', cases: CASES, answer: () => scored(level) })
    const c = compareRuns(buildRun([collapsed(1), ...same]), buildRun([collapsed(0), ...same]), {
      seed
    })
    expect(c.pooledScore?.verdict).toBe('regression')
    expect(c.summary).toBe('Regression: 1 regression, 38 passes across 10 suite × providers.')
    expect(renderMarkdown(c)).toContain(
      '*Across all 10 suites × providers whose scores were compared, the mean score dropped 10.0 pts (95% CI '
    )
    expect(renderMarkdown(c)).not.toContain('on its own')
  })

  it('weighs the suites’ own noise floors by their cases', () => {
    // A 3-point drop on every case of 60 suites, none significant alone (Holm over 61 tests):
    // beyond the default 2 points, within the floor of a quarter of the suites whose noise floor
    // is 10 points: 0.25 × 10 + 0.75 × 2 = 4 points.
    const level = (run: number) => (s: number, i: number) =>
      0.5 + 0.01 * ((i * 7 + s) % 5) - 0.03 * run
    const compare = (gate?: (s: number) => GateSpec) =>
      compareRuns(
        buildRun(suites(SUITES, level(0), gate)),
        buildRun(suites(SUITES, level(1), gate)),
        {
          seed
        }
      )
    const quiet = compare((s) => (s < SUITES / 4 ? { score: { noise: 0.1, 'max-drop': 0.1 } } : {}))
    expect(quiet.pooledScore?.noise).toBeCloseTo(0.04, 12)
    expect(quiet.pooledScore?.verdict).toBe('minor-change')
    expect(quiet.verdict).toBe('pass')
    const defaults = compare()
    expect(defaults.pooledScore).toMatchObject({ noise: 0.02, verdict: 'regression' })
    expect(defaults.verdict).toBe('regression')
  })

  it.each([1, 9])(
    'has no pooled test in a run of %i suites, whose own tests see their drops',
    (count) => {
      const run = (shift: number) => buildRun(suites(count, shift === 0 ? baseLevel : dropped))
      const c = compareRuns(run(0), run(1), { seed })
      expect(c.pooledScore).toBeUndefined()
      expect(c.holmFamilySizes.quality).toBe(count)
      expect(renderComparisonJson(c)).not.toContain('pooledScore')
      expect(renderJunit(c)).not.toContain('pooled')
    }
  )

  it('costs a suite no regression it shows alone when another suite improved', () => {
    // One suite 15 points down on 40 pass/fail cases (7 pass → fail, 1 fail → pass: McNemar's
    // mid-p 0.0195, under α/2 but not α/3), another 25 points up: with the pooled test, whose
    // change is a gain, in their family, Holm would ask the drop for α/3.
    const down = (run: number) => (i: number) => (i < 7 ? 1 - run : i === 7 ? run : 1)
    const up = (run: number) => (i: number) => (i < 10 ? run : 1)
    const side = (run: number) =>
      buildRun(
        [['down', down(run)] as const, ['up', up(run)] as const].map(([name, score]) =>
          buildSuite({ suite: name, cases: 40, answer: (i) => scored(score(i)) })
        )
      )
    const c = compareRuns(side(0), side(1), { seed })
    expect(c.pooledScore).toBeUndefined()
    const dropped = c.groups.find((g) => g.suite === 'down')
    expect(dropped?.metrics.find((m) => m.metric === 'score')?.verdict).toBe('regression')
    expect(comparisonExitCode(c)).toBe(1)
  })
})
