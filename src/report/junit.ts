/**
 * A Comparison as JUnit XML for CI test reporters: one <testsuite> per suite × provider, one
 * <testcase> per metric. Regression, fail and error verdicts are <failure>s, inconclusive and
 * not-comparable ones <skipped>; everything else passes. In strict mode an inconclusive verdict
 * fails the check, so it is a <failure> too.
 */
import {
  METRIC_LABELS,
  VERDICT_WORDS,
  formatMetricDelta,
  formatPValue,
  formatValue,
  shownPValue
} from '../compare/format.js'
import { ungatedAgainstBaseline, ungatedReason } from '../compare/index.js'
import type { Comparison, GroupComparison, MetricComparison, Verdict } from '../compare/types.js'
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

function testcase(
  group: GroupComparison,
  metric: MetricComparison,
  outcome: Outcome,
  indent: string,
  message = `${VERDICT_WORDS[metric.verdict]}: ${metric.reason}`
): string {
  const open = `${indent}<testcase${attributes({
    classname: `evalgate.${group.suite}.${group.providerId}`,
    name: METRIC_LABELS[metric.metric]
  })}`
  if (outcome === 'failure') {
    return `${open}>\n${indent}  <failure${attributes({ message, type: metric.verdict })}>${escapeXml(detail(metric))}</failure>\n${indent}</testcase>`
  }
  if (outcome === 'skipped') {
    return `${open}>\n${indent}  <skipped${attributes({ message })}/>\n${indent}</testcase>`
  }
  return `${open}>\n${indent}  <system-out>${escapeXml(`${message} (${detail(metric)})`)}</system-out>\n${indent}</testcase>`
}

export function renderJunit(c: Comparison): string {
  let tests = 0
  let failures = 0
  let skipped = 0
  // Strict mode fails a suite that could not be gated against its baseline: its score says so.
  const ungated = new Map(
    (c.options.strict ? ungatedAgainstBaseline(c) : []).map((g) => [g, ungatedReason(g)])
  )
  const suites = c.groups.map((group) => {
    const strictlyFailed = (m: MetricComparison) => m.metric === 'score' && ungated.has(group)
    const outcomes = group.metrics.map((m) =>
      strictlyFailed(m) ? 'failure' : outcomeOf(m.verdict, c.options.strict)
    )
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
                : undefined
            )
          )
        : [
            `    <testcase${attributes({ classname: `evalgate.${group.suite}.${group.providerId}`, name: 'comparison' })}>\n      <skipped${attributes({ message: group.reason ?? 'nothing to compare' })}/>\n    </testcase>`
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
      skipped: groupSkipped
    })}>`
    const properties = [
      `    <properties>`,
      `      <property${attributes({ name: 'verdict', value: group.verdict })}/>`,
      `      <property${attributes({ name: 'paired-cases', value: group.cases.paired })}/>`,
      `    </properties>`
    ]
    return [open, ...properties, ...cases, '  </testsuite>'].join('\n')
  })
  const root = `<testsuites${attributes({
    name: 'evalgate',
    tests,
    failures,
    errors: 0,
    skipped
  })}>`
  return ['<?xml version="1.0" encoding="UTF-8"?>', root, ...suites, '</testsuites>', ''].join('\n')
}
