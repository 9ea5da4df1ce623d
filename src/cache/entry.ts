/**
 * The record a tier holds, and the keys records are stored under.
 *
 * Every key derived from a base key (per principal, per Vary values) starts with
 * the base's {@link derivedPrefix}, so that deleting a base key can find them all.
 */
import type { HttpRequest } from './http.js'
import { digest, headerOf } from './http.js'
import { DERIVED_MARK, derivedPrefix } from './key.js'

/** Any stored result (no HTTP rules applied). */
export const PLAIN = 0
/** A stored HTTP response. */
export const HTTP = 1
/** A marker naming the request headers that the responses stored under its key vary on. */
export const VARY = 2

/** One record in a tier. All kinds share one shape, so the hit path stays monomorphic. */
export interface Entry {
  readonly kind: typeof PLAIN | typeof HTTP | typeof VARY
  /** PLAIN, HTTP: the stored copy (see `snapshot`); VARY: `undefined`. */
  readonly value: unknown
  /** Whether `value` is frozen yet: it is, from its first hit on (see `deepFreeze`). */
  frozen: boolean
  /** When it was stored, on the cache's clock (ms). */
  readonly storedAt: number
  /** How old it already was when stored, in ms (the `Age` it came with, or its apparent age). */
  readonly initialAge: number
  /** When it stops being fresh, on the cache's clock (ms). */
  readonly expiresAt: number
  /**
   * Until when it may still answer a failure (`staleIfError`, or the response's
   * `stale-if-error`), on the cache's clock (ms); past that it is dropped when read.
   */
  readonly staleUntil: number
  /** HTTP: the response's `Last-Modified` (else its `Date`) in ms since the epoch, for `If-Modified-Since`; else `NaN`. */
  readonly lastModified: number
  /** HTTP: the response said a shared cache may serve it to anyone. */
  readonly shareable: boolean
  /** HTTP: the response's ETag, for `If-None-Match`. */
  readonly etag: string | undefined
  /** VARY: the request headers the stored responses vary on (lower-case, sorted). */
  readonly vary: readonly string[] | undefined
  /** The fleet generation its handler started at (fleet-wide invalidation; 0 without it). */
  readonly gen: number
  /** The tags the `tags` option gave it, if any (tag invalidation). */
  readonly tags: readonly string[] | undefined
}

/** Fixed cost of one entry in lru-cache and our record, in bytes (measured roughly). */
export const ENTRY_OVERHEAD_BYTES = 160

/**
 * The default key of an HTTP request: the target (`/items?a=1`) for a GET, and
 * `METHOD target` otherwise. A GET target that does not start with `/` takes the
 * `GET ` prefix, so the two forms never meet. For a GET no string is built at
 * all when there is no query: the key is the event's own path string.
 */
export const defaultHttpKey = (http: HttpRequest): string =>
  http.method === 'GET' && http.target.charCodeAt(0) === 47
    ? http.target
    : `${http.method} ${http.target}`

/** Key of the entries derived from `base` for one principal. */
export const principalKey = (base: string, credentials: string): string =>
  `${derivedPrefix(base)}p${digest(credentials)}`

/**
 * Key of the entry for one set of Vary values, under `key` (a base or a
 * principal key): each value length-prefixed, credentials digested.
 */
export const varyKey = (key: string, vary: readonly string[], http: HttpRequest): string => {
  let values = ''
  for (const name of vary) {
    const raw = headerOf(http.event, name) ?? ''
    const value = name === 'authorization' || name === 'cookie' ? digest(raw) : raw
    values += `${value.length}:${value}`
  }
  return `${key.startsWith(DERIVED_MARK) ? key : derivedPrefix(key)}v${values}`
}
