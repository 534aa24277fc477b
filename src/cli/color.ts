/**
 * What `FORCE_COLOR` says of colours: true when set to anything but `0` or `false` (also into a
 * pipe, and over `NO_COLOR`), false when set to one of those, undefined when unset.
 */
export function forcedColor(env: Record<string, string | undefined>): boolean | undefined {
  const force = env.FORCE_COLOR
  if (force === undefined) return undefined
  return force !== '0' && force.toLowerCase() !== 'false'
}
