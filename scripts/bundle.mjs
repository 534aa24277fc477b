// Builds the shipped bundles: dist/index.js (the action) and dist/cli.js (the CLI).
// Both are committed; .ci/run rebuilds them and fails when they differ from the commit.
import { build } from 'esbuild'

// CommonJS dependencies bundled into ESM still call require() for node built-ins.
const requireShim =
  "import { createRequire as __evalgateCreateRequire } from 'node:module'; const require = __evalgateCreateRequire(import.meta.url);"

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  legalComments: 'none',
  logLevel: 'warning',
  charset: 'utf8'
}

await build({
  ...common,
  entryPoints: ['src/index.ts'],
  outfile: 'dist/index.js',
  banner: { js: requireShim }
})
await build({
  ...common,
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/cli.js',
  banner: { js: `#!/usr/bin/env node\n${requireShim}` }
})
