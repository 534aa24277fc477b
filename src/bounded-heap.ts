/**
 * Imported first by every entry (the action, the CLI, the benchmark's measured process), so the
 * heap is bounded (see heap-bounds.ts) before anything else loads.
 */
import { boundHeap } from './heap-bounds.js'

boundHeap()
