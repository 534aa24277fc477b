import { readFile } from 'node:fs/promises'
import { relative } from 'node:path'
import { utf8Text } from '../io/files.js'
import { namesStream, searchSpecFiles } from './find.js'
import { providerSecretVariables, secretForms } from './providers.js'
import type { SecretValue } from './types.js'
import { YamlFile, isMapping } from './yaml-file.js'

/** A spec's provider entries and its scorers' judges: the entries loading expands `${VAR}` in. */
function providerEntries(spec: Record<string, unknown>): unknown[] {
  const providers = Array.isArray(spec.providers) ? spec.providers : []
  const scorers = Array.isArray(spec.scorers) ? spec.scorers : []
  return [...providers, ...scorers.map((scorer) => (isMapping(scorer) ? scorer.judge : undefined))]
}

/** The values, in every form they may be quoted in, of the variables `names` that are set. */
function secretsOf(
  names: readonly string[],
  env: Record<string, string | undefined>
): SecretValue[] {
  return [...new Set(names)].flatMap((name) => {
    const value = env[name]
    return value === undefined ? [] : secretForms(name, value)
  })
}

/**
 * The secrets of a spec as parsed, valid or not: the set variables its providers and judges use,
 * which loading expands (and a module it imports can read) before any problem stops it.
 */
export function specSecrets(
  spec: Record<string, unknown>,
  env: Record<string, string | undefined>
): SecretValue[] {
  return secretsOf(providerEntries(spec).flatMap(providerSecretVariables), env)
}

/**
 * The secret variables of one spec file. None of a file that is not a spec's YAML, or cannot be
 * read: loading stops at it before expanding anything. Nor of a pipe or device, which loading has
 * read already (and took the secrets of): read again, it would give nothing, or wait for ever.
 */
async function specFileSecretVariables(path: string, cwd: string): Promise<string[]> {
  const text = (await namesStream(path))
    ? undefined
    : await readFile(path).then(utf8Text, () => undefined)
  if (text === undefined) return []
  const yaml = new YamlFile(relative(cwd, path), text)
  if (yaml.syntaxErrors.length > 0 || yaml.shape !== 'mapping') return []
  const parsed = yaml.data()
  if (!('value' in parsed) || !isMapping(parsed.value)) return []
  return providerEntries(parsed.value).flatMap(providerSecretVariables)
}

/**
 * The secrets of the specs `paths` names, read from the spec files without loading them: specs
 * that could not be loaded have no SuiteSpec to take them from, yet may have expanded them before
 * failing (a scorer module that then fails to import may quote a provider's key). Each file is
 * read on its own, so one that is not even YAML leaves the others' secrets known.
 */
export async function writtenSecrets(
  paths: readonly string[],
  options: { cwd: string; env: Record<string, string | undefined> }
): Promise<SecretValue[]> {
  const { files } = await searchSpecFiles(paths, options.cwd)
  const names = await Promise.all(files.map((file) => specFileSecretVariables(file, options.cwd)))
  return secretsOf(names.flat(), options.env)
}
