/**
 * evalgate's own work holds little (its results, tens of MB) but, 50 calls at a time, allocates
 * fast: by default V8 then doubles its young generation on each growth and lets the old
 * generation's limit run far above what is live, so a run of 2,000 calls peaked at twice its
 * loaded size (190 MB against 88 MB, `npm run bench`). A young generation kept at its starting size
 * and an old generation grown 10% at a time hold that peak near 140 MB, for a few percent more time
 * spent collecting. V8 reads both flags at each collection, so they can be set and undone at any
 * time.
 *
 * Code under test that holds a large heap (a model, an index) would pay for those bounds many
 * times over — a collection of the whole heap at each 10% of growth — and its latency with them:
 * it runs under V8's defaults, restored before it is loaded.
 */
import { setFlagsFromString } from 'node:v8'

let bounded = false

/** Keeps the heap near what it holds; called by the entries before anything else loads. */
export function boundHeap(): void {
  setFlagsFromString('--semi-space-growth-factor=1')
  setFlagsFromString('--heap-growing-percent=10')
  bounded = true
}

/** V8's own growth again (its defaults), before code under test loads into this process. */
export function releaseHeapBounds(): void {
  if (!bounded) return
  setFlagsFromString('--semi-space-growth-factor=2')
  setFlagsFromString('--heap-growing-percent=0')
  bounded = false
}
