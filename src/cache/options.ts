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
  parsePositiveInteger,
  readEnv,
  resolveSetting,
} from '../shared/env.js'
import type { WarnLogger } from '../shared/log-once.js'
import type { KeyValue } from './key.js'

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
   *   property reads: costs a few nanoseconds per invocation.
   * - Any other string is a JMESPath expression, evaluated with
   *   `@aws-lambda-powertools/jmespath` (an optional peer dependency, loaded only
   *   then), with the Powertools functions: `powertools_json(body).id`.
   *   Costs a few microseconds per invocation.
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
   * Where the cache's own warnings go (fail-open causes, each logged once). Never
   * given keys or responses. Anything with `warn(message, extra)`, e.g. Powertools Logger.
   * @default console
   */
  logger?: WarnLogger
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
} as const

/** Options after resolution: every bound is a number. */
export interface ResolvedCacheOptions {
  enabled: boolean
  key: string | OrcCacheKeyFunction<unknown, unknown> | undefined
  ttl: number
  maxEntries: number
  maxBytes: number
  maxEntryBytes: number
}

const defaultMaxBytes = (env: NodeJS.ProcessEnv): number => {
  const memory = readEnv('AWS_LAMBDA_FUNCTION_MEMORY_SIZE', env)
  const megabytes = memory === undefined ? Number.NaN : Number(memory)
  if (!Number.isFinite(megabytes) || megabytes <= 0) return defaults.fallbackMaxBytes
  return Math.floor(megabytes * 1024 * 1024 * defaults.memoryFraction)
}

/** Resolves options once, at factory time; throws {@link ConfigError} on bad values. */
export const resolveCacheOptions = (
  options: OrcCacheOptions<never, never, never>,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedCacheOptions => {
  const optionEnabled = resolveSetting(
    options.enabled,
    'enabled',
    'ORC_CACHE_ENABLED',
    parseBoolean,
    true,
    env,
  )
  const killSwitch = readEnv('ORC_CACHE_ENABLED', env)
  const enabled =
    optionEnabled &&
    (killSwitch === undefined ||
      parseBoolean(killSwitch, { name: 'ORC_CACHE_ENABLED', fromEnv: true }))

  const key = options.key ?? readEnv('ORC_CACHE_KEY', env)
  if (key !== undefined && typeof key !== 'string' && typeof key !== 'function') {
    throw new ConfigError('key', 'must be a property path, a JMESPath expression or a function')
  }
  const ttl = resolveSetting(options.ttl, 'ttl', 'ORC_CACHE_TTL', parseDuration, defaults.ttl, env)
  if (ttl < 1) {
    throw new ConfigError(
      options.ttl !== undefined ? 'ttl' : 'ORC_CACHE_TTL',
      'must be at least 1 ms (to turn the cache off, use enabled: false or ORC_CACHE_ENABLED=false)',
    )
  }
  const maxEntries = resolveSetting(
    options.maxEntries,
    'maxEntries',
    'ORC_CACHE_MAX_ENTRIES',
    parsePositiveInteger,
    defaults.maxEntries,
    env,
  )
  const maxBytes = resolveSetting(
    options.maxBytes,
    'maxBytes',
    'ORC_CACHE_MAX_BYTES',
    parseBytes,
    () => defaultMaxBytes(env),
    env,
  )
  const maxEntryBytes = resolveSetting(
    options.maxEntryBytes,
    'maxEntryBytes',
    'ORC_CACHE_MAX_ENTRY_BYTES',
    parseBytes,
    () => Math.max(1, Math.floor(maxBytes * defaults.entryFraction)),
    env,
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
    maxEntries,
    maxBytes,
    maxEntryBytes,
  }
}
