/**
 * Property-based tests (fast-check) of orcCache with the real @middy/core.
 *
 * A model predicts every result: a Map of key → { value, storedAt }, where
 * `value` is the JSON form of what the handler returned. For any sequence of
 * invocations (keys from a small alphabet, missing keys included) and handler
 * outcomes (values, undefined/null, thrown errors, 2xx/4xx/5xx responses),
 * interleaved with clock advances:
 * - a hit returns exactly what was last stored for that key, never another key's
 *   entry, and the handler does not run;
 * - an expired entry is never served;
 * - a failure (a throw, a non-2xx response) is never served;
 * - a bypass (no key) always runs the handler and stores nothing.
 */
import middy from '@middy/core'
import type { APIGatewayProxyEvent } from 'aws-lambda'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { orcCache } from '../../src/cache/index.js'
import { compileKey, derivedPrefix, encodeTuple, normaliseKey } from '../../src/cache/key.js'
import { lambdaContext, loadEvent } from '../helpers/events.js'

const TTL = 1_000

afterEach(() => {
  vi.useRealTimers()
})

/** What the `pathParameters.id` of an event holds; `absent` removes it, `noParameters` nulls the object. */
type KeyChoice = string | number | null | { absent: true } | { noParameters: true }

type Outcome =
  | { type: 'object'; payload: unknown }
  | { type: 'string' }
  | { type: 'number' }
  | { type: 'undefined' }
  | { type: 'null' }
  | { type: 'throw' }
  | { type: 'status'; statusCode: number }

type Step = { kind: 'invoke'; key: KeyChoice; outcome: Outcome } | { kind: 'advance'; ms: number }

const keyChoice: fc.Arbitrary<KeyChoice> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom<KeyChoice>('a', 'b', '42', 42, '\u0001a', 'é') },
  { weight: 1, arbitrary: fc.constantFrom<KeyChoice>('', null) },
  { weight: 1, arbitrary: fc.constantFrom<KeyChoice>({ absent: true }, { noParameters: true }) },
)

const outcome: fc.Arbitrary<Outcome> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('object' as const),
      payload: fc.jsonValue({ maxDepth: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'string' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'number' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'undefined' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'null' as const }) },
  { weight: 2, arbitrary: fc.constant({ type: 'throw' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('status' as const),
      statusCode: fc.constantFrom(200, 201, 204, 299, 304, 404, 500, 502, 503, 599),
    }),
  },
)

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('invoke' as const), key: keyChoice, outcome }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      // Around the TTL on purpose: exactly at expiry, one ms either side.
      ms: fc.oneof(fc.integer({ min: 0, max: 2_500 }), fc.constantFrom(TTL - 1, TTL, TTL + 1)),
    }),
  },
)

/** The cache key the model expects, or `undefined` for a bypass (keys: strings; 42 and '42' are one). */
const modelKey = (choice: KeyChoice): string | undefined => {
  if (typeof choice === 'number') return String(choice)
  if (typeof choice === 'string') return choice === '' ? undefined : choice
  return undefined
}

/** The AWS API Gateway v1 sample, with `pathParameters.id` set as chosen. */
const template = loadEvent<APIGatewayProxyEvent>('apigw-request')
const eventFor = (choice: KeyChoice): APIGatewayProxyEvent => {
  const event = structuredClone(template)
  if (typeof choice === 'object' && choice !== null && 'noParameters' in choice) {
    event.pathParameters = null
  } else if (typeof choice === 'object' && choice !== null && 'absent' in choice) {
    event.pathParameters = { proxy: 'items' }
  } else {
    // A number is what a selector can see in a direct invocation; the cache keys it as a string.
    event.pathParameters = { proxy: 'items', id: choice as string }
  }
  return event
}

class HandlerFailure extends Error {
  override name = 'HandlerFailure'
}

/** Builds the handler's result for an outcome; `serial` makes every result unique. */
const resultFor = (outcome: Outcome, serial: number, key: string | undefined): unknown => {
  switch (outcome.type) {
    case 'object':
      return { serial, key: key ?? null, payload: outcome.payload }
    case 'string':
      return `result-${serial}`
    case 'number':
      return serial
    case 'undefined':
      return undefined
    case 'null':
      return null
    case 'throw':
      throw new HandlerFailure(`failure ${serial}`)
    case 'status':
      return { statusCode: outcome.statusCode, body: JSON.stringify({ serial, key: key ?? null }) }
  }
}

const isFailure = (outcome: Outcome): boolean =>
  outcome.type === 'throw' ||
  (outcome.type === 'status' && (outcome.statusCode < 200 || outcome.statusCode > 299))

/** The JSON form of a value (what Lambda sends); `undefined` stays `undefined`. */
const wire = (value: unknown): string | undefined => JSON.stringify(value)

interface ModelEntry {
  value: unknown
  json: string | undefined
  storedAt: number
}

const runSequence = async (steps: readonly Step[]): Promise<void> => {
  vi.useFakeTimers({ toFake: ['Date', 'performance'] })
  try {
    const warnings: string[] = []
    const cache = orcCache({
      key: 'pathParameters.id',
      http: false,
      ttl: TTL,
      logger: { warn: (message: string) => warnings.push(message) },
    })
    let current: { outcome: Outcome; serial: number; key: string | undefined } | undefined
    let handlerRuns = 0
    const handler = middy(async () => {
      handlerRuns++
      if (current === undefined) throw new Error('handler ran outside a step')
      return resultFor(current.outcome, current.serial, current.key)
    }).use(cache)

    const model = new Map<string, ModelEntry>()
    let clock = 0
    let serial = 0

    for (const s of steps) {
      if (s.kind === 'advance') {
        vi.advanceTimersByTime(s.ms)
        clock += s.ms
        continue
      }
      serial++
      const key = modelKey(s.key)
      current = { outcome: s.outcome, serial, key }
      const runsBefore = handlerRuns

      const cached = key === undefined ? undefined : model.get(key)
      const fresh = cached !== undefined && clock < cached.storedAt + TTL

      let result: unknown
      let error: unknown
      try {
        result = await handler(eventFor(s.key), lambdaContext())
      } catch (thrown) {
        error = thrown
      }

      if (fresh) {
        // A hit: exactly what was stored for this key, without running the handler.
        expect(handlerRuns, `hit on ${key} ran the handler`).toBe(runsBefore)
        expect(error).toBeUndefined()
        expect(wire(result)).toBe(cached.json)
        expect(result).toEqual(cached.value)
        if (result !== null && typeof result === 'object' && 'key' in result) {
          expect((result as { key: unknown }).key).toBe(key)
        }
        continue
      }

      // A miss or a bypass: the handler ran, and its own result (or error) came back.
      expect(handlerRuns, `miss on ${String(key)} did not run the handler`).toBe(runsBefore + 1)
      if (s.outcome.type === 'throw') {
        expect(error).toBeInstanceOf(HandlerFailure)
        expect((error as Error).message).toBe(`failure ${serial}`)
      } else {
        expect(error).toBeUndefined()
      }
      if (key === undefined) continue
      // An expired entry is gone after a miss; a failure stores nothing.
      model.delete(key)
      if (!isFailure(s.outcome)) {
        const json = wire(result)
        model.set(key, {
          // A deep copy of what the handler returned (structuredClone keeps -0, which a JSON round trip would not).
          value: structuredClone(result),
          json,
          storedAt: clock,
        })
        // The caller of a miss owns what it got: changing it must not change the entry.
        if (result !== null && typeof result === 'object' && !Object.isFrozen(result)) {
          ;(result as Record<string, unknown>).serial = -1
          ;(result as Record<string, unknown>).body = 'changed by the caller'
        }
      }
    }
    expect(warnings).toEqual([])
  } finally {
    vi.useRealTimers()
  }
}

describe('orcCache against a model (fast-check, real @middy/core)', () => {
  it('serves only the last fresh stored value of the same key; never expired entries, never failures', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), runSequence),
      { numRuns: 300 },
    )
  })

  it('holds on a sequence that stores, expires at the exact TTL and fails', async () => {
    // A fixed sequence through the same checker, so the edge cases run on every run.
    await runSequence([
      { kind: 'invoke', key: 'a', outcome: { type: 'object', payload: { n: 1 } } },
      { kind: 'invoke', key: 'a', outcome: { type: 'throw' } },
      { kind: 'advance', ms: TTL - 1 },
      { kind: 'invoke', key: 'a', outcome: { type: 'string' } },
      { kind: 'advance', ms: 1 },
      { kind: 'invoke', key: 'a', outcome: { type: 'status', statusCode: 503 } },
      { kind: 'invoke', key: 'a', outcome: { type: 'undefined' } },
      { kind: 'invoke', key: 42, outcome: { type: 'null' } },
      { kind: 'invoke', key: '42', outcome: { type: 'number' } },
      { kind: 'invoke', key: { absent: true }, outcome: { type: 'number' } },
      { kind: 'invoke', key: 'b', outcome: { type: 'status', statusCode: 200 } },
      { kind: 'invoke', key: 'b', outcome: { type: 'throw' } },
    ])
  })

  it('stores a response with an own "__proto__" key as it is', async () => {
    // JSON.parse makes "__proto__" an own data property; Lambda sends it. A
    // snapshot that assigned it would set the prototype instead, and a hit
    // would return different JSON from the miss.
    await runSequence([
      {
        kind: 'invoke',
        key: 'a',
        outcome: { type: 'object', payload: JSON.parse('{"__proto__":{"x":1},"y":2}') },
      },
      { kind: 'invoke', key: 'a', outcome: { type: 'string' } },
    ])
  })
})

describe('orcCache against the model: values JSON changes', () => {
  it('returns -0 as the handler gave it (JSON would send 0; the stored copy keeps the value)', async () => {
    await runSequence([
      { kind: 'invoke', key: 'z', outcome: { type: 'object', payload: [-0, { n: -0 }] } },
      { kind: 'invoke', key: 'z', outcome: { type: 'string' } },
    ])
  })
})

describe('keys: injective tuples, disjoint key kinds (fast-check)', () => {
  const part = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 6 }),
    fc.constantFrom('', '\u0000', '\u0001', '\u0002', 's1:', 'u', 'z', 'n1;'),
    fc.integer({ min: -1000, max: 1000 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(undefined),
    fc.constant(null),
  )
  const tuple = fc.array(part, { minLength: 1, maxLength: 4 })
  const sameTuple = (a: readonly unknown[], b: readonly unknown[]): boolean =>
    a.length === b.length && a.every((value, i) => value === b[i])
  const single = fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
    fc.constantFrom('\u0000', '\u0001x', '\u0002', '\u00003:abc'),
    fc.integer(),
    fc.boolean(),
  )

  it('gives two tuples one key only when they are the same tuple', () => {
    fc.assert(
      fc.property(tuple, tuple, (a, b) => {
        const keyA = encodeTuple(a)
        const keyB = encodeTuple(b)
        if (keyA === undefined || keyB === undefined) return
        expect(keyA === keyB).toBe(sameTuple(a, b))
      }),
      { numRuns: 2_000 },
    )
  })

  it('gives no key for a tuple whose parts are all missing', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('', undefined, null), { minLength: 1 }), (parts) => {
        expect(encodeTuple(parts)).toBeUndefined()
      }),
    )
  })

  it('never lets a single key equal a tuple key or a derived (principal, Vary) key', () => {
    fc.assert(
      fc.property(single, tuple, single, fc.string(), (value, parts, base, suffix) => {
        const singleKey = normaliseKey(value)
        const tupleKey = encodeTuple(parts)
        const baseKey = normaliseKey(base)
        if (singleKey === undefined || baseKey === undefined) return
        const derived = `${derivedPrefix(baseKey)}${suffix}`
        expect(singleKey).not.toBe(derived)
        if (tupleKey === undefined) return
        expect(singleKey).not.toBe(tupleKey)
        expect(tupleKey).not.toBe(derived)
      }),
      { numRuns: 2_000 },
    )
  })

  it('keeps distinct single strings distinct', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1 }),
        fc.string({ unit: 'binary', minLength: 1 }),
        (a, b) => {
          expect(normaliseKey(a) === normaliseKey(b)).toBe(a === b)
        },
      ),
      { numRuns: 2_000 },
    )
  })

  it('compiles comma-separated paths into the injective tuple key of the selected values', () => {
    const select = compileKey<Record<string, unknown>, unknown>(
      'pathParameters.id, queryStringParameters.lang',
    )
    const value = fc.oneof(fc.string({ maxLength: 5 }), fc.constant(undefined))
    fc.assert(
      fc.property(value, value, value, value, (idA, langA, idB, langB) => {
        const event = (id: unknown, lang: unknown) => ({
          pathParameters: id === undefined ? {} : { id },
          queryStringParameters: lang === undefined ? {} : { lang },
        })
        const keyA = select(event(idA, langA), undefined)
        const keyB = select(event(idB, langB), undefined)
        expect(keyA).toBe(encodeTuple([idA, langA]))
        if (keyA === undefined || keyB === undefined) return
        expect(keyA === keyB).toBe(idA === idB && langA === langB)
        // A multi-path key never equals the single-path key of either value.
        expect(keyA).not.toBe(compileKey('pathParameters.id')(event(idA, langA), undefined))
      }),
      { numRuns: 1_000 },
    )
  })
})
