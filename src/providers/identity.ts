import { fingerprint } from '../results/fingerprint.js'
import { redactValue } from '../spec/secrets.js'
import type { ProviderSpec } from '../spec/types.js'

/**
 * What cached answers of a provider are keyed on. For `openai` and `http` the resolved endpoint
 * and request shape (`configFingerprint` is taken before `${VAR}` expansion, so it misses a model
 * or URL set through an environment variable), with the values of secrets written back as their
 * `${VAR}`: never the API key, while an `http` header that selects a model or a version counts.
 * For `module` and `exec` the config as written:
 * their resolved paths differ between a laptop and CI, which would make a restored cache useless.
 */
export function providerCacheIdentity(spec: ProviderSpec): string {
  // A secret in a URL or body is keyed as the `${VAR}` it came from, so a replay without it (a
  // fork's pull request) finds the answers a run with it recorded.
  const written = <T>(value: T): T => redactValue(value, spec.secrets ?? [])
  switch (spec.type) {
    case 'openai':
      return fingerprint({
        type: 'openai',
        model: spec.model,
        params: spec.params,
        baseUrl: spec.baseUrl === undefined ? null : written(spec.baseUrl)
      })
    case 'http':
      return fingerprint({
        type: 'http',
        url: written(spec.url),
        method: spec.method,
        headers: written(spec.headers),
        body: spec.body === undefined ? null : written(spec.body),
        output: spec.outputPath
      })
    case 'module':
    case 'exec':
      return spec.configFingerprint
  }
}

/**
 * What a rate limit is shared by: the endpoint (and model) called, whatever the parameters of the
 * request — a judge and a provider under test calling the same model share the account's limit.
 */
export function rateLimitIdentity(spec: ProviderSpec): string {
  const written = <T>(value: T): T => redactValue(value, spec.secrets ?? [])
  switch (spec.type) {
    case 'openai':
      return fingerprint({
        type: 'openai',
        model: spec.model,
        baseUrl: spec.baseUrl === undefined ? null : written(spec.baseUrl)
      })
    case 'http':
      return fingerprint({ type: 'http', url: written(spec.url) })
    case 'module':
    case 'exec':
      return spec.configFingerprint
  }
}
