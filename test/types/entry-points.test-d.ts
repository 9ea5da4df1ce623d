/**
 * The exports of each entry point (package.json `exports` → `src/<x>/index.ts`):
 * the value names exactly, and the types users name. An export added or removed
 * fails here first, so that the change is deliberate (and reaches the README).
 */
import { describe, expectTypeOf, test } from 'vitest'
import * as cache from '../../src/cache/index.js'
import type * as root from '../../src/index.js'
import type * as leakGuard from '../../src/leak-guard/index.js'
import * as redis from '../../src/redis/index.js'

describe('middy-orc', () => {
  test('values', () => {
    expectTypeOf<keyof typeof root>().toEqualTypeOf<
      | 'ConfigError'
      | 'LeakError'
      | 'SURROGATE_CAPABILITY'
      | 'SURROGATE_TOKEN'
      | 'leakGuard'
      | 'leakGuardDefaults'
      | 'orcCache'
      | 'orcCacheDefaults'
    >()
  })
  test('is the union of the two middleware entry points', () => {
    expectTypeOf<typeof root.orcCache>().toEqualTypeOf<typeof cache.orcCache>()
    expectTypeOf<typeof root.leakGuard>().toEqualTypeOf<typeof leakGuard.leakGuard>()
    expectTypeOf<root.OrcCacheOptions>().toEqualTypeOf<cache.OrcCacheOptions>()
    expectTypeOf<root.LeakGuardOptions>().toEqualTypeOf<leakGuard.LeakGuardOptions>()
    expectTypeOf<root.ConfigError>().toEqualTypeOf<cache.ConfigError>()
  })
})

describe('middy-orc/cache', () => {
  test('values', () => {
    expectTypeOf<keyof typeof cache>().toEqualTypeOf<
      'ConfigError' | 'SURROGATE_CAPABILITY' | 'SURROGATE_TOKEN' | 'orcCache' | 'orcCacheDefaults'
    >()
  })
  test('types and constants', () => {
    expectTypeOf<cache.ConfigError>().toExtend<Error>()
    expectTypeOf<cache.WarnLogger>().toHaveProperty('warn')
    expectTypeOf(cache.orcCacheDefaults.ttl).toEqualTypeOf<60_000>()
    expectTypeOf(cache.SURROGATE_TOKEN).toEqualTypeOf<string>()
    expectTypeOf<cache.OrcCacheMiddleware>().toHaveProperty('stats')
    expectTypeOf<cache.OrcCacheStats>().toEqualTypeOf<{
      hits: number
      sharedHits: number
      misses: number
      stores: number
      sharedStores: number
      rejects: number
      evictions: number
      bypasses: number
      stale: number
      leases: number
      leaseWaits: number
      entries: number
      bytes: number
    }>()
  })
})

describe('middy-orc/leak-guard', () => {
  test('values', () => {
    expectTypeOf<keyof typeof leakGuard>().toEqualTypeOf<
      'ConfigError' | 'LeakError' | 'leakGuard' | 'leakGuardDefaults'
    >()
  })
  test('types', () => {
    expectTypeOf<leakGuard.ConfigError>().toEqualTypeOf<cache.ConfigError>()
    expectTypeOf<leakGuard.FoundAs>().toBeString()
    expectTypeOf<leakGuard.SensitiveKind>().toBeString()
    expectTypeOf<leakGuard.NamedRoot>().toEqualTypeOf<{
      readonly label: string
      readonly value: unknown
    }>()
  })
})

describe('middy-orc/redis', () => {
  test('values', () => {
    expectTypeOf<keyof typeof redis>().toEqualTypeOf<
      | 'ConfigError'
      | 'KEY_VERSION'
      | 'KIND_HTTP'
      | 'KIND_PLAIN'
      | 'KIND_VARY'
      | 'redisDefaults'
      | 'redisStore'
    >()
  })
  test('redisStore takes any client and returns the store', () => {
    expectTypeOf(redis.redisStore).parameters.toEqualTypeOf<[unknown, redis.RedisStoreOptions?]>()
    expectTypeOf(redis.redisStore).returns.toEqualTypeOf<redis.RedisStore>()
    expectTypeOf<redis.RedisStore['get']>().returns.toEqualTypeOf<
      Promise<redis.SharedEntry | undefined>
    >()
    expectTypeOf<redis.RedisStore['set']>().returns.toEqualTypeOf<Promise<redis.RedisSetOutcome>>()
    expectTypeOf<redis.RedisSetOutcome>().toEqualTypeOf<'stored' | 'refused' | 'failed'>()
    expectTypeOf<redis.RedisStoreStats['circuit']>().toEqualTypeOf<redis.CircuitState>()
    expectTypeOf<redis.CircuitState>().toEqualTypeOf<'closed' | 'open' | 'half-open'>()
    expectTypeOf<redis.RedisArgument>().toEqualTypeOf<string | Buffer>()
  })
  test('options reject wrong shapes', () => {
    // @ts-expect-error: timeout is a number of milliseconds
    redis.redisStore(null, { timeout: '50ms' })
    // @ts-expect-error: no such option
    redis.redisStore(null, { prefixes: 'a' })
    redis.redisStore(null, {
      prefix: 'app:',
      timeout: 50,
      maxEntryBytes: 1_024,
      circuitFailures: 3,
    })
  })
})
