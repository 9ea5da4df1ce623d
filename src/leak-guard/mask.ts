/**
 * Masking: how a value of request data is shown in a finding. Never the raw value, and
 * never something it can be recovered from: a card keeps only its first six (four when it
 * is shorter than 16 digits) and last four digits, a token only its scheme and length, anything else becomes a short fingerprint
 * keyed with a random per-process secret (equal values share a fingerprint within one
 * process, nothing more).
 */
import type { Hmac, KeyObject } from 'node:crypto'
import { cardDigits, type SensitiveKind } from './sensitive.js'

/**
 * The HMAC function and the per-process key, made at the first fingerprint. A constant
 * holder, never a rebound variable (see `scope/plan.ts`). The key is a `KeyObject`: made
 * from a Buffer at every call, an HMAC costs about 7× as much (some 35 µs, not 5).
 */
const secret: { key?: KeyObject; createHmac?: (algorithm: string, key: KeyObject) => Hmac } = {}

/** A short keyed fingerprint of a value: `fp:` and 10 hex digits of HMAC-SHA256. */
export const fingerprint = (value: string): string => {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: both are set together, once per process; Stryker's worker keeps them from earlier runs, so no test sees the difference
  if (secret.createHmac === undefined || secret.key === undefined) {
    const crypto = process.getBuiltinModule('node:crypto')
    secret.createHmac = crypto.createHmac
    secret.key = crypto.createSecretKey(crypto.randomBytes(32))
  }
  return `fp:${secret.createHmac('sha256', secret.key).update(value).digest('hex').slice(0, 10)}`
}

/** Masks one value according to its sensitive kind (if any). */
export const mask = (value: string, kind: SensitiveKind | undefined): string => {
  switch (kind) {
    case 'card': {
      const digits = cardDigits(value)
      const head = digits.length >= 16 ? 6 : 4
      return `${digits.slice(0, head)}${'*'.repeat(digits.length - head - 4)}${digits.slice(-4)}`
    }
    case 'jwt':
      return `<jwt, ${value.length} chars>`
    case 'bearer':
      return `<bearer token, ${value.length} chars>`
    case 'aws-access-key':
      return `<aws access key ${value.slice(0, 4)}, ${value.length} chars>`
    case 'email':
      // Stryker disable next-line MethodExpression: upper-casing makes the same addresses equal, and the fingerprint shows no case
      return `<email ${fingerprint(value.toLowerCase())}>`
    default:
      return fingerprint(value)
  }
}
