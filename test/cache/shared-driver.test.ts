/**
 * The second tier's driver through orcCache, with a shared tier of the user's own making
 * (test/helpers/memory-tier.ts): what it does with records no well-behaved writer leaves
 * (expired, uncopyable, too large), a tier that refuses writes, leases whose holder goes
 * quiet or whose tier fails mid-wait, and a cache with fleet-wide invalidation off.
 */
import middy from '@middy/core'
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda'
import { describe, expect, it, vi } from 'vitest'
import { type OrcCacheOptions, orcCache } from '../../src/cache/index.js'
import type { SharedRecord } from '../../src/cache/tier.js'
import { authorizedRestEvent, httpApiEvent, lambdaContext } from '../helpers/events.js'
import { type MemoryTier, memoryTier } from '../helpers/memory-tier.js'

type Result = APIGatewayProxyStructuredResultV2
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One execution environment: its own orcCache over `tier`, and a handler that counts its runs. */
const environment = (
  tier: MemoryTier,
  options: OrcCacheOptions<APIGatewayProxyEventV2, Result> = {},
  headers: Record<string, string> = { 'cache-control': 'max-age=60' },
  work = 0,
) => {
  let runs = 0
  const warnings: string[] = []
  const cache = orcCache<APIGatewayProxyEventV2, Result>({
    shared: tier,
    logger: { warn: (message: string) => warnings.push(message) },
    ...options,
  })
  const handler = middy<APIGatewayProxyEventV2, Result>()
    .use(cache)
    .handler(async (event) => {
      const run = ++runs
      if (work > 0) await sleep(work)
      return { statusCode: 200, headers: { ...headers }, body: `${event.rawPath} ${run}` }
    })
  const invoke = async (path: string) => {
    const result = (await handler(httpApiEvent('GET', path), lambdaContext())) as Result
    return [result.body, result.headers?.['x-orc-cache']] as const
  }
  return { cache, invoke, runs: () => runs, warnings }
}

const record = (body: string, overrides: Partial<SharedRecord> = {}): SharedRecord => ({
  kind: 1,
  value: { statusCode: 200, headers: { 'cache-control': 'max-age=60' }, body },
  storedAt: Date.now(),
  expiresAt: Date.now() + 60_000,
  shareable: true,
  etag: undefined,
  vary: undefined,
  ...overrides,
})

/** The key orcCache stores `/p` under (read from the tier after one store). */
const keyOf = async (path: string): Promise<string> => {
  const tier = memoryTier()
  await environment(tier).invoke(path)
  return [...tier.records.keys()][0] as string
}

describe('records in the shared tier', () => {
  it('an expired record (a tier may return one) is a miss: the handler runs', async () => {
    const tier = memoryTier()
    tier.records.set(await keyOf('/old'), record('old', { expiresAt: Date.now() - 1 }))
    const env = environment(tier)
    expect(await env.invoke('/old')).toEqual(['/old 1', 'MISS'])
  })

  it('a record whose value cannot be copied into plain data (a function in it) is a miss', async () => {
    const tier = memoryTier()
    const odd = record('odd')
    ;(odd.value as Record<string, unknown>).later = () => 'odd'
    tier.records.set(await keyOf('/odd'), odd)
    const env = environment(tier)
    expect(await env.invoke('/odd')).toEqual(['/odd 1', 'MISS'])
  })

  it('a record larger than maxEntryBytes is answered from the shared tier, not kept in memory', async () => {
    const tier = memoryTier()
    tier.records.set(await keyOf('/big'), record('x'.repeat(4_096)))
    const env = environment(tier, { maxEntryBytes: 1_024 })
    expect(await env.invoke('/big')).toEqual(['x'.repeat(4_096), 'HIT-SHARED'])
    const reads = tier.calls.get ?? 0
    expect(await env.invoke('/big')).toEqual(['x'.repeat(4_096), 'HIT-SHARED'])
    expect(tier.calls.get).toBe(reads + 1)
    expect(env.runs()).toBe(0)
  })

  it('a tier that refuses a write: memory keeps it, and the shared store count stays 0', async () => {
    const tier = memoryTier()
    tier.set = async () => 'refused'
    const env = environment(tier)
    expect(await env.invoke('/r')).toEqual(['/r 1', 'MISS'])
    expect(await env.invoke('/r')).toEqual(['/r 1', 'HIT'])
    await sleep(1)
    expect(env.cache.stats().sharedStores).toBe(0)
    expect(tier.records.size).toBe(0)
  })

  it('an entry with less than 1 ms of freshness left when written is kept in memory, not sent (PX ≥ 1)', async () => {
    const tier = memoryTier()
    // ttl 1 ms: by the time the write starts, a fraction of a millisecond is left.
    const env = environment(tier, { ttl: 1 }, {})
    // The driver loads on the first invocation; the second writes in its own after hook.
    await env.invoke('/warm')
    const sets = tier.calls.set ?? 0
    await env.invoke('/s')
    expect(env.cache.stats().stores).toBe(2)
    await sleep(1)
    expect(tier.calls.set ?? 0).toBe(sets)
  })
})

describe('HTTP entries read from the shared tier', () => {
  it('answer a conditional request by their Last-Modified: 304 when not modified since', async () => {
    const tier = memoryTier()
    const lastModified = new Date(Date.now() - 3_600_000).toUTCString()
    const headers = { 'cache-control': 'max-age=60', 'last-modified': lastModified }
    await environment(tier, {}, headers).invoke('/doc')
    let runs = 0
    const handler = middy<APIGatewayProxyEventV2, Result>()
      .use(orcCache<APIGatewayProxyEventV2, Result>({ shared: tier, logger: { warn: () => {} } }))
      .handler(async () => ({ statusCode: 200, headers, body: `fresh ${++runs}` }))
    const since = (date: string) =>
      handler(
        httpApiEvent('GET', '/doc', { headers: { 'if-modified-since': date } }),
        lambdaContext(),
      ) as Promise<Result>
    // Read from the shared tier (this environment's memory is empty), then from memory.
    expect(await since(lastModified)).toMatchObject({
      statusCode: 304,
      body: '',
      headers: { 'x-orc-cache': 'HIT-SHARED' },
    })
    const earlier = new Date(Date.now() - 7_200_000).toUTCString()
    expect(await since(earlier)).toMatchObject({ statusCode: 200, body: '/doc 1' })
    expect(runs).toBe(0)
  })

  it('a Vary marker found for a request that is not HTTP is a miss, read once: the handler runs', async () => {
    const tier = memoryTier()
    // One function invoked both through an HTTP API and directly, keyed by the same field.
    const make = () => {
      let runs = 0
      const handler = middy(async () => ({
        statusCode: 200,
        headers: { 'cache-control': 'max-age=60', vary: 'accept-language' },
        body: `run ${++runs}`,
      })).use(orcCache({ key: 'rawPath', shared: tier, syncInterval: 0 }))
      return { handler, runs: () => runs }
    }
    const http = make()
    await http.handler(
      httpApiEvent('GET', '/v', { headers: { 'accept-language': 'en' } }),
      lambdaContext(),
    )
    expect([...tier.records.values()].map((record) => record.kind).sort()).toEqual([1, 2])
    const direct = make()
    const reads = tier.calls.get ?? 0
    expect(await direct.handler({ rawPath: '/v' }, lambdaContext())).toMatchObject({
      body: 'run 1',
    })
    expect(direct.runs()).toBe(1)
    // The marker, and no variant: a direct invocation selects none.
    expect(tier.calls.get).toBe(reads + 1)
  })
})

describe('Vary markers in both tiers', () => {
  it('a marker in memory that outlives the one read from the shared tier is kept', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] })
    try {
      const tier = memoryTier()
      let runs = 0
      // French is never stored (no-store): its miss leaves the marker as it found it.
      const handler = middy(async (event: APIGatewayProxyEventV2) => ({
        statusCode: 200,
        headers: {
          'cache-control': event.headers['accept-language'] === 'fr' ? 'no-store' : 'max-age=60',
          vary: 'accept-language',
        },
        body: `run ${++runs}`,
      })).use(orcCache({ shared: tier, syncInterval: 0 }))
      const get = async (language: string) => {
        const event = httpApiEvent('GET', '/v', { headers: { 'accept-language': language } })
        const result = (await handler(event, lambdaContext())) as Result
        return [result.body, result.headers?.['x-orc-cache']]
      }
      expect(await get('en')).toEqual(['run 1', 'MISS'])
      // Another environment has since written a marker for the same key that lives 20 s.
      const [markerKey, marker] = [...tier.records].find(([, r]) => r.kind === 2) ?? []
      tier.records.set(markerKey as string, {
        ...(marker as SharedRecord),
        expiresAt: Date.now() + 20_000,
      })
      // A variant this environment lacks: the marker is read from the tier again.
      expect(await get('fr')).toEqual(['run 2', 'MISS'])
      vi.advanceTimersByTime(30_000)
      // Its own marker (60 s) still leads to the English variant in memory.
      expect(await get('en')).toEqual(['run 1', 'HIT'])
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('authenticated requests with shared-when-public, across tiers', () => {
  const v1 = authorizedRestEvent
  const sharing = (tier: MemoryTier, cacheControl: string) => {
    let runs = 0
    const handler = middy<APIGatewayProxyEvent, Result>()
      .use(
        orcCache<APIGatewayProxyEvent, Result>({
          shared: tier,
          authenticated: 'shared-when-public',
          logger: { warn: () => {} },
        }),
      )
      .handler(async (event) => ({
        statusCode: 200,
        headers: { 'cache-control': cacheControl },
        body: `${String(event.requestContext.authorizer?.principalId)} ${++runs}`,
      }))
    return async (user: string) => {
      const result = (await handler(v1(user), lambdaContext())) as Result
      return [result.body, result.headers?.['x-orc-cache']] as const
    }
  }

  it('a public response one environment stored for alice answers bob in another', async () => {
    const tier = memoryTier()
    await sharing(tier, 'public, max-age=60')('alice')
    await sleep(1)
    expect(await sharing(tier, 'public, max-age=60')('bob')).toEqual(['alice 1', 'HIT-SHARED'])
  })

  it('a response that does not say public stays with its principal: bob runs, alice gets hers from the tier', async () => {
    const tier = memoryTier()
    await sharing(tier, 'max-age=60')('alice')
    await sleep(1)
    const other = sharing(tier, 'max-age=60')
    expect(await other('bob')).toEqual(['bob 1', 'MISS'])
    expect(await other('alice')).toEqual(['alice 1', 'HIT-SHARED'])
  })
})

describe('leases across environments', () => {
  it('a waiter that finds the lease free (its holder went quiet) takes it, looks once more, and runs', async () => {
    const tier = memoryTier()
    // Another environment's lease that nobody will release: it expires after 60 ms.
    await tier.lease(await keyOf('/quiet'), 'gone', 60)
    const env = environment(tier, { lease: 60 })
    expect(await env.invoke('/quiet')).toEqual(['/quiet 1', 'MISS'])
    expect(env.cache.stats().leaseWaits).toBe(1)
    expect(env.cache.stats().leases).toBe(1)
  })

  it('a holder that stores just as the waiter takes over: the waiter answers the stored entry', async () => {
    const tier = memoryTier()
    const key = await keyOf('/late')
    await tier.lease(key, 'holder', 30)
    // The holder's write lands after the waiter's read and before its lease: the read after it finds it.
    const lease = tier.lease
    tier.lease = async (k, token, ttl) => {
      const taken = await lease(k, token, ttl)
      if (taken) tier.records.set(key, record('late'))
      return taken
    }
    const env = environment(tier, { lease: 30 })
    expect(await env.invoke('/late')).toEqual(['late', 'HIT-SHARED'])
    expect(env.runs()).toBe(0)
  })

  it('a tier that starts failing while a waiter waits: it stops waiting and runs the handler', async () => {
    for (const failure of ['healthy', 'lease'] as const) {
      const tier = memoryTier()
      const key = await keyOf('/fail')
      await tier.lease(key, 'holder', 10_000)
      const env = environment(tier, { lease: 10_000 })
      setTimeout(() => {
        if (failure === 'healthy') tier.healthy = () => false
        else tier.lease = async () => undefined
      }, 30)
      const started = performance.now()
      expect(await env.invoke('/fail')).toEqual(['/fail 1', 'MISS'])
      // Well before the holder's 10 s lease (or the invocation's share of its time).
      expect(performance.now() - started).toBeLessThan(5_000)
    }
  })
})

describe('waiting for another environment’s lease', () => {
  it('gives up after its share of the time left (leaseWait) and runs the handler', async () => {
    for (const context of [lambdaContext({ getRemainingTimeInMillis: () => 1_000 }), undefined]) {
      const tier = memoryTier()
      // A holder that keeps its lease for 10 s and never stores.
      await tier.lease(await keyOf('/held'), 'holder', 10_000)
      let runs = 0
      const handler = middy<APIGatewayProxyEventV2, Result>()
        .use(
          orcCache<APIGatewayProxyEventV2, Result>({
            shared: tier,
            lease: 10_000,
            leaseWait: 0.05,
          }),
        )
        .handler(async () => ({
          statusCode: 200,
          headers: { 'cache-control': 'max-age=60' },
          body: `${++runs}`,
        }))
      const started = performance.now()
      // Without a context clock, the share is of the default wait.
      const result = (await handler(
        httpApiEvent('GET', '/held'),
        context ?? ({} as never),
      )) as Result
      expect(result.body).toBe('1')
      expect(performance.now() - started).toBeLessThan(2_000)
    }
  })
})

describe('work queued while the driver loads', () => {
  it('a delete made right after the factory, before the driver has loaded, reaches the tier', async () => {
    const tier = memoryTier()
    const cache = orcCache({ key: 'id', shared: tier, syncInterval: 0 })
    expect(cache.delete('early')).toBe(false)
    // Nothing is sent yet: the driver is still loading.
    expect(tier.calls.delete ?? 0).toBe(0)
    await vi.waitFor(() => expect(tier.calls.delete).toBe(1))
  })

  it('a key that names nothing (empty, or missing parts) deletes nothing and sends nothing', async () => {
    const tier = memoryTier()
    const cache = orcCache({ key: 'id', shared: tier })
    expect(cache.delete('')).toBe(false)
    expect(cache.delete([undefined, null])).toBe(false)
    await sleep(5)
    expect(tier.calls.delete ?? 0).toBe(0)
  })
})

describe('fleet-wide invalidation off (syncInterval 0)', () => {
  it('delete, invalidateTags and clear act on this memory and the tier, and record nothing for the fleet', async () => {
    const tier = memoryTier()
    const env = environment(tier, { syncInterval: 0, tags: () => ['t'] })
    await env.invoke('/a')
    env.cache.invalidateTags(['t'])
    expect(await env.invoke('/a')).toEqual(['/a 1', 'HIT-SHARED'])
    env.cache.delete('/a')
    env.cache.clear()
    await sleep(1)
    expect(await env.invoke('/a')).toEqual(['/a 2', 'MISS'])
    expect(tier.calls.invalidate ?? 0).toBe(0)
    expect(tier.calls.sync ?? 0).toBe(0)
  })
})
