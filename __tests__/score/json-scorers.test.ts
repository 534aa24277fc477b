import { InputError } from '../../src/errors.js'
import { createScorers, scoreOutput } from '../../src/score/index.js'
import type { ScorerOutcome } from '../../src/results/types.js'
import type { ScorerSpec } from '../../src/spec/types.js'
import { noModules, spec } from './helpers.js'

async function outcome(scorerSpec: ScorerSpec, output: string): Promise<ScorerOutcome> {
  const scorers = await createScorers([scorerSpec], noModules)
  const result = await scoreOutput(scorers, { output, vars: {}, caseId: 'case-1' })
  return result.scores[0] as ScorerOutcome
}

describe('json-valid', () => {
  const jsonValid = spec({ type: 'json-valid' })

  it.each(['{"queue": "billing"}', '  [1, 2]\n', '42', '"text"', 'null'])(
    'passes on JSON %j',
    async (output) => {
      expect(await outcome(jsonValid, output)).toEqual({
        scorer: 'json-valid',
        score: 1,
        pass: true
      })
    }
  )

  it('ignores a leading byte order mark, as the text scorers do', async () => {
    expect(await outcome(jsonValid, '\uFEFF{"a":1}')).toEqual({
      scorer: 'json-valid',
      score: 1,
      pass: true
    })
    const schema = spec({ type: 'json-schema', schema: { type: 'object' } })
    expect((await outcome(schema, '\uFEFF{"a":1}')).pass).toBe(true)
  })

  it('fails on text that is not JSON, with the parser message', async () => {
    const result = await outcome(jsonValid, "{queue: 'billing'}")
    expect(result).toMatchObject({ score: 0, pass: false })
    expect(result.reason).toMatch(/^output is not valid JSON: .+: "\{queue: 'billing'\}"$/)
  })

  it('is strict: JSON inside a ```json fence fails, and the reason says so', async () => {
    const result = await outcome(jsonValid, '```json\n{"queue": "billing"}\n```')
    expect(result.pass).toBe(false)
    expect(result.reason).toContain('output is not valid JSON (it is wrapped in a ``` fence)')
  })
})

describe('json-schema', () => {
  const ticketSchema = {
    type: 'object',
    required: ['queue', 'priority'],
    properties: {
      queue: { enum: ['billing', 'bug', 'account'] },
      priority: { type: 'integer', minimum: 1, maximum: 3 }
    },
    additionalProperties: false
  }
  const jsonSchema = spec({ type: 'json-schema', schema: ticketSchema })

  it('passes on JSON that matches the schema', async () => {
    expect(await outcome(jsonSchema, '{"queue": "bug", "priority": 2}')).toEqual({
      scorer: 'json-schema',
      score: 1,
      pass: true
    })
  })

  it('fails naming the first error and counting the others', async () => {
    const result = await outcome(jsonSchema, '{"queue": "sales", "priority": 7}')
    expect(result).toEqual({
      scorer: 'json-schema',
      score: 0,
      pass: false,
      reason:
        'output does not match the schema: /queue must be equal to one of the allowed values: "billing", "bug", "account" (+1 more)'
    })
  })

  it('names the key that is not allowed, and the values that are', async () => {
    expect((await outcome(jsonSchema, '{"queue": "bug", "priority": 2, "zzz": 1}')).reason).toBe(
      'output does not match the schema: / must NOT have additional properties ("zzz")'
    )
    const constant = spec({ type: 'json-schema', schema: { const: { ok: true } } })
    expect((await outcome(constant, '{"ok": false}')).reason).toBe(
      'output does not match the schema: / must be equal to constant: {"ok":true}'
    )
    const many = Array.from({ length: 30 }, (_, index) => `queue-${index}`)
    const longEnum = spec({ type: 'json-schema', schema: { enum: many } })
    expect((await outcome(longEnum, '"sales"')).reason).toBe(
      'output does not match the schema: / must be equal to one of the allowed values: "queue-0", "queue-1", "queue-2", "queue-3", "queue-4", …'
    )
    const closed = spec({
      type: 'json-schema',
      schema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        unevaluatedProperties: false
      }
    })
    expect((await outcome(closed, '{"extra": 1}')).reason).toBe(
      'output does not match the schema: / must NOT have unevaluated properties ("extra")'
    )
  })

  it('names the root as / when the whole value is wrong', async () => {
    const result = await outcome(jsonSchema, '[]')
    expect(result.reason).toBe('output does not match the schema: / must be object')
  })

  it('fails on output that is not JSON', async () => {
    const result = await outcome(jsonSchema, 'queue: bug')
    expect(result.pass).toBe(false)
    expect(result.reason).toMatch(/^output is not valid JSON: /)
  })

  it('supports draft 2020-12 schemas declared with $schema', async () => {
    const tuple = spec({
      type: 'json-schema',
      schema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'array',
        prefixItems: [{ type: 'string' }, { type: 'number' }],
        items: false
      }
    })
    expect((await outcome(tuple, '["a", 1]')).pass).toBe(true)
    const tooLong = await outcome(tuple, '["a", 1, 2]')
    expect(tooLong.pass).toBe(false)
    expect(tooLong.reason).toContain('must NOT have more than 2 items')
  })

  it('checks draft-06 schemas declared with $schema, with or without the trailing #', async () => {
    for (const uri of [
      'http://json-schema.org/draft-06/schema#',
      'http://json-schema.org/draft-06/schema'
    ]) {
      const draft06 = spec({
        type: 'json-schema',
        schema: { $schema: uri, type: 'object', required: ['queue'] }
      })
      expect((await outcome(draft06, '{"queue": "bug"}')).pass).toBe(true)
      expect(await outcome(draft06, '{}')).toMatchObject({
        pass: false,
        reason: "output does not match the schema: / must have required property 'queue'"
      })
    }
  })

  it('checks the string formats of the JSON Schema specification', async () => {
    const schema = {
      type: 'object',
      properties: { email: { format: 'email' }, at: { format: 'date-time' } }
    }
    const scorers = await createScorers(
      [spec({ type: 'json-schema', name: 'contact', schema })],
      noModules
    )
    const score = (output: string) => scoreOutput(scorers, { output, vars: {}, caseId: 'c' })
    expect((await score('{"email": "ada@example.com", "at": "2026-11-29T10:00:00Z"}')).pass).toBe(
      true
    )
    const wrong = await score('{"email": "ada at example", "at": "yesterday"}')
    expect(wrong.pass).toBe(false)
    expect(wrong.scores[0]?.reason).toBe(
      'output does not match the schema: /email must match format "email" (+1 more)'
    )
  })

  it('lets two scorers use the same $id', async () => {
    const withId = { $id: 'https://example.com/ticket', ...ticketSchema }
    const scorers = await createScorers(
      [
        spec({ type: 'json-schema', name: 'a', schema: withId }),
        spec({ type: 'json-schema', name: 'b', schema: withId })
      ],
      noModules
    )
    const result = await scoreOutput(scorers, {
      output: '{"queue": "bug", "priority": 1}',
      vars: {},
      caseId: 'c'
    })
    expect(result.pass).toBe(true)
  })

  it.each([
    ['an invalid schema', { type: 'objekt' }, 'schema is invalid: data/type must be'],
    [
      'an unknown keyword (a typo)',
      { type: 'object', requird: ['q'] },
      'unknown keyword: "requird"'
    ],
    [
      'a draft it cannot check',
      { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' },
      'http://json-schema.org/draft-04/schema# is not supported'
    ],
    [
      'a string format the specification does not define',
      { format: 'postcode' },
      'format "postcode" at # is not supported'
    ]
  ])('rejects %s at creation, naming the scorer', async (_label, schema, cause) => {
    const error: unknown = await createScorers(
      [spec({ type: 'json-schema', name: 'ticket-shape', schema })],
      noModules
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InputError)
    const { diagnostics, message } = error as InputError
    expect(diagnostics[0]?.path).toBe('scorers[0].schema')
    expect(message).toContain(`scorer "ticket-shape": invalid JSON Schema: `)
    expect(diagnostics[0]?.message).toContain(cause)
    expect(diagnostics[0]?.hint).toBeTruthy()
  })
})
