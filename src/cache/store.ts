/**
 * Store decisions, the same for every tier: whether a response may be kept,
 * under which key, as which record (and Vary marker), and at what size.
 * {@link planStore} decides; {@link writePlan} writes a plan into a tier.
 */
import { ENTRY_OVERHEAD_BYTES, type Entry, HTTP, PLAIN, VARY, varyKey } from './entry.js'
import { type HttpRequest, withoutConnectionFields } from './http.js'
import { decideStore, type HttpRules, type StoreDecision } from './rules.js'
import { snapshot, stringBytes } from './snapshot.js'
import type { CacheTier } from './tier.js'

/** The numeric `statusCode` of an HTTP-shaped response, else `undefined`. */
export const statusOf = (response: unknown): number | undefined => {
  const status = (response as { statusCode?: unknown } | null | undefined)?.statusCode
  return typeof response === 'object' && typeof status === 'number' ? status : undefined
}

/** The default `cacheable`: any result, but an HTTP-shaped one only with a 2xx status. */
export const defaultCacheable = (response: unknown): boolean => {
  const status = statusOf(response) ?? 200
  return status >= 200 && status < 300
}

/** What a store needs to know about the request and the cache's rules. */
export interface StoreInput {
  /** Key the lookup used (principal included), before Vary. */
  readonly key: string
  /** The base key (user key or METHOD target), for a response stored for everyone. */
  readonly base: string
  readonly http: HttpRequest | undefined
  readonly response: unknown
  /** The `cacheable` option's verdict. */
  readonly allowed: boolean
  readonly rules: HttpRules
  readonly ttl: number
  readonly maxEntryBytes: number
  /** The `staleIfError` option (ms): how long an expired entry may still answer a failure. */
  readonly staleIfError: number
  readonly shareWhenPublic: boolean
  /** The cache's clock now (ms). */
  readonly at: number
  /** The fleet generation the invocation started at (0 without fleet-wide invalidation). */
  readonly gen: number
  /** The response's tags (the `tags` option), if any. */
  readonly tags: readonly string[] | undefined
}

/** A record to write, and the Vary marker to write before it. */
export interface StorePlan {
  readonly ok: true
  readonly key: string
  readonly entry: Entry
  readonly bytes: number
  /** Headers the response varies on: a marker goes under `markerKey`. */
  readonly vary: readonly string[] | undefined
  readonly markerKey: string
}

/** Why a response is not stored; `code` and `message` when the cause is worth a log line. */
export interface StoreRefusal {
  readonly ok: false
  readonly key: string
  readonly code?: string
  readonly message?: string
}

/** Decides whether and how to store a response. */
export const planStore = (input: StoreInput): StorePlan | StoreRefusal => {
  const { http, response } = input
  let key = input.key
  let decision: StoreDecision | undefined
  if (http !== undefined && statusOf(response) !== undefined) {
    decision = decideStore(response as Record<string, unknown>, input.rules, input.allowed)
    if (decision === undefined) return { ok: false, key }
    if (decision.shareable && input.shareWhenPublic) key = input.base
  } else if (!input.allowed) {
    return { ok: false, key }
  }
  const copy = snapshot(
    decision ? withoutConnectionFields(response as Record<string, unknown>) : response,
  )
  if (!copy.ok) {
    const where = copy.path ? ` at ${copy.path}` : ''
    return {
      ok: false,
      key,
      code: `copy:${copy.reason}`,
      message: `a response was not cached: it contains ${copy.reason}${where} (only JSON-shaped data is cached)`,
    }
  }
  const bytes = copy.bytes + stringBytes(key) + ENTRY_OVERHEAD_BYTES
  if (bytes > input.maxEntryBytes) {
    return {
      ok: false,
      key,
      code: 'too-large',
      message: `a response of about ${bytes} bytes was not cached: maxEntryBytes is ${input.maxEntryBytes}`,
    }
  }
  const expiresAt = input.at + (decision?.ttl ?? input.ttl)
  const entry: Entry = {
    kind: decision ? HTTP : PLAIN,
    value: copy.value,
    frozen: false,
    storedAt: input.at,
    initialAge: decision?.initialAge ?? 0,
    expiresAt,
    staleUntil: expiresAt + Math.max(input.staleIfError, decision?.staleIfError ?? 0),
    lastModified: decision?.lastModified ?? Number.NaN,
    shareable: decision?.shareable === true,
    etag: decision?.etag,
    vary: undefined,
    gen: input.gen,
    tags: input.tags,
  }
  const vary = http !== undefined ? decision?.vary : undefined
  return {
    ok: true,
    // The response goes under the key plus the values of its Vary headers.
    key: vary !== undefined ? varyKey(key, vary, http as HttpRequest) : key,
    entry,
    bytes,
    vary,
    markerKey: key,
  }
}

/**
 * Writes a plan: first the Vary marker (it lives as long as the longest-lived
 * variant under it), then the record. `previous` is what the tier holds under
 * the marker's key now, if it can tell. Returns the marker written, if any.
 */
export const writePlan = (
  tier: CacheTier,
  plan: StorePlan,
  previous: Entry | undefined,
): Entry | undefined => {
  const { entry, vary } = plan
  if (vary !== undefined) {
    const marker: Entry = {
      ...entry,
      kind: VARY,
      value: undefined,
      frozen: true,
      expiresAt: Math.max(entry.expiresAt, previous?.kind === VARY ? previous.expiresAt : 0),
      staleUntil: Math.max(entry.staleUntil, previous?.kind === VARY ? previous.staleUntil : 0),
      etag: undefined,
      vary,
    }
    const bytes = stringBytes(plan.markerKey) + ENTRY_OVERHEAD_BYTES + vary.join().length
    tier.set(plan.markerKey, marker, bytes)
    tier.set(plan.key, entry, plan.bytes)
    return marker
  }
  tier.set(plan.key, entry, plan.bytes)
  return undefined
}
