import { Ajv } from 'ajv'
import { InputError } from '../errors.js'
import runResultSchema from '../../schema/run-result.schema.json' with { type: 'json' }
import { RUN_RESULT_VERSION } from './types.js'
import type { RunResult } from './types.js'

let validate: ReturnType<Ajv['compile']> | undefined

/**
 * Checks that `text` is a RunResult this version can read. `file` only names the source in errors.
 * A newer format is refused with an upgrade hint rather than misread.
 */
export function parseRunResult(text: string, file: string): RunResult {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new InputError(
      [{ file, path: '', message: `not valid JSON: ${(error as Error).message}` }],
      'cannot read a results file'
    )
  }
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion
  if (typeof version === 'number' && version > RUN_RESULT_VERSION) {
    throw new InputError(
      [
        {
          file,
          path: 'schemaVersion',
          message: `format version ${version} is newer than this evalgate reads (${RUN_RESULT_VERSION})`,
          hint: 'upgrade evalgate'
        }
      ],
      'cannot read a results file'
    )
  }
  validate ??= new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(
    runResultSchema
  )
  if (!validate(data)) {
    const diagnostics = (validate.errors ?? []).slice(0, 20).map((e) => ({
      file,
      path: e.instancePath.replace(/^\//, '').replace(/\//g, '.'),
      message: e.message ?? 'invalid'
    }))
    throw new InputError(diagnostics, `${file} is not an evalgate RunResult`)
  }
  return data as unknown as RunResult
}
