import { run } from './main.js'

// The action's bundle entry (dist/index.js): everything else lives in main.ts.
await run()
