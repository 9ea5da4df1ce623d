/**
 * Example: orcCache in a stack with Powertools for AWS Lambda Logger.
 *
 * - The logger's middleware goes first, so every line, hits included, carries
 *   the request id and the cold-start flag.
 * - The cache reports its own warnings (a response it could not store, a key it
 *   could not compute) to the same logger: structured JSON, never the key or
 *   the response itself.
 * - `onEvent` counts hits and misses into the logger's persistent keys at debug level.
 *
 * Note: a cache hit answers early, so the `after` hooks of the middlewares
 * below it (and the handler) do not run for that invocation.
 *
 * In your project, import from 'middy-orc' instead of the relative path.
 */
import { Logger } from '@aws-lambda-powertools/logger'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { orcCache } from '../src/index.js'

export interface QuoteEvent {
  symbol?: string
}

export interface Quote {
  symbol: string
  price: number
  at: string
}

const logger = new Logger({ serviceName: 'quotes' })

const cache = orcCache<QuoteEvent, Quote>({
  key: 'symbol',
  ttl: 5_000,
  logger,
  onEvent: (type, key) => logger.debug('orcCache', { cacheEvent: type, cacheKey: key }),
})

export const handler = middy<QuoteEvent, Quote, Error, Context>()
  .use(injectLambdaContext(logger))
  .use(cache)
  .handler(async (event) => {
    const symbol = (event.symbol ?? 'ORC').toUpperCase()
    logger.info('fetching quote', { symbol })
    await new Promise((resolve) => setTimeout(resolve, 30))
    return { symbol, price: 42 + symbol.length, at: new Date().toISOString() }
  })
