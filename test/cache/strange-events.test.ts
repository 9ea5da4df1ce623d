/**
 * A strange event never crashes the request: whatever the event holds, orcCache
 * either answers from the cache or lets the handler run (fails open).
 */
import middy from '@middy/core'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { orcCache } from '../../src/index.js'
import { type FixtureName, lambdaContext, loadEvent } from '../helpers/events.js'

const httpFixtures: FixtureName[] = [
  'apigw-request',
  'apigw-v2-request-iam',
  'apigw-v2-request-lambda-authorizer',
  'apigw-v2-request-no-authorizer',
  'alb-lambda-target-request-headers-only',
  'lambda-urls-request',
]

/** Sets `value` at a dotted path, creating objects on the way (tolerating anything there). */
const setPath = (root: Record<string, unknown>, path: string[], value: unknown): void => {
  let node: Record<string, unknown> = root
  for (const name of path.slice(0, -1)) {
    const next = node[name]
    if (next === null || typeof next !== 'object') node[name] = {}
    node = node[name] as Record<string, unknown>
  }
  node[path[path.length - 1] as string] = value
}

/** The fields an HTTP reader touches, each of which may hold anything. */
const touchedPaths = [
  ['httpMethod'],
  ['path'],
  ['version'],
  ['rawPath'],
  ['rawQueryString'],
  ['headers'],
  ['headers', 'authorization'],
  ['headers', 'Cookie'],
  ['headers', 'if-none-match'],
  ['multiValueHeaders'],
  ['multiValueHeaders', 'Authorization'],
  ['cookies'],
  ['queryStringParameters'],
  ['multiValueQueryStringParameters'],
  ['multiValueQueryStringParameters', 'a'],
  ['requestContext'],
  ['requestContext', 'http'],
  ['requestContext', 'http', 'method'],
  ['requestContext', 'authorizer'],
  ['requestContext', 'identity'],
  ['pathParameters'],
  ['pathParameters', 'id'],
  ['body'],
]

const strangeHttpEvent = fc
  .record({
    fixture: fc.constantFrom(...httpFixtures),
    changes: fc.array(fc.tuple(fc.constantFrom(...touchedPaths), fc.anything()), { maxLength: 6 }),
  })
  .map(({ fixture, changes }) => {
    const event = loadEvent<Record<string, unknown>>(fixture)
    for (const [path, value] of changes) setPath(event, path, value)
    return event
  })

const anyEvent = fc.oneof(strangeHttpEvent, fc.anything())

describe('strange events', () => {
  it.each([
    ['the HTTP default key', {}],
    ['a path key', { key: 'pathParameters.id' }],
    ['several paths', { key: 'pathParameters.id,headers.authorization' }],
    ['a JMESPath key', { key: 'powertools_json(body).id' }],
    [
      'a key function that may throw',
      { key: (event: { body: { length: number } }) => event.body.length },
    ],
  ] as const)('never crash the request, with %s', async (_label, keyOption) => {
    const warn = vi.fn()
    const cache = orcCache({ ...keyOption, logger: { warn } } as Parameters<typeof orcCache>[0])
    const handler = middy(async () => ({ statusCode: 200, body: 'ok' })).use(cache)
    await fc.assert(
      fc.asyncProperty(anyEvent, async (event) => {
        const first = await handler(event, lambdaContext())
        const second = await handler(event, lambdaContext())
        expect(first).toMatchObject({ statusCode: 200, body: 'ok' })
        expect(second).toMatchObject({ statusCode: 200, body: 'ok' })
      }),
      { numRuns: 300 },
    )
  })

  it('never crash the request on an event whose properties throw when read (a Proxy, a getter)', async () => {
    const warn = vi.fn()
    const handler = middy(async () => ({ statusCode: 200, body: 'ok' })).use(
      orcCache({ logger: { warn } }),
    )
    const hostile = new Proxy(loadEvent('apigw-v2-request-no-authorizer'), {
      get: () => {
        throw new Error('secret-value')
      },
    })
    for (let i = 0; i < 2; i++) {
      expect(await handler(hostile, lambdaContext())).toMatchObject({ statusCode: 200, body: 'ok' })
    }
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/a lookup failed/)
    expect(String(warn.mock.calls[0]?.[0])).not.toContain('secret-value')
  })
})
