import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { fingerprint, mask } from '../../src/leak-guard/mask.js'
import { classify, luhn } from '../../src/leak-guard/sensitive.js'
import { AWS_KEY, BEARER, CARD_A, EMAIL, JWT } from './helpers.js'

/** The Luhn check digit that completes `body`. */
const checkDigit = (body: string): string => {
  for (let d = 0; d <= 9; d++) if (luhn(`${body}${d}`)) return String(d)
  throw new Error('unreachable')
}
const digits = (min: number, max: number) =>
  fc
    .array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max })
    .map((a) => a.join(''))
const validCard = digits(12, 18).map((body) => `${body}${checkDigit(body)}`)

describe('sensitive kinds', () => {
  test('recognises each kind', () => {
    expect(classify(CARD_A)).toBe('card')
    expect(classify('4111 1111 1111 1111')).toBe('card')
    expect(classify('4111111111111112')).toBeUndefined()
    expect(classify(JWT)).toBe('jwt')
    expect(classify(BEARER)).toBe('bearer')
    expect(classify(AWS_KEY)).toBe('aws-access-key')
    expect(classify('ANEXAMPLEOFACCESSKEY')).toBeUndefined()
    expect(classify(EMAIL)).toBe('email')
    expect(classify('not an email@')).toBeUndefined()
  })

  test('Luhn: a completed number passes; changing any one digit fails', () => {
    fc.assert(
      fc.property(validCard, fc.nat(), fc.integer({ min: 1, max: 9 }), (card, at, delta) => {
        expect(luhn(card)).toBe(true)
        const i = at % card.length
        const changed = `${card.slice(0, i)}${(Number(card[i]) + delta) % 10}${card.slice(i + 1)}`
        expect(luhn(changed)).toBe(false)
      }),
    )
  })
})

describe('masking', () => {
  test('the forms of each kind', () => {
    expect(mask(CARD_A, 'card')).toBe('411111******1111')
    expect(mask('378282246310005', 'card')).toBe('3782*******0005')
    expect(mask(JWT, 'jwt')).toBe(`<jwt, ${JWT.length} chars>`)
    expect(mask(BEARER, 'bearer')).toBe(`<bearer token, ${BEARER.length} chars>`)
    expect(mask(AWS_KEY, 'aws-access-key')).toBe('<aws access key AKIA, 20 chars>')
    expect(mask(EMAIL, 'email')).toMatch(/^<email fp:[0-9a-f]{10}>$/)
    expect(mask('order-5521-xk', undefined)).toMatch(/^fp:[0-9a-f]{10}$/)
  })

  test('a fingerprint is stable within the process and differs between values', () => {
    expect(fingerprint('abc-12345')).toBe(fingerprint('abc-12345'))
    expect(fingerprint('abc-12345')).not.toBe(fingerprint('abc-12346'))
  })

  test('a masked card never shows the digits between its first six (or four) and last four', () => {
    fc.assert(
      fc.property(validCard, (card) => {
        const masked = mask(card, 'card')
        const head = card.length >= 16 ? 6 : 4
        expect(masked).toHaveLength(card.length)
        expect(masked).not.toContain(card)
        expect(masked.slice(head, -4)).toMatch(/^\*+$/)
        expect(card.length - head - 4).toBeGreaterThanOrEqual(5)
      }),
    )
  })

  test('the mask of any value never contains the value', () => {
    const value = fc.oneof(
      fc.string({ minLength: 6 }),
      validCard,
      fc.emailAddress(),
      fc.base64String({ minLength: 8 }),
    )
    fc.assert(
      fc.property(value, (v) => {
        const masked = mask(v, classify(v))
        expect(masked.includes(v)).toBe(false)
      }),
    )
  })
})
