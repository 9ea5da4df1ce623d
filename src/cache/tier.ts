/**
 * A tier: somewhere entries are kept. The in-container LRU ({@link LruTier}) is
 * the first tier; a shared store (Redis, Valkey) can be a second one.
 *
 * A tier only keeps records: it makes no HTTP decision. What to store, under
 * which key, for how long, and whether a record found is fresh, is decided once
 * for every tier, in `lookup.ts` and `store.ts`.
 *
 * A tier's `get` may be synchronous (the L1, so that a hit costs no promise) or
 * asynchronous (a remote tier). The lookup logic is written as pure steps
 * (`lookup.ts`) that a synchronous driver and an asynchronous one both follow.
 *
 * Times in an {@link Entry} are on the cache's clock (`performance.now()` in one
 * process). A tier shared between processes must store remaining freshness (and
 * age) rather than these times, and rebase them to the reader's clock on `get`.
 */
import type { Entry } from './entry.js'

/** What a tier reads back. */
export type TierRead = Entry | undefined | Promise<Entry | undefined>

export interface CacheTier<TRead extends TierRead = TierRead> {
  /** The record under `key`, or `undefined`. Never throws for a missing or broken record. */
  get(key: string): TRead
  /**
   * Keeps `entry` under `key`. `bytes` is its estimated size (the tier may refuse
   * or evict on it); after `entry.staleUntil` it may be dropped.
   */
  set(key: string, entry: Entry, bytes: number): void | Promise<void>
  /** Reads without touching recency (for decisions while storing); may be absent. */
  peek?(key: string): Entry | undefined
  /** Removes one record. */
  delete(key: string): boolean | Promise<boolean>
  /**
   * Removes the record under `base` and every record derived from it (per principal,
   * per Vary values: keys starting with `derivedPrefix(base)`). Returns whether any was removed.
   */
  deleteFamily(base: string): boolean | Promise<boolean>
  /** Removes everything. */
  clear(): void | Promise<void>
}

/** A tier read synchronously: the in-container L1. */
export type SyncTier = CacheTier<Entry | undefined> & { peek(key: string): Entry | undefined }

/**
 * What a shared tier keeps for one key, with wall-clock times (ms since the
 * epoch, `Date.now()`), since processes do not share a `performance.now()` clock.
 * `redisStore`'s `SharedEntry` has this shape.
 */
export interface SharedRecord {
  /** 0 a plain result, 1 an HTTP response, 2 a Vary marker (as {@link Entry.kind}). */
  readonly kind: 0 | 1 | 2
  readonly value: unknown
  /** When it was stored, less the age it already had then (so `Age` continues across tiers). */
  readonly storedAt: number
  /** When it stops being fresh. */
  readonly expiresAt: number
  readonly shareable: boolean
  readonly etag: string | undefined
  readonly vary: readonly string[] | undefined
  /**
   * The fleet generation the writer had seen when its handler started (fleet-wide
   * invalidation): the record is stale once its key, one of its tags, or everything
   * was invalidated at a later generation. Absent: generation 0.
   */
  readonly gen?: number
  /** The tags the `tags` option gave the response (tag invalidation). */
  readonly tags?: readonly string[]
}

/**
 * The `shared` option of orcCache: a second tier shared by every execution
 * environment, such as `redisStore(client)` from `middy-orc/redis`. The cache
 * knows only this interface; it never loads a Redis client or the redis entry.
 *
 * Every method must resolve (never reject) within a short, bounded time: the
 * cache awaits them on the invocation's path. `redisStore` does (its `timeout`,
 * its circuit breaker). A rejection is still caught and treated as a miss.
 */
export interface SharedTier {
  /** The record under `key`, or `undefined` (none, or a failure). May return an expired record. */
  get(key: string): Promise<SharedRecord | undefined>
  /** Writes `record` under `key` to live `ttlMs` (the record's remaining freshness). */
  set(key: string, record: SharedRecord, ttlMs: number): Promise<'stored' | 'refused' | 'failed'>
  /** Deletes the records under `keys`. */
  delete(keys: readonly string[]): Promise<number | undefined>
  /**
   * Optional: false while the tier is failing (its last operation failed, or its
   * circuit is open). After a `get` that found nothing in a failing tier, the
   * cache skips that invocation's write, so a dead server costs one timeout, not two.
   */
  healthy?(): boolean
  /**
   * Optional, for single flight across environments (the `lease` option): takes
   * the lease on `key` for `ttlMs` with `token` unless another holds it
   * (`SET … NX PX`). `true` taken, `false` held by another, `undefined` failed.
   */
  lease?(key: string, token: string, ttlMs: number): Promise<boolean | undefined>
  /** Optional, with `lease`: releases the lease on `key` if it still holds `token`. */
  release?(key: string, token: string): Promise<boolean | undefined>
  /**
   * Optional, for fleet-wide invalidation (`syncInterval`): the invalidations recorded
   * at generations after `since`, in one round trip; `undefined` on failure.
   */
  sync?(since: number): Promise<FleetLog | undefined>
  /**
   * Optional, with `sync`: records that `members` (opaque strings) are invalidated, at
   * one new generation, which it resolves; `undefined` on failure.
   */
  invalidate?(members: readonly string[]): Promise<number | undefined>
}

/** What {@link SharedTier.sync} reads: the fleet's invalidation log after a generation. */
export interface FleetLog {
  /** The fleet's current generation (the `since` asked when nothing changed). */
  readonly generation: number
  /**
   * Invalidations older than this generation were dropped from the log (it is
   * bounded): a reader that had not seen them must drop everything older. 0: none dropped.
   */
  readonly floor: number
  /** Each invalidation after `since`: the member, and the generation it was made at. */
  readonly entries: readonly (readonly [member: string, generation: number])[]
}
