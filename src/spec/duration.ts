import type { SpecContext } from './context.js'
import type { FieldPath } from './yaml-file.js'

/** A duration as the schema accepts it: milliseconds, or `500ms` / `30s` / `2m` / `1h`. */
export type Duration = number | string

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/**
 * The longest duration a spec may set: no call or retry wait is meant to take longer, and Node's
 * timers fire at once for 2^31 ms (about 24.8 days) or more, which would fail every call.
 * The schema's `maximum` for a duration in milliseconds.
 */
export const MAX_DURATION_MS = 24 * 60 * 60 * 1000

/** A duration as a spec would write it: `1500 ms`, `60 s`, `2.5 min`. */
export function durationText(ms: number): string {
  if (ms < 1000) return `${ms} ms`
  if (ms < 120_000) return `${ms / 1000} s`
  return `${ms / 60_000} min`
}

/** Milliseconds of a schema-valid duration. */
export function parseDuration(duration: Duration): number {
  if (typeof duration === 'number') return Math.round(duration)
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/.exec(duration)
  if (match === null) throw new Error(`not a duration: ${duration}`)
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] as string] as number))
}

/**
 * Milliseconds of a schema-valid duration written at `path`; undefined, and reported, when it is
 * zero or longer than MAX_DURATION_MS (the schema only bounds plain numbers, not `0s` or `99999s`).
 */
export function checkedDuration(
  duration: Duration,
  path: FieldPath,
  context: SpecContext
): number | undefined {
  const ms = parseDuration(duration)
  if (ms < 1) {
    // The schema refuses 0 as a number; `0s` is the same zero, and every call would time out.
    context.report(
      path,
      `duration \`${String(duration)}\` is zero`,
      'a duration is at least 1 ms, e.g. `500ms` or `30s`'
    )
    return undefined
  }
  if (ms <= MAX_DURATION_MS) return ms
  context.report(
    path,
    `duration \`${String(duration)}\` is longer than 24 hours`,
    'a duration is at most 24 hours: `24h`, `1440m`, `86400s` or `86400000` milliseconds'
  )
  return undefined
}
