/**
 * Cases that flipped between pass and fail: what a reviewer reads first under a verdict.
 */
import type { CaseResult } from '../results/types.js'
import type { Pair } from './metrics.js'
import type { FlippedCase, Flips, OutputSample } from './types.js'

/** Flipped cases kept with their outputs per suite × provider; the rest are only counted. */
export const MAX_FLIPPED_CASES = 100
/** Characters of an output kept in the Comparison (the PR comment cuts further). */
export const MAX_OUTPUT_CHARS = 4000
const MAX_REASON_CHARS = 500

function clip(text: string, max: number): { text: string; truncated: number } {
  // Cut on a code point boundary, never in the middle of a surrogate pair.
  if (text.length <= max) return { text, truncated: 0 }
  // A cut after the first half of a pair would leave a lone surrogate (U+FFFD, invalid JSON).
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max
  const kept = text.slice(0, end)
  return { text: kept, truncated: text.length - kept.length }
}

function sample(answer: CaseResult | undefined): OutputSample | null {
  if (!answer) return null
  const output = answer.output === null ? null : clip(answer.output, MAX_OUTPUT_CHARS)
  return {
    text: output?.text ?? null,
    truncated: output?.truncated ?? 0,
    repeat: answer.repeat,
    score: answer.score,
    pass: answer.pass,
    failures: answer.scores
      .filter((s) => !s.pass)
      .map((s) => clip(`${s.scorer}${s.reason ? `: ${s.reason}` : ''}`, MAX_REASON_CHARS).text),
    ...(answer.finishReason
      ? { finishReason: clip(answer.finishReason, MAX_REASON_CHARS).text }
      : {})
  }
}

/** The answer that shows the case's side: one that passed on the passing side, failed on the other. */
function representative(answers: readonly CaseResult[], passed: boolean): CaseResult | undefined {
  return answers.find((a) => a.pass === passed) ?? answers[0]
}

/**
 * A case passes when most of its answered repeats passed (ties pass): with K repeats a flaky case
 * is not reported as flipped for one repeat going the other way.
 */
function casePasses(passRate: number): boolean {
  return passRate >= 0.5
}

export function findFlips(
  pairs: readonly Pair[],
  sourceOf: (caseId: string) => string,
  comparable: boolean
): Flips {
  if (!comparable) return { passToFail: 0, failToPass: 0, cases: [], omitted: 0 }
  const flipped: Array<{ pair: Pair; toFail: boolean; delta: number }> = []
  for (const pair of pairs) {
    const { base, head } = pair
    if (base.passRate === null || head.passRate === null) continue
    const basePasses = casePasses(base.passRate)
    if (basePasses === casePasses(head.passRate)) continue
    flipped.push({
      pair,
      toFail: basePasses,
      delta: (head.score as number) - (base.score as number)
    })
  }
  flipped.sort(
    (a, b) =>
      Math.abs(b.delta) - Math.abs(a.delta) ||
      (a.pair.caseId < b.pair.caseId ? -1 : a.pair.caseId > b.pair.caseId ? 1 : 0)
  )
  const passToFail = flipped.filter((f) => f.toFail).length
  const cases: FlippedCase[] = flipped
    .slice(0, MAX_FLIPPED_CASES)
    .map(({ pair, toFail, delta }) => ({
      caseId: pair.caseId,
      source: sourceOf(pair.caseId),
      direction: toFail ? 'pass-to-fail' : 'fail-to-pass',
      baseScore: pair.base.score as number,
      headScore: pair.head.score as number,
      scoreDelta: delta,
      basePassRate: pair.base.passRate as number,
      headPassRate: pair.head.passRate as number,
      base: sample(representative(pair.base.answered, toFail)),
      head: sample(representative(pair.head.answered, !toFail))
    }))
  return {
    passToFail,
    failToPass: flipped.length - passToFail,
    cases,
    omitted: flipped.length - cases.length
  }
}
