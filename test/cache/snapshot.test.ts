/**
 * The copy a response is cached as (`src/cache/snapshot.ts`): what JSON carries is copied
 * and measured; what it cannot carry faithfully is refused with a reason and a path that
 * never shows a name that may be data.
 */
import { describe, expect, it } from 'vitest'
import { deepFreeze, MAX_DEPTH, snapshot, stringBytes } from '../../src/cache/snapshot.js'

const refusal = (value: unknown) => {
  const result = snapshot(value)
  if (result.ok) throw new Error('expected a refusal')
  return { reason: result.reason, path: result.path }
}

const nested = (depth: number): unknown => {
  let node: unknown = 'leaf'
  for (let i = 0; i < depth; i++) node = { k: node }
  return node
}

describe('snapshot: what is refused', () => {
  it.each([
    [{ body: { n: 1n } }, 'a BigInt', 'body.n'],
    [{ body: [1, Symbol('s')] }, 'a symbol', 'body[1]'],
    [{ handler: () => 1 }, 'a function', 'handler'],
    [{ body: { items: [0, 0, 0, new Map()] } }, 'a Map instance', 'body.items[3]'],
    [{ body: new Set() }, 'a Set instance', 'body'],
    [{ weird: Object.create(Object.create(null)) }, 'an exotic object', 'weird'],
    [new (class Response {})(), 'a Response instance', ''],
    [{ anonymous: new (class {})() }, 'an exotic object', 'anonymous'],
  ])('%o: %s at "%s"', (value, reason, path) => {
    expect(refusal(value)).toEqual({ reason, path })
  })

  it('writes a name that may be data as […], never the name', () => {
    const value = { 'jane@example.com': { 'Bearer abc': [() => 1] } }
    expect(refusal(value)).toEqual({ reason: 'a function', path: '[…][…][0]' })
    expect(refusal({ [`a${'b'.repeat(39)}`]: 1n }).path).toBe(`a${'b'.repeat(39)}`)
    expect(refusal({ [`a${'b'.repeat(40)}`]: 1n }).path).toBe('[…]')
  })

  it(`refuses nesting deeper than ${MAX_DEPTH}, and cycles`, () => {
    expect(snapshot(nested(MAX_DEPTH)).ok).toBe(true)
    let arrays: unknown = 'leaf'
    for (let i = 0; i < MAX_DEPTH + 1; i++) arrays = [arrays]
    expect(refusal(arrays).reason).toBe(`nesting deeper than ${MAX_DEPTH}`)
    // The same object twice, side by side, is not a cycle.
    const shared = { id: 1 }
    expect(snapshot({ a: shared, b: [shared, shared] })).toMatchObject({
      ok: true,
      value: { a: { id: 1 }, b: [{ id: 1 }, { id: 1 }] },
    })
    expect(refusal(nested(MAX_DEPTH + 1)).reason).toBe(`nesting deeper than ${MAX_DEPTH}`)
    const cycle: Record<string, unknown> = { a: { b: {} } }
    ;(cycle.a as { b: Record<string, unknown> }).b.c = cycle
    expect(refusal(cycle)).toEqual({ reason: 'a cycle', path: 'a.b.c' })
  })

  it('says which error a toJSON() threw, never its message', () => {
    const value = {
      body: {
        toJSON() {
          throw new RangeError('secret-token-123')
        },
      },
    }
    expect(refusal(value)).toEqual({ reason: 'toJSON() threw (RangeError)', path: '' })
  })
})

describe('snapshot: what is copied', () => {
  it('copies into fresh plain data, as JSON.stringify would see it', () => {
    const date = new Date(0)
    const input = {
      at: date,
      list: [1, 'two', true, null, undefined],
      keyed: { toJSON: (key: string) => `key:${key}` },
      inArray: [{ toJSON: (key: string) => `key:${key}` }],
    }
    const result = snapshot(input)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.value).toEqual({
      at: '1970-01-01T00:00:00.000Z',
      list: [1, 'two', true, null, undefined],
      keyed: 'key:keyed',
      inArray: ['key:0'],
    })
    expect(result.value).not.toBe(input)
    expect((result.value as typeof input).list).not.toBe(input.list)
  })

  it('keeps an own "__proto__" as data, never as the prototype', () => {
    const result = snapshot(JSON.parse('{"__proto__":{"admin":true}}'))
    if (!result.ok) throw new Error('refused')
    const value = result.value as Record<string, unknown>
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
    expect(Object.hasOwn(value, '__proto__')).toBe(true)
    expect(value.admin).toBeUndefined()
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')).toEqual({
      value: { admin: true },
      enumerable: true,
      writable: true,
      configurable: true,
    })
  })

  it('copies objects without a prototype', () => {
    const bare = Object.assign(Object.create(null), { a: 1 })
    expect(snapshot({ bare })).toMatchObject({ ok: true, value: { bare: { a: 1 } } })
  })
})

describe('sizes', () => {
  it('measures each kind at its estimated heap cost', () => {
    const bytes = (value: unknown) => {
      const result = snapshot(value)
      if (!result.ok) throw new Error('refused')
      return result.bytes
    }
    expect(bytes('abc')).toBe(16 + 6)
    expect(bytes(1)).toBe(16)
    expect(bytes(true)).toBe(8)
    expect(bytes(undefined)).toBe(8)
    expect(bytes(null)).toBe(8)
    expect(bytes({ a: 1 })).toBe(32 + 16 + 1 + 16)
    expect(bytes([1, 2])).toBe(32 + 2 * 8 + 2 * 16)
    expect(bytes({ list: [null] })).toBe(32 + 16 + 4 + 32 + 8 + 8)
  })

  it('counts a string of 64 or more Latin-1 characters at one byte each, others at two', () => {
    expect(stringBytes('a'.repeat(63))).toBe(16 + 126)
    expect(stringBytes('a'.repeat(64))).toBe(16 + 64)
    expect(stringBytes('é'.repeat(64))).toBe(16 + 64)
    expect(stringBytes(`${'a'.repeat(63)}ā`)).toBe(16 + 128)
    expect(stringBytes(`${'a'.repeat(63)}\uffff`)).toBe(16 + 128)
  })
})

describe('deepFreeze', () => {
  it('freezes a copy all the way down and returns it', () => {
    const value = { a: { b: [{ c: 1 }] } }
    expect(deepFreeze(value)).toBe(value)
    expect(Object.isFrozen(value)).toBe(true)
    expect(Object.isFrozen(value.a)).toBe(true)
    expect(Object.isFrozen(value.a.b)).toBe(true)
    expect(Object.isFrozen(value.a.b[0])).toBe(true)
    expect(deepFreeze('text')).toBe('text')
    expect(deepFreeze(null)).toBeNull()
  })
})
