/**
 * The orcCache benchmark cases and targets, run by ../cache.mjs.
 *
 * To add a case, add an entry to `cacheCases` (see runner.mjs for the shape:
 * `{ id, label, setup }`, where `setup` returns `{ run(i), check() }`) and, if
 * it has a target, one to `cacheTargets` (`ratioTarget`, `speedupTarget`,
 * `overheadTarget` from runner.mjs).
 *
 * Every case answers one invocation per `run(i)`, with the same Lambda context.
 * The plain cases (issue 2) use AWS's API Gateway v1 sample keyed on
 * `pathParameters.id` with `http: false`, so they measure the core cache;
 * the HTTP case (issue 3) uses the API Gateway v2 sample with the defaults
 * (HTTP rules on, keyed by method and path, `Age` and `x-orc-cache` added).
 */

import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency'
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware'
import middy from '@middy/core'
import { LRUCache } from 'lru-cache'
import { orcCache } from '../../dist/cache/index.js'
import { httpResponder, lambdaContext, loadEvent, objectResponder } from './aws.mjs'
import { MemoryPersistenceLayer } from './powertools-store.mjs'
import { overheadTarget, ratioTarget, speedupTarget } from './runner.mjs'

/**
 * How many distinct keys the hit cases cycle through (all stored beforehand).
 * The hit cases reuse these event objects, so V8 has already hashed their key
 * strings; a freshly parsed event (as Lambda delivers) costs about 10-15 ns more
 * per lookup to hash its key (measured apart: lru-cache get, fresh vs seen string).
 */
export const HOT_KEYS = 64
/** Distinct keys the miss cases cycle through: far more than the cache holds, so every call misses. */
const COLD_KEYS = 1 << 17

export const context = lambdaContext()

/** `count` copies of the API Gateway v1 sample, item ids `item-0`..., ready to reuse. */
export const apiGatewayEvents = (count, prefix = 'item-') => {
  const template = loadEvent('apigw-request')
  return Array.from({ length: count }, (_, i) => {
    const event = structuredClone(template)
    event.pathParameters = { ...event.pathParameters, id: `${prefix}${i}` }
    return event
  })
}

/**
 * One event whose `pathParameters.id` changes on every call (a new key each
 * time, from a pre-built list so that no string is built inside the timed loop).
 */
const coldEvent = (prefix) => {
  const [event] = apiGatewayEvents(1)
  const ids = Array.from({ length: COLD_KEYS }, (_, i) => `${prefix}${i}`)
  return (i) => {
    event.pathParameters.id = ids[i % COLD_KEYS]
    return event
  }
}

/** Handlers build a fresh ~1 KB result each call (JSON of an HTTP response, or an object). */
const httpResponse = httpResponder(1024)
const objectResponse = objectResponder(1024)

/** A logger that remembers warnings: a benchmark case must not be failing open. */
const recordingLogger = () => {
  const warnings = []
  return { warnings, warn: (message) => warnings.push(message) }
}

const expect = (condition, message) => {
  if (!condition) throw new Error(`benchmark case is not measuring what it claims: ${message}`)
}

/** A miss case: distinct keys, every call misses, runs the handler and stores ~1 KB. */
const missCase = (id, label, respond) => ({
  id,
  label,
  setup: async () => {
    const logger = recordingLogger()
    const cache = orcCache({ key: 'pathParameters.id', http: false, logger })
    const handler = middy(async () => respond()).use(cache)
    const eventFor = coldEvent(`${id}-`)
    return {
      run: (i) => handler(eventFor(i), context),
      check: async () => {
        const stats = cache.stats()
        expect(stats.hits === 0, `${id} hit ${stats.hits} times`)
        expect(
          stats.stores === stats.misses,
          `${id} stored ${stats.stores} of ${stats.misses} misses`,
        )
        expect(logger.warnings.length === 0, `${id} warned: ${logger.warnings[0]}`)
      },
    }
  },
})

/** A bare Middy handler (no middleware) building the same result as a miss case. */
const bareCase = (id, label, respond) => ({
  id,
  label,
  setup: async () => {
    const handler = middy(async () => respond())
    const eventFor = coldEvent(`${id}-`)
    return { run: (i) => handler(eventFor(i), context) }
  },
})

export const cacheCases = [
  bareCase('bare-http', 'bare Middy handler, 1 KB HTTP response', httpResponse),
  bareCase('bare-object', 'bare Middy handler, 1 KB object (fresh)', objectResponse),
  {
    id: 'floor',
    label: 'floor: one `before` returning a constant',
    setup: async () => {
      let calls = 0
      const constant = httpResponse()
      const handler = middy(async () => {
        calls++
        return constant
      }).use({
        before: function floorBefore() {
          return constant
        },
      })
      const events = apiGatewayEvents(HOT_KEYS)
      return {
        run: (i) => handler(events[i & (HOT_KEYS - 1)], context),
        check: async () => expect(calls === 0, 'the floor handler ran'),
      }
    },
  },
  {
    id: 'hit',
    label: 'orcCache hit (plain)',
    setup: async () => {
      let calls = 0
      const logger = recordingLogger()
      const cache = orcCache({ key: 'pathParameters.id', http: false, logger })
      const handler = middy(async () => {
        calls++
        return httpResponse()
      }).use(cache)
      const events = apiGatewayEvents(HOT_KEYS)
      for (const event of events) await handler(event, context)
      return {
        run: (i) => handler(events[i & (HOT_KEYS - 1)], context),
        check: async () => {
          expect(calls === HOT_KEYS, `the handler ran ${calls - HOT_KEYS} times after priming`)
          expect(cache.stats().misses === HOT_KEYS, 'orcCache missed after priming')
          const hit = await handler(events[1], context)
          expect(hit.body === httpResponse().body, 'orcCache hit returned another response')
          expect(logger.warnings.length === 0, `orcCache warned: ${logger.warnings[0]}`)
        },
      }
    },
  },
  {
    id: 'http-hit-v2',
    label: 'orcCache HTTP hit (API GW v2, Age + header)',
    setup: async () => {
      let calls = 0
      const logger = recordingLogger()
      const cache = orcCache({ logger })
      const handler = middy(async () => {
        calls++
        return httpResponse()
      }).use(cache)
      const template = loadEvent('apigw-v2-request-no-authorizer')
      const events = Array.from({ length: HOT_KEYS }, (_, i) => {
        const event = structuredClone(template)
        event.rawPath = `/items/item-${i}`
        event.requestContext.http.path = event.rawPath
        return event
      })
      for (const event of events) await handler(event, context)
      return {
        run: (i) => handler(events[i & (HOT_KEYS - 1)], context),
        check: async () => {
          expect(calls === HOT_KEYS, `the handler ran ${calls - HOT_KEYS} times after priming`)
          expect(cache.stats().misses === HOT_KEYS, 'orcCache missed after priming')
          const hit = await handler(events[1], context)
          expect(hit.body === httpResponse().body, 'orcCache HTTP hit returned another response')
          expect(hit.headers?.age !== undefined, 'orcCache HTTP hit has no Age header')
          expect(logger.warnings.length === 0, `orcCache warned: ${logger.warnings[0]}`)
        },
      }
    },
  },
  missCase('miss-http', 'orcCache miss, 1 KB HTTP response', httpResponse),
  missCase('miss-object', 'orcCache miss, 1 KB object (20 nodes, 59 leaves)', objectResponse),
  {
    id: 'powertools-hit',
    label: 'Powertools idempotency local-cache hit',
    setup: async () => {
      let calls = 0
      const persistenceStore = new MemoryPersistenceLayer()
      const config = new IdempotencyConfig({
        useLocalCache: true,
        eventKeyJmesPath: 'pathParameters.id',
      })
      const handler = middy(async () => {
        calls++
        return httpResponse()
      }).use(makeHandlerIdempotent({ persistenceStore, config }))
      const events = apiGatewayEvents(HOT_KEYS)
      for (const event of events) await handler(event, context)
      const primed = { ...persistenceStore.calls }
      return {
        run: (i) => handler(events[i & (HOT_KEYS - 1)], context),
        check: async () => {
          expect(
            calls === HOT_KEYS,
            `the Powertools handler ran ${calls - HOT_KEYS} times after priming`,
          )
          const now = persistenceStore.calls
          expect(
            now.get === primed.get && now.put === primed.put && now.update === primed.update,
            'Powertools hits reached the persistence layer (not local-cache hits)',
          )
          const hit = await handler(events[1], context)
          expect(hit.body === httpResponse().body, 'Powertools hit returned another response')
        },
      }
    },
  },
  {
    id: 'lru-get',
    label: 'raw lru-cache get (sync, no Middy)',
    setup: async () => {
      const lru = new LRUCache({ max: 10_000 })
      const keys = Array.from({ length: HOT_KEYS }, (_, i) => `item-${i}`)
      const value = httpResponse()
      for (const key of keys) lru.set(key, { value, expiresAt: Infinity })
      return {
        sync: true,
        run: (i) => lru.get(keys[i & (HOT_KEYS - 1)]),
        check: async () => expect(lru.get('item-3')?.value === value, 'lru-cache get missed'),
      }
    },
  },
]

export const cacheTargets = [
  ratioTarget('hit', 'floor', 2, 'orcCache hit ≤ 2× floor'),
  ratioTarget('http-hit-v2', 'floor', 3, 'HTTP hit (API GW v2) ≤ 3× floor'),
  speedupTarget(
    'hit',
    'powertools-hit',
    50,
    'orcCache hit ≥ 50× faster than Powertools local-cache hit',
  ),
  overheadTarget('miss-http', 'bare-http', 3000, 'miss (1 KB HTTP response) adds ≤ 3 µs to bare'),
  overheadTarget('miss-object', 'bare-object', 3000, 'miss (1 KB object) adds ≤ 3 µs to bare'),
]
