/**
 * The cache's own modules beneath the middleware, on the real lru-cache tier: following a
 * Vary marker (`lookup.ts`), the keys of variants (`entry.ts`), conditional requests
 * (`conditional.ts`), the LRU tier's bounds and families (`lru-tier.ts`), and single
 * flight (`single-flight.ts`).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { notModifiedSince } from '../../src/cache/conditional.js'
import { type Entry, HTTP, principalKey, VARY, varyKey } from '../../src/cache/entry.js'
import { digest, type HttpRequest, readHttpRequest } from '../../src/cache/http.js'
import { derivedPrefix } from '../../src/cache/key.js'
import { findSync, variantKey } from '../../src/cache/lookup.js'
import { LruTier } from '../../src/cache/lru-tier.js'
import { SingleFlight } from '../../src/cache/single-flight.js'
import { loadEvent } from '../helpers/events.js'

/** A GET of `/items` with `headers`, read as the cache reads it. */
const request = (headers: Record<string, string> = {}): HttpRequest => {
  const event = loadEvent<APIGatewayProxyEventV2>('apigw-v2-request-no-authorizer')
  event.rawPath = '/items'
  event.requestContext.http.method = 'GET'
  Object.assign(event.headers, headers)
  const http = readHttpRequest(event)
  if (http === undefined) throw new Error('not an HTTP request')
  return http
}

/** A record fresh until `expiresAt` and usable until `staleUntil` (cache clock, ms). */
const entry = (fields: Partial<Entry> = {}): Entry => ({
  kind: HTTP,
  value: { statusCode: 200, body: 'x' },
  frozen: false,
  storedAt: 0,
  initialAge: 0,
  expiresAt: 100,
  staleUntil: 100,
  lastModified: Number.NaN,
  shareable: false,
  etag: undefined,
  vary: undefined,
  gen: 0,
  tags: undefined,
  ...fields,
})
const marker = (vary: string[], fields: Partial<Entry> = {}) =>
  entry({ kind: VARY, value: undefined, vary, ...fields })

const tier = () => new LruTier({ maxEntries: 100, maxBytes: 1_000_000 })

describe('varyKey', () => {
  it('keys each variant by the values of the headers varied on, absent ones as empty', () => {
    const en = varyKey('/items', ['accept-language'], request({ 'accept-language': 'en' }))
    const fr = varyKey('/items', ['accept-language'], request({ 'accept-language': 'fr' }))
    const none = varyKey('/items', ['accept-language'], request())
    expect(new Set([en, fr, none]).size).toBe(3)
    expect(none).toBe(`${derivedPrefix('/items')}v0:`)
    expect(en.startsWith(derivedPrefix('/items'))).toBe(true)
  })

  it('digests Authorization and Cookie values, so no credential is in a key', () => {
    const http = request({ authorization: 'Bearer secret-1', cookie: 'session=secret-2' })
    const key = varyKey('/items', ['authorization', 'cookie'], http)
    expect(key).not.toContain('secret')
    const a = digest('Bearer secret-1')
    const c = digest('session=secret-2')
    expect(key).toBe(`${derivedPrefix('/items')}v${a.length}:${a}${c.length}:${c}`)
  })

  it('under a principal key, stays in the base key’s family', () => {
    const own = principalKey('/items', 'authorization=Bearer a\n')
    const key = varyKey(own, ['accept'], request({ accept: 'text/html' }))
    expect(key).toBe(`${own}v9:text/html`)
    expect(key.startsWith(derivedPrefix('/items'))).toBe(true)
  })
})

describe('findSync and variantKey', () => {
  it('follows a live Vary marker to the variant the request selects', () => {
    const lru = tier()
    const http = request({ accept: 'a/b' })
    const variant = entry({ value: 'variant' })
    lru.set('/items', marker(['accept']), 10)
    lru.set(varyKey('/items', ['accept'], http), variant, 10)
    expect(findSync(lru, '/items', http, 50)).toBe(variant)
    expect(findSync(lru, '/items', request({ accept: 'c/d' }), 50)).toBeUndefined()
  })

  it('finds nothing behind a marker for a request that is not HTTP, or a dead marker', () => {
    const lru = tier()
    const http = request()
    lru.set('/items', marker(['accept'], { staleUntil: 100 }), 10)
    lru.set(varyKey('/items', ['accept'], http), entry(), 10)
    expect(variantKey(marker(['accept']), '/items', undefined, 50)).toBeUndefined()
    expect(findSync(lru, '/items', undefined, 50)).toBeUndefined()
    expect(findSync(lru, '/items', http, 100)).toBeUndefined()
    expect(findSync(lru, '/items', http, 99)).toBeDefined()
  })

  it('never answers with a marker found where a variant should be', () => {
    const lru = tier()
    const http = request()
    lru.set('/items', marker(['accept']), 10)
    lru.set(varyKey('/items', ['accept'], http), marker(['accept']), 10)
    expect(findSync(lru, '/items', http, 50)).toBeUndefined()
  })

  it('drops a record past its stale window, and keeps one inside it', () => {
    const lru = tier()
    lru.set('/a', entry({ expiresAt: 10, staleUntil: 20 }), 10)
    expect(findSync(lru, '/a', undefined, 15)).toBeDefined()
    expect(lru.size).toBe(1)
    expect(findSync(lru, '/a', undefined, 20)).toBeUndefined()
    expect(lru.size).toBe(0)
  })
})

describe('notModifiedSince', () => {
  const dated = entry({ lastModified: Date.parse('2026-01-01T00:00:00Z'), etag: '"v1"' })

  it('answers If-None-Match first, then If-Modified-Since against the stored date', () => {
    expect(notModifiedSince(request({ 'if-none-match': '"v1"' }), dated)).toBe(true)
    expect(
      notModifiedSince(
        request({ 'if-none-match': '"v0"', 'if-modified-since': 'Fri, 02 Jan 2026 00:00:00 GMT' }),
        dated,
      ),
    ).toBe(false)
    expect(
      notModifiedSince(request({ 'if-modified-since': 'Thu, 01 Jan 2026 00:00:00 GMT' }), dated),
    ).toBe(true)
    expect(
      notModifiedSince(request({ 'if-modified-since': 'Wed, 31 Dec 2025 23:59:59 GMT' }), dated),
    ).toBe(false)
  })

  it('is false without a conditional header, for an undated entry, and for a bad date', () => {
    expect(notModifiedSince(request(), dated)).toBe(false)
    expect(
      notModifiedSince(request({ 'if-modified-since': 'Fri, 02 Jan 2026 00:00:00 GMT' }), entry()),
    ).toBe(false)
    expect(notModifiedSince(request({ 'if-modified-since': 'yesterday' }), dated)).toBe(false)
  })
})

describe('LruTier', () => {
  it('evicts the least recently used entry to stay inside its bounds, with or without onEvict', () => {
    const evicted: string[] = []
    const watched = new LruTier({ maxEntries: 2, maxBytes: 1_000, onEvict: (k) => evicted.push(k) })
    const quiet = new LruTier({ maxEntries: 2, maxBytes: 1_000 })
    for (const lru of [watched, quiet]) {
      lru.set('a', entry(), 10)
      lru.set('b', entry(), 10)
      lru.get('a')
      lru.set('c', entry(), 10)
      expect([lru.peek('a'), lru.peek('b'), lru.peek('c')].map(Boolean)).toEqual([
        true,
        false,
        true,
      ])
      lru.set('d', entry(), 995)
      expect(lru.size).toBe(1)
      expect(lru.bytes).toBe(995)
    }
    expect(evicted).toEqual(['b', 'a', 'c'])
  })

  it('reports no eviction for a delete or an overwrite', () => {
    const evicted: string[] = []
    const lru = new LruTier({ maxEntries: 2, maxBytes: 1_000, onEvict: (k) => evicted.push(k) })
    lru.set('a', entry(), 10)
    lru.set('a', entry(), 10)
    lru.delete('a')
    expect(evicted).toEqual([])
  })

  it('deletes a base key with its derived keys only, and tells whether any was held', () => {
    const lru = tier()
    const own = principalKey('/a', 'cookie=s=1\n')
    for (const key of ['/a', own, varyKey(own, ['accept'], request()), '/ab', '/b']) {
      lru.set(key, entry(), 10)
    }
    expect(lru.familyKeys('/a')).toHaveLength(3)
    expect(lru.deleteFamily('/a')).toBe(true)
    expect(lru.deleteFamily('/a')).toBe(false)
    expect([lru.peek('/ab'), lru.peek('/b')].map(Boolean)).toEqual([true, true])
    lru.clear()
    expect(lru.size).toBe(0)
  })
})

describe('SingleFlight', () => {
  it('has a live flight for a key until its deadline', () => {
    const flights = new SingleFlight()
    const flight = flights.lead('k', 100)
    expect(flights.current('k', 99)).toBe(flight)
    expect(flights.current('k', 100)).toBeUndefined()
    expect(flights.current('other', 0)).toBeUndefined()
  })

  it('tells its waiters whether the leader stored a response', async () => {
    const flights = new SingleFlight()
    const flight = flights.lead('k', 100)
    const waiting = [flights.wait(flight, 10_000), flights.wait(flight, 10_000)]
    flights.end('k', flight, true)
    expect(await Promise.all(waiting)).toEqual([true, true])
    expect(flights.current('k', 0)).toBeUndefined()
  })

  it('gives up waiting after the budget, as not stored', async () => {
    const flights = new SingleFlight()
    const flight = flights.lead('k', 100)
    expect(await flights.wait(flight, -5)).toBe(false)
    expect(await flights.wait(flight, 1)).toBe(false)
  })

  it('an abandoned flight that ends late leaves the newer flight for its key alone', async () => {
    const flights = new SingleFlight()
    const old = flights.lead('k', 100)
    const newer = flights.lead('k', 300)
    const waiter = flights.wait(old, 10_000)
    flights.end('k', old, false)
    expect(await waiter).toBe(false)
    expect(flights.current('k', 200)).toBe(newer)
    flights.end('k', newer, true)
    expect(flights.current('k', 200)).toBeUndefined()
  })
})
