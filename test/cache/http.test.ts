import middy from '@middy/core'
import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { orcCache } from '../../src/index.js'
import { authorizedRestEvent, lambdaContext, loadEvent } from '../helpers/events.js'

type HttpResponse = {
  statusCode: number
  headers?: Record<string, string>
  multiValueHeaders?: Record<string, string[]>
  cookies?: string[]
  body?: string
  isBase64Encoded?: boolean
}

const logger = () => ({ warn: vi.fn() })

/** The HTTP API (v2) sample without an authorizer, as a GET of `path?query`. */
const v2 = (rawPath = '/items/1', rawQueryString = '', headers: Record<string, string> = {}) => {
  const event = loadEvent<APIGatewayProxyEventV2>('apigw-v2-request-no-authorizer')
  event.rawPath = rawPath
  event.rawQueryString = rawQueryString
  event.requestContext.http.method = 'GET'
  event.requestContext.http.path = rawPath
  Object.assign(event.headers, headers)
  return event
}

/** A handler that counts its calls and answers `make(call, event)`. */
const counting = <E>(make: (call: number, event: E) => HttpResponse) => {
  const state = { calls: 0 }
  const handler = async (event: E) => make(++state.calls, event)
  return { state, handler }
}

const ok = (call: number, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify({ call }),
})

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllEnvs()
})

describe('the default HTTP key', () => {
  it('is method + path + query, ignoring the order of query parameters', async () => {
    const { state, handler } = counting((call: number) => ok(call))
    const h = middy(handler).use(orcCache({ logger: logger() }))
    await h(v2('/items', 'a=1&b=2'), lambdaContext())
    await h(v2('/items', 'b=2&a=1'), lambdaContext())
    expect(state.calls).toBe(1)
    await h(v2('/items', 'a=1&b=3'), lambdaContext())
    await h(v2('/other', 'a=1&b=2'), lambdaContext())
    expect(state.calls).toBe(3)
  })

  it('keeps the order of repeated parameters, which may matter', async () => {
    const { state, handler } = counting((call: number) => ok(call))
    const h = middy(handler).use(orcCache({ logger: logger() }))
    await h(v2('/items', 'tag=a&tag=b'), lambdaContext())
    await h(v2('/items', 'tag=b&tag=a'), lambdaContext())
    expect(state.calls).toBe(2)
  })

  it('reads API Gateway v1 and ALB query parameters the same way', async () => {
    const { state, handler } = counting((call: number) => ok(call))
    const h = middy(handler).use(orcCache({ logger: logger() }))
    const alb = () => loadEvent<ALBEvent>('alb-lambda-target-request-headers-only')
    await h(alb(), lambdaContext())
    await h(alb(), lambdaContext())
    expect(state.calls).toBe(1)
    const changed = alb()
    changed.queryStringParameters = { key: 'other' }
    await h(changed, lambdaContext())
    expect(state.calls).toBe(2)
  })

  it('caches only GET and HEAD by default, and what `methods` says otherwise', async () => {
    const { state, handler } = counting((call: number) => ok(call))
    const cache = orcCache({ logger: logger() })
    const h = middy(handler).use(cache)
    const url = () => loadEvent<APIGatewayProxyEventV2>('lambda-urls-request') // a POST
    await h(url(), lambdaContext())
    await h(url(), lambdaContext())
    expect(state.calls).toBe(2)
    expect(cache.stats().bypasses).toBe(2)
    const posting = middy(handler).use(orcCache({ methods: ['POST'], logger: logger() }))
    await posting(url(), lambdaContext())
    await posting(url(), lambdaContext())
    expect(state.calls).toBe(3)
  })
})

describe('response rules', () => {
  it.each([
    ['no-store', { 'cache-control': 'no-store' }],
    ['private', { 'Cache-Control': 'private, max-age=60' }],
    ['no-cache', { 'cache-control': 'no-cache' }],
    ['max-age=0', { 'cache-control': 'max-age=0' }],
    ['Expires in the past', { expires: 'Thu, 01 Jan 1970 00:00:00 GMT' }],
    ['Set-Cookie', { 'Set-Cookie': 'session=abc' }],
    ['Vary: *', { vary: '*' }],
  ])('does not store a response with %s', async (_label, headers) => {
    const { state, handler } = counting((call) => ok(call, headers))
    const h = middy(handler).use(orcCache({ logger: logger() }))
    await h(v2(), lambdaContext())
    await h(v2(), lambdaContext())
    expect(state.calls).toBe(2)
  })

  it('does not store a v2 response that sets cookies through `cookies`', async () => {
    const { state, handler } = counting((call) => ({ ...ok(call), cookies: ['session=abc'] }))
    const h = middy(handler).use(orcCache({ logger: logger() }))
    await h(v2(), lambdaContext())
    await h(v2(), lambdaContext())
    expect(state.calls).toBe(2)
  })

  it('takes the ttl from s-maxage, then max-age, then Expires, capped by ttl', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-27T00:00:00Z') })
    const cases: Array<[() => Record<string, string>, number]> = [
      [() => ({ 'cache-control': 'max-age=100, s-maxage=5' }), 5_000],
      [() => ({ 'cache-control': 'max-age=7' }), 7_000],
      [() => ({ expires: new Date(Date.now() + 3_000).toUTCString() }), 3_000],
      [() => ({ 'cache-control': 'max-age=3600' }), 10_000],
    ]
    for (const [headers, lifetime] of cases) {
      const { state, handler } = counting((call) => ok(call, headers()))
      const h = middy(handler).use(orcCache({ ttl: 10_000, logger: logger() }))
      await h(v2(), lambdaContext())
      vi.advanceTimersByTime(lifetime - 1)
      await h(v2(), lambdaContext())
      expect(state.calls).toBe(1)
      vi.advanceTimersByTime(1)
      await h(v2(), lambdaContext())
      expect(state.calls).toBe(2)
    }
  })

  it('stores only 2xx, and 404/410 under their own ttl when negative caching is on', async () => {
    vi.useFakeTimers()
    for (const status of [404, 410]) {
      const { state, handler } = counting(() => ({ statusCode: status, body: 'gone' }))
      const without = middy(handler).use(orcCache({ logger: logger() }))
      await without(v2(), lambdaContext())
      await without(v2(), lambdaContext())
      expect(state.calls).toBe(2)
      const withNegative = middy(handler).use(
        orcCache({ negativeTtl: 1_000, ttl: 60_000, logger: logger() }),
      )
      await withNegative(v2(), lambdaContext())
      vi.advanceTimersByTime(999)
      await withNegative(v2(), lambdaContext())
      expect(state.calls).toBe(3)
      vi.advanceTimersByTime(1)
      await withNegative(v2(), lambdaContext())
      expect(state.calls).toBe(4)
    }
    const { state, handler } = counting(() => ({ statusCode: 500, body: 'no' }))
    const h = middy(handler).use(orcCache({ negativeTtl: 1_000, logger: logger() }))
    await h(v2(), lambdaContext())
    await h(v2(), lambdaContext())
    expect(state.calls).toBe(2)
  })

  it('makes the headers named by Vary part of the key', async () => {
    const { handler } = counting((call, event: APIGatewayProxyEventV2) => ({
      statusCode: 200,
      headers: { vary: 'Accept-Language' },
      body: `${event.headers['accept-language']} #${call}`,
    }))
    const h = middy(handler).use(orcCache({ logger: logger() }))
    const en = await h(v2('/i', '', { 'accept-language': 'en' }), lambdaContext())
    const fr = await h(v2('/i', '', { 'accept-language': 'fr' }), lambdaContext())
    const enAgain = await h(v2('/i', '', { 'accept-language': 'en' }), lambdaContext())
    const frAgain = await h(v2('/i', '', { 'Accept-Language': 'fr' }), lambdaContext())
    expect([en.body, fr.body, enAgain.body, frAgain.body]).toEqual([
      'en #1',
      'fr #2',
      'en #1',
      'fr #2',
    ])
  })

  it('leaves base64 bodies as they are', async () => {
    const body = Buffer.from([0, 1, 2, 250, 255]).toString('base64')
    const h = middy(async () => ({ statusCode: 200, body, isBase64Encoded: true })).use(
      orcCache({ logger: logger() }),
    )
    await h(v2(), lambdaContext())
    const hit = await h(v2(), lambdaContext())
    expect(hit).toMatchObject({ body, isBase64Encoded: true })
  })
})

describe('hits', () => {
  it('carry Age and x-orc-cache: HIT; misses carry MISS', async () => {
    vi.useFakeTimers()
    const h = middy(async () => ok(1)).use(orcCache({ logger: logger() }))
    const miss = await h(v2(), lambdaContext())
    expect(miss.headers).toMatchObject({ 'x-orc-cache': 'MISS' })
    expect(miss.headers).not.toHaveProperty('age')
    vi.advanceTimersByTime(2_500)
    const hit = await h(v2(), lambdaContext())
    expect(hit).toEqual({ ...ok(1), headers: { ...ok(1).headers, age: '2', 'x-orc-cache': 'HIT' } })
  })

  it('use the configured header name, or none', async () => {
    const named = middy(async () => ok(1)).use(orcCache({ header: 'X-Cache', logger: logger() }))
    await named(v2(), lambdaContext())
    expect((await named(v2(), lambdaContext())).headers).toMatchObject({
      'x-cache': 'HIT',
      age: '0',
    })
    vi.stubEnv('ORC_CACHE_HEADER', 'off')
    const none = middy(async () => ok(1)).use(orcCache({ logger: logger() }))
    expect((await none(v2(), lambdaContext())).headers).not.toHaveProperty('x-orc-cache')
    expect(Object.keys((await none(v2(), lambdaContext())).headers ?? {})).toEqual([
      'content-type',
      'age',
    ])
  })

  it('put the headers in multiValueHeaders for an ALB multi-value response', async () => {
    const h = middy(async () => ({
      statusCode: 200,
      multiValueHeaders: { 'content-type': ['text/plain'] },
      body: 'x',
    })).use(orcCache({ logger: logger() }))
    const alb = () => loadEvent<ALBEvent>('alb-lambda-target-request-headers-only')
    expect((await h(alb(), lambdaContext())).multiValueHeaders).toMatchObject({
      'x-orc-cache': ['MISS'],
    })
    expect((await h(alb(), lambdaContext())).multiValueHeaders).toMatchObject({
      'x-orc-cache': ['HIT'],
      age: ['0'],
    })
  })

  it('answer 304 when If-None-Match matches the stored ETag', async () => {
    const { state, handler } = counting((call) =>
      ok(call, { etag: '"v1"', 'cache-control': 'max-age=60' }),
    )
    const h = middy(handler).use(orcCache({ logger: logger() }))
    await h(v2(), lambdaContext())
    const revalidated = await h(v2('/items/1', '', { 'if-none-match': 'W/"v1"' }), lambdaContext())
    expect(revalidated).toEqual({
      statusCode: 304,
      headers: { etag: '"v1"', 'cache-control': 'max-age=60', age: '0', 'x-orc-cache': 'HIT' },
      body: '',
    })
    const changed = await h(v2('/items/1', '', { 'if-none-match': '"v0"' }), lambdaContext())
    expect(changed.statusCode).toBe(200)
    expect(state.calls).toBe(1)
  })

  it('are fresh copies: changing one never changes the entry', async () => {
    const h = middy(async () => ok(1)).use(orcCache({ logger: logger() }))
    await h(v2(), lambdaContext())
    const hit = await h(v2(), lambdaContext())
    hit.body = 'changed'
    if (hit.headers) hit.headers['content-type'] = 'changed'
    expect(await h(v2(), lambdaContext())).toMatchObject(ok(1))
  })
})

describe('authenticated requests', () => {
  const v1 = authorizedRestEvent

  it('never serve one principal the entry stored for another (v1 authorizer)', async () => {
    const h = middy(async (event: APIGatewayProxyEvent) =>
      ok(0, { 'x-user': String(event.requestContext.authorizer?.principalId) }),
    ).use(orcCache({ logger: logger() }))
    for (const user of ['alice', 'bob', 'alice', 'bob']) {
      expect((await h(v1(user), lambdaContext())).headers?.['x-user']).toBe(user)
    }
  })

  it.each([
    ['v2 IAM', 'apigw-v2-request-iam'],
    ['v2 Lambda authorizer', 'apigw-v2-request-lambda-authorizer'],
    ['Function URL IAM', 'lambda-urls-request'],
  ] as const)(
    'never serve one principal the entry stored for another (%s)',
    async (_label, fixture) => {
      const event = (who: string) => {
        const e = loadEvent<
          APIGatewayProxyEventV2 & {
            requestContext: { authorizer: Record<string, Record<string, unknown>> }
          }
        >(fixture)
        e.requestContext.http.method = 'GET'
        const kind = Object.keys(e.requestContext.authorizer)[0] as string
        ;(e.requestContext.authorizer[kind] as Record<string, unknown>).who = who
        return e
      }
      const { state, handler } = counting((call, e: ReturnType<typeof event>) =>
        ok(call, {
          'x-user': JSON.stringify(e.requestContext.authorizer).includes('alice') ? 'alice' : 'bob',
        }),
      )
      const h = middy(handler).use(orcCache({ logger: logger() }))
      for (const user of ['alice', 'bob', 'alice', 'bob']) {
        expect((await h(event(user), lambdaContext())).headers?.['x-user']).toBe(user)
      }
      expect(state.calls).toBe(2)
    },
  )

  it('key by the Authorization header and cookies, whatever their case', async () => {
    const { state, handler } = counting((call, e: APIGatewayProxyEventV2) =>
      ok(call, { 'x-auth': String(e.headers.Authorization ?? e.headers.authorization) }),
    )
    const h = middy(handler).use(orcCache({ logger: logger() }))
    expect(
      (await h(v2('/me', '', { authorization: 'Bearer a' }), lambdaContext())).headers?.['x-auth'],
    ).toBe('Bearer a')
    expect(
      (await h(v2('/me', '', { Authorization: 'Bearer b' }), lambdaContext())).headers?.['x-auth'],
    ).toBe('Bearer b')
    expect(
      (await h(v2('/me', '', { Authorization: 'Bearer a' }), lambdaContext())).headers?.['x-auth'],
    ).toBe('Bearer a')
    expect(state.calls).toBe(2)
    const withCookie = (cookie: string) => ({ ...v2('/me'), cookies: [cookie] })
    await h(withCookie('s=1'), lambdaContext())
    await h(withCookie('s=2'), lambdaContext())
    await h(withCookie('s=1'), lambdaContext())
    expect(state.calls).toBe(4)
  })

  it('share a public response across principals only in shared-when-public mode', async () => {
    const { state, handler } = counting((call) =>
      ok(call, { 'cache-control': 'public, max-age=60' }),
    )
    const safe = middy(handler).use(orcCache({ logger: logger() }))
    await safe(v1('alice'), lambdaContext())
    await safe(v1('bob'), lambdaContext())
    expect(state.calls).toBe(2)
    const sharing = middy(handler).use(
      orcCache({ authenticated: 'shared-when-public', logger: logger() }),
    )
    await sharing(v1('alice'), lambdaContext())
    await sharing(v1('bob'), lambdaContext())
    expect(state.calls).toBe(3)
  })

  it('keep a non-public response per principal even in shared-when-public mode', async () => {
    const h = middy(async (event: APIGatewayProxyEvent) =>
      ok(0, { 'x-user': String(event.requestContext.authorizer?.principalId) }),
    ).use(orcCache({ authenticated: 'shared-when-public', logger: logger() }))
    for (const user of ['alice', 'bob', 'alice', 'bob']) {
      expect((await h(v1(user), lambdaContext())).headers?.['x-user']).toBe(user)
    }
  })

  it('do not put credentials in clear in the keys', async () => {
    const seen: Array<string | undefined> = []
    const h = middy(async () => ok(1)).use(
      orcCache({ onEvent: (_t, key) => seen.push(key), logger: logger() }),
    )
    await h(v2('/me', '', { authorization: 'Bearer secret-token-123' }), lambdaContext())
    expect(seen.length).toBeGreaterThan(0)
    expect(JSON.stringify(seen)).not.toContain('secret-token-123')
  })
})

describe('request Cache-Control', () => {
  it('is ignored by default, so clients cannot bust the cache', async () => {
    const { state, handler } = counting((call: number) => ok(call))
    const h = middy(handler).use(orcCache({ logger: logger() }))
    await h(v2(), lambdaContext())
    await h(v2('/items/1', '', { 'cache-control': 'no-cache' }), lambdaContext())
    await h(v2('/items/1', '', { 'cache-control': 'no-store' }), lambdaContext())
    expect(state.calls).toBe(1)
  })

  it('is honoured when the user opts in', async () => {
    const { state, handler } = counting((call: number) => ok(call))
    const h = middy(handler).use(orcCache({ honorRequestCacheControl: true, logger: logger() }))
    await h(v2(), lambdaContext())
    const refreshed = await h(v2('/items/1', '', { 'cache-control': 'no-cache' }), lambdaContext())
    expect(JSON.parse(refreshed.body ?? '')).toEqual({ call: 2 })
    expect(JSON.parse((await h(v2(), lambdaContext())).body ?? '')).toEqual({ call: 2 })
    await h(v2('/items/1', '', { 'cache-control': 'no-store' }), lambdaContext())
    expect(state.calls).toBe(3)
    expect(JSON.parse((await h(v2(), lambdaContext())).body ?? '')).toEqual({ call: 2 })
  })
})

describe('staleIfError', () => {
  it('serves an entry that expired less than staleIfError ago when the handler fails', async () => {
    vi.useFakeTimers()
    const outcomes = [
      () => ok(1),
      () => {
        throw new Error('down')
      },
      () => ({ statusCode: 503, body: 'busy' }),
      () => {
        throw new Error('down')
      },
    ]
    let call = 0
    const cache = orcCache({ ttl: 1_000, staleIfError: 5_000, logger: logger() })
    const h = middy(async () => (outcomes[call++] as () => HttpResponse)()).use(cache)
    await h(v2(), lambdaContext())
    vi.advanceTimersByTime(2_000)
    const stale = await h(v2(), lambdaContext())
    expect(stale).toMatchObject({
      statusCode: 200,
      body: JSON.stringify({ call: 1 }),
      headers: { 'x-orc-cache': 'STALE', age: '2' },
    })
    expect(await h(v2(), lambdaContext())).toMatchObject({
      statusCode: 200,
      headers: { 'x-orc-cache': 'STALE' },
    })
    vi.advanceTimersByTime(4_000)
    await expect(h(v2(), lambdaContext())).rejects.toThrow('down')
    expect(cache.stats().stale).toBe(2)
  })

  it('never serves a stale entry when it is off', async () => {
    vi.useFakeTimers()
    let call = 0
    const h = middy(async () => {
      if (call++ > 0) throw new Error('down')
      return ok(1)
    }).use(orcCache({ ttl: 1_000, logger: logger() }))
    await h(v2(), lambdaContext())
    vi.advanceTimersByTime(1_000)
    await expect(h(v2(), lambdaContext())).rejects.toThrow('down')
  })
})

describe('a user key on an HTTP event', () => {
  it('replaces the default key and keeps every HTTP rule', async () => {
    const { state, handler } = counting((call) => ok(call, { 'cache-control': 'max-age=60' }))
    const cache = orcCache<APIGatewayProxyEventV2, HttpResponse, Error, Context>({
      key: 'rawPath',
      logger: logger(),
    })
    const h = middy(handler).use(cache)
    await h(v2('/a', 'x=1'), lambdaContext())
    await h(v2('/a', 'x=2'), lambdaContext())
    expect(state.calls).toBe(1)
    await h(v2('/a', '', { authorization: 'Bearer z' }), lambdaContext())
    expect(state.calls).toBe(2)
    expect(cache.delete('/a')).toBe(true)
    expect(cache.stats().entries).toBe(0)
  })
})

describe('delete with the default HTTP key', () => {
  it('takes the target of a GET, and drops the per-principal entries with it', async () => {
    const { state, handler } = counting((call: number) => ok(call))
    const cache = orcCache({ logger: logger() })
    const h = middy(handler).use(cache)
    await h(v2('/items/1', 'lang=en'), lambdaContext())
    await h(v2('/items/1', 'lang=en', { authorization: 'Bearer a' }), lambdaContext())
    expect(cache.stats().entries).toBe(2)
    expect(cache.delete('/items/1?lang=fr')).toBe(false)
    expect(cache.delete('/items/1?lang=en')).toBe(true)
    expect(cache.stats().entries).toBe(0)
    await h(v2('/items/1', 'lang=en'), lambdaContext())
    expect(state.calls).toBe(3)
  })
})
