/**
 * The shared-cache rules of RFC 9111 that decide whether a response may be
 * stored, for how long, and how old it already is: Cache-Control and the
 * targeted fields orcCache obeys (CDN-Cache-Control, RFC 9213; Surrogate-Control),
 * Age, Expires against Date, and which statuses may be stored without explicit
 * freshness.
 *
 * Pure functions of plain data: no Middy, no clock other than the one passed in.
 */
import { type HttpRequest, headerOf } from './http.js'

type Bag = Record<string, unknown>

/**
 * Directives of a Cache-Control-like field, lower-case names; a directive
 * without a value maps to `''`. A double-quoted value is unquoted (RFC 9111
 * §5.2: a recipient accepts both forms); the first occurrence of a name wins.
 */
export const parseCacheControl = (header = ''): Map<string, string> => {
  const directives = new Map<string, string>()
  for (const part of header.split(',')) {
    const eq = part.indexOf('=')
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase()
    const value = eq === -1 ? '' : part.slice(eq + 1).trim()
    if (name !== '' && !directives.has(name)) directives.set(name, value.replace(/^"(.*)"$/, '$1'))
  }
  return directives
}

/** Largest delta-seconds a cache must handle; larger values count as this (RFC 9111 §1.2.2). */
const MAX_DELTA_SECONDS = 2_147_483_648

/**
 * A `delta-seconds` value (RFC 9111 §1.2.2: digits only) in seconds; `NaN` for
 * anything else (negative, fractional, quoted with `'`, a list, parameters).
 */
export const deltaSeconds = (value: string): number =>
  /^\d+$/.test(value) ? Math.min(Number(value), MAX_DELTA_SECONDS) : Number.NaN

/**
 * The `Age` of a response in seconds (RFC 9111 §5.1): `undefined` when absent,
 * `NaN` when invalid. Several values (a list, or repeated lines joined with
 * commas) are invalid too: the cache cannot tell which one is right.
 */
export const parseAge = (value: string | undefined): number | undefined =>
  value === undefined ? undefined : deltaSeconds(value.trim())

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const IMF_FIXDATE = /^([A-Z][a-z]{2}), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/
const RFC850_DATE =
  /^([A-Z][a-z]{5,8}), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/
const ASCTIME_DATE = /^([A-Z][a-z]{2}) ([A-Z][a-z]{2}) ([\d ]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/

/** ms since the epoch of a valid calendar instant, else `NaN` (no rolling over of 31 Feb). */
const instant = (
  year: number,
  month: number,
  day: number,
  hours: number,
  minutes: number,
  secs: number,
): number => {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: an unknown month (-1) or an hour past 23 moves the instant to another day and month, which the last line refuses too
  if (month < 0 || hours > 23) return Number.NaN
  if (minutes > 59 || secs > 60) return Number.NaN
  const at = Date.UTC(year, month, day, hours, minutes, Math.min(secs, 59))
  const date = new Date(at)
  // Stryker disable next-line ConditionalExpression,LogicalOperator: a day past the month's end (31 Feb) changes both the day and the month, so either test alone refuses it
  return date.getUTCDate() === day && date.getUTCMonth() === month ? at : Number.NaN
}

/**
 * An HTTP-date (RFC 9110 §5.6.7) in ms since the epoch: IMF-fixdate, or the
 * obsolete RFC 850 and asctime forms, case-sensitive as specified; `NaN` for
 * anything else. A two-digit RFC 850 year more than 50 years in the future is
 * taken as the past century's.
 */
export const parseHttpDate = (value: string | undefined, nowMs: number = Date.now()): number => {
  if (value === undefined) return Number.NaN
  const text = value.trim()
  let match = IMF_FIXDATE.exec(text)
  if (match) {
    if (!DAYS.includes(match[1] as string)) return Number.NaN
    return instant(
      Number(match[4]),
      MONTHS.indexOf(match[3] as string),
      Number(match[2]),
      Number(match[5]),
      Number(match[6]),
      Number(match[7]),
    )
  }
  match = RFC850_DATE.exec(text)
  if (match) {
    if (!LONG_DAYS.includes(match[1] as string)) return Number.NaN
    const thisYear = new Date(nowMs).getUTCFullYear()
    let year = Math.floor(thisYear / 100) * 100 + Number(match[4])
    if (year > thisYear + 50) year -= 100
    return instant(
      year,
      MONTHS.indexOf(match[3] as string),
      Number(match[2]),
      Number(match[5]),
      Number(match[6]),
      Number(match[7]),
    )
  }
  match = ASCTIME_DATE.exec(text)
  if (match) {
    if (!DAYS.includes(match[1] as string)) return Number.NaN
    return instant(
      Number(match[7]),
      MONTHS.indexOf(match[2] as string),
      // Stryker disable next-line MethodExpression: Number() ignores the space too; kept for clarity
      Number((match[3] as string).trim()),
      Number(match[4]),
      Number(match[5]),
      Number(match[6]),
    )
  }
  return Number.NaN
}

/** The device token orcCache answers to in `Surrogate-Control` (`max-age=60;orc`). */
export const SURROGATE_TOKEN = 'orc'
/** The `Surrogate-Capability` value a handler that fronts an origin may send it. */
export const SURROGATE_CAPABILITY = `${SURROGATE_TOKEN}="Surrogate/1.0"`

/**
 * Surrogate-Control directives (Edge Architecture 1.0) meant for orcCache:
 * untargeted ones, and those targeted at {@link SURROGATE_TOKEN}. A targeted
 * directive wins over an untargeted one of the same name.
 */
export const parseSurrogateControl = (header: string | undefined): Map<string, string> => {
  const directives = new Map<string, string>()
  if (header === undefined) return directives
  for (const part of header.split(',')) {
    const semi = part.indexOf(';')
    const target = semi === -1 ? undefined : part.slice(semi + 1).trim()
    if (target !== undefined && target !== SURROGATE_TOKEN) continue
    const [name, value] = [...parseCacheControl(semi === -1 ? part : part.slice(0, semi))][0] ?? []
    // An untargeted directive never replaces one already read (targeted, or the first of its name).
    if (name === undefined || (target === undefined && directives.has(name))) continue
    directives.set(name, value as string)
  }
  return directives
}

/** Directives a cache acts on; a targeted field without any of them is not used. */
const KNOWN = [
  'max-age',
  's-maxage',
  'no-store',
  'no-cache',
  'private',
  'public',
  'must-revalidate',
]

/**
 * The directives orcCache obeys for a response, and whether they came from a
 * targeted field (RFC 9213 §2.2: the first targeted field present in the list
 * `CDN-Cache-Control`, `Surrogate-Control` is used instead of Cache-Control and
 * Expires; a field with no known directive counts as absent).
 */
export const responseDirectives = (
  response: Bag,
): { directives: Map<string, string>; targeted: boolean } => {
  const cdn = headerOf(response, 'cdn-cache-control')
  // Stryker disable next-line ConditionalExpression: a shortcut; an absent field parses to no directive
  if (cdn !== undefined) {
    const directives = parseCacheControl(cdn)
    if (KNOWN.some((name) => directives.has(name))) return { directives, targeted: true }
  }
  const surrogate = headerOf(response, 'surrogate-control')
  // Stryker disable next-line ConditionalExpression: a shortcut; an absent field parses to no directive
  if (surrogate !== undefined) {
    const directives = parseSurrogateControl(surrogate)
    if (KNOWN.some((name) => directives.has(name))) return { directives, targeted: true }
  }
  return { directives: parseCacheControl(headerOf(response, 'cache-control')), targeted: false }
}

/**
 * Statuses a cache may store without explicit freshness, using heuristic
 * freshness (RFC 9110 §15.1, RFC 9111 §4.2.2); orcCache's heuristic is its `ttl`.
 */
export const HEURISTIC_STATUSES: ReadonlySet<number> = new Set([
  200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501,
])

/** What the HTTP rules decided for a response they allow storing. */
export interface StoreDecision {
  /** How long the entry stays fresh from now, in ms (its remaining freshness, capped by the ttl). */
  readonly ttl: number
  /** How old the response already is, in ms (RFC 9111 §4.2.3 `corrected_initial_age`). */
  readonly initialAge: number
  /** Request header names the response varies on (lower-case, sorted), if any. */
  readonly vary: readonly string[] | undefined
  /** True when the response says a shared cache may serve it to anyone (`public`, `s-maxage`). */
  readonly shareable: boolean
  /** The response's validator, for `If-None-Match`. */
  readonly etag: string | undefined
  /** `Last-Modified`, else `Date`, in ms since the epoch (`NaN` if neither is valid), for `If-Modified-Since`. */
  readonly lastModified: number
  /** The response's `stale-if-error` (RFC 5861) in ms; 0 when it has none. */
  readonly staleIfError: number
}

/** HTTP rules in force, from the cache's options. */
export interface HttpRules {
  /** Configured ttl (ms): the cap on any freshness, and the heuristic freshness. */
  readonly ttl: number
  /** TTL (ms) for 404/410 responses; 0 disables negative caching. */
  readonly negativeTtl: number
}

/**
 * The explicit freshness lifetime in ms (RFC 9111 §4.2.1): `s-maxage`, then
 * `max-age`, then (unless a targeted field decided) `Expires` minus `Date`;
 * `undefined` when there is none, `NaN` when the one present is invalid (the
 * response is then stale).
 */
const explicitLifetime = (
  response: Bag,
  directives: Map<string, string>,
  targeted: boolean,
  date: number,
  nowMs: number,
): number | undefined => {
  const sMaxAge = directives.get('s-maxage')
  if (sMaxAge !== undefined) return deltaSeconds(sMaxAge) * 1000
  const maxAge = directives.get('max-age')
  if (maxAge !== undefined) return deltaSeconds(maxAge) * 1000
  if (targeted) return undefined
  const expires = headerOf(response, 'expires')
  if (expires === undefined) return undefined
  // An invalid Expires (such as "0") means already expired (RFC 9111 §5.3).
  return parseHttpDate(expires, nowMs) - (Number.isNaN(date) ? nowMs : date)
}

/**
 * Decides whether an HTTP response may be stored by a shared cache, for how
 * long and how old it is (RFC 9111 §3, §4.2); `undefined` means it may not.
 * `statusAllowed` is the cacheable check for the status (2xx by default, or the
 * user's own rule). `nowMs` is the wall clock when the response was received.
 */
export const decideStore = (
  response: Bag,
  rules: HttpRules,
  statusAllowed: boolean,
  nowMs: number = Date.now(),
): StoreDecision | undefined => {
  const status = response.statusCode as number
  const negative =
    !statusAllowed &&
    (status === 404 || status === 410) &&
    // Stryker disable next-line ConditionalExpression,EqualityOperator: with a negativeTtl of 0 the cap below is 0, and a ttl of 0 is not stored
    rules.negativeTtl > 0
  // A partial response is never stored: it would be served to requests without Range (§3.3, §3.4).
  if ((!statusAllowed && !negative) || status === 206) return undefined
  const { directives, targeted } = responseDirectives(response)
  // Not for a shared cache, or must not be reused unchecked; or it sets a cookie.
  if (
    directives.has('no-store') ||
    directives.has('private') ||
    directives.has('no-cache') ||
    headerOf(response, 'set-cookie') !== undefined ||
    (Array.isArray(response.cookies) && response.cookies.length > 0)
  ) {
    return undefined
  }
  let vary = headerOf(response, 'vary')
    ?.split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '')
  // `Vary: *`: the response depends on more than the request's headers.
  if (vary?.includes('*')) return undefined
  vary = vary?.length ? [...new Set(vary)].sort() : undefined
  const age = parseAge(headerOf(response, 'age'))
  const date = parseHttpDate(headerOf(response, 'date'), nowMs)
  const explicit = explicitLifetime(response, directives, targeted, date, nowMs)
  // Without explicit freshness, only some statuses may be reused (heuristically, for the ttl).
  if (explicit === undefined && !HEURISTIC_STATUSES.has(status) && !directives.has('public')) {
    return undefined
  }
  const lifetime = explicit ?? rules.ttl
  // RFC 9111 §4.2.3: apparent age from Date, and the Age the response carries.
  const apparentAge = Number.isNaN(date) ? 0 : Math.max(0, nowMs - date)
  const initialAge = Math.max(apparentAge, (age ?? 0) * 1000)
  const lastModified = parseHttpDate(headerOf(response, 'last-modified'), nowMs)
  const cap = negative ? Math.min(rules.negativeTtl, rules.ttl) : rules.ttl
  const ttl = Math.min(cap, lifetime - initialAge)
  // NaN (an invalid Age, max-age or Expires) fails this test: the response is stale.
  return ttl > 0
    ? {
        ttl,
        initialAge,
        vary,
        shareable: directives.has('public') || directives.has('s-maxage'),
        etag: headerOf(response, 'etag'),
        lastModified: Number.isNaN(lastModified) ? date : lastModified,
        // Stryker disable next-line StringLiteral: any string that is not digits reads as NaN, then 0
        staleIfError: (deltaSeconds(directives.get('stale-if-error') ?? '') || 0) * 1000,
      }
    : undefined
}

/** Request Cache-Control directives a client may use to skip the cache (only when allowed). */
export const requestCacheDirectives = (
  request: HttpRequest,
): { noCache: boolean; noStore: boolean } => {
  const directives = parseCacheControl(request.headers['cache-control'])
  return {
    noCache:
      directives.has('no-cache') ||
      directives.get('max-age') === '0' ||
      parseCacheControl(request.headers.pragma).has('no-cache'),
    noStore: directives.has('no-store'),
  }
}
