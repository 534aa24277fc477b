import type { ProviderSpec } from '../spec/types.js'
import { ExecProvider } from './exec.js'
import { HttpProvider } from './http.js'
import { ModuleProvider } from './module.js'
import { OpenAIProvider } from './openai.js'
import type { Provider } from './types.js'

export type { Provider, ProviderRequest, ProviderResponse } from './types.js'
export { importExport } from './module.js'

/** Builds the provider a spec describes; loading errors are ProviderErrors naming the provider. */
export async function createProvider(spec: ProviderSpec): Promise<Provider> {
  switch (spec.type) {
    case 'module':
      return ModuleProvider.create(spec)
    case 'exec':
      return new ExecProvider(spec)
    case 'http':
      return new HttpProvider(spec)
    case 'openai':
      return new OpenAIProvider(spec)
  }
}
