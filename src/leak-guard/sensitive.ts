/**
 * Recognises the kinds of request data that raise a finding's severity: payment card
 * numbers (Luhn-checked), JWTs, bearer tokens, AWS access key ids and email addresses.
 */

/** A recognised kind of sensitive value. */
export type SensitiveKind = 'card' | 'jwt' | 'bearer' | 'aws-access-key' | 'email'

const CARD = /^\d(?:[ -]?\d){12,18}$/
const JWT = /^eyJ[\w-]{2,}\.[\w-]{2,}\.[\w-]*$/
const BEARER = /^bearer\s+(\S{8,})$/i
const AWS_ACCESS_KEY = /^(?:AKIA|ASIA|AIDA|AROA|AGPA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}$/
const EMAIL = /^[^\s@"<>]{1,64}@[^\s@"<>]+\.[a-z]{2,}$/i

/** True when a string of digits passes the Luhn check used by payment card numbers. */
export const luhn = (digits: string): boolean => {
  let sum = 0
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48
    if (d < 0 || d > 9) return false
    if (double) d = d * 2 > 9 ? d * 2 - 9 : d * 2
    sum += d
  }
  return digits.length > 0 && sum % 10 === 0
}

/** The digits of a card number written with optional spaces or dashes. */
export const cardDigits = (value: string): string => value.replace(/[ -]/g, '')

/** The inner token of an `Authorization: Bearer <token>` value, if that is what `value` is. */
export const bearerToken = (value: string): string | undefined => {
  const first = value.charCodeAt(0)
  return first === 66 || first === 98 ? BEARER.exec(value)?.[1] : undefined
}

/** The sensitive kind of a whole value, or `undefined` when it is not one of them. */
export const classify = (value: string): SensitiveKind | undefined => {
  if (value.length < 6 || value.length > 8192) return undefined
  // Cheap first-character and '@' tests keep the regular expressions off most strings.
  const first = value.charCodeAt(0)
  if (first >= 48 && first <= 57 && CARD.test(value))
    return luhn(cardDigits(value)) ? 'card' : undefined
  if (first === 101 && JWT.test(value)) return 'jwt'
  if ((first === 66 || first === 98) && BEARER.test(value)) return 'bearer'
  if (first === 65 && AWS_ACCESS_KEY.test(value)) return 'aws-access-key'
  if (value.includes('@') && EMAIL.test(value)) return 'email'
  return undefined
}
