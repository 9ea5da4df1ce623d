/**
 * `src/cache/http.ts` on its own, without Middy: how a request event is read (method,
 * canonical target, the caller's credentials, the headers the cache acts on), how a
 * header is found, and how the responses of a hit, a 304 and a stored entry are built.
 * The middleware tests (http.test.ts, rfc9111.test.ts) check the same rules end to end.
 */
import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import {
  digest,
  type HttpRequest,
  hasProperties,
  headerOf,
  hitResponse,
  ifNoneMatchHits,
  readHttpRequest,
  sameOriginTarget,
  withHeaders,
  withoutConnectionFields,
} from '../../src/cache/http.js'
import { loadEvent } from '../helpers/events.js'

type Bag = Record<string, unknown>

/** The HTTP API (v2) sample, as a GET of `rawPath?rawQueryString` with `headers` added. */
const v2 = (rawPath = '/items', rawQueryString = '', headers: Record<string, string> = {}) => {
  const event = loadEvent<APIGatewayProxyEventV2>('apigw-v2-request-no-authorizer')
  event.rawPath = rawPath
  event.rawQueryString = rawQueryString
  event.requestContext.http.method = 'get'
  Object.assign(event.headers, headers)
  return event
}

/** The REST API (v1) sample as a GET, without its authorizer and identity unless asked. */
const v1 = (keepCallerFields = false) => {
  const event = loadEvent<APIGatewayProxyEvent & Bag>('apigw-request')
  event.httpMethod = 'GET'
  if (!keepCallerFields) {
    event.requestContext.authorizer = {}
    event.requestContext.identity = {} as APIGatewayProxyEvent['requestContext']['identity']
  }
  return event
}

const read = (event: unknown): HttpRequest => {
  const request = readHttpRequest(event)
  if (request === undefined) throw new Error('not read as an HTTP request')
  return request
}

describe('hasProperties', () => {
  it('is true when an object has an enumerable property, false when it has none', () => {
    expect(hasProperties({})).toBe(false)
    expect(hasProperties({ a: undefined })).toBe(true)
    expect(hasProperties(Object.create({ inherited: 1 }))).toBe(true)
    expect(hasProperties(Object.defineProperty({}, 'hidden', { value: 1 }))).toBe(false)
  })
})

describe('headerOf', () => {
  it('matches a name whatever its case in headers, and gives the value as text', () => {
    expect(headerOf({ headers: { 'Content-Type': 'text/plain' } }, 'content-type')).toBe(
      'text/plain',
    )
    expect(headerOf({ headers: { 'x-n': 5, 'x-b': false } }, 'x-n')).toBe('5')
    expect(headerOf({ headers: { 'x-n': 5, 'x-b': false } }, 'x-b')).toBe('false')
  })

  it('does not match another name of the same length, nor a missing one', () => {
    expect(headerOf({ headers: { 'x-aa': '1' } }, 'x-bb')).toBeUndefined()
    expect(headerOf({ headers: { 'x-aaa': '1' } }, 'x-aa')).toBeUndefined()
    expect(headerOf({}, 'x-aa')).toBeUndefined()
  })

  it('joins multi-value headers with ", ", and cookies with "; "', () => {
    const message = { multiValueHeaders: { Accept: ['a/b', 'c/d'], Cookie: ['a=1', 'b=2'] } }
    expect(headerOf(message, 'accept')).toBe('a/b, c/d')
    expect(headerOf(message, 'cookie')).toBe('a=1; b=2')
  })

  it('prefers headers to multiValueHeaders, and skips a field that is not an object', () => {
    const both = { headers: { accept: 'single' }, multiValueHeaders: { accept: ['multi'] } }
    expect(headerOf(both, 'accept')).toBe('single')
    expect(headerOf({ headers: null, multiValueHeaders: { accept: ['m'] } }, 'accept')).toBe('m')
    expect(headerOf({ headers: 'accept: x', multiValueHeaders: { accept: ['m'] } }, 'accept')).toBe(
      'm',
    )
  })

  it('skips a value that is not text (an empty list, an object, null) and goes on looking', () => {
    expect(
      headerOf({ headers: { accept: [] }, multiValueHeaders: { accept: ['m'] } }, 'accept'),
    ).toBe('m')
    expect(headerOf({ headers: { Accept: null, accept: 'second' } }, 'accept')).toBe('second')
    expect(headerOf({ headers: { accept: { a: 1 } } }, 'accept')).toBeUndefined()
    expect(headerOf({ headers: { accept: [] } }, 'accept')).toBeUndefined()
  })

  it('reads the v2 cookies array for cookie only, after the header maps', () => {
    expect(headerOf({ cookies: ['a=1', 'b=2'] }, 'cookie')).toBe('a=1; b=2')
    expect(headerOf({ headers: { cookie: 'h=1' }, cookies: ['a=1'] }, 'cookie')).toBe('h=1')
    expect(headerOf({ cookies: ['a=1'] }, 'cookies')).toBeUndefined()
    expect(headerOf({ cookies: [] }, 'cookie')).toBeUndefined()
  })
})

describe('readHttpRequest', () => {
  it('is undefined for an event that is not an HTTP request', () => {
    for (const event of [
      undefined,
      null,
      'GET /',
      42,
      [],
      loadEvent('sqs-event'),
      loadEvent('sns-event'),
    ]) {
      expect(readHttpRequest(event)).toBeUndefined()
    }
    expect(readHttpRequest({ httpMethod: 1, path: '/' })).toBeUndefined()
    expect(readHttpRequest({ httpMethod: 'GET', path: 7 })).toBeUndefined()
    expect(readHttpRequest({ httpMethod: 'GET' })).toBeUndefined()
  })

  it('reads a v2 event only with version 2.0 and requestContext.http', () => {
    const event = v2('/a') as unknown as Bag
    expect(read(event).target).toBe('/a')
    expect(readHttpRequest({ ...event, version: '1.0' })).toBeUndefined()
    expect(readHttpRequest({ ...event, requestContext: {} })).toBeUndefined()
    expect(readHttpRequest({ ...event, requestContext: 'ctx' })).toBeUndefined()
    expect(readHttpRequest({ ...event, requestContext: { http: 'GET' } })).toBeUndefined()
    expect(readHttpRequest({ ...event, rawPath: undefined })).toBeUndefined()
  })

  it('upper-cases the method, and keeps the event', () => {
    const event = v2()
    const request = read(event)
    expect(request.method).toBe('GET')
    expect(request.event).toBe(event)
  })

  it('sorts v2 query parameters by name, stably, and leaves a lone parameter as it is', () => {
    expect(read(v2('/p', 'b=2&a=1&b=1&c')).target).toBe('/p?a=1&b=2&b=1&c')
    expect(read(v2('/p', 'z=9')).target).toBe('/p?z=9')
    expect(read(v2('/p', 'a==1&a=0')).target).toBe('/p?a==1&a=0')
    expect(read(v2('/p', '')).target).toBe('/p')
    expect(read({ ...v2('/p'), rawQueryString: undefined }).target).toBe('/p')
    expect(read({ ...v2('/p'), rawQueryString: 3 }).target).toBe('/p')
  })

  it('takes v1 multi-value parameters over single ones, encoded and sorted by name', () => {
    const event = v1()
    event.path = '/search'
    event.multiValueQueryStringParameters = { q: ['a b', 'c&d'], a: ['é'] }
    event.queryStringParameters = { ignored: 'yes' }
    expect(read(event).target).toBe('/search?a=%C3%A9&q=a%20b&q=c%26d')
    event.multiValueQueryStringParameters = null
    event.queryStringParameters = { n: '1' }
    expect(read(event).target).toBe('/search?n=1')
    event.queryStringParameters = null
    expect(read(event).target).toBe('/search')
  })

  it('reads an ALB event: its method, path and query', () => {
    const request = read(loadEvent<ALBEvent>('alb-lambda-target-request-headers-only'))
    expect(request).toMatchObject({ method: 'GET', target: '/?key=hello', credentials: undefined })
  })

  it('keeps the request headers the cache acts on, by lower-case name, and no others', () => {
    const request = read(
      v2('/', '', {
        'If-None-Match': '"v1"',
        'CACHE-CONTROL': 'no-cache',
        Pragma: 'no-cache',
        'x-other': 'x',
      }),
    )
    expect(request.headers).toEqual({
      'if-none-match': '"v1"',
      'cache-control': 'no-cache',
      pragma: 'no-cache',
    })
  })

  it('skips a header whose value is not text, leaving no name without a value', () => {
    const event = { ...v2(), headers: { 'if-none-match': null, pragma: [] } }
    expect(read(event).headers).toStrictEqual({})
    expect(read(v2()).headers).toStrictEqual({})
  })

  it('is undefined for a v2 event whose method is not a string', () => {
    const event = v2() as unknown as Bag
    expect(readHttpRequest({ ...event, requestContext: { http: { method: 5 } } })).toBeUndefined()
  })

  it('ignores query parameters that are not an object', () => {
    const event = { ...v1(), multiValueQueryStringParameters: 'a=1', queryStringParameters: 'b=2' }
    expect(read(event).target).toBe('/hello/world')
  })

  it('reads a v1 or ALB multiValueHeaders map when there is no headers map', () => {
    const event = {
      httpMethod: 'GET',
      path: '/',
      multiValueHeaders: { 'If-None-Match': ['"a"', '"b"'], Cookie: ['s=1', 't=2'] },
    }
    const request = read(event)
    expect(request.headers).toEqual({ 'if-none-match': '"a", "b"', cookie: 's=1; t=2' })
    expect(request.credentials).toBe('cookie=s=1; t=2\n')
  })

  it('is anonymous without credentials', () => {
    expect(read(v2()).credentials).toBeUndefined()
    expect(read(v1()).credentials).toBeUndefined()
  })

  it('counts each identifying header as a credential, labelled, whatever its case', () => {
    const request = read(
      v2('/', '', {
        Authorization: 'Bearer a',
        'proxy-authorization': 'Basic b',
        'X-Amzn-Oidc-Identity': 'alice',
        'x-amzn-oidc-data': 'jwt',
        'x-amzn-oidc-accesstoken': 'token',
      }),
    )
    expect(request.credentials).toBe(
      'authorization=Bearer a\nproxy-authorization=Basic b\nx-amzn-oidc-identity=alice\n' +
        'x-amzn-oidc-data=jwt\nx-amzn-oidc-accesstoken=token\n',
    )
    expect(request.headers).toEqual({})
  })

  it('tells different credentials apart, and skips empty ones', () => {
    const a = read(v2('/', '', { authorization: 'Bearer a' })).credentials
    const b = read(v2('/', '', { authorization: 'Bearer b' })).credentials
    expect(a).not.toBe(b)
    expect(read(v2('/', '', { authorization: '' })).credentials).toBeUndefined()
  })

  it('counts cookies, from the header or from the v2 cookies array', () => {
    expect(read(v2('/', '', { Cookie: 's=1' })).credentials).toBe('cookie=s=1\n')
    const url = loadEvent<APIGatewayProxyEventV2 & { requestContext: Bag }>('lambda-urls-request')
    url.requestContext.authorizer = undefined
    const request = read(url)
    expect(request.headers.cookie).toBe('cookie1; cookie2')
    expect(request.credentials).toBe('cookie=cookie1; cookie2\n')
    expect(read({ ...url, cookies: [], headers: { cookie: 'h=1' } }).headers.cookie).toBe('h=1')
    // The Cookie header, when an event has one, wins over the cookies array.
    expect(read({ ...url, headers: { cookie: 'h=1' } }).headers.cookie).toBe('h=1')
  })

  it('counts a non-empty authorizer and the v1 identity fields that name a caller', () => {
    const event = v1(true)
    const credentials = read(event).credentials
    expect(credentials).toBe(
      'authorizer={"principalId":"admin","clientId":1,"clientName":"Exata"}\n' +
        'cognitoIdentityId=theCognitoIdentityId\n' +
        'cognitoAuthenticationProvider=theCognitoAuthenticationProvider\n' +
        'user=theUser\nuserArn=theUserArn\naccessKey=ANEXAMPLEOFACCESSKEY\ncaller=theCaller\n',
    )
    event.requestContext.authorizer = {}
    event.requestContext.identity = { ...event.requestContext.identity, user: null, caller: '' }
    expect(read(event).credentials).not.toContain('authorizer=')
    expect(read(event).credentials).not.toContain('user=')
    expect(read(event).credentials).not.toContain('caller=')
    expect(read(event).credentials).toContain('userArn=theUserArn\n')
  })

  it('ignores an authorizer or identity that is not an object', () => {
    const event = { ...v1(), requestContext: { authorizer: 'x', identity: 'y' } }
    expect(read(event).credentials).toBeUndefined()
    expect(read({ ...v1(), requestContext: 'ctx' }).credentials).toBeUndefined()
  })
})

describe('digest', () => {
  it('is the base64url SHA-256 of the text: stable, one-way, and different per input', () => {
    expect(digest('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0')
    expect(digest('abc')).toBe(digest('abc'))
    expect(digest('abd')).not.toBe(digest('abc'))
  })
})

describe('ifNoneMatchHits', () => {
  it('compares weakly, trims each listed tag, and accepts *', () => {
    expect(ifNoneMatchHits('"v1"', '"v1"')).toBe(true)
    expect(ifNoneMatchHits('W/"v1"', '"v1"')).toBe(true)
    expect(ifNoneMatchHits('"v1"', 'W/"v1"')).toBe(true)
    expect(ifNoneMatchHits('"v0" ,  "v1" ', '"v1"')).toBe(true)
    expect(ifNoneMatchHits(' * ', '"v1"')).toBe(true)
    expect(ifNoneMatchHits('"v0", "v2"', '"v1"')).toBe(false)
  })

  it('removes W/ only at the start of a tag', () => {
    expect(ifNoneMatchHits('"aW/"', '"a"')).toBe(false)
    expect(ifNoneMatchHits('"W/a"', '"a"')).toBe(false)
  })

  it('is false without a header or without an ETag', () => {
    expect(ifNoneMatchHits(undefined, '"v1"')).toBe(false)
    expect(ifNoneMatchHits('*', undefined)).toBe(false)
  })
})

describe('withHeaders', () => {
  it('adds headers to a copy, leaving the response as it was', () => {
    const response = { statusCode: 200, headers: { a: '1' }, body: 'x' }
    const copy = withHeaders(response, { b: '2' })
    expect(copy).toEqual({ statusCode: 200, headers: { a: '1', b: '2' }, body: 'x' })
    expect(response.headers).toEqual({ a: '1' })
  })

  it('creates headers when the response has none, or has something else there', () => {
    expect(withHeaders({ statusCode: 204 }, { b: '2' })).toEqual({
      statusCode: 204,
      headers: { b: '2' },
    })
    expect(withHeaders({ statusCode: 204, headers: 'x' }, { b: '2' })).toEqual({
      statusCode: 204,
      headers: { b: '2' },
    })
  })

  it('adds to multiValueHeaders (as one-value lists) when a response has only those', () => {
    const response = { statusCode: 200, multiValueHeaders: { a: ['1', '2'] } }
    expect(withHeaders(response, { b: '2' })).toEqual({
      statusCode: 200,
      multiValueHeaders: { a: ['1', '2'], b: ['2'] },
    })
    expect(response.multiValueHeaders).toEqual({ a: ['1', '2'] })
  })

  it('adds to headers when a response has both maps', () => {
    const response = { statusCode: 200, headers: { a: '1' }, multiValueHeaders: { m: ['1'] } }
    expect(withHeaders(response, { b: '2' })).toEqual({
      statusCode: 200,
      headers: { a: '1', b: '2' },
      multiValueHeaders: { m: ['1'] },
    })
  })
})

describe('hitResponse', () => {
  const stored = {
    statusCode: 200,
    headers: { 'content-type': 'text/plain', etag: '"v1"' },
    body: 'hello',
  }

  it('is a fresh copy of the stored response with Age and the status header', () => {
    const hit = hitResponse(stored, 7, 'x-orc-cache', 'HIT', false)
    expect(hit).toEqual({
      ...stored,
      headers: { ...stored.headers, age: '7', 'x-orc-cache': 'HIT' },
    })
    expect(hit).not.toBe(stored)
    expect(hit.headers).not.toBe(stored.headers)
    expect(stored.headers).toEqual({ 'content-type': 'text/plain', etag: '"v1"' })
  })

  it('carries no status header when there is none, and headers even if stored had none', () => {
    expect(hitResponse(stored, 0, undefined, 'HIT', false).headers).toEqual({
      ...stored.headers,
      age: '0',
    })
    expect(hitResponse({ statusCode: 204 }, 1, 'x-c', 'HIT', false)).toEqual({
      statusCode: 204,
      headers: { age: '1', 'x-c': 'HIT' },
    })
  })

  it('answers in multiValueHeaders for a stored multi-value response', () => {
    const multi = {
      statusCode: 200,
      multiValueHeaders: { 'content-type': ['text/plain'] },
      body: 'x',
    }
    expect(hitResponse(multi, 3, 'x-c', 'HIT', false)).toEqual({
      ...multi,
      multiValueHeaders: { 'content-type': ['text/plain'], age: ['3'], 'x-c': ['HIT'] },
    })
    expect(hitResponse(multi, 3, undefined, 'HIT', false)).toEqual({
      ...multi,
      multiValueHeaders: { 'content-type': ['text/plain'], age: ['3'] },
    })
  })

  it('answers 304 with an empty body and only the headers RFC 9110 carries over', () => {
    const full = {
      statusCode: 200,
      headers: {
        'Cache-Control': 'max-age=60',
        'content-location': '/a',
        date: 'Tue, 01 Dec 2026 00:00:00 GMT',
        ETag: '"v1"',
        expires: 'Wed, 02 Dec 2026 00:00:00 GMT',
        vary: 'accept',
        'content-type': 'text/plain',
        'content-length': '5',
      },
      body: 'hello',
    }
    expect(hitResponse(full, 2, 'x-c', 'HIT', true)).toEqual({
      statusCode: 304,
      headers: {
        'cache-control': 'max-age=60',
        'content-location': '/a',
        date: 'Tue, 01 Dec 2026 00:00:00 GMT',
        etag: '"v1"',
        expires: 'Wed, 02 Dec 2026 00:00:00 GMT',
        vary: 'accept',
        age: '2',
        'x-c': 'HIT',
      },
      body: '',
    })
    expect(hitResponse(full, 2, undefined, 'HIT', true).headers).not.toHaveProperty('x-c')
  })

  it('answers 304 in multiValueHeaders for a multi-value response', () => {
    const multi = {
      statusCode: 200,
      multiValueHeaders: { etag: ['"v1"'], 'x-a': ['1'] },
      body: 'x',
    }
    expect(hitResponse(multi, 0, 'x-c', 'HIT', true)).toEqual({
      statusCode: 304,
      multiValueHeaders: { etag: ['"v1"'], age: ['0'], 'x-c': ['HIT'] },
      body: '',
    })
  })
})

describe('sameOriginTarget', () => {
  const request = (event: Bag, target = '/dir/page') =>
    ({ ...read(v2()), target, event }) as HttpRequest

  it('resolves a relative or absolute reference on the request host to a canonical target', () => {
    const http = request({ headers: { Host: 'api.example.com' } })
    expect(sameOriginTarget('other?b=2&a=1', http)).toBe('/dir/other?a=1&b=2')
    expect(sameOriginTarget(' /x ', http)).toBe('/x')
    expect(sameOriginTarget('https://api.example.com/y?', http)).toBe('/y')
    expect(sameOriginTarget('https://API.example.com/y?q', http)).toBe('/y?q')
    expect(sameOriginTarget('https://other.example.com/y', http)).toBeUndefined()
    expect(sameOriginTarget('https://api.example.com:8443/y', http)).toBeUndefined()
    expect(sameOriginTarget('http://[::1', http)).toBeUndefined()
  })

  it('takes the host from requestContext.domainName without a Host header, else localhost', () => {
    const byDomain = request({ requestContext: { domainName: 'd.example.com' } })
    expect(sameOriginTarget('https://d.example.com/z', byDomain)).toBe('/z')
    expect(sameOriginTarget('https://localhost/z', byDomain)).toBeUndefined()
    const neither = request({ requestContext: { domainName: 5 } })
    expect(sameOriginTarget('https://localhost/z', neither)).toBe('/z')
    expect(sameOriginTarget('https://localhost/z', request({}))).toBe('/z')
  })

  it('is undefined when the request host cannot make a URL', () => {
    expect(sameOriginTarget('/x', request({ headers: { host: 'bad host' } }))).toBeUndefined()
  })
})

describe('withoutConnectionFields', () => {
  it('is the response itself without Connection', () => {
    const response = { statusCode: 200, headers: { a: '1' } }
    expect(withoutConnectionFields(response)).toBe(response)
  })

  it('drops Connection and the fields it lists, in either map, whatever their case', () => {
    const response = {
      statusCode: 200,
      headers: { Connection: 'X-Hop , keep-alive', 'x-hop': '1', 'Keep-Alive': 't=5', a: '1' },
      multiValueHeaders: { 'X-HOP': ['1'], b: ['2'] },
      body: 'x',
    }
    expect(withoutConnectionFields(response)).toEqual({
      statusCode: 200,
      headers: { a: '1' },
      multiValueHeaders: { b: ['2'] },
      body: 'x',
    })
    expect(response.headers).toHaveProperty('Connection')
  })

  it('leaves a map that is not an object alone', () => {
    const response = {
      statusCode: 200,
      headers: { connection: 'close', a: '1' },
      multiValueHeaders: null,
    }
    expect(withoutConnectionFields(response)).toEqual({
      statusCode: 200,
      headers: { a: '1' },
      multiValueHeaders: null,
    })
  })
})
