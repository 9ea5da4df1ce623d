/**
 * Example: a lookup keyed by fields of the event, for a function invoked
 * directly (SDK `Invoke`, Step Functions task, another service):
 *
 *   { "customerId": "c-42", "region": "eu" }  ->  the customer's tier and limits
 *
 * The key `customerId,region` is two plain property paths, compiled once into
 * property reads; the pair is joined so that no two different pairs collide.
 * An event without `customerId` bypasses the cache.
 *
 * In your project, import from 'middy-orc' instead of the relative path.
 */
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { orcCache } from '../src/index.js'

export interface LookupEvent {
  customerId?: string
  region?: string
}

export interface CustomerTier {
  customerId: string
  region: string
  tier: 'gold' | 'silver' | 'bronze'
  requestsPerMinute: number
  /** Which call to the backing service produced this answer (shows hits). */
  fetchedBy: number
}

let backendCalls = 0

/** Stands in for a remote service (DynamoDB, an internal API). */
const fetchTier = async (customerId: string, region: string): Promise<CustomerTier> => {
  backendCalls++
  const fetchedBy = backendCalls
  await new Promise((resolve) => setTimeout(resolve, 40))
  const tier = customerId.endsWith('7') ? 'gold' : customerId.length % 2 ? 'silver' : 'bronze'
  const requestsPerMinute = { gold: 6_000, silver: 1_200, bronze: 300 }[tier]
  return { customerId, region, tier, requestsPerMinute, fetchedBy }
}

export const cache = orcCache<LookupEvent, CustomerTier>({
  key: 'customerId,region',
  // Tiers change rarely; five minutes of staleness is acceptable here.
  // (An explicit option wins over the ORC_CACHE_TTL environment variable.)
  ttl: 5 * 60_000,
  maxEntries: 5_000,
})

export const handler = middy<LookupEvent, CustomerTier, Error, Context>()
  .use(cache)
  .handler(async (event) => {
    if (!event.customerId) throw new TypeError('customerId is required')
    return fetchTier(event.customerId, event.region ?? 'eu')
  })
