import packageJson from '../package.json' with { type: 'json' }

/** The version recorded in every RunResult and printed by `evalgate --version`. */
export const TOOL_VERSION: string = packageJson.version
