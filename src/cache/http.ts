/**
 * HTTP awareness: reading API Gateway (REST v1, HTTP API v2), ALB and Lambda
 * Function URL events, and building the responses a hit answers with. The rules
 * that decide whether and how long a response may be stored are in `rules.ts`.
 *
 * Pure functions of plain data: no Middy here.
 */

type Bag = Record<string, unknown>

/** The parts of an HTTP request the cache needs, read once per invocation. */
export interface HttpRequest {
  /** Upper-case method. */
  readonly method: string
  /** Path plus canonical query: `/items?a=1&b=2` (parameters sorted by name). */
  readonly target: string
  /**
   * Everything that identifies the caller (Authorization, cookies, ALB OIDC
   * headers, the API Gateway authorizer and IAM identity), or `undefined` for
   * an anonymous request.
   */
  readonly credentials: string | undefined
  /** The request headers of {@link READ_HEADERS} that it has, by lower-case name. */
  readonly headers: Readonly<Record<string, string>>
  /** The event, for other headers (see {@link headerOf}). */
  readonly event: Bag
}

const isBag = (value: unknown): value is Bag => value !== null && typeof value === 'object'

/** Whether an object has an enumerable property, without allocating a list of them. */
export const hasProperties = (bag: object): boolean => {
  for (const _ in bag) return true
  return false
}

/**
 * The request headers read on every request, by lower-case name: `true` for those
 * that identify the caller (each one is part of the credentials).
 */
const READ_HEADERS = new Map([
  ['authorization', true],
  ['proxy-authorization', true],
  ['x-amzn-oidc-identity', true],
  ['x-amzn-oidc-data', true],
  ['x-amzn-oidc-accesstoken', true],
  ['cookie', false],
  ['if-none-match', false],
  ['cache-control', false],
  ['pragma', false],
])
/**
 * Bit n set when some name in READ_HEADERS is n characters long (6 to 23): a cheap
 * filter that skips most other headers before their name is lower-cased. Only a
 * filter: a name of 32 characters or more is tested modulo 32, and then looked up.
 */
const READ_LENGTHS = [...READ_HEADERS.keys()].reduce((bits, name) => bits | (1 << name.length), 0)

/** API Gateway v1 `requestContext.identity` fields that name an authenticated caller. */
const IDENTITY_FIELDS = [
  'cognitoIdentityId',
  'cognitoAuthenticationProvider',
  'user',
  'userArn',
  'accessKey',
  'caller',
]

/** A header value (a string, a number, or a multi-value array) as text. */
const headerText = (value: unknown, separator: string): string | undefined =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : Array.isArray(value) && value.length > 0
      ? value.join(separator)
      : undefined

/**
 * A header of a request event or a response by lower-case name, matched
 * case-insensitively across `headers`, `multiValueHeaders` and (for `cookie`)
 * the v2 `cookies` array.
 */
export const headerOf = (message: Bag, name: string): string | undefined => {
  const separator = name === 'cookie' ? '; ' : ', '
  for (const field of ['headers', 'multiValueHeaders']) {
    const bag = message[field]
    // Stryker disable next-line ConditionalExpression: for-in over a primitive yields no key, or (a string) digits, never a header name
    if (!isBag(bag)) continue
    for (const key in bag) {
      // Stryker disable next-line ConditionalExpression: the length test only saves a toLowerCase; ASCII names of other lengths never match
      if (key.length !== name.length || key.toLowerCase() !== name) continue
      const text = headerText(bag[key], separator)
      if (text !== undefined) return text
    }
  }
  return name === 'cookie' ? headerText(message.cookies, separator) : undefined
}

/**
 * Canonical query: `name=value` pairs sorted by name (stable, so repeated
 * names keep their order), joined with `&`.
 */
const canonicalQuery = (pairs: string[]): string => {
  const name = (pair: string) => pair.split('=', 1)[0] as string
  // Stryker disable next-line ConditionalExpression: a fast path; sorting no pair or one gives the same text
  return pairs.length < 2
    ? (pairs[0] ?? '')
    : // Stryker disable next-line ConditionalExpression,EqualityOperator: V8's sort only asks whether the result is below 0, so 1 and 0 sort alike
      pairs.sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0)).join('&')
}

/** v1 and ALB: `multiValueQueryStringParameters`, else `queryStringParameters`, as pairs. */
const queryPairs = (event: Bag): string[] => {
  const pairs: string[] = []
  const multi = event.multiValueQueryStringParameters
  const single = isBag(multi) ? multi : event.queryStringParameters
  if (isBag(single)) {
    for (const name in single) {
      for (const value of [single[name]].flat()) {
        pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
      }
    }
  }
  return pairs
}

/** Appends one labelled credential to the material. */
const withCredential = (material: string, label: string, value: unknown): string =>
  value === undefined || value === null || value === ''
    ? material
    : `${material}${label}=${typeof value === 'string' ? value : JSON.stringify(value)}\n`

/**
 * Reads an HTTP event (API Gateway v1/v2, ALB, Function URL); `undefined` for any
 * other event (SQS, S3, a WebSocket message, a direct invocation).
 */
export const readHttpRequest = (event: unknown): HttpRequest | undefined => {
  if (!isBag(event)) return undefined
  let method: unknown
  let path: unknown
  let query: string
  const context = event.requestContext
  if (event.version === '2.0' && isBag(context) && isBag(context.http)) {
    method = context.http.method
    path = event.rawPath
    const raw = event.rawQueryString
    // Stryker disable next-line ConditionalExpression,StringLiteral: a fast path; the canonical query of '' is ''
    query = typeof raw === 'string' && raw !== '' ? canonicalQuery(raw.split('&')) : ''
  } else {
    // Stryker disable next-line ConditionalExpression: a shortcut for other events (SQS, S3...); the check below rejects them too
    if (typeof event.httpMethod !== 'string') return undefined
    method = event.httpMethod
    path = event.path
    query = canonicalQuery(queryPairs(event))
  }
  if (typeof method !== 'string' || typeof path !== 'string') return undefined
  // One pass over the header names. API Gateway v1 sends both maps with the same
  // names; ALB sends one of them.
  const headers: Record<string, string> = {}
  let credentials = ''
  const bag = isBag(event.headers) ? event.headers : event.multiValueHeaders
  // Stryker disable next-line ConditionalExpression: for-in over a primitive yields no key, or (a string) digits, never a header name
  if (isBag(bag)) {
    for (const name in bag) {
      // Stryker disable next-line ConditionalExpression: a filter only; READ_HEADERS is the test
      if (((READ_LENGTHS >>> name.length) & 1) === 0) continue
      const lower = name.toLowerCase()
      const identifies = READ_HEADERS.get(lower)
      if (identifies === undefined) continue
      const value = headerText(bag[name], lower === 'cookie' ? '; ' : ', ')
      if (identifies) credentials = withCredential(credentials, lower, value)
      else if (value !== undefined) headers[lower] = value
    }
  }
  if (headers.cookie === undefined) {
    const cookies = headerText(event.cookies, '; ')
    if (cookies !== undefined) headers.cookie = cookies
  }
  credentials = withCredential(credentials, 'cookie', headers.cookie)
  if (isBag(context)) {
    const { authorizer, identity } = context
    if (isBag(authorizer) && hasProperties(authorizer)) {
      credentials = withCredential(credentials, 'authorizer', authorizer)
    }
    if (isBag(identity)) {
      for (const field of IDENTITY_FIELDS)
        credentials = withCredential(credentials, field, identity[field])
    }
  }
  return {
    method: method.toUpperCase(),
    target: query === '' ? path : `${path}?${query}`,
    credentials: credentials || undefined,
    headers,
    event,
  }
}

type Crypto = typeof import('node:crypto')
let crypto: Crypto | undefined

/**
 * A one-way digest (SHA-256) of caller credentials, so that keys never hold a
 * token in clear. `node:crypto` takes about 4 ms to load, so it is loaded on the
 * first authenticated request rather than at import: a cold start without
 * credentials pays nothing for it.
 */
export const digest = (text: string): string => {
  crypto ??= process.getBuiltinModule('node:crypto') as Crypto
  return crypto.createHash('sha256').update(text).digest('base64url')
}

/** Weak comparison of `If-None-Match` with an ETag (RFC 9110 §13.1.2). */
export const ifNoneMatchHits = (
  ifNoneMatch: string | undefined,
  etag: string | undefined,
): boolean => {
  if (ifNoneMatch === undefined || etag === undefined) return false
  const weakless = (tag: string) => tag.trim().replace(/^W\//, '')
  return ifNoneMatch
    .split(',')
    .some((tag) => tag.trim() === '*' || weakless(tag) === weakless(etag))
}

/** Headers a 304 carries over from the stored response (RFC 9110 §15.4.5). */
const NOT_MODIFIED_HEADERS = [
  'cache-control',
  'content-location',
  'date',
  'etag',
  'expires',
  'vary',
]

/** Whether a response keeps its headers in `multiValueHeaders` (API Gateway v1, ALB) only. */
const isMultiValue = (response: Bag): boolean =>
  isBag(response.multiValueHeaders) && !isBag(response.headers)

/** A shallow copy of `response` with `extra` headers set, in `headers` or `multiValueHeaders`. */
export const withHeaders = (response: Bag, extra: Record<string, string>): Bag => {
  if (isMultiValue(response)) {
    const multiValueHeaders: Bag = { ...(response.multiValueHeaders as Bag) }
    for (const name in extra) multiValueHeaders[name] = [extra[name]]
    return { ...response, multiValueHeaders }
  }
  return {
    ...response,
    headers: { ...(isBag(response.headers) ? response.headers : {}), ...extra },
  }
}

/**
 * Builds the response for a hit: the stored response with `Age` and the status
 * header added (or a 304 when the client's validator matches), in a fresh
 * object, so that callers never share or alter the stored one.
 */
export const hitResponse = (
  stored: Bag,
  ageSeconds: number,
  statusHeader: string | undefined,
  statusValue: string,
  notModified: boolean,
): Bag => {
  // Stryker disable next-line ConditionalExpression,BlockStatement: the fast path builds what withHeaders below builds
  if (!notModified && !isMultiValue(stored)) {
    // The hit path: one copy of the headers and one of the response, nothing else.
    const headers: Bag = { ...(isBag(stored.headers) ? stored.headers : undefined) }
    headers.age = String(ageSeconds)
    if (statusHeader) headers[statusHeader] = statusValue
    return { ...stored, headers }
  }
  const extra: Record<string, string> = { age: String(ageSeconds) }
  if (statusHeader) extra[statusHeader] = statusValue
  if (!notModified) return withHeaders(stored, extra)
  const kept: Record<string, string> = {}
  for (const name of NOT_MODIFIED_HEADERS) {
    const value = headerOf(stored, name)
    if (value !== undefined) kept[name] = value
  }
  const empty = isMultiValue(stored) ? { multiValueHeaders: {} } : {}
  return withHeaders({ statusCode: 304, ...empty, body: '' }, { ...kept, ...extra })
}

/**
 * The target (path plus canonical query, as in {@link HttpRequest.target}) that
 * a `Location` or `Content-Location` value names, resolved against the request;
 * `undefined` when it is on another origin (or cannot be parsed).
 */
export const sameOriginTarget = (reference: string, http: HttpRequest): string | undefined => {
  const context = http.event.requestContext
  const host =
    headerOf(http.event, 'host') ??
    (isBag(context) && typeof context.domainName === 'string' ? context.domainName : 'localhost')
  try {
    const base = new URL(`https://${host}${http.target}`)
    // Stryker disable next-line MethodExpression: URL trims the same leading and trailing spaces; kept for clarity
    const url = new URL(reference.trim(), base)
    if (url.host !== base.host) return undefined
    // Stryker disable next-line ConditionalExpression,EqualityOperator: URL gives '' for a lone '?', so search is '' or longer than 1; and the canonical query of '' is ''
    const query = url.search.length > 1 ? canonicalQuery(url.search.slice(1).split('&')) : ''
    return query === '' ? url.pathname : `${url.pathname}?${query}`
  } catch {
    // URL throws for a host or a reference it cannot parse: not a target of this origin.
  }
  return undefined
}

/**
 * The response without `Connection` and the fields it lists (RFC 9111 §3.1: a
 * cache does not store them); the response itself when it has no `Connection`.
 */
export const withoutConnectionFields = (response: Bag): Bag => {
  const connection = headerOf(response, 'connection')
  if (connection === undefined) return response
  const drop = new Set(['connection'])
  for (const name of connection.split(',')) drop.add(name.trim().toLowerCase())
  const copy: Bag = { ...response }
  for (const field of ['headers', 'multiValueHeaders']) {
    const bag = response[field]
    if (!isBag(bag)) continue
    const kept: Bag = {}
    for (const name in bag) if (!drop.has(name.toLowerCase())) kept[name] = bag[name]
    copy[field] = kept
  }
  return copy
}
