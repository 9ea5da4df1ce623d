/** The public types of orcCache's result: its middleware with cache controls, and its counters. */
import type { MiddlewareObj } from '@middy/core'
import type { Context } from 'aws-lambda'
import type { KeyValue } from './key.js'

/** Counters since the cache was created, and its current size. */
export interface OrcCacheStats {
  /** Requests answered from the cache (including after waiting for a concurrent miss), from either tier. */
  hits: number
  /** Of those, answered from the `shared` tier (`HIT-SHARED`). */
  sharedHits: number
  /** Responses written to the `shared` tier and confirmed by it. */
  sharedStores: number
  /** Requests with a key and no fresh entry. */
  misses: number
  /** Responses stored. */
  stores: number
  /** Responses not stored: not cacheable, too large, or not copyable. */
  rejects: number
  /** Entries evicted to stay inside `maxEntries` / `maxBytes`. */
  evictions: number
  /** Requests that had no key, or whose key could not be computed, or whose method is not cached. */
  bypasses: number
  /** Failures answered with a stale entry (`staleIfError`). */
  stale: number
  /** Leases taken on the `shared` tier: misses in both tiers this environment ran the handler for (`lease`). */
  leases: number
  /** Misses that found another environment's lease and waited for its value (`lease`). */
  leaseWaits: number
  /** Entries held now (an expired entry is held until it is read or evicted). */
  entries: number
  /** Estimated bytes held now (never above `maxBytes`). */
  bytes: number
}

/** The middleware returned by {@link orcCache}: a Middy middleware plus cache controls. */
export interface OrcCacheMiddleware<
  TEvent = unknown,
  TResult = unknown,
  TErr = Error,
  TContext extends Context = Context,
  TInternal extends Record<string, unknown> = Record<string, unknown>,
> extends MiddlewareObj<TEvent, TResult, TErr, TContext, TInternal> {
  /** Counters and size; a fresh object each call. */
  stats(): OrcCacheStats
  /**
   * Invalidates one key: what the key selector would give (a string or number,
   * or an array of values for a multi-path selector), or for the default HTTP
   * key the target of a GET (`/items/1?lang=en`) or `METHOD target` for other
   * methods (`HEAD /items/1`). Entries stored for that key per principal or per
   * `Vary` values go with it. Returns whether anything was removed from memory.
   *
   * With a `shared` tier, the key and the derived keys this environment holds
   * are deleted there too; the `after` hook of the current invocation awaits it.
   * With fleet-wide invalidation (`syncInterval`, on by default with `redisStore`),
   * every environment stops serving the key and its derived entries (from memory
   * or the shared tier) within `syncInterval` plus one round trip.
   */
  delete(key: KeyValue | readonly KeyValue[]): boolean
  /**
   * Drops every entry in memory (the counters are kept). With fleet-wide
   * invalidation, every environment does, and what the shared tier holds is stale
   * for all; without it, the shared tier is left as it is.
   */
  clear(): void
  /**
   * Makes every entry stored with any of `tags` (the `tags` option) stale: in
   * memory at once, and with fleet-wide invalidation in every environment and the
   * shared tier within `syncInterval` plus one round trip, without scanning the
   * shared tier's keys.
   * @throws {TypeError} when `tags` is not an array of non-empty strings.
   */
  invalidateTags(tags: readonly string[]): void
}
