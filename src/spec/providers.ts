import { access } from 'node:fs/promises'
import { constants } from 'node:fs'
import { fingerprint } from '../results/fingerprint.js'
import { shellCommandLine } from '../providers/exec.js'
import { DEFAULT_RETRY_POLICY } from '../providers/retry.js'
import type { PriceSpec, ProviderSpec, SecretValue } from './types.js'
import type { Resolved, SpecContext } from './context.js'
import { checkedDuration, type Duration } from './duration.js'
import { ENV_REFERENCE } from './env-reference.js'
import { checkedModule } from './module-export.js'
import { templateVariables } from './template.js'
import { isMapping } from './yaml-file.js'
import type { FieldPath } from './yaml-file.js'

type Text = string | number | boolean

/** Provider entries as the schema guarantees them, before resolution. */
interface WrittenProviderBase {
  id: string
  label?: string
  timeout?: Duration
  concurrency?: number
  retry?: { 'max-attempts'?: number; 'base-delay'?: Duration; 'max-delay'?: Duration }
  'rate-limit'?: { 'requests-per-minute'?: number; 'tokens-per-minute'?: number }
  prices?: { input: number; 'cached-input'?: number; output: number }
}
export type WrittenProvider = WrittenProviderBase &
  (
    | { type: 'module'; path: string; export?: string }
    | {
        type: 'exec'
        command: string | string[]
        cwd?: string
        env?: Record<string, Text>
      }
    | {
        type: 'http'
        url: string
        method?: 'GET' | 'POST' | 'PUT' | 'PATCH'
        headers?: Record<string, Text>
        body?: unknown
        output: string
        usage?: { input?: string; output?: string }
        model?: string
      }
    | {
        type: 'openai'
        model: string
        params?: Record<string, unknown>
        'base-url'?: string
        'api-key'?: string
        stream?: boolean
      }
  )

/** The variable an `openai` provider without `api-key` (and without `base-url`) takes its key from. */
const DEFAULT_API_KEY_VARIABLE = 'OPENAI_API_KEY'

// Every `${` or `$${`, with the name and `}` when well formed: a `${` without them is a mistake.
const ENV_REFERENCE_OR_BROKEN = /\$(\$?)\{(?:([A-Za-z_][A-Za-z0-9_]*)\})?/g

/** A broken `${…}` as written: up to its `}`, or a short way when there is none. */
function brokenReferenceText(text: string, start: number): string {
  const rest = text.slice(start)
  const end = rest.indexOf('}')
  const written = end === -1 ? rest : rest.slice(0, end + 1)
  return written.length > 40 ? `${written.slice(0, 40)}…` : written
}

/** Request fields evalgate sets itself, and where to say what they mean instead. */
const FIELDS_NOT_PARAMS: Record<string, string> = {
  model: "the model is the provider's `model:`",
  messages: "the messages are the suite's `prompt:`",
  stream:
    'write `stream: true` beside `params:` (evalgate reads the stream, and measures the time to the first token)'
}

/** Refuses, in an openai provider's `params`, the fields evalgate sets itself. */
function checkParams(params: Record<string, unknown>, path: FieldPath, context: SpecContext) {
  const misplaced = Object.keys(params).filter((key) => key in FIELDS_NOT_PARAMS)
  for (const key of misplaced) {
    context.report([...path, key], `\`${key}\` is not a request parameter`, FIELDS_NOT_PARAMS[key])
  }
  return misplaced.length === 0
}

/**
 * Replaces `${VAR}` in every string of a provider entry, reporting each variable that is not set
 * and each malformed `${…}` at the string that holds it. Messages name variables, never values.
 */
export function expandEnv(value: unknown, path: FieldPath, context: SpecContext): unknown {
  if (typeof value === 'string') {
    const missing = new Set<string>()
    const broken: string[] = []
    const expanded = value.replace(
      ENV_REFERENCE_OR_BROKEN,
      (match, escaped: string, name: string | undefined, offset: number) => {
        // An escape: `$${NAME}` becomes `${NAME}`; whatever else follows `$${` is left as written.
        if (escaped) return name === undefined ? match : match.slice(1)
        if (name === undefined) {
          broken.push(brokenReferenceText(value, offset))
          return match
        }
        const set = context.env[name]
        if (set === undefined && context.requireSecrets) missing.add(name)
        return set ?? match
      }
    )
    for (const text of broken) {
      context.report(
        path,
        `malformed environment variable reference \`${text}\``,
        'write `${NAME}`: an ASCII letter or `_`, then ASCII letters, digits or `_`, and a closing `}`; `$${` keeps a literal `${`'
      )
    }
    for (const name of missing) {
      context.reportUnsetVariable(
        path,
        name,
        `export ${name}=... before running, or set it in the workflow's \`env:\``
      )
    }
    return expanded
  }
  if (Array.isArray(value))
    return value.map((item, index) => expandEnv(item, [...path, index], context))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, expandEnv(item, [...path, key], context)])
    )
  }
  return value
}

/**
 * Values shorter than this are not credentials (`1`, `fast`, `true`): written back as `${NAME}`,
 * they would only garble the text they appear in.
 */
const SECRET_MIN_LENGTH = 6

/**
 * `text` percent-encoded as the OpenAI SDK encodes a query value (RFC 3986: every character but
 * letters, digits and `-._~`, with upper-case hex), which `encodeURIComponent` is but for `!'()*`.
 */
function queryEncoded(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`
  )
}

/** `text` with its `%XX` decoded, as an openai provider reads a `base-url` query; else as it is. */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** `sent` as servers echo what was sent: inside JSON (PHP also escapes `/`), in a URL, in a case. */
function echoedForms(sent: string): string[] {
  return [
    sent,
    JSON.stringify(sent).slice(1, -1),
    JSON.stringify(sent).slice(1, -1).split('/').join('\\/'),
    encodeURIComponent(sent),
    queryEncoded(sent),
    // Form-encoded (a space as `+`), and as a form decoder reads a `+` of a URL: a space.
    new URLSearchParams({ value: sent }).toString().slice('value='.length),
    sent.split('+').join(' '),
    encodeURIComponent(sent.split('+').join(' ')),
    sent.toLowerCase(),
    sent.toUpperCase()
  ]
}

/**
 * The secret `value` of variable `name` as it may appear: also trimmed, since a key saved with a
 * trailing newline is sent trimmed (a header cannot hold the newline) and echoed so by a server;
 * and as a server may echo it, escaped in JSON, encoded in a URL or a form, or in another case.
 * A value in an openai provider's `base-url` query is sent `%XX`-decoded, then encoded again the
 * SDK's way: that value, and how it is sent, are forms of it too.
 */
export function secretForms(name: string, value: string): SecretValue[] {
  const sent = value.trim()
  const forms = [value, ...echoedForms(sent), ...echoedForms(percentDecoded(sent))]
  return [...new Set(forms)]
    .filter((form) => form.length >= SECRET_MIN_LENGTH)
    .map((form) => ({ name, value: form }))
}

/** The names of the `${VAR}`s `value` uses (deeply), not counting escaped `$${VAR}`s. */
function variableNames(value: unknown, names = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    for (const [, escaped, name] of value.matchAll(ENV_REFERENCE)) {
      if (!escaped && name !== undefined) names.add(name)
    }
  } else if (Array.isArray(value)) value.forEach((item) => variableNames(item, names))
  else if (value !== null && typeof value === 'object') {
    Object.values(value).forEach((item) => variableNames(item, names))
  }
  return names
}

/**
 * The `${VAR}`s a provider entry uses, as written (not escaped), whose values are its secrets. A
 * variable the `model:` uses is none: the run records the model in clear, and writing it back in
 * the model a server reports would leave every answer unpriced.
 */
function secretVariables(entry: Record<string, unknown>): string[] {
  const { model, ...settings } = entry
  const published = variableNames(model)
  return [...variableNames(settings)].filter((name) => !published.has(name))
}

/** The values of a provider entry's secretVariables that are set. */
function secretValues(entry: unknown, context: SpecContext): SecretValue[] {
  return secretVariables(entry as Record<string, unknown>).flatMap((name) => {
    const value = context.env[name]
    return value === undefined ? [] : secretForms(name, value)
  })
}

/**
 * The variables whose values a provider or judge entry, schema-valid or not, takes as its secrets
 * once resolved: its secretVariables, and OPENAI_API_KEY for an `openai` entry that names neither
 * `api-key` nor `base-url`.
 */
export function providerSecretVariables(entry: unknown): string[] {
  if (!isMapping(entry)) return []
  const names = secretVariables(entry)
  const defaultKey =
    entry.type === 'openai' && entry['api-key'] === undefined && entry['base-url'] === undefined
  return defaultKey ? [...names, DEFAULT_API_KEY_VARIABLE] : names
}

function resolvePrices(prices: NonNullable<WrittenProviderBase['prices']>): PriceSpec {
  return {
    input: prices.input,
    ...(prices['cached-input'] === undefined ? {} : { cachedInput: prices['cached-input'] }),
    output: prices.output
  }
}

/** Whether a string uses a `${VAR}` (not just an escaped `$${VAR}`). */
function usesVariable(text: string): boolean {
  return Array.from(text.matchAll(ENV_REFERENCE)).some(([, escaped]) => !escaped)
}

// A credential: `sk-…` (OpenAI, Anthropic…) or a long token mixing letters and digits. Placeholder
// keys of local servers (`ollama`, `not-needed`, `EMPTY`) are neither.
const KEY_LIKE = /^sk-|^(?=.*[0-9])(?=.*[A-Za-z])[\w.-]{24,}$/

/**
 * Reports an `api-key` written as a literal key in a provider entry (schema-valid or not): secrets
 * never live in the file, which is committed. The message never shows the value.
 */
export function checkLiteralApiKey(entry: unknown, path: FieldPath, context: SpecContext): void {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return
  const key = (entry as Record<string, unknown>)['api-key']
  if (typeof key !== 'string' || usesVariable(key) || !KEY_LIKE.test(key.trim())) return
  context.report(
    [...path, 'api-key'],
    'an API key is written in the spec file; secrets never live in the file',
    `write \`api-key: \${${DEFAULT_API_KEY_VARIABLE}}\` and set ${DEFAULT_API_KEY_VARIABLE} in the ` +
      'environment (in a workflow, from a secret); revoke the key if this file was ever committed'
  )
}

function stringValues(record: Record<string, Text> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record ?? {}).map(([key, value]) => [key, String(value)])
  )
}

// The command's own program, when written as a path (`./bin/app`), can be checked at load.
// What a one-string exec command's `${NAME}` is renamed to in the command and its environment.
export const SHELL_VARIABLE_PREFIX = 'EVALGATE_VAR_'
const PATH_LIKE = /^(\/|\.\.?\/)/

/** Settings of a provider entry that say how it is called or shown, never what it answers. */
const CALL_SETTINGS = new Set([
  'id',
  'label',
  'timeout',
  'retry',
  'rate-limit',
  'concurrency',
  'prices'
])

function withoutCallSettings(written: WrittenProvider): Record<string, unknown> {
  return Object.fromEntries(Object.entries(written).filter(([key]) => !CALL_SETTINGS.has(key)))
}

/**
 * Turns one schema-valid provider entry into a ProviderSpec. `written` is the entry as written
 * (the fingerprint's input, so no secret enters it); `expanded` has `${VAR}` replaced.
 */
export async function resolveProvider(
  written: WrittenProvider,
  expanded: WrittenProvider,
  path: FieldPath,
  context: SpecContext,
  role: 'provider' | 'judge' = 'provider'
): Promise<ProviderSpec | undefined> {
  // A duration too long is reported and left out; the rest is still checked, so every problem of
  // the entry shows at once (a reported problem keeps the suite from being built).
  const timeoutMs =
    expanded.timeout === undefined
      ? undefined
      : checkedDuration(expanded.timeout, [...path, 'timeout'], context)
  const retry = resolveRetry(expanded.retry, [...path, 'retry'], context)
  const rateLimit = resolveRateLimit(expanded['rate-limit'])
  const secrets = secretValues(written, context)
  // Only in a load that lets variables be unset: otherwise each is reported and the entry dropped.
  // Not the label's: it is only shown, so it never keeps a provider from being called.
  const { label: _shownOnly, ...sent } = written
  const unset = [...variableNames(sent)].filter((name) => context.env[name] === undefined)
  const base = {
    id: expanded.id,
    ...(expanded.label === undefined ? {} : { label: expanded.label }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(expanded.concurrency === undefined ? {} : { concurrency: expanded.concurrency }),
    ...(retry === undefined ? {} : { retry }),
    ...(rateLimit === undefined ? {} : { rateLimit }),
    ...(expanded.prices === undefined ? {} : { prices: resolvePrices(expanded.prices) }),
    ...(secrets.length === 0 ? {} : { secrets }),
    ...(unset.length === 0 ? {} : { unsetVariables: unset }),
    configFingerprint: fingerprint(written),
    answerConfigFingerprint: fingerprint(withoutCallSettings(written)),
    source: context.source(path)
  }
  switch (expanded.type) {
    case 'module': {
      const modulePath = await checkedModule(
        (written as { path: string }).path,
        expanded,
        { at: path, what: 'module' },
        context
      )
      if (modulePath === undefined) return undefined
      return {
        ...base,
        type: 'module',
        path: modulePath,
        export: expanded.export ?? 'default',
        specDirectory: context.specDirectory
      }
    }
    case 'exec': {
      const cwd = await context.existingPath({
        written: (written as { cwd?: string }).cwd ?? '.',
        expanded: expanded.cwd ?? '.',
        kind: 'directory',
        at: [...path, 'cwd'],
        what: 'working directory'
      })
      if (cwd === undefined) return undefined
      const writtenCommand = (written as { command: string | string[] }).command
      const programExists = await checkProgram(writtenCommand, expanded.command, cwd, path, context)
      if (!programExists) return undefined
      const env = stringValues(expanded.env)
      if (typeof writtenCommand !== 'string') {
        const command = expanded.command as string[]
        return { ...base, type: 'exec', command, cwd, env, specDirectory: context.specDirectory }
      }
      const shell = shellCommand(writtenCommand, context)
      if (shell.expandsVariables && context.system.platform === 'win32') {
        context.report(
          [...path, 'command'],
          'on Windows a command written as one string runs through cmd.exe, which would read the value of a `${NAME}` as part of the command',
          'write the command as a list, `[program, arg, …]`, where each `${NAME}` is one argument'
        )
        return undefined
      }
      return {
        ...base,
        type: 'exec',
        ...shellCommandLine(shell.command, context.system),
        cwd,
        env: { ...shell.variables, ...env },
        specDirectory: context.specDirectory
      }
    }
    case 'http': {
      // The body as written: its template is rendered before its `${VAR}`s are replaced, so an
      // environment value is sent exactly as set, never read as a template.
      const writtenHttp = written as typeof expanded
      // Both checked, whatever the first finds: every problem of the entry is said at once.
      const usableUrl = checkEndpointUrl(written, expanded, path, context)
      const shapeFine = checkHttpRequestShape(writtenHttp, path, context, role)
      if (!usableUrl || !shapeFine) return undefined
      const bodyEnv = Object.fromEntries(
        [...variableNames(writtenHttp.body)].flatMap((name) => {
          const value = context.env[name]
          return value === undefined ? [] : [[name, value]]
        })
      )
      return {
        ...base,
        type: 'http',
        url: expanded.url,
        method: expanded.method ?? 'POST',
        headers: stringValues(expanded.headers),
        ...(writtenHttp.body === undefined ? {} : { body: writtenHttp.body }),
        ...(Object.keys(bodyEnv).length === 0 ? {} : { bodyEnv }),
        outputPath: expanded.output,
        ...(expanded.usage === undefined ? {} : { usagePaths: expanded.usage }),
        ...(expanded.model === undefined ? {} : { modelPath: expanded.model })
      }
    }
    case 'openai': {
      const baseUrl = expanded['base-url']
      const usableUrl = checkEndpointUrl(written, expanded, path, context)
      const paramsFine = checkParams(expanded.params ?? {}, [...path, 'params'], context)
      if (!usableUrl || !paramsFine) return undefined
      let apiKey = expanded['api-key']
      // An OpenAI-compatible server may need no key; the OpenAI API always does.
      let defaultKey: SecretValue[] = []
      if (apiKey === undefined && baseUrl === undefined) {
        apiKey = defaultApiKey(path, context)
        // Without the key, a run that calls no provider (a replay) still has the provider.
        if (apiKey !== undefined) defaultKey = secretForms(DEFAULT_API_KEY_VARIABLE, apiKey)
        else if (context.requireSecrets) return undefined
        else unset.push(DEFAULT_API_KEY_VARIABLE)
      }
      return {
        ...base,
        ...(unset.length === 0 ? {} : { unsetVariables: unset }),
        ...(defaultKey.length === 0 ? {} : { secrets: [...secrets, ...defaultKey] }),
        type: 'openai',
        model: expanded.model,
        params: expanded.params ?? {},
        ...(baseUrl === undefined ? {} : { baseUrl }),
        ...(apiKey === undefined ? {} : { apiKey }),
        stream: expanded.stream ?? false
      }
    }
  }
}

/**
 * The key of an `openai` provider that names neither `api-key` nor `base-url`: the OpenAI API
 * needs one, read from OPENAI_API_KEY like an `api-key: ${OPENAI_API_KEY}` would be. Reported at
 * the provider when the variable is not set.
 */
function defaultApiKey(path: FieldPath, context: SpecContext): string | undefined {
  const key = context.env[DEFAULT_API_KEY_VARIABLE]
  if (key === undefined && context.requireSecrets) {
    context.reportUnsetVariable(
      path,
      DEFAULT_API_KEY_VARIABLE,
      `the OpenAI API key is read from ${DEFAULT_API_KEY_VARIABLE} when \`api-key\` is not set: ` +
        `export ${DEFAULT_API_KEY_VARIABLE}=... before running, or set it in the workflow's \`env:\``
    )
  }
  return key
}

/**
 * `retry:` with the defaults of DEFAULT_RETRY_POLICY filled in; undefined when not written, or
 * when a delay is too long (reported).
 */
function resolveRetry(
  retry: WrittenProviderBase['retry'],
  path: FieldPath,
  context: SpecContext
): ProviderSpec['retry'] {
  if (retry === undefined) return undefined
  const delay = (key: 'base-delay' | 'max-delay', fallback: number): number | undefined => {
    const written = retry[key]
    return written === undefined ? fallback : checkedDuration(written, [...path, key], context)
  }
  const baseDelayMs = delay('base-delay', DEFAULT_RETRY_POLICY.baseDelayMs)
  const maxDelayMs = delay('max-delay', DEFAULT_RETRY_POLICY.maxDelayMs)
  if (baseDelayMs === undefined || maxDelayMs === undefined) return undefined
  const policy = {
    maxAttempts: retry['max-attempts'] ?? DEFAULT_RETRY_POLICY.maxAttempts,
    baseDelayMs,
    maxDelayMs
  }
  // Not an error for the backoff (the cap wins), but surely not what the user meant.
  if (policy.baseDelayMs > policy.maxDelayMs) {
    context.report(
      [...path, retry['base-delay'] === undefined ? 'max-delay' : 'base-delay'],
      `\`base-delay\` (${policy.baseDelayMs} ms) is longer than \`max-delay\` (${policy.maxDelayMs} ms)`,
      `the defaults are ${DEFAULT_RETRY_POLICY.baseDelayMs}ms and ${DEFAULT_RETRY_POLICY.maxDelayMs / 1000}s`
    )
  }
  return policy
}

function resolveRateLimit(limit: WrittenProviderBase['rate-limit']): ProviderSpec['rateLimit'] {
  if (limit === undefined) return undefined
  const requests = limit['requests-per-minute']
  const tokens = limit['tokens-per-minute']
  return {
    ...(requests === undefined ? {} : { requestsPerMinute: requests }),
    ...(tokens === undefined ? {} : { tokensPerMinute: tokens })
  }
}

/**
 * Reports the `url` of an `http` provider or the `base-url` of an `openai` one when it is no
 * http(s) URL, holds credentials (`user:password@`) or has a fragment (`#…`); true when there is
 * nothing to report. Credentials are never sent: no Authorization header is made of them, and the
 * server's 401 would seem to blame the headers. Neither is a fragment: an `http` provider would
 * drop it unsaid, and the OpenAI SDK would post every call to the base URL itself, its path
 * written after the `#`. The entry need not be valid otherwise: a wrong
 * URL is reported together with the entry's other problems.
 */
function checkEndpointUrl(
  written: unknown,
  expanded: unknown,
  path: FieldPath,
  context: SpecContext
): boolean {
  const entry = expanded as { type?: unknown; url?: unknown; 'base-url'?: unknown }
  const field = entry.type === 'http' ? 'url' : entry.type === 'openai' ? 'base-url' : undefined
  const url = field === undefined ? undefined : entry[field]
  if (field === undefined || typeof url !== 'string') return true
  // The URL as written: the expanded one may hold a secret.
  const asWritten = (written as Record<string, unknown>)[field]
  const shown = typeof asWritten === 'string' ? asWritten : url
  if (!isUsableUrl(url, context)) {
    context.report(
      [...path, field],
      `\`${shown}\` is not an http(s) URL`,
      field === 'url'
        ? 'write a full URL such as `http://127.0.0.1:8080/v1/answer`'
        : "write the server's API root, such as `http://localhost:11434/v1`"
    )
    return false
  }
  if (hasCredentials(url)) {
    // Not quoted: the password may be a secret's value.
    context.report(
      [...path, field],
      `the ${field} holds credentials (\`user:password@\`), which are never sent to the server`,
      field === 'url'
        ? "remove them and send them in a header: `headers: { Authorization: 'Bearer ${TOKEN}' }` (or `Basic` and their base64)"
        : 'remove them and give the key as `api-key: ${API_KEY}`, sent as `Authorization: Bearer …`'
    )
    return false
  }
  if (hasFragment(url)) {
    const problem = `\`${shown}\` has a fragment (\`#…\`), which is never sent to the server`
    // A `#` no one wrote comes from a `${VAR}`'s value: named, never shown (it may be a secret).
    const holdingHash =
      typeof asWritten === 'string' && !asWritten.includes('#')
        ? [...variableNames(asWritten)].filter((name) => context.env[name]?.includes('#'))
        : []
    if (holdingHash.length > 0) {
      const names = holdingHash.map((name) => `\`\${${name}}\``).join(' and ')
      const one = holdingHash.length === 1
      const values = `${one ? 'the value' : 'the values'} of ${names}`
      context.report(
        [...path, field],
        `${problem}: ${values} ${one ? 'holds' : 'hold'} a \`#\``,
        `write that \`#\` as \`%23\` in ${values}`
      )
      return false
    }
    context.report(
      [...path, field],
      problem,
      'remove it; a `#` that belongs to a query value is written `%23`'
    )
    return false
  }
  return true
}

/** The text of every string in `value`, deeply. */
export function textLeaves(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(textLeaves)
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(textLeaves)
  return []
}

/** Every key of the mappings in `value`, deeply, with the path of its value. */
function mappingKeys(value: unknown, at: FieldPath = []): { key: string; at: FieldPath }[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => mappingKeys(item, [...at, index]))
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([key, item]) => [
    { key, at: [...at, key] },
    ...mappingKeys(item, [...at, key])
  ])
}

// A header name HTTP can carry: an RFC 9110 token.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** A response path as evalgate reads it: names and indexes between dots, none empty. */
function isDottedPath(path: string): boolean {
  return path.split('.').every((key) => key !== '') && !/[[\]]/.test(path)
}

/** `choices[0]['message'].content.` as the dotted path it means: `choices.0.message.content`. */
function dottedPath(path: string): string {
  return path
    .replace(/\[\s*(?:'([^']*)'|"([^"]*)"|([^\]]*?))\s*\]/g, (_match, a, b, c) => `.${a ?? b ?? c}`)
    .split('.')
    .filter((key) => key !== '')
    .join('.')
}

/**
 * What an http provider's spec (as written, before `${VAR}` expansion) would silently not send, or
 * could never read: a body with GET, a `{{var}}` in the URL or a body key (the body's values are
 * the template; the URL and keys are sent as written), a provider's request without anything of
 * the case (every case would get the same answer), a header name HTTP cannot carry, a response
 * path that is not dotted.
 */
function checkHttpRequestShape(
  entry: {
    url: string
    method?: string
    headers?: Record<string, Text>
    body?: unknown
    output: string
    usage?: { input?: string; output?: string }
    model?: string
  },
  path: FieldPath,
  context: SpecContext,
  role: 'provider' | 'judge'
): boolean {
  let fine = true
  const report = (at: FieldPath, message: string, hint: string) => {
    context.report([...path, ...at], message, hint)
    fine = false
  }
  if (entry.method === 'GET' && entry.body !== undefined) {
    report(
      ['body'],
      'a GET request sends no body, so this one would never be sent',
      'remove `body`, or send it with `method: POST` (the default)'
    )
  } else if (role === 'provider') {
    // A judge's request is checked for `{{prompt}}`, its rubric and answer, by its scorer.
    const sent = entry.method === 'GET' ? [] : textLeaves(entry.body)
    if (!sent.some((text) => templateVariables(text).length > 0)) {
      report(
        entry.body === undefined ? [] : ['body'],
        "the request carries neither `{{prompt}}` nor a case's variable: every case would get the same answer",
        "put them in the `body`, rendered for each case and sent with POST (the default): `body: { input: '{{prompt}}' }`"
      )
    }
  }
  if (typeof entry.body === 'string' && isJsonContainer(entry.body)) {
    report(
      ['body'],
      'the body is a string of JSON, so it would be sent as one JSON string (quoted and escaped)',
      "write the body as a YAML mapping, such as `body: { input: '{{prompt}}' }`"
    )
  }
  const [placeholder] = templateVariables(entry.url)
  if (placeholder !== undefined) {
    report(
      ['url'],
      `\`{{${placeholder}}}\` would be sent as written: the url is not a template`,
      "put a case's values in the `body`, which is rendered for each case"
    )
  }
  // Only a body's values are rendered for each case, and given their `${VAR}`s.
  for (const { key, at } of mappingKeys(entry.body)) {
    const [variable] = templateVariables(key)
    const sentAsWritten =
      variable !== undefined
        ? `\`{{${variable}}}\` would be sent as written: a body key is not a template`
        : usesVariable(key)
          ? `\`${key}\` would be sent as written: a body key's \`\${VAR}\` is not replaced`
          : undefined
    if (sentAsWritten === undefined) continue
    report(
      ['body', ...at],
      sentAsWritten,
      "write the key as the endpoint expects it, and a case's values or the environment's in the body's values: `body: { input: '{{prompt}}' }`"
    )
  }
  for (const name of Object.keys(entry.headers ?? {})) {
    if (HEADER_NAME.test(name)) continue
    report(
      ['headers', name],
      `\`${name}\` is not a header name HTTP can carry`,
      'a header name is letters, digits and `-` (no spaces or `:`), such as `X-Api-Key`'
    )
  }
  const responsePaths: [FieldPath, string | undefined][] = [
    [['output'], entry.output],
    [['usage', 'input'], entry.usage?.input],
    [['usage', 'output'], entry.usage?.output],
    [['model'], entry.model]
  ]
  for (const [at, responsePath] of responsePaths) {
    if (responsePath === undefined || isDottedPath(responsePath)) continue
    const meant = dottedPath(responsePath)
    report(
      at,
      `\`${responsePath}\` is not a dotted path`,
      `${meant === '' ? '' : `did you mean \`${meant}\`? `}names and array indexes go between dots, none empty`
    )
  }
  return fine
}

/** Whether `text` is a JSON object or array. */
function isJsonContainer(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text)
    return value !== null && typeof value === 'object'
  } catch {
    return false
  }
}

/**
 * A URL is an http(s) URL, or, in a run that calls no provider (a replay needs no secrets),
 * still holds a `${VAR}` left unset: no request is ever sent to it.
 */
function isUsableUrl(text: string, context: SpecContext): boolean {
  return isHttpUrl(text) || (!context.requireSecrets && usesVariable(text))
}

/** Whether a URL holds a user name or password (`http://user:password@host/`). */
function hasCredentials(text: string): boolean {
  if (!URL.canParse(text)) return false
  const { username, password } = new URL(text)
  return username !== '' || password !== ''
}

/** Whether a URL ends with a fragment, an empty one (`…/v1#`) included. */
function hasFragment(text: string): boolean {
  return URL.canParse(text) && new URL(text).href.includes('#')
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

/**
 * A one-string exec command with its `${NAME}`s left for the shell to expand, from variables of
 * the command's environment holding evalgate's values: a value is never pasted into the command
 * line, where the shell would run a `;` or `$(…)` in it. Each goes under a name of evalgate's own
 * (`EVALGATE_VAR_NAME`), since the shell sets some names itself (`PWD` to its working directory)
 * and `env:` may set the same name for the program. `$${NAME}` is the shell's own `${NAME}`.
 */
function shellCommand(
  written: string,
  context: SpecContext
): { command: string; variables: Record<string, string>; expandsVariables: boolean } {
  const variables: Record<string, string> = {}
  let expandsVariables = false
  const command = written.replace(ENV_REFERENCE, (match, escaped: string, name: string) => {
    if (escaped) return match.slice(1)
    expandsVariables = true
    // An unset one is passed as its `${NAME}`: its provider is only ever replayed (unsetVariables),
    // never run, and its configuration is the same, set or not (a fork's pull request).
    variables[`${SHELL_VARIABLE_PREFIX}${name}`] = context.env[name] ?? `\${${name}}`
    return `\${${SHELL_VARIABLE_PREFIX}${name}}`
  })
  return { command, variables, expandsVariables }
}

/**
 * The first word of a command written as one string, as its shell reads it: /bin/sh takes a
 * backslash-escaped character (`./my\ app/run`) and single or double quotes (`"./my app/run"`)
 * as part of the word; cmd.exe only double quotes, a backslash being a path's separator there.
 */
function firstShellWord(command: string, platform: NodeJS.Platform): string {
  const posix = platform !== 'win32'
  const text = command.trimStart()
  let word = ''
  let quote: string | undefined
  for (let at = 0; at < text.length; at++) {
    const char = text.charAt(at)
    if (quote === undefined && /\s/.test(char)) break
    if (char === quote) quote = undefined
    else if (quote === undefined && (char === '"' || (posix && char === "'"))) quote = char
    else if (posix && char === '\\' && quote !== "'" && at + 1 < text.length) {
      // Inside double quotes a backslash escapes only what is special there.
      const next = text.charAt(at + 1)
      if (quote === undefined || '$`"\\'.includes(next)) {
        word += next
        at++
      } else word += char
    } else word += char
  }
  return word
}

/** The command's first word, when it is written as a path (`./bin/app`). */
function programPath(command: string | string[], platform: NodeJS.Platform): string | undefined {
  const first = typeof command === 'string' ? firstShellWord(command, platform) : command[0]
  return first !== undefined && PATH_LIKE.test(first) ? first : undefined
}

/**
 * An exec command whose program is a path must name an existing file. Other commands (`node x.js`,
 * shell built-ins) are looked up on PATH at run time and cannot be checked here.
 */
async function checkProgram(
  written: string | string[],
  expanded: string | string[],
  cwd: string,
  path: FieldPath,
  context: SpecContext
): Promise<boolean> {
  const program = programPath(expanded, context.system.platform)
  if (program === undefined) return true
  const shown = programPath(written, context.system.platform) ?? program
  const at = typeof expanded === 'string' ? [...path, 'command'] : [...path, 'command', 0]
  const found = await context.existingPath({
    written: shown,
    expanded: program,
    kind: 'file',
    at,
    what: 'program',
    base: { directory: cwd, name: "the command's `cwd`" }
  })
  if (found === undefined) return false
  try {
    await access(found, constants.X_OK)
  } catch {
    // Run as it is, every call would fail with the shell's exit code 126.
    context.report(
      at,
      `program \`${shown}\` is not executable`,
      `make it executable (\`chmod +x ${shown}\`), or run it with its interpreter, e.g. \`sh ${shown}\``
    )
    return false
  }
  return true
}

/**
 * Resolves the `providers:` list: expands `${VAR}` in every entry (even one with schema errors, so
 * all missing variables show at once), checks ids are unique and resolves the valid entries.
 */
export async function resolveProviders(
  entries: unknown,
  isValid: (path: FieldPath) => boolean,
  context: SpecContext
): Promise<Resolved<ProviderSpec>[]> {
  if (!Array.isArray(entries)) return []
  const firstLineOfId = new Map<string, number>()
  const providers: Resolved<ProviderSpec>[] = []
  // One at a time, so diagnostics come in the order of the file.
  for (const [index, entry] of entries.entries()) {
    const path = ['providers', index]
    checkLiteralApiKey(entry, path, context)
    const reported = context.diagnostics.length
    const expanded = expandEnv(entry, path, context) as WrittenProvider
    const variablesSet = context.diagnostics.length === reported
    if (!isValid(path)) {
      // Its other fields are not to be trusted, but a wrong URL, or a module without its
      // function, is still worth saying now: all at once, not one round of fixes after another.
      if (variablesSet && isMapping(entry)) {
        if (isValid([...path, 'url']) && isValid([...path, 'base-url'])) {
          checkEndpointUrl(entry, expanded, path, context)
        }
        const module = expanded as { type?: unknown; path?: unknown; export?: unknown }
        if (
          module.type === 'module' &&
          typeof module.path === 'string' &&
          isValid([...path, 'path']) &&
          isValid([...path, 'export'])
        ) {
          await checkedModule(
            entry.path as string,
            {
              path: module.path,
              ...(typeof module.export === 'string' ? { export: module.export } : {})
            },
            { at: path, what: 'module' },
            context
          )
        }
      }
      continue
    }
    const written = entry as WrittenProvider
    const seenAt = firstLineOfId.get(written.id)
    if (seenAt !== undefined) {
      context.report(
        [...path, 'id'],
        `duplicate provider id \`${written.id}\``,
        `first used at line ${seenAt}; provider ids must be unique within a spec`
      )
      continue
    }
    firstLineOfId.set(written.id, context.yaml.position([...path, 'id']).line)
    // With a variable unset, a URL or path would be reported again as wrong: once is enough.
    if (!variablesSet) continue
    const provider = await resolveProvider(written, expanded, path, context)
    if (provider !== undefined) providers.push({ spec: provider, path })
  }
  return providers
}
