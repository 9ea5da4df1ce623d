/**
 * Collects the tokens of an event: the distinctive values that came with it, each with
 * the event field it came from. JSON strings (API Gateway's `body`, SQS and SNS
 * messages) are parsed and their fields collected too, after base64 decoding when the
 * event says `isBase64Encoded`.
 */
import { mask } from './mask.js'
import { bearerToken, classify, type SensitiveKind } from './sensitive.js'

/** One value that came with an invocation's event. */
export interface Token {
  /** The raw value (a number is kept as its decimal string). Never printed. */
  readonly value: string
  /** The event field it came from, e.g. `body.card.number`. */
  readonly field: string
  /** The sensitive kind of the value, if it is one. */
  readonly kind: SensitiveKind | undefined
}

/** Strings shorter than this are never tokens (unless sensitive). */
const MIN_TOKEN_LENGTH = 8
/** Strings longer than this are not tokens themselves (their JSON fields still are). */
const MAX_TOKEN_LENGTH = 65_536
/** JSON strings longer than this are not parsed (their whole text is still a token if short enough). */
const MAX_JSON_LENGTH = 1_048_576
const MAX_TOKENS = 512
const MAX_EVENT_NODES = 10_000
const MAX_DEPTH = 32

/** Letters-only words and phrases (`keep-alive`, `gzip, deflate`), MIME types, regions. */
const NOT_DISTINCTIVE = [
  /^[a-z]+(?:[ ,_-]+[a-z]+)*$/i,
  /^[a-z]+\/[\w.+*-]+(?:\s*;\s*[\w-]+=[\w-]+)*$/i,
  /^[a-z]{2}(?:-gov)?-[a-z]+-\d$/,
]

/** Event fields that hold the same value for every request to a function. */
const CONSTANT_FIELDS = new Set([
  'accountId',
  'apiId',
  'awsRegion',
  'domainName',
  'domainPrefix',
  'eventSource',
  'eventSourceARN',
  'eventVersion',
  'protocol',
  'resource',
  'resourceId',
  'resourcePath',
  'routeKey',
  'stage',
  'stageVariables',
  'version',
])

/** True when a string is distinctive enough to identify the request it came with. */
const isDistinctive = (value: string): boolean =>
  value.length >= MIN_TOKEN_LENGTH &&
  value.length <= MAX_TOKEN_LENGTH &&
  value.trim() === value &&
  !NOT_DISTINCTIVE.some((re) => re.test(value))

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/
/** JSON after leading white space (the common case, `{` or `[` first, is tested without it). */
const JSON_START = /^\s+[{[]/

/** How a key appears in a printed path: itself if harmless, masked if it may be request data. */
export const printableKey = (key: string): string => {
  const kind = classify(key)
  if (kind !== undefined || (!IDENTIFIER.test(key) && isDistinctive(key))) return mask(key, kind)
  return key
}

/** A field path, built only for the values that become tokens. */
type FieldPath = readonly [parent: FieldPath | undefined, key: string | number] | undefined

const fieldText = (path: FieldPath): string => {
  if (path === undefined) return ''
  const [parent, key] = path
  const head = fieldText(parent)
  if (typeof key === 'number') return `${head}[${key}]`
  return `${head}${head === '' ? '' : '.'}${printableKey(key)}`
}

const parseJson = (text: string): unknown => {
  if (text.length > MAX_JSON_LENGTH) return undefined
  const first = text.charCodeAt(0)
  if (first !== 123 && first !== 91 && !JSON_START.test(text)) return undefined
  try {
    return JSON.parse(text)
  } catch {
    // Not JSON after all: the string is only a string.
  }
  return undefined
}

/** Collects the tokens of an event, keyed by value (the first field a value appears in wins). */
export const collectTokens = (event: unknown): Map<string, Token> => {
  const tokens = new Map<string, Token>()
  let budget = MAX_EVENT_NODES

  const add = (value: string, path: FieldPath, kind = classify(value)): void => {
    if (tokens.size >= MAX_TOKENS || tokens.has(value)) return
    if (kind === undefined && !isDistinctive(value)) return
    tokens.set(value, { value, field: fieldText(path), kind })
  }

  const visit = (value: unknown, path: FieldPath, depth: number, base64: boolean): void => {
    if (--budget < 0 || depth > MAX_DEPTH) return
    if (typeof value === 'string') {
      add(value, path)
      const inner = bearerToken(value)
      if (inner !== undefined) add(inner, path, classify(inner) ?? 'bearer')
      const text = base64 ? Buffer.from(value, 'base64').toString('utf8') : value
      // Stryker disable next-line ConditionalExpression: without base64, text is value, added just above (adding it again does nothing)
      if (base64) add(text, path)
      const parsed = parseJson(text)
      // Stryker disable next-line BooleanLiteral: parseJson only parses an object or an array, whose visit does not read this flag
      if (parsed !== undefined) visit(parsed, path, depth + 1, false)
    } else if (typeof value === 'number') {
      if (Number.isInteger(value) && Math.abs(value) >= 10_000_000) add(String(value), path)
    } else if (Array.isArray(value)) {
      for (
        let i = 0;
        i < value.length &&
        // Stryker disable next-line ConditionalExpression,EqualityOperator: a shortcut; visit itself stops once the budget is spent
        budget > 0;
        i++
      ) {
        visit(Object.getOwnPropertyDescriptor(value, i)?.value, [path, i], depth + 1, false)
      }
    } else if (typeof value === 'object' && value !== null) {
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) return
      const encoded = Object.getOwnPropertyDescriptor(value, 'isBase64Encoded')?.value === true
      for (const key of Object.keys(value)) {
        if (CONSTANT_FIELDS.has(key)) continue
        // Listed just now by Object.keys, and no code ran since.
        const descriptor = Object.getOwnPropertyDescriptor(value, key) as PropertyDescriptor
        if (!('value' in descriptor)) continue
        visit(descriptor.value, [path, key], depth + 1, encoded && key === 'body')
      }
    }
  }

  visit(event, undefined, 0, false)
  return tokens
}
