/**
 * orcCache: a container-scoped response cache for Middy.
 *
 * The cache lives as long as the Lambda execution environment ("occasionally
 * reliable caching"): it helps when the environment is warm and is harmless when
 * it is not. On a hit, `before` answers through `request.earlyResponse` and the
 * handler does not run; on a miss, `after` stores a frozen copy of the response.
 *
 * Use it first in `.use()` order (outermost): a hit skips every `after` hook, so
 * the response it stores must be the final one.
 */
import type { Request } from '@middy/core'
import type { Context } from 'aws-lambda'
import { ConfigError } from '../shared/env.js'
import { createLogOnce, errorName, type WarnLogger } from '../shared/log-once.js'
import { createAnswer } from './answer.js'
import { checkTags, createControls } from './controls.js'
import { DriverSlot } from './driver-slot.js'
import { defaultHttpKey, type Entry, principalKey } from './entry.js'
import { type HttpRequest, readHttpRequest, withHeaders } from './http.js'
import { invalidates, invalidationKeys, SAFE_METHODS } from './invalidate.js'
import { type CompiledKey, compileKey } from './key.js'
import { findSync, isFresh } from './lookup.js'
import { LruTier } from './lru-tier.js'
import { checkOutermost } from './middy-glue.js'
import { type OrcCacheEventType, type OrcCacheOptions, resolveCacheOptions } from './options.js'
import { requestCacheDirectives } from './rules.js'
import type { SharedDriver } from './shared.js'
import { checkShared } from './shared-check.js'
import { type Flight, SingleFlight } from './single-flight.js'
import { defaultCacheable, planStore, statusOf, writePlan } from './store.js'
import type { OrcCacheMiddleware } from './types.js'

export { ConfigError } from '../shared/env.js'
export type { WarnLogger } from '../shared/log-once.js'
export type { KeyValue } from './key.js'
export {
  defaults as orcCacheDefaults,
  type OrcCacheEventType,
  type OrcCacheKeyFunction,
  type OrcCacheOptions,
} from './options.js'
export { SURROGATE_CAPABILITY, SURROGATE_TOKEN } from './rules.js'
export type { SharedRecord, SharedTier } from './tier.js'
export type { OrcCacheMiddleware, OrcCacheStats } from './types.js'

/** What a miss leaves in `request.internal` for `after` and `onError`. */
interface Pending {
  /** Key the lookup used (principal included), before Vary. */
  readonly key: string
  /** The base key (user key or METHOD target), for shared storing. */
  readonly base: string
  readonly http: HttpRequest | undefined
  /** An expired entry still inside the `staleIfError` window. */
  stale: Entry | undefined
  flight: Flight | undefined
  /** The shared tier failed on this invocation's lookup: do not wait for a write to it too. */
  sharedDown: boolean
  /** The token of the lease this invocation holds on `key` (single flight across environments). */
  lease: string | undefined
  /** The fleet generation read when the lookup began: what it stores is stored under it. */
  readonly gen: number
}

/** Waiting for a concurrent miss when the context cannot say how much time is left. */
const DEFAULT_WAIT_MS = 5_000

/**
 * Creates a response cache. Call it once, at module level, so that the cache
 * lives as long as the execution environment:
 *
 * ```ts
 * const cache = orcCache({ key: 'pathParameters.id', ttl: 60_000 })
 * export const handler = middy(baseHandler).use(cache)
 * ```
 *
 * Use it first in the stack (outermost), so that what it stores is the final
 * response: a hit skips every `after` hook.
 *
 * @throws {ConfigError} on a bad option or environment variable.
 */
export const orcCache = <
  TEvent = unknown,
  TResult = unknown,
  TErr = Error,
  TContext extends Context = Context,
  TInternal extends Record<string, unknown> = Record<string, unknown>,
>(
  options: OrcCacheOptions<TEvent, TResult, TContext> = {},
): OrcCacheMiddleware<TEvent, TResult, TErr, TContext, TInternal> => {
  const resolved = resolveCacheOptions(options as OrcCacheOptions<never, never, never>)
  const { cacheable = defaultCacheable, onEvent, logger = console } = options
  for (const [name, value, form] of [
    ['cacheable', cacheable, 'a function (response, request) => boolean'],
    ['onEvent', onEvent ?? passThrough, 'a function (type, key) => void'],
    ['tags', options.tags ?? passThrough, 'a function (response, request) => string[]'],
    [
      'logger',
      (logger as Partial<WarnLogger> | null)?.warn,
      'an object with a warn(message) method',
    ],
  ] as const) {
    if (typeof value !== 'function') throw new ConfigError(name, `must be ${form}`)
  }
  const logOnce = createLogOnce(logger, 'orcCache:')
  /** Logs the first failure of each kind (its class name, never its message) and goes on. */
  const logFailure = (what: string, error: unknown, outcome: string): void => {
    const name = errorName(error)
    logOnce(`${what}:${name}`, `${what} failed (${name}); ${outcome}`)
  }

  const counters = {
    hits: 0,
    sharedHits: 0,
    misses: 0,
    stores: 0,
    rejects: 0,
    evictions: 0,
    bypasses: 0,
    stale: 0,
    leases: 0,
    leaseWaits: 0,
  }
  const emit = onEvent
    ? (type: OrcCacheEventType, key: string | undefined) => {
        try {
          onEvent(type, key)
        } catch (error) {
          logFailure('onEvent', error, 'ignored')
        }
      }
    : undefined

  const { ttl, maxEntryBytes, staleIfError, negativeTtl, methods, header, singleFlight } = resolved
  const { lease, leaseWait, syncInterval } = resolved
  const tagsOf = options.tags
  const httpRules = { ttl, negativeTtl }
  const shareWhenPublic = resolved.authenticated === 'shared-when-public'

  const l1 = new LruTier({
    maxEntries: resolved.maxEntries,
    maxBytes: resolved.maxBytes,
    onEvict: (key) => {
      counters.evictions++
      emit?.('evict', key)
    },
  })

  const shared = resolved.enabled ? checkShared(options.shared) : undefined
  const fleetWide =
    shared !== undefined &&
    syncInterval > 0 &&
    typeof shared.sync === 'function' &&
    typeof shared.invalidate === 'function'
  /**
   * When the fleet's invalidations are next read (cache clock): the first lookup
   * reads them; never without fleet-wide invalidation. A hit in memory compares it
   * with the time it has already taken, and nothing more.
   */
  let nextSync = fleetWide ? 0 : Number.POSITIVE_INFINITY
  const now = () => performance.now()
  /** The two-tier driver, loaded lazily when a `shared` option is given. */
  const slot =
    shared === undefined
      ? undefined
      : new DriverSlot(
          {
            l1,
            shared,
            staleIfError,
            maxEntryBytes,
            now,
            onFailure: (error) => logFailure('the shared tier', error, 'it was skipped'),
            fleetWide,
          },
          (error) =>
            logOnce(
              'load-shared',
              `cannot load its shared-tier driver (${errorName(error)}); the cache stays in memory only`,
            ),
        )

  const controls = createControls(counters, l1, slot)

  if (!resolved.enabled) return { name: 'orcCache', before: passThrough, ...controls }

  type Req = Request<TEvent, TResult, TErr, TContext, TInternal>
  type Internal = Record<string | symbol, unknown>
  const userKey: CompiledKey<TEvent, TContext> | undefined =
    resolved.key === undefined
      ? undefined
      : compileKey(resolved.key as NonNullable<OrcCacheOptions<TEvent, TResult, TContext>['key']>)
  const readHttp = resolved.http ? readHttpRequest : passThrough
  /** Where a miss leaves its state for `after`, in the request's own internal state. */
  const pendingSlot = Symbol('orcCache.pending')
  /** Where an unsafe request leaves its HTTP reading, for invalidation in `after`. */
  const unsafeSlot = Symbol('orcCache.unsafe')
  const flights = new SingleFlight()
  let orderChecked = false

  const bypass = (): void => {
    counters.bypasses++
    emit?.('bypass', undefined)
  }

  const miss = (key: string): void => {
    counters.misses++
    emit?.('miss', key)
  }

  const answer = createAnswer({
    counters,
    emit,
    header,
    onCleanupFailure: (error) => logFailure('a Powertools cleanup', error, 'the hit was served'),
  })

  /** The L1 record for `key` (see `findSync`): fresh, or inside the `staleIfError` window. */
  const find = (key: string, http: HttpRequest | undefined, at: number): Entry | undefined =>
    findSync(l1, key, http, at)

  const lookup = (request: Req, sharedDown: boolean): void | Promise<void> => {
    const http = readHttp(request.event) as HttpRequest | undefined
    let key: string | undefined
    if (http !== undefined && !methods.has(http.method)) {
      // An unsafe method may change what is stored: `after` invalidates on success.
      if (!SAFE_METHODS.has(http.method)) (request.internal as Internal)[unsafeSlot] = http
      return bypass()
    }
    try {
      key = userKey ? userKey(request.event, request.context) : http && defaultHttpKey(http)
    } catch (error) {
      logFailure('the key selector', error, 'such invocations bypass the cache')
      return bypass()
    }
    if (key === undefined) {
      if (!userKey && !http) {
        logOnce('no-key', 'no key option or ORC_CACHE_KEY, and not an HTTP event: bypassed')
      }
      return bypass()
    }
    const base = key
    let noCache = false
    let noStore = false
    if (http !== undefined) {
      if (resolved.honorRequestCacheControl) ({ noCache, noStore } = requestCacheDirectives(http))
      if (noStore) return bypass()
      if (http.credentials !== undefined) key = principalKey(base, http.credentials)
    }
    const at = now()
    // Fleet-wide invalidation: once per syncInterval, read the fleet's log first.
    if (at >= nextSync) return syncThenLookup(request)
    let stale: Entry | undefined
    if (!noCache) {
      if (http?.credentials !== undefined && shareWhenPublic) {
        const shared = find(base, http, at)
        if (shared?.shareable && isFresh(shared, at)) {
          return answer(request, shared, base, http, 'HIT', at)
        }
      }
      const entry = find(key, http, at)
      if (entry !== undefined && isFresh(entry, at)) {
        return answer(request, entry, key, http, 'HIT', at)
      }
      stale = entry
    }
    const pending: Pending = {
      key,
      base,
      http,
      stale,
      flight: undefined,
      sharedDown,
      lease: undefined,
      gen: slot?.driver?.fleet.generation ?? 0,
    }
    ;(request.internal as Internal)[pendingSlot] = pending
    if (singleFlight) {
      const flight = flights.current(key, at)
      if (flight !== undefined) return waitForFlight(request, pending, flight)
      const remaining = request.context?.getRemainingTimeInMillis?.()
      pending.flight = flights.lead(key, at + (remaining ?? DEFAULT_WAIT_MS * 2))
    }
    if (slot !== undefined && !noCache && !slot.failed && !sharedDown) {
      if (slot.driver !== undefined) return sharedLookup(request, pending, slot.driver)
      // The first invocations may arrive before the driver has loaded.
      return slot
        .ready()
        .then((driver) =>
          driver === undefined ? miss(key) : sharedLookup(request, pending, driver),
        )
    }
    miss(key)
  }

  /** Answers from an entry the shared tier gave (after a read, or after waiting for a lease). */
  const answerShared = (request: Req, pending: Pending, found: [Entry, string]) => {
    const done = answer(request, found[0], found[1], pending.http, 'HIT-SHARED', now())
    ;(request.internal as Internal)[pendingSlot] = undefined
    endFlight(pending, true)
    return done
  }

  /**
   * An L1 miss with a shared tier: one read there (its own timeout bounds it); on a
   * miss there too, with leases, the lease on the key or its holder's entry (`read`).
   */
  const sharedLookup = async (
    request: Req,
    pending: Pending,
    driver: SharedDriver,
  ): Promise<void> => {
    const { key, base, http } = pending
    const withBase = key !== base && shareWhenPublic ? base : undefined
    try {
      const found = await driver.read(
        key,
        withBase,
        http,
        base,
        lease,
        () => (request.context?.getRemainingTimeInMillis?.() ?? DEFAULT_WAIT_MS * 2) * leaseWait,
        () => {
          counters.leaseWaits++
          emit?.('wait', key)
        },
      )
      if (Array.isArray(found)) return answerShared(request, pending, found)
      pending.sharedDown = found.down
      if (found.token !== undefined) {
        pending.lease = found.token
        counters.leases++
      }
    } catch (error) {
      // A record that is not what it claims (a shared tier of our own making): a miss.
      delete (request as { earlyResponse?: unknown }).earlyResponse
      logFailure('a shared lookup', error, 'the invocation went on uncached')
    }
    miss(key)
  }

  /** Releases the lease a holder took, after its writes (or at once when it stored nothing). */
  const endLease = (pending: Pending): void => {
    const token = pending.lease
    if (token === undefined) return
    pending.lease = undefined
    slot?.driver?.release(pending.key, token)
  }

  const endFlight = (pending: Pending, stored: boolean): void => {
    const flight = pending.flight
    if (flight === undefined) return
    pending.flight = undefined
    flights.end(pending.key, flight, stored)
  }

  const waitForFlight = async (request: Req, pending: Pending, flight: Flight): Promise<void> => {
    emit?.('wait', pending.key)
    const remaining = request.context?.getRemainingTimeInMillis?.()
    const stored = await flights.wait(
      flight,
      remaining === undefined ? DEFAULT_WAIT_MS : remaining / 2,
    )
    const at = now()
    const entry = stored ? find(pending.key, pending.http, at) : undefined
    if (entry !== undefined && isFresh(entry, at)) {
      ;(request.internal as Internal)[pendingSlot] = undefined
      return answer(request, entry, pending.key, pending.http, 'HIT', at)
    }
    // The leader failed, answered something not cacheable, or is too slow: run the handler ourselves.
    miss(pending.key)
  }

  /** Reads the fleet's invalidations (the invocation that finds them due waits), then looks up. */
  const syncThenLookup = async (request: Req): Promise<void> => {
    nextSync = now() + syncInterval
    const driver = await slot?.ready()
    if (driver === undefined) {
      nextSync = Number.POSITIVE_INFINITY // the driver failed to load: memory only
      return cacheLookup(request)
    }
    const ok = await driver.sync()
    nextSync = now() + syncInterval
    // A failing read of the log: this invocation does not also wait for a lookup there.
    return cacheLookup(request, !ok)
  }

  const cacheLookup = (request: Req, sharedDown = false): void | Promise<void> => {
    try {
      return lookup(request, sharedDown)
    } catch (error) {
      logFailure('a lookup', error, 'the invocation went on uncached')
    }
  }

  const reject = (key: string, code?: string, message?: string): false => {
    counters.rejects++
    if (code !== undefined) logOnce(code, message as string)
    emit?.('reject', key)
    return false
  }

  /** Stores `response` (and starts writing it to the shared tier); returns whether it was stored. */
  const storeResponse = (pending: Pending, response: TResult, request: Req): boolean => {
    const userRequest = request as unknown as Request<TEvent, TResult, Error, Context>
    const allowed = cacheable(response, userRequest)
    let tags: readonly string[] | undefined
    if (allowed && tagsOf !== undefined) {
      tags = checkTags(tagsOf(response, userRequest))
      if (tags === undefined) {
        return reject(
          pending.key,
          'tags',
          'the tags option gave no array of non-empty strings: a response was not cached',
        )
      }
    }
    // Invalidated (its key, a tag, everything) after this invocation began: not stored.
    const driver = slot?.driver
    if (driver !== undefined && !driver.fleet.isCurrent(pending.gen, pending.base, tags)) {
      return false
    }
    const plan = planStore({
      key: pending.key,
      base: pending.base,
      http: pending.http,
      response,
      allowed,
      rules: httpRules,
      ttl,
      maxEntryBytes,
      staleIfError,
      shareWhenPublic,
      at: now(),
      gen: pending.gen,
      tags: tags !== undefined && tags.length > 0 ? tags : undefined,
    })
    if (!plan.ok) return reject(plan.key, plan.code, plan.message)
    const marker = writePlan(l1, plan, plan.vary && l1.peek(plan.markerKey))
    if (!pending.sharedDown) slot?.run((driver) => driver.store(plan, marker))
    counters.stores++
    emit?.('store', plan.key)
    return true
  }

  /**
   * Once, after the first store: if an `after` hook that runs later changes the
   * response, orcCache is not outermost and hits would differ from misses. Warn.
   */
  const checkOrder = (request: Req): void => {
    orderChecked = true
    checkOutermost(request, () =>
      logOnce(
        'order',
        'a middleware that runs after orcCache changed a stored response, so hits differ from misses: use orcCache first in .use() order (outermost)',
      ),
    )
  }

  /** Takes what `before` left for this request (nothing when it did not run, or answered). */
  const takePending = (request: Req): Pending | undefined => {
    const internal = request.internal as Internal | undefined
    const pending = internal?.[pendingSlot] as Pending | undefined
    if (pending !== undefined) (internal as Internal)[pendingSlot] = undefined
    return pending
  }

  /** A failure (a throw, or a 5xx) answered with an entry inside the `staleIfError` window. */
  const answerStale = (request: Req, pending: Pending) =>
    answer(request, pending.stale as Entry, pending.key, pending.http, 'STALE', now())

  /** After a successful unsafe request: drops what is stored for its target (RFC 9111 §4.4). */
  const invalidate = (request: Req, http: HttpRequest): void => {
    ;(request.internal as Internal)[unsafeSlot] = undefined
    const response = request.response as Record<string, unknown>
    // A response without a 2xx or 3xx status (or none at all) invalidates nothing.
    if (!invalidates(statusOf(response))) return
    try {
      const own = userKey ? userKey(request.event, request.context) : undefined
      const keys = invalidationKeys(http, response, own, !userKey)
      for (const key of keys) {
        slot?.run((driver) => driver.deleteFamily(key))
        l1.deleteFamily(key)
      }
      slot?.run((driver) => driver.invalidateKeys(keys))
    } catch (error) {
      logFailure('invalidating after an unsafe method', error, 'entries were kept')
    }
  }

  /** Both hooks end by awaiting the shared tier's writes and deletes still running. */
  const thenSharedWrites = (done: void | Promise<void>): void | Promise<void> => {
    const writes = slot?.settle()
    if (writes === undefined) return done
    return done === undefined ? writes : done.then(() => writes)
  }
  const cacheStore = (request: Req) => thenSharedWrites(storeOrInvalidate(request))
  const cacheOnError = (request: Req) => thenSharedWrites(answerFailure(request))

  const storeOrInvalidate = (request: Req): void | Promise<void> => {
    const pending = takePending(request)
    if (pending === undefined) {
      const unsafe = (request.internal as Internal | undefined)?.[unsafeSlot]
      if (unsafe !== undefined) invalidate(request, unsafe as HttpRequest)
      return
    }
    let stored = false
    try {
      const response = request.response as TResult
      const status = statusOf(response)
      // A stale answer is an early response: the `after` hooks still to come are skipped,
      // so Powertools cleanups run here, and Middy awaits them.
      if (pending.stale !== undefined && status !== undefined && status >= 500) {
        return answerStale(request, pending)
      }
      stored = storeResponse(pending, response, request)
      if (header !== undefined && pending.http !== undefined && status !== undefined) {
        request.response = withHeaders(response as Record<string, unknown>, {
          [header]: 'MISS',
        }) as TResult
      }
      if (stored && !orderChecked) checkOrder(request)
    } catch (error) {
      logFailure('storing a response', error, 'it was not cached')
    } finally {
      endFlight(pending, stored)
      endLease(pending)
    }
  }

  const answerFailure = (request: Req): void | Promise<void> => {
    // Errors are never stored. `before` may not have run (an earlier middleware threw).
    const pending = takePending(request)
    if (pending === undefined) return
    try {
      if (pending.stale !== undefined) return answerStale(request, pending)
    } catch (error) {
      // Not served part-way (a middleware's cleanup entry that throws when read): the
      // error goes on to the next onError hooks, as logged.
      delete (request as { earlyResponse?: unknown }).earlyResponse
      logFailure('serving a stale entry', error, 'the error went on')
    } finally {
      endFlight(pending, false)
      endLease(pending)
    }
  }

  return {
    name: 'orcCache',
    before: cacheLookup,
    after: cacheStore,
    onError: cacheOnError,
    ...controls,
  }
}

const passThrough = (): undefined => undefined
