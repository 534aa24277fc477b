/**
 * A Comparison as JUnit XML for CI test reporters: one <testsuite> per suite × provider, one
 * <testcase> per metric. Regression, fail and error verdicts are <failure>s, inconclusive and
 * not-comparable ones <skipped>; everything else passes.
 */
import {
  METRIC_LABELS,
  VERDICT_WORDS,
  formatMetricDelta,
  formatPValue,
  formatValue,
  shownPValue
} from '../compare/format.js'
import type { Comparison, GroupComparison, MetricComparison } from '../compare/types.js'
import { escapeXml, escapeXmlAttribute } from './escape.js'

const FAILING = new Set(['regression', 'fail', 'error'])
const SKIPPED = new Set(['inconclusive', 'not-comparable'])

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
    ...(p !== null ? [`p ${formatPValue(p)}`] : [])
  ].join(', ')
}

function testcase(group: GroupComparison, metric: MetricComparison, indent: string): string {
  const open = `${indent}<testcase${attributes({
    classname: `evalgate.${group.suite}.${group.providerId}`,
    name: METRIC_LABELS[metric.metric]
  })}`
  const message = `${VERDICT_WORDS[metric.verdict]}: ${metric.reason}`
  if (FAILING.has(metric.verdict)) {
    return `${open}>\n${indent}  <failure${attributes({ message, type: metric.verdict })}>${escapeXml(detail(metric))}</failure>\n${indent}</testcase>`
  }
  if (SKIPPED.has(metric.verdict)) {
    return `${open}>\n${indent}  <skipped${attributes({ message })}/>\n${indent}</testcase>`
  }
  return `${open}>\n${indent}  <system-out>${escapeXml(`${message} (${detail(metric)})`)}</system-out>\n${indent}</testcase>`
}

export function renderJunit(c: Comparison): string {
  let tests = 0
  let failures = 0
  let skipped = 0
  const suites = c.groups.map((group) => {
    const cases =
      group.metrics.length > 0
        ? group.metrics.map((m) => testcase(group, m, '    '))
        : [
            `    <testcase${attributes({ classname: `evalgate.${group.suite}.${group.providerId}`, name: 'comparison' })}>\n      <skipped${attributes({ message: group.reason ?? 'nothing to compare' })}/>\n    </testcase>`
          ]
    const groupFailures = group.metrics.filter((m) => FAILING.has(m.verdict)).length
    const groupSkipped =
      group.metrics.length === 0 ? 1 : group.metrics.filter((m) => SKIPPED.has(m.verdict)).length
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
