/** undici 8, the HTTP client of the `http` and `openai` providers, needs Node.js 22.19. */
export const MINIMUM_NODE = '22.19.0'

function parts(version: string): number[] {
  return version
    .replace(/^v/, '')
    .split('.')
    .map((part) => Number.parseInt(part, 10) || 0)
}

/** Why this Node.js cannot run evalgate, or undefined when it can. */
export function unsupportedNode(version: string): string | undefined {
  const have = parts(version)
  const need = parts(MINIMUM_NODE)
  for (let i = 0; i < need.length; i++) {
    const difference = (have[i] ?? 0) - (need[i] ?? 0)
    if (difference > 0) return undefined
    if (difference < 0) {
      return `Node.js ${MINIMUM_NODE} or newer is needed, this is ${version.replace(/^v/, '')}: install a current Node.js (24 is what GitHub's runners use)`
    }
  }
  return undefined
}
