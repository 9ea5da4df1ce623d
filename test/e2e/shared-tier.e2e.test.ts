/**
 * The shared tier end to end: two functions' runtimes (the real runtime client,
 * separate processes, each its own orcCache) share the real Redis at
 * 127.0.0.1:6379. The second answers from the shared tier what the first stored.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import type { Redis as IoRedis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { OrcCacheStats } from '../../src/cache/index.js'
import { httpApiEvent } from '../helpers/events.js'
import { adminConnection } from '../redis/clients.js'
import { type RunningLambda, startLambda } from './harness/lambda.js'
import { describeWithRuntime } from './harness/with-runtime.js'

type Result = APIGatewayProxyStructuredResultV2
const PREFIX = `orc-e2e-${process.pid}:`

describeWithRuntime('orcCache with a shared tier, two runtimes sharing one Redis', () => {
  let first: RunningLambda
  let second: RunningLambda
  let admin: IoRedis
  const stats = async (fn: RunningLambda) => {
    const reply = await fn.invoke<Result>(httpApiEvent('POST', '/_stats'))
    return JSON.parse(reply.response?.body as string) as {
      stats: OrcCacheStats
      backingCalls: number
      pid: number
    }
  }

  beforeAll(async () => {
    admin = await adminConnection()
    const env = { ORC_CACHE_REDIS_PREFIX: PREFIX, ORC_CACHE_REDIS_TIMEOUT: '500ms' }
    ;[first, second] = await Promise.all([
      startLambda({ handler: 'test/e2e/handlers/cache-shared.ts', env }),
      startLambda({ handler: 'test/e2e/handlers/cache-shared.ts', env }),
    ])
  })
  afterAll(async () => {
    await first?.stop()
    await second?.stop()
    const keys = (await admin?.keys(`${PREFIX}*`)) ?? []
    if (keys.length > 0) await admin.del(...keys)
    admin?.disconnect()
  })

  it('the second runtime answers from the shared tier what the first stored', async () => {
    const stored = await first.invoke<Result>(httpApiEvent('GET', '/items/7'))
    expect(stored.error).toBeUndefined()
    expect(stored.response?.headers?.['x-orc-cache']).toBe('MISS')
    expect(stored.logs).toEqual(['cache miss /items/7', 'cache store /items/7'])
    // Written inside the invocation, before the runtime was handed the response.
    expect(await admin.pttl(`${PREFIX}orc:v1:/items/7`)).toBeGreaterThan(50_000)

    const shared = await second.invoke<Result>(httpApiEvent('GET', '/items/7'))
    expect(shared.error).toBeUndefined()
    expect(shared.response?.headers?.['x-orc-cache']).toBe('HIT-SHARED')
    expect(shared.response?.body).toBe(stored.response?.body)
    expect(shared.logs).toEqual(['cache hit /items/7'])

    const local = await second.invoke<Result>(httpApiEvent('GET', '/items/7'))
    expect(local.response?.headers?.['x-orc-cache']).toBe('HIT')

    const [one, two] = await Promise.all([stats(first), stats(second)])
    // The body names the first runtime's process: the second never ran the handler.
    const body = JSON.parse(shared.response?.body as string) as { pid: number }
    expect(body.pid).toBe(one.pid)
    expect(two.pid).not.toBe(one.pid)
    expect(one.backingCalls).toBe(1)
    expect(two.backingCalls).toBe(0)
    expect(one.stats).toMatchObject({ misses: 1, stores: 1, sharedStores: 1 })
    expect(two.stats).toMatchObject({ hits: 2, sharedHits: 1, misses: 0 })
  })

  it('and the first answers from the shared tier what the second stored', async () => {
    await second.invoke<Result>(httpApiEvent('GET', '/items/8'))
    const back = await first.invoke<Result>(httpApiEvent('GET', '/items/8'))
    expect(back.response?.headers?.['x-orc-cache']).toBe('HIT-SHARED')
    const [one, two] = await Promise.all([stats(first), stats(second)])
    expect(one.backingCalls + two.backingCalls).toBe(2)
  })
})
