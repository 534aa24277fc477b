/**
 * One error hierarchy for everything evalgate reports to a user. The CLI and the action print
 * `message` (never a stack) and exit with `exitCode`.
 */
export class EvalgateError extends Error {
  readonly exitCode: number
  constructor(message: string, exitCode = 1) {
    super(message)
    this.name = new.target.name
    this.exitCode = exitCode
  }
}

/** Where in which file a problem is; line and column are 1-based. */
export interface SourceLocation {
  file: string
  line?: number
  column?: number
}

/** One problem found in user input: a spec, a case file, a flag. */
export interface Diagnostic extends SourceLocation {
  /** Field path inside the document, e.g. `scorers[1].expected`; empty for the whole file. */
  path: string
  message: string
  hint?: string
  /** Set when the problem is this environment variable not being set (a fork gets no secrets). */
  unsetVariable?: string
}

/**
 * Characters a terminal shows as nothing, or as a plain space: control and format characters (a
 * NUL, a byte order mark, a zero-width space), line separators and spaces other than U+0020.
 */
const UNSEEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/gu

/** `text` with each unseen character written as `\uXXXX`, so a problem it causes can be seen. */
export function showUnseen(text: string): string {
  return text.replace(UNSEEN, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`)
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = [d.file, d.line, d.column].filter((part) => part !== undefined).join(':')
  const field = d.path ? ` ${d.path}:` : ''
  const hint = d.hint ? ` (${d.hint})` : ''
  return showUnseen(`${where}:${field} ${d.message}${hint}`)
}

/** Bad input (specs, case files, flags, inputs): every problem at once, exit code 2. */
export class InputError extends EvalgateError {
  readonly diagnostics: readonly Diagnostic[]
  constructor(diagnostics: readonly Diagnostic[], summary?: string) {
    const count = diagnostics.length
    const head = summary ?? `${count} problem${count === 1 ? '' : 's'} in the input`
    super([head + ':', ...diagnostics.map((d) => '  ' + formatDiagnostic(d))].join('\n'), 2)
    this.diagnostics = diagnostics
  }
}

/**
 * A run's results could not be written where asked; the message says where they were saved
 * instead. Exit 73, sysexits' "cannot create output file".
 */
export class ResultsWriteError extends EvalgateError {
  constructor(message: string) {
    super(message, 73)
  }
}

/** A command-line or action-input mistake with no file behind it. */
export class UsageError extends EvalgateError {
  constructor(message: string) {
    super(message, 2)
  }
}

export type ProviderErrorKind =
  | 'auth'
  | 'bad-request'
  | 'rate-limited'
  | 'server'
  | 'timeout'
  | 'network'
  | 'malformed-response'
  | 'exec'
  | 'module'
  | 'cancelled'

/** A call to a model or system under test failed; the case is recorded as errored, the run goes on. */
export class ProviderError extends EvalgateError {
  readonly kind: ProviderErrorKind
  readonly retryable: boolean
  /** Milliseconds the provider asked us to wait before retrying (Retry-After and friends). */
  readonly retryAfterMs: number | undefined
  constructor(
    kind: ProviderErrorKind,
    message: string,
    options: { retryable?: boolean; retryAfterMs?: number } = {}
  ) {
    super(message, 1)
    this.kind = kind
    this.retryable = options.retryable ?? false
    this.retryAfterMs = options.retryAfterMs
  }
}

/** An error's message; also of an Error from another realm (a vm context, a worker). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  const message = (error as { message?: unknown } | null)?.message
  return typeof message === 'string' && Object.prototype.toString.call(error) === '[object Error]'
    ? message
    : String(error)
}
