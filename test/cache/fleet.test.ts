/**
 * Fleet-wide invalidation: the pure state (`FleetState`), and orcCache with two
 * in-process "environments" sharing one redisStore on the real Redis at
 * 127.0.0.1:6379 (the separate-process tests are in test/redis/fleet.test.ts).
 */
import middy from '@middy/core'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import type { Redis as IoRedis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLEAR_MEMBER, FleetState, keyMember, tagMember } from '../../src/cache/fleet.js'
import { type OrcCacheOptions, orcCache } from '../../src/cache/index.js'
import { type RedisStore, redisStore } from '../../src/redis/index.js'
import { httpApiEvent, lambdaContext } from '../helpers/events.js'
import { adminConnection, CLIENT_KINDS, type UserClient } from '../redis/clients.js'

type Result = APIGatewayProxyStructuredResultV2
const silent = { warn: () => {} }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('FleetState', () => {
  it('a record is stale once its key, a tag or everything was invalidated at a later generation', () => {
    const fleet = new FleetState()
    expect(fleet.isCurrent(0, '/a', ['x'])).toBe(true)
    const drops = fleet.apply({
      generation: 3,
      floor: 0,
      entries: [
        [keyMember('/a'), 2],
        [tagMember('x'), 3],
      ],
    })
    expect(drops).toEqual({ all: false, keys: ['/a'], tags: new Set(['x']) })
    expect(fleet.generation).toBe(3)
    expect(fleet.isCurrent(1, '/a', undefined)).toBe(false)
    expect(fleet.isCurrent(2, '/a', undefined)).toBe(true)
    expect(fleet.isCurrent(2, '/b', ['y', 'x'])).toBe(false)
    expect(fleet.isCurrent(3, '/b', ['x'])).toBe(true)
    expect(fleet.isCurrent(0, '/b', ['y'])).toBe(true)
  })

  it('clear (or a floor above what was read) makes every older record stale and drops all', () => {
    const fleet = new FleetState()
    fleet.apply({ generation: 2, floor: 0, entries: [[keyMember('/a'), 2]] })
    expect(fleet.apply({ generation: 5, floor: 0, entries: [[CLEAR_MEMBER, 5]] }).all).toBe(true)
    expect(fleet.isCurrent(4, '/z', undefined)).toBe(false)
    expect(fleet.isCurrent(5, '/a', undefined)).toBe(true)
    // The log dropped invalidations up to 9 that this environment (at 5) never read.
    const missed = fleet.apply({ generation: 12, floor: 9, entries: [[keyMember('/b'), 12]] })
    expect(missed.all).toBe(true)
    expect(fleet.isCurrent(8, '/c', undefined)).toBe(false)
    expect(fleet.isCurrent(9, '/c', undefined)).toBe(true)
    // A floor this environment had read past changes nothing.
    expect(fleet.apply({ generation: 12, floor: 9, entries: [] }).all).toBe(false)
  })

  it('its own invalidations count at once, before the next read', () => {
    const fleet = new FleetState()
    fleet.noteOwn([keyMember('/a'), tagMember('t')], 7)
    // Others invalidated between 0 and 7: still to be read.
    expect(fleet.generation).toBe(0)
    expect(fleet.isCurrent(6, '/a', undefined)).toBe(false)
    expect(fleet.isCurrent(6, '/b', ['t'])).toBe(false)
    expect(fleet.isCurrent(7, '/b', ['t'])).toBe(true)
    fleet.noteOwn([CLEAR_MEMBER], 8)
    expect(fleet.isCurrent(7, '/b', undefined)).toBe(false)
    // The very next generation after the last read: nothing was missed, up to date at it.
    const next = new FleetState()
    next.apply({ generation: 4, floor: 0, entries: [] })
    next.noteOwn([keyMember('/a')], 5)
    expect(next.generation).toBe(5)
    expect(next.isCurrent(5, '/a', undefined)).toBe(true)
  })

  it('keeps the latest generation per key and tag, whatever order invalidations arrive in', () => {
    const fleet = new FleetState()
    fleet.noteOwn([keyMember('/a'), tagMember('t')], 6)
    // A read that brings an older invalidation of the same key and tag lowers nothing.
    fleet.apply({
      generation: 6,
      floor: 0,
      entries: [
        [keyMember('/a'), 3],
        [tagMember('t'), 2],
      ],
    })
    expect(fleet.isCurrent(5, '/a', undefined)).toBe(false)
    expect(fleet.isCurrent(5, '/b', ['t'])).toBe(false)
    expect(fleet.isCurrent(6, '/a', ['t'])).toBe(true)
  })

  it('a clear below what it already covers lowers nothing, and keeps later invalidations', () => {
    const fleet = new FleetState()
    fleet.apply({
      generation: 9,
      floor: 0,
      entries: [
        [CLEAR_MEMBER, 5],
        [keyMember('/a'), 9],
      ],
    })
    fleet.noteOwn([CLEAR_MEMBER], 4)
    expect(fleet.isCurrent(4, '/z', undefined)).toBe(false)
    // The key invalidated at 9, after the clear at 5, is still remembered.
    expect(fleet.isCurrent(8, '/a', undefined)).toBe(false)
    expect(fleet.isCurrent(8, '/z', undefined)).toBe(true)
    // Its own invalidation at 12, noted before a read brings someone's clear at 10: both hold.
    fleet.noteOwn([keyMember('/b')], 12)
    fleet.apply({ generation: 12, floor: 0, entries: [[CLEAR_MEMBER, 10]] })
    expect(fleet.isCurrent(11, '/b', undefined)).toBe(false)
    expect(fleet.isCurrent(11, '/c', undefined)).toBe(true)
    expect(fleet.isCurrent(9, '/c', undefined)).toBe(false)
  })

  it('ignores log members of a kind it does not know (a newer writer’s), dropping nothing for them', () => {
    const fleet = new FleetState()
    const drops = fleet.apply({ generation: 3, floor: 0, entries: [['x:future', 3]] })
    expect(drops).toEqual({ all: false, keys: [], tags: new Set() })
    expect(fleet.generation).toBe(3)
    expect(fleet.isCurrent(0, 'x:future', ['future'])).toBe(true)
  })
})

describe('orcCache fleet-wide invalidation (two environments, ioredis)', () => {
  let admin: IoRedis
  let user: UserClient
  let store: RedisStore
  const prefix = `orc-fleet-unit-${process.pid}:`

  beforeAll(async () => {
    admin = await adminConnection()
    user = await (
      CLIENT_KINDS.find((k) => k.name === 'ioredis 5') as (typeof CLIENT_KINDS)[0]
    ).connect(6379)
    store = redisStore(user.client, { prefix, logger: silent, timeout: 1_000 })
  })
  afterAll(async () => {
    const keys = await admin.keys(`${prefix}*`)
    if (keys.length > 0) await admin.del(...keys)
    await user.close()
    admin.disconnect()
  })

  const environment = (options: OrcCacheOptions<APIGatewayProxyEventV2, Result> = {}, work = 0) => {
    let runs = 0
    const cache = orcCache<APIGatewayProxyEventV2, Result>({
      shared: store,
      logger: silent,
      syncInterval: 50,
      tags: (response) => [`body:${response.body}`],
      ...options,
    })
    const handler = middy<APIGatewayProxyEventV2, Result>()
      .use(cache)
      .handler(async (event) => {
        const run = ++runs
        await sleep(work)
        return {
          statusCode: 200,
          headers: { 'cache-control': 'max-age=60' },
          body: `${event.rawPath} ${run}`,
        }
      })
    const admin = middy<APIGatewayProxyEventV2, Result>()
      .use(cache)
      .handler(async (event) => {
        const act = event.queryStringParameters?.act
        if (act === 'clear') cache.clear()
        else if (act === 'tags') cache.invalidateTags([`body:${event.queryStringParameters?.tag}`])
        else cache.delete(event.queryStringParameters?.key as string)
        return { statusCode: 204 }
      })
    return {
      cache,
      invoke: (path: string, headers: Record<string, string> = {}) =>
        handler(httpApiEvent('GET', path, { headers }), lambdaContext()) as Promise<Result>,
      admin: (query: Record<string, string>) =>
        admin(httpApiEvent('POST', '/_admin', { query }), lambdaContext()),
      runs: () => runs,
    }
  }

  it('a delete reaches the per-principal entries other environments stored, in memory and shared', async () => {
    const a = environment()
    const b = environment()
    const alice = { authorization: 'Bearer alice-token-0001' }
    expect((await b.invoke('/p/1', alice)).body).toBe('/p/1 1')
    expect((await b.invoke('/p/1', alice)).headers?.['x-orc-cache']).toBe('HIT')
    await a.admin({ key: '/p/1' })
    await sleep(60)
    // b read the log: its memory dropped the entry, and the shared copy is stale too.
    const after = await b.invoke('/p/1', alice)
    expect(after.headers?.['x-orc-cache']).toBe('MISS')
    expect(after.body).toBe('/p/1 2')
    const c = environment()
    expect((await c.invoke('/p/1', alice)).headers?.['x-orc-cache']).toBe('HIT-SHARED')
    expect((await c.invoke('/p/1', alice)).body).toBe('/p/1 2')
  })

  it('an invocation that began before an invalidation does not store its old result', async () => {
    const a = environment()
    const slow = environment({}, 150)
    await slow.invoke('/warm') // its first read of the log
    const running = slow.invoke('/g/1')
    await sleep(40)
    await a.admin({ key: '/g/1' })
    const old = await running
    expect(old.headers?.['x-orc-cache']).toBe('MISS')
    // It had not read the invalidation when it stored, so its record went out under the
    // generation it began at, which every environment that has read the log treats as stale.
    await sleep(60)
    const c = environment()
    expect((await c.invoke('/g/1')).headers?.['x-orc-cache']).toBe('MISS')
    expect((await slow.invoke('/g/1')).body).not.toBe(old.body)
  })

  it('invalidateTags drops tagged entries in this memory at once, and elsewhere after a read', async () => {
    const a = environment()
    const b = environment()
    await a.invoke('/t/1')
    await b.invoke('/t/1') // HIT-SHARED, now in b's memory
    expect((await b.invoke('/t/1')).headers?.['x-orc-cache']).toBe('HIT')
    await a.admin({ act: 'tags', tag: '/t/1 1' })
    expect((await a.invoke('/t/1')).headers?.['x-orc-cache']).toBe('MISS')
    await sleep(60)
    expect((await b.invoke('/t/1')).body).toBe('/t/1 2')
  })

  it('clear() empties every environment, and what the shared tier held is stale', async () => {
    const a = environment()
    const b = environment()
    await a.invoke('/c/1')
    await b.invoke('/c/1')
    await b.admin({ act: 'clear' })
    expect(b.cache.stats().entries).toBe(0)
    await sleep(60)
    expect((await a.invoke('/c/1')).headers?.['x-orc-cache']).toBe('MISS')
    expect(a.cache.stats().entries).toBe(1)
  })

  it('tags that are not an array of non-empty strings: not stored, logged once', async () => {
    const warnings: string[] = []
    const cache = orcCache<{ id: string }, string>({
      key: 'id',
      tags: () => ['ok', ''],
      logger: { warn: (message: string) => warnings.push(message) },
    })
    const handler = middy<{ id: string }, string>()
      .use(cache)
      .handler(async (event) => event.id)
    await handler({ id: 'a' }, lambdaContext())
    await handler({ id: 'b' }, lambdaContext())
    expect(cache.stats()).toMatchObject({ stores: 0, rejects: 2 })
    expect(warnings).toHaveLength(1)
    expect(() => cache.invalidateTags('x' as never)).toThrow(TypeError)
    expect(() => orcCache({ tags: 'x' as never })).toThrow(/tags/)
  })

  it('in memory only, invalidateTags drops the tagged entries', async () => {
    const cache = orcCache<{ id: string }, string>({ key: 'id', tags: (r) => [`t:${r}`] })
    let runs = 0
    const handler = middy<{ id: string }, string>()
      .use(cache)
      .handler(async (event) => `${event.id}${++runs}`)
    await handler({ id: 'a' }, lambdaContext())
    await handler({ id: 'b' }, lambdaContext())
    cache.invalidateTags(['t:a1'])
    expect(await handler({ id: 'a' }, lambdaContext())).toBe('a3')
    expect(await handler({ id: 'b' }, lambdaContext())).toBe('b2')
  })
})
