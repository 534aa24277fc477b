import { fileURLToPath, pathToFileURL } from 'node:url'
import { dirname, join } from 'node:path'
import type { ScorerSpec } from '../../src/spec/types.js'
import type { ModuleLoader } from '../../src/score/index.js'

type DistributiveOmit<T, K extends keyof never> = T extends unknown ? Omit<T, K> : never

/** A scorer spec as the loader would produce it: name, weight 1 and a source location filled in. */
export function spec(
  fields: DistributiveOmit<ScorerSpec, 'name' | 'weight' | 'source'> & {
    name?: string
    weight?: number
  }
): ScorerSpec {
  return {
    name: fields.type,
    weight: 1,
    source: { file: 'evals/triage.eval.yaml', line: 12, column: 5 },
    ...fields
  } as ScorerSpec
}

/** The real loader: dynamic import of an ES module file. */
export const importLoader: ModuleLoader = (path, exportName) =>
  import(pathToFileURL(path).href).then((module: Record<string, unknown>) => module[exportName])

export const noModules: ModuleLoader = () => Promise.reject(new Error('no module expected'))

export const SCORERS_FIXTURE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'scorers',
  'scorers.js'
)
