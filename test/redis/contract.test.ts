/**
 * The store's contract, for every supported client library, against the real
 * Redis at 127.0.0.1:6379. Each test uses its own key prefix and removes its keys.
 */
import { randomBytes } from 'node:crypto'
import type { Redis as IoRedis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeEntry } from '../../src/redis/codec.js'
import {
  KEY_VERSION,
  KIND_HTTP,
  KIND_PLAIN,
  KIND_VARY,
  type RedisStore,
  redisStore,
  type SharedEntry,
} from '../../src/redis/index.js'
import {
  adminConnection,
  CLIENT_KINDS,
  type ClientKind,
  IOREDIS_DEFAULTS,
  type UserClient,
} from './clients.js'

const silent = { warn: () => {} }

const httpEntry = (body: string, at = Date.now()): SharedEntry => ({
  kind: KIND_HTTP,
  value: {
    statusCode: 200,
    headers: { 'content-type': 'application/json', etag: '"v1"' },
    body,
    isBase64Encoded: false,
  },
  storedAt: at,
  expiresAt: at + 60_000,
  shareable: true,
  etag: '"v1"',
  vary: undefined,
})

let admin: IoRedis
const prefixes: string[] = []
const freshPrefix = (name: string): string => {
  const prefix = `orc-test:${name.replace(/\W+/g, '-')}:${randomBytes(4).toString('hex')}:`
  prefixes.push(prefix)
  return prefix
}

beforeAll(async () => {
  admin = await adminConnection()
})

afterAll(async () => {
  for (const prefix of prefixes) {
    const keys = await admin.keys(`${prefix}*`)
    if (keys.length > 0) await admin.del(...keys)
  }
  admin.disconnect()
})

describe.each(CLIENT_KINDS)('redisStore with $name', (kind: ClientKind) => {
  let user: UserClient
  let store: RedisStore
  let prefix: string

  beforeAll(async () => {
    user = await kind.connect(6379)
    prefix = freshPrefix(kind.name)
    store = redisStore(user.client, { prefix, timeout: 500, logger: silent })
  })
  afterAll(async () => {
    await user.close()
  })

  it('writes with PX: the server holds the remaining freshness as the key’s PTTL', async () => {
    expect(await store.set('ttl', httpEntry('{"a":1}'), 30_000)).toBe('stored')
    const pttl = await admin.pttl(`${prefix}${KEY_VERSION}ttl`)
    expect(pttl).toBeGreaterThan(29_000)
    expect(pttl).toBeLessThanOrEqual(30_000)
  })

  it('lets the server expire an entry when its PX runs out', async () => {
    expect(await store.set('short', httpEntry('{"a":1}'), 120)).toBe('stored')
    expect(await store.get('short')).toBeDefined()
    await new Promise((resolve) => setTimeout(resolve, 250))
    expect(await admin.exists(`${prefix}${KEY_VERSION}short`)).toBe(0)
    expect(await store.get('short')).toBeUndefined()
  })

  it('keeps values binary-safe: every byte reaches the server as written and comes back', async () => {
    // Bodies with NUL, CR LF, RESP markers, Latin-1, astral characters; times whose
    // float64 bytes include 0x00, 0x0a, 0x0d and bytes above 0x7f.
    const body = `\u0000\r\n$-1\r\n*2\r\n\u00e9\u00ff\u{1F600}${'\u0080'.repeat(3)}"quoted\\"`
    const entry: SharedEntry = {
      ...httpEntry(body, 1_700_000_000_000.5),
      storedAt: 1_700_000_000_000.5,
    }
    expect(await store.set('bytes', entry, 60_000)).toBe('stored')
    const raw = await admin.getBuffer(`${prefix}${KEY_VERSION}bytes`)
    expect(raw).toEqual(encodeEntry(entry, Number.POSITIVE_INFINITY))
    expect(await store.get('bytes')).toEqual(entry)
  })

  it('round-trips each kind of entry: a plain result, a Vary marker, an ETag', async () => {
    const at = Date.now()
    const plain: SharedEntry = {
      kind: KIND_PLAIN,
      value: { id: 42, tags: ['a', null, 1.5], nested: { ok: true } },
      storedAt: at,
      expiresAt: at + 1_000,
      shareable: false,
      etag: undefined,
      vary: undefined,
    }
    const marker: SharedEntry = {
      kind: KIND_VARY,
      value: undefined,
      storedAt: at,
      expiresAt: at + 1_000,
      shareable: false,
      etag: undefined,
      vary: ['accept-language', 'accept-encoding'],
    }
    expect(await store.set('plain', plain, 1_000)).toBe('stored')
    expect(await store.set('marker', marker, 1_000)).toBe('stored')
    expect(await store.get('plain')).toEqual(plain)
    expect(await store.get('marker')).toEqual(marker)
  })

  it('refuses an entry larger than maxEntryBytes without sending it', async () => {
    const small = redisStore(user.client, { prefix, maxEntryBytes: 1024, logger: silent })
    const before = small.stats().operations
    expect(await small.set('large', httpEntry('x'.repeat(2_000)), 60_000)).toBe('refused')
    expect(small.stats()).toMatchObject({ refused: 1, operations: before })
    expect(await admin.exists(`${prefix}${KEY_VERSION}large`)).toBe(0)
    expect(await small.set('fits', httpEntry('x'.repeat(700)), 60_000)).toBe('stored')
  })

  it('reads a missing key, or a value another program wrote there, as a miss', async () => {
    expect(await store.get('never-written')).toBeUndefined()
    await admin.set(`${prefix}${KEY_VERSION}foreign`, 'not an orcCache entry')
    expect(await store.get('foreign')).toBeUndefined()
  })

  it('deletes keys, one DEL each', async () => {
    await store.set('d1', httpEntry('1'), 60_000)
    await store.set('d2', httpEntry('2'), 60_000)
    expect(await store.delete(['d1', 'd2', 'd3'])).toBe(2)
    expect(await store.get('d1')).toBeUndefined()
    expect(await store.delete([])).toBe(0)
  })

  it('refuses a time to live that is no positive finite number of ms, sending nothing', async () => {
    const entry = httpEntry('x')
    const operations = store.stats().operations
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(await store.set('bad-ttl', entry, ttl)).toBe('refused')
      expect(await store.lease('bad-ttl', 'token', ttl)).toBeUndefined()
    }
    expect(store.stats().operations).toBe(operations)
  })

  it('takes a lease with SET NX PX: NX and PX reach the server, a second taker is refused', async () => {
    const leaseKey = store.leaseKeyOf('L')
    expect(leaseKey.startsWith(`${prefix}orc:lease:`)).toBe(true)
    expect(await store.lease('L', 'token-1', 5_000)).toBe(true)
    expect(await admin.get(leaseKey)).toBe('token-1')
    const pttl = await admin.pttl(leaseKey)
    expect(pttl).toBeGreaterThan(4_000)
    expect(pttl).toBeLessThanOrEqual(5_000)
    // NX: held, so another token is refused and the holder's token stays.
    expect(await store.lease('L', 'token-2', 5_000)).toBe(false)
    expect(await admin.get(leaseKey)).toBe('token-1')
    // Compare-and-delete: only the holder's token releases it.
    expect(await store.release('L', 'token-2')).toBe(false)
    expect(await admin.get(leaseKey)).toBe('token-1')
    expect(await store.release('L', 'token-1')).toBe(true)
    expect(await admin.exists(leaseKey)).toBe(0)
    expect(await store.release('L', 'token-1')).toBe(false)
    // An entry under the same name is another key.
    expect(store.keyOf('L')).not.toBe(leaseKey)
  })

  it('lets a lease expire when its PX runs out (a holder that died), then it can be taken again', async () => {
    expect(await store.lease('expiring', 'dead-holder', 120)).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 250))
    expect(await admin.exists(store.leaseKeyOf('expiring'))).toBe(0)
    expect(await store.lease('expiring', 'next', 5_000)).toBe(true)
    expect(await store.release('expiring', 'next')).toBe(true)
  })

  it('keeps the fleet’s invalidation log: invalidate (EVAL) at a new generation, sync reads what came after', async () => {
    const first = await store.invalidate(['k:/a', 't:product:42'])
    expect(first).toBe(1)
    const second = await store.invalidate(['*'])
    expect(second).toBe(2)
    expect(await store.sync(0)).toEqual({
      generation: 2,
      floor: 0,
      entries: [
        ['k:/a', 1],
        ['t:product:42', 1],
        ['*', 2],
      ],
    })
    expect(await store.sync(1)).toEqual({ generation: 2, floor: 0, entries: [['*', 2]] })
    // Nothing new: the generation asked, no entries.
    expect(await store.sync(2)).toEqual({ generation: 2, floor: 0, entries: [] })
    expect(await admin.zscore(`${prefix}orc:sync:v1`, '#')).toBe('2')
  })

  it('trims the invalidation log to its 10,000 entries without losing the generation counter or lowering the floor', async () => {
    const trimmed = freshPrefix(`${kind.name}-trim`)
    const small = redisStore(user.client, { prefix: trimmed, timeout: 5_000, logger: silent })
    expect(await small.invalidate(['k:/a'])).toBe(1)
    // One invalidation larger than the log: every member sorts after the counter at the same score.
    const bulk = Array.from({ length: 10_005 }, (_, i) => `k:/bulk/${i}`)
    expect(await small.invalidate(bulk)).toBe(2)
    const log = await small.sync(0)
    expect(log?.generation).toBe(2)
    expect(log?.floor).toBe(2)
    expect(log?.entries.length).toBe(10_000)
    // The next invalidation continues the count: a counter reset would hand out 1 again.
    expect(await small.invalidate(['k:/c'])).toBe(3)
    expect(await admin.zscore(`${trimmed}orc:sync:v1`, '#')).toBe('3')
    // A small trim afterwards keeps the floor where it was (the oldest dropped was at 2).
    expect(await small.invalidate(['k:/d'])).toBe(4)
    expect((await small.sync(0))?.floor).toBe(2)
    expect(await admin.zcard(`${trimmed}orc:sync:v1`)).toBe(10_002)
  })

  it('leaves the user’s connection open and untouched', async () => {
    const id = await user.id()
    const emitter = user.client as { eventNames?: () => Array<string | symbol> }
    const events = emitter.eventNames?.().length
    await store.set('own', httpEntry('1'), 60_000)
    await store.get('own')
    await store.delete(['own'])
    expect(await user.ping()).toBe('PONG')
    expect(await user.id()).toBe(id)
    expect(emitter.eventNames?.().length).toBe(events)
  })

  it('survives its connection being dropped (CLIENT KILL): the next operation reconnects and succeeds', async () => {
    const reconnecting = redisStore(user.client, { prefix, timeout: 50, logger: silent })
    expect(await reconnecting.set('kill', httpEntry('before'), 60_000)).toBe('stored')
    await admin.client('KILL', 'ID', String(await user.id()))
    const started = performance.now()
    const entry = await reconnecting.get('kill')
    expect(performance.now() - started).toBeLessThan(60)
    expect(entry?.value).toMatchObject({ body: 'before' })
    expect(reconnecting.stats().failures).toBe(0)
  })
})

describe('ioredis with its default retryStrategy (a 50 ms wait before reconnecting)', () => {
  it('fails open within the timeout right after a dropped connection, then succeeds', async () => {
    const user = await IOREDIS_DEFAULTS.connect(6379)
    try {
      const store = redisStore(user.client, {
        prefix: freshPrefix('defaults'),
        timeout: 50,
        logger: silent,
      })
      expect(await store.set('k', httpEntry('x'), 60_000)).toBe('stored')
      await admin.client('KILL', 'ID', String(await user.id()))
      const started = performance.now()
      const first = await store.get('k')
      expect(performance.now() - started).toBeLessThan(70)
      // Either the reconnection beat the timeout or the lookup was a miss: never a throw.
      if (first === undefined) expect(store.stats().timeouts).toBe(1)
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(await store.get('k')).toBeDefined()
    } finally {
      await user.close()
    }
  })
})
