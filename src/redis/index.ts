/**
 * redisStore: a shared second tier for orcCache on Redis or Valkey
 * (ElastiCache, MemoryDB, or your own server), through the client you already
 * have. This entry point (`middy-orc/redis`) is loaded only by functions that
 * use it.
 *
 * ```ts
 * import { createClient } from 'redis'
 * import { redisStore } from 'middy-orc/redis'
 * const client = await createClient({ url: process.env.REDIS_URL }).connect()
 * const shared = redisStore(client, { prefix: 'orders:' })
 * ```
 *
 * The store never throws and never waits longer than its `timeout`: a down,
 * slow or misbehaving server is a miss (or an entry not shared), and after
 * `circuitFailures` failures in a row it is skipped for `circuitCooldown`.
 * The client stays yours: the store sends commands through it and never
 * closes it, selects a database, names it or listens to its events.
 */
import type { FleetLog } from '../cache/tier.js'
import { connectionOf, type RedisConnection } from './client.js'
import { decodeEntry, encodeEntry, type SharedEntry } from './codec.js'
import { BAD_VALUE, createGuard, FAILED, type GuardStats, WRONG_REPLY } from './guard.js'
import {
  type RedisStoreOptions,
  type ResolvedRedisStoreOptions,
  resolveRedisOptions,
} from './options.js'

export { ConfigError } from '../shared/env.js'
export type { WarnLogger } from '../shared/log-once.js'
export type { RedisArgument, RedisConnection } from './client.js'
export { KIND_HTTP, KIND_PLAIN, KIND_VARY, type SharedEntry } from './codec.js'
export type { CircuitState, GuardStats } from './guard.js'
export { type RedisStoreOptions, type ResolvedRedisStoreOptions, redisDefaults } from './options.js'

/** What {@link RedisStore.set} did. */
export type RedisSetOutcome =
  /** The server confirmed the write. */
  | 'stored'
  /** Not sent: larger than `maxEntryBytes` once encoded, not JSON-shaped, or no freshness left. */
  | 'refused'
  /** Sent and not confirmed in time (or failed), or skipped while the circuit is open. */
  | 'failed'

/**
 * Counters since the store was created: its own, and those of the guard around each
 * operation (operations, failures, timeouts, skipped, opened, and the circuit now).
 */
export interface RedisStoreStats extends GuardStats {
  /** `get` calls answered with an entry. */
  hits: number
  /** `get` calls answered with nothing: no entry, or a failure. */
  misses: number
  /** Entries written and confirmed. */
  stores: number
  /** Entries refused before sending (too large, not JSON-shaped, no freshness left). */
  refused: number
}

/**
 * The shared tier. Every method resolves (never rejects) within the store's
 * `timeout`, or at once while the circuit is open.
 */
export interface RedisStore {
  /** Which client library was recognised. */
  readonly library: RedisConnection['library']
  /** The options in force, resolved once. */
  readonly options: Readonly<ResolvedRedisStoreOptions>
  /**
   * One `GET`. The entry stored under `key`, or `undefined` for no entry, a
   * failure or a value that does not decode. The entry is a fresh object
   * (its `value` parsed from JSON), not frozen; it is returned as stored, so
   * the caller checks `expiresAt` against `Date.now()`.
   */
  get(key: string): Promise<SharedEntry | undefined>
  /**
   * One `SET key value PX ttlMs`. `ttlMs` is the entry's remaining freshness
   * (plus any stale window the caller keeps), rounded up to a whole millisecond;
   * below 1 ms nothing is written.
   */
  set(key: string, entry: SharedEntry, ttlMs: number): Promise<RedisSetOutcome>
  /**
   * One `DEL` per key (so keys in different cluster slots never meet in one
   * command), sent together under one time limit. Resolves to the number of
   * keys removed, or `undefined` on failure.
   */
  delete(keys: readonly string[]): Promise<number | undefined>
  /**
   * One `SET <lease key> token NX PX ttlMs` (raw arguments): takes the lease on
   * `key` for `ttlMs` unless someone holds it. Resolves `true` when taken, `false`
   * when held by another, `undefined` on failure. Sent once, never retried (a
   * retry of a lost reply would find our own lease and say `false`).
   */
  lease(key: string, token: string, ttlMs: number): Promise<boolean | undefined>
  /**
   * Releases a lease if it is still ours (compare-and-delete: one `EVAL` of a
   * three-line Lua script). Resolves whether it was ours and is gone, or
   * `undefined` on failure (the lease then expires on its own).
   */
  release(key: string, token: string): Promise<boolean | undefined>
  /**
   * One `ZRANGEBYSCORE <prefix>orc:sync:v1 (since +inf WITHSCORES`: the fleet's
   * invalidations after generation `since`, its current generation and the log's
   * floor; `undefined` on failure.
   */
  sync(since: number): Promise<FleetLog | undefined>
  /**
   * One `EVAL` that records `members` at a new generation in the log (kept to
   * 10,000 entries); resolves the generation, or `undefined` on failure.
   */
  invalidate(members: readonly string[]): Promise<number | undefined>
  /** The server-side key of `key`: the prefix, the format version, then `key`. */
  keyOf(key: string): string
  /** The server-side key of the lease on `key` (never the key of an entry). */
  leaseKeyOf(key: string): string
  /** Counters and circuit state; a fresh object each call. */
  stats(): RedisStoreStats
  /**
   * False when the last operation failed (until one succeeds) or the circuit is
   * open. orcCache asks after a `get` that found nothing: when the server is
   * failing, it does not also wait for a write in the same invocation.
   */
  healthy(): boolean
}

/** Format version in every key: entries of another format are never read. */
export const KEY_VERSION = 'orc:v1:'
/** Before the key of a lease (never the start of an entry's key, which has {@link KEY_VERSION}). */
const LEASE_PREFIX = 'orc:lease:'

/** The sorted set of the fleet's invalidations (fleet-wide invalidation). */
const SYNC_KEY = 'orc:sync:v1'
/** In the sorted set: the current generation, and the generation below which entries were dropped. */
const GENERATION = '#'
const FLOOR = '_'
/** Most invalidations kept in the log before the oldest are dropped (folded into its floor). */
const SYNC_LOG_ENTRIES = 10_000

/**
 * Records ARGV[1..n-1] at one new generation (ZINCRBY of the generation member), then
 * keeps the log to ARGV[n] entries: the oldest are dropped and the floor member takes
 * the generation of the newest dropped (never lower than it was). The two bookkeeping
 * members are set aside while trimming: ranks order equal scores by name, so the
 * counter would otherwise be trimmed with the members of one large invalidation.
 * Resolves the new generation.
 */
const INVALIDATE_SCRIPT = `local g = redis.call('ZINCRBY', KEYS[1], 1, '${GENERATION}')
for i = 1, #ARGV - 1 do redis.call('ZADD', KEYS[1], g, ARGV[i]) end
local floor = tonumber(redis.call('ZSCORE', KEYS[1], '${FLOOR}'))
local excess = redis.call('ZCARD', KEYS[1]) - (floor and 2 or 1) - tonumber(ARGV[#ARGV])
if excess > 0 then
  redis.call('ZREM', KEYS[1], '${GENERATION}', '${FLOOR}')
  local gone = redis.call('ZRANGE', KEYS[1], 0, excess - 1, 'WITHSCORES')
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, excess - 1)
  redis.call('ZADD', KEYS[1], math.max(floor or 0, tonumber(gone[#gone])), '${FLOOR}', g, '${GENERATION}')
end
return g`

/** Deletes KEYS[1] only if it holds ARGV[1]: a lease released by its holder only. */
const RELEASE_SCRIPT =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"

const isOk = (reply: unknown): boolean =>
  reply === 'OK' || (Buffer.isBuffer(reply) && reply.length === 2 && reply.toString() === 'OK')

const acceptEntry = (reply: unknown) => {
  if (reply === null || reply === undefined) return undefined
  if (!Buffer.isBuffer(reply)) return WRONG_REPLY
  return decodeEntry(reply) ?? BAD_VALUE
}

const acceptOk = (reply: unknown) => (isOk(reply) ? true : WRONG_REPLY)

const acceptTaken = (reply: unknown) =>
  reply === null || reply === undefined ? false : isOk(reply) ? true : WRONG_REPLY

const acceptReleased = (reply: unknown) => (typeof reply === 'number' ? reply === 1 : WRONG_REPLY)

const text = (value: unknown): string | undefined =>
  Buffer.isBuffer(value) ? value.toString() : typeof value === 'string' ? value : undefined

const generationOf = (value: unknown): number | undefined => {
  const n = typeof value === 'number' ? value : Number(text(value))
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined
}

/** A ZRANGEBYSCORE … WITHSCORES reply: flat pairs (RESP2) or nested ones (RESP3, glide). */
const acceptLog = (since: number) => (reply: unknown) => {
  if (!Array.isArray(reply)) return WRONG_REPLY
  const flat = reply.length > 0 && Array.isArray(reply[0]) ? reply.flat() : reply
  if (flat.length % 2 !== 0) return WRONG_REPLY
  let generation = since
  let floor = 0
  const entries: [string, number][] = []
  for (let i = 0; i < flat.length; i += 2) {
    const member = text(flat[i])
    const at = generationOf(flat[i + 1])
    if (member === undefined || at === undefined) return WRONG_REPLY
    if (member === GENERATION) generation = Math.max(generation, at)
    else if (member === FLOOR) floor = at
    else entries.push([member, at])
  }
  return { generation, floor, entries }
}

const acceptGeneration = (reply: unknown) => generationOf(reply) ?? WRONG_REPLY

const acceptCounts = (replies: unknown) => {
  let removed = 0
  for (const reply of replies as unknown[]) {
    if (typeof reply !== 'number') return WRONG_REPLY
    removed += reply
  }
  return removed
}

/**
 * Creates the shared tier on a connected client you created at module scope:
 * node-redis 5/6 (`createClient`, `createClientPool`), ioredis 5/6 or iovalkey
 * (`Redis`, `Cluster`), or `@valkey/valkey-glide` 2 (`GlideClient`,
 * `GlideClusterClient`). See `src/redis/client.ts` for how each is recognised.
 *
 * @throws {ConfigError} naming `client` for a client of another shape, or the
 * option or environment variable at fault.
 */
export const redisStore = (client: unknown, options: RedisStoreOptions = {}): RedisStore => {
  const connection = connectionOf(client)
  const resolved = resolveRedisOptions(options)
  const { prefix, maxEntryBytes } = resolved
  const guard = createGuard(resolved)
  const { send } = connection
  const counters = { hits: 0, misses: 0, stores: 0, refused: 0 }
  const keyPrefix = prefix + KEY_VERSION
  const keyOf = (key: string): string => keyPrefix + key

  const get = async (key: string): Promise<SharedEntry | undefined> => {
    const args = ['GET', keyPrefix + key]
    const entry = await guard.run('a GET', () => send(args), acceptEntry, true)
    if (entry === FAILED || entry === undefined) {
      counters.misses++
      return undefined
    }
    counters.hits++
    return entry
  }

  const set = async (key: string, entry: SharedEntry, ttlMs: number): Promise<RedisSetOutcome> => {
    const px = Math.ceil(ttlMs)
    const bytes =
      px >= 1 && px < Number.MAX_SAFE_INTEGER ? encodeEntry(entry, maxEntryBytes) : 'refused'
    if (typeof bytes === 'string') {
      counters.refused++
      return 'refused'
    }
    const args = ['SET', keyPrefix + key, bytes, 'PX', String(px)]
    const done = await guard.run('a SET', () => send(args), acceptOk, true)
    if (done === FAILED) return 'failed'
    counters.stores++
    return 'stored'
  }

  const remove = async (keys: readonly string[]): Promise<number | undefined> => {
    if (keys.length === 0) return 0
    const commands = keys.map((key) => ['DEL', keyPrefix + key])
    const removed = await guard.run(
      'a DEL',
      () => Promise.all(commands.map((args) => send(args))),
      acceptCounts,
      true,
    )
    return removed === FAILED ? undefined : removed
  }

  const leasePrefix = prefix + LEASE_PREFIX
  const lease = async (key: string, token: string, ttlMs: number) => {
    const px = Math.ceil(ttlMs)
    if (!(px >= 1 && px < Number.MAX_SAFE_INTEGER)) return undefined
    const args = ['SET', leasePrefix + key, token, 'NX', 'PX', String(px)]
    const taken = await guard.run('a lease (SET NX)', () => send(args), acceptTaken, false)
    return taken === FAILED ? undefined : taken
  }

  const release = async (key: string, token: string) => {
    const args = ['EVAL', RELEASE_SCRIPT, '1', leasePrefix + key, token]
    const released = await guard.run('a lease release', () => send(args), acceptReleased, true)
    return released === FAILED ? undefined : released
  }

  const syncKey = prefix + SYNC_KEY
  const sync = async (since: number) => {
    const args = ['ZRANGEBYSCORE', syncKey, `(${since}`, '+inf', 'WITHSCORES']
    const log = await guard.run('a sync (ZRANGEBYSCORE)', () => send(args), acceptLog(since), true)
    return log === FAILED ? undefined : log
  }

  const invalidate = async (members: readonly string[]) => {
    const args = ['EVAL', INVALIDATE_SCRIPT, '1', syncKey, ...members, String(SYNC_LOG_ENTRIES)]
    const at = await guard.run('an invalidation', () => send(args), acceptGeneration, false)
    return at === FAILED ? undefined : at
  }

  return {
    library: connection.library,
    options: Object.freeze({ ...resolved }),
    get,
    set,
    delete: remove,
    lease,
    release,
    sync,
    invalidate,
    keyOf,
    leaseKeyOf: (key: string) => leasePrefix + key,
    stats: () => ({ ...counters, ...guard.stats() }),
    healthy: guard.healthy,
  }
}
