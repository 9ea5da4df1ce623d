/**
 * Example: a GET API behind API Gateway v2 (HTTP API), with orcCache.
 *
 *   GET  /products/{id}        a product (cached for a minute)
 *   GET  /products/{id}/price  its price in ?currency= (cached per currency)
 *   GET  /me                   the caller's profile: private, marked no-store, never cached
 *   GET  /catalogue            the whole catalogue: too big to be worth caching
 *   POST /products/{id}        not a GET: bypasses the cache
 *
 * In your project, import from 'middy-orc' instead of the relative path.
 */
import middy from '@middy/core'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda'
import { orcCache } from '../src/index.js'

type Event = APIGatewayProxyEventV2
type Result = APIGatewayProxyStructuredResultV2

/** Stands in for a database: a little slow, as a real one is. */
const PRODUCTS: Record<string, { name: string; price: number }> = {
  '1': { name: 'Orc-proof lunchbox', price: 12.5 },
  '2': { name: 'Occasionally reliable umbrella', price: 30 },
}
const RATES: Record<string, number> = { EUR: 1, USD: 1.08, GBP: 0.86 }
const DB_LATENCY_MS = Number(process.env.EXAMPLE_DB_LATENCY_MS ?? 60)
const db = async <T>(read: () => T): Promise<T> => {
  await new Promise((resolve) => setTimeout(resolve, DB_LATENCY_MS))
  return read()
}

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): Result => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})

/**
 * Module level: one cache per execution environment, shared by its invocations.
 * For API Gateway events the HTTP rules apply by default: GET/HEAD only, keyed
 * by method, path and query string (parameter order ignored), only 2xx stored,
 * `Cache-Control: private | no-store` respected, authenticated callers keyed by
 * their own principal, `x-orc-cache: HIT | MISS` and `Age` on the answers.
 */
export const cache = orcCache<Event, Result>({
  ttl: 60_000,
  // A single entry may use at most 64 KiB: one huge page cannot flush the rest.
  maxEntryBytes: 64 * 1024,
  // Cache events are cheap to count; here they go to the debug log
  // (AWS_LAMBDA_LOG_LEVEL=INFO hides them in production).
  onEvent: (type) => console.debug(`orcCache ${type}`),
})

const route = async (event: Event): Promise<Result> => {
  const method = event.requestContext.http.method
  const [, first, id, sub] = event.rawPath.split('/')
  if (first === 'products' && id !== undefined) {
    if (method === 'POST') return json(202, { accepted: id })
    const product = await db(() => PRODUCTS[id])
    if (!product) return json(404, { message: `no product ${id}` })
    if (sub === 'price') {
      const currency = (event.queryStringParameters?.currency ?? 'EUR').toUpperCase()
      const rate = RATES[currency]
      if (rate === undefined) return json(400, { message: `unknown currency ${currency}` })
      return json(200, { id, currency, price: Math.round(product.price * rate * 100) / 100 })
    }
    return json(200, { id, ...product })
  }
  if (first === 'me') {
    const { authorizer } = event.requestContext as {
      authorizer?: { jwt?: { claims?: Record<string, unknown> } }
    }
    const sub = authorizer?.jwt?.claims?.sub
    const user = typeof sub === 'string' ? sub : 'anonymous'
    return json(200, { user, basket: [] }, { 'cache-control': 'private, no-store' })
  }
  if (first === 'catalogue') {
    const items = await db(() =>
      Array.from({ length: 2_000 }, (_, i) => ({ sku: `SKU-${i}`, name: `item ${i}` })),
    )
    return json(200, { items })
  }
  return json(404, { message: 'not found' })
}

export const handler = middy<Event, Result, Error, Context>().use(cache).handler(route)
