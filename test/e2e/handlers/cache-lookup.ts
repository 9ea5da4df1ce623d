/**
 * An orcCache handler in front of a slow "backing store" whose call counter is
 * returned with every answer: a cached answer carries an old count.
 * `{ op: 'stats' }` has no key, so it bypasses the cache and reports its stats.
 */
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { orcCache } from '../../../src/index.js'

interface LookupEvent {
  id?: string
  op?: 'stats'
  fail?: boolean
  delayMs?: number
}

let backingCalls = 0

class LookupError extends Error {
  override name = 'LookupError'
}

const lookup = async (id: string, delayMs: number) => {
  backingCalls++
  const call = backingCalls
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
  return { id, name: `item ${id}`, backingCall: call }
}

export const cache = orcCache<LookupEvent, unknown>({
  key: 'id',
  // ttl comes from ORC_CACHE_TTL, set by the test
  onEvent: (type, key) => console.log(`cache ${type} ${key ?? '-'}`),
})

export const handler = middy<LookupEvent, unknown, Error, Context>()
  .use(cache)
  .handler(async (event) => {
    if (event.op === 'stats') return { stats: cache.stats(), backingCalls }
    if (event.fail) {
      backingCalls++
      throw new LookupError(`no item ${event.id}`)
    }
    return lookup(event.id ?? 'none', event.delayMs ?? 0)
  })
