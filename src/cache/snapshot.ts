/**
 * Taking a safe copy of a response before it is shared between invocations.
 *
 * A cached value is handed to every later caller, so it must be detached from
 * the handler's own objects and immutable: `snapshot()` copies the response into
 * fresh plain data and measures it in the same pass; `deepFreeze()` freezes such
 * a copy before it is first handed out (the cache does that on an entry's first
 * hit, so a miss does not pay for freezing an entry nobody reads).
 *
 * What is stored is what Lambda would send: the runtime serialises a response
 * with `JSON.stringify`, so a value with a `toJSON()` method (a `Date`, a
 * `Buffer`) is stored as the result of that method. What JSON cannot carry
 * faithfully is refused rather than silently changed: functions, symbols,
 * BigInt, class instances without `toJSON`, `Map`/`Set`, cycles, and nesting
 * deeper than {@link MAX_DEPTH}. A refused response is simply not cached.
 */
import { errorName } from '../shared/log-once.js'

/** Deepest nesting a response may have to be cached. */
export const MAX_DEPTH = 64

/** Approximate V8 heap costs in bytes, used to keep the cache inside its bound. */
const OBJECT_BYTES = 32
const ARRAY_BYTES = 32
const SLOT_BYTES = 8
const PROPERTY_BYTES = 16
const STRING_HEADER_BYTES = 16
const NUMBER_BYTES = 16

const TWO_BYTE = /[\u0100-\uffff]/

/** The result of {@link snapshot}: either a frozen copy and its size, or why it was refused. */
export type Snapshot =
  | { readonly ok: true; readonly value: unknown; readonly bytes: number }
  | { readonly ok: false; readonly reason: string; readonly path: string }

/** Why a value cannot be cached; `segments` is filled in on the way out (no path work on success). */
class Refusal {
  readonly segments: Array<string | number> = []
  constructor(readonly reason: string) {}
}

/** Property names shown in a path; any other name (it may be data: an email, a token) is `[…]`. */
const PLAIN_NAME = /^[A-Za-z_$][\w$-]{0,39}$/

/** `body.items[3]`, for a log line: indexes and plain names only, never a name that may be data. */
const formatPath = (segments: ReadonlyArray<string | number>): string =>
  segments.reduce<string>((path, segment) => {
    if (typeof segment === 'number') return `${path}[${segment}]`
    if (!PLAIN_NAME.test(segment)) return `${path}[…]`
    return path === '' ? segment : `${path}.${segment}`
  }, '')

/** Below this length a string is counted at two bytes a character without scanning it. */
const SCAN_FROM = 64

/**
 * Estimated heap size of a string: V8 keeps Latin-1 strings at one byte a
 * character. Short strings are counted at two bytes a character (an
 * overestimate, so the bound still holds) rather than scanned.
 */
export const stringBytes = (value: string): number =>
  STRING_HEADER_BYTES +
  (value.length < SCAN_FROM || TWO_BYTE.test(value) ? value.length * 2 : value.length)

const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

const describeKind = (value: object): string => {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name
  return typeof name === 'string' && name !== '' ? `a ${name} instance` : 'an exotic object'
}

/**
 * Copies `value` into fresh plain data and measures it, or explains why it
 * cannot be cached. Never throws. Nothing else holds the copy, so it stays
 * unchanged until {@link deepFreeze} seals it.
 */
export const snapshot = (value: unknown): Snapshot => {
  /** The objects being copied, outermost first: at most MAX_DEPTH, so a scan is cheap. */
  // Stryker disable next-line ArrayDeclaration: an object is never equal to a placeholder string
  const ancestors: object[] = []
  let bytes = 0

  const copy = (input: unknown, key: string | number, depth: number): unknown => {
    let current = input
    if (
      current !== null &&
      typeof current === 'object' &&
      typeof (current as { toJSON?: unknown }).toJSON === 'function'
    ) {
      current = (current as { toJSON(key: string): unknown }).toJSON(String(key))
    }
    switch (typeof current) {
      case 'string':
        bytes += stringBytes(current)
        return current
      case 'number':
        bytes += NUMBER_BYTES
        return current
      case 'boolean':
      case 'undefined':
        bytes += SLOT_BYTES
        return current
      case 'bigint':
        throw new Refusal('a BigInt')
      case 'symbol':
        throw new Refusal('a symbol')
      case 'function':
        throw new Refusal('a function')
    }
    if (current === null) {
      bytes += SLOT_BYTES
      return null
    }
    const object = current as object
    if (depth >= MAX_DEPTH) throw new Refusal(`nesting deeper than ${MAX_DEPTH}`)
    if (ancestors.includes(object)) throw new Refusal('a cycle')
    ancestors.push(object)
    let out: unknown
    let at: string | number = 0
    try {
      if (Array.isArray(object)) {
        const length = object.length
        // Stryker disable next-line ArrayDeclaration: the loop fills every index either way; the length only presizes it
        const array = new Array<unknown>(length)
        bytes += ARRAY_BYTES + length * SLOT_BYTES
        for (; (at as number) < length; at = (at as number) + 1) {
          array[at as number] = copy(object[at as number], at, depth + 1)
        }
        out = array
      } else if (isPlainObject(object)) {
        const record: Record<string, unknown> = {}
        bytes += OBJECT_BYTES
        for (const name of Object.keys(object)) {
          at = name
          bytes += PROPERTY_BYTES + name.length
          const value = copy((object as Record<string, unknown>)[name], name, depth + 1)
          // An own "__proto__" (JSON.parse makes one) must stay data, not become the prototype.
          // Stryker disable next-line ConditionalExpression: defineProperty makes the same data property for any name; assignment is the fast path
          if (name === '__proto__') {
            Object.defineProperty(record, name, {
              value,
              enumerable: true,
              writable: true,
              configurable: true,
            })
          } else record[name] = value
        }
        out = record
      } else {
        throw new Refusal(describeKind(object))
      }
    } catch (error) {
      // A refusal from a child: name the child (an unsupported object names no child).
      if (error instanceof Refusal && (Array.isArray(object) || isPlainObject(object))) {
        error.segments.unshift(at)
      }
      throw error
    } finally {
      ancestors.pop()
    }
    return out
  }

  try {
    // Stryker disable next-line StringLiteral: the root's key is never read
    const copied = copy(value, '', 0)
    return { ok: true, value: copied, bytes }
  } catch (error) {
    if (error instanceof Refusal) {
      return { ok: false, reason: error.reason, path: formatPath(error.segments) }
    }
    return { ok: false, reason: `toJSON() threw (${errorName(error)})`, path: '' }
  }
}

/** Freezes a copy made by {@link snapshot}, all the way down (plain objects and arrays only). */
export const deepFreeze = <T>(value: T): T => {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: Object.isFrozen is true for null and every primitive; the first tests only say what is meant
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const name of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[name])
  }
  return value
}
