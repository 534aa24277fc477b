// Builds the shipped bundles: dist/index.js (the action) and dist/cli.js (the CLI).
// Both are committed; .ci/run rebuilds them and fails when they differ from the commit.
import { bundleForNode } from './esbuild-node.mjs'

await bundleForNode({ entry: 'src/index.ts', outfile: 'dist/index.js' })
await bundleForNode({ entry: 'src/cli.ts', outfile: 'dist/cli.js', shebang: true })
