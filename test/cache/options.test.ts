/**
 * orcCache's option resolution (`resolveCacheOptions`): defaults, environment variables
 * (named from the option), the kill switch, and each refusal naming what was at fault.
 */
import { describe, expect, it } from 'vitest'
import { resolveCacheOptions } from '../../src/cache/options.js'
import { ConfigError } from '../../src/shared/env.js'

type Options = Parameters<typeof resolveCacheOptions>[0]
const resolve = (options: Record<string, unknown>, env: Record<string, string> = {}) =>
  resolveCacheOptions(options as Options, env)

/** The ConfigError resolving these throws. */
const errorOf = (options: Record<string, unknown>, env: Record<string, string> = {}) => {
  try {
    resolve(options, env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error('expected a ConfigError')
}
/** The option or variable the ConfigError resolving these names. */
const faultOf = (options: Record<string, unknown>, env: Record<string, string> = {}) =>
  errorOf(options, env).source

const MiB = 1024 * 1024

describe('defaults', () => {
  it('with no option and no variable', () => {
    const resolved = resolve({})
    expect(resolved).toMatchObject({
      enabled: true,
      key: undefined,
      ttl: 60_000,
      maxEntries: 10_000,
      maxBytes: 16 * MiB,
      maxEntryBytes: 2 * MiB,
      http: true,
      negativeTtl: 0,
      authenticated: 'per-principal',
      honorRequestCacheControl: false,
      header: 'x-orc-cache',
      staleIfError: 0,
      singleFlight: true,
      lease: 10_000,
      leaseWait: 0.5,
      syncInterval: 1_000,
    })
    expect([...resolved.methods]).toEqual(['GET', 'HEAD'])
  })

  it('maxBytes is a tenth of the function memory; maxEntryBytes an eighth of maxBytes', () => {
    const at128 = resolve({}, { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128' })
    expect(at128.maxBytes).toBe(Math.floor(128 * MiB * 0.1))
    expect(at128.maxEntryBytes).toBe(Math.floor(at128.maxBytes / 8))
    for (const memory of ['0', '-128', 'lots']) {
      expect(resolve({}, { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: memory }).maxBytes).toBe(16 * MiB)
    }
    expect(resolve({ maxBytes: 7 }).maxEntryBytes).toBe(1)
  })
})

describe('environment variables', () => {
  it('are named after the option and parsed the same way', () => {
    const resolved = resolve(
      {},
      {
        ORC_CACHE_TTL: '5m',
        ORC_CACHE_MAX_ENTRIES: '10',
        ORC_CACHE_MAX_BYTES: '1mb',
        ORC_CACHE_MAX_ENTRY_BYTES: '1kb',
        ORC_CACHE_HTTP: 'off',
        ORC_CACHE_METHODS: 'get, post',
        ORC_CACHE_NEGATIVE_TTL: '5s',
        ORC_CACHE_AUTHENTICATED: 'Shared-When-Public',
        ORC_CACHE_HONOR_REQUEST_CACHE_CONTROL: 'yes',
        ORC_CACHE_HEADER: 'X-Cache',
        ORC_CACHE_STALE_IF_ERROR: '30s',
        ORC_CACHE_SINGLE_FLIGHT: 'false',
        ORC_CACHE_LEASE: '2s',
        ORC_CACHE_LEASE_WAIT: '0.25',
        ORC_CACHE_SYNC_INTERVAL: '250ms',
        ORC_CACHE_KEY: 'pathParameters.id',
      },
    )
    expect(resolved).toMatchObject({
      key: 'pathParameters.id',
      ttl: 300_000,
      maxEntries: 10,
      maxBytes: MiB,
      maxEntryBytes: 1024,
      http: false,
      negativeTtl: 5_000,
      authenticated: 'shared-when-public',
      honorRequestCacheControl: true,
      header: 'x-cache',
      staleIfError: 30_000,
      singleFlight: false,
      lease: 2_000,
      leaseWait: 0.25,
      syncInterval: 250,
    })
    expect([...resolved.methods]).toEqual(['GET', 'POST'])
  })

  it('ORC_CACHE_ENABLED=false is a kill switch that wins over enabled: true', () => {
    expect(resolve({ enabled: true }, { ORC_CACHE_ENABLED: 'false' }).enabled).toBe(false)
    expect(resolve({ enabled: false }, { ORC_CACHE_ENABLED: 'true' }).enabled).toBe(false)
    expect(resolve({}, { ORC_CACHE_ENABLED: 'true' }).enabled).toBe(true)
    expect(resolve({ enabled: false }).enabled).toBe(false)
    expect(faultOf({}, { ORC_CACHE_ENABLED: 'maybe' })).toBe('ORC_CACHE_ENABLED="maybe"')
    // With the option given, the variable is read as the kill switch, and still named.
    expect(errorOf({ enabled: true }, { ORC_CACHE_ENABLED: 'maybe' }).message).toBe(
      'middy-orc: ORC_CACHE_ENABLED="maybe" must be a boolean: true or false (also 1/0, yes/no, on/off)',
    )
  })
})

describe('lease, leaseWait and syncInterval', () => {
  it('lease is a duration (0 turns leases off); leaseWait a share from 0 to 1', () => {
    expect(resolve({ lease: 0, leaseWait: 1 })).toMatchObject({ lease: 0, leaseWait: 1 })
    expect(resolve({}, { ORC_CACHE_LEASE: '0', ORC_CACHE_LEASE_WAIT: '0' })).toMatchObject({
      lease: 0,
      leaseWait: 0,
    })
    for (const lease of [-1, 'soon', Number.POSITIVE_INFINITY])
      expect(faultOf({ lease })).toBe('lease')
    for (const leaseWait of [-0.1, 1.5, 'half', Number.NaN]) {
      expect(faultOf({ leaseWait })).toBe('leaseWait')
    }
    expect(faultOf({ syncInterval: -5 })).toBe('syncInterval')
    expect(faultOf({}, { ORC_CACHE_SYNC_INTERVAL: 'often' })).toBe(
      'ORC_CACHE_SYNC_INTERVAL="often"',
    )
    expect(errorOf({}, { ORC_CACHE_LEASE_WAIT: '2' }).message).toBe(
      'middy-orc: ORC_CACHE_LEASE_WAIT="2" must be a number from 0 to 1',
    )
  })
})

describe('methods', () => {
  it('takes a list or a comma-separated string, trimmed and upper-cased', () => {
    expect([...resolve({ methods: ['get', ' Head '] }).methods]).toEqual(['GET', 'HEAD'])
    expect([...resolve({ methods: 'GET,PURGE' }).methods]).toEqual(['GET', 'PURGE'])
  })

  it('refuses an empty list, a bad name anywhere in it, or another type', () => {
    for (const methods of [[], ['GET', ''], ['GET', 'BAD METHOD'], 'GET,,HEAD', [1], 5, {}]) {
      expect(faultOf({ methods })).toBe('methods')
    }
    expect(errorOf({}, { ORC_CACHE_METHODS: 'GET;HEAD' }).message).toBe(
      'middy-orc: ORC_CACHE_METHODS must be a non-empty list of HTTP methods, e.g. GET,HEAD',
    )
  })
})

describe('header', () => {
  it('is a header name (lower-cased), or false for none', () => {
    expect(resolve({ header: ' X-Hit ' }).header).toBe('x-hit')
    expect(resolve({ header: false }).header).toBeUndefined()
    // Only the environment spells "none" in words; as an option "off" is a header name.
    expect(resolve({ header: 'off' }).header).toBe('off')
    for (const word of ['off', 'FALSE', 'none']) {
      expect(resolve({}, { ORC_CACHE_HEADER: word }).header).toBeUndefined()
    }
    expect(resolve({}, { ORC_CACHE_HEADER: 'x-off' }).header).toBe('x-off')
    expect(resolve({}, { ORC_CACHE_HEADER: 'none-x' }).header).toBe('none-x')
  })

  it('refuses anything else', () => {
    for (const header of ['bad header', '', true, 1]) expect(faultOf({ header })).toBe('header')
    expect(errorOf({}, { ORC_CACHE_HEADER: 'a:b' }).message).toBe(
      'middy-orc: ORC_CACHE_HEADER must be a header name, or false (off) to send none',
    )
  })
})

describe('refusals', () => {
  it('a key of another type', () => {
    for (const key of [42, true, {}]) {
      expect(errorOf({ key }).message).toBe(
        'middy-orc: key must be a property path, a JMESPath expression or a function',
      )
    }
  })

  it('a ttl below 1 ms, naming the option or the variable', () => {
    expect(faultOf({ ttl: 0 })).toBe('ttl')
    expect(faultOf({}, { ORC_CACHE_TTL: '0' })).toBe('ORC_CACHE_TTL')
    expect(resolve({ ttl: 1 }).ttl).toBe(1)
  })

  it('maxEntryBytes above maxBytes (equal is fine)', () => {
    expect(faultOf({ maxBytes: 1_000, maxEntryBytes: 1_001 })).toBe('maxEntryBytes')
    expect(resolve({ maxBytes: 1_000, maxEntryBytes: 1_000 }).maxEntryBytes).toBe(1_000)
  })

  it('an authenticated mode that does not exist', () => {
    expect(faultOf({ authenticated: 'shared' })).toBe('authenticated')
  })
})
