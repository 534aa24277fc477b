export { findSpecFiles, DEFAULT_SPEC_PATHS } from './find.js'
export { loadSpecs, type LoadOptions } from './load.js'
export { derivedCaseId } from './cases.js'
export { writtenSecrets } from './written-secrets.js'
export {
  MissingVariableError,
  isVariableSet,
  renderTemplate,
  templateVariables
} from './template.js'
export type * from './types.js'
