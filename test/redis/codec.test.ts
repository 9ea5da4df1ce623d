/**
 * The entry encoding, without a server: every entry survives a round trip, and
 * the decoder reads anything else (random bytes, a truncated or extended
 * record, a flipped byte) as a miss, never a throw.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeEntry,
  encodeEntry,
  KIND_HTTP,
  KIND_PLAIN,
  KIND_VARY,
  type SharedEntry,
} from '../../src/redis/codec.js'

const json = fc.jsonValue({ maxDepth: 3 })
const time = fc.integer({ min: 0, max: 4_102_444_800_000 })

const entry: fc.Arbitrary<SharedEntry> = fc
  .oneof(
    fc.record({
      kind: fc.constant(KIND_PLAIN),
      value: json,
      shareable: fc.constant(false),
      etag: fc.constant(undefined),
      vary: fc.constant(undefined),
    }),
    fc.record({
      kind: fc.constant(KIND_HTTP),
      value: fc.record({
        statusCode: fc.integer({ min: 100, max: 599 }),
        headers: fc.dictionary(fc.string(), fc.string()),
        body: fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })),
      }),
      shareable: fc.boolean(),
      etag: fc.option(fc.string({ unit: 'grapheme' }), { nil: undefined }),
      vary: fc.constant(undefined),
    }),
    fc.record({
      kind: fc.constant(KIND_VARY),
      value: fc.constant(undefined),
      shareable: fc.constant(false),
      etag: fc.constant(undefined),
      vary: fc.array(fc.string({ minLength: 1 }), { maxLength: 5 }),
    }),
  )
  .chain((partial) =>
    fc
      .tuple(time, fc.integer({ min: 0, max: 86_400_000 }))
      .map(
        ([storedAt, ttl]) => ({ ...partial, storedAt, expiresAt: storedAt + ttl }) as SharedEntry,
      ),
  )

/** What JSON makes of a value (undefined members dropped, -0 as 0): what Lambda would send. */
const asSent = (value: unknown): unknown =>
  value === undefined ? undefined : JSON.parse(JSON.stringify(value))

describe('entry codec', () => {
  it('round-trips every entry', () => {
    fc.assert(
      fc.property(entry, (original) => {
        const bytes = encodeEntry(original, Number.POSITIVE_INFINITY)
        expect(Buffer.isBuffer(bytes)).toBe(true)
        const decoded = decodeEntry(bytes)
        expect(decoded).toEqual({ ...original, value: asSent(original.value) })
      }),
    )
  })

  it('keeps a response’s key order when its body travels apart', () => {
    const value = { statusCode: 200, body: '{"a":"b"}', headers: { x: '1' } }
    const bytes = encodeEntry(
      {
        kind: KIND_HTTP,
        value,
        storedAt: 1,
        expiresAt: 2,
        shareable: false,
        etag: undefined,
        vary: undefined,
      },
      1e6,
    ) as Buffer
    expect(Object.keys(decodeEntry(bytes)?.value as object)).toEqual([
      'statusCode',
      'body',
      'headers',
    ])
    // The JSON body is stored unescaped.
    expect(bytes.includes('{"a":"b"}')).toBe(true)
  })

  it('refuses an entry over the size limit, counting every encoded byte', () => {
    const make = (body: string): SharedEntry => ({
      kind: KIND_HTTP,
      value: { statusCode: 200, body },
      storedAt: 1,
      expiresAt: 2,
      shareable: false,
      etag: undefined,
      vary: undefined,
    })
    const size = (encodeEntry(make('é'.repeat(100)), 1e6) as Buffer).length
    expect(encodeEntry(make('é'.repeat(100)), size)).toBeInstanceOf(Buffer)
    expect(encodeEntry(make('é'.repeat(100)), size - 1)).toBe('too-large')
  })

  it('reads random bytes as a miss, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const buffer = Buffer.from(bytes)
        if (buffer.length > 1) {
          buffer[0] = 0x6f
          buffer[1] = 1
        }
        expect(() => decodeEntry(buffer)).not.toThrow()
      }),
      { numRuns: 2_000 },
    )
    expect(decodeEntry('a string')).toBeUndefined()
    expect(decodeEntry(42)).toBeUndefined()
    expect(decodeEntry(null)).toBeUndefined()
  })

  it('reads a truncated, extended or altered record as a miss', () => {
    fc.assert(
      fc.property(entry, fc.nat(), fc.integer({ min: 1, max: 255 }), (original, at, flip) => {
        const bytes = encodeEntry(original, Number.POSITIVE_INFINITY) as Buffer
        const cut = 1 + (at % bytes.length)
        expect(decodeEntry(bytes.subarray(0, bytes.length - cut))).toBeUndefined()
        expect(decodeEntry(Buffer.concat([bytes, Buffer.from([flip])]))).toBeUndefined()
        const header = Buffer.from(bytes)
        const position = at % 4
        header[position] = ((header[position] as number) ^ flip) & 0xff
        const altered = decodeEntry(header)
        // The magic, version, kind and flags bytes: any change is refused, or reads as another valid layout.
        if (position < 2) expect(altered).toBeUndefined()
      }),
    )
  })
})
