import { durationText } from '../spec/duration.js'
import { renderTemplate, templateVariables } from '../spec/template.js'
import type {
  ContainsScorerSpec,
  EqualsScorerSpec,
  NumericScorerSpec,
  RegexScorerSpec,
  SimilarityScorerSpec
} from '../spec/types.js'
import { ScorerConfigProblem } from './errors.js'
import { similarity } from './levenshtein.js'
import { PASSED, failed, type ScoreFunction } from './outcome.js'
import { quote, quoteStartsForDifference, truncate } from './reason.js'
import { RegexTimeoutError, type RegexMatcher } from './regex-matcher.js'

/**
 * Text as the text scorers compare it: in Unicode's composed form (NFC), so an `é` typed as `e`
 * and a combining accent equals the `é` that looks the same.
 */
function composed(text: string): string {
  return text.normalize('NFC')
}

/**
 * Case-insensitive form: upper then lower case, so `ß` meets `SS` (`STRASSE` = `straße`), and a
 * Greek final `ς` as `σ`: lowering writes a word's last `Σ` as `ς`, so `ΟΔΟΣ` would not be found
 * inside `ΟΔΟΣΗΜΑΝΣΗ`, where the same letter is not last.
 */
function caseless(text: string): string {
  return composed(text).toUpperCase().toLowerCase().replaceAll('ς', 'σ')
}

/**
 * equals: the output equals the rendered `expected`, after trimming both sides (unless
 * `trim: false`), in composed form, and case-insensitively with `ignoreCase`.
 */
export function equalsScorer(spec: EqualsScorerSpec): ScoreFunction {
  // The text as compared, but in its own case: what a failure reason quotes.
  const shown = (text: string): string => composed(spec.trim ? text.trim() : text)
  const fold = spec.ignoreCase ? caseless : (text: string) => text
  const caseNote = spec.ignoreCase ? ' (ignoring case)' : ''
  return ({ output, vars }) => {
    const expected = shown(renderTemplate(spec.expected, vars))
    const actual = shown(output)
    if (fold(actual) === fold(expected)) return PASSED
    // Long texts that differ late are quoted from near the difference, which is what to see.
    const [fromExpected, fromActual] = quoteStartsForDifference(expected, actual, fold)
    return failed(
      truncate(
        `expected ${quote(expected, fromExpected)}, got ${quote(actual, fromActual)}${caseNote}`
      )
    )
  }
}

/**
 * contains / icontains (case-insensitive) / starts-with: the rendered `value` occurs in the output,
 * both in composed form. starts-with ignores leading whitespace of the output, as models often
 * open with a newline — unless the value itself starts with whitespace (indented code).
 * A value rendering to an empty string would match anything, so it is an error, not a pass.
 */
export function containsScorer(spec: ContainsScorerSpec): ScoreFunction {
  if (spec.value === '') {
    throw new ScorerConfigProblem(
      'value',
      'an empty value matches every output',
      'give the text to look for'
    )
  }
  const matches: (output: string, value: string) => boolean =
    spec.type === 'contains'
      ? (output, value) => composed(output).includes(composed(value))
      : spec.type === 'icontains'
        ? (output, value) => caseless(output).includes(caseless(value))
        : (output, value) =>
            composed(/^\s/.test(value) ? output : output.trimStart()).startsWith(composed(value))
  const verb = spec.type === 'starts-with' ? 'start with' : 'contain'
  const caseNote = spec.type === 'icontains' ? ' (ignoring case)' : ''
  return ({ output, vars }) => {
    const value = renderTemplate(spec.value, vars)
    if (value === '')
      throw new Error('`value` rendered to an empty string, which matches every output')
    return matches(output, value)
      ? PASSED
      : failed(truncate(`output does not ${verb} ${quote(value)}${caseNote}: ${quote(output)}`))
  }
}

/** The scorer's regular expression; a ScorerConfigProblem when its flags or pattern are wrong. */
export function scorerRegex(spec: RegexScorerSpec): RegExp {
  try {
    new RegExp('', spec.flags)
  } catch {
    throw new ScorerConfigProblem(
      'flags',
      `invalid regular expression flags \`${spec.flags}\``,
      'flags are letters of d, g, i, m, s, u, v and y, each at most once (not u with v)'
    )
  }
  const placeholder = templateVariables(spec.pattern)[0]
  if (placeholder !== undefined) {
    throw new ScorerConfigProblem(
      'pattern',
      `\`{{${placeholder}}}\` would be matched as written: a pattern is not a template`,
      `to check for a case's value, use \`contains\` or \`equals\` with \`{{${placeholder}}}\``
    )
  }
  try {
    return new RegExp(spec.pattern, spec.flags)
  } catch (error) {
    throw new ScorerConfigProblem(
      'pattern',
      (error as Error).message,
      'patterns use JavaScript RegExp syntax; escape backslashes in YAML double quotes'
    )
  }
}

/**
 * regex: `new RegExp(pattern, flags)` matches somewhere in the output (anchor it to match all).
 * A pattern that backtracks without end on some output (`^(a+)+$` on `aaa…a!`) would hold the
 * whole process; `matcher` runs the match on a thread of its own, stopped at `timeoutMs` (the
 * suite's `timeout`), and an unfinished match is an error.
 */
export function regexScorer(
  spec: RegexScorerSpec,
  timeoutMs: number,
  matcher: RegexMatcher
): ScoreFunction {
  const regex = scorerRegex(spec)
  return async ({ output }) => {
    let matched: boolean
    try {
      matched = await matcher.test(regex, output, timeoutMs)
    } catch (error) {
      if (!(error instanceof RegexTimeoutError)) throw error
      throw new Error(
        `${regex.toString()} did not finish matching within the suite's timeout of ${durationText(timeoutMs)} (it backtracks too much on this output; rewrite it without nested repetition such as \`(a+)+\`)`,
        { cause: error }
      )
    }
    return matched
      ? PASSED
      : failed(truncate(`output does not match ${regex.toString()}: ${quote(output)}`))
  }
}

// A plain decimal: optional sign, digits with an optional fraction, optional exponent. No
// thousands separators, units, hex, Infinity or NaN: `1,000` or `42 apples` is not a number.
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

/**
 * Whether a text, surrounding whitespace aside, is a plain decimal: of any size, as the numbers
 * are compared as written (`1e400` too, beyond what a binary number holds).
 */
export function isDecimal(text: string): boolean {
  return DECIMAL.test(text.trim())
}

/**
 * A plain decimal (as DECIMAL reads it) exactly: its significant digits, without leading or
 * trailing zeros, × 10^exponent. Kept as text: a number of a million digits is read and compared
 * in time linear in its length, where BigInt's conversions of it take much longer.
 */
interface ExactDecimal {
  negative: boolean
  /** Empty for zero. */
  digits: string
  /** The power of ten of the last significant digit. */
  exponent: bigint
  /** The power of ten that bounds it: |d| < 10^top. */
  top: bigint
}

function exactDecimal(text: string): ExactDecimal {
  const [, sign, whole = '', fraction = '', exponent = '0'] =
    /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim()) ?? []
  const written = `${whole}${fraction}`
  // Zeros trimmed by index: a pattern such as /0+$/ rescans a long run of zeros from each of them.
  let start = 0
  while (written[start] === '0') start++
  let end = written.length
  while (end > start && written[end - 1] === '0') end--
  if (start === end) return { negative: false, digits: '', exponent: 0n, top: 0n } // -0 and +0.00 alike
  const digits = written.slice(start, end)
  const last = BigInt(exponent) - BigInt(fraction.length) + BigInt(written.length - end)
  return { negative: sign === '-', digits, exponent: last, top: last + BigInt(digits.length) }
}

/**
 * Whether two plain decimals are the same number, digit for digit: `1.10` is `1.1` and `4.2e1` is
 * `42`, but `10000000000000001` is not `1e16`, which binary numbers round it to.
 */
function sameDecimal(a: string, b: string): boolean {
  const [x, y] = [exactDecimal(a), exactDecimal(b)]
  return x.negative === y.negative && x.digits === y.digits && x.exponent === y.exponent
}

/**
 * The sign of a sum of non-zero decimals whose digits all lie at or above 10^unit, the first
 * bounding the others (`top`): added column by column, a digit place at a time, then carried.
 */
function signOfAlignedSum(terms: readonly ExactDecimal[], unit: bigint): -1 | 0 | 1 {
  const [first] = terms
  if (first === undefined) return 0
  // Column i holds the digits of 10^(unit + i), each term's added with its sign.
  const columns = new Int32Array(Number(first.top - unit))
  for (const term of terms) {
    const offset = Number(term.exponent - unit)
    const sign = term.negative ? -1 : 1
    const { digits } = term
    for (let i = 0; i < digits.length; i++) {
      const place = offset + digits.length - 1 - i
      columns[place] = (columns[place] ?? 0) + sign * (digits.charCodeAt(i) - 48)
    }
  }
  let carry = 0
  let nonZero = false
  for (const column of columns) {
    const value = column + carry
    const digit = ((value % 10) + 10) % 10
    carry = (value - digit) / 10
    if (digit !== 0) nonZero = true
  }
  // The sum is carry × 10^width plus digits 0–9 below it, which add up to less than 10^width.
  if (carry !== 0) return carry < 0 ? -1 : 1
  return nonZero ? 1 : 0
}

/**
 * The sign of a sum of decimals, exactly. A term far below the others (`1e-99999999` beside `1`)
 * is not added at a common digit place, which would take a number of that many digits: fewer than
 * ten terms below a unit of the larger terms' last digit add up to less than that unit, so they
 * decide the sign only when the larger terms cancel.
 */
function signOfSum(terms: readonly ExactDecimal[]): -1 | 0 | 1 {
  const sorted = terms
    .filter((d) => d.digits !== '')
    .sort((a, b) => (b.top > a.top ? 1 : b.top < a.top ? -1 : 0))
  let unit: bigint | undefined
  for (const [i, term] of sorted.entries()) {
    unit = unit === undefined || term.exponent < unit ? term.exponent : unit
    const next = sorted[i + 1]
    if (next !== undefined && next.top >= unit) continue
    const sign = signOfAlignedSum(sorted.slice(0, i + 1), unit)
    return sign !== 0 ? sign : signOfSum(sorted.slice(i + 1))
  }
  return 0
}

/** Whether |actual − expected| ≤ tolerance, on the decimals as written: no binary rounding. */
function withinDecimal(expected: string, actual: string, tolerance: string): boolean {
  const [e, a, t] = [exactDecimal(expected), exactDecimal(actual), exactDecimal(tolerance)]
  const negated = (d: ExactDecimal): ExactDecimal => ({ ...d, negative: !d.negative })
  // expected − tolerance ≤ actual ≤ expected + tolerance
  return signOfSum([a, negated(e), t]) >= 0 && signOfSum([e, t, negated(a)]) >= 0
}

function requireExpectedNumber(rendered: string): void {
  if (!isDecimal(rendered)) {
    throw new Error(`expected value ${quote(rendered)} is not a number`)
  }
}

/**
 * numeric: the whole output (surrounding whitespace aside) is a plain decimal number within
 * `tolerance` of the rendered `expected`. Output that is not a number fails (score 0); an expected
 * value that is not a number is an error.
 */
export function numericScorer(spec: NumericScorerSpec): ScoreFunction {
  if (!Number.isFinite(spec.tolerance) || spec.tolerance < 0) {
    throw new ScorerConfigProblem(
      'tolerance',
      `tolerance must be a number ≥ 0, got ${spec.tolerance}`
    )
  }
  if (templateVariables(spec.expected).length === 0 && !isDecimal(spec.expected)) {
    throw new ScorerConfigProblem(
      'expected',
      `${quote(spec.expected)} is not a number`,
      'write a plain number like 42 or 3.5e-2, or a {{variable}} holding one'
    )
  }
  return ({ output, vars }) => {
    const expectedText = renderTemplate(spec.expected, vars)
    requireExpectedNumber(expectedText)
    if (!isDecimal(output)) return failed(truncate(`output is not a number: ${quote(output)}`))
    // The numbers as written, not as binary numbers round them: 1.1 is within 0.1 of 1, and
    // 9007199254740994 is not within 1 of 9007199254740992. The tolerance is read as the spec
    // wrote it (0.3, not the binary number just below it).
    const within =
      spec.tolerance === 0
        ? sameDecimal(expectedText, output)
        : withinDecimal(expectedText, output, String(spec.tolerance))
    // Both numbers as written (`1.10`, `9.90`), as the spec and the answer say them.
    return within
      ? PASSED
      : failed(
          truncate(`expected ${expectedText.trim()} ± ${spec.tolerance}, got ${output.trim()}`)
        )
  }
}

/**
 * similarity: score = normalised Levenshtein similarity between the trimmed output and the trimmed
 * rendered `expected`; passes at or above `threshold`.
 */
export function similarityScorer(spec: SimilarityScorerSpec): ScoreFunction {
  if (!(spec.threshold >= 0 && spec.threshold <= 1)) {
    throw new ScorerConfigProblem(
      'threshold',
      `threshold must be between 0 and 1, got ${spec.threshold}`
    )
  }
  return ({ output, vars }) => {
    const expected = composed(renderTemplate(spec.expected, vars).trim())
    const actual = composed(output.trim())
    const score = similarity(actual, expected)
    // Past rounding: a similarity of exactly 1/5 meets a threshold of 0.2.
    if (score >= spec.threshold - 1e-12) return { score, pass: true }
    // Rounded down so a score just under the threshold never prints as equal to it.
    const shown = Math.floor(score * 1000) / 1000
    const [fromExpected, fromActual] = quoteStartsForDifference(expected, actual)
    return {
      score,
      pass: false,
      reason: truncate(
        `similarity ${shown} < ${spec.threshold} to ${quote(expected, fromExpected)}, got ${quote(actual, fromActual)}`
      )
    }
  }
}
