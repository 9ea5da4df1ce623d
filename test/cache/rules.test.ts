/**
 * `src/cache/rules.ts` on its own: what `decideStore` decides for a response (whether it is
 * stored, for how long, how old it is, what it varies on, whether it is shareable, its
 * validators and stale-if-error), the targeted fields, and a client's request directives.
 * http-date.test.ts covers dates and Cache-Control syntax; rfc9111.test.ts, the rules end to end.
 */
import { describe, expect, it } from 'vitest'
import type { HttpRequest } from '../../src/cache/http.js'
import {
  decideStore,
  deltaSeconds,
  parseAge,
  parseCacheControl,
  parseHttpDate,
  parseSurrogateControl,
  requestCacheDirectives,
  responseDirectives,
} from '../../src/cache/rules.js'

const NOW = Date.parse('2026-12-01T12:00:00Z')
const rules = { ttl: 600_000, negativeTtl: 0 }
const httpDate = (ms: number) => new Date(ms).toUTCString()

/** The decision for a 200 with `headers`, under `rules`, received at NOW. */
const decide = (headers: Record<string, string>, status = 200, allowed = true, r = rules) =>
  decideStore({ statusCode: status, headers }, r, allowed, NOW)

describe('deltaSeconds and parseAge', () => {
  it('read digits only, capped at 2^31 seconds', () => {
    expect(deltaSeconds('0')).toBe(0)
    expect(deltaSeconds('42')).toBe(42)
    expect(deltaSeconds('99999999999')).toBe(2_147_483_648)
    for (const bad of ['', '-5', '5s', 's5', '1.5', ' 5', '5 '])
      expect(deltaSeconds(bad), bad).toBeNaN()
  })

  it('Age is trimmed, undefined when absent, NaN when it is a list', () => {
    expect(parseAge(undefined)).toBeUndefined()
    expect(parseAge(' 30 ')).toBe(30)
    expect(parseAge('30, 40')).toBeNaN()
  })
})

describe('parseCacheControl', () => {
  it('unquotes only a value that is wholly one quoted string', () => {
    expect(parseCacheControl('a="x"').get('a')).toBe('x')
    expect(parseCacheControl('a="x"y').get('a')).toBe('"x"y')
    expect(parseCacheControl('a=y"x"').get('a')).toBe('y"x"')
    expect(parseCacheControl('a=x=y').get('a')).toBe('x=y')
    expect(parseCacheControl('NO-STORE').get('no-store')).toBe('')
  })
})

describe('parseHttpDate', () => {
  it('reads the month of each form by its name', () => {
    expect(parseHttpDate('Mon, 01 Feb 2027 00:00:00 GMT')).toBe(Date.parse('2027-02-01T00:00:00Z'))
    expect(parseHttpDate('Monday, 01-Feb-27 00:00:00 GMT', NOW)).toBe(
      Date.parse('2027-02-01T00:00:00Z'),
    )
    expect(parseHttpDate('Mon Feb  1 00:00:00 2027')).toBe(Date.parse('2027-02-01T00:00:00Z'))
    expect(parseHttpDate('Mon Fev  1 00:00:00 2027')).toBeNaN()
    expect(parseHttpDate('Monday, 01-Fev-27 00:00:00 GMT', NOW)).toBeNaN()
  })

  it('rejects an hour past 23 even when the day would roll over to a valid one', () => {
    expect(parseHttpDate('Mon, 01 Feb 2027 24:00:00 GMT')).toBeNaN()
    expect(parseHttpDate('Mon Feb  1 24:00:00 2027')).toBeNaN()
    expect(parseHttpDate('Monday, 01-Feb-27 24:00:00 GMT', NOW)).toBeNaN()
  })
})

describe('parseSurrogateControl', () => {
  it('is empty without a header, or with no directive in it', () => {
    expect([...parseSurrogateControl(undefined)]).toEqual([])
    expect([...parseSurrogateControl('')]).toEqual([])
    expect([...parseSurrogateControl(' , ;orc')]).toEqual([])
  })

  it('keeps untargeted directives (the first of a name) and those targeted at orc', () => {
    expect([
      ...parseSurrogateControl('Max-Age=5, no-store ;  orc , max-age=9, private;cdn'),
    ]).toEqual([
      ['max-age', '5'],
      ['no-store', ''],
    ])
  })

  it('lets a targeted directive win over an untargeted one, before or after it', () => {
    expect(parseSurrogateControl('max-age=60;orc, max-age=5').get('max-age')).toBe('60')
    expect(parseSurrogateControl('max-age=5, max-age=60;orc').get('max-age')).toBe('60')
    expect(parseSurrogateControl('max-age=5;orc, max-age=60;orc').get('max-age')).toBe('60')
    expect(parseSurrogateControl('max-age="7";orc').get('max-age')).toBe('7')
  })
})

describe('responseDirectives', () => {
  const of = (headers: Record<string, string>) => {
    const { directives, targeted } = responseDirectives({ headers })
    return { directives: Object.fromEntries(directives), targeted }
  }

  it('uses Cache-Control when no targeted field has a known directive', () => {
    expect(of({ 'Cache-Control': 'max-age=5' })).toEqual({
      directives: { 'max-age': '5' },
      targeted: false,
    })
    expect(of({})).toEqual({ directives: {}, targeted: false })
    expect(
      of({ 'cdn-cache-control': 'x=1', 'surrogate-control': 'y;orc', 'cache-control': 'public' }),
    ).toEqual({ directives: { public: '' }, targeted: false })
  })

  it('uses CDN-Cache-Control first, then Surrogate-Control, each with any known directive', () => {
    for (const known of [
      'max-age=1',
      's-maxage=1',
      'no-store',
      'no-cache',
      'private',
      'public',
      'must-revalidate',
    ]) {
      const name = known.split('=')[0] as string
      expect(
        of({ 'cdn-cache-control': known, 'cache-control': 'x' }).directives,
        known,
      ).toHaveProperty(name)
      expect(of({ 'cdn-cache-control': known }).targeted).toBe(true)
      expect(
        of({ 'surrogate-control': known, 'cache-control': 'x' }).directives,
        known,
      ).toHaveProperty(name)
      expect(of({ 'surrogate-control': known }).targeted).toBe(true)
    }
    expect(
      of({ 'cdn-cache-control': 'max-age=1', 'surrogate-control': 'max-age=2' }).directives,
    ).toEqual({
      'max-age': '1',
    })
  })
})

describe('decideStore: whether a response is stored', () => {
  it('stores an allowed status, never a 206, and not a refused one', () => {
    expect(decide({})).toBeDefined()
    expect(decide({}, 206)).toBeUndefined()
    expect(decide({ 'cache-control': 'max-age=60' }, 206)).toBeUndefined()
    expect(decide({ 'cache-control': 'max-age=60' }, 200, false)).toBeUndefined()
  })

  it('stores a refused 404 or 410 only with negative caching, for the negative ttl', () => {
    const negative = { ttl: 600_000, negativeTtl: 30_000 }
    for (const status of [404, 410]) {
      expect(decide({}, status, false)).toBeUndefined()
      expect(decide({}, status, false, negative)?.ttl).toBe(30_000)
      expect(decide({ 'cache-control': 'max-age=10' }, status, false, negative)?.ttl).toBe(10_000)
      // Allowed by the user's own rule: the ordinary ttl.
      expect(decide({}, status, true, negative)?.ttl).toBe(600_000)
    }
    expect(decide({}, 500, false, negative)).toBeUndefined()
    // Only 404 and 410: any other refused status stays refused, fresh or not.
    expect(decide({ 'cache-control': 'max-age=60' }, 500, false, negative)).toBeUndefined()
    expect(decide({ 'cache-control': 'max-age=60' }, 200, false, negative)).toBeUndefined()
    expect(decide({}, 200, false, negative)).toBeUndefined()
    expect(decide({}, 404, false, { ttl: 5_000, negativeTtl: 30_000 })?.ttl).toBe(5_000)
  })

  it('does not store no-store, private, no-cache, or a response that sets a cookie', () => {
    const refused: Record<string, string>[] = [
      { 'cache-control': 'no-store' },
      { 'cache-control': 'private' },
      { 'cache-control': 'no-cache' },
      { 'set-cookie': 'a=1' },
    ]
    for (const headers of refused) {
      expect(decide(headers), JSON.stringify(headers)).toBeUndefined()
    }
    const at = (cookies: unknown) =>
      decideStore({ statusCode: 200, headers: {}, cookies }, rules, true, NOW)
    expect(at(['a=1'])).toBeUndefined()
    expect(at([])).toBeDefined()
    expect(at('a=1')).toBeDefined()
  })

  it('without explicit freshness, stores only heuristic statuses, or a public response', () => {
    expect(decide({}, 201)).toBeUndefined()
    expect(decide({ 'cache-control': 'public' }, 201)?.ttl).toBe(600_000)
    expect(decide({ 'cache-control': 'max-age=60' }, 201)?.ttl).toBe(60_000)
    for (const status of [200, 203, 204, 300, 301, 308, 405, 414, 501]) {
      expect(decide({}, status)?.ttl, String(status)).toBe(600_000)
    }
  })

  it('does not store a response already as old as its freshness', () => {
    expect(decide({ 'cache-control': 'max-age=10', age: '10' })).toBeUndefined()
    expect(decide({ 'cache-control': 'max-age=10', age: '9' })?.ttl).toBe(1_000)
  })
})

describe('decideStore: for how long', () => {
  it('takes s-maxage over max-age, and either over Expires', () => {
    const expires = httpDate(NOW + 100_000)
    expect(decide({ 'cache-control': 's-maxage=5, max-age=9', expires })?.ttl).toBe(5_000)
    expect(decide({ 'cache-control': 'max-age=9', expires })?.ttl).toBe(9_000)
    expect(decide({ expires })?.ttl).toBe(100_000)
  })

  it('measures Expires from the Date header, or from now without a valid one', () => {
    const date = NOW - 20_000
    expect(decide({ expires: httpDate(date + 50_000), date: httpDate(date) })?.ttl).toBe(30_000)
    expect(decide({ expires: httpDate(NOW + 50_000), date: 'yesterday' })?.ttl).toBe(50_000)
  })

  it('ignores Expires when a targeted field decides, using the ttl instead', () => {
    expect(decide({ 'cdn-cache-control': 'public', expires: httpDate(NOW + 5_000) })?.ttl).toBe(
      600_000,
    )
  })

  it('caps any freshness at the ttl', () => {
    expect(decide({ 'cache-control': 'max-age=86400' })?.ttl).toBe(600_000)
  })
})

describe('decideStore: how old', () => {
  it('is the larger of the Date header’s apparent age and Age', () => {
    expect(decide({ date: httpDate(NOW - 30_000) })?.initialAge).toBe(30_000)
    expect(decide({ date: httpDate(NOW - 30_000), age: '50' })?.initialAge).toBe(50_000)
    expect(decide({ date: httpDate(NOW - 30_000), age: '10' })?.initialAge).toBe(30_000)
    expect(decide({ age: '10' })?.initialAge).toBe(10_000)
    expect(decide({})?.initialAge).toBe(0)
  })

  it('counts a Date in the future as age 0, and an invalid Age as stale', () => {
    expect(decide({ date: httpDate(NOW + 30_000) })?.initialAge).toBe(0)
    expect(decide({ age: 'old' })).toBeUndefined()
    expect(decide({ 'cache-control': 'max-age=60', date: httpDate(NOW - 20_000) })?.ttl).toBe(
      40_000,
    )
  })
})

describe('decideStore: what the entry records', () => {
  it('Vary names, lower-case, trimmed, unique and sorted; none for an empty Vary', () => {
    expect(decide({ vary: ' Accept-Language , accept,, Accept ' })?.vary).toEqual([
      'accept',
      'accept-language',
    ])
    expect(decide({ vary: ' , ' })?.vary).toBeUndefined()
    expect(decide({})?.vary).toBeUndefined()
    expect(decide({ vary: 'accept, *' })).toBeUndefined()
  })

  it('whether it is shareable across principals: public or s-maxage', () => {
    expect(decide({ 'cache-control': 'public' })?.shareable).toBe(true)
    expect(decide({ 'cache-control': 's-maxage=60' })?.shareable).toBe(true)
    expect(decide({ 'cache-control': 'max-age=60' })?.shareable).toBe(false)
    expect(decide({})?.shareable).toBe(false)
  })

  it('its ETag, and Last-Modified, else Date, for If-Modified-Since', () => {
    const modified = NOW - 3_600_000
    const date = NOW - 1_000
    const all = decide({ etag: '"v1"', 'last-modified': httpDate(modified), date: httpDate(date) })
    expect(all).toMatchObject({ etag: '"v1"', lastModified: modified })
    expect(decide({ 'last-modified': 'garbage', date: httpDate(date) })?.lastModified).toBe(date)
    expect(decide({})?.lastModified).toBeNaN()
    expect(decide({})?.etag).toBeUndefined()
  })

  it('its stale-if-error in ms, 0 when absent or invalid', () => {
    expect(decide({ 'cache-control': 'max-age=60, stale-if-error=30' })?.staleIfError).toBe(30_000)
    expect(decide({ 'cache-control': 'max-age=60, stale-if-error=soon' })?.staleIfError).toBe(0)
    expect(decide({ 'cache-control': 'max-age=60' })?.staleIfError).toBe(0)
  })
})

describe('requestCacheDirectives', () => {
  const request = (headers: Record<string, string>) => ({ headers }) as unknown as HttpRequest

  it('no-cache from no-cache, max-age=0 or Pragma: no-cache; no-store from no-store', () => {
    expect(requestCacheDirectives(request({}))).toEqual({ noCache: false, noStore: false })
    expect(requestCacheDirectives(request({ 'cache-control': 'no-cache' })).noCache).toBe(true)
    expect(requestCacheDirectives(request({ 'cache-control': 'max-age=0' })).noCache).toBe(true)
    expect(requestCacheDirectives(request({ 'cache-control': 'max-age=5' })).noCache).toBe(false)
    expect(requestCacheDirectives(request({ pragma: 'no-cache' })).noCache).toBe(true)
    expect(requestCacheDirectives(request({ pragma: 'x' })).noCache).toBe(false)
    expect(requestCacheDirectives(request({ 'cache-control': 'no-store' }))).toEqual({
      noCache: false,
      noStore: true,
    })
  })
})
