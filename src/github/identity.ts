/**
 * Whose comments are evalgate's. A sticky comment is only ever looked for among comments written
 * by the token's own identity, so a marker copied into someone else's comment is never edited.
 *
 * - A personal access token: `GET /user` names the login.
 * - An installation token (GITHUB_TOKEN, a GitHub App): GitHub refuses `GET /user` with 403, and
 *   the installation cannot look its own bot name up without the App's private key. GITHUB_TOKEN
 *   always writes as `github-actions[bot]`, so that is the default; a GitHub App's token writes as
 *   `<app-slug>[bot]` and must be named through `configured` (an action input).
 */
import type { GitHubClient } from './client.js'

/** The author of everything GITHUB_TOKEN writes. */
export const ACTIONS_BOT_LOGIN = 'github-actions[bot]'

export interface TokenIdentity {
  login: string
  source: 'configured' | 'token-user' | 'installation-default'
}

export async function resolveTokenIdentity(
  client: Pick<GitHubClient, 'getAuthenticatedLogin'>,
  configured?: string
): Promise<TokenIdentity> {
  const given = configured?.trim()
  if (given) return { login: given, source: 'configured' }
  const login = await client.getAuthenticatedLogin()
  return login
    ? { login, source: 'token-user' }
    : { login: ACTIONS_BOT_LOGIN, source: 'installation-default' }
}

/** GitHub logins are case-insensitive. */
export function sameLogin(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase()
}
