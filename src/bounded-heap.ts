/**
 * Imported first by every entry (the action, the CLI, the benchmark's measured process), so it
 * takes hold before anything else loads: keeps the process's memory near what it holds. A run holds
 * little (its results, tens of MB) but, 50 calls at a time, allocates fast: by default V8 then
 * doubles its young generation on each growth and lets the old generation's limit run far above
 * what is live, so the process peaked at twice its loaded size (190 MB against 88 MB, `npm run
 * bench`). A young generation kept at its starting size and an old generation grown 10% at a time
 * hold that peak near 140 MB, for a few percent more time spent collecting. V8 reads both flags at
 * each collection, so setting them at start, before the run allocates, is enough.
 */
import { setFlagsFromString } from 'node:v8'

setFlagsFromString('--semi-space-growth-factor=1')
setFlagsFromString('--heap-growing-percent=10')
