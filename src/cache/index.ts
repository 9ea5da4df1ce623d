/**
 * orcCache: a container-scoped response cache for Middy.
 *
 * The cache lives as long as the Lambda execution environment ("occasionally
 * reliable caching"): it helps when the environment is warm and is harmless when
 * it is not. On a hit, `before` answers through `request.earlyResponse` and the
 * handler does not run; on a miss, `after` stores a frozen copy of the response.
 */
import type { MiddlewareObj, Request } from '@middy/core'
import type { Context } from 'aws-lambda'
import { LRUCache } from 'lru-cache'
import { ORC_CACHE_BRAND } from '../shared/brand.js'
import { ConfigError } from '../shared/env.js'
import { createLogOnce, type WarnLogger } from '../shared/log-once.js'
import { type CompiledKey, compileKey, type KeyValue, normaliseKey } from './key.js'
import { type OrcCacheEventType, type OrcCacheOptions, resolveCacheOptions } from './options.js'
import { errorName, snapshot, stringBytes } from './snapshot.js'

export { ConfigError } from '../shared/env.js'
export type { WarnLogger } from '../shared/log-once.js'
export { type CompiledKey, encodeTuple, type KeyValue } from './key.js'
export {
  defaults as orcCacheDefaults,
  type OrcCacheEventType,
  type OrcCacheKeyFunction,
  type OrcCacheOptions,
} from './options.js'

/** Counters since the cache was created, and its current size. */
export interface OrcCacheStats {
  /** Requests answered from the cache. */
  hits: number
  /** Requests with a key and no fresh entry. */
  misses: number
  /** Responses stored. */
  stores: number
  /** Responses not stored: not cacheable, too large, or not copyable. */
  rejects: number
  /** Entries evicted to stay inside `maxEntries` / `maxBytes`. */
  evictions: number
  /** Requests that had no key, or whose key could not be computed. */
  bypasses: number
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
   * Invalidates one entry. `key` is what the key selector would give: a string
   * or number, or an array of values for a multi-path selector. Returns whether
   * an entry was removed.
   */
  delete(key: KeyValue | readonly KeyValue[]): boolean
  /** Drops every entry (the counters are kept). */
  clear(): void
}

interface Entry {
  readonly value: unknown
  readonly expiresAt: number
}

/** Fixed cost of one entry in lru-cache and our record, in bytes (measured roughly). */
const ENTRY_OVERHEAD_BYTES = 120

const isCallable = (value: unknown): value is (...args: never[]) => unknown =>
  typeof value === 'function'

const defaultCacheable = (response: unknown): boolean => {
  if (response !== null && typeof response === 'object') {
    const status = (response as { statusCode?: unknown }).statusCode
    if (typeof status === 'number') return status >= 200 && status < 300
  }
  return true
}

const passThrough = () => {}

/**
 * Creates a response cache. Call it once, at module level, so the cache lives as
 * long as the execution environment:
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
  if (!isCallable(cacheable))
    throw new ConfigError('cacheable', 'must be a function (response, request) => boolean')
  if (onEvent !== undefined && !isCallable(onEvent))
    throw new ConfigError('onEvent', 'must be a function (type, key) => void')
  if (typeof (logger as Partial<WarnLogger>).warn !== 'function') {
    throw new ConfigError('logger', 'must have a warn(message) method')
  }
  const logOnce = createLogOnce(logger, 'orcCache:')

  const counters = { hits: 0, misses: 0, stores: 0, rejects: 0, evictions: 0, bypasses: 0 }
  const emit = onEvent
    ? (type: OrcCacheEventType, key: string | undefined) => {
        try {
          onEvent(type, key)
        } catch (error) {
          logOnce('onEvent', `onEvent threw (${errorName(error)}); ignored`)
        }
      }
    : undefined

  const store = new LRUCache<string, Entry>({
    max: resolved.maxEntries,
    maxSize: resolved.maxBytes,
    dispose: (_entry, key, reason) => {
      if (reason !== 'evict') return
      counters.evictions++
      emit?.('evict', key)
    },
  })
  Object.defineProperty(store, ORC_CACHE_BRAND, { value: true })

  const controls = {
    stats: (): OrcCacheStats => ({ ...counters, entries: store.size, bytes: store.calculatedSize }),
    delete: (key: KeyValue | readonly KeyValue[]): boolean => {
      const normalised = normaliseKey(key)
      return normalised === undefined ? false : store.delete(normalised)
    },
    clear: (): void => store.clear(),
  }

  if (!resolved.enabled) {
    return { name: 'orcCache', before: passThrough, ...controls }
  }

  type Req = Request<TEvent, TResult, TErr, TContext, TInternal>
  const keyOf: CompiledKey<TEvent, TContext> | undefined =
    resolved.key === undefined
      ? undefined
      : compileKey(resolved.key as OrcCacheOptions<TEvent, TResult, TContext>['key'] & {})
  if (keyOf === undefined) {
    logOnce('no-key', 'no key option or ORC_CACHE_KEY is set; every invocation bypasses the cache')
  }
  const ttl = resolved.ttl
  const maxEntryBytes = resolved.maxEntryBytes
  /** Where a miss leaves its key for `after`, in the request's own internal state. */
  const pendingKey = Symbol('orcCache.pendingKey')
  const now = () => performance.now()

  const bypass = (): void => {
    counters.bypasses++
    emit?.('bypass', undefined)
  }

  const orcCacheBefore = (request: Req): void => {
    let key: string | undefined
    try {
      key = keyOf === undefined ? undefined : keyOf(request.event, request.context)
    } catch (error) {
      logOnce(
        `key:${errorName(error)}`,
        `the key selector failed (${errorName(error)}); such invocations bypass the cache`,
      )
      bypass()
      return
    }
    if (key === undefined) {
      bypass()
      return
    }
    const entry = store.get(key)
    if (entry !== undefined) {
      if (entry.expiresAt > now()) {
        counters.hits++
        emit?.('hit', key)
        request.earlyResponse = entry.value as TResult
        return
      }
      store.delete(key)
    }
    counters.misses++
    emit?.('miss', key)
    ;(request.internal as Record<symbol, unknown>)[pendingKey] = key
  }

  const reject = (key: string, code: string, message: string): void => {
    counters.rejects++
    logOnce(code, message)
    emit?.('reject', key)
  }

  const storeResponse = (key: string, response: TResult, request: Req): void => {
    if (!cacheable(response, request as unknown as Request<TEvent, TResult, Error, Context>)) {
      counters.rejects++
      emit?.('reject', key)
      return
    }
    const copy = snapshot(response)
    if (!copy.ok) {
      reject(
        key,
        `copy:${copy.reason}`,
        `a response was not cached: it contains ${copy.reason}${copy.path ? ` at ${copy.path}` : ''} (only JSON-shaped data is cached)`,
      )
      return
    }
    const size = copy.bytes + stringBytes(key) + ENTRY_OVERHEAD_BYTES
    if (size > maxEntryBytes) {
      reject(
        key,
        'too-large',
        `a response of about ${size} bytes was not cached: maxEntryBytes is ${maxEntryBytes}`,
      )
      return
    }
    store.set(key, { value: copy.value, expiresAt: now() + ttl }, { size })
    counters.stores++
    emit?.('store', key)
  }

  const orcCacheAfter = (request: Req): void => {
    const internal = request.internal as Record<symbol, unknown>
    const key = internal[pendingKey] as string | undefined
    if (key === undefined) return
    internal[pendingKey] = undefined
    try {
      storeResponse(key, request.response as TResult, request)
    } catch (error) {
      logOnce(
        `store:${errorName(error)}`,
        `storing a response failed (${errorName(error)}); it was not cached`,
      )
    }
  }

  const orcCacheOnError = (request: Req): void => {
    // Errors are never stored. `before` may not have run (an earlier middleware threw).
    const internal = request.internal as Record<symbol, unknown> | undefined
    if (internal) internal[pendingKey] = undefined
  }

  return {
    name: 'orcCache',
    before: orcCacheBefore,
    after: orcCacheAfter,
    onError: orcCacheOnError,
    ...controls,
  }
}
