import middy from '@middy/core'
import type { APIGatewayProxyEvent, Context, SQSEvent } from 'aws-lambda'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ConfigError, orcCache } from '../../src/index.js'
import { httpApiEvent, lambdaContext, loadEvent } from '../helpers/events.js'

const quietLogger = () => ({ warn: vi.fn() })
/** The HTTP rules have their own tests (http.test.ts); these test the cache itself. */
const plain = { http: false } as const

/** An API Gateway v1 GET for item `id`, from AWS's sample (which is authorised by principal `admin`). */
const itemEvent = (id: string): APIGatewayProxyEvent => {
  const event = loadEvent<APIGatewayProxyEvent>('apigw-request')
  event.httpMethod = 'GET'
  event.pathParameters = { proxy: 'items', id }
  return event
}

afterEach(() => {
  vi.unstubAllEnvs()
  vi.useRealTimers()
})

describe('orcCache with the real @middy/core', () => {
  it('runs the handler on a miss, then answers hits without it', async () => {
    let calls = 0
    const cache = orcCache({ ...plain, key: 'pathParameters.id', logger: quietLogger() })
    const handler = middy(async (event: APIGatewayProxyEvent) => {
      calls++
      return { statusCode: 200, body: JSON.stringify({ id: event.pathParameters?.id, calls }) }
    }).use(cache)

    const first = await handler(itemEvent('1'), lambdaContext())
    const second = await handler(itemEvent('1'), lambdaContext())
    const other = await handler(itemEvent('2'), lambdaContext())

    expect(calls).toBe(2)
    expect(second).toEqual(first)
    expect(JSON.parse(other.body)).toEqual({ id: '2', calls: 2 })
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2, stores: 2, entries: 2, bypasses: 0 })
  })

  it('short-circuits on a cached undefined or null result', async () => {
    for (const result of [undefined, null]) {
      let calls = 0
      const handler = middy(async () => {
        calls++
        return result
      }).use(orcCache({ key: 'Records.0.messageId', logger: quietLogger() }))
      const event = loadEvent<SQSEvent>('sqs-event')
      expect(await handler(event, lambdaContext())).toBe(result)
      expect(await handler(event, lambdaContext())).toBe(result)
      expect(calls).toBe(1)
    }
  })

  it('keeps the entry intact when the handler later mutates what it returned', async () => {
    const shared = { statusCode: 200, body: 'original', headers: { a: '1' } }
    const handler = middy(async () => shared).use(
      orcCache({ ...plain, key: 'pathParameters.id', logger: quietLogger() }),
    )
    await handler(itemEvent('1'), lambdaContext())
    shared.body = 'mutated'
    shared.headers.a = 'mutated'
    const hit = await handler(itemEvent('1'), lambdaContext())
    expect(hit).toEqual({ statusCode: 200, body: 'original', headers: { a: '1' } })
  })

  it('hands out hits that no caller can change', async () => {
    const handler = middy(async () => ({ statusCode: 200, body: 'x', headers: { a: '1' } })).use(
      orcCache({ ...plain, key: 'pathParameters.id', logger: quietLogger() }),
    )
    await handler(itemEvent('1'), lambdaContext())
    const hit = await handler(itemEvent('1'), lambdaContext())
    expect(() => {
      hit.body = 'changed'
    }).toThrow(TypeError)
    expect(() => {
      ;(hit.headers as Record<string, string>).a = 'changed'
    }).toThrow(TypeError)
    expect(await handler(itemEvent('1'), lambdaContext())).toEqual({
      statusCode: 200,
      body: 'x',
      headers: { a: '1' },
    })
  })

  it('never stores an error, and stores HTTP responses only for 2xx by default', async () => {
    let calls = 0
    const outcomes: Array<() => unknown> = [
      () => {
        throw new Error('backend down')
      },
      () => ({ statusCode: 500, body: 'oops' }),
      () => ({ statusCode: 404, body: 'missing' }),
      () => ({ statusCode: 302, body: '' }),
      () => ({ statusCode: 200, body: 'ok' }),
      () => ({ statusCode: 200, body: 'second ok' }),
    ]
    const handler = middy(
      async () => outcomes[calls++]?.() as { statusCode: number; body: string },
    ).use(orcCache({ ...plain, key: 'pathParameters.id', logger: quietLogger() }))
    await expect(handler(itemEvent('1'), lambdaContext())).rejects.toThrow('backend down')
    expect((await handler(itemEvent('1'), lambdaContext())).statusCode).toBe(500)
    expect((await handler(itemEvent('1'), lambdaContext())).statusCode).toBe(404)
    expect((await handler(itemEvent('1'), lambdaContext())).statusCode).toBe(302)
    expect((await handler(itemEvent('1'), lambdaContext())).body).toBe('ok')
    expect((await handler(itemEvent('1'), lambdaContext())).body).toBe('ok')
    expect(calls).toBe(5)
  })

  it('follows a custom cacheable rule', async () => {
    let calls = 0
    const handler = middy(async () => ({ calls: ++calls, partial: calls < 2 })).use(
      orcCache({
        key: 'Records.0.messageId',
        cacheable: (response: { partial: boolean }) => !response.partial,
        logger: quietLogger(),
      }),
    )
    const event = loadEvent<SQSEvent>('sqs-event')
    expect(await handler(event, lambdaContext())).toEqual({ calls: 1, partial: true })
    expect(await handler(event, lambdaContext())).toEqual({ calls: 2, partial: false })
    expect(await handler(event, lambdaContext())).toEqual({ calls: 2, partial: false })
  })

  it('never serves an expired entry', async () => {
    vi.useFakeTimers()
    let calls = 0
    const handler = middy(async () => ++calls).use(
      orcCache({ ...plain, key: 'pathParameters.id', ttl: 1000, logger: quietLogger() }),
    )
    await handler(itemEvent('1'), lambdaContext())
    vi.advanceTimersByTime(999)
    expect(await handler(itemEvent('1'), lambdaContext())).toBe(1)
    vi.advanceTimersByTime(1)
    expect(await handler(itemEvent('1'), lambdaContext())).toBe(2)
  })

  it('bypasses the cache when the key is missing, null or empty', async () => {
    let calls = 0
    const cache = orcCache({
      key: (event: { id?: unknown }) => event.id as string,
      logger: quietLogger(),
    })
    const handler = middy(async () => ++calls).use(cache)
    for (const id of [undefined, null, '']) {
      await handler({ id }, lambdaContext())
      await handler({ id }, lambdaContext())
    }
    expect(calls).toBe(6)
    expect(cache.stats()).toMatchObject({ bypasses: 6, hits: 0, misses: 0, entries: 0 })
  })

  it('fails open when the selector throws, and logs the cause once', async () => {
    const logger = quietLogger()
    let calls = 0
    const handler = middy(async () => ++calls).use(
      orcCache({
        ...plain,
        key: (event: { secret: string }) => {
          throw new TypeError(`cannot use ${event.secret}`)
        },
        logger,
      }),
    )
    for (let i = 0; i < 3; i++) await handler({ secret: 'hunter2' }, lambdaContext())
    expect(calls).toBe(3)
    expect(logger.warn).toHaveBeenCalledTimes(1)
    expect(JSON.stringify(logger.warn.mock.calls)).not.toContain('hunter2')
  })

  it('fails open on a response it cannot copy, and logs it once', async () => {
    const logger = quietLogger()
    const cyclic: Record<string, unknown> = { statusCode: 200 }
    cyclic.self = cyclic
    const responses: unknown[] = [
      cyclic,
      { statusCode: 200, big: 10n },
      { statusCode: 200, fn: () => 1 },
      cyclic,
    ]
    let calls = 0
    const cache = orcCache({ ...plain, key: 'pathParameters.id', logger })
    const handler = middy(async () => responses[calls++]).use(cache)
    for (let i = 0; i < responses.length; i++) {
      expect(await handler(itemEvent('1'), lambdaContext())).toBe(responses[i])
    }
    expect(calls).toBe(4)
    expect(cache.stats()).toMatchObject({ stores: 0, rejects: 4, entries: 0 })
    expect(logger.warn).toHaveBeenCalledTimes(3)
    expect(logger.warn.mock.calls.map(([message]) => message).join('\n')).toMatch(
      /cycle at self[\s\S]*BigInt at big[\s\S]*function at fn/,
    )
  })

  it('stores what Lambda would send for values with toJSON', async () => {
    const when = new Date('2026-11-27T00:00:00.000Z')
    const handler = middy(async () => ({ when })).use(
      orcCache({ ...plain, key: 'pathParameters.id', logger: quietLogger() }),
    )
    await handler(itemEvent('1'), lambdaContext())
    expect(await handler(itemEvent('1'), lambdaContext())).toEqual({
      when: '2026-11-27T00:00:00.000Z',
    })
  })

  it('does not store an entry larger than maxEntryBytes', async () => {
    const cache = orcCache({
      key: 'pathParameters.id',
      maxBytes: 64 * 1024,
      maxEntryBytes: 2048,
      logger: quietLogger(),
    })
    const handler = middy(async (event: APIGatewayProxyEvent) => ({
      statusCode: 200,
      body: 'x'.repeat(event.pathParameters?.id === 'big' ? 4096 : 100),
    })).use(cache)
    await handler(itemEvent('big'), lambdaContext())
    await handler(itemEvent('small'), lambdaContext())
    expect(cache.stats()).toMatchObject({ stores: 1, rejects: 1, entries: 1 })
  })

  it('evicts the least recently used entries to honour maxEntries', async () => {
    const cache = orcCache({
      ...plain,
      key: 'pathParameters.id',
      maxEntries: 2,
      logger: quietLogger(),
    })
    const handler = middy(async (event: APIGatewayProxyEvent) => event.pathParameters?.id).use(
      cache,
    )
    for (const id of ['a', 'b', 'a', 'c']) await handler(itemEvent(id), lambdaContext())
    expect(cache.stats()).toMatchObject({ entries: 2, evictions: 1, hits: 1 })
    await handler(itemEvent('a'), lambdaContext())
    expect(cache.stats().hits).toBe(2)
    await handler(itemEvent('b'), lambdaContext())
    expect(cache.stats().misses).toBe(4)
  })

  it('is safe in onError when before never ran', async () => {
    const cache = orcCache({ ...plain, key: 'pathParameters.id', logger: quietLogger() })
    const handler = middy(async () => 'never')
      .before(() => {
        throw new Error('auth failed')
      })
      .use(cache)
    await expect(handler(itemEvent('1'), lambdaContext())).rejects.toThrow('auth failed')
    expect(cache.stats()).toMatchObject({ misses: 0, stores: 0, entries: 0 })
  })

  it('deletes one entry, or all', async () => {
    let calls = 0
    const cache = orcCache({
      key: 'pathParameters.id,queryStringParameters.lang',
      logger: quietLogger(),
    })
    const handler = middy(async () => ++calls).use(cache)
    const event = itemEvent('1')
    event.queryStringParameters = { lang: 'en' }
    await handler(event, lambdaContext())
    expect(cache.delete(['1', 'nope'])).toBe(false)
    expect(cache.delete(['1', 'en'])).toBe(true)
    await handler(event, lambdaContext())
    expect(calls).toBe(2)
    cache.clear()
    await handler(event, lambdaContext())
    expect(calls).toBe(3)
  })

  it('reports hits, misses, stores and bypasses through onEvent', async () => {
    const seen: string[] = []
    const handler = middy(async () => 'ok').use(
      orcCache({
        ...plain,
        key: 'pathParameters.id',
        onEvent: (type, key) => seen.push(`${type}:${key}`),
        logger: quietLogger(),
      }),
    )
    await handler(itemEvent('1'), lambdaContext())
    await handler(itemEvent('1'), lambdaContext())
    await handler({}, lambdaContext())
    expect(seen).toEqual(['miss:1', 'store:1', 'hit:1', 'bypass:undefined'])
  })

  it.each([
    // An onEvent that throws changes nothing: the second invocation is a hit.
    ['onEvent', 'run 1', /onEvent/],
    // A cacheable that throws: the response is answered, not stored.
    ['cacheable', 'run 2', /storing a response failed/],
  ] as const)(
    'answers every invocation when its %s function throws, and logs it once',
    async (option, second, logged) => {
      const logger = quietLogger()
      let calls = 0
      const handler = middy(async () => `run ${++calls}`).use(
        orcCache({
          ...plain,
          key: 'pathParameters.id',
          [option]: () => {
            throw new Error('bug in the callback')
          },
          logger,
        }),
      )
      expect(await handler(itemEvent('1'), lambdaContext())).toBe('run 1')
      expect(await handler(itemEvent('1'), lambdaContext())).toBe(second)
      expect(logger.warn).toHaveBeenCalledTimes(1)
      expect(String(logger.warn.mock.calls[0]?.[0])).toMatch(logged)
    },
  )

  it('runs a context without getRemainingTimeInMillis (a test harness) through single flight', async () => {
    const release: Array<() => void> = []
    let calls = 0
    const handler = middy(async () => {
      calls++
      await new Promise<void>((resolve) => release.push(resolve))
      return 'shared'
    }).use(orcCache({ ...plain, key: 'pathParameters.id', logger: quietLogger() }))
    const bare = {} as Context
    const first = handler(itemEvent('1'), bare)
    const second = handler(itemEvent('1'), bare)
    await vi.waitFor(() => expect(release).toHaveLength(1))
    release[0]?.()
    expect(await Promise.all([first, second])).toEqual(['shared', 'shared'])
    expect(calls).toBe(1)
  })

  it('passes a safe method it does not cache (OPTIONS) through without invalidating', async () => {
    let calls = 0
    const handler = middy(async () => ({
      statusCode: 200,
      headers: { 'cache-control': 'max-age=60' },
      body: `run ${++calls}`,
    })).use(orcCache({ logger: quietLogger() }))
    const get = () => handler(httpApiEvent('GET', '/a'), lambdaContext())
    expect((await get()).body).toBe('run 1')
    const options = await handler(httpApiEvent('OPTIONS', '/a'), lambdaContext())
    expect(options.body).toBe('run 2')
    expect(options.headers).not.toHaveProperty('x-orc-cache')
    expect((await get()).body).toBe('run 1')
  })

  it('keeps overlapping invocations apart', async () => {
    const cache = orcCache({ ...plain, key: 'pathParameters.id', logger: quietLogger() })
    const release: Array<() => void> = []
    const handler = middy(async (event: APIGatewayProxyEvent) => {
      await new Promise<void>((resolve) => release.push(resolve))
      return `item ${event.pathParameters?.id}`
    }).use(cache)
    const a = handler(itemEvent('a'), lambdaContext())
    const b = handler(itemEvent('b'), lambdaContext())
    await vi.waitFor(() => expect(release).toHaveLength(2))
    release[1]?.()
    release[0]?.()
    expect(await Promise.all([a, b])).toEqual(['item a', 'item b'])
    expect(await handler(itemEvent('a'), lambdaContext())).toBe('item a')
    expect(await handler(itemEvent('b'), lambdaContext())).toBe('item b')
  })
})

describe('configuration', () => {
  it('reads options from environment variables, the explicit option winning', async () => {
    vi.stubEnv('ORC_CACHE_KEY', 'pathParameters.id')
    vi.stubEnv('ORC_CACHE_TTL', '30s')
    vi.stubEnv('ORC_CACHE_MAX_BYTES', '512kb')
    vi.useFakeTimers()
    let calls = 0
    const cache = orcCache({ maxEntries: 5, logger: quietLogger() })
    const handler = middy(async () => ++calls).use(cache)
    await handler(itemEvent('1'), lambdaContext())
    vi.advanceTimersByTime(29_999)
    await handler(itemEvent('1'), lambdaContext())
    vi.advanceTimersByTime(1)
    await handler(itemEvent('1'), lambdaContext())
    expect(calls).toBe(2)
    const explicit = orcCache({
      ...plain,
      key: 'pathParameters.id',
      ttl: 10,
      logger: quietLogger(),
    })
    const h2 = middy(async () => ++calls).use(explicit)
    await h2(itemEvent('1'), lambdaContext())
    vi.advanceTimersByTime(10)
    await h2(itemEvent('1'), lambdaContext())
    expect(explicit.stats().hits).toBe(0)
  })

  it('follows the function memory for its default byte bound', () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_MEMORY_SIZE', '128')
    const cache = orcCache({ key: 'id', logger: quietLogger() })
    // Fill with ~2 KiB entries, far past 12.8 MiB and below maxEntries; the byte bound must hold.
    const handler = middy(async (event: { id: number }) => ({
      id: event.id,
      body: 'x'.repeat(2000),
    })).use(cache)
    return (async () => {
      for (let id = 0; id < 9_000; id++) await handler({ id }, lambdaContext())
      const { bytes, entries, evictions } = cache.stats()
      const bound = Math.floor(128 * 1024 * 1024 * 0.1)
      expect(bytes).toBeLessThanOrEqual(bound)
      expect(bytes).toBeGreaterThan(bound * 0.9)
      expect(entries).toBeLessThan(9_000)
      expect(evictions).toBe(9_000 - entries)
    })()
  })

  it('ORC_CACHE_ENABLED=false turns the cache into a pass-through whatever the code says', async () => {
    vi.stubEnv('ORC_CACHE_ENABLED', 'false')
    let calls = 0
    const cache = orcCache({
      ...plain,
      key: 'pathParameters.id',
      enabled: true,
      logger: quietLogger(),
    })
    const handler = middy(async () => ++calls).use(cache)
    await handler(itemEvent('1'), lambdaContext())
    await handler(itemEvent('1'), lambdaContext())
    expect(calls).toBe(2)
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 0, entries: 0 })
  })

  it.each([
    [{ ORC_CACHE_TTL: 'abc' }, {}, /ORC_CACHE_TTL="abc" must be a non-negative duration/],
    [{ ORC_CACHE_TTL: '-5s' }, {}, /ORC_CACHE_TTL="-5s"/],
    [{}, { ttl: -1 }, /^middy-orc: ttl must be a non-negative duration/],
    [{}, { ttl: 0 }, /ttl must be at least 1 ms/],
    [{ ORC_CACHE_MAX_BYTES: '-1mb' }, {}, /ORC_CACHE_MAX_BYTES="-1mb" must be a positive size/],
    [{}, { maxBytes: -10 }, /maxBytes must be a positive size/],
    [{}, { maxEntries: 1.5 }, /maxEntries must be a positive integer/],
    [{ ORC_CACHE_MAX_ENTRIES: 'lots' }, {}, /ORC_CACHE_MAX_ENTRIES="lots"/],
    [{ ORC_CACHE_ENABLED: 'maybe' }, {}, /ORC_CACHE_ENABLED="maybe" must be a boolean/],
    [
      {},
      { maxBytes: 1000, maxEntryBytes: 2000 },
      /maxEntryBytes \(2000\) must not exceed maxBytes/,
    ],
    [{}, { key: 'nope(body)' }, /key uses the unknown JMESPath function nope\(\)/],
    [{ ORC_CACHE_KEY: 'a[?' }, {}, /key is not a valid JMESPath expression/],
    [{}, { key: 'constructor.prototype' }, /may not use "constructor"/],
    [{}, { key: 'id', cacheable: 'yes' }, /cacheable must be a function/],
  ] as const)('refuses bad configuration at start-up: %o %o', (env, options, message) => {
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value)
    const create = () => orcCache(options as never)
    expect(create).toThrow(ConfigError)
    expect(create).toThrow(message)
  })
})

describe('key selectors', () => {
  it('evaluates JMESPath with the Powertools functions', async () => {
    let calls = 0
    const cache = orcCache<APIGatewayProxyEvent, number, Error, Context>({
      key: 'powertools_json(body).customer.id',
      logger: quietLogger(),
    })
    const handler = middy(async () => ++calls).use(cache)
    const event = (id: string) => ({
      ...itemEvent('x'),
      body: JSON.stringify({ customer: { id } }),
    })
    await handler(event('c1'), lambdaContext())
    await handler(event('c1'), lambdaContext())
    await handler(event('c2'), lambdaContext())
    expect(calls).toBe(2)
    expect(cache.delete('c2')).toBe(true)
  })

  it('keys by several paths without confusing tuples', async () => {
    const cache = orcCache({ key: 'a,b', logger: quietLogger() })
    const handler = middy(async (event: { a?: string; b?: string }) => `${event.a}|${event.b}`).use(
      cache,
    )
    expect(await handler({ a: 'x,1', b: '2' }, lambdaContext())).toBe('x,1|2')
    expect(await handler({ a: 'x', b: '1,2' }, lambdaContext())).toBe('x|1,2')
    expect(await handler({ a: 'x' }, lambdaContext())).toBe('x|undefined')
    expect(await handler({ a: 'x', b: '' }, lambdaContext())).toBe('x|')
    expect(cache.stats()).toMatchObject({ misses: 4, hits: 0 })
  })
})

describe('fail-open log lines', () => {
  it('name the path of what could not be cached, but never a property name that may be data', async () => {
    const warn = vi.fn()
    const handler = middy(async () => ({
      byUser: { 'ann@example.com': { rows: [1, { render: () => 'x' }] } },
    })).use(orcCache({ http: false, key: 'id', logger: { warn } }))
    await handler({ id: 'a' }, lambdaContext())
    expect(warn).toHaveBeenCalledTimes(1)
    const line = String(warn.mock.calls[0]?.[0])
    expect(line).toContain('a function at byUser[…].rows[1].render')
    expect(line).not.toContain('ann@example.com')
  })
})
