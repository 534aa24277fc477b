import { posix } from 'node:path'
import { fingerprint } from '../results/fingerprint.js'
import { redactValue } from '../spec/secrets.js'
import { withEnvValues } from '../spec/env-reference.js'
import { SHELL_VARIABLE_PREFIX } from '../spec/providers.js'
import { mapBodyText } from './http.js'
import type {
  ExecProviderSpec,
  HttpProviderSpec,
  ModuleProviderSpec,
  OpenAIProviderSpec,
  ProviderSpec
} from '../spec/types.js'

/**
 * `value` with the provider's secrets written back as their `${VAR}`: a secret in a URL, header or
 * body is keyed as the reference it came from, so a replay without it (a fork's pull request)
 * finds the answers a run with it recorded.
 */
function asWritten<T>(spec: ProviderSpec, value: T): T {
  return redactValue(value, spec.secrets ?? [])
}

/** The endpoint (and model) an `openai` or `http` provider calls. */
function endpoint(spec: OpenAIProviderSpec | HttpProviderSpec): Record<string, unknown> {
  return spec.type === 'openai'
    ? {
        type: 'openai',
        model: spec.model,
        baseUrl: spec.baseUrl === undefined ? null : asWritten(spec, spec.baseUrl)
      }
    : { type: 'http', url: asWritten(spec, spec.url) }
}

/**
 * What cached answers of a provider are keyed on. For `openai` and `http` the resolved endpoint
 * and request shape (`configFingerprint` is taken before `${VAR}` expansion, so it misses a model
 * or URL set through an environment variable), with the values of secrets written back as their
 * `${VAR}`: never the API key, while an `http` header that selects a model or a version counts,
 * and so do the paths its answer, token counts and model are read at. For `module` and `exec` the
 * config as written, without what only says how it is called or shown (its label, timeout,
 * retries, limits, prices), and the directory of its spec file relative to the repository's
 * root, which its relative paths start from: two suites that write the same `./app.js` run two
 * programs. Not the resolved paths, nor the spec's path from the working directory: they differ
 * between a laptop and CI (or a run from a subdirectory), which would make a restored cache
 * useless.
 */
export function providerCacheIdentity(spec: ProviderSpec): string {
  switch (spec.type) {
    case 'openai':
      return fingerprint({ ...endpoint(spec), params: spec.params })
    case 'http':
      return fingerprint({
        ...endpoint(spec),
        method: spec.method,
        headers: asWritten(spec, spec.headers),
        body:
          spec.body === undefined
            ? null
            : asWritten(
                spec,
                mapBodyText(spec.body, (text) => withEnvValues(text, spec.bodyEnv ?? {}))
              ),
        output: spec.outputPath,
        // Where the token counts and the model are read: a cached answer keeps what they read.
        usage: spec.usagePaths ?? null,
        model: spec.modelPath ?? null
      })
    case 'module':
    case 'exec':
      return programIdentity(spec, spec.specDirectory)
  }
}

function programIdentity(spec: ModuleProviderSpec | ExecProviderSpec, specDir: string): string {
  return fingerprint({ config: spec.answerConfigFingerprint, specDir })
}

/**
 * What a module's or exec command's cached answers were keyed on before they were keyed by the
 * spec's directory from the repository's root: its directory as the run names it, from its working
 * directory. Undefined when that is the same key (a run from the root), or for another provider.
 * A cache recorded by a run from a subdirectory (a monorepo's package) then still replays.
 */
export function formerProviderCacheIdentity(spec: ProviderSpec): string | undefined {
  if (spec.type !== 'module' && spec.type !== 'exec') return undefined
  const former = posix.dirname(spec.source.file.split('\\').join('/'))
  return former === spec.specDirectory ? undefined : programIdentity(spec, former)
}

/**
 * What a rate limit is shared by: the endpoint (and model) called, whatever the parameters of the
 * request — a judge and a provider under test calling the same model share the account's limit.
 */
export function rateLimitIdentity(spec: ProviderSpec): string {
  return spec.type === 'openai' || spec.type === 'http'
    ? fingerprint(endpoint(spec))
    : spec.configFingerprint
}

/**
 * An exec command's environment as it identifies the command: each value with the secrets written
 * back, and a one-string command's `${NAME}` (its EVALGATE_VAR_NAME) by its name alone, whether it
 * is set or not (a fork's pull request has no secrets): never by its value.
 */
export function execEnvironment(spec: ExecProviderSpec): Record<string, string> {
  return Object.fromEntries(
    Object.entries(spec.env).map(([name, value]) => [
      name,
      name.startsWith(SHELL_VARIABLE_PREFIX)
        ? `\${${name.slice(SHELL_VARIABLE_PREFIX.length)}}`
        : asWritten(spec, value)
    ])
  )
}
