// Runs a TypeScript entry (a benchmark) on the current node: bundled to .bench-build/ first,
// because NodeNext sources import `./x.js` files that only exist as `./x.ts`.
import { spawnSync } from 'node:child_process'
import { basename, resolve } from 'node:path'
import { bundleForNode } from './esbuild-node.mjs'

const [entry, ...args] = process.argv.slice(2)
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <entry.ts> [args...]')
  process.exit(2)
}
const outfile = resolve('.bench-build', basename(entry).replace(/\.ts$/, '.mjs'))
await bundleForNode({ entry, outfile, external: true, sourcemap: true })
const child = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...args], {
  stdio: 'inherit'
})
process.exit(child.status ?? 1)
