import type { EvalCase, ProviderSpec, ScorerSpec, SuiteSpec } from '../../src/spec/types.js'

const source = { file: 'evals/test.eval.yaml', line: 1, column: 1 }

export function cases(count: number, prefix = 'case'): EvalCase[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    vars: { word: `w${i}`, expected: `W${i}` },
    source: { file: 'evals/cases.jsonl', line: i + 1 }
  }))
}

export function moduleProvider(id: string, path: string, exportName = 'default'): ProviderSpec {
  return {
    id,
    type: 'module',
    path,
    export: exportName,
    configFingerprint: `fp-${id}`,
    answerConfigFingerprint: `fp-${id}`,
    specDirectory: 'evals',
    source
  }
}

export const equalsExpected: ScorerSpec = {
  type: 'equals',
  name: 'equals',
  weight: 1,
  expected: '{{expected}}',
  ignoreCase: false,
  trim: true,
  source
}

/** A SuiteSpec as the loader would produce it, for tests of the later stages. */
export function suiteSpec(overrides: Partial<SuiteSpec> = {}): SuiteSpec {
  return {
    file: 'evals/test.eval.yaml',
    suite: 'test',
    source,
    providers: [],
    prompt: 'say {{word}}',
    cases: cases(3),
    scorers: [equalsExpected],
    repeats: 1,
    timeoutMs: 5000,
    minPassRate: 1,
    gate: {},
    ...overrides
  }
}
