import type { ParseArgsConfig } from 'node:util'
import { UsageError } from '../errors.js'
import { closestMatch } from '../spec/did-you-mean.js'

// Not imported: Node's ES module of node:util reads its colour settings when it loads, before the
// CLI settles FORCE_COLOR against NO_COLOR, and warns when both are set (see cli.ts).
const { parseArgs } = process.getBuiltinModule('node:util')

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * parseArgs's message in one line: an option without its value (given none, or followed by
 * another option) says so plainly, rather than in node's three lines about `--out=-XYZ`.
 */
function usageText(message: string, options: Options): string {
  const flag = /^Option '(?:-\w, )?(--[\w-]+)[^']*' argument (?:missing|is ambiguous)/.exec(
    message
  )?.[1]
  if (flag) return `${flag} needs a value (one that starts with a dash is written ${flag}=-value)`
  const unknown = /^Unknown option '(-{1,2})([^'=]*)/.exec(message)
  if (unknown) {
    const [, dashes, name = ''] = unknown
    const match = closestMatch(name, Object.keys(options))
    return `unknown option ${dashes}${name}${match ? ` (did you mean --${match}?)` : ''}`
  }
  return message.replace(/\.$/, '')
}

/** node's parseArgs, with its errors turned into one-line usage errors pointing at the command's help. */
export function parseCommandArgs<T extends Options>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError(
      `${usageText((error as Error).message, options)}. See \`evalgate ${command} --help\`.`
    )
  }
}

export function positiveInteger(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  // Digits only: Number() would also take "1e3", "0x10" and " ".
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`--${flag} must be a positive integer, got "${text}"`)
  }
  return value
}

export function oneOf<T extends string>(
  flag: string,
  text: string | undefined,
  allowed: readonly T[]
): T | undefined {
  if (text === undefined) return undefined
  if (!(allowed as readonly string[]).includes(text)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got "${text}"`)
  }
  return text as T
}
