import type { ProviderSpec } from '../spec/types.js'
import { ExecProvider } from './exec.js'
import { HttpProvider } from './http.js'
import { ModuleProvider } from './module.js'
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
    case 'openai': {
      // Loaded on first use: the SDK is a third of the CLI's start-up memory and time.
      const { OpenAIProvider } = await import('./openai.js')
      return new OpenAIProvider(spec)
    }
  }
}
