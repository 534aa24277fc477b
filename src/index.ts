import { run } from './main.js'

// The action's bundle entry (dist/index.js): everything else lives in main.ts.
await run()
// Everything is written by now; a timer left behind by the code under test (a call that ignored
// its abort signal) must not hold the process open.
setTimeout(() => process.exit(), 1000).unref()
