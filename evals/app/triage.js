import { answer } from './rules.js'

/** The `module` provider: evalgate calls this with the case's variables and rendered prompt. */
export function routeTicket({ vars }) {
  return answer(String(vars.ticket), 1)
}
