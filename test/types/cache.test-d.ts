/**
 * Type tests of orcCache's public API (checked by `tsc` through vitest's typecheck
 * mode; nothing here runs). A failing expectation is a compile error in `npm test`.
 */
import middy, { type Request } from '@middy/core'
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context, SQSEvent } from 'aws-lambda'
import { describe, expectTypeOf, test } from 'vitest'
import {
  type KeyValue,
  type OrcCacheEventType,
  type OrcCacheKeyFunction,
  type OrcCacheMiddleware,
  type OrcCacheOptions,
  type OrcCacheStats,
  orcCache,
} from '../../src/cache/index.js'

type Event = APIGatewayProxyEventV2
type Result = APIGatewayProxyResultV2

describe('orcCache in a Middy stack', () => {
  test('use(orcCache()) keeps the handler event and result types', () => {
    const handler = middy<Event, Result>().use(orcCache())
    expectTypeOf(handler).parameter(0).toEqualTypeOf<Event>()
    expectTypeOf(handler).toExtend<(event: Event, context: Context) => Promise<Result>>()
    expectTypeOf(handler).not.toExtend<(event: Event, context: Context) => Promise<number>>()

    const withHandler = middy<Event, Result>()
      .use(orcCache<Event, Result>({ key: 'pathParameters.id', ttl: 1_000 }))
      .handler(async (event) => {
        expectTypeOf(event).toEqualTypeOf<Event>()
        return { statusCode: 200, body: event.rawPath }
      })
    expectTypeOf(withHandler).parameter(0).toEqualTypeOf<Event>()
    expectTypeOf(withHandler).toExtend<(event: Event, context: Context) => Promise<Result>>()
  })

  test('a middleware typed for one event cannot narrow a stack to another', () => {
    const handler = middy<Event, Result>().use(orcCache<SQSEvent>())
    // Middy intersects the middleware's event with the handler's.
    expectTypeOf(handler).parameter(0).toEqualTypeOf<SQSEvent & Event>()
  })

  test('the middleware is a MiddlewareObj with cache controls', () => {
    const cache = orcCache<Event, Result>()
    expectTypeOf(cache).toEqualTypeOf<OrcCacheMiddleware<Event, Result>>()
    expectTypeOf(cache.stats).returns.toEqualTypeOf<OrcCacheStats>()
    expectTypeOf(cache.stats()).toHaveProperty('hits').toEqualTypeOf<number>()
    expectTypeOf(cache.delete).parameter(0).toEqualTypeOf<KeyValue | readonly KeyValue[]>()
    expectTypeOf(cache.delete).returns.toEqualTypeOf<boolean>()
    expectTypeOf(cache.clear).returns.toEqualTypeOf<void>()
    expectTypeOf(cache.before).toExtend<
      ((request: Request<Event, Result, Error, Context>) => unknown) | undefined
    >()
  })
})

describe('orcCache options', () => {
  test('a key function is typed by the event and the context', () => {
    orcCache<Event>({
      key: (event, context) => {
        expectTypeOf(event).toEqualTypeOf<Event>()
        expectTypeOf(context).toEqualTypeOf<Context>()
        return event.pathParameters?.id
      },
    })
    orcCache<Event>({ key: (event) => [event.rawPath, event.queryStringParameters?.lang] })
    // @ts-expect-error: APIGatewayProxyEventV2 has no `httpMethod` (that is v1)
    orcCache<Event>({ key: (event) => event.httpMethod })
    // @ts-expect-error: a key is a string, a number, a boolean, null or undefined, not an object
    orcCache<Event>({ key: (event) => event.requestContext })
    expectTypeOf<OrcCacheKeyFunction<Event, Context>>().parameters.toEqualTypeOf<[Event, Context]>()
    expectTypeOf<OrcCacheKeyFunction<Event, Context>>().returns.toEqualTypeOf<
      KeyValue | readonly KeyValue[]
    >()
    expectTypeOf<KeyValue>().toEqualTypeOf<string | number | boolean | null | undefined>()
  })

  test('cacheable gets the result and the Middy request', () => {
    orcCache<Event, Result>({
      cacheable: (response, request) => {
        expectTypeOf(response).toEqualTypeOf<Result>()
        expectTypeOf(request).toEqualTypeOf<Request<Event, Result, Error, Context>>()
        expectTypeOf(request.event).toEqualTypeOf<Event>()
        return typeof response === 'object' && response.statusCode === 200
      },
    })
    // @ts-expect-error: cacheable answers a boolean
    orcCache<Event, Result>({ cacheable: () => 'yes' })
  })

  test('onEvent gets the event type union and the key', () => {
    orcCache({
      onEvent: (type, key) => {
        expectTypeOf(type).toEqualTypeOf<OrcCacheEventType>()
        expectTypeOf(key).toEqualTypeOf<string | undefined>()
      },
    })
    expectTypeOf<OrcCacheEventType>().toEqualTypeOf<
      'hit' | 'miss' | 'store' | 'reject' | 'bypass' | 'evict' | 'stale' | 'wait'
    >()
  })

  test('options reject wrong shapes', () => {
    // @ts-expect-error: ttl is a number of milliseconds (strings only through the environment)
    orcCache({ ttl: '5m' })
    // @ts-expect-error: not one of the two policies
    orcCache({ authenticated: 'shared' })
    // @ts-expect-error: header is a name or false, not true
    orcCache({ header: true })
    // @ts-expect-error: methods is a list
    orcCache({ methods: 'GET' })
    // @ts-expect-error: no such option
    orcCache({ tll: 1_000 })
    orcCache({ header: false, methods: ['GET'], authenticated: 'shared-when-public' })
    expectTypeOf<OrcCacheOptions>().toHaveProperty('logger')
  })
})
