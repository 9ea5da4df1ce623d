/**
 * orcCache's shared tier fails open: a server killed mid-run, one behind a
 * delaying proxy, one answering junk, and a shared tier that throws never fail
 * an invocation or hold it longer than the store's timeout; with the circuit
 * open, a miss in memory costs no wait at all. Servers are the tests' own, on
 * their own ports (test/redis/servers.ts).
 */
import middy from '@middy/core'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { orcCache } from '../../src/cache/index.js'
import type { SharedTier } from '../../src/cache/tier.js'
import { redisStore } from '../../src/redis/index.js'
import { httpApiEvent, lambdaContext } from '../helpers/events.js'
import { memoryTier } from '../helpers/memory-tier.js'
import { CLIENT_KINDS, type UserClient } from '../redis/clients.js'
import {
  type DelayingProxy,
  type FakeServer,
  type OwnRedis,
  startDelayingProxy,
  startFakeServer,
  startRedis,
} from '../redis/servers.js'

type Result = APIGatewayProxyStructuredResultV2
const TIMEOUT = 50
/** Room for late timers in a busy parallel suite (as in test/redis/faults.test.ts). */
const MARGIN = 100
const FAILURES = 3

const respond = (event: APIGatewayProxyEventV2, run: number): Result => ({
  statusCode: 200,
  headers: { 'cache-control': 'max-age=60' },
  body: `${event.rawPath} ${run}`,
})

const environment = (shared: SharedTier) => {
  let runs = 0
  const warnings: string[] = []
  const cache = orcCache<APIGatewayProxyEventV2, Result>({
    shared,
    logger: { warn: (message: string) => warnings.push(message) },
  })
  const handler = middy<APIGatewayProxyEventV2, Result>()
    .use(cache)
    .handler(async (event) => respond(event, ++runs))
  /** One invocation, timed; it must succeed. */
  const invoke = async (path: string): Promise<[Result, number]> => {
    const started = performance.now()
    const result = (await handler(httpApiEvent('GET', path), lambdaContext())) as Result
    return [result, performance.now() - started]
  }
  return { cache, invoke, runs: () => runs, warnings }
}

const storeOn = (client: unknown, warnings: string[] = []) =>
  redisStore(client, {
    prefix: 'orc-l2-fault:',
    timeout: TIMEOUT,
    circuitFailures: FAILURES,
    circuitCooldown: 60_000,
    logger: { warn: (message: string) => warnings.push(message) },
  })

const KINDS = CLIENT_KINDS.filter((k) => k.name === 'ioredis 5' || k.name === 'node-redis 5')

describe.each(KINDS)('shared tier faults via $name', (kind) => {
  let redis: OwnRedis
  let proxy: DelayingProxy
  let fake: FakeServer
  const users: UserClient[] = []
  beforeAll(async () => {
    redis = await startRedis()
    proxy = await startDelayingProxy(redis.port, 0)
    fake = await startFakeServer('junk-value')
  })
  afterAll(async () => {
    for (const user of users) await user.close()
    await proxy?.close()
    await fake?.close()
    await redis?.kill()
  })

  it('a server killed mid-run: invocations go on, bounded, then the circuit costs nothing', async () => {
    const user = await kind.connect(redis.port)
    users.push(user)
    const storeWarnings: string[] = []
    const env = environment(storeOn(user.client, storeWarnings))
    const [first] = await env.invoke('/k/1')
    expect(first.body).toBe('/k/1 1')
    await redis.kill()
    // Each miss in memory waits at most the timeout: the GET fails, so no SET is awaited.
    for (let i = 2; i <= FAILURES + 1; i++) {
      const [result, elapsed] = await env.invoke(`/k/${i}`)
      expect(result.statusCode).toBe(200)
      expect(elapsed).toBeLessThanOrEqual(TIMEOUT + MARGIN)
    }
    // The circuit is open now: a miss in memory adds no wait.
    const [result, elapsed] = await env.invoke('/k/9')
    expect(result.body).toBe(`/k/9 ${FAILURES + 2}`)
    expect(elapsed).toBeLessThan(20)
    // Memory still answers what it holds.
    const [hit] = await env.invoke('/k/1')
    expect(hit.headers?.['x-orc-cache']).toBe('HIT')
    expect(storeWarnings.length).toBeGreaterThan(0)
    for (const warning of storeWarnings) expect(warning).not.toContain('/k/')
    await redis.restart()
  })

  it('a slow server: an invocation waits for one timed-out read, not for the server', async () => {
    const user = await kind.connect(proxy.port)
    users.push(user)
    const store = storeOn(user.client)
    const env = environment(store)
    proxy.delay = 1_000
    const [result, elapsed] = await env.invoke('/slow/1')
    expect(result.body).toBe('/slow/1 1')
    // One operation (the GET), timed out; no write waited for after it. The
    // timing bound itself is the benchmark's (bench/shared-tier.mjs): under the
    // whole suite's load, timers here fire late by up to a few hundred ms.
    expect(store.stats()).toMatchObject({ operations: 1, timeouts: 1 })
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT - 1)
    expect(elapsed).toBeLessThan(proxy.delay / 2)
    proxy.delay = 0
  })

  it('a server answering junk: a miss, the handler runs', async () => {
    const user = await kind.connect(fake.port)
    users.push(user)
    const env = environment(storeOn(user.client))
    const [result, elapsed] = await env.invoke('/junk/1')
    expect(result.body).toBe('/junk/1 1')
    expect(result.headers?.['x-orc-cache']).toBe('MISS')
    expect(elapsed).toBeLessThanOrEqual(TIMEOUT + MARGIN)
    // The first shared read of an environment is the fleet's invalidation log; it failed,
    // so the invocation neither looked the key up there nor waited for a write.
    expect(fake.received.some(([name]) => name === 'ZRANGEBYSCORE')).toBe(true)
    expect(fake.received.some(([name]) => name === 'GET')).toBe(false)
    expect(fake.received.some(([name]) => name === 'SET')).toBe(false)
    // Once the server answers properly, a miss is written again.
    fake.mode = 'healthy'
    const [healthy] = await env.invoke('/junk/2')
    expect(healthy.headers?.['x-orc-cache']).toBe('MISS')
    const sets = fake.received.filter(([name]) => name === 'SET')
    // The lease on the key (SET NX PX), then the entry.
    expect(sets.map(([, key]) => key)).toEqual([
      'orc-l2-fault:orc:lease:/junk/2',
      'orc-l2-fault:orc:v1:/junk/2',
    ])
    expect(sets[0]?.slice(3, 5)).toEqual(['NX', 'PX'])
    fake.mode = 'junk-value'
  })
})

describe('a shared tier that breaks its contract', () => {
  it('returns a record that is not what it claims: a miss, logged once', async () => {
    const at = Date.now()
    const lying: SharedTier = {
      get: async () => ({
        kind: 1,
        value: null,
        storedAt: at,
        expiresAt: at + 60_000,
        shareable: false,
        etag: undefined,
        vary: undefined,
      }),
      set: async () => 'stored',
      delete: async () => 0,
    }
    const env = environment(lying)
    const [result] = await env.invoke('/lie')
    expect(result.body).toBe('/lie 1')
    expect(result.headers?.['x-orc-cache']).toBe('MISS')
    expect(env.warnings).toEqual([expect.stringContaining('a shared lookup failed')])
  })

  it('throws or rejects: invocations go on uncached there, logged once without values', async () => {
    const broken: SharedTier = {
      get: () => Promise.reject(new TypeError('secret-value in message')),
      set: () => {
        throw new RangeError('secret-value in message')
      },
      delete: () => Promise.reject(new Error('x')),
    }
    const env = environment(broken)
    for (let i = 0; i < 3; i++) {
      const [result] = await env.invoke('/broken')
      expect(result.statusCode).toBe(200)
    }
    // Memory still works: the second and third were hits.
    expect(env.runs()).toBe(1)
    const [other] = await env.invoke('/broken-2')
    expect(other.body).toBe('/broken-2 2')
    env.cache.delete('/broken')
    expect(env.warnings.length).toBeGreaterThan(0)
    expect(new Set(env.warnings).size).toBe(env.warnings.length)
    for (const warning of env.warnings) expect(warning).not.toContain('secret-value')
  })
})

describe('a shared tier one of whose methods throws synchronously (instead of rejecting)', () => {
  const methods = [
    'get',
    'set',
    'delete',
    'healthy',
    'lease',
    'release',
    'sync',
    'invalidate',
  ] as const
  it.each(methods)('%s: every invocation is answered, memory keeps caching', async (method) => {
    const tier = memoryTier()
    tier[method] = () => {
      throw new TypeError('secret-value in message')
    }
    let runs = 0
    const warnings: string[] = []
    const cache = orcCache<APIGatewayProxyEventV2, Result>({
      shared: tier,
      lease: 200, // a lease left behind (its release threw) holds the next miss this long
      syncInterval: 1,
      tags: () => ['t'],
      logger: { warn: (message: string) => warnings.push(message) },
    })
    const handler = middy<APIGatewayProxyEventV2, Result>()
      .use(cache)
      .handler(async (event) => respond(event, ++runs))
    const invoke = async (path: string) =>
      (await handler(httpApiEvent('GET', path), lambdaContext())) as Result
    expect((await invoke('/a')).body).toBe('/a 1')
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect((await invoke('/a')).body).toBe('/a 1')
    cache.delete('/a')
    cache.invalidateTags(['t'])
    expect((await invoke('/a')).body).toBe('/a 2')
    cache.clear()
    // clear() empties memory and records the clearing for the fleet; when that record
    // fails, the shared tier still holds /a, and it is answered from there.
    expect((await invoke('/a')).body).toBe(method === 'invalidate' ? '/a 2' : '/a 3')
    if (method !== 'healthy') {
      expect(warnings).toContainEqual(expect.stringContaining('the shared tier failed'))
    }
    for (const warning of warnings) expect(warning).not.toContain('secret-value')
  })
})
