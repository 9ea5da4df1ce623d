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
