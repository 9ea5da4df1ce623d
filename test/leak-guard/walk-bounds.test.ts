/**
 * The walk of container state (`src/leak-guard/walk.ts`) at its edges: the shortest
 * string reported, the long integers (numbers and BigInts), Map keys of every kind,
 * functions' own properties, symbol-keyed properties, and byte buffers up to 64 KiB.
 */
import { describe, expect, test } from 'vitest'
import { renderPlace } from '../../src/leak-guard/findings.js'
import { placeOf, walk } from '../../src/leak-guard/walk.js'

/** Every string and long integer the walk reports under root `s`, as `where as text`. */
const met = (value: unknown, minLength = 1) => {
  const seen: string[] = []
  walk(
    [{ label: 's', value }],
    (text, as, parent, step, key) => {
      seen.push(`${renderPlace(placeOf(parent, step, key), (k) => k)} ${as} ${String(text)}`)
    },
    10_000,
    minLength,
  )
  return seen
}

describe('what the walk reports', () => {
  test('strings (values and keys) of at least minLength characters', () => {
    expect(met({ abcd: 'wxyz', ab: 'xy' }, 4)).toEqual(['s.abcd key abcd', 's.abcd value wxyz'])
    expect(met(['abc', 'abcd'], 4)).toEqual(['s[1] value abcd'])
  })

  test('integers of 8 digits or more, numbers and BigInts, either sign', () => {
    expect(met([9_999_999, 10_000_000, -10_000_000, 12_345_678.5])).toEqual([
      's[1] value 10000000',
      's[2] value -10000000',
    ])
    expect(met([9_999_999n, 10_000_000n, -10_000_000n, -9_999_999n])).toEqual([
      's[1] value 10000000',
      's[2] value -10000000',
    ])
  })

  test('Map keys: a string key is reported as a key, any other key by its index', () => {
    const key = { id: 'obj-key-text' }
    const map = new Map<unknown, unknown>([
      ['k-one', 'v-one'],
      [key, 'v-two'],
    ])
    expect(met({ map })).toEqual([
      's.map key map',
      's.map.get("k-one") key k-one',
      's.map.get("k-one") value v-one',
      's.map.get(<object>) value v-two',
      's.map.keys()[1].id key id',
      's.map.keys()[1].id value obj-key-text',
    ])
  })

  test("a function's own properties, but not its name, length or prototype", () => {
    const fn = Object.assign(function namedFn() {}, { cache: 'fn-held-text' })
    expect(met({ fn })).toEqual([
      's.fn key fn',
      's.fn.cache key cache',
      's.fn.cache value fn-held-text',
    ])
  })

  test('symbol-keyed properties', () => {
    const symbol = Symbol('hidden')
    expect(met({ [symbol]: 'behind-symbol' })).toEqual(['s[Symbol(hidden)] value behind-symbol'])
  })

  test('the text of byte buffers from 1 byte to 64 KiB', () => {
    expect(met({ b: Buffer.from('bytes-text') })).toContain('s.b.toString() value bytes-text')
    expect(met({ b: Buffer.alloc(0) }).filter((line) => line.includes('toString'))).toEqual([])
    const largest = Buffer.alloc(65_536, 'x')
    expect(met({ b: largest }).filter((line) => line.includes('toString'))).toHaveLength(1)
    const over = Buffer.alloc(65_537, 'x')
    expect(met({ b: over }).filter((line) => line.includes('toString'))).toEqual([])
  })
})
