import type { ProviderInfo, SuiteResult } from './types.js'

/**
 * Whether two runs' fingerprints of one thing match: on the format-4 ones when both runs recorded
 * them, else on those as written, as an older run (a baseline stored before an upgrade) recorded.
 */
function fingerprintsMatch(
  current: [string | undefined, string | undefined],
  written: [string, string]
): boolean {
  const [base, head] = current
  return base !== undefined && head !== undefined ? base === head : written[0] === written[1]
}

/** Whether two runs of a suite scored alike (what decides scores and passes), so their scores compare. */
export function sameScoring(base: SuiteResult, head: SuiteResult): boolean {
  return fingerprintsMatch(
    [base.scoringFingerprint, head.scoringFingerprint],
    [base.scorersFingerprint, head.scorersFingerprint]
  )
}

/** Whether a provider's configuration (what it calls and how) changed between two runs. */
export function providerConfigChanged(base: ProviderInfo, head: ProviderInfo): boolean {
  return !fingerprintsMatch(
    [base.resolvedConfigFingerprint, head.resolvedConfigFingerprint],
    [base.configFingerprint, head.configFingerprint]
  )
}
