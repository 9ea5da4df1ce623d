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

/** An HTTP response record with nothing else set, as the L1 would hand it over. */
const httpEntry = (value: object): SharedEntry => ({
  kind: KIND_HTTP,
  value,
  storedAt: 1,
  expiresAt: 2,
  shareable: false,
  etag: undefined,
  vary: undefined,
})

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
    const bytes = encodeEntry(httpEntry(value), 1e6) as Buffer
    expect(Object.keys(decodeEntry(bytes)?.value as object)).toEqual([
      'statusCode',
      'body',
      'headers',
    ])
    // The JSON body is stored unescaped.
    expect(bytes.includes('{"a":"b"}')).toBe(true)
  })

  it('refuses an entry over the size limit, counting every encoded byte', () => {
    const make = (body: string): SharedEntry => httpEntry({ statusCode: 200, body })
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

describe('entry codec, a response whose body travels apart', () => {
  it('reads it cut anywhere inside its body length field as a miss, never a throw', () => {
    const body = 'x'.repeat(10)
    const bytes = encodeEntry(httpEntry({ statusCode: 200, body }), 1e6) as Buffer
    // The record ends with the body's 4-byte length, then the body itself.
    const lengthAt = bytes.length - body.length - 4
    expect(bytes.readUInt32LE(lengthAt)).toBe(body.length)
    expect(decodeEntry(bytes)).toMatchObject({ value: { statusCode: 200, body } })
    for (let cut = lengthAt; cut < lengthAt + 4; cut++) {
      expect(decodeEntry(bytes.subarray(0, cut))).toBeUndefined()
    }
  })
})

describe('entry codec bounds', () => {
  const base: SharedEntry = {
    kind: KIND_PLAIN,
    value: { a: 1 },
    storedAt: 1_000,
    expiresAt: 2_000,
    shareable: false,
    etag: undefined,
    vary: undefined,
  }
  const marker = (vary: string[]): SharedEntry => ({
    ...base,
    kind: KIND_VARY,
    value: undefined,
    vary,
  })

  it('refuses a Vary marker with more than 65,535 names, or a name over 65,535 bytes', () => {
    expect(encodeEntry(marker(Array.from({ length: 65_535 }, () => 'a')), Infinity)).toBeInstanceOf(
      Buffer,
    )
    expect(encodeEntry(marker(Array.from({ length: 65_536 }, () => 'a')), Infinity)).toBe(
      'too-large',
    )
    expect(encodeEntry(marker([`${'é'.repeat(32_767)}a`]), Infinity)).toBeInstanceOf(Buffer)
    expect(encodeEntry(marker(['é'.repeat(32_768)]), Infinity)).toBe('too-large')
  })

  it('reads a record with impossible times as a miss', () => {
    const bytes = encodeEntry(base, Infinity) as Buffer
    expect(decodeEntry(bytes)).toMatchObject({ storedAt: 1_000, expiresAt: 2_000 })
    const withTimes = (storedAt: number, expiresAt: number) => {
      const copy = Buffer.from(bytes)
      copy.writeDoubleLE(storedAt, 4)
      copy.writeDoubleLE(expiresAt, 12)
      return decodeEntry(copy)
    }
    expect(withTimes(0, 0)).toBeDefined()
    expect(withTimes(-1, 2_000)).toBeUndefined()
    expect(withTimes(1_000, 999)).toBeUndefined()
    expect(withTimes(Number.NaN, 2_000)).toBeUndefined()
    expect(withTimes(1_000, Number.MAX_SAFE_INTEGER)).toBeUndefined()
  })

  it('reads an HTTP record whose value is not a response as a miss', () => {
    const bytes = encodeEntry(base, Infinity) as Buffer
    const asHttp = Buffer.from(bytes)
    asHttp[2] = KIND_HTTP
    expect(decodeEntry(asHttp)).toBeUndefined()
    const response = encodeEntry({ ...base, value: { statusCode: 200 } }, Infinity) as Buffer
    const responseAsHttp = Buffer.from(response)
    responseAsHttp[2] = KIND_HTTP
    expect(decodeEntry(responseAsHttp)).toMatchObject({
      kind: KIND_HTTP,
      value: { statusCode: 200 },
    })
  })

  it('refuses a value JSON cannot carry (a BigInt) and a generation that is not a safe count', () => {
    expect(encodeEntry({ ...base, value: { n: 1n } }, Infinity)).toBe('not-json')
    for (const gen of [-1, Number.NaN, 2 ** 53]) {
      expect(encodeEntry({ ...base, gen }, Infinity)).toBe('not-json')
    }
    expect(decodeEntry(encodeEntry({ ...base, gen: 7 }, Infinity))).toMatchObject({ gen: 7 })
  })

  it('refuses more than 65,535 tags, an empty tag, or one over 65,535 bytes', () => {
    const tagged = (tags: string[]) => encodeEntry({ ...base, tags }, Infinity)
    expect(decodeEntry(tagged(['a', 'b']))).toMatchObject({ tags: ['a', 'b'] })
    expect(tagged(Array.from({ length: 65_536 }, () => 'a'))).toBe('too-large')
    expect(tagged([''])).toBe('too-large')
    expect(tagged(['é'.repeat(32_768)])).toBe('too-large')
    // No tags at all: stored without the tags field.
    expect(decodeEntry(tagged([]))).not.toHaveProperty('tags')
  })

  it('reads a stored generation that is not a safe count, or a tags field with no tag, as a miss', () => {
    const bytes = encodeEntry(
      { ...base, value: undefined, gen: 3, tags: ['t'] },
      Infinity,
    ) as Buffer
    expect(decodeEntry(bytes)).toMatchObject({ gen: 3, tags: ['t'] })
    // The generation follows the 20-byte header (no ETag, no Vary); then the tags' count.
    for (const gen of [-1, Number.NaN, 2 ** 53]) {
      const copy = Buffer.from(bytes)
      copy.writeDoubleLE(gen, 20)
      expect(decodeEntry(copy)).toBeUndefined()
    }
    const noTags = Buffer.from(bytes.subarray(0, 30))
    noTags.writeUInt16LE(0, 28)
    expect(decodeEntry(noTags)).toBeUndefined()
  })

  it('reads a Vary marker that carries a value, or another kind that carries Vary, as a miss', () => {
    const withValue = encodeEntry({ ...marker(['accept']), value: { a: 1 } }, Infinity) as Buffer
    expect(decodeEntry(withValue)).toBeUndefined()
    const plainWithVary = encodeEntry({ ...base, vary: ['accept'] }, Infinity) as Buffer
    expect(decodeEntry(plainWithVary)).toBeUndefined()
    expect(decodeEntry(encodeEntry(marker(['accept']), Infinity))).toMatchObject({
      kind: KIND_VARY,
      vary: ['accept'],
    })
  })

  it('reads a body kept apart in anything but an HTTP response whose body is held by 0 as a miss', () => {
    const response = { statusCode: 200, headers: {}, body: '{"a":1}' }
    const bytes = encodeEntry({ ...base, kind: KIND_HTTP, value: response }, Infinity) as Buffer
    expect(decodeEntry(bytes)).toMatchObject({ kind: KIND_HTTP, value: response })
    const asPlain = Buffer.from(bytes)
    asPlain[2] = KIND_PLAIN
    expect(decodeEntry(asPlain)).toBeUndefined()
  })
})
