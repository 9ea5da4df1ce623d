/**
 * A bounded, side-effect-free walk over container state. It reads own data properties
 * through property descriptors, Maps and Sets through the built-in `forEach` captured here,
 * typed arrays through the built-in getters, so it never runs a getter, a Proxy trap or
 * an overridden method (the one call into other code: `entries()` of an orcCache store,
 * this package's own). It walks each object once (cycles are harmless) and stops after a
 * fixed number of nodes. Not searched: the contents of boxed primitives, Dates, RegExps,
 * Promises, WeakMaps, WeakSets, ArrayBuffers and typed arrays other than `Uint8Array`
 * (and `Buffer`), byte arrays over 64 KiB; private class fields and closures only through
 * a {@link HiddenReader} (module scope comes through a root provider).
 */
import type { types as UtilTypes } from 'node:util'
import { ORC_CACHE_BRAND } from '../shared/brand.js'
import type { NamedRoot } from './roots.js'

/** A root to walk, with what the engine needs to know about it. */
export interface WalkRoot extends NamedRoot {
  /** True for a global property that did not exist when the guard was created. */
  readonly newGlobal?: boolean
  /** True for the callback and arguments of a timer still pending (see `pending.ts`). */
  readonly pending?: boolean
}

/** How a step from a parent to a child is written in a path. */
export enum Step {
  Root,
  Property,
  Index,
  MapValue,
  MapKey,
  SetItem,
  Bytes,
  /** A private class field (`#token`), read through the inspector. */
  Private,
  /** A variable a function closes over, read through the inspector. */
  Closure,
}

/**
 * Reads what JavaScript cannot: private fields and closure variables (through the
 * inspector, see `scope/`). The walk asks for those of the class instances and functions
 * it meets, in one batch per round, and walks what comes back.
 */
export interface HiddenReader {
  /** Whether an object's private fields are worth a read (false once its class has none). */
  wantsPrivates(object: object): boolean
  /** Whether a function's closure is worth a read (false once it has no closure variables). */
  wantsClosure(fn: object): boolean
  /**
   * Private fields of `objects` and closure variables of `fns`, in order (possibly of the
   * first ones only: the walk asks again for the rest); undefined if unavailable.
   */
  read(
    objects: readonly object[],
    fns: readonly object[],
  ):
    | {
        privates: readonly (readonly (readonly [string, unknown])[])[]
        closures: readonly (readonly (readonly [string, unknown])[])[]
      }
    | undefined
}

/** A place in state: a chain of steps back to its root. Built only for matches. */
export interface Place {
  readonly parent: Place | undefined
  readonly step: Step
  /** The property key, index, Map key, or (for a root) the root. */
  readonly key: unknown
  /** True inside an orcCache store: intended container state. */
  readonly cached: boolean
}

/** How a string was found: as a whole value, inside a longer string, or as a key. */
export type FoundAs = 'value' | 'substring' | 'key'

/**
 * Called for every string and long integer met, with where it was met: under `parent`
 * by `step` and `key`. `placeOf(parent, step, key)` builds the place, only for matches.
 */
export type StringVisitor = (
  text: string | number | bigint,
  as: 'value' | 'key',
  parent: Place | undefined,
  step: Step,
  key: unknown,
) => void

/** What a walk did. */
export interface WalkStats {
  /** Nodes (values) visited. */
  visited: number
  /** True when the node budget ran out before the walk was complete. */
  truncated: boolean
  /** Proxies met and not entered. */
  proxies: number
}

const SKIPPED_FUNCTION_KEYS = new Set<PropertyKey>([
  'prototype',
  'length',
  'name',
  'caller',
  'arguments',
])
const MAX_BYTES = 65_536
/** Rounds of private fields and closures read per walk (each one nesting level deeper). */
const MAX_HIDDEN_ROUNDS = 6
/** Thrown to leave a built-in `forEach` early. */
const STOP = Symbol('stop')
const mapForEach = Map.prototype.forEach
const hasOwn = Object.hasOwn
/**
 * `Object.prototype.__lookupGetter__` (standard, Annex B): an own property's getter, else
 * the prototype chain's, found without calling it. Captured now, as the built-ins above.
 */
const lookupGetter = Reflect.get(Object.prototype, '__lookupGetter__') as (
  this: object,
  key: PropertyKey,
) => unknown
const setForEach = Set.prototype.forEach
const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object
const intrinsicGetter = (name: string) =>
  Object.getOwnPropertyDescriptor(typedArrayProto, name)?.get as (this: unknown) => unknown
const taBuffer = intrinsicGetter('buffer')
const taOffset = intrinsicGetter('byteOffset')
const taLength = intrinsicGetter('byteLength')

/**
 * `node:util`'s type checks, loaded at the first walk. A constant holder, never a
 * rebound variable: bundled with the user's code, the guard's module state must not
 * make the scope reader read the bundle's scope at every check (`scope/plan.ts`).
 */
const loaded: { types?: typeof UtilTypes } = {}

/** The place reached from `parent` by `step` and `key`. */
export const placeOf = (parent: Place | undefined, step: Step, key: unknown): Place => ({
  parent,
  step,
  key,
  cached: parent?.cached ?? false,
})

/** The method `name` of an object, found without running getters on its prototype chain. */
const methodOf = (object: object, name: string): ((...args: unknown[]) => unknown) | undefined => {
  for (let o: object | null = object; o !== null; o = Object.getPrototypeOf(o)) {
    const descriptor = Object.getOwnPropertyDescriptor(o, name)
    if (descriptor !== undefined)
      // Stryker disable next-line ConditionalExpression: applying a value that is not a function throws, inside the try that skips a hostile object
      return typeof descriptor.value === 'function' ? descriptor.value : undefined
  }
  return undefined
}

const isLongNumber = (value: unknown): value is number | bigint =>
  // Stryker disable next-line ConditionalExpression: Number.isInteger is false for anything but a number
  (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) >= 10_000_000) ||
  (typeof value === 'bigint' && (value >= 10_000_000n || value <= -10_000_000n))

/**
 * Walks `roots` breadth-first (never into a value of `platform`: the built-in globals), calling `onString` for every string of at least `minLength`
 * characters met (values, keys, the text of small byte buffers) and every integer of 8
 * digits or more, visiting at most `maxNodes` values in all, and at most a fifth of them
 * (1,000 at least) inside any one object, so that one huge array cannot hide the rest.
 */
export const walk = (
  roots: Iterable<WalkRoot>,
  onString: StringVisitor,
  maxNodes: number,
  minLength = 1,
  platform?: ReadonlySet<unknown>,
  hidden?: HiddenReader,
): WalkStats => {
  loaded.types ??= process.getBuiltinModule('node:util').types
  const types = loaded.types
  const seen = new Set<object>()
  const values: unknown[] = []
  const places: Place[] = []
  const stats: WalkStats = { visited: 0, truncated: false, proxies: 0 }
  const perObject = Math.max(1_000, Math.floor(maxNodes / 5))
  /** Class instances and functions met, whose private fields or closures to read. */
  let privateOwners: [object, Place][] = []
  let closureOwners: [object, Place][] = []
  /** What is left of the share of the object being expanded. */
  let room = Number.POSITIVE_INFINITY
  const visit = (
    text: string,
    as: 'value' | 'key',
    parent: Place | undefined,
    step: Step,
    key: unknown,
  ) => {
    if (text.length >= minLength) onString(text, as, parent, step, key)
  }

  /** Visits one value; returns false once the budget is spent. */
  const child = (value: unknown, parent: Place | undefined, step: Step, key: unknown): boolean => {
    if (stats.visited >= maxNodes || room <= 0) {
      stats.truncated = true
      return false
    }
    stats.visited++
    room--
    if (typeof value === 'string') {
      if (value.length >= minLength) onString(value, 'value', parent, step, key)
    } else if (
      (typeof value === 'object' &&
        // Stryker disable next-line ConditionalExpression: null would throw in expand, inside the try that skips a hostile object
        value !== null) ||
      typeof value === 'function'
    ) {
      const size = seen.size
      if (seen.add(value).size === size || platform?.has(value)) return true
      values.push(value)
      places.push(placeOf(parent, step, key))
    } else if (isLongNumber(value)) {
      onString(value, 'value', parent, step, key)
    }
    return true
  }

  const entries = (object: object, at: Place): void => {
    const iterate = methodOf(object, 'entries')
    // Stryker disable next-line ConditionalExpression: applying undefined throws, inside the try that skips a hostile object
    if (iterate === undefined) return
    let index = 0
    for (const entry of Reflect.apply(iterate, object, []) as Iterable<unknown>) {
      if (!Array.isArray(entry) || !child(entry[1], at, Step.MapValue, entry[0])) return
      if (typeof entry[0] === 'string') visit(entry[0], 'key', at, Step.MapValue, entry[0])
      else if (!child(entry[0], at, Step.MapKey, index)) return
      index++
    }
  }

  /** One own property, if it is a data property (a getter is never called). */
  const property = (object: object, k: string | symbol, at: Place): boolean => {
    // Listed just now by getOwnPropertyNames or getOwnPropertySymbols, and no code ran since.
    const descriptor = Object.getOwnPropertyDescriptor(object, k) as PropertyDescriptor
    if (!('value' in descriptor)) return true
    if (
      // Stryker disable next-line ConditionalExpression: a symbol has no length, and undefined >= minLength is false
      typeof k === 'string' &&
      k.length >= minLength
    ) {
      onString(k, 'key', at, Step.Property, k)
    }
    return child(descriptor.value, at, Step.Property, k)
  }

  /** Own data properties (string keys, then symbols); functions without their built-in keys. */
  const properties = (object: object, at: Place): void => {
    const isFunction = typeof object === 'function'
    if (hidden !== undefined) {
      if (isFunction) {
        if (hidden.wantsClosure(object)) closureOwners.push([object, at])
      } else if (hidden.wantsPrivates(object)) privateOwners.push([object, at])
    }
    for (const k of Object.getOwnPropertyNames(object)) {
      if (isFunction && SKIPPED_FUNCTION_KEYS.has(k)) continue
      if (!property(object, k, at)) return
    }
    for (const k of Object.getOwnPropertySymbols(object)) if (!property(object, k, at)) return
  }

  /**
   * Array elements that are own data properties (holes and getters skipped). An own index
   * with no getter is read directly: a data property, or a setter-only accessor, which
   * reads as undefined without running anything. About 40 ns an element, against 130 for
   * a property descriptor per index (the walk's largest cost over arrays of records).
   */
  const elements = (array: unknown[], at: Place): void => {
    const length = Object.getOwnPropertyDescriptor(array, 'length')?.value as number
    // Stryker disable next-line EqualityOperator: index `length` is no own index, and is skipped
    for (let i = 0; i < length; i++) {
      if (!hasOwn(array, i) || Reflect.apply(lookupGetter, array, [i]) !== undefined) continue
      if (!child(array[i], at, Step.Index, i)) return
    }
  }

  const expand = (object: object, parent: Place): void => {
    if (types.isProxy(object)) {
      stats.proxies++
      return
    }
    // The common shapes first: plain objects and arrays (orcCache brands a class instance).
    const proto = Object.getPrototypeOf(object)
    // Stryker disable next-line ConditionalExpression,LogicalOperator,BlockStatement: a fast path; a plain object reaches properties() below the same way (orcCache brands only class instances)
    if (proto === Object.prototype || proto === null) {
      properties(object, parent)
      return
    }
    if (Array.isArray(object)) {
      elements(object, parent)
      return
    }
    const cached =
      parent.cached || Object.getOwnPropertyDescriptor(object, ORC_CACHE_BRAND)?.value === true
    const at = cached === parent.cached ? parent : { ...parent, cached }
    if (types.isMap(object)) {
      let index = 0
      Reflect.apply(mapForEach, object, [
        (value: unknown, k: unknown) => {
          if (typeof k === 'string') visit(k, 'key', at, Step.MapValue, k)
          else if (!child(k, at, Step.MapKey, index)) throw STOP
          if (!child(value, at, Step.MapValue, k)) throw STOP
          index++
        },
      ])
      return
    }
    if (types.isSet(object)) {
      let index = 0
      Reflect.apply(setForEach, object, [
        (value: unknown) => {
          if (!child(value, at, Step.SetItem, index++)) throw STOP
        },
      ])
      return
    }
    if (cached && at !== parent) {
      entries(object, at)
      return
    }
    if (types.isUint8Array(object)) {
      const length = Reflect.apply(taLength, object, []) as number
      // Stryker disable next-line ConditionalExpression,EqualityOperator: the text of no bytes is '', shorter than any minLength (1 at least)
      if (length > 0 && length <= MAX_BYTES) {
        const buffer = Reflect.apply(taBuffer, object, []) as ArrayBuffer
        const offset = Reflect.apply(taOffset, object, []) as number
        const text = Buffer.from(buffer, offset, length).toString('utf8')
        visit(text, 'value', at, Step.Bytes, undefined)
      }
      return
    }
    if (
      types.isTypedArray(object) ||
      types.isAnyArrayBuffer(object) ||
      types.isBoxedPrimitive(object) ||
      types.isDataView(object) ||
      types.isDate(object) ||
      types.isRegExp(object) ||
      types.isPromise(object) ||
      types.isWeakMap(object) ||
      types.isWeakSet(object)
    ) {
      return
    }
    properties(object, at)
  }

  for (const root of roots) {
    if (!child(root.value, undefined, Step.Root, root)) break
  }
  let i = 0
  for (let round = 0; ; round++) {
    for (; i < values.length; i++) {
      room = perObject
      try {
        expand(values[i] as object, places[i] as Place)
      } catch {
        // STOP (a share spent inside a Map or Set), or a hostile object (say, a throwing
        // iterator in a branded store): go on with the next object.
      }
      values[i] = undefined
    }
    if (
      // Stryker disable next-line ConditionalExpression: without a reader no owner is ever listed, so the test after it ends the walk too
      hidden === undefined ||
      (privateOwners.length === 0 && closureOwners.length === 0)
    ) {
      break
    }
    if (stats.visited >= maxNodes || round >= MAX_HIDDEN_ROUNDS) break
    const owners = privateOwners
    const closures = closureOwners
    privateOwners = []
    closureOwners = []
    const read = hidden.read(
      owners.map(([object]) => object),
      closures.map(([fn]) => fn),
    )
    if (read === undefined) break
    const deliver = (found: readonly (readonly [string, unknown])[], at: Place, step: Step) => {
      room = perObject
      for (const [name, value] of found) if (!child(value, at, step, name)) return
    }
    // A reader may answer for the first ones only: the others wait for the next round.
    owners.forEach((owner, k) => {
      const found = read.privates[k]
      if (found === undefined) privateOwners.push(owner)
      else deliver(found, owner[1], Step.Private)
    })
    closures.forEach((owner, k) => {
      const found = read.closures[k]
      if (found === undefined) closureOwners.push(owner)
      else deliver(found, owner[1], Step.Closure)
    })
  }
  return stats
}
