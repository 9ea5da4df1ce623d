/**
 * The bounds of token collection (`src/leak-guard/tokens.ts`): which strings and numbers
 * are distinctive enough, how deep and how far the walk of an event goes, which JSON it
 * parses, and what it never reads (getters, class instances). Each bound is tested on
 * both sides.
 */
import { describe, expect, test } from 'vitest'
import { mask } from '../../src/leak-guard/mask.js'
import { collectTokens, printableKey } from '../../src/leak-guard/tokens.js'

const values = (event: unknown) => [...collectTokens(event).keys()]
const fieldOf = (event: unknown, value: string) => collectTokens(event).get(value)?.field

/** `value` nested `depth` levels below the root (arrays or objects). */
const nest = (value: unknown, depth: number, how: 'array' | 'object'): unknown => {
  let node = value
  for (let i = 0; i < depth; i++) node = how === 'array' ? [node] : { k: node }
  return node
}

describe('which values are tokens', () => {
  test('strings of 8 to 65,536 characters without surrounding space', () => {
    expect(values(['a1b2c3d'])).toEqual([])
    expect(values(['a1b2c3d4'])).toEqual(['a1b2c3d4'])
    const longest = 'a1'.repeat(32_768)
    expect(values([longest])).toEqual([longest])
    expect(values([`${longest}b`])).toEqual([])
    expect(values([' a1b2c3d4e', 'a1b2c3d4e '])).toEqual([])
  })

  test('a sensitive value is a token even when it is not distinctive (a letters-only bearer token)', () => {
    const tokens = collectTokens({ headers: { authorization: 'Bearer abcdefghijkl' } })
    expect(tokens.get('abcdefghijkl')).toEqual({
      value: 'abcdefghijkl',
      field: 'headers.authorization',
      kind: 'bearer',
    })
  })

  test('integers from 10,000,000 (either sign), not smaller ones or fractions', () => {
    expect(values([9_999_999, 12_345_678.5, -9_999_999])).toEqual([])
    expect(values([10_000_000, -10_000_000])).toEqual(['10000000', '-10000000'])
  })

  test('at most 512 tokens per event, the first ones', () => {
    const many = Array.from({ length: 600 }, (_, i) => `token-${String(i).padStart(4, '0')}`)
    const got = values(many)
    expect(got).toHaveLength(512)
    expect(got.at(-1)).toBe('token-0511')
  })
})

describe('how far the walk goes', () => {
  test.each(['array', 'object'] as const)('%s nesting: 32 levels deep, not 33', (how) => {
    expect(values(nest('deep-a1b2c3', 32, how))).toContain('deep-a1b2c3')
    expect(values(nest('deep-a1b2c3', 33, how))).not.toContain('deep-a1b2c3')
  })

  test('a JSON string is one level above what it holds', () => {
    const json = JSON.stringify({ k: 'deep-a1b2c3' })
    expect(values(nest(json, 30, 'object'))).toContain('deep-a1b2c3')
    expect(values(nest(json, 31, 'object'))).not.toContain('deep-a1b2c3')
  })

  test('10,000 values of an event at most, in arrays and in objects', () => {
    // The root is the first value: elements 0..9998 are values 2..10,000.
    const list: unknown[] = Array.from({ length: 10_000 }, () => 0)
    list[9_998] = 'last-a1b2c3d4'
    list[9_999] = 'over-a1b2c3d4'
    expect(values(list)).toEqual(['last-a1b2c3d4'])
    const object = Object.fromEntries(list.map((value, i) => [`k${i}`, value]))
    expect(values(object)).toEqual(['last-a1b2c3d4'])
  })

  test('the budget counts values only: a short string, an array’s end or a getter cost nothing more', () => {
    // 1 root + 9,998 short strings + 1 token = 10,000 values: the token is still read.
    const strings: unknown[] = Array.from({ length: 9_999 }, () => 'x')
    strings[9_998] = 'last-a1b2c3d4'
    expect(values(strings)).toEqual(['last-a1b2c3d4'])
    // 1 root + 1 inner array + 9,997 zeros + 1 token.
    expect(values([Array.from({ length: 9_997 }, () => 0), 'last-a1b2c3d4'])).toEqual([
      'last-a1b2c3d4',
    ])
    // 1 root + 9,998 zeros + 1 token, and a getter that is never read.
    const object: Record<string, unknown> = Object.defineProperty({}, 'g', {
      get: () => 'getter-a1b2c3d4',
      enumerable: true,
    })
    for (let i = 0; i < 9_998; i++) object[`k${i}`] = 0
    object.last = 'last-a1b2c3d4'
    expect(values(object)).toEqual(['last-a1b2c3d4'])
  })

  test('goes on after an array to the values that follow it', () => {
    expect(values({ list: ['first-a1b2c3d4'], after: 'after-a1b2c3d4' })).toEqual([
      'first-a1b2c3d4',
      'after-a1b2c3d4',
    ])
  })

  test('reads holes of sparse arrays as nothing', () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    expect(values([, 'after-a1b2c3d4'])).toEqual(['after-a1b2c3d4'])
  })

  test('never calls a getter, and skips class instances (not event data)', () => {
    let called = false
    const event = {
      get secret() {
        called = true
        return 'getter-a1b2c3d4'
      },
      instance: new (class Holder {
        value = 'instance-a1b2c3d4'
      })(),
      bare: Object.assign(Object.create(null), { value: 'bare-a1b2c3d4' }),
    }
    expect(values(event)).toEqual(['bare-a1b2c3d4'])
    expect(called).toBe(false)
  })
})

describe('JSON and base64', () => {
  test('parses JSON objects and arrays, also after leading white space', () => {
    expect(fieldOf({ body: '{"id":"obj-a1b2c3d4"}' }, 'obj-a1b2c3d4')).toBe('body.id')
    expect(fieldOf({ body: '["arr-a1b2c3d4"]' }, 'arr-a1b2c3d4')).toBe('body[0]')
    expect(fieldOf({ body: ' \n {"id":"ws-a1b2c3d4"}' }, 'ws-a1b2c3d4')).toBe('body.id')
    expect(values({ body: 'x {"id":"no-a1b2c3d4"}' })).not.toContain('no-a1b2c3d4')
    // A JSON string or number alone is not parsed: the text itself is the token.
    expect(values({ body: '"quoted-a1b2c3d4"' })).toEqual(['"quoted-a1b2c3d4"'])
    expect(values({ body: '{"id":"broken-a1b2c3d4"' })).toEqual(['{"id":"broken-a1b2c3d4"'])
  })

  test('parses JSON of up to 1 MiB', () => {
    const json = (length: number) => {
      const head = '{"id":"big-a1b2c3d4","pad":"'
      return `${head}${'x'.repeat(length - head.length - 2)}"}`
    }
    expect(json(1_048_576)).toHaveLength(1_048_576)
    expect(values({ body: json(1_048_576) })).toContain('big-a1b2c3d4')
    expect(values({ body: json(1_048_577) })).not.toContain('big-a1b2c3d4')
  })

  test('never base64-decodes the strings inside a parsed body', () => {
    const body = JSON.stringify({ note: 'aGVsbG8td29ybGQtdG9rZW4' })
    expect(values({ body })).toEqual([body, 'aGVsbG8td29ybGQtdG9rZW4'])
  })

  test('decodes base64 only for the body of an event that says isBase64Encoded', () => {
    const encoded = Buffer.from('{"id":"b64-a1b2c3d4"}').toString('base64')
    const tokens = collectTokens({ isBase64Encoded: true, body: encoded })
    expect(tokens.get('b64-a1b2c3d4')?.field).toBe('body.id')
    expect(tokens.get('{"id":"b64-a1b2c3d4"}')?.field).toBe('body')
    // The same base64 text anywhere else is just a string.
    const plain = Buffer.from('id-12345678').toString('base64')
    for (const event of [
      plain,
      [plain],
      { value: plain },
      { isBase64Encoded: true, other: plain },
      { isBase64Encoded: false, body: plain },
      { body: JSON.stringify([plain]), isBase64Encoded: false },
    ]) {
      expect(values(event)).not.toContain('id-12345678')
    }
  })
})

describe('printableKey', () => {
  test('prints harmless keys as they are, and masks keys that may be request data', () => {
    expect(printableKey('requestContext')).toBe('requestContext')
    expect(printableKey('x-request-id')).toBe('x-request-id')
    expect(printableKey('12')).toBe('12')
    expect(printableKey('a b')).toBe('a b')
    const uuid = '9f583ef0-ed83-4a38-aef3-eb9ce3f7a57f'
    expect(printableKey(uuid)).toBe(mask(uuid, undefined))
    expect(printableKey(uuid)).not.toContain(uuid)
    expect(printableKey('jane@example.com')).toBe(mask('jane@example.com', 'email'))
    // An identifier-shaped key is still masked when it is sensitive.
    expect(printableKey('AKIAIOSFODNN7EXAMPLE')).toBe(
      mask('AKIAIOSFODNN7EXAMPLE', 'aws-access-key'),
    )
  })
})
