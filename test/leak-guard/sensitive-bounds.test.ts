/**
 * The recognisers of sensitive values (`src/leak-guard/sensitive.ts`) at their edges:
 * the Luhn check on exactly digits, the length window, and each kind written in either
 * case where its scheme allows it.
 */
import { describe, expect, test } from 'vitest'
import { bearerToken, classify, luhn } from '../../src/leak-guard/sensitive.js'

const jwtOfLength = (length: number) => {
  const head = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.'
  return head + 's'.repeat(length - head.length)
}

describe('luhn', () => {
  test('passes valid card numbers and fails one digit off', () => {
    expect(luhn('4111111111111111')).toBe(true)
    expect(luhn('4111111111111112')).toBe(false)
    expect(luhn('5500005555555559')).toBe(true)
    expect(luhn('0')).toBe(true)
  })

  test('fails the empty string and any character that is not a digit', () => {
    expect(luhn('')).toBe(false)
    // Read as digits, ':' (10) and '/' (-1) would make these sums multiples of 10.
    expect(luhn('0:')).toBe(false)
    expect(luhn('5/')).toBe(false)
  })
})

describe('classify', () => {
  test('reads values from 6 to 8,192 characters', () => {
    expect(classify('a@b.co')).toBe('email')
    expect(classify(jwtOfLength(8_192))).toBe('jwt')
    expect(classify(jwtOfLength(8_193))).toBeUndefined()
  })

  test('a bearer token in either case of its scheme', () => {
    expect(classify('Bearer abcdefgh12')).toBe('bearer')
    expect(classify('bearer abcdefgh12')).toBe('bearer')
    expect(classify('BEARER abcdefgh12')).toBe('bearer')
    expect(classify('Bearer short')).toBeUndefined()
  })

  test('a card number only when it passes Luhn', () => {
    expect(classify('4111 1111 1111 1111')).toBe('card')
    expect(classify('4111-1111-1111-1112')).toBeUndefined()
  })
})

describe('bearerToken', () => {
  test('the token after the scheme, in either case, and nothing for other values', () => {
    expect(bearerToken('Bearer abcdefgh12')).toBe('abcdefgh12')
    expect(bearerToken('bearer abcdefgh12')).toBe('abcdefgh12')
    expect(bearerToken('Basic abcdefgh12')).toBeUndefined()
    expect(bearerToken('Bearer short')).toBeUndefined()
    expect(bearerToken('xBearer abcdefgh12')).toBeUndefined()
  })
})

describe('classify: each kind whatever its first character', () => {
  test('card numbers starting with any digit, 0 and 9 included', () => {
    expect(classify('0123456789012347')).toBe('card')
    expect(classify('9000000000000001')).toBe('card')
    expect(classify('9000 0000 0000 0001')).toBe('card')
    expect(classify('60110009901392')).toBe('card')
  })

  test('an email address that starts like another kind is still an email', () => {
    for (const email of [
      'eve@example.com',
      'Bob@example.com',
      'bob@example.com',
      'AKIA@example.com',
      'Alice@example.com',
      '0123456789@example.com',
      '9@example.org',
    ]) {
      expect(classify(email), email).toBe('email')
    }
  })

  test('a value that starts like a kind but is not one is nothing', () => {
    for (const value of [
      'eyJhbGciOiJIUzI1NiJ9',
      'Bearer',
      'bearer x',
      'AKIAIOSFODNN7EXAMPL',
      '0123456789',
      'example.com',
    ]) {
      expect(classify(value), value).toBeUndefined()
    }
  })
})

describe('classify: the whole value, not a part of it', () => {
  test('a card number of 20 digits is none, even when it passes Luhn', () => {
    expect(classify('41111111111111111115')).toBeUndefined()
    expect(classify('4111111111111111111')).toBeUndefined()
  })

  test('each kind with something before or after it is none', () => {
    for (const value of [
      'eXeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig!!',
      'bXbearer abcdefgh12',
      'Bearer abcdefgh12 and more',
      'AAKIAIOSFODNN7EXAMPLE',
      'AKIAIOSFODNN7EXAMPLEX',
      'a b@example.com',
      'alice@example.com x',
    ]) {
      expect(classify(value), value).toBeUndefined()
    }
  })

  test('a bearer token after any run of white space', () => {
    expect(classify('Bearer  abcdefgh12')).toBe('bearer')
    expect(classify('Bearer\tabcdefgh12')).toBe('bearer')
    expect(bearerToken('Bearer   abcdefgh12')).toBe('abcdefgh12')
  })
})
