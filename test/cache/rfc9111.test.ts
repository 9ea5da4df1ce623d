/**
 * The RFC 9111 rules fixed after the public HTTP caching test suite measured
 * orcCache (issue 11): partial content, Age, invalid max-age, Expires against
 * Date, statuses without explicit freshness, invalidation after unsafe methods,
 * targeted cache control, Connection-listed fields.
 */
import middy from '@middy/core'
import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  decideStore,
  parseAge,
  parseHttpDate,
  parseSurrogateControl,
} from '../../src/cache/rules.js'
import { orcCache } from '../../src/index.js'
import { lambdaContext, loadEvent } from '../helpers/events.js'

type HttpResponse = {
  statusCode: number
  headers?: Record<string, string>
  body?: string
}

const logger = () => ({ warn: vi.fn() })

const request = (
  method = 'GET',
  target = '/items/1',
  headers: Record<string, string> = {},
): APIGatewayProxyEventV2 => {
  const event = loadEvent<APIGatewayProxyEventV2>('apigw-v2-request-no-authorizer')
  const [path = '', query = ''] = target.split('?')
  event.rawPath = path
  event.rawQueryString = query
  event.requestContext.http.method = method
  event.requestContext.http.path = path
  Object.assign(event.headers, headers)
  return event
}

/** A handler answering `respond(call, event)`, counting its runs. */
const origin = (respond: (call: number, event: APIGatewayProxyEventV2) => HttpResponse) => {
  const state = { calls: 0 }
  const handler = middy(async (event: APIGatewayProxyEventV2) => respond(++state.calls, event)).use(
    orcCache({ logger: logger(), ttl: 3_600_000 }),
  )
  const send = (event: APIGatewayProxyEventV2) => handler(event, lambdaContext())
  return { state, send }
}

const rules = { ttl: 3_600_000, negativeTtl: 0 }
const NOW = Date.parse('2026-12-01T12:00:00Z')

afterEach(() => {
  vi.useRealTimers()
})

describe('partial content (RFC 9111 §3.3, §3.4)', () => {
  it('never stores a 206, so a later request without Range gets the whole representation', async () => {
    const { state, send } = origin(
      (call, event): HttpResponse =>
        event.headers.range
          ? {
              statusCode: 206,
              headers: { 'content-range': 'bytes 0-4/10', 'cache-control': 'max-age=600' },
              body: '01234',
            }
          : {
              statusCode: 200,
              headers: { 'cache-control': 'max-age=600' },
              body: `0123456789#${call}`,
            },
    )
    const partial = await send(request('GET', '/file', { range: 'bytes=0-4' }))
    expect(partial.statusCode).toBe(206)
    const whole = await send(request('GET', '/file'))
    expect(whole.statusCode).toBe(200)
    expect(whole.headers?.['content-range']).toBeUndefined()
    expect(state.calls).toBe(2)
    expect(
      decideStore(
        { statusCode: 206, headers: { 'cache-control': 'public, max-age=60' } },
        rules,
        true,
      ),
    ).toBeUndefined()
  })
})

describe('Age (RFC 9111 §4.2.3, §5.1)', () => {
  it('is subtracted from freshness and added to the Age served', async () => {
    vi.useFakeTimers({ now: NOW })
    const { state, send } = origin(() => ({
      statusCode: 200,
      headers: { 'cache-control': 'max-age=60', age: '30' },
      body: 'x',
    }))
    await send(request())
    vi.advanceTimersByTime(3_000)
    const hit = await send(request())
    expect(hit.headers?.age).toBe('33')
    vi.advanceTimersByTime(27_000)
    await send(request())
    expect(state.calls).toBe(2)
  })

  it('a response older than its max-age is not stored', () => {
    const response = { statusCode: 200, headers: { 'cache-control': 'max-age=60', age: '60' } }
    expect(decideStore(response, rules, true, NOW)).toBeUndefined()
  })

  it('parses a single delta-seconds, and nothing else, for every input', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2_147_483_647 }), fc.string({ maxLength: 3 }), (n, pad) => {
        const blank = pad.replace(/[^ \t]/g, '')
        expect(parseAge(`${blank}${n}${blank}`)).toBe(n)
      }),
    )
    fc.assert(
      fc.property(fc.string(), (text) => {
        const parsed = parseAge(text)
        if (/^\s*\d+\s*$/.test(text)) expect(parsed).toBeGreaterThanOrEqual(0)
        else expect(parsed).toBeNaN()
      }),
    )
    for (const bad of ['abc', '-7200', '7200.0', '7200,0', '0, 0', '7200;foo=bar', '']) {
      expect(parseAge(bad)).toBeNaN()
    }
  })

  it('an invalid Age makes the response stale: it is not stored', () => {
    fc.assert(
      fc.property(
        fc.string().filter((text) => !/^\s*\d+\s*$/.test(text)),
        (age) => {
          const response = { statusCode: 200, headers: { 'cache-control': 'max-age=3600', age } }
          expect(decideStore(response, rules, true, NOW)).toBeUndefined()
        },
      ),
    )
  })

  it('for all max-age and Age, the entry lives max-age − Age, capped by the ttl', () => {
    fc.assert(
      fc.property(fc.nat({ max: 100_000 }), fc.nat({ max: 100_000 }), (maxAge, age) => {
        const response = {
          statusCode: 200,
          headers: { 'cache-control': `max-age=${maxAge}`, age: String(age) },
        }
        const decision = decideStore(response, rules, true, NOW)
        if (maxAge <= age) expect(decision).toBeUndefined()
        else expect(decision?.ttl).toBe(Math.min(rules.ttl, (maxAge - age) * 1000))
      }),
    )
  })
})

describe('invalid max-age (RFC 9111 §4.2.1, §1.2.2)', () => {
  it.each([
    'max-age=-1',
    "max-age='3600'",
    'max-age=1.5',
    'max-age=3600a',
    's-maxage=-5, max-age=60',
  ])('%s makes the response stale', (cacheControl) => {
    expect(
      decideStore(
        { statusCode: 200, headers: { 'cache-control': cacheControl } },
        rules,
        true,
        NOW,
      ),
    ).toBeUndefined()
  })

  it('a double-quoted max-age is accepted (RFC 9111 §5.2)', () => {
    const decision = decideStore(
      { statusCode: 200, headers: { 'cache-control': 'max-age="60"' } },
      rules,
      true,
      NOW,
    )
    expect(decision?.ttl).toBe(60_000)
  })
})

describe('Expires against Date (RFC 9111 §4.2.1, RFC 9110 §5.6.7)', () => {
  const http = (t: number) => new Date(t).toUTCString()

  it('uses Expires minus the response’s Date, not the local clock', () => {
    // The origin's clock is an hour ahead: Expires is 60 s after its Date.
    const response = {
      statusCode: 200,
      headers: { date: http(NOW + 3_600_000), expires: http(NOW + 3_660_000) },
    }
    expect(decideStore(response, rules, true, NOW)?.ttl).toBe(60_000)
  })

  it('an Expires before the Date is already stale, even when it is after now', () => {
    const response = {
      statusCode: 200,
      headers: { date: http(NOW + 400_000), expires: http(NOW + 300_000) },
    }
    expect(decideStore(response, rules, true, NOW)).toBeUndefined()
  })

  it('a malformed Expires means already expired', () => {
    for (const expires of [
      '0',
      'Thu, 18 Aug 2050 02:01:18 UTC',
      '2050-08-18T02:01:18Z',
      'tomorrow',
    ]) {
      expect(
        decideStore({ statusCode: 200, headers: { expires } }, rules, true, NOW),
      ).toBeUndefined()
    }
  })

  it('parses the three HTTP-date forms to the same instant, for every instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2070, 0, 1) }), (t) => {
        const at = Math.floor(t / 1000) * 1000
        const d = new Date(at)
        const day = d.toUTCString().slice(0, 3)
        const month = d.toUTCString().slice(8, 11)
        const two = (n: number) => String(n).padStart(2, '0')
        const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`
        const long = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][
          d.getUTCDay()
        ]
        expect(parseHttpDate(d.toUTCString())).toBe(at)
        const rfc850 = `${long}, ${two(d.getUTCDate())}-${month}-${two(d.getUTCFullYear() % 100)} ${time} GMT`
        // Two-digit years resolve within 50 years of the reference year.
        expect(parseHttpDate(rfc850, at)).toBe(at)
        const asctime = `${day} ${month} ${String(d.getUTCDate()).padStart(2, ' ')} ${time} ${d.getUTCFullYear()}`
        expect(parseHttpDate(asctime)).toBe(at)
      }),
    )
  })

  it('accepts nothing else: any string it parses is an exact HTTP-date', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc
            .date({ noInvalidDate: true })
            .map((d) => d.toUTCString().replace(/ /g, () => (Math.random() < 0.5 ? ' ' : '  '))),
          fc.date({ noInvalidDate: true }).map((d) => d.toUTCString().toUpperCase()),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        ),
        (text) => {
          const parsed = parseHttpDate(text)
          if (!Number.isNaN(parsed)) expect(new Date(parsed).toUTCString()).toBe(text.trim())
        },
      ),
    )
    expect(parseHttpDate('Thu, 31 Feb 2050 02:01:18 GMT')).toBeNaN()
    expect(parseHttpDate('THU, 18 Aug 2050 02:01:18 GMT')).toBeNaN()
  })
})

describe('statuses without explicit freshness (RFC 9111 §4.2.2, §3)', () => {
  it.each([201, 202, 207])('a %i is stored only with explicit freshness', async (status) => {
    expect(decideStore({ statusCode: status, headers: {} }, rules, true, NOW)).toBeUndefined()
    expect(
      decideStore(
        { statusCode: status, headers: { 'cache-control': 'max-age=60' } },
        rules,
        true,
        NOW,
      )?.ttl,
    ).toBe(60_000)
    const { state, send } = origin(() => ({ statusCode: status, body: 'created' }))
    await send(request())
    await send(request())
    expect(state.calls).toBe(2)
  })

  it('a 200 or 204 without freshness is stored for the configured ttl (heuristic freshness)', () => {
    for (const status of [200, 203, 204]) {
      expect(decideStore({ statusCode: status, headers: {} }, rules, true, NOW)?.ttl).toBe(
        rules.ttl,
      )
    }
  })
})

describe('invalidation after unsafe methods (RFC 9111 §4.4)', () => {
  const fresh = (call: number, event: APIGatewayProxyEventV2): HttpResponse =>
    event.requestContext.http.method === 'GET'
      ? { statusCode: 200, headers: { 'cache-control': 'max-age=600' }, body: `${call}` }
      : {
          statusCode: Number(event.headers['x-status'] ?? 200),
          headers: {
            ...(event.headers['x-location'] ? { location: event.headers['x-location'] } : {}),
            ...(event.headers['x-content-location']
              ? { 'content-location': event.headers['x-content-location'] }
              : {}),
          },
          body: 'done',
        }

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'M-SEARCH'])(
    'a successful %s drops what is stored for its URL',
    async (method) => {
      const { state, send } = origin(fresh)
      await send(request('GET', '/items/1'))
      await send(request(method, '/items/1'))
      const after = await send(request('GET', '/items/1'))
      expect(after.headers?.['x-orc-cache']).toBe('MISS')
      expect(state.calls).toBe(3)
    },
  )

  it('a failed one (5xx, 4xx) does not', async () => {
    const { send } = origin(fresh)
    await send(request('GET', '/items/1'))
    await send(request('POST', '/items/1', { 'x-status': '500' }))
    await send(request('POST', '/items/1', { 'x-status': '409' }))
    expect((await send(request('GET', '/items/1'))).headers?.['x-orc-cache']).toBe('HIT')
  })

  it('drops the same-origin Location and Content-Location targets, not other origins', async () => {
    const { send } = origin(fresh)
    const host = request().headers.host as string
    for (const path of ['/a', '/b?y=2&x=1', '/c']) await send(request('GET', path))
    await send(
      request('POST', '/items', {
        'x-location': `https://${host}/a`,
        'x-content-location': '/b?x=1&y=2',
      }),
    )
    await send(request('POST', '/items', { 'x-location': 'https://elsewhere.example/c' }))
    const cacheOf = async (path: string) =>
      (await send(request('GET', path))).headers?.['x-orc-cache']
    expect(await cacheOf('/a')).toBe('MISS')
    expect(await cacheOf('/b?y=2&x=1')).toBe('MISS')
    expect(await cacheOf('/c')).toBe('HIT')
  })

  it('with a key selector, drops the key the unsafe request selects', async () => {
    const handler = middy(async (): Promise<HttpResponse> => ({ statusCode: 200, body: 'x' })).use(
      orcCache({ key: 'rawPath', logger: logger() }),
    )
    const h = (event: APIGatewayProxyEventV2) => handler(event, lambdaContext())
    await h(request('GET', '/items/1'))
    expect((await h(request('GET', '/items/1'))).headers?.['x-orc-cache']).toBe('HIT')
    await h(request('DELETE', '/items/1'))
    expect((await h(request('GET', '/items/1'))).headers?.['x-orc-cache']).toBe('MISS')
  })
})

describe('targeted cache control (RFC 9213 CDN-Cache-Control, Surrogate-Control)', () => {
  it('browsers get max-age=0 while orcCache keeps the answer for 60 s', async () => {
    vi.useFakeTimers({ now: NOW })
    const { state, send } = origin(() => ({
      statusCode: 200,
      headers: { 'cache-control': 'max-age=0, must-revalidate', 'cdn-cache-control': 'max-age=60' },
      body: 'x',
    }))
    await send(request())
    vi.advanceTimersByTime(59_000)
    const hit = await send(request())
    expect(hit.headers?.['x-orc-cache']).toBe('HIT')
    expect(hit.headers?.['cache-control']).toBe('max-age=0, must-revalidate')
    vi.advanceTimersByTime(1_000)
    await send(request())
    expect(state.calls).toBe(2)
  })

  it('a targeted field wins over Cache-Control and Expires, both ways', () => {
    const decide = (headers: Record<string, string>) =>
      decideStore({ statusCode: 200, headers }, rules, true, NOW)
    expect(decide({ 'cache-control': 'no-store', 'surrogate-control': 'max-age=60' })?.ttl).toBe(
      60_000,
    )
    expect(
      decide({ 'cache-control': 'max-age=600', 'cdn-cache-control': 'no-store' }),
    ).toBeUndefined()
    expect(decide({ 'cache-control': 'max-age=600', 'surrogate-control': 'max-age=1' })?.ttl).toBe(
      1_000,
    )
    expect(
      decide({ expires: 'Thu, 01 Jan 1970 00:00:00 GMT', 'surrogate-control': 'max-age=60' })?.ttl,
    ).toBe(60_000)
    // CDN-Cache-Control comes first; a field with no known directive counts as absent.
    expect(
      decide({ 'cdn-cache-control': 'max-age=5', 'surrogate-control': 'max-age=60' })?.ttl,
    ).toBe(5_000)
    expect(decide({ 'cdn-cache-control': 'foo', 'cache-control': 'max-age=7' })?.ttl).toBe(7_000)
  })

  it('Surrogate-Control directives targeted at another device are ignored', () => {
    expect([...parseSurrogateControl('max-age=3600;not-for-you')]).toEqual([])
    expect(parseSurrogateControl('max-age=5, max-age=60;orc').get('max-age')).toBe('60')
    expect(parseSurrogateControl('no-store;orc').has('no-store')).toBe(true)
    expect(
      decideStore(
        { statusCode: 200, headers: { 'surrogate-control': 'max-age=3600;other', age: '7200' } },
        rules,
        true,
        NOW,
      ),
    ).toBeUndefined()
  })
})

describe('Connection (RFC 9111 §3.1)', () => {
  it('the fields Connection lists are not stored', async () => {
    const { send } = origin(() => ({
      statusCode: 200,
      headers: { connection: 'a, B', a: '1', b: '2', c: '3', 'cache-control': 'max-age=60' },
      body: 'x',
    }))
    await send(request())
    const hit = await send(request())
    expect(hit.headers?.['x-orc-cache']).toBe('HIT')
    expect(hit.headers).toMatchObject({ c: '3' })
    expect(hit.headers).not.toHaveProperty('a')
    expect(hit.headers).not.toHaveProperty('b')
    expect(hit.headers).not.toHaveProperty('connection')
  })
})

describe('If-Modified-Since on a hit (RFC 9110 §13.1.3, §13.2.2)', () => {
  const lastModified = new Date(NOW - 3_600_000).toUTCString()
  const stored = () =>
    origin(() => ({
      statusCode: 200,
      headers: { 'cache-control': 'max-age=600', 'last-modified': lastModified, etag: '"v1"' },
      body: 'x',
    }))

  it('answers 304 when the stored Last-Modified is not after the date', async () => {
    const { send } = stored()
    await send(request())
    const same = await send(request('GET', '/items/1', { 'if-modified-since': lastModified }))
    expect(same.statusCode).toBe(304)
    expect(same.body).toBe('')
    const later = new Date(NOW).toUTCString()
    expect(
      (await send(request('GET', '/items/1', { 'if-modified-since': later }))).statusCode,
    ).toBe(304)
  })

  it('answers 200 when modified since, for an invalid date, and when If-None-Match does not match', async () => {
    const { send } = stored()
    await send(request())
    const earlier = new Date(NOW - 7_200_000).toUTCString()
    for (const headers of <Array<Record<string, string>>>[
      { 'if-modified-since': earlier },
      { 'if-modified-since': 'yesterday' },
      // If-None-Match decides alone when present.
      { 'if-modified-since': lastModified, 'if-none-match': '"v0"' },
    ]) {
      const response = await send(request('GET', '/items/1', headers))
      expect(response.statusCode).toBe(200)
      expect(response.headers?.['x-orc-cache']).toBe('HIT')
    }
  })
})

describe('stale-if-error (RFC 5861) beside the staleIfError option', () => {
  it('a response’s stale-if-error lets an expired entry answer a failure for that long', async () => {
    vi.useFakeTimers({ now: NOW })
    let fail = false
    const { send } = origin(() => {
      if (fail) return { statusCode: 503, body: 'down' }
      return {
        statusCode: 200,
        headers: { 'cache-control': 'max-age=1, stale-if-error=60' },
        body: 'ok',
      }
    })
    await send(request())
    fail = true
    vi.advanceTimersByTime(30_000)
    const stale = await send(request())
    expect(stale.body).toBe('ok')
    expect(stale.headers?.['x-orc-cache']).toBe('STALE')
    vi.advanceTimersByTime(31_000)
    expect((await send(request())).statusCode).toBe(503)
  })

  it('without it (and without the option) an expired entry is never served', async () => {
    vi.useFakeTimers({ now: NOW })
    let fail = false
    const { send } = origin(() =>
      fail
        ? { statusCode: 503, body: 'down' }
        : { statusCode: 200, headers: { 'cache-control': 'max-age=1' }, body: 'ok' },
    )
    await send(request())
    fail = true
    vi.advanceTimersByTime(2_000)
    expect((await send(request())).statusCode).toBe(503)
  })
})
