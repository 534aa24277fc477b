// First: V8's heap bounds take hold before anything else loads (see bounded-heap.ts); then a
// signal received while the rest loads is kept for the run (see signals.ts).
import './bounded-heap.js'
import './signals.js'
import { run } from './main.js'

// The action's bundle entry (dist/index.js): everything else lives in main.ts.
await run()
// Everything is written by now; a timer left behind by the code under test (a call that ignored
// its abort signal) must not hold the process open.
setTimeout(() => process.exit(), 1000).unref()
