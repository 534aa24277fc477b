// One way to bundle TypeScript for Node, shared by the shipped bundles (bundle.mjs), the
// benchmarks (run-ts.mjs) and the tests that run the CLI and the action as processes.
import { build } from 'esbuild'

// CommonJS dependencies bundled into ESM still call require() for node built-ins.
const REQUIRE_SHIM =
  "import { createRequire as __evalgateCreateRequire } from 'node:module'; const require = __evalgateCreateRequire(import.meta.url);"

/** Bundles `entry` into one ESM file for Node ≥ 22. */
export async function bundleForNode({
  entry,
  outfile,
  shebang = false,
  external = false,
  sourcemap = false
}) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    legalComments: 'none',
    logLevel: 'warning',
    charset: 'utf8',
    ...(external ? { packages: 'external' } : {}),
    ...(sourcemap ? { sourcemap: 'inline' } : {}),
    banner: { js: `${shebang ? '#!/usr/bin/env node\n' : ''}${REQUIRE_SHIM}` }
  })
}
