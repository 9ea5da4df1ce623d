/**
 * The encoding of a shared entry: a compact binary record that carries what a
 * hit needs, and a strict decoder for which anything malformed is a miss.
 *
 * Layout (version 1; numbers little-endian):
 *
 * | bytes | field                                                            |
 * | ----- | ---------------------------------------------------------------- |
 * | 1     | magic `0x6f` (`o`)                                               |
 * | 1     | format version (1)                                               |
 * | 1     | kind: 0 plain result, 1 HTTP response, 2 Vary marker             |
 * | 1     | flags: 1 shareable, 2 ETag, 4 Vary, 8 value, 16 body apart,      |
 * |       | 32 generation, 64 tags                                           |
 * | 8     | storedAt, float64 (ms since the epoch)                           |
 * | 8     | expiresAt, float64 (ms since the epoch)                          |
 * | 4 + n | ETag, UTF-8 (flag 2)                                             |
 * | 2 + … | Vary: count, then each name as 2 bytes of length + UTF-8 (flag 4) |
 * | 8     | generation, float64 (flag 32; fleet-wide invalidation)            |
 * | 2 + … | tags: count, then each as 2 bytes of length + UTF-8 (flag 64)     |
 * | 4 + n | value as JSON, UTF-8 (flag 8)                                    |
 * | 4 + n | an HTTP response's string body, UTF-8, unescaped (flag 16)       |
 *
 * Nothing may follow: a record longer or shorter than its fields is refused.
 *
 * Keeping the body of an HTTP response apart spares JSON's escaping of a body
 * that is itself JSON (its quotes), both in size and in decoding time. In the
 * JSON, the body's place is held by `0`, so the response keeps its key order.
 */
import type { SharedRecord } from '../cache/tier.js'

/** A plain (non-HTTP) result. */
export const KIND_PLAIN = 0
/** An HTTP response (an object with a numeric `statusCode`). */
export const KIND_HTTP = 1
/** A marker naming the request headers the responses stored under a key vary on. */
export const KIND_VARY = 2

/**
 * What the shared tier stores for one key: what a hit needs, and nothing else. The
 * cache's own {@link SharedRecord} (a type only: this entry point loads no cache code).
 */
export type SharedEntry = SharedRecord

const MAGIC = 0x6f
const VERSION = 1
const SHAREABLE = 1
const HAS_ETAG = 2
const HAS_VARY = 4
const HAS_VALUE = 8
const BODY_APART = 16
const HAS_GEN = 32
const HAS_TAGS = 64
const KNOWN_FLAGS = SHAREABLE | HAS_ETAG | HAS_VARY | HAS_VALUE | BODY_APART | HAS_GEN | HAS_TAGS
const HEADER_BYTES = 20
const MAX_VARY = 0xffff

/** Why an entry was not encoded. */
export type EncodeRefusal = 'too-large' | 'not-json'

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)

/**
 * Encodes `entry`, or says why not: larger than `maxBytes` once encoded, or a
 * value JSON cannot carry. Never throws.
 */
export const encodeEntry = (entry: SharedEntry, maxBytes: number): Buffer | EncodeRefusal => {
  let flags = entry.shareable ? SHAREABLE : 0
  let json: string | undefined
  let body: string | undefined
  try {
    let value = entry.value
    if (
      entry.kind === KIND_HTTP &&
      isRecord(value) &&
      typeof value.body === 'string' &&
      (value.body as string & { isWellFormed(): boolean }).isWellFormed()
    ) {
      body = value.body
      value = { ...value, body: 0 }
      flags |= BODY_APART
    }
    if (value !== undefined) json = JSON.stringify(value)
  } catch {
    return 'not-json'
  }
  const etag = entry.etag
  const vary = entry.vary
  let size = HEADER_BYTES
  let etagBytes = 0
  if (etag !== undefined) {
    etagBytes = Buffer.byteLength(etag)
    size += 4 + etagBytes
    flags |= HAS_ETAG
  }
  if (vary !== undefined) {
    if (vary.length > MAX_VARY) return 'too-large'
    size += 2
    for (const name of vary) {
      const length = Buffer.byteLength(name)
      if (length > 0xffff) return 'too-large'
      size += 2 + length
    }
    flags |= HAS_VARY
  }
  const gen = entry.gen
  if (gen !== undefined) {
    if (!(gen >= 0 && gen <= Number.MAX_SAFE_INTEGER)) return 'not-json'
    size += 8
    flags |= HAS_GEN
  }
  const tags = entry.tags
  if (tags !== undefined && tags.length > 0) {
    if (tags.length > MAX_VARY) return 'too-large'
    size += 2
    for (const tag of tags) {
      const length = Buffer.byteLength(tag)
      if (length === 0 || length > 0xffff) return 'too-large'
      size += 2 + length
    }
    flags |= HAS_TAGS
  }
  let jsonBytes = 0
  if (json !== undefined) {
    jsonBytes = Buffer.byteLength(json)
    size += 4 + jsonBytes
    flags |= HAS_VALUE
  }
  const bodyBytes = body === undefined ? 0 : Buffer.byteLength(body)
  if (body !== undefined) size += 4 + bodyBytes
  if (size > maxBytes) return 'too-large'

  const out = Buffer.allocUnsafe(size)
  out[0] = MAGIC
  out[1] = VERSION
  out[2] = entry.kind
  out[3] = flags
  out.writeDoubleLE(entry.storedAt, 4)
  out.writeDoubleLE(entry.expiresAt, 12)
  let at = HEADER_BYTES
  if (etag !== undefined) {
    out.writeUInt32LE(etagBytes, at)
    at += 4 + out.write(etag, at + 4)
  }
  if (vary !== undefined) {
    out.writeUInt16LE(vary.length, at)
    at += 2
    for (const name of vary) {
      const length = out.write(name, at + 2)
      out.writeUInt16LE(length, at)
      at += 2 + length
    }
  }
  if ((flags & HAS_GEN) !== 0) {
    out.writeDoubleLE(gen as number, at)
    at += 8
  }
  if ((flags & HAS_TAGS) !== 0) {
    const list = tags as readonly string[]
    out.writeUInt16LE(list.length, at)
    at += 2
    for (const tag of list) {
      const length = out.write(tag, at + 2)
      out.writeUInt16LE(length, at)
      at += 2 + length
    }
  }
  if (json !== undefined) {
    out.writeUInt32LE(jsonBytes, at)
    at += 4 + out.write(json, at + 4)
  }
  if (body !== undefined) {
    out.writeUInt32LE(bodyBytes, at)
    out.write(body, at + 4)
  }
  return out
}

/**
 * Decodes what {@link encodeEntry} made. Anything else (another format, a
 * truncated or extended record, impossible times, a value of the wrong shape)
 * gives `undefined`: a miss, never a throw.
 */
export const decodeEntry = (bytes: unknown): SharedEntry | undefined => {
  if (!Buffer.isBuffer(bytes) || bytes.length < HEADER_BYTES) return undefined
  const kind = bytes[2] as number
  const flags = bytes[3] as number
  if (bytes[0] !== MAGIC || bytes[1] !== VERSION || kind > KIND_VARY) return undefined
  if ((flags & ~KNOWN_FLAGS) !== 0) return undefined
  const storedAt = bytes.readDoubleLE(4)
  const expiresAt = bytes.readDoubleLE(12)
  if (!(storedAt >= 0 && expiresAt >= storedAt && expiresAt < Number.MAX_SAFE_INTEGER)) {
    return undefined
  }
  const end = bytes.length
  let at = HEADER_BYTES
  let etag: string | undefined
  let vary: string[] | undefined
  let gen: number | undefined
  let tags: string[] | undefined
  /** A count-prefixed list of non-empty UTF-8 strings at `at` (Vary, tags), or undefined. */
  const readStrings = (): string[] | undefined => {
    const list = new Array<string>(bytes.readUInt16LE(at))
    at += 2
    for (let i = 0; i < list.length; i++) {
      const length = bytes.readUInt16LE(at)
      at += 2
      if (length === 0 || at + length > end) return undefined
      list[i] = bytes.toString('utf8', at, at + length)
      at += length
    }
    return list
  }
  let value: unknown
  try {
    if ((flags & HAS_ETAG) !== 0) {
      const length = bytes.readUInt32LE(at)
      at += 4
      if (at + length > end) return undefined
      etag = bytes.toString('utf8', at, at + length)
      at += length
    }
    if ((flags & HAS_VARY) !== 0) {
      vary = readStrings()
      if (vary === undefined) return undefined
    }
    if ((flags & HAS_GEN) !== 0) {
      gen = bytes.readDoubleLE(at)
      at += 8
      if (!(gen >= 0 && gen <= Number.MAX_SAFE_INTEGER)) return undefined
    }
    if ((flags & HAS_TAGS) !== 0) {
      tags = readStrings()
      if (tags === undefined || tags.length === 0) return undefined
    }
    if ((flags & HAS_VALUE) !== 0) {
      const length = bytes.readUInt32LE(at)
      at += 4
      if (at + length > end) return undefined
      value = JSON.parse(bytes.toString('utf8', at, at + length))
      at += length
    }
  } catch {
    // A length field past the end (RangeError) or JSON that does not parse.
    return undefined
  }
  if ((flags & BODY_APART) !== 0) {
    if (kind !== KIND_HTTP || !isRecord(value) || value.body !== 0) return undefined
    if (at + 4 > end) return undefined
    const length = bytes.readUInt32LE(at)
    at += 4
    if (at + length !== end) return undefined
    value.body = bytes.toString('utf8', at, end)
  } else if (at !== end) {
    return undefined
  }
  if (kind === KIND_VARY ? vary === undefined || value !== undefined : vary !== undefined) {
    return undefined
  }
  if (kind === KIND_HTTP && !(isRecord(value) && typeof value.statusCode === 'number')) {
    return undefined
  }
  const entry: { -readonly [K in keyof SharedEntry]: SharedEntry[K] } = {
    kind: kind as SharedEntry['kind'],
    value,
    storedAt,
    expiresAt,
    shareable: (flags & SHAREABLE) !== 0,
    etag,
    vary,
  }
  if (gen !== undefined) entry.gen = gen
  if (tags !== undefined) entry.tags = tags
  return entry
}
