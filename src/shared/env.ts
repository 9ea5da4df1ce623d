/**
 * Configuration helpers shared by both middlewares: reading environment
 * variables and parsing the human forms they accept (`30s`, `16mb`, `true`).
 *
 * Every parser throws a {@link ConfigError} that names the option or variable
 * and the accepted form, so a bad configuration fails loudly at start-up
 * (factory time), never in the middle of a request.
 */

/** A configuration error, raised when a middleware is created. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  /** The option or environment variable at fault, e.g. `ttl` or `ORC_CACHE_TTL`. */
  readonly source: string
  constructor(source: string, message: string) {
    super(`middy-orc: ${source} ${message}`)
    this.source = source
  }
}

/** Where a value came from, for error messages: an option name or `VAR=value`. */
export interface ValueSource {
  /** Option name (`ttl`) or environment variable name (`ORC_CACHE_TTL`). */
  name: string
  /** True when the value came from the environment. */
  fromEnv: boolean
}

const describe = (source: ValueSource, raw: unknown): string =>
  source.fromEnv ? `${source.name}=${JSON.stringify(String(raw))}` : source.name

/**
 * Reads an environment variable; an unset or blank variable reads as `undefined`.
 */
export const readEnv = (name: string, env: NodeJS.ProcessEnv = process.env): string | undefined => {
  const value = env[name]
  if (value === undefined) return undefined
  const trimmed = value.trim()
  return trimmed === '' ? undefined : trimmed
}

const DURATION_UNITS: Record<string, number> = {
  '': 1,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
}
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i

/**
 * Parses a duration in milliseconds: a number (ms) or a string such as
 * `500`, `500ms`, `30s`, `5m`, `1h`. Negative or non-finite values are refused.
 */
export const parseDuration = (raw: unknown, source: ValueSource): number => {
  let ms: number | undefined
  if (typeof raw === 'number') ms = raw
  else if (typeof raw === 'string') {
    const match = DURATION.exec(raw.trim())
    if (match)
      ms = Number(match[1]) * (DURATION_UNITS[(match[2] ?? '').toLowerCase()] ?? Number.NaN)
  }
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
    throw new ConfigError(
      describe(source, raw),
      'must be a non-negative duration: milliseconds as a number, or a string like 500ms, 30s, 5m, 1h',
    )
  }
  return Math.round(ms)
}

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
}
const BYTES = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i

/**
 * Parses a size in bytes: a number or a string such as `1048576`, `512kb`,
 * `16mb`, `1gb` (binary units: 1 kb = 1024 bytes). Must be a positive size.
 */
export const parseBytes = (raw: unknown, source: ValueSource): number => {
  let bytes: number | undefined
  if (typeof raw === 'number') bytes = raw
  else if (typeof raw === 'string') {
    const match = BYTES.exec(raw.trim())
    if (match) bytes = Number(match[1]) * (BYTE_UNITS[(match[2] ?? '').toLowerCase()] ?? Number.NaN)
  }
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 1) {
    throw new ConfigError(
      describe(source, raw),
      'must be a positive size: bytes as a number, or a string like 512kb, 16mb, 1gb',
    )
  }
  return Math.floor(bytes)
}

/** Parses a positive integer (a count). */
export const parsePositiveInteger = (raw: unknown, source: ValueSource): number => {
  const n = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
    throw new ConfigError(describe(source, raw), 'must be a positive integer')
  }
  return n
}

/** Parses a number in the closed range [min, max], e.g. a sample rate in 0..1. */
export const parseNumberInRange = (
  raw: unknown,
  source: ValueSource,
  min: number,
  max: number,
): number => {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(describe(source, raw), `must be a number from ${min} to ${max}`)
  }
  return n
}

const TRUE = new Set(['true', '1', 'yes', 'on'])
const FALSE = new Set(['false', '0', 'no', 'off'])

/** Parses a boolean: `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`. */
export const parseBoolean = (raw: unknown, source: ValueSource): boolean => {
  if (typeof raw === 'boolean') return raw
  if (typeof raw === 'string') {
    const value = raw.trim().toLowerCase()
    if (TRUE.has(value)) return true
    if (FALSE.has(value)) return false
  }
  throw new ConfigError(
    describe(source, raw),
    'must be a boolean: true or false (also 1/0, yes/no, on/off)',
  )
}

/** Parses one of a fixed set of words (case-insensitive for strings). */
export const parseEnum = <T extends string>(
  raw: unknown,
  source: ValueSource,
  allowed: readonly T[],
): T => {
  const value = typeof raw === 'string' ? raw.trim().toLowerCase() : raw
  const found = allowed.find((word) => word === value)
  if (found === undefined) {
    throw new ConfigError(describe(source, raw), `must be one of: ${allowed.join(', ')}`)
  }
  return found
}

/**
 * Resolves one setting the way every option in this package resolves:
 * the explicit option if given, else the environment variable if set, else
 * the default. Both the option and the variable go through `parse`, so a bad
 * value fails with the name of whichever was used.
 */
export const resolveSetting = <T>(
  explicit: unknown,
  optionName: string,
  envName: string,
  parse: (raw: unknown, source: ValueSource) => T,
  fallback: T | (() => T),
  env: NodeJS.ProcessEnv = process.env,
): T => {
  if (explicit !== undefined) return parse(explicit, { name: optionName, fromEnv: false })
  const fromEnv = readEnv(envName, env)
  if (fromEnv !== undefined) return parse(fromEnv, { name: envName, fromEnv: true })
  return typeof fallback === 'function' ? (fallback as () => T)() : fallback
}
