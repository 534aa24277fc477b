import { readFile } from 'node:fs/promises'
import { Ajv } from 'ajv'
import { MAX_DURATION_MS } from '../../src/spec/duration.js'

type Schema = Record<string, unknown>

async function specSchema(): Promise<Schema> {
  return JSON.parse(await readFile('schema/eval-spec.schema.json', 'utf8')) as Schema
}

/** Every schema object in the document, with its JSON pointer. */
function walk(schema: unknown, pointer = ''): [string, Schema][] {
  if (schema === null || typeof schema !== 'object') return []
  if (Array.isArray(schema)) return schema.flatMap((item, i) => walk(item, `${pointer}/${i}`))
  const node = schema as Schema
  return [
    [pointer, node],
    ...Object.entries(node).flatMap(([key, value]) => walk(value, `${pointer}/${key}`))
  ]
}

describe('schema/eval-spec.schema.json', () => {
  it('is a valid draft-07 schema', async () => {
    const ajv = new Ajv({ strict: false })
    expect(ajv.validateSchema(await specSchema())).toBe(true)
  })

  it('closes every object with properties (additionalProperties: false)', async () => {
    const open = walk(await specSchema())
      .filter(
        ([pointer, node]) => node.properties !== undefined && !pointer.endsWith('/properties')
      )
      .filter(([, node]) => node.additionalProperties !== false)
      .map(([pointer]) => pointer)
    expect(open).toEqual([])
  })

  it('describes every property, for editors (directly or through the definition it refers to)', async () => {
    const schema = await specSchema()
    const definitions = schema.definitions as Record<string, Schema>
    const described = (node: Schema): boolean =>
      typeof node.description === 'string' ||
      (typeof node.$ref === 'string' &&
        described(definitions[node.$ref.replace('#/definitions/', '')] ?? {}))
    const undescribed = walk(schema)
      .filter(([pointer]) => /\/properties\/[^/]+$/.test(pointer))
      .filter(([, node]) => !described(node))
      .map(([pointer]) => pointer)
    expect(undescribed).toEqual([])
  })

  it('bounds a duration in milliseconds as the loader bounds every duration', async () => {
    const definitions = (await specSchema()).definitions as Record<string, Schema>
    expect(definitions.duration?.maximum).toBe(MAX_DURATION_MS)
  })
})
