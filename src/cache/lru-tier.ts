/** The first tier: an in-container LRU bounded by entries and bytes (lru-cache). */
import { LRUCache } from 'lru-cache'
import { ORC_CACHE_BRAND } from '../shared/brand.js'
import type { Entry } from './entry.js'
import { derivedPrefix } from './key.js'
import type { SyncTier } from './tier.js'

export interface LruTierOptions {
  maxEntries: number
  maxBytes: number
  /** Called when an entry is evicted to stay inside the bounds (not on delete or overwrite). */
  onEvict?: (key: string) => void
}

/**
 * `maxEntries` is enforced here, not by lru-cache's `max`: given `max`, lru-cache
 * allocates its tables for that many entries up front (two arrays filled slot by slot and
 * two typed arrays: 2 to 20 ms for the default 10,000 on a cold start, at `orcCache()`
 * time, bench/startup.mjs). Bounded by `maxSize` alone, its tables grow with the entries
 * actually held; a new key when `maxEntries` are held evicts the least recently used
 * entry first (`pop()`, reported as an eviction), which is what `max` does.
 */
export class LruTier implements SyncTier {
  readonly #lru: LRUCache<string, Entry>
  readonly #maxEntries: number

  constructor({ maxEntries, maxBytes, onEvict }: LruTierOptions) {
    this.#maxEntries = maxEntries
    this.#lru = new LRUCache<string, Entry>({
      maxSize: maxBytes,
      dispose: onEvict
        ? (_entry, key, reason) => {
            if (reason === 'evict') onEvict(key)
          }
        : undefined,
    })
    // Lets leakGuard recognise the store as intended container state.
    Object.defineProperty(this, ORC_CACHE_BRAND, { value: true })
    Object.defineProperty(this.#lru, ORC_CACHE_BRAND, { value: true })
  }

  get(key: string): Entry | undefined {
    return this.#lru.get(key)
  }

  peek(key: string): Entry | undefined {
    return this.#lru.peek(key)
  }

  set(key: string, entry: Entry, bytes: number): void {
    if (this.#lru.size >= this.#maxEntries && !this.#lru.has(key)) this.#lru.pop()
    this.#lru.set(key, entry, { size: bytes })
  }

  delete(key: string): boolean {
    return this.#lru.delete(key)
  }

  deleteFamily(base: string): boolean {
    // familyKeys lists keys held now (this LRU has no TTL of its own), so each delete succeeds.
    const keys = this.familyKeys(base)
    for (const stored of keys) this.#lru.delete(stored)
    return keys.length > 0
  }

  /** The keys held now that are `base` or derived from it (per principal, per Vary values). */
  familyKeys(base: string): string[] {
    const prefix = derivedPrefix(base)
    const found: string[] = []
    for (const stored of this.#lru.keys()) {
      if (stored === base || stored.startsWith(prefix)) found.push(stored)
    }
    return found
  }

  /** Removes every entry carrying one of `tags` (a scan of memory; tag invalidation only). */
  deleteTagged(tags: ReadonlySet<string>): void {
    const gone: string[] = []
    for (const [key, entry] of this.#lru.entries()) {
      if (entry.tags?.some((tag) => tags.has(tag))) gone.push(key)
    }
    for (const key of gone) this.#lru.delete(key)
  }

  clear(): void {
    this.#lru.clear()
  }

  /** Entries held now. */
  get size(): number {
    return this.#lru.size
  }

  /** Estimated bytes held now. */
  get bytes(): number {
    return this.#lru.calculatedSize
  }
}
