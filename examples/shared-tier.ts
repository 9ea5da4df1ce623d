/**
 * Example: orcCache with a shared second tier on Redis or Valkey (ElastiCache,
 * MemoryDB, or your own server). Every execution environment keeps its own
 * in-memory cache, and finds there what any other environment stored.
 *
 *   GET /products/{id}   a product (cached for a minute, in memory and in Redis)
 *
 * `REDIS_URL` names the server (default redis://127.0.0.1:6379);
 * `ORC_CACHE_REDIS_PREFIX` separates this function's keys from others'.
 * In your project, import from 'middy-orc/cache' and 'middy-orc/redis'.
 */
import middy from '@middy/core'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda'
import { createClient } from 'redis'
import { orcCache } from '../src/cache/index.js'
import { redisStore } from '../src/redis/index.js'

type Event = APIGatewayProxyEventV2
type Result = APIGatewayProxyStructuredResultV2

const PRODUCTS: Record<string, { name: string; price: number }> = {
  '1': { name: 'Orc-proof lunchbox', price: 12.5 },
  '2': { name: 'Occasionally reliable umbrella', price: 30 },
}
const DB_LATENCY_MS = Number(process.env.EXAMPLE_DB_LATENCY_MS ?? 60)

// Module level: one connection per execution environment, opened during init.
// The store never closes it; a connection dropped while the environment was
// frozen reconnects on the next command.
const client = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' })
client.on('error', () => {}) // a dead server is the store's business: it fails open
await client.connect()

export const cache = orcCache<Event, Result>({
  ttl: 60_000,
  shared: redisStore(client),
  onEvent: (type) => console.debug(`orcCache ${type}`),
})

export const handler = middy<Event, Result, Error, Context>()
  .use(cache)
  .handler(async (event) => {
    const id = /^\/products\/(\w+)$/.exec(event.rawPath)?.[1]
    const product = id === undefined ? undefined : PRODUCTS[id]
    await new Promise((resolve) => setTimeout(resolve, DB_LATENCY_MS))
    if (product === undefined) return { statusCode: 404, body: '{"message":"not found"}' }
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60' },
      body: JSON.stringify({ id, ...product, servedBy: process.pid }),
    }
  })
