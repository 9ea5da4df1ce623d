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
    // Stryker disable next-line EqualityOperator: d * 2 is even, never 9
    if (double) d = d * 2 > 9 ? d * 2 - 9 : d * 2
    // Stryker disable next-line AssignmentOperator: a sum and its negation are multiples of 10 together
    sum += d
  }
  return digits.length > 0 && sum % 10 === 0
}

/** The digits of a card number written with optional spaces or dashes. */
export const cardDigits = (value: string): string => value.replace(/[ -]/g, '')

/** The inner token of an `Authorization: Bearer <token>` value, if that is what `value` is. */
export const bearerToken = (value: string): string | undefined => {
  const first = value.charCodeAt(0)
  // Stryker disable next-line ConditionalExpression: a shortcut; BEARER itself requires the 'b' or 'B'
  return first === 66 || first === 98 ? BEARER.exec(value)?.[1] : undefined
}

/** The sensitive kind of a whole value, or `undefined` when it is not one of them. */
export const classify = (value: string): SensitiveKind | undefined => {
  // Stryker disable next-line ConditionalExpression: a shortcut; the shortest value of any kind, an email such as a@b.co, has 6 characters
  if (value.length < 6) return undefined
  if (value.length > 8192) return undefined
  // Cheap first-character and '@' tests keep the regular expressions off most strings.
  // Each is a shortcut: the expression after it requires the same first character or '@'.
  const first = value.charCodeAt(0)
  // Stryker disable next-line ConditionalExpression,LogicalOperator: a shortcut (CARD starts with a digit)
  if (first >= 48 && first <= 57 && CARD.test(value))
    return luhn(cardDigits(value)) ? 'card' : undefined
  // Stryker disable next-line ConditionalExpression: a shortcut (JWT starts with 'e')
  if (first === 101 && JWT.test(value)) return 'jwt'
  // Stryker disable next-line ConditionalExpression: a shortcut (BEARER starts with 'b' or 'B')
  if ((first === 66 || first === 98) && BEARER.test(value)) return 'bearer'
  // Stryker disable next-line ConditionalExpression: a shortcut (AWS_ACCESS_KEY starts with 'A')
  if (first === 65 && AWS_ACCESS_KEY.test(value)) return 'aws-access-key'
  // Stryker disable next-line ConditionalExpression,StringLiteral: a shortcut (EMAIL requires '@'; includes('') is true)
  if (value.includes('@') && EMAIL.test(value)) return 'email'
  return undefined
}
