/**
 * orcCache with a shared second tier: two "environments" (two orcCache
 * instances, each its own L1, under the real `@middy/core`) share one
 * `redisStore` on the real Redis at 127.0.0.1:6379, through every supported
 * client library. Each test uses its own key prefix and removes its keys.
 */
import middy from '@middy/core'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import type { Redis as IoRedis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, type OrcCacheOptions, orcCache } from '../../src/cache/index.js'
import type { SharedTier } from '../../src/cache/tier.js'
import { type RedisStore, redisStore } from '../../src/redis/index.js'
import { httpApiEvent, lambdaContext } from '../helpers/events.js'
import { adminConnection, CLIENT_KINDS, type UserClient } from '../redis/clients.js'

type Result = APIGatewayProxyStructuredResultV2
type Respond = (event: APIGatewayProxyEventV2, run: number) => Result

const silent = { warn: () => {} }
/**
 * The behaviour tests are not about time: a generous timeout keeps a first
 * command on a new connection, in a busy parallel suite, from counting as a
 * failure (the fault tests hold the 50 ms default).
 */
const SLOW_MACHINE_TIMEOUT = 1_000
let prefixes = 0
const newPrefix = () => `orc-l2-${process.pid}-${++prefixes}:`

const ok =
  (headers: Record<string, string> = {}): Respond =>
  (event, run) => ({
    statusCode: 200,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ path: event.rawPath, run }),
  })

/** One execution environment: its own orcCache (L1) in front of the shared store. */
const environment = (
  shared: SharedTier,
  respond: Respond = ok({ 'cache-control': 'max-age=60' }),
  options: OrcCacheOptions<APIGatewayProxyEventV2, Result> = {},
) => {
  let runs = 0
  const cache = orcCache<APIGatewayProxyEventV2, Result>({ shared, logger: silent, ...options })
  const handler = middy<APIGatewayProxyEventV2, Result>()
    .use(cache)
    .handler(async (event) => respond(event, ++runs))
  return {
    cache,
    invoke: (event: APIGatewayProxyEventV2) => handler(event, lambdaContext()) as Promise<Result>,
    runs: () => runs,
  }
}

let admin: IoRedis
const cleanUp = async (prefix: string) => {
  const keys = await admin.keys(`${prefix}*`)
  if (keys.length > 0) await admin.del(...keys)
}
/** Every key under `prefix` with its raw value, as the server holds them. */
const dump = async (prefix: string): Promise<Array<[string, string]>> => {
  const keys = await admin.keys(`${prefix}*`)
  const out: Array<[string, string]> = []
  for (const key of keys) out.push([key, (await admin.getBuffer(key))?.toString('latin1') ?? ''])
  return out
}

beforeAll(async () => {
  admin = await adminConnection()
})
afterAll(async () => {
  admin.disconnect()
})

describe.each(CLIENT_KINDS)('orcCache with a shared tier via $name', (kind) => {
  let user: UserClient
  const prefix = newPrefix()
  let store: RedisStore
  beforeAll(async () => {
    user = await kind.connect(6379)
    store = redisStore(user.client, { prefix, logger: silent, timeout: SLOW_MACHINE_TIMEOUT })
  })
  afterAll(async () => {
    await cleanUp(prefix)
    await user.close()
  })

  it('a second environment answers from the shared tier what the first stored', async () => {
    const a = environment(store)
    const b = environment(store)
    const first = await a.invoke(httpApiEvent('GET', '/items/1'))
    expect(first.headers?.['x-orc-cache']).toBe('MISS')
    // The write finished inside the invocation: the entry is there now, with a TTL.
    const pttl = await admin.pttl(store.keyOf('/items/1'))
    expect(pttl).toBeGreaterThan(55_000)
    expect(pttl).toBeLessThanOrEqual(60_000)

    const shared = await b.invoke(httpApiEvent('GET', '/items/1'))
    expect(b.runs()).toBe(0)
    expect(shared.headers?.['x-orc-cache']).toBe('HIT-SHARED')
    expect(shared.body).toBe(first.body)
    // Now in b's own memory: a plain hit.
    const local = await b.invoke(httpApiEvent('GET', '/items/1'))
    expect(local.headers?.['x-orc-cache']).toBe('HIT')
    expect(b.cache.stats()).toMatchObject({ hits: 2, sharedHits: 1, misses: 0, entries: 1 })
    expect(a.cache.stats()).toMatchObject({ hits: 0, misses: 1, stores: 1, sharedStores: 1 })
  })
})

describe('orcCache with a shared tier (ioredis)', () => {
  let user: UserClient
  const prefix = newPrefix()
  let store: RedisStore
  beforeAll(async () => {
    user = await (
      CLIENT_KINDS.find((k) => k.name === 'ioredis 5') as (typeof CLIENT_KINDS)[0]
    ).connect(6379)
    store = redisStore(user.client, { prefix, logger: silent, timeout: SLOW_MACHINE_TIMEOUT })
  })
  afterAll(async () => {
    await cleanUp(prefix)
    await user.close()
  })

  it('Age continues across tiers and PX is the remaining freshness', async () => {
    const respond = ok({ 'cache-control': 'max-age=60', age: '30', etag: '"e1"' })
    const a = environment(store, respond)
    const b = environment(store, respond)
    await a.invoke(httpApiEvent('GET', '/aged'))
    const pttl = await admin.pttl(store.keyOf('/aged'))
    expect(pttl).toBeGreaterThan(25_000)
    expect(pttl).toBeLessThanOrEqual(30_000)
    const hit = await b.invoke(httpApiEvent('GET', '/aged'))
    expect(hit.headers?.['x-orc-cache']).toBe('HIT-SHARED')
    expect(Number(hit.headers?.age)).toBeGreaterThanOrEqual(30)
    expect(Number(hit.headers?.age)).toBeLessThan(32)
    // The ETag came along: a conditional request is answered 304 from the shared entry.
    const c = environment(store, respond)
    const conditional = await c.invoke(
      httpApiEvent('GET', '/aged', { headers: { 'if-none-match': '"e1"' } }),
    )
    expect(conditional.statusCode).toBe(304)
    expect(c.runs()).toBe(0)
  })

  it('follows a Vary marker across tiers', async () => {
    const respond: Respond = (event, run) => ({
      statusCode: 200,
      headers: { 'cache-control': 'max-age=60', vary: 'Accept-Language' },
      body: `${event.headers['accept-language']} ${run}`,
    })
    const a = environment(store, respond)
    const b = environment(store, respond)
    const en = { headers: { 'accept-language': 'en' } }
    const fr = { headers: { 'accept-language': 'fr' } }
    await a.invoke(httpApiEvent('GET', '/v', en))
    const hit = await b.invoke(httpApiEvent('GET', '/v', en))
    expect(hit.headers?.['x-orc-cache']).toBe('HIT-SHARED')
    expect(hit.body).toBe('en 1')
    const other = await b.invoke(httpApiEvent('GET', '/v', fr))
    expect(other.headers?.['x-orc-cache']).toBe('MISS')
    expect(other.body).toBe('fr 1')
    // And a finds b's French variant in the shared tier.
    const back = await a.invoke(httpApiEvent('GET', '/v', fr))
    expect(back.headers?.['x-orc-cache']).toBe('HIT-SHARED')
    expect(back.body).toBe('fr 1')
  })

  it('keeps per-principal entries apart, with no credential in any key or value', async () => {
    const token = 'Bearer secret-token-4242'
    const respond: Respond = (_event, run) => ({
      statusCode: 200,
      headers: { 'cache-control': 'max-age=60' },
      body: `mine ${run}`,
    })
    const a = environment(store, respond)
    const b = environment(store, respond)
    await a.invoke(httpApiEvent('GET', '/me', { headers: { authorization: token } }))
    const same = await b.invoke(httpApiEvent('GET', '/me', { headers: { authorization: token } }))
    expect(same.headers?.['x-orc-cache']).toBe('HIT-SHARED')
    const other = await b.invoke(
      httpApiEvent('GET', '/me', { headers: { authorization: 'Bearer someone-else' } }),
    )
    expect(other.headers?.['x-orc-cache']).toBe('MISS')
    const held = await dump(prefix)
    expect(held.length).toBeGreaterThan(0)
    for (const [key, value] of held) {
      expect(key).not.toContain('secret-token')
      expect(value).not.toContain('secret-token')
      expect(value).not.toContain('someone-else')
    }
  })

  it('stores nothing in the shared tier that memory refuses', async () => {
    const a = environment(store, ok({ 'cache-control': 'private, max-age=60' }))
    await a.invoke(httpApiEvent('GET', '/private'))
    const big = environment(
      store,
      (_e, run) => ({ statusCode: 200, body: 'x'.repeat(5000) + run }),
      {
        maxEntryBytes: 2_000,
      },
    )
    await big.invoke(httpApiEvent('GET', '/big'))
    const refused = environment(store, ok({ 'cache-control': 'no-store' }))
    await refused.invoke(httpApiEvent('GET', '/no-store'))
    expect(
      await admin.exists(store.keyOf('/private'), store.keyOf('/big'), store.keyOf('/no-store')),
    ).toBe(0)
    expect(big.cache.stats().rejects).toBe(1)
  })

  it('caches plain (non-HTTP) results across tiers by a user key', async () => {
    let runs = 0
    const make = () =>
      middy<{ id: string }, { id: string; run: number }>()
        .use(orcCache({ key: 'id', ttl: 30_000, shared: store, logger: silent }))
        .handler(async (event) => ({ id: event.id, run: ++runs }))
    const a = make()
    const b = make()
    const first = await a({ id: 'p1' }, lambdaContext())
    const second = await b({ id: 'p1' }, lambdaContext())
    expect(second).toEqual(first)
    expect(runs).toBe(1)
    expect(Object.isFrozen(second)).toBe(true)
  })

  it('delete(key) and unsafe methods delete in the shared tier too', async () => {
    const respond: Respond = (event, run) => ({
      statusCode: event.requestContext.http.method === 'POST' ? 201 : 200,
      headers: { 'cache-control': 'max-age=60', vary: 'accept' },
      body: `${run}`,
    })
    const a = environment(store, respond, { key: undefined })
    await a.invoke(httpApiEvent('GET', '/d/1', { headers: { accept: 'text/plain' } }))
    await a.invoke(httpApiEvent('GET', '/d/2'))
    // The marker at the base key and the variant under it.
    expect((await admin.keys(`${prefix}*/d/1*`)).length).toBe(2)

    // delete() inside an invocation: awaited by that invocation's after hook.
    const deleter = middy<APIGatewayProxyEventV2, Result>()
      .use(a.cache)
      .handler(async () => {
        a.cache.delete('/d/1')
        return { statusCode: 200, body: 'deleted' }
      })
    await deleter(httpApiEvent('DELETE', '/_admin'), lambdaContext())
    expect((await admin.keys(`${prefix}*/d/1*`)).length).toBe(0)

    // A POST to /d/2 invalidates it everywhere it was stored by a.
    expect(await admin.exists(store.keyOf('/d/2'))).toBe(1)
    const b = environment(store, respond)
    await b.invoke(httpApiEvent('POST', '/d/2'))
    expect(await admin.exists(store.keyOf('/d/2'))).toBe(0)
  })

  it('single flight still applies within an environment on a shared miss', async () => {
    const a = environment(store, (event, run) => ({
      statusCode: 200,
      headers: { 'cache-control': 'max-age=60' },
      body: `${event.rawPath} ${run}`,
    }))
    const answers = await Promise.all(
      [0, 1, 2, 3].map(() => a.invoke(httpApiEvent('GET', '/flight'))),
    )
    expect(a.runs()).toBe(1)
    expect(answers.map((r) => r.body)).toEqual(Array(4).fill('/flight 1'))
  })

  it('rejects a shared option of the wrong shape at factory time', () => {
    for (const bad of [{}, null, 'redis', { get: () => {} }, user.client]) {
      expect(() => orcCache({ shared: bad as never })).toThrow(ConfigError)
      expect(() => orcCache({ shared: bad as never })).toThrow(/shared/)
    }
  })
})
