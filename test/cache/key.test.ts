/**
 * Key selection (`src/cache/key.ts`) on its own: what becomes a key, what bypasses,
 * what is refused, and the injectivity that keeps two requests from sharing an entry.
 */
import { describe, expect, it } from 'vitest'
import {
  compileKey,
  compilePath,
  DERIVED_MARK,
  encodeTuple,
  isPlainPathList,
  KeyTypeError,
  normaliseKey,
} from '../../src/cache/key.js'
import { ConfigError } from '../../src/shared/env.js'

describe('normaliseKey: one value', () => {
  it('keys strings, finite numbers and booleans; bypasses undefined, null and the empty string', () => {
    expect(normaliseKey('item-1')).toBe('item-1')
    expect(normaliseKey(42)).toBe('42')
    expect(normaliseKey(-0.5)).toBe('-0.5')
    expect(normaliseKey(true)).toBe('true')
    expect(normaliseKey(false)).toBe('false')
    for (const bypass of [undefined, null, '']) expect(normaliseKey(bypass)).toBeUndefined()
  })

  it('escapes a string that starts like a tuple or a derived key, and only such a string', () => {
    for (const mark of ['\u0000', '\u0001', DERIVED_MARK]) {
      expect(normaliseKey(`${mark}x`)).toBe(`\u0001${mark}x`)
    }
    expect(normaliseKey('\u0003x')).toBe('\u0003x')
    // A string can never collide with the tuple of itself.
    const tuple = encodeTuple(['a'])
    expect(tuple).toBeDefined()
    expect(normaliseKey(tuple)).not.toBe(tuple)
  })

  it('refuses other values with a KeyTypeError that does not show them', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, {}, Symbol('s'), 1n, () => 1]) {
      let caught: unknown
      try {
        normaliseKey(value)
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(KeyTypeError)
      expect((caught as Error).name).toBe('KeyTypeError')
      expect((caught as Error).message).toBe('a key must be a string, a finite number or a boolean')
    }
  })
})

describe('encodeTuple: several values', () => {
  it('tags each part with its type, so that no two different tuples share a key', () => {
    expect(encodeTuple(['a', 1, true, false, undefined, null])).toBe('\u0000s1:an1;tfuz')
    const keys = [
      ['1'],
      [1],
      [true],
      [false],
      ['true'],
      ['a,b'],
      ['a', 'b'],
      ['ab', ''],
      ['a', 'b', undefined],
      ['a', 'b', null],
      [1, 2],
      [12],
    ].map(encodeTuple)
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('is present when any part is: a number or a boolean alone is a key', () => {
    expect(encodeTuple([0])).toBe('\u0000n0;')
    expect(encodeTuple([false])).toBe('\u0000f')
    expect(encodeTuple(['', 7])).toBe('\u0000s0:n7;')
  })

  it('bypasses when every part is missing', () => {
    expect(encodeTuple([])).toBeUndefined()
    expect(encodeTuple([undefined, null, ''])).toBeUndefined()
  })

  it('refuses a part that cannot be a key', () => {
    for (const part of [Number.NaN, Number.NEGATIVE_INFINITY, {}, [], Symbol('s'), 1n]) {
      expect(() => encodeTuple(['a', part])).toThrow(KeyTypeError)
    }
  })
})

describe('plain paths', () => {
  it('tells plain paths (and lists of them) from JMESPath', () => {
    expect(isPlainPathList('pathParameters.id')).toBe(true)
    expect(isPlainPathList('pathParameters.id, queryStringParameters.lang')).toBe(true)
    expect(isPlainPathList('records.0.body')).toBe(true)
    expect(isPlainPathList('pathParameters.id,powertools_json(body).id')).toBe(false)
    expect(isPlainPathList('headers."x-id"')).toBe(false)
    expect(isPlainPathList('0.id')).toBe(false)
  })

  it('reads own properties only, at any depth, and never throws on a missing or primitive step', () => {
    const event = { a: { b: { c: { d: { e: 'deep' } } } }, n: null, s: 'text' }
    expect(compilePath('a')(event)).toBe(event.a)
    expect(compilePath('a.b')(event)).toBe(event.a.b)
    expect(compilePath('a.b.c')(event)).toBe(event.a.b.c)
    expect(compilePath('a.b.c.d')(event)).toBe(event.a.b.c.d)
    expect(compilePath('a.b.c.d.e')(event)).toBe('deep')
    expect(compilePath('a.b.x.d.e')(event)).toBeUndefined()
    expect(compilePath('n.b')(event)).toBeUndefined()
    expect(compilePath('s.length')(event)).toBeUndefined()
    expect(compilePath('a.toString')(event)).toBeUndefined()
    expect(compilePath('a')(null)).toBeUndefined()
  })

  it('refuses paths through the prototype, naming the segment', () => {
    for (const segment of ['__proto__', 'prototype', 'constructor']) {
      expect(() => compilePath(`a.${segment}.b`)).toThrow(
        new ConfigError('key', `path "a.${segment}.b" may not use "${segment}"`),
      )
    }
  })
})

describe('compileKey', () => {
  it('refuses an empty or blank selector', () => {
    for (const selector of ['', '   ']) {
      expect(() => compileKey(selector)).toThrow(new ConfigError('key', 'must not be empty'))
    }
    expect(() => compileKey(' ', 'ORC_CACHE_KEY')).toThrow(
      new ConfigError('ORC_CACHE_KEY', 'must not be empty'),
    )
  })

  it('compiles one path, a list of paths (as a tuple), and trims them', () => {
    const event = { pathParameters: { id: '7' }, queryStringParameters: { lang: 'en' } }
    expect(compileKey(' pathParameters.id ')(event, undefined)).toBe('7')
    expect(compileKey('pathParameters.id, queryStringParameters.lang')(event, undefined)).toBe(
      encodeTuple(['7', 'en']),
    )
  })

  it('finds unknown JMESPath functions at start-up, with or without a space before the call', () => {
    for (const expression of ['no_such_fn(body)', 'no_such_fn (body)', 'a || no_such_fn(b)']) {
      expect(() => compileKey(expression)).toThrow(
        new ConfigError('key', 'uses the unknown JMESPath function no_such_fn()'),
      )
    }
  })

  it('does not take a call-like text inside a string or JSON literal for a function', () => {
    const event = { body: { a: 'no_such_fn(1)', b: "it's f(1)", c: '"g(2)"' } }
    const cases: [string, unknown][] = [
      ["body.a == 'no_such_fn(1)' && 'yes'", 'yes'],
      ["body.b == 'it\\'s f(1)' && 'yes'", 'yes'],
      ['body.c == `"\\"g(2)\\""` && \'yes\'', 'yes'],
      ['body.a != \'x_y(1)\' && `"z(2)"`', 'z(2)'],
    ]
    for (const [expression, key] of cases) {
      expect(compileKey(expression)(event, undefined)).toBe(key)
    }
    // A quoted identifier may hold parentheses too.
    expect(
      compileKey('body."no_such_fn(1)"')({ body: { 'no_such_fn(1)': 'q-1' } }, undefined),
    ).toBe('q-1')
  })
})
