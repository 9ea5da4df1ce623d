/**
 * Findings: what the guard reports, how a place is written, and the deduplication that
 * makes one report per place and source (with a count), not one per invocation.
 */
import type { SensitiveKind } from './sensitive.js'
import { type FoundAs, type Place, Step, type WalkRoot } from './walk.js'

/** What was found. */
export type LeakKind =
  /**
   * A value of another invocation that overlapped this one at any moment (still in flight
   * or ended since), in state at the end of this one or in its response.
   */
  | 'cross-request'
  /** Request data in a global property created after the guard was. */
  | 'new-global'
  /** Request data still reachable from container state after its invocation. */
  | 'persisted'
  /**
   * Work started by the invocation, still pending when it returned ("fire and forget"):
   * a timer or immediate, an I/O request (file operation, DNS lookup, socket connection
   * or write), an HTTP request waiting for its response, a `process.nextTick` callback.
   * It runs while the environment is frozen or during another invocation. `where` names
   * it and where it was created (`pending setTimeout (500 ms) created at index.mjs:12:5`,
   * `pending HTTP request POST api.example.com (http.request) created at ...`), followed
   * by the path to the request data it holds (its callback, arguments, an HTTP request's
   * headers and unsent body), if any (else `field` and `value` are empty).
   */
  | 'pending'

/** `critical` for cross-request data, `high` for sensitive data, `medium` otherwise. */
export type LeakSeverity = 'critical' | 'high' | 'medium'

/** One place holding request data. Every value in it is masked; none is the raw data. */
export interface LeakFinding {
  readonly severity: LeakSeverity
  readonly kind: LeakKind
  /** Where the data is, e.g. `globalThis.lastUser.email`; keys that are request data are masked. */
  readonly where: string
  /** How it is held there: as the whole value, inside a longer string, or as a key. */
  readonly as: FoundAs
  /** True inside an orcCache store (intended state: only sensitive data there is reported). */
  readonly cached: boolean
  /** The event field the data came with, e.g. `body.card.number`. */
  readonly field: string
  /** The request id of the invocation the data came with. */
  readonly requestId: string
  /** The request id of the invocation whose check found it (for `cross-request`, the other one). */
  readonly foundBy: string
  /** When it was found: at the end of `foundBy`, or at its start (proof of persistence). */
  readonly phase: 'start' | 'end'
  /** The sensitive kind of the value, if it is one. */
  readonly sensitive: SensitiveKind | undefined
  /** The value, masked: `411111******1111`, `<jwt, 187 chars>`, `fp:3f2a9c01bd`. */
  readonly value: string
  /** How many checks have seen this place hold this field's data. */
  readonly count: number
}

export { describeFinding } from './describe.js'

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

const keyText = (key: unknown, maskKey: (key: string) => string): string => {
  if (typeof key === 'string') {
    const masked = maskKey(key)
    return masked === key ? JSON.stringify(key) : masked
  }
  if (typeof key === 'number' || typeof key === 'boolean' || key === null || key === undefined) {
    return String(key)
  }
  return typeof key === 'symbol' ? String(key) : `<${typeof key}>`
}

/** Writes a place as a path from its root, masking any key that is request data. */
export const renderPlace = (at: Place, maskKey: (key: string) => string): string => {
  const parts: string[] = []
  for (let p: Place | undefined = at; p !== undefined; p = p.parent) {
    switch (p.step) {
      case Step.Root:
        parts.push((p.key as WalkRoot).label)
        break
      case Step.Property: {
        const text = keyText(p.key, maskKey)
        // Stryker disable next-line ConditionalExpression: a property key is a string or a symbol, and a symbol's text is never an identifier
        const plain = typeof p.key === 'string' && text === JSON.stringify(p.key)
        parts.push(plain && IDENTIFIER.test(p.key as string) ? `.${p.key as string}` : `[${text}]`)
        break
      }
      case Step.Index:
        parts.push(`[${p.key as number}]`)
        break
      case Step.MapValue:
        parts.push(`.get(${keyText(p.key, maskKey)})`)
        break
      case Step.MapKey:
        parts.push(`.keys()[${p.key as number}]`)
        break
      case Step.SetItem:
        parts.push(`.values()[${p.key as number}]`)
        break
      case Step.Bytes:
        parts.push('.toString()')
        break
      case Step.Private:
        parts.push(`.${String(p.key)}`)
        break
      case Step.Closure:
        parts.push(`[[closure]].${String(p.key)}`)
        break
    }
  }
  return parts.reverse().join('')
}

/** The root a place is under. */
export const rootOf = (at: Place): WalkRoot => {
  let p = at
  while (p.parent !== undefined) p = p.parent
  return p.key as WalkRoot
}

/** How many places and fields are counted; the oldest is forgotten beyond. */
const MAX_PLACES = 1_000

/**
 * Deduplicates findings by place, source field and kind. `record` returns the finding
 * to report (the first sighting, then again at 10, 100, 1000... sightings), or
 * `undefined` when this sighting is only counted. The masked value is made only for a
 * finding reported (a fingerprint is an HMAC: some µs each).
 */
export const createFindingLog = () => {
  const counts = new Map<string, number>()
  return (
    finding: Omit<LeakFinding, 'count' | 'value'>,
    value: () => string,
  ): LeakFinding | undefined => {
    const id = `${finding.kind}\u0000${finding.where}\u0000${finding.field}`
    const count = (counts.get(id) ?? 0) + 1
    if (count === 1 && counts.size >= MAX_PLACES)
      counts.delete(counts.keys().next().value as string)
    counts.set(id, count)
    return /^10*$/.test(String(count)) ? { ...finding, value: value(), count } : undefined
  }
}
