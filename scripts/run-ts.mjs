// Runs a TypeScript entry (a benchmark) on the current node: esbuild bundles it to .bench-build/
// first, because NodeNext sources import `./x.js` files that only exist as `./x.ts`.
import { build } from 'esbuild'
import { spawnSync } from 'node:child_process'
import { basename, resolve } from 'node:path'

const [entry, ...args] = process.argv.slice(2)
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <entry.ts> [args...]')
  process.exit(2)
}
const outfile = resolve('.bench-build', basename(entry).replace(/\.ts$/, '.mjs'))
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning'
})
const child = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...args], {
  stdio: 'inherit'
})
process.exit(child.status ?? 1)
