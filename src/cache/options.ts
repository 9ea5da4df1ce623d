/**
 * orcCache options: their types (each documented with its default and cost),
 * defaults, and resolution (explicit option, then environment variable, then default).
 */
import type { Request } from '@middy/core'
import type { Context } from 'aws-lambda'
import {
  ConfigError,
  parseBoolean,
  parseBytes,
  parseDuration,
  parseEnum,
  parseNumberInRange,
  parsePositiveInteger,
  readEnv,
  resolveSetting,
  type ValueSource,
} from '../shared/env.js'
import type { WarnLogger } from '../shared/log-once.js'
import type { KeyValue } from './key.js'
import type { SharedTier } from './tier.js'

/** Something the cache reports through {@link OrcCacheOptions.onEvent}. */
export type OrcCacheEventType =
  /** A request was answered from the cache. */
  | 'hit'
  /** A request had a key but no fresh entry; the handler runs. */
  | 'miss'
  /** A response was stored. */
  | 'store'
  /** A response was not stored (not cacheable, too large, not copyable). */
  | 'reject'
  /** A request had no key (or its key could not be computed); the cache stayed out of the way. */
  | 'bypass'
  /** An entry was evicted to stay inside `maxEntries` / `maxBytes`. */
  | 'evict'
  /** The handler failed and an entry that expired less than `staleIfError` ago was served instead. */
  | 'stale'
  /** A concurrent miss waited for another invocation's run of the handler (single flight). */
  | 'wait'

/** A key selector function. Return `undefined`, `null` or `''` to bypass the cache. */
export type OrcCacheKeyFunction<TEvent, TContext> = (
  event: TEvent,
  context: TContext,
) => KeyValue | readonly KeyValue[]

/** Options of {@link orcCache}. Every option can also be set by an environment variable. */
export interface OrcCacheOptions<TEvent = unknown, TResult = unknown, TContext = Context> {
  /**
   * Selects the cache key from the event.
   *
   * - A function `(event, context) => string | number | undefined | null`
   *   (or an array of such values, joined injectively).
   * - A plain path such as `pathParameters.id` or
   *   `requestContext.authorizer.claims.sub`, or several comma-separated paths
   *   (`pathParameters.id,queryStringParameters.lang`). Compiled once into
   *   property reads: about 30 ns per invocation (Node 24).
   * - Any other string is a JMESPath expression, evaluated with
   *   `@aws-lambda-powertools/jmespath` (an optional peer dependency, loaded only
   *   then), with the Powertools functions: `powertools_json(body).id`.
   *   About 3 µs per invocation for `powertools_json(body).id` (Node 24).
   *
   * A key that is `undefined`, `null` or `''` bypasses the cache for that invocation.
   *
   * Env: `ORC_CACHE_KEY` (a path or an expression). Required: without a key
   * every invocation bypasses the cache.
   */
  key?: string | OrcCacheKeyFunction<TEvent, TContext>
  /**
   * Time to live of an entry, in milliseconds. An expired entry is never served.
   *
   * Env: `ORC_CACHE_TTL`, which also takes `500ms`, `30s`, `5m`, `1h`.
   * @default 60_000 (one minute)
   */
  ttl?: number
  /**
   * Most entries kept. The least recently used entry is evicted first.
   * lru-cache preallocates index arrays of this length (about 8 bytes an entry).
   *
   * Env: `ORC_CACHE_MAX_ENTRIES`.
   * @default 10_000
   */
  maxEntries?: number
  /**
   * Most bytes kept, estimated from the stored data (strings, numbers, objects
   * and arrays at V8's sizes, plus the key and a per-entry overhead). Holds
   * together with `maxEntries`.
   *
   * Env: `ORC_CACHE_MAX_BYTES`, which also takes `512kb`, `16mb`.
   * @default 10% of `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (12.8 MiB at 128 MB), or 16 MiB when that is unset
   */
  maxBytes?: number
  /**
   * Largest single entry stored, in bytes; a larger response is not cached, so
   * one big response cannot flush the cache.
   *
   * Env: `ORC_CACHE_MAX_ENTRY_BYTES` (also `256kb`, `1mb`).
   * @default an eighth of `maxBytes`
   */
  maxEntryBytes?: number
  /**
   * Decides whether a successful response may be stored. Errors are never stored.
   *
   * For an HTTP event, the HTTP rules of `http` apply on top of this one: they
   * can refuse a response this accepts, never the reverse.
   *
   * @default stores any response, except that an HTTP-shaped response (one with a
   * numeric `statusCode`) is stored only when its status is 2xx.
   */
  cacheable?: (response: TResult, request: Request<TEvent, TResult, Error, Context>) => boolean
  /**
   * Called synchronously for each cache event, with the event's key where there
   * is one: feed hits, misses and stores into metrics without polling `stats()`.
   * Keep it cheap: it runs on the hit path. Errors it throws are logged once and ignored.
   *
   * @example onEvent: (type) => metrics.addMetric(`cache_${type}`, MetricUnit.Count, 1)
   */
  onEvent?: (type: OrcCacheEventType, key: string | undefined) => void
  /**
   * Apply the HTTP rules (RFC 9111, shared cache) to HTTP events: API Gateway
   * REST (v1) and HTTP API (v2), ALB and Function URLs. Without a `key`, such an
   * event is keyed by method + path + query string (parameter order ignored).
   * Whatever the key, the rules hold: only `methods` are cached; only 2xx (and,
   * with `negativeTtl`, 404/410; never 206; a status RFC 9111 does not let a cache
   * reuse heuristically, such as 201, only with explicit freshness);
   * `Cache-Control: no-store | private | no-cache`, `Set-Cookie` and `Vary: *`
   * prevent storing; `s-maxage`, `max-age`, `Expires` (from the response's `Date`)
   * shorten the ttl, the response's `Age` counts against it, and an invalid value
   * makes the response stale; `CDN-Cache-Control`, else `Surrogate-Control`, replaces
   * `Cache-Control` when present; a successful unsafe request (POST, PUT, DELETE, …)
   * drops what is stored for its URL; `Vary` headers become part of the key; an
   * authenticated request is keyed by its principal (see `authenticated`). Hits carry
   * `Age` and the `header`; `If-None-Match` and `If-Modified-Since` answer 304.
   *
   * Costs about 60 ns a request to read an API Gateway v2 request (Node 24).
   *
   * Env: `ORC_CACHE_HTTP`.
   * @default true
   */
  http?: boolean
  /**
   * HTTP methods whose responses are cached (upper case). Other methods bypass the cache.
   *
   * Env: `ORC_CACHE_METHODS` (comma-separated).
   * @default ['GET', 'HEAD']
   */
  methods?: readonly string[]
  /**
   * Negative caching: a TTL in ms for 404 and 410 responses (capped by `ttl`); 0 turns it off.
   *
   * Env: `ORC_CACHE_NEGATIVE_TTL` (also `5s`, `1m`).
   * @default 0
   */
  negativeTtl?: number
  /**
   * Who may be served an entry stored for an authenticated request (one with
   * `Authorization`, cookies, ALB OIDC headers or an API Gateway authorizer or IAM identity).
   *
   * - `'per-principal'` (the safe default): the principal (a SHA-256 digest of those
   *   credentials) is part of the key, so an entry is only ever served to the
   *   caller it was stored for.
   * - `'shared-when-public'`: a response that says it may be shared
   *   (`Cache-Control: public` or `s-maxage`) is stored once for everyone; any
   *   other response to an authenticated request is stored per principal.
   *
   * Costs a SHA-256 of the credentials (about 0.7 µs for a JWT, Node 24) on authenticated
   * requests, and loading `node:crypto` (about 4 ms) on the first of them.
   *
   * Env: `ORC_CACHE_AUTHENTICATED`.
   * @default 'per-principal'
   */
  authenticated?: 'per-principal' | 'shared-when-public'
  /**
   * Honour the request's `Cache-Control: no-cache` (skip the lookup, refresh the
   * entry) and `no-store` (bypass entirely). Off by default, because otherwise
   * any client could bust the cache at will.
   *
   * Env: `ORC_CACHE_HONOR_REQUEST_CACHE_CONTROL`.
   * @default false
   */
  honorRequestCacheControl?: boolean
  /**
   * Name of the response header that says `HIT` (from this environment's
   * memory), `HIT-SHARED` (from the `shared` tier), `MISS` or `STALE`; `false` turns it off.
   *
   * Env: `ORC_CACHE_HEADER` (`off` or `false` turns it off).
   * @default 'x-orc-cache'
   */
  header?: string | false
  /**
   * When the handler fails (throws, or answers 5xx), serve an entry that expired
   * less than this many ms ago instead (marked `STALE`). Expired entries are then
   * kept that much longer, within the same memory bounds. 0 turns it off. A
   * response's own `stale-if-error=N` (RFC 5861) widens the window for that entry.
   *
   * Env: `ORC_CACHE_STALE_IF_ERROR` (also `30s`, `5m`).
   * @default 0
   */
  staleIfError?: number
  /**
   * Single flight: concurrent misses for one key (Lambda Managed Instances run
   * many invocations in one process) run the handler once; the others wait for
   * its stored result, at most half their remaining time. If that run fails or
   * its response is not cacheable, each waiter runs the handler itself.
   *
   * Env: `ORC_CACHE_SINGLE_FLIGHT`.
   * @default true
   */
  singleFlight?: boolean
  /**
   * Where the cache's own warnings go (fail-open causes, each logged once). Never
   * given keys or responses. Anything with `warn(message, extra)`, e.g. Powertools Logger.
   * @default console
   */
  logger?: WarnLogger
  /**
   * A second tier shared by every execution environment of the function:
   * `redisStore(client, { prefix })` from `middy-orc/redis` (Redis, Valkey,
   * ElastiCache, MemoryDB), or anything with the {@link SharedTier} shape.
   *
   * On a miss in memory, one `GET` (two behind a `Vary` marker; with
   * `authenticated: 'shared-when-public'` and credentials, the shared and the
   * per-principal key are read in parallel) within the store's `timeout`; a
   * fresh entry found there is copied into memory with its remaining freshness
   * and answered as `HIT-SHARED`. What memory stores, the shared tier stores
   * too (with `PX` = remaining freshness), awaited in the invocation's `after`.
   * Faults fail open: a slow or dead server costs at most the store's timeout
   * (nothing while its circuit is open). See the README for what `delete` and
   * `clear` do there.
   *
   * Cost: nothing on a hit in memory; one round trip on a miss in memory, and
   * one write per stored response.
   * @default none (memory only)
   */
  shared?: SharedTier
  /**
   * Single flight across environments, with a `shared` tier that supports leases
   * (`redisStore` does): on a miss in both tiers, an invocation takes a lease on
   * the key (`SET … NX PX lease`) and runs the handler; a concurrent miss in
   * another environment that finds the lease taken waits for the value (see
   * `leaseWait`) instead of running the handler too. The holder releases its lease
   * (compare-and-delete) once its result is written; a holder that dies releases
   * nothing, and its lease expires after this many milliseconds, when a waiter
   * takes it over. Set it above the handler's usual run time. `0` turns leases off.
   *
   * Cost: one round trip (`SET NX`) on a miss in both tiers, and one (`EVAL`) to
   * release; a waiter polls the shared tier every 10 to 100 ms (a `GET`, then a
   * `SET NX` while the lease is still held). Nothing on a hit.
   *
   * Env: `ORC_CACHE_LEASE` (also `500ms`, `10s`).
   * @default 10_000 (10 s)
   */
  lease?: number
  /**
   * The share of its remaining time (`context.getRemainingTimeInMillis()`) a
   * waiter spends waiting for a lease holder's value, from 0 to 1; then it runs
   * the handler itself. A waiter never fails because of a lease. Without a
   * `context`, the share of 10 s.
   *
   * Env: `ORC_CACHE_LEASE_WAIT`.
   * @default 0.5
   */
  leaseWait?: number
  /**
   * Fleet-wide invalidation, with a `shared` tier that keeps an invalidation log
   * (`redisStore` does): at most once per this many milliseconds, on an invocation
   * that finds the interval passed, the environment reads the fleet's invalidations
   * since its last read (one round trip, awaited by that invocation) and drops what
   * they name from memory. `delete(key)`, `clear()`, `invalidateTags()` and the
   * invalidation after an unsafe method then take effect in every environment within
   * this interval plus one round trip (while the shared tier answers). `0` turns it off.
   *
   * Cost: on a hit in memory, one comparison of a timestamp already taken; one round
   * trip per environment per interval (a `ZRANGEBYSCORE`), on the invocation that
   * finds it due; one `EVAL` per invalidation.
   *
   * Env: `ORC_CACHE_SYNC_INTERVAL` (also `500ms`, `2s`).
   * @default 1_000 (1 s)
   */
  syncInterval?: number
  /**
   * Labels a stored response with tags, for the cache's `invalidateTags(tags)`:
   * `(response, request) => string[]`, e.g. `(response) => [\`product:${response.id}\`]`.
   * Called once per stored response; a throw or a value that is not an array of
   * non-empty strings means the response is not stored (logged once). Tags travel
   * with the entry to the shared tier.
   *
   * Cost: the function, on each store; a scan of memory when a tag is invalidated.
   * @default none
   */
  tags?: (response: TResult, request: Request<TEvent, TResult, Error, Context>) => readonly string[]
  /**
   * `false` makes the middleware a pass-through. The environment variable
   * `ORC_CACHE_ENABLED=false` is an operator's kill switch: it turns the cache
   * off whatever this option says.
   * @default true
   */
  enabled?: boolean
}

/** Default values, where a default does not depend on the environment. */
export const defaults = {
  ttl: 60_000,
  maxEntries: 10_000,
  /** Fraction of the function's memory given to the cache by default. */
  memoryFraction: 0.1,
  /** Byte bound used when `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` is unset. */
  fallbackMaxBytes: 16 * 1024 * 1024,
  /** Default per-entry bound, as a fraction of `maxBytes`. */
  entryFraction: 1 / 8,
  /** How long a lease lives (ms) unless its holder releases it. */
  lease: 10_000,
  /** Share of its remaining time a lease waiter waits. */
  leaseWait: 0.5,
  /** How often (ms) an environment reads the fleet's invalidations, at most. */
  syncInterval: 1_000,
} as const

const DEFAULT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD'])

/** Options after resolution: every bound is a number. */
export interface ResolvedCacheOptions {
  enabled: boolean
  key: string | OrcCacheKeyFunction<unknown, unknown> | undefined
  ttl: number
  maxEntries: number
  maxBytes: number
  maxEntryBytes: number
  http: boolean
  methods: ReadonlySet<string>
  negativeTtl: number
  authenticated: 'per-principal' | 'shared-when-public'
  honorRequestCacheControl: boolean
  header: string | undefined
  staleIfError: number
  singleFlight: boolean
  lease: number
  leaseWait: number
  syncInterval: number
}

const AUTHENTICATED_MODES = ['per-principal', 'shared-when-public'] as const
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

const parseMethods = (raw: unknown, source: ValueSource): ReadonlySet<string> => {
  const list = typeof raw === 'string' ? raw.split(',') : raw
  const methods = new Set<string>()
  // Stryker disable next-line ArrayDeclaration: any placeholder list is refused like an empty one
  for (const method of Array.isArray(list) ? list : []) {
    if (typeof method !== 'string' || !TOKEN.test(method.trim())) {
      methods.clear()
      break
    }
    methods.add(method.trim().toUpperCase())
  }
  if (methods.size === 0) {
    throw new ConfigError(source.name, 'must be a non-empty list of HTTP methods, e.g. GET,HEAD')
  }
  return methods
}

const parseHeaderName = (raw: unknown, source: ValueSource): string | undefined => {
  const name = typeof raw === 'string' ? raw.trim() : raw
  if (name === false || (source.fromEnv && /^(off|false|none)$/i.test(name as string)))
    return undefined
  if (typeof name === 'string' && TOKEN.test(name)) return name.toLowerCase()
  throw new ConfigError(source.name, 'must be a header name, or false (off) to send none')
}

/** `ORC_CACHE_` and the option's name in upper snake case: `maxEntryBytes` → `ORC_CACHE_MAX_ENTRY_BYTES`. */
const envName = (option: string): string =>
  `ORC_CACHE_${option.replace(/[A-Z]/g, '_$&').toUpperCase()}`

/** Resolves options once, at factory time; throws {@link ConfigError} on bad values. */
export const resolveCacheOptions = (
  options: OrcCacheOptions<never, never, never>,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedCacheOptions => {
  const setting = <T>(
    name: keyof OrcCacheOptions,
    parse: (raw: unknown, source: ValueSource) => T,
    fallback: T | (() => T),
  ): T => resolveSetting(options[name], name, envName(name), parse, fallback, env)

  // ORC_CACHE_ENABLED=false is a kill switch: it wins over `enabled: true`.
  const killSwitch = readEnv('ORC_CACHE_ENABLED', env)
  const enabled =
    setting('enabled', parseBoolean, true) &&
    (killSwitch === undefined ||
      parseBoolean(killSwitch, { name: 'ORC_CACHE_ENABLED', fromEnv: true }))
  const key = options.key ?? readEnv('ORC_CACHE_KEY', env)
  if (key !== undefined && typeof key !== 'string' && typeof key !== 'function') {
    throw new ConfigError('key', 'must be a property path, a JMESPath expression or a function')
  }
  const ttl = setting('ttl', parseDuration, defaults.ttl)
  if (ttl < 1) {
    throw new ConfigError(
      options.ttl !== undefined ? 'ttl' : 'ORC_CACHE_TTL',
      'must be at least 1 ms (to turn the cache off, use enabled: false)',
    )
  }
  const maxBytes = setting('maxBytes', parseBytes, () => {
    const megabytes = Number(readEnv('AWS_LAMBDA_FUNCTION_MEMORY_SIZE', env))
    return Number.isFinite(megabytes) && megabytes > 0
      ? Math.floor(megabytes * 1024 * 1024 * defaults.memoryFraction)
      : defaults.fallbackMaxBytes
  })
  const maxEntryBytes = setting('maxEntryBytes', parseBytes, () =>
    Math.max(1, Math.floor(maxBytes * defaults.entryFraction)),
  )
  if (maxEntryBytes > maxBytes) {
    throw new ConfigError(
      'maxEntryBytes',
      `(${maxEntryBytes}) must not exceed maxBytes (${maxBytes})`,
    )
  }
  return {
    enabled,
    key: key as ResolvedCacheOptions['key'],
    ttl,
    maxEntries: setting('maxEntries', parsePositiveInteger, defaults.maxEntries),
    maxBytes,
    maxEntryBytes,
    http: setting('http', parseBoolean, true),
    methods: setting('methods', parseMethods, DEFAULT_METHODS),
    negativeTtl: setting('negativeTtl', parseDuration, 0),
    authenticated: setting(
      'authenticated',
      (raw, source) => parseEnum(raw, source, AUTHENTICATED_MODES),
      'per-principal',
    ),
    honorRequestCacheControl: setting('honorRequestCacheControl', parseBoolean, false),
    header: setting('header', parseHeaderName, 'x-orc-cache'),
    staleIfError: setting('staleIfError', parseDuration, 0),
    singleFlight: setting('singleFlight', parseBoolean, true),
    lease: setting('lease', parseDuration, defaults.lease),
    leaseWait: setting(
      'leaseWait',
      (raw, source) => parseNumberInRange(raw, source, 0, 1),
      defaults.leaseWait,
    ),
    syncInterval: setting('syncInterval', parseDuration, defaults.syncInterval),
  }
}
