/**
 * A Comparison as JUnit XML for CI test reporters: one <testsuite> per suite × provider, one
 * <testcase> per metric. Regression, fail and error verdicts are <failure>s, inconclusive and
 * not-comparable ones <skipped>; everything else passes. In strict mode an inconclusive verdict
 * fails the check, so it is a <failure> too. The comparison's warnings come first, in a testsuite
 * `evalgate` of skipped testcases named by them: a reporter lists them, and they fail nothing.
 * The run's pooled score test, when it has one, comes last, in a testsuite of its own.
 */
import {
  METRIC_LABELS,
  VERDICT_WORDS,
  formatInterval,
  formatMetricDelta,
  formatPValue,
  formatPoints,
  formatValue,
  shownPValue
} from '../compare/format.js'
import {
  isRepeated,
  listedCaseSource,
  ungatedAgainstBaseline,
  ungatedReason
} from '../compare/index.js'
import type {
  Comparison,
  GroupComparison,
  MetricComparison,
  PooledScore,
  Verdict
} from '../compare/types.js'
import { escapeXml, escapeXmlAttribute } from './escape.js'

type Outcome = 'failure' | 'skipped' | 'passed'

/** What a verdict is to a test reporter: as the exit code, strict mode fails an inconclusive one. */
function outcomeOf(verdict: Verdict, strict: boolean): Outcome {
  if (verdict === 'regression' || verdict === 'fail' || verdict === 'error') return 'failure'
  if (verdict === 'inconclusive') return strict ? 'failure' : 'skipped'
  return verdict === 'not-comparable' ? 'skipped' : 'passed'
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${escapeXmlAttribute(String(value))}"`)
    .join('')
}

function detail(metric: MetricComparison): string {
  const p = shownPValue(metric)
  return [
    `base ${formatValue(metric.base, metric.unit)}`,
    `head ${formatValue(metric.head, metric.unit)}`,
    `change ${formatMetricDelta(metric)}`,
    // Base and head are over every answer, the change over the repeats both sides answered.
    ...(metric.compared !== undefined
      ? [
          `compared ${formatValue(metric.compared.base, metric.unit)} → ${formatValue(metric.compared.head, metric.unit)} (as many answered repeats on both sides of each case, those both sides answered first)`
        ]
      : []),
    ...(p !== null ? [`p ${formatPValue(p)}`] : [])
  ].join(', ')
}

/** What every testcase of a group carries: `file` is the spec, which reporters annotate. */
function caseAttributes(group: GroupComparison, name: string): Record<string, string> {
  return {
    classname: `evalgate.${group.suite}.${group.providerId}`,
    name,
    file: group.file,
    // A comparison takes no time of its own; reporters read a missing time as NaN.
    time: '0'
  }
}

function testcase(
  group: GroupComparison,
  metric: MetricComparison,
  outcome: Outcome,
  indent: string,
  message = `${VERDICT_WORDS[metric.verdict]}: ${metric.reason}`
): string {
  const open = `${indent}<testcase${attributes(caseAttributes(group, METRIC_LABELS[metric.metric]))}`
  if (outcome === 'failure') {
    return `${open}>\n${indent}  <failure${attributes({ message, type: metric.verdict })}>${escapeXml(detail(metric))}</failure>\n${indent}</testcase>`
  }
  if (outcome === 'skipped') {
    return `${open}>\n${indent}  <skipped${attributes({ message })}/>\n${indent}</testcase>`
  }
  return `${open}>\n${indent}  <system-out>${escapeXml(`${message} (${detail(metric)})`)}</system-out>\n${indent}</testcase>`
}

/** The head run's length in seconds, as JUnit's `time`; 0 when its times cannot be read. */
function runSeconds(c: Comparison): string {
  const milliseconds = Date.parse(c.head.finishedAt) - Date.parse(c.head.startedAt)
  return Number.isFinite(milliseconds) && milliseconds > 0 ? (milliseconds / 1000).toFixed(3) : '0'
}

/** The comparison's warnings, one skipped testcase each, so that a green check still shows them. */
function warningsSuite(c: Comparison): string {
  const cases = c.warnings.map(
    (warning) =>
      `    <testcase${attributes({ classname: 'evalgate', name: `warning: ${warning}`, time: '0' })}>\n      <skipped${attributes({ message: warning })}/>\n    </testcase>`
  )
  return [
    `  <testsuite${attributes({
      name: 'evalgate',
      tests: cases.length,
      failures: 0,
      errors: 0,
      skipped: cases.length,
      time: '0',
      timestamp: c.head.startedAt
    })}>`,
    ...cases,
    `    <system-err>${escapeXml(c.warnings.map((w) => `warning: ${w}`).join('\n'))}</system-err>`,
    '  </testsuite>'
  ].join('\n')
}

/** The edited cases' ids, each with where it is written when the comparison has it. */
function editedList(group: GroupComparison): string {
  const ids = group.cases.editedIds ?? []
  const listed = ids.map((id) => {
    const source = listedCaseSource(group, id)
    return source === undefined ? id : `${id} (${source})`
  })
  const more = (group.cases.edited ?? 0) - ids.length
  return listed.join(', ') + (more > 0 ? `, and ${more} more` : '')
}

/** A metric that only repeats the score's numbers is counted with the score, as in `counts`. */
function repeatMessage(metric: MetricComparison): string {
  const original = METRIC_LABELS[metric.duplicateOf ?? 'score']
  return `${VERDICT_WORDS[metric.verdict]}: repeats the ${original}'s numbers (every score is 0 or 1, a pass is a 1), so it is counted there, once: ${metric.reason}`
}

/**
 * The pooled score test, a testsuite of its own after the suites': a failure when it is a
 * regression, which fails the check however the suites' own tests went.
 */
function pooledSuite(c: Comparison, pooled: PooledScore): string {
  const p = pooled.test.pValueAdjusted ?? pooled.test.pValue
  const { low, high } = pooled.interval ?? { low: null, high: null }
  const detail = [
    `base ${formatValue(pooled.base, 'fraction')}`,
    `head ${formatValue(pooled.head, 'fraction')}`,
    `change ${formatPoints(pooled.delta)}`,
    ...(low !== null && high !== null
      ? [`95% CI ${formatInterval(low, high, 'difference', 'fraction')}`]
      : []),
    `p ${formatPValue(p)}`
  ].join(', ')
  const failed = pooled.verdict === 'regression'
  const word =
    pooled.verdict === 'not-significant' ? 'NOT SIGNIFICANT' : VERDICT_WORDS[pooled.verdict]
  const message = `${word}: ${pooled.reason}`
  const open = `    <testcase${attributes({ classname: 'evalgate.pooled', name: 'mean score, pooled', time: '0' })}>`
  const body = failed
    ? `      <failure${attributes({ message, type: 'regression' })}>${escapeXml(detail)}</failure>`
    : `      <system-out>${escapeXml(`${message} (${detail})`)}</system-out>`
  return [
    `  <testsuite${attributes({
      name: `all ${pooled.groups} suites × providers`,
      tests: 1,
      failures: failed ? 1 : 0,
      errors: 0,
      skipped: 0,
      time: '0',
      timestamp: c.head.startedAt
    })}>`,
    open,
    body,
    '    </testcase>',
    '  </testsuite>'
  ].join('\n')
}

export function renderJunit(c: Comparison): string {
  const pooled = c.pooledScore
  let tests = c.warnings.length + (pooled ? 1 : 0)
  let failures = pooled?.verdict === 'regression' ? 1 : 0
  let skipped = c.warnings.length
  // Strict mode fails a suite that could not be gated against its baseline: its score says so.
  const ungated = new Map(
    (c.options.strict ? ungatedAgainstBaseline(c) : []).map((g) => [g, ungatedReason(g)])
  )
  const suites = c.groups.map((group) => {
    const strictlyFailed = (m: MetricComparison) => m.metric === 'score' && ungated.has(group)
    const repeated = (m: MetricComparison) => isRepeated(m, group.metrics)
    const outcomes = group.metrics.map((m): Outcome => {
      if (strictlyFailed(m)) return 'failure'
      const outcome = outcomeOf(m.verdict, c.options.strict)
      return repeated(m) && outcome === 'failure' ? 'skipped' : outcome
    })
    const cases =
      group.metrics.length > 0
        ? group.metrics.map((m, i) =>
            testcase(
              group,
              m,
              outcomes[i] ?? 'passed',
              '    ',
              strictlyFailed(m)
                ? `fails in strict mode: could not be gated against its baseline (${ungated.get(group) ?? ''})`
                : repeated(m)
                  ? repeatMessage(m)
                  : undefined
            )
          )
        : [
            `    <testcase${attributes(caseAttributes(group, 'comparison'))}>\n      <skipped${attributes({ message: group.reason ?? 'nothing to compare' })}/>\n    </testcase>`
          ]
    const groupFailures = outcomes.filter((o) => o === 'failure').length
    const groupSkipped =
      group.metrics.length === 0 ? 1 : outcomes.filter((o) => o === 'skipped').length
    tests += cases.length
    failures += groupFailures
    skipped += groupSkipped
    const open = `  <testsuite${attributes({
      name: `${group.suite} / ${group.providerId}`,
      tests: cases.length,
      failures: groupFailures,
      errors: 0,
      skipped: groupSkipped,
      time: '0',
      timestamp: c.head.startedAt
    })}>`
    const edited = group.cases.edited ?? 0
    const properties = [
      `    <properties>`,
      `      <property${attributes({ name: 'verdict', value: group.verdict })}/>`,
      `      <property${attributes({ name: 'paired-cases', value: group.cases.paired })}/>`,
      ...(edited > 0
        ? [`      <property${attributes({ name: 'edited-cases', value: edited })}/>`]
        : []),
      `    </properties>`
    ]
    // Said where a reporter shows the suite: the paired cases are fewer than the spec's.
    const output =
      edited > 0
        ? [
            `    <system-out>${escapeXml(`${edited} edited (their variables changed, so not compared): ${editedList(group)}`)}</system-out>`
          ]
        : []
    return [open, ...properties, ...cases, ...output, '  </testsuite>'].join('\n')
  })
  const root = `<testsuites${attributes({
    name: 'evalgate',
    tests,
    failures,
    errors: 0,
    skipped,
    time: runSeconds(c)
  })}>`
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    root,
    ...(c.warnings.length > 0 ? [warningsSuite(c)] : []),
    ...suites,
    ...(pooled ? [pooledSuite(c, pooled)] : []),
    '</testsuites>',
    ''
  ].join('\n')
}
