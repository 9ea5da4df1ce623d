/**
 * Configuration helpers shared by both middlewares: reading environment
 * variables and parsing the human forms they accept (`30s`, `16mb`, `true`).
 *
 * Every parser throws a {@link ConfigError} that names the option or variable
 * and the accepted form, so a bad configuration fails loudly at start-up
 * (factory time), never in the middle of a request.
 */

const CONFIG_ERROR: unique symbol = Symbol.for('middy-orc.ConfigError') as never

/** A configuration error, raised when a middleware is created. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  /** The option or environment variable at fault, e.g. `ttl` or `ORC_CACHE_TTL`. */
  readonly source: string
  constructor(source: string, message: string) {
    super(`middy-orc: ${source} ${message}`)
    this.source = source
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: only the mark's presence is checked (Object.hasOwn), never its value
    Object.defineProperty(this, CONFIG_ERROR, { value: true })
  }
  /** `instanceof` holds for a ConfigError from any entry point (each is a file of its own). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && Object.hasOwn(value, CONFIG_ERROR)
  }
}

/** Where a value came from, for error messages: an option name or `VAR=value`. */
export interface ValueSource {
  /** Option name (`ttl`) or environment variable name (`ORC_CACHE_TTL`). */
  name: string
  /** True when the value came from the environment. */
  fromEnv: boolean
}

/** Throws the error for a value that is not of the `expected` form. */
const invalid = (source: ValueSource, raw: unknown, expected: string): never => {
  throw new ConfigError(
    source.fromEnv ? `${source.name}=${JSON.stringify(String(raw))}` : source.name,
    `must be ${expected}`,
  )
}

/**
 * Reads an environment variable; an unset or blank variable reads as `undefined`.
 */
export const readEnv = (name: string, env: NodeJS.ProcessEnv = process.env): string | undefined =>
  env[name]?.trim() || undefined

/** A number, or a decimal string with an optional unit from `units` (case-insensitive); NaN otherwise. */
const amount = (raw: unknown, units: Record<string, number>): number => {
  if (typeof raw === 'number') return raw
  const match = typeof raw === 'string' ? /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw.trim()) : null
  return match
    ? Number(match[1]) * (units[(match[2] as string).toLowerCase()] ?? Number.NaN)
    : Number.NaN
}

const DURATION_UNITS: Record<string, number> = { '': 1, ms: 1, s: 1e3, m: 6e4, h: 36e5 }

/** `b`, and `k`, `kb`, `kib` (and the same for `m` and `g`): binary units. */
const BYTE_UNITS: Record<string, number> = { '': 1, b: 1 }
for (const [power, prefix] of ['k', 'm', 'g'].entries()) {
  for (const suffix of ['', 'b', 'ib']) BYTE_UNITS[prefix + suffix] = 1024 ** (power + 1)
}

/**
 * Parses a duration in milliseconds: a number (ms) or a string such as
 * `500`, `500ms`, `30s`, `5m`, `1h`. Negative or non-finite values are refused.
 */
export const parseDuration = (raw: unknown, source: ValueSource): number => {
  const ms = amount(raw, DURATION_UNITS)
  return ms >= 0 && ms < Number.POSITIVE_INFINITY
    ? Math.round(ms)
    : invalid(source, raw, 'a non-negative duration: milliseconds, or 500ms, 30s, 5m, 1h')
}

/**
 * Parses a size in bytes: a number or a string such as `1048576`, `512kb`,
 * `16mb`, `1gb` (binary units: 1 kb = 1024 bytes). Must be a positive size.
 */
export const parseBytes = (raw: unknown, source: ValueSource): number => {
  const bytes = amount(raw, BYTE_UNITS)
  return bytes >= 1 && bytes < Number.POSITIVE_INFINITY
    ? Math.floor(bytes)
    : invalid(source, raw, 'a positive size: bytes, or 512kb, 16mb, 1gb')
}

/** Parses a positive integer (a count). */
export const parsePositiveInteger = (raw: unknown, source: ValueSource): number => {
  const n = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw
  return Number.isSafeInteger(n) && (n as number) > 0
    ? (n as number)
    : invalid(source, raw, 'a positive integer')
}

/** Parses a number in the closed range [min, max], e.g. a sample rate in 0..1. */
export const parseNumberInRange = (
  raw: unknown,
  source: ValueSource,
  min: number,
  max: number,
): number => {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
  return typeof n === 'number' && n >= min && n <= max
    ? n
    : invalid(source, raw, `a number from ${min} to ${max}`)
}

/** Parses a boolean: `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`. */
export const parseBoolean = (raw: unknown, source: ValueSource): boolean => {
  if (typeof raw === 'boolean') return raw
  // Stryker disable next-line StringLiteral: any placeholder word matches neither list, as '' does not
  const word = typeof raw === 'string' ? raw.trim().toLowerCase() : ''
  if (/^(true|1|yes|on)$/.test(word)) return true
  if (/^(false|0|no|off)$/.test(word)) return false
  return invalid(source, raw, 'a boolean: true or false (also 1/0, yes/no, on/off)')
}

/** Parses one of a fixed set of words (case-insensitive for strings). */
export const parseEnum = <T extends string>(
  raw: unknown,
  source: ValueSource,
  allowed: readonly T[],
): T => {
  const value = typeof raw === 'string' ? raw.trim().toLowerCase() : raw
  return (
    allowed.find((word) => word === value) ?? invalid(source, raw, `one of: ${allowed.join(', ')}`)
  )
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
