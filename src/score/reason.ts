/** Reasons end up in PR comments and terminals: keep each one short. */
export const MAX_REASON_LENGTH = 200
const MAX_QUOTED_LENGTH = 80

export function truncate(text: string, max = MAX_REASON_LENGTH): string {
  const codePoints = Array.from(text)
  return codePoints.length <= max ? text : codePoints.slice(0, max - 1).join('') + '…'
}

/** A value as a JSON string literal (so newlines and quotes stay visible), cut to fit in a reason. */
export function quote(text: string): string {
  return JSON.stringify(truncate(text, MAX_QUOTED_LENGTH))
}
