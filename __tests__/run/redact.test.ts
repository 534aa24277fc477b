import { redactResult } from '../../src/run/redact.js'
import { redactText } from '../../src/spec/secrets.js'

const key = { name: 'API_KEY', value: 'sk-proj-0123456789abcdef' }

describe('redactText', () => {
  it('writes a secret back as the ${VAR} it came from, every time it appears', () => {
    expect(redactText(`Bearer ${key.value} / ${key.value}`, [key])).toBe(
      'Bearer ${API_KEY} / ${API_KEY}'
    )
  })

  it('writes back the piece of a secret that a cut text starts or ends with', () => {
    // The last 500 characters of stderr, cut inside the key; a reason cut at 20 characters.
    expect(redactText(`${key.value.slice(5)} then the error`, [key])).toBe(
      '${API_KEY} then the error'
    )
    expect(redactText(`sent with ${key.value.slice(0, 12)}…`, [key])).toBe('sent with ${API_KEY}…')
    // Fewer than 6 characters are as likely to be ordinary text: left alone.
    expect(redactText('bcdef ok', [key])).toBe('bcdef ok')
  })

  it('writes back the longest secret first, so one holding another is written back whole', () => {
    const url = { name: 'URL', value: 'https://api.example.com/v1?key=sk-proj-0123456789abcdef' }
    // Given in any order.
    expect(redactText(`GET ${url.value}`, [key, url])).toBe('GET ${URL}')
  })
})

describe('redactResult', () => {
  it('redacts the output, the error message and every scorer reason', () => {
    const result = redactResult(
      {
        caseId: 'a',
        providerId: 'p',
        repeat: 0,
        output: `key ${key.value}`,
        score: null,
        pass: null,
        scores: [{ scorer: 'equals', score: 0, pass: false, reason: `got ${key.value}` }],
        latencyMs: 1,
        attempts: 1,
        cached: false,
        error: { kind: 'scorer', message: `echoed ${key.value}` }
      },
      [key]
    )
    expect([result.output, result.scores[0]?.reason, result.error?.message]).toEqual([
      'key ${API_KEY}',
      'got ${API_KEY}',
      'echoed ${API_KEY}'
    ])
  })
})
