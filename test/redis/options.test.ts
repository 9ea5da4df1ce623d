/**
 * Factory-time checks: a client of the wrong shape or a bad option is a
 * ConfigError naming it; options resolve from the option, then the
 * environment variable, then the default.
 */
import { Redis as IoRedis } from 'ioredis'
import { Redis as IoValkey } from 'iovalkey'
import { createClient, createCluster } from 'redis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ConfigError, redisDefaults, redisStore } from '../../src/redis/index.js'

const lazyIoRedis = () => new IoRedis({ lazyConnect: true })

describe('redisStore client shapes', () => {
  it('recognises each library by its shape', () => {
    expect(redisStore(createClient()).library).toBe('node-redis')
    expect(redisStore(lazyIoRedis()).library).toBe('ioredis')
    expect(redisStore(new IoValkey({ lazyConnect: true })).library).toBe('ioredis')
    // The glide shape (its real client needs a server: see contract.test.ts).
    expect(redisStore({ customCommand: async () => null }).library).toBe('valkey-glide')
  })

  it.each([
    ['nothing', undefined],
    ['a URL string', 'redis://127.0.0.1:6379'],
    ['a plain object', {}],
    ['a node-redis 4 client (no withTypeMapping)', { sendCommand: async () => null }],
  ])('refuses %s, naming the client', (_name, client) => {
    expect(() => redisStore(client)).toThrow(ConfigError)
    expect(() => redisStore(client)).toThrow(/^middy-orc: client must be a connected client/)
  })

  it('refuses a node-redis cluster client, saying what to use instead', () => {
    const cluster = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:6379' }] })
    expect(() => redisStore(cluster)).toThrow(/client is a node-redis cluster client/)
  })
})

describe('redisStore options', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it('has documented defaults', () => {
    const { options } = redisStore(lazyIoRedis())
    expect(options).toMatchObject({
      prefix: '',
      timeout: 50,
      maxEntryBytes: 1_048_576,
      circuitFailures: 5,
      circuitCooldown: 5_000,
    })
    expect(redisDefaults.timeout).toBe(50)
  })

  it('refuses options that are not an object', () => {
    for (const options of [null, 'prefix', 5]) {
      expect(() => redisStore(lazyIoRedis(), options as never)).toThrow(
        expect.objectContaining({
          source: 'options',
          message: expect.stringContaining('must be an object'),
        }),
      )
      expect(() => redisStore(lazyIoRedis(), options as never)).toThrow(ConfigError)
    }
  })

  it('resolves option, then environment variable, then default', () => {
    vi.stubEnv('ORC_CACHE_REDIS_TIMEOUT', '75ms')
    vi.stubEnv('ORC_CACHE_REDIS_PREFIX', 'env:')
    vi.stubEnv('ORC_CACHE_REDIS_MAX_ENTRY_BYTES', '64kb')
    vi.stubEnv('ORC_CACHE_REDIS_CIRCUIT_FAILURES', '3')
    vi.stubEnv('ORC_CACHE_REDIS_CIRCUIT_COOLDOWN', '2s')
    expect(redisStore(lazyIoRedis()).options).toMatchObject({
      timeout: 75,
      prefix: 'env:',
      maxEntryBytes: 65_536,
      circuitFailures: 3,
      circuitCooldown: 2_000,
    })
    expect(redisStore(lazyIoRedis(), { timeout: 20, prefix: 'opt:' }).options).toMatchObject({
      timeout: 20,
      prefix: 'opt:',
    })
    expect(redisStore(lazyIoRedis(), { prefix: 'orders:' }).keyOf('/items/1')).toBe(
      'orders:orc:v1:/items/1',
    )
  })

  it.each([
    [{ timeout: 0 }, /^middy-orc: timeout must be at least 1 ms/],
    [{ timeout: -1 }, /^middy-orc: timeout must be a non-negative duration/],
    [{ circuitFailures: 0 }, /^middy-orc: circuitFailures must be a positive integer/],
    [{ circuitCooldown: 'soon' }, /^middy-orc: circuitCooldown must be/],
    [{ maxEntryBytes: 0 }, /^middy-orc: maxEntryBytes must be a positive size/],
    [{ prefix: 42 }, /^middy-orc: prefix must be a string/],
    [{ logger: {} }, /^middy-orc: logger must be an object with a warn/],
  ])('refuses %o', (options, message) => {
    expect(() => redisStore(lazyIoRedis(), options as never)).toThrow(message)
  })

  it('names the environment variable and its value when that is at fault', () => {
    vi.stubEnv('ORC_CACHE_REDIS_TIMEOUT', 'abc')
    expect(() => redisStore(lazyIoRedis())).toThrow(
      /^middy-orc: ORC_CACHE_REDIS_TIMEOUT="abc" must be a non-negative duration/,
    )
  })
})
