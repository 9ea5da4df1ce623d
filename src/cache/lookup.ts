/**
 * Lookup decisions, the same for every tier: following a Vary marker to the
 * variant a request selects, and whether a record found is fresh, usable only
 * as a stale answer to a failure (`staleIfError`), or dead.
 *
 * {@link findSync} drives these steps over a synchronous tier (the L1: a hit
 * allocates nothing here). An asynchronous tier follows the same steps with an
 * `await` at each read.
 */
import { type Entry, VARY, varyKey } from './entry.js'
import type { HttpRequest } from './http.js'
import type { SyncTier } from './tier.js'

/** Whether a record may still be used at `at`: fresh, or inside its stale window. */
export const usable = (entry: Entry, at: number): boolean => entry.staleUntil > at

/** Whether a record is fresh at `at`. */
export const isFresh = (entry: Entry, at: number): boolean => entry.expiresAt > at

/**
 * The key of the variant that `http` selects under a Vary marker, or `undefined`
 * when there is none to read (not an HTTP request, or the marker is dead).
 */
export const variantKey = (
  marker: Entry,
  key: string,
  http: HttpRequest | undefined,
  at: number,
): string | undefined =>
  http === undefined || !usable(marker, at)
    ? undefined
    : varyKey(key, marker.vary as readonly string[], http)

/**
 * The record for `key` in a synchronous tier, following a Vary marker: fresh, or
 * expired but inside the stale window (the caller tells which with {@link isFresh}).
 * A record past that window is dropped.
 */
export const findSync = (
  tier: SyncTier,
  key: string,
  http: HttpRequest | undefined,
  at: number,
): Entry | undefined => {
  let found = key
  let entry = tier.get(key)
  if (entry?.kind === VARY) {
    const variant = variantKey(entry, key, http, at)
    if (variant === undefined) return undefined
    found = variant
    entry = tier.get(found)
    if (entry?.kind === VARY) return undefined
  }
  if (entry === undefined || usable(entry, at)) return entry
  tier.delete(found)
  return undefined
}
