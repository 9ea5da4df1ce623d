/**
 * The cache controls orcCache's middleware carries besides its hooks: `stats()`,
 * `delete(key)`, `clear()` and `invalidateTags(tags)`, over the L1 and (once
 * loaded) the two-tier driver, which makes deletions and invalidations reach the
 * shared tier and, with fleet-wide invalidation, every environment.
 */
import type { DriverSlot } from './driver-slot.js'
import { type KeyValue, normaliseKey } from './key.js'
import type { LruTier } from './lru-tier.js'
import type { OrcCacheMiddleware, OrcCacheStats } from './types.js'

/** The counters the cache keeps itself (the rest of the stats are read when asked). */
export type CacheCounters = Omit<OrcCacheStats, 'sharedStores' | 'entries' | 'bytes'>

export type CacheControls = Pick<
  OrcCacheMiddleware,
  'stats' | 'delete' | 'clear' | 'invalidateTags'
>

/** `tags` as given when it is an array of non-empty strings, else `undefined`. */
export const checkTags = (tags: unknown): readonly string[] | undefined =>
  Array.isArray(tags) && tags.every((tag) => typeof tag === 'string' && tag !== '')
    ? (tags as readonly string[])
    : undefined

export const createControls = (
  counters: CacheCounters,
  l1: LruTier,
  slot: DriverSlot | undefined,
): CacheControls => ({
  stats: (): OrcCacheStats => ({
    ...counters,
    sharedStores: slot?.driver?.stores ?? 0,
    entries: l1.size,
    bytes: l1.bytes,
  }),
  delete: (key: KeyValue | readonly KeyValue[]): boolean => {
    const base = normaliseKey(key)
    if (base === undefined) return false
    slot?.run((driver) => {
      driver.deleteFamily(base)
      driver.invalidateKeys([base])
    })
    return l1.deleteFamily(base)
  },
  clear: (): void => {
    l1.clear()
    slot?.run((driver) => driver.invalidateAll())
  },
  invalidateTags: (tags: readonly string[]): void => {
    const list = checkTags(tags)
    if (list === undefined)
      throw new TypeError('invalidateTags takes an array of non-empty strings')
    l1.deleteTagged(new Set(list))
    slot?.run((driver) => driver.invalidateTags(list))
  },
})
