/**
 * An HTTP API (v2) handler behind orcCache with a shared tier on Redis: the
 * node-redis client is created and connected at module scope (during the
 * runtime's init), as a user would. `REDIS_PORT` and `ORC_CACHE_REDIS_PREFIX`
 * come from the function's configuration. `POST /_stats` (an unsafe method) bypasses the cache.
 */
import middy from '@middy/core'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda'
import { createClient } from 'redis'
import { orcCache } from '../../../src/cache/index.js'
import { redisStore } from '../../../src/redis/index.js'

const client = createClient({
  socket: { host: '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) },
})
client.on('error', () => {})
await client.connect()

let backingCalls = 0

const cache = orcCache<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>({
  shared: redisStore(client),
  onEvent: (type, key) => console.log(`cache ${type} ${key ?? '-'}`),
})

export const handler = middy<
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Error,
  Context
>()
  .use(cache)
  .handler(async (event) => {
    if (event.rawPath === '/_stats') {
      return {
        statusCode: 200,
        body: JSON.stringify({ stats: cache.stats(), backingCalls, pid: process.pid }),
      }
    }
    backingCalls++
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60' },
      body: JSON.stringify({ path: event.rawPath, pid: process.pid, backingCall: backingCalls }),
    }
  })
