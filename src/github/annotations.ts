/**
 * Annotations on the spec lines of what regressed: the cases that now fail, or the `gate:` line a
 * metric went beyond.
 */
import { resolve } from 'node:path'
import { isRepeated } from '../compare/index.js'
import type { Comparison, MetricComparison, MetricName } from '../compare/index.js'
import { METRIC_LABELS, formatScoresApart } from '../compare/format.js'
import { MAX_FLIPPED_CASES } from '../compare/flips.js'
import { readRegularFileIfExists, repositoryRootOf } from '../io/files.js'
import { YamlFile, isMapping } from '../spec/yaml-file.js'
import type { ActionIO } from './io.js'

/**
 * GitHub shows 10 annotations of a kind per step and drops the rest; one is kept for the step's
 * own failure message (or another warning), which would otherwise be the one dropped.
 */
const REGRESSION_ANNOTATIONS = 9

/** The metrics whose drop the flipped cases explain: those cases are annotated, not the metric. */
const QUALITY_METRICS: ReadonlySet<MetricName> = new Set(['score', 'pass-rate'])

function breaksGate(metric: MetricComparison): boolean {
  return metric.verdict === 'regression' || metric.verdict === 'fail'
}

/**
 * Where the specs' recorded paths start: the root of the git repository holding each path of the
 * input `specs` (actions/checkout may put the repository in a subdirectory of the workspace,
 * `path: repo`), then the workspace, which a spec in no repository is recorded relative to.
 */
async function specRoots(cwd: string, specs: readonly string[]): Promise<string[]> {
  const roots = await Promise.all(specs.map((spec) => repositoryRootOf(resolve(cwd, spec))))
  return [...new Set([...roots.filter((root) => root !== undefined), cwd])]
}

/** The spec as written, from the first root it is found under; undefined when it is in none. */
async function readSpecYaml(
  specFile: string,
  roots: Promise<string[]>
): Promise<YamlFile | undefined> {
  for (const root of await roots) {
    const text = await readRegularFileIfExists(resolve(root, specFile)).then(
      (bytes) => bytes?.toString('utf8'),
      () => undefined
    )
    if (text !== undefined) return new YamlFile(specFile, text)
  }
  return undefined
}

/**
 * The line of the spec that sets the metric's tolerance (`latency-p50:` in `gate:`), else of its
 * `gate:`, else of its `suite:`; undefined when the spec could not be read (the annotation is
 * then on the file).
 */
function gateLine(yaml: YamlFile | undefined, metric: MetricName): number | undefined {
  if (yaml === undefined) return undefined
  const data = yaml.data()
  const gate = 'value' in data && isMapping(data.value) ? data.value.gate : undefined
  const path = !isMapping(gate) ? ['suite'] : metric in gate ? ['gate', metric] : ['gate']
  return yaml.position(path, { key: true }).line
}

/**
 * Annotations on what made groups regress: the cases that went from pass to fail where the score
 * or pass rate dropped, on their lines; any other metric (latency, cost, error rate) on the line
 * of the spec's `gate:` that it went beyond, as the flipped cases of a group that only slowed
 * down are not what is wrong with it. Errors when the step fails, warnings when it passes all
 * the same (a push, `fail-on-regression: false`).
 */
export async function annotateRegressions(
  comparison: Comparison,
  level: 'error' | 'warning',
  io: ActionIO,
  /** The workspace, and the input `specs` the run loaded (relative to it). */
  workspace: { cwd: string; specs: readonly string[] }
): Promise<void> {
  const broken = comparison.groups.flatMap((group) =>
    group.metrics.filter(breaksGate).map((metric) => ({ group, metric }))
  )
  const casesShown = new Set(
    broken
      .filter(
        ({ group, metric }) => QUALITY_METRICS.has(metric.metric) && group.flips.passToFail > 0
      )
      .map(({ group }) => group)
  )
  // A quality drop with no case that flipped (a floor broken, scores that slipped) is shown as a
  // metric; the pass rate that only repeats the score, once.
  const metrics = broken.filter(
    ({ group, metric }) =>
      !(QUALITY_METRICS.has(metric.metric) && casesShown.has(group)) &&
      !isRepeated(metric, group.metrics)
  )
  // Each spec read once, however many of its metrics are annotated; the roots found only if any is.
  const specs = new Map<string, Promise<YamlFile | undefined>>()
  let roots: Promise<string[]> | undefined
  for (const { group, metric } of metrics.slice(0, REGRESSION_ANNOTATIONS)) {
    let spec = specs.get(group.file)
    if (spec === undefined) {
      roots ??= specRoots(workspace.cwd, workspace.specs)
      specs.set(group.file, (spec = readSpecYaml(group.file, roots)))
    }
    const line = gateLine(await spec, metric.metric)
    io.annotate(
      `${METRIC_LABELS[metric.metric]} ${metric.verdict === 'fail' ? 'broke its limit' : 'regressed'}: ${metric.reason}`,
      {
        file: group.file,
        ...(line !== undefined ? { line } : {}),
        title: `evalgate: ${group.suite} / ${group.providerId} regressed`,
        level
      }
    )
  }
  const flips = [...casesShown].flatMap((group) =>
    group.flips.cases
      .filter((flip) => flip.direction === 'pass-to-fail')
      .map((flip) => ({ group, flip }))
  )
  const room = Math.max(0, REGRESSION_ANNOTATIONS - metrics.length)
  for (const { group, flip } of flips.slice(0, room)) {
    const [file, line] = flip.source.split(/:(?=\d+$)/)
    io.annotate(
      `case ${flip.caseId} now fails (score ${formatScoresApart(flip.baseScore, flip.headScore).join(' → ')})`,
      {
        file: file ?? flip.source,
        ...(line ? { line: Number(line) } : {}),
        title: `evalgate: ${group.suite} / ${group.providerId} regressed`,
        level
      }
    )
  }
  const unshown = `not annotated (GitHub shows 10 ${level} annotations per step)`
  if (metrics.length > REGRESSION_ANNOTATIONS) {
    io.info(
      `evalgate: metrics that regressed but are ${unshown}: ${metrics.length - REGRESSION_ANNOTATIONS} more; see the comment or the comparison file`
    )
  }
  const annotated = Math.min(flips.length, room)
  const failingCases = [...casesShown].reduce((total, group) => total + group.flips.passToFail, 0)
  if (failingCases > annotated) {
    // The comparison keeps only the largest changes of each suite × provider.
    const allKept = flips.length === failingCases
    io.info(
      `evalgate: cases that now fail but are ${unshown}: ${failingCases - annotated} more; ` +
        (allKept
          ? 'the comparison file lists them all'
          : `the comparison file lists the ${MAX_FLIPPED_CASES} largest changes of each suite × provider, the results file every answer`)
    )
  }
}
