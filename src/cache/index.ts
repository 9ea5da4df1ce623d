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
import type { MiddlewareObj, Request } from '@middy/core'
import type { Context } from 'aws-lambda'
import { LRUCache } from 'lru-cache'
import { ORC_CACHE_BRAND } from '../shared/brand.js'
import { ConfigError } from '../shared/env.js'
import { createLogOnce, errorName, type WarnLogger } from '../shared/log-once.js'
import {
  decideStore,
  digest,
  type HttpRequest,
  hasProperties,
  headerOf,
  hitResponse,
  ifNoneMatchHits,
  readHttpRequest,
  requestCacheDirectives,
  type StoreDecision,
  withHeaders,
} from './http.js'
import {
  type CompiledKey,
  compileKey,
  DERIVED_MARK,
  derivedPrefix,
  type KeyValue,
  normaliseKey,
} from './key.js'
import { type OrcCacheEventType, type OrcCacheOptions, resolveCacheOptions } from './options.js'
import { deepFreeze, snapshot, stringBytes } from './snapshot.js'

export { ConfigError } from '../shared/env.js'
export type { WarnLogger } from '../shared/log-once.js'
export type { KeyValue } from './key.js'
export {
  defaults as orcCacheDefaults,
  type OrcCacheEventType,
  type OrcCacheKeyFunction,
  type OrcCacheOptions,
} from './options.js'

/** Counters since the cache was created, and its current size. */
export interface OrcCacheStats {
  /** Requests answered from the cache (including after waiting for a concurrent miss). */
  hits: number
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
   * `Vary` values go with it. Returns whether anything was removed.
   */
  delete(key: KeyValue | readonly KeyValue[]): boolean
  /** Drops every entry (the counters are kept). */
  clear(): void
}

const PLAIN = 0
const HTTP = 1
const VARY = 2

/** One record in the store. All kinds share one shape, so the hit path stays monomorphic. */
interface Entry {
  /** PLAIN: any stored result; HTTP: a stored HTTP response; VARY: a marker naming the Vary headers. */
  readonly kind: typeof PLAIN | typeof HTTP | typeof VARY
  readonly value: unknown
  /** Whether `value` is frozen yet: it is, from its first hit on (see `deepFreeze`). */
  frozen: boolean
  readonly storedAt: number
  readonly expiresAt: number
  /** HTTP: the response said a shared cache may serve it to anyone. */
  readonly shareable: boolean
  /** HTTP: the response's ETag, for `If-None-Match`. */
  readonly etag: string | undefined
  /** VARY: the request headers the stored responses vary on. */
  readonly vary: readonly string[] | undefined
}

/** A concurrent miss in progress (single flight). */
interface Flight {
  /** Created by the first waiter only, so that a miss nobody waits for allocates no promise. */
  done: Promise<boolean> | undefined
  settle: ((stored: boolean) => void) | undefined
  /** When the leading invocation's own time runs out: after that, the flight is abandoned. */
  readonly deadline: number
}

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
  /** Request `Cache-Control: no-store` (when honoured): do not store. */
  readonly noStore: boolean
}

/** Fixed cost of one entry in lru-cache and our record, in bytes (measured roughly). */
const ENTRY_OVERHEAD_BYTES = 160
/** Waiting for a concurrent miss when the context cannot say how much time is left. */
const DEFAULT_WAIT_MS = 5_000
/** Keys Powertools middlewares use in `request.internal` for their cleanup on early return. */
const POWERTOOLS_CLEANUP_KEYS = ['tracer', 'metrics', 'logger', 'idempotency'].map(
  (name) => `powertools-for-aws.${name}`,
)

const statusOf = (response: unknown): number | undefined => {
  const status = (response as { statusCode?: unknown } | null | undefined)?.statusCode
  return typeof response === 'object' && typeof status === 'number' ? status : undefined
}

const defaultCacheable = (response: unknown): boolean => {
  const status = statusOf(response) ?? 200
  return status >= 200 && status < 300
}

/**
 * The default key of an HTTP request: the target (`/items?a=1`) for a GET, and
 * `METHOD target` otherwise. A GET target that does not start with `/` takes the
 * `GET ` prefix, so the two forms never meet. For a GET no string is built at
 * all when there is no query: the key is the event's own path string.
 */
const defaultHttpKey = (http: HttpRequest): string =>
  http.method === 'GET' && http.target.charCodeAt(0) === 47
    ? http.target
    : `${http.method} ${http.target}`

/** Key of the entries derived from `base` for one principal. */
const principalKey = (base: string, credentials: string): string =>
  `${derivedPrefix(base)}p${digest(credentials)}`

/**
 * Key of the entry for one set of Vary values, under `key` (a base or a
 * principal key): each value length-prefixed, credentials digested.
 */
const varyKey = (key: string, vary: readonly string[], http: HttpRequest): string => {
  let values = ''
  for (const name of vary) {
    const raw = headerOf(http.event, name) ?? ''
    const value = name === 'authorization' || name === 'cookie' ? digest(raw) : raw
    values += `${value.length}:${value}`
  }
  return `${key.startsWith(DERIVED_MARK) ? key : derivedPrefix(key)}v${values}`
}

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
    misses: 0,
    stores: 0,
    rejects: 0,
    evictions: 0,
    bypasses: 0,
    stale: 0,
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
  const httpRules = { ttl, negativeTtl }
  const shareWhenPublic = resolved.authenticated === 'shared-when-public'

  const store = new LRUCache<string, Entry>({
    max: resolved.maxEntries,
    maxSize: resolved.maxBytes,
    dispose: (_entry, key, reason) => {
      if (reason !== 'evict') return
      counters.evictions++
      emit?.('evict', key)
    },
  })
  // Lets leakGuard recognise the store as intended container state.
  Object.defineProperty(store, ORC_CACHE_BRAND, { value: true })

  const controls = {
    stats: (): OrcCacheStats => ({ ...counters, entries: store.size, bytes: store.calculatedSize }),
    delete: (key: KeyValue | readonly KeyValue[]): boolean => {
      const base = normaliseKey(key)
      if (base === undefined) return false
      const prefix = derivedPrefix(base)
      let removed = false
      for (const stored of [...store.keys()]) {
        if (stored === base || stored.startsWith(prefix)) removed = store.delete(stored) || removed
      }
      return removed
    },
    clear: (): void => store.clear(),
  }

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
  const inflight = new Map<string, Flight>()
  const now = () => performance.now()
  let orderChecked = false

  const bypass = (): void => {
    counters.bypasses++
    emit?.('bypass', undefined)
  }

  const miss = (key: string): void => {
    counters.misses++
    emit?.('miss', key)
  }

  /** Powertools Logger, Metrics and Tracer rely on `after` hooks that an early response skips. */
  const runPowertoolsCleanup = async (request: Req, cleanups: Array<(request: Req) => unknown>) => {
    for (const cleanup of cleanups) {
      try {
        await cleanup(request)
      } catch (error) {
        logFailure('a Powertools cleanup', error, 'the hit was served')
      }
    }
  }

  /**
   * Answers from an entry (a hit, or a stale answer to a failure). Returns the
   * cleanup promise when Powertools middlewares ran before this one.
   */
  const answer = (
    request: Req,
    entry: Entry,
    key: string,
    http: HttpRequest | undefined,
    status: 'HIT' | 'STALE',
    at: number,
  ): Promise<void> | undefined => {
    if (!entry.frozen) {
      deepFreeze(entry.value)
      entry.frozen = true
    }
    let response = entry.value
    if (entry.kind === HTTP) {
      const age = Math.max(0, Math.floor((at - entry.storedAt) / 1000))
      const notModified =
        http !== undefined && ifNoneMatchHits(http.headers['if-none-match'], entry.etag)
      response = hitResponse(
        entry.value as Record<string, unknown>,
        age,
        header,
        status,
        notModified,
      )
    }
    request.earlyResponse = response as TResult
    if (status === 'HIT') {
      counters.hits++
      emit?.('hit', key)
    } else {
      counters.stale++
      emit?.('stale', key)
    }
    const internal = request.internal as Internal
    // Empty when orcCache is outermost: nothing ran before it.
    if (!hasProperties(internal)) return undefined
    const cleanups = POWERTOOLS_CLEANUP_KEYS.map((name) => internal[name]).filter(
      (cleanup) => typeof cleanup === 'function',
    ) as Array<(request: Req) => unknown>
    return cleanups.length > 0 ? runPowertoolsCleanup(request, cleanups) : undefined
  }

  /**
   * The entry for `key`, following a Vary marker: fresh, or expired but still
   * inside the `staleIfError` window (the caller tells which). An entry past
   * that window is dropped.
   */
  const find = (key: string, http: HttpRequest | undefined, at: number): Entry | undefined => {
    let found = key
    let entry = store.get(key)
    if (entry?.kind === VARY) {
      if (http === undefined || entry.expiresAt + staleIfError <= at) return undefined
      found = varyKey(key, entry.vary as readonly string[], http)
      entry = store.get(found)
      if (entry?.kind === VARY) return undefined
    }
    if (entry === undefined || entry.expiresAt + staleIfError > at) return entry
    store.delete(found)
    return undefined
  }

  const lookup = (request: Req): void | Promise<void> => {
    const http = readHttp(request.event) as HttpRequest | undefined
    let key: string | undefined
    if (http !== undefined && !methods.has(http.method)) return bypass()
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
    let stale: Entry | undefined
    if (!noCache) {
      if (http?.credentials !== undefined && shareWhenPublic) {
        const shared = find(base, http, at)
        if (shared?.shareable && shared.expiresAt > at) {
          return answer(request, shared, base, http, 'HIT', at)
        }
      }
      const entry = find(key, http, at)
      if (entry !== undefined && entry.expiresAt > at) {
        return answer(request, entry, key, http, 'HIT', at)
      }
      stale = entry
    }
    const pending: Pending = { key, base, http, stale, flight: undefined, noStore }
    ;(request.internal as Internal)[pendingSlot] = pending
    if (singleFlight) {
      const flight = inflight.get(key)
      if (flight !== undefined && flight.deadline > at) {
        return waitForFlight(request, pending, flight)
      }
      const remaining = request.context?.getRemainingTimeInMillis?.()
      pending.flight = {
        done: undefined,
        settle: undefined,
        deadline: at + (remaining ?? DEFAULT_WAIT_MS * 2),
      }
      inflight.set(key, pending.flight)
    }
    miss(key)
  }

  const endFlight = (pending: Pending, stored: boolean): void => {
    const flight = pending.flight
    if (flight === undefined) return
    pending.flight = undefined
    if (inflight.get(pending.key) === flight) inflight.delete(pending.key)
    flight.settle?.(stored)
  }

  const waitForFlight = async (request: Req, pending: Pending, flight: Flight): Promise<void> => {
    emit?.('wait', pending.key)
    // The promise is created by the first waiter only: a miss nobody waits for allocates none.
    flight.done ??= new Promise<boolean>((resolve) => {
      flight.settle = resolve
    })
    const remaining = request.context?.getRemainingTimeInMillis?.()
    const budget = Math.max(0, remaining === undefined ? DEFAULT_WAIT_MS : remaining / 2)
    let timer: ReturnType<typeof setTimeout> | undefined
    const stored = await Promise.race([
      flight.done,
      new Promise<false>((resolve) => {
        timer = setTimeout(resolve, budget, false)
      }),
    ])
    clearTimeout(timer)
    const at = now()
    const entry = stored ? find(pending.key, pending.http, at) : undefined
    if (entry !== undefined && entry.expiresAt > at) {
      ;(request.internal as Internal)[pendingSlot] = undefined
      return answer(request, entry, pending.key, pending.http, 'HIT', at)
    }
    // The leader failed, answered something not cacheable, or is too slow: run the handler ourselves.
    miss(pending.key)
  }

  const cacheLookup = (request: Req): void | Promise<void> => {
    try {
      return lookup(request)
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

  /** Stores `response`; returns whether it was stored. */
  const storeResponse = (pending: Pending, response: TResult, request: Req): boolean => {
    const { http } = pending
    let key = pending.key
    const allowed = cacheable(
      response,
      request as unknown as Request<TEvent, TResult, Error, Context>,
    )
    let decision: StoreDecision | undefined
    if (http !== undefined && statusOf(response) !== undefined) {
      decision = decideStore(response as Record<string, unknown>, httpRules, allowed)
      if (decision === undefined) return reject(key)
      if (decision.shareable && shareWhenPublic) key = pending.base
    } else if (!allowed) {
      return reject(key)
    }
    const copy = snapshot(response)
    if (!copy.ok) {
      const where = copy.path ? ` at ${copy.path}` : ''
      return reject(
        key,
        `copy:${copy.reason}`,
        `a response was not cached: it contains ${copy.reason}${where} (only JSON-shaped data is cached)`,
      )
    }
    const size = copy.bytes + stringBytes(key) + ENTRY_OVERHEAD_BYTES
    if (size > maxEntryBytes) {
      return reject(
        key,
        'too-large',
        `a response of about ${size} bytes was not cached: maxEntryBytes is ${maxEntryBytes}`,
      )
    }
    const storedAt = now()
    const entry: Entry = {
      kind: decision ? HTTP : PLAIN,
      value: copy.value,
      frozen: false,
      storedAt,
      expiresAt: storedAt + (decision?.ttl ?? ttl),
      shareable: decision?.shareable === true,
      etag: decision?.etag,
      vary: undefined,
    }
    const vary = decision?.vary
    if (vary !== undefined && http !== undefined) {
      // A marker under the key names the Vary headers; the response goes under the key plus their values.
      const previous = store.peek(key)
      const marker: Entry = {
        ...entry,
        kind: VARY,
        value: undefined,
        frozen: true,
        expiresAt: Math.max(entry.expiresAt, previous?.kind === VARY ? previous.expiresAt : 0),
        etag: undefined,
        vary,
      }
      store.set(key, marker, { size: stringBytes(key) + ENTRY_OVERHEAD_BYTES + vary.join().length })
      key = varyKey(key, vary, http)
    }
    store.set(key, entry, { size })
    counters.stores++
    emit?.('store', key)
    return true
  }

  /**
   * Once, after the first store: if an `after` hook that runs later changes the
   * response, orcCache is not outermost and hits would differ from misses. Warn.
   */
  const checkOrder = (request: Req): void => {
    orderChecked = true
    const serialise = () => {
      try {
        return JSON.stringify(request.response)
      } catch {
        return undefined // only a diagnostic
      }
    }
    const returned = serialise()
    setImmediate(() => {
      if (serialise() !== returned) {
        logOnce(
          'order',
          'a middleware that runs after orcCache changed a stored response, so hits differ from misses: use orcCache first in .use() order (outermost)',
        )
      }
      // Unref'd: a diagnostic that never keeps the process alive (and that leakGuard's
      // pending check, which leaves unref'd background work alone, does not report).
    }).unref()
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

  const cacheStore = (request: Req): void | Promise<void> => {
    const pending = takePending(request)
    if (pending === undefined) return
    let stored = false
    try {
      const response = request.response as TResult
      const status = statusOf(response)
      // A stale answer is an early response: the `after` hooks still to come are skipped,
      // so Powertools cleanups run here, and Middy awaits them.
      if (pending.stale !== undefined && status !== undefined && status >= 500) {
        return answerStale(request, pending)
      }
      if (pending.noStore) return
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
    }
  }

  const cacheOnError = (request: Req): void | Promise<void> => {
    // Errors are never stored. `before` may not have run (an earlier middleware threw).
    const pending = takePending(request)
    if (pending === undefined) return
    try {
      if (pending.stale !== undefined) return answerStale(request, pending)
    } catch (error) {
      logFailure('serving a stale entry', error, 'the error went on')
    } finally {
      endFlight(pending, false)
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
