import { fingerprint } from '../results/fingerprint.js'
import type { ProviderSpec } from '../spec/types.js'

/**
 * What cached answers of a provider are keyed on. For `openai` and `http` the resolved endpoint
 * and request shape (`configFingerprint` is taken before `${VAR}` expansion, so it misses a model
 * or URL set through an environment variable), never the API key or headers that may carry
 * secrets. For `module` and `exec` the config as written: their resolved paths differ between a
 * laptop and CI, which would make a restored cache useless.
 */
export function providerCacheIdentity(spec: ProviderSpec): string {
  switch (spec.type) {
    case 'openai':
      return fingerprint({
        type: 'openai',
        model: spec.model,
        params: spec.params,
        baseUrl: spec.baseUrl ?? null
      })
    case 'http':
      return fingerprint({
        type: 'http',
        url: spec.url,
        method: spec.method,
        body: spec.body ?? null,
        output: spec.outputPath
      })
    case 'module':
    case 'exec':
      return spec.configFingerprint
  }
}
