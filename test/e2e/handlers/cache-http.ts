/**
 * An HTTP API (API Gateway v2 payload) behind orcCache. GET requests are cached
 * by path and query string; other methods and `/_stats` bypass the cache. The
 * `x-delay-ms` header (not part of the key) slows the backend down so that
 * requests overlap in multi-concurrent mode.
 */
import middy from '@middy/core'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda'
import { orcCache } from '../../../src/index.js'

let backingCalls = 0

const cache = orcCache<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>({
  key: (event) =>
    event.requestContext.http.method === 'GET' && !event.rawPath.startsWith('/_')
      ? `${event.rawPath}?${event.rawQueryString}`
      : undefined,
  ttl: 60_000,
  onEvent: (type, key) => console.log(`cache ${type} ${key ?? '-'}`),
})

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

export const handler = middy<
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Error,
  Context
>()
  .use(cache)
  .handler(async (event) => {
    if (event.rawPath === '/_stats') return json(200, { stats: cache.stats(), backingCalls })
    backingCalls++
    const call = backingCalls
    const delay = Number(event.headers['x-delay-ms'] ?? 0)
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
    const match = /^\/items\/([\w-]+)$/.exec(event.rawPath)
    if (!match) return json(404, { message: 'not found', backingCall: call })
    return json(200, {
      id: match[1],
      query: event.queryStringParameters ?? {},
      method: event.requestContext.http.method,
      backingCall: call,
    })
  })
