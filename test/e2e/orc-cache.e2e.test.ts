/**
 * orcCache under the real Lambda runtime client: bundled as a deployment would
 * be, one container, sequential and multi-concurrent invocations.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { OrcCacheStats } from '../../src/index.js'
import { type FixtureName, httpApiEvent } from '../helpers/events.js'
import { type RunningLambda, startLambda } from './harness/lambda.js'
import { describeWithRuntime } from './harness/with-runtime.js'

interface Item {
  id: string
  name: string
  backingCall: number
}

interface StatsReply {
  stats: OrcCacheStats
  backingCalls: number
}

const TTL_MS = 1_500

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describeWithRuntime('orcCache in a lookup handler (one invocation at a time)', () => {
  let fn: RunningLambda
  const stats = async () => (await fn.invoke<StatsReply>({ op: 'stats' })).response!

  beforeAll(async () => {
    fn = await startLambda({
      handler: 'test/e2e/handlers/cache-lookup.ts',
      env: { ORC_CACHE_TTL: `${TTL_MS}ms` },
    })
  })
  afterAll(() => fn?.stop())

  it('misses first, then hits without calling the backing store', async () => {
    const first = await fn.invoke<Item>({ id: 'a1' })
    expect(first.error).toBeUndefined()
    expect(first.logs).toEqual(['cache miss a1', 'cache store a1'])
    const callsAfterMiss = first.response!.backingCall

    for (let i = 0; i < 3; i++) {
      const hit = await fn.invoke<Item>({ id: 'a1' })
      expect(hit.logs).toEqual(['cache hit a1'])
      expect(hit.response).toEqual({ id: 'a1', name: 'item a1', backingCall: callsAfterMiss })
    }
    const after = await stats()
    expect(after.backingCalls).toBe(callsAfterMiss)
    expect(after.stats).toMatchObject({ hits: 3, misses: 1, stores: 1, entries: 1 })

    // Another key is its own entry.
    const other = await fn.invoke<Item>({ id: 'b2' })
    expect(other.logs).toEqual(['cache miss b2', 'cache store b2'])
    expect(other.response).toMatchObject({ id: 'b2', backingCall: callsAfterMiss + 1 })
  })

  it('passes errors through and never caches them', async () => {
    const before = await stats()
    const failed = await fn.invoke({ id: 'bad', fail: true })
    expect(failed.error).toMatchObject({ errorType: 'LookupError', errorMessage: 'no item bad' })
    expect(failed.logs).toContain('cache miss bad')
    expect(failed.logs).not.toContain('cache store bad')

    // Asked again: the handler runs again (a miss, not a cached error).
    const again = await fn.invoke({ id: 'bad', fail: true })
    expect(again.error?.errorType).toBe('LookupError')
    expect(again.logs).toContain('cache miss bad')

    // The same key succeeds later and is then stored normally.
    const ok = await fn.invoke<Item>({ id: 'bad' })
    expect(ok.logs).toEqual(['cache miss bad', 'cache store bad'])

    const after = await stats()
    expect(after.backingCalls).toBe(before.backingCalls + 3)
    expect(after.stats.stores).toBe(before.stats.stores + 1)
    expect(after.stats.misses).toBe(before.stats.misses + 3)
  })

  it('misses again once the TTL (from ORC_CACHE_TTL) has passed', async () => {
    const stored = await fn.invoke<Item>({ id: 'ttl' })
    expect(stored.logs).toEqual(['cache miss ttl', 'cache store ttl'])
    const hit = await fn.invoke<Item>({ id: 'ttl' })
    expect(hit.logs).toEqual(['cache hit ttl'])
    expect(hit.response?.backingCall).toBe(stored.response?.backingCall)

    await sleep(TTL_MS + 100)
    const expired = await fn.invoke<Item>({ id: 'ttl' })
    expect(expired.logs).toEqual(['cache miss ttl', 'cache store ttl'])
    expect(expired.response!.backingCall).toBeGreaterThan(stored.response!.backingCall)
  })

  it('bypasses invocations without a key', async () => {
    const before = await stats()
    const noKey = await fn.invoke<Item>({})
    expect(noKey.logs).toEqual(['cache bypass -'])
    expect(noKey.response?.id).toBe('none')
    expect((await stats()).stats.bypasses).toBeGreaterThan(before.stats.bypasses)
  })
})

const httpEvent = (
  fixture: FixtureName,
  method: string,
  path: string,
  query: Record<string, string> = {},
  headers: Record<string, string> = {},
): APIGatewayProxyEventV2 => httpApiEvent(method, path, { query, headers, fixture })

interface ItemBody {
  id: string
  query: Record<string, string>
  method: string
  backingCall: number
}

const bodyOf = <T>(result: { response?: APIGatewayProxyStructuredResultV2 }): T =>
  JSON.parse(result.response?.body ?? 'null') as T

const cacheEvents = (logs: readonly string[]) =>
  logs.filter((line) => line.startsWith('cache ')).map((line) => line.split(' ')[1])

const anonymous = 'apigw-v2-request-no-authorizer' as const

describeWithRuntime('orcCache behind API Gateway v2 (HTTP API) events', () => {
  let fn: RunningLambda
  beforeAll(async () => {
    fn = await startLambda({ handler: 'test/e2e/handlers/cache-http.ts' })
  })
  afterAll(() => fn?.stop())

  it('caches GET responses by path and query, and says so in x-orc-cache', async () => {
    const first = await fn.invoke<APIGatewayProxyStructuredResultV2>(
      httpEvent(anonymous, 'GET', '/items/42', { lang: 'en' }),
    )
    expect(first.response?.statusCode).toBe(200)
    expect(first.response?.headers?.['x-orc-cache']).toBe('MISS')
    expect(first.logs).toEqual(['cache miss /items/42?lang=en', 'cache store /items/42?lang=en'])
    const firstBody = bodyOf<ItemBody>(first)
    expect(firstBody).toMatchObject({ id: '42', query: { lang: 'en' }, method: 'GET' })

    const hit = await fn.invoke<APIGatewayProxyStructuredResultV2>(
      httpEvent(anonymous, 'GET', '/items/42', { lang: 'en' }),
    )
    expect(hit.logs).toEqual(['cache hit /items/42?lang=en'])
    expect(hit.response?.statusCode).toBe(200)
    expect(hit.response?.body).toBe(first.response?.body)
    expect(hit.response?.headers).toMatchObject({
      'content-type': 'application/json',
      'x-orc-cache': 'HIT',
      age: expect.stringMatching(/^\d+$/),
    })

    // A different query string is a different entry.
    const fr = await fn.invoke<APIGatewayProxyStructuredResultV2>(
      httpEvent(anonymous, 'GET', '/items/42', { lang: 'fr' }),
    )
    expect(fr.logs[0]).toBe('cache miss /items/42?lang=fr')
    expect(bodyOf<ItemBody>(fr).backingCall).toBe(firstBody.backingCall + 1)
  })

  it('keeps entries of authenticated callers (IAM, Lambda authorizer) to themselves', async () => {
    const publicEntry = await fn.invoke<APIGatewayProxyStructuredResultV2>(
      httpEvent(anonymous, 'GET', '/items/7'),
    )
    const publicCall = bodyOf<ItemBody>(publicEntry).backingCall
    for (const fixture of ['apigw-v2-request-iam', 'apigw-v2-request-lambda-authorizer'] as const) {
      const own = await fn.invoke<APIGatewayProxyStructuredResultV2>(
        httpEvent(fixture, 'GET', '/items/7'),
      )
      // Not served the anonymous entry: the handler ran for this caller.
      expect(cacheEvents(own.logs)).toEqual(['miss', 'store'])
      expect(bodyOf<ItemBody>(own).backingCall).not.toBe(publicCall)
      // The caller's own entry is never keyed by the credentials in clear.
      expect(own.logs.join('\n')).not.toMatch(/ARIA2ZJZYVUEREEIHAKY|arn:aws:iam|"key":\s*"value"/)
      const again = await fn.invoke<APIGatewayProxyStructuredResultV2>(
        httpEvent(fixture, 'GET', '/items/7'),
      )
      expect(cacheEvents(again.logs)).toEqual(['hit'])
      expect(again.response?.body).toBe(own.response?.body)
    }
  })

  it('does not store a 404, and leaves POST alone', async () => {
    const notFound = await fn.invoke<APIGatewayProxyStructuredResultV2>(
      httpEvent(anonymous, 'GET', '/nothing/here'),
    )
    expect(notFound.response?.statusCode).toBe(404)
    expect(cacheEvents(notFound.logs)).toEqual(['miss', 'reject'])
    const again = await fn.invoke<APIGatewayProxyStructuredResultV2>(
      httpEvent(anonymous, 'GET', '/nothing/here'),
    )
    expect(cacheEvents(again.logs)).toEqual(['miss', 'reject'])

    const post = await fn.invoke<APIGatewayProxyStructuredResultV2>(
      httpEvent('apigw-v2-request-iam', 'POST', '/items/42', { lang: 'en' }),
    )
    expect(post.logs).toEqual(['cache bypass -'])
    expect(bodyOf<ItemBody>(post).method).toBe('POST')
  })
})

describeWithRuntime('orcCache behind API Gateway v2 in multi-concurrent mode', () => {
  let fn: RunningLambda
  const stats = async () =>
    bodyOf<StatsReply>(
      await fn.invoke<APIGatewayProxyStructuredResultV2>(httpEvent(anonymous, 'GET', '/_stats')),
    )

  beforeAll(async () => {
    fn = await startLambda({ handler: 'test/e2e/handlers/cache-http.ts', maxConcurrency: 8 })
  })
  afterAll(() => fn?.stop())

  it('runs the handler once for overlapping requests for one key (single flight)', async () => {
    const before = await stats()
    const slow = { 'x-delay-ms': '400' }
    const wave = await fn.invokeMany<APIGatewayProxyStructuredResultV2>(
      Array.from({ length: 6 }, () => httpEvent(anonymous, 'GET', '/items/hot', {}, slow)),
    )
    const events = wave.map((r) => cacheEvents(r.logs))
    // One leader ran the handler; the five others overlapped it, waited, and were served its entry.
    expect(events.filter((e) => e.join() === 'miss,store')).toHaveLength(1)
    expect(events.filter((e) => e.join() === 'wait,hit')).toHaveLength(5)
    const bodies = new Set(wave.map((r) => r.response?.body))
    expect(bodies.size).toBe(1)
    for (const result of wave) {
      expect(result.error).toBeUndefined()
      expect(result.response?.statusCode).toBe(200)
      expect(bodyOf<ItemBody>(result)).toMatchObject({ id: 'hot', method: 'GET' })
    }
    const afterWave = await stats()
    expect(afterWave.backingCalls).toBe(before.backingCalls + 1)
    expect(afterWave.stats.entries).toBe(1)

    const hits = await fn.invokeMany<APIGatewayProxyStructuredResultV2>(
      Array.from({ length: 4 }, () => httpEvent(anonymous, 'GET', '/items/hot', {}, slow)),
    )
    for (const hit of hits) expect(hit.logs).toEqual(['cache hit /items/hot?'])
    expect((await stats()).backingCalls).toBe(afterWave.backingCalls)
  })

  it('never mixes up responses of overlapping requests for different keys', async () => {
    const before = await stats()
    const ids = ['k1', 'k2', 'k3', 'k1', 'k2', 'k3', 'k1', 'k2']
    const results = await fn.invokeMany<APIGatewayProxyStructuredResultV2>(
      ids.map((id, i) =>
        httpEvent(anonymous, 'GET', `/items/${id}`, {}, { 'x-delay-ms': String(60 + i * 7) }),
      ),
    )
    results.forEach((result, i) => {
      expect(bodyOf<ItemBody>(result).id).toBe(ids[i])
    })
    // One run of the handler per key.
    expect((await stats()).backingCalls).toBe(before.backingCalls + 3)
    // What was stored under each key is that key's response.
    for (const id of ['k1', 'k2', 'k3']) {
      const hit = await fn.invoke<APIGatewayProxyStructuredResultV2>(
        httpEvent(anonymous, 'GET', `/items/${id}`),
      )
      expect(hit.logs).toEqual([`cache hit /items/${id}?`])
      expect(bodyOf<ItemBody>(hit).id).toBe(id)
    }
  })
})
