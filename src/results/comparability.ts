import type { ProviderInfo, SuiteResult } from './types.js'

/**
 * Whether two runs of a suite scored alike, so that their scores compare: on what decides scores
 * and passes when both runs recorded it (format 4 on), else on the scorers as written, as an older
 * run (a baseline stored before an upgrade) recorded them.
 */
export function sameScoring(base: SuiteResult, head: SuiteResult): boolean {
  if (base.scoringFingerprint !== undefined && head.scoringFingerprint !== undefined) {
    return base.scoringFingerprint === head.scoringFingerprint
  }
  return base.scorersFingerprint === head.scorersFingerprint
}

/**
 * Whether a provider's configuration changed between two runs: on what it calls and how when both
 * runs recorded it (format 4 on), else on its entry as written.
 */
export function providerConfigChanged(base: ProviderInfo, head: ProviderInfo): boolean {
  if (
    base.resolvedConfigFingerprint !== undefined &&
    head.resolvedConfigFingerprint !== undefined
  ) {
    return base.resolvedConfigFingerprint !== head.resolvedConfigFingerprint
  }
  return base.configFingerprint !== head.configFingerprint
}
