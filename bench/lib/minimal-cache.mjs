/**
 * A minimal response cache for Middy (bench/startup.mjs --parts): the least code a working
 * cache needs beside lru-cache: a key from method and path, 200 responses stored with a
 * size, hits answered from `before`. No HTTP rules, no Vary, no validation: a lower bound
 * of what a cache costs at import, not a usable middleware.
 */
import { LRUCache } from 'lru-cache'

export function orcCache(options = {}) {
  const lru = new LRUCache({
    maxSize: options.maxBytes ?? 8 * 1024 * 1024,
    ttl: options.ttl ?? 60_000,
    sizeCalculation: (entry) => entry.size,
  })
  const keyOf = (event) =>
    `${event.requestContext?.http?.method ?? event.httpMethod ?? 'GET'} ${event.rawPath ?? event.path ?? ''}?${event.rawQueryString ?? ''}`
  return {
    before(request) {
      const key = keyOf(request.event)
      const hit = lru.get(key)
      if (hit !== undefined) return hit.response
      request.internal.orcKey = key
    },
    after(request) {
      const { orcKey: key } = request.internal
      const { response } = request
      if (key === undefined || response?.statusCode !== 200) return
      lru.set(key, { response, size: JSON.stringify(response).length + key.length })
    },
  }
}
