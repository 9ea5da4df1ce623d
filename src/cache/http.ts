/**
 * HTTP awareness: reading API Gateway (REST v1, HTTP API v2), ALB and Lambda
 * Function URL events, and the shared-cache rules of RFC 9111 that decide
 * whether and how long a response may be stored and who may be served it.
 *
 * Pure functions of plain data: no Middy here.
 */

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
  /** The request's `If-None-Match`, `Cache-Control` and `Pragma` headers. */
  readonly ifNoneMatch: string | undefined
  readonly cacheControl: string | undefined
  readonly pragma: string | undefined
  /** The event, for other headers (see {@link requestHeader}). */
  readonly event: Bag
}

type Bag = Record<string, unknown>

const isBag = (value: unknown): value is Bag => value !== null && typeof value === 'object'

/** API Gateway v1 `requestContext.identity` fields that name an authenticated caller. */
const IDENTITY_FIELDS = [
  'cognitoIdentityId',
  'cognitoAuthenticationProvider',
  'user',
  'userArn',
  'accessKey',
  'caller',
] as const

/** Appends one labelled credential to the material (undefined when there is none yet). */
const addCredential = (
  material: string | undefined,
  label: string,
  value: unknown,
): string | undefined => {
  if (value === undefined || value === null || value === '') return material
  return `${material ?? ''}${label}=${typeof value === 'string' ? value : JSON.stringify(value)}\n`
}

/** Joins a header value that may be a string or (multi-value) an array of strings. */
const headerText = (value: unknown, separator: string): string | undefined => {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.length > 0) return value.join(separator)
  return undefined
}

/**
 * A request header by case-insensitive name, across `headers`,
 * `multiValueHeaders` and (for `cookie`) the v2 `cookies` array.
 */
export const requestHeader = (http: HttpRequest, name: string): string | undefined => {
  const lower = name.toLowerCase()
  const { event } = http
  for (const field of ['headers', 'multiValueHeaders'] as const) {
    const bag = event[field]
    if (!isBag(bag)) continue
    for (const key in bag) {
      if (key.length === lower.length && key.toLowerCase() === lower) {
        const text = headerText(bag[key], lower === 'cookie' ? '; ' : ', ')
        if (text !== undefined) return text
      }
    }
  }
  return lower === 'cookie' ? headerText(event.cookies, '; ') : undefined
}

/**
 * Reads the few headers the cache acts on in one pass over the header names.
 * Names are compared case-insensitively; a length check first keeps the pass
 * cheap, since most headers are none of these.
 */
const scanHeaders = (bag: Bag, separator: string, out: HeaderScan): void => {
  for (const name in bag) {
    const length = name.length
    if (
      length !== 6 &&
      length !== 13 &&
      length !== 16 &&
      length !== 19 &&
      length !== 20 &&
      length !== 23
    )
      continue
    const value = headerText(bag[name], separator)
    if (value === undefined) continue
    switch (name.toLowerCase()) {
      case 'authorization':
      case 'proxy-authorization':
      case 'x-amzn-oidc-identity':
      case 'x-amzn-oidc-data':
      case 'x-amzn-oidc-accesstoken':
        out.credentials = addCredential(out.credentials, name.toLowerCase(), value)
        break
      case 'cookie':
        out.cookie = value
        break
      case 'if-none-match':
        out.ifNoneMatch = value
        break
      case 'cache-control':
        out.cacheControl = value
        break
      case 'pragma':
        out.pragma = value
        break
    }
  }
}

interface HeaderScan {
  credentials: string | undefined
  cookie: string | undefined
  ifNoneMatch: string | undefined
  cacheControl: string | undefined
  pragma: string | undefined
}

const compareNames = (a: string, b: string): number => {
  const nameA = a.slice(0, (a.indexOf('=') + 1 || a.length + 1) - 1)
  const nameB = b.slice(0, (b.indexOf('=') + 1 || b.length + 1) - 1)
  return nameA < nameB ? -1 : nameA > nameB ? 1 : 0
}

/**
 * Canonical query: `name=value` pairs sorted by name (stable, so repeated
 * names keep their order), joined with `&`.
 */
export const canonicalQuery = (pairs: string[]): string =>
  pairs.length === 0
    ? ''
    : pairs.length === 1
      ? (pairs[0] as string)
      : pairs.sort(compareNames).join('&')

const encode = encodeURIComponent

const queryPairsFromParameters = (event: Bag): string[] => {
  const pairs: string[] = []
  const multi = event.multiValueQueryStringParameters
  const single = event.queryStringParameters
  if (isBag(multi)) {
    for (const name in multi) {
      const values = multi[name]
      if (Array.isArray(values))
        for (const value of values) pairs.push(`${encode(name)}=${encode(String(value))}`)
    }
  } else if (isBag(single)) {
    for (const name in single) pairs.push(`${encode(name)}=${encode(String(single[name]))}`)
  }
  return pairs
}

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
    query = typeof raw === 'string' && raw !== '' ? canonicalQuery(raw.split('&')) : ''
  } else if (typeof event.httpMethod === 'string') {
    method = event.httpMethod
    path = event.path
    query = canonicalQuery(queryPairsFromParameters(event))
  } else {
    return undefined
  }
  if (typeof method !== 'string' || typeof path !== 'string') return undefined
  const scan: HeaderScan = {
    credentials: undefined,
    cookie: undefined,
    ifNoneMatch: undefined,
    cacheControl: undefined,
    pragma: undefined,
  }
  // API Gateway v1 sends both maps with the same names; ALB sends one of them.
  if (isBag(event.headers)) scanHeaders(event.headers, ', ', scan)
  else if (isBag(event.multiValueHeaders)) scanHeaders(event.multiValueHeaders, ', ', scan)
  let credentials = scan.credentials
  const cookie = scan.cookie ?? headerText(event.cookies, '; ')
  credentials = addCredential(credentials, 'cookie', cookie)
  if (isBag(context)) {
    const authorizer = context.authorizer
    if (isBag(authorizer)) {
      for (const _ in authorizer) {
        credentials = addCredential(credentials, 'authorizer', authorizer)
        break
      }
    }
    const identity = context.identity
    if (isBag(identity))
      for (const field of IDENTITY_FIELDS)
        credentials = addCredential(credentials, field, identity[field])
  }
  return {
    method: method.toUpperCase(),
    target: query === '' ? path : `${path}?${query}`,
    credentials,
    ifNoneMatch: scan.ifNoneMatch,
    cacheControl: scan.cacheControl,
    pragma: scan.pragma,
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

/** Cache-Control directives, lower-case names; a directive without a value maps to `''`. */
export const parseCacheControl = (header: string | undefined): Map<string, string> => {
  const directives = new Map<string, string>()
  if (!header) return directives
  for (const part of header.split(',')) {
    const eq = part.indexOf('=')
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase()
    if (name === '') continue
    const value =
      eq === -1
        ? ''
        : part
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1')
    if (!directives.has(name)) directives.set(name, value)
  }
  return directives
}

/** A response header by case-insensitive name, across `headers` and `multiValueHeaders`. */
export const responseHeader = (response: Bag, name: string): string | undefined => {
  const lower = name.toLowerCase()
  for (const field of ['headers', 'multiValueHeaders'] as const) {
    const bag = response[field]
    if (!isBag(bag)) continue
    for (const key in bag) {
      if (key.toLowerCase() !== lower) continue
      const value = bag[key]
      if (typeof value === 'string') return value
      if (typeof value === 'number' || typeof value === 'boolean') return String(value)
      if (Array.isArray(value) && value.length > 0) return value.join(', ')
    }
  }
  return undefined
}

const setsCookie = (response: Bag): boolean =>
  responseHeader(response, 'set-cookie') !== undefined ||
  (Array.isArray(response.cookies) && response.cookies.length > 0)

const seconds = (value: string | undefined): number | undefined => {
  if (value === undefined || !/^\d+$/.test(value)) return undefined
  return Number(value) * 1000
}

/** What the HTTP rules decided about storing a response. */
export type StoreDecision =
  | {
      readonly store: true
      /** Time to live in ms: the response's own freshness, capped by the configured ttl. */
      readonly ttl: number
      /** Request header names the response varies on (lower-case), if any. */
      readonly vary: readonly string[] | undefined
      /** True when the response says a shared cache may serve it to anyone (`public`, `s-maxage`). */
      readonly shareable: boolean
    }
  | { readonly store: false; readonly reason: string }

/** HTTP rules in force, from the cache's options. */
export interface HttpRules {
  /** Configured ttl (ms), the cap on any freshness a response asks for. */
  readonly ttl: number
  /** TTL (ms) for 404/410 responses; 0 disables negative caching. */
  readonly negativeTtl: number
}

/**
 * Decides whether an HTTP response may be stored by a shared cache, and for how
 * long (RFC 9111 §3 and §4.2.1). `statusAllowed` is the cacheable check for the
 * status (2xx by default, or the user's own rule).
 */
export const decideStore = (
  response: unknown,
  rules: HttpRules,
  statusAllowed: boolean,
  nowMs: number = Date.now(),
): StoreDecision => {
  if (!isBag(response))
    return { store: false, reason: 'the response is not an HTTP response object' }
  const status = response.statusCode
  const negative = status === 404 || status === 410
  if (!statusAllowed && !(negative && rules.negativeTtl > 0)) {
    return { store: false, reason: `status ${String(status)} is not cacheable` }
  }
  const cacheControl = parseCacheControl(responseHeader(response, 'cache-control'))
  for (const directive of ['no-store', 'private', 'no-cache']) {
    if (cacheControl.has(directive)) return { store: false, reason: `Cache-Control: ${directive}` }
  }
  if (setsCookie(response)) return { store: false, reason: 'the response sets a cookie' }
  const varyHeader = responseHeader(response, 'vary')
  let vary: string[] | undefined
  if (varyHeader !== undefined) {
    vary = varyHeader
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== '')
    if (vary.includes('*')) return { store: false, reason: 'Vary: *' }
    vary = vary.length === 0 ? undefined : [...new Set(vary)].sort()
  }
  let ttl = negative && !statusAllowed ? Math.min(rules.negativeTtl, rules.ttl) : rules.ttl
  const sMaxAge = seconds(cacheControl.get('s-maxage'))
  const maxAge = seconds(cacheControl.get('max-age'))
  let freshness = sMaxAge ?? maxAge
  if (freshness === undefined) {
    const expires = responseHeader(response, 'expires')
    if (expires !== undefined) {
      const at = Date.parse(expires)
      // An invalid Expires (such as "0") means already expired (RFC 9111 §5.3).
      freshness = Number.isNaN(at) ? 0 : at - nowMs
    }
  }
  if (freshness !== undefined) ttl = Math.min(ttl, freshness)
  if (ttl <= 0)
    return { store: false, reason: 'the response is already stale (max-age, s-maxage or Expires)' }
  return { store: true, ttl, vary, shareable: cacheControl.has('public') || sMaxAge !== undefined }
}

/** The validator of a response, from its `ETag` header. */
export const etagOf = (response: Bag): string | undefined => responseHeader(response, 'etag')

/** Weak comparison of `If-None-Match` with an ETag (RFC 9110 §13.1.2). */
export const ifNoneMatchHits = (
  ifNoneMatch: string | undefined,
  etag: string | undefined,
): boolean => {
  if (ifNoneMatch === undefined || etag === undefined) return false
  if (ifNoneMatch.trim() === '*') return true
  const weakless = (tag: string) => tag.trim().replace(/^W\//, '')
  const target = weakless(etag)
  return ifNoneMatch.split(',').some((tag) => weakless(tag) === target)
}

/** Request Cache-Control directives a client may use to skip the cache (only when allowed). */
export const requestCacheDirectives = (
  request: HttpRequest,
): { noCache: boolean; noStore: boolean } => {
  const directives = parseCacheControl(request.cacheControl)
  const pragmaNoCache = /(?:^|,)\s*no-cache\s*(?:,|$)/i.test(request.pragma ?? '')
  return {
    noCache: directives.has('no-cache') || directives.get('max-age') === '0' || pragmaNoCache,
    noStore: directives.has('no-store'),
  }
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
  const multi = isBag(stored.multiValueHeaders) && !isBag(stored.headers)
  if (notModified) {
    const headers: Record<string, string> = {}
    for (const name of NOT_MODIFIED_HEADERS) {
      const value = responseHeader(stored, name)
      if (value !== undefined) headers[name] = value
    }
    headers.age = String(ageSeconds)
    if (statusHeader) headers[statusHeader] = statusValue
    return multi
      ? { statusCode: 304, multiValueHeaders: toMulti(headers), body: '' }
      : { statusCode: 304, headers, body: '' }
  }
  if (multi) {
    const multiValueHeaders: Record<string, unknown> = { ...(stored.multiValueHeaders as Bag) }
    multiValueHeaders.age = [String(ageSeconds)]
    if (statusHeader) multiValueHeaders[statusHeader] = [statusValue]
    return { ...stored, multiValueHeaders }
  }
  // The hit path: one copy of the headers and one of the response, nothing else.
  const headers: Record<string, unknown> = isBag(stored.headers) ? { ...stored.headers } : {}
  headers.age = String(ageSeconds)
  if (statusHeader) headers[statusHeader] = statusValue
  return { ...stored, headers }
}

const toMulti = (headers: Record<string, string>): Record<string, string[]> => {
  const out: Record<string, string[]> = {}
  for (const name in headers) out[name] = [headers[name] as string]
  return out
}

/** A shallow copy of `response` with `extra` headers set, in `headers` or `multiValueHeaders`. */
export const withHeaders = (response: Bag, extra: Record<string, string>): Bag => {
  if (isBag(response.multiValueHeaders) && !isBag(response.headers)) {
    return { ...response, multiValueHeaders: { ...response.multiValueHeaders, ...toMulti(extra) } }
  }
  return {
    ...response,
    headers: { ...(isBag(response.headers) ? response.headers : {}), ...extra },
  }
}
