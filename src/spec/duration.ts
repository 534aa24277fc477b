/** A duration as the schema accepts it: milliseconds, or `500ms` / `30s` / `2m`. */
export type Duration = number | string

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 }

/** Milliseconds of a schema-valid duration. */
export function parseDuration(duration: Duration): number {
  if (typeof duration === 'number') return Math.round(duration)
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m)$/.exec(duration)
  if (match === null) throw new Error(`not a duration: ${duration}`)
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] as string] as number))
}
