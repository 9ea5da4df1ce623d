/**
 * redisStore options: their types (each documented with its default and cost),
 * defaults, and resolution (explicit option, then environment variable, then default).
 */
import {
  ConfigError,
  parseBytes,
  parseDuration,
  parsePositiveInteger,
  resolveSetting,
  type ValueSource,
} from '../shared/env.js'
import type { WarnLogger } from '../shared/log-once.js'

/** Options of {@link redisStore}. Every option but `logger` can also be set by an environment variable. */
export interface RedisStoreOptions {
  /**
   * Prepended to every key this store writes, before the store's own format
   * version: `orders:` gives keys such as `orders:orc:v1:/items/1`. Use it to
   * keep several functions (or stages) apart on one server, and in ACL key
   * patterns (`~orders:*`). Costs its length in every key.
   *
   * Env: `ORC_CACHE_REDIS_PREFIX`.
   * @default '' (no prefix)
   */
  prefix?: string
  /**
   * Hard limit on each operation (one `GET`, one `SET`, one round of `DEL`), in
   * milliseconds. When it passes, the operation counts as failed and the
   * caller carries on without the shared tier (a miss, or an entry not
   * shared); the command may still complete in the background, and its
   * result is then ignored. It is the most a slow or unreachable server can
   * add to an invocation. Keep it a few times the round trip to the server:
   * well under 1 ms in one availability zone, 1–2 ms across zones.
   *
   * Env: `ORC_CACHE_REDIS_TIMEOUT` (also `50ms`, `0.1s`).
   * @default 50
   */
  timeout?: number
  /**
   * Largest encoded entry written, in bytes; a larger one is refused (not
   * written, no round trip), the rule the in-container cache applies to its own
   * entries. A value of N bytes costs about N / (network bandwidth) on every
   * shared hit, plus its decoding (about 1 µs a KiB on loopback).
   *
   * Env: `ORC_CACHE_REDIS_MAX_ENTRY_BYTES` (also `256kb`, `1mb`).
   * @default 1_048_576 (1 MiB)
   */
  maxEntryBytes?: number
  /**
   * Circuit breaker: after this many consecutive failed operations (timeouts,
   * errors, replies of the wrong type, undecodable values) the server is
   * skipped for `circuitCooldown`. While skipped, an operation costs nothing
   * (no command is sent). At most this many timeouts are paid in a row.
   *
   * Env: `ORC_CACHE_REDIS_CIRCUIT_FAILURES`.
   * @default 5
   */
  circuitFailures?: number
  /**
   * How long the server is skipped once the circuit opens, in milliseconds.
   * After it, one operation probes the server (the others keep skipping until
   * it answers): success closes the circuit, failure opens it for another
   * cool-down. A down server thus costs at most one `timeout` per cool-down.
   *
   * Env: `ORC_CACHE_REDIS_CIRCUIT_COOLDOWN` (also `5s`, `1m`).
   * @default 5_000
   */
  circuitCooldown?: number
  /**
   * Where the store's warnings go: each cause of failure (a timeout, an error's
   * class name, a wrong reply, an undecodable value, the circuit opening) is
   * logged once for the life of the container, never with a key or a value.
   * Anything with `warn(message)`, e.g. Powertools Logger.
   * @default console
   */
  logger?: WarnLogger
}

/** Default values. */
export const redisDefaults = {
  prefix: '',
  timeout: 50,
  maxEntryBytes: 1024 * 1024,
  circuitFailures: 5,
  circuitCooldown: 5_000,
} as const

/** Options after resolution. */
export interface ResolvedRedisStoreOptions {
  readonly prefix: string
  readonly timeout: number
  readonly maxEntryBytes: number
  readonly circuitFailures: number
  readonly circuitCooldown: number
  readonly logger: WarnLogger
}

/** `ORC_CACHE_REDIS_` and the option's name in upper snake case. */
const envName = (option: string): string =>
  `ORC_CACHE_REDIS_${option.replace(/[A-Z]/g, '_$&').toUpperCase()}`

const parsePrefix = (raw: unknown, source: ValueSource): string => {
  if (typeof raw === 'string' && raw.length <= 256) return raw
  throw new ConfigError(source.name, 'must be a string of at most 256 characters')
}

const parsePositiveDuration = (raw: unknown, source: ValueSource): number => {
  const ms = parseDuration(raw, source)
  if (ms >= 1) return ms
  throw new ConfigError(source.name, 'must be at least 1 ms')
}

/** Resolves options once, at factory time; throws {@link ConfigError} on bad values. */
export const resolveRedisOptions = (
  options: RedisStoreOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedRedisStoreOptions => {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError('options', 'must be an object')
  }
  const setting = <T>(
    name: Exclude<keyof RedisStoreOptions, 'logger'>,
    parse: (raw: unknown, source: ValueSource) => T,
    fallback: T,
  ): T => resolveSetting(options[name], name, envName(name), parse, fallback, env)
  const logger = options.logger ?? console
  if (typeof (logger as Partial<WarnLogger> | null)?.warn !== 'function') {
    throw new ConfigError('logger', 'must be an object with a warn(message) method')
  }
  return {
    prefix: setting('prefix', parsePrefix, redisDefaults.prefix),
    timeout: setting('timeout', parsePositiveDuration, redisDefaults.timeout),
    maxEntryBytes: setting('maxEntryBytes', parseBytes, redisDefaults.maxEntryBytes),
    circuitFailures: setting(
      'circuitFailures',
      parsePositiveInteger,
      redisDefaults.circuitFailures,
    ),
    circuitCooldown: setting(
      'circuitCooldown',
      parsePositiveDuration,
      redisDefaults.circuitCooldown,
    ),
    logger,
  }
}
