/**
 * The second tier's driver: reading a shared tier behind the L1 (following a
 * Vary marker, rebasing times between clocks, filling the L1), writing to it
 * what the L1 stored, and deleting there. The lookup and store decisions are
 * the L1's own (`lookup.ts`, `store.ts`): this module only moves records.
 *
 * Clocks: the L1 keeps times on `performance.now()`; a shared record keeps wall
 * clock times (`Date.now()`), since environments share no other clock. A record
 * is written with its age folded into `storedAt`, so `Age` continues across tiers
 * (up to the clock skew between environments).
 *
 * Every shared operation is tracked until it settles, and the `after` (or
 * `onError`) hook of the invocation awaits what is still in flight: nothing is
 * left running while the environment is frozen.
 */
import { ENTRY_OVERHEAD_BYTES, type Entry, HTTP, VARY } from './entry.js'
import { CLEAR_MEMBER, FleetState, keyMember, tagMember } from './fleet.js'
import { type HttpRequest, headerOf } from './http.js'
import { isFresh, variantKey } from './lookup.js'
import type { LruTier } from './lru-tier.js'
import { parseHttpDate } from './rules.js'
import { snapshot, stringBytes } from './snapshot.js'
import type { StorePlan } from './store.js'
import type { FleetLog, SharedRecord, SharedTier } from './tier.js'

/** A record for the shared tier, from an L1 entry; `at` and `epoch` are the two clocks now. */
export const toShared = (entry: Entry, at: number, epoch: number): SharedRecord => ({
  kind: entry.kind,
  value: entry.value,
  storedAt: epoch - (at - entry.storedAt) - entry.initialAge,
  expiresAt: epoch + (entry.expiresAt - at),
  shareable: entry.shareable,
  etag: entry.etag,
  vary: entry.vary,
  gen: entry.gen,
  tags: entry.tags,
})

/** The `Last-Modified` (else `Date`) of a stored HTTP response, as the L1 would record it. */
const lastModifiedOf = (response: unknown): number => {
  const bag = response as Record<string, unknown>
  const lastModified = parseHttpDate(headerOf(bag, 'last-modified'))
  return Number.isNaN(lastModified) ? parseHttpDate(headerOf(bag, 'date')) : lastModified
}

/**
 * An L1 entry from a shared record, rebased to this process's clock. Its stale
 * window is this cache's `staleIfError` (a response's own `stale-if-error` is not
 * carried across tiers).
 */
export const fromShared = (
  record: SharedRecord,
  value: unknown,
  at: number,
  epoch: number,
  staleIfError: number,
): Entry => {
  const expiresAt = at + (record.expiresAt - epoch)
  return {
    kind: record.kind,
    value,
    frozen: false,
    storedAt: at - (epoch - record.storedAt),
    initialAge: 0,
    expiresAt,
    staleUntil: expiresAt + staleIfError,
    lastModified: record.kind === HTTP ? lastModifiedOf(value) : Number.NaN,
    shareable: record.shareable,
    etag: record.etag,
    vary: record.vary,
    gen: record.gen ?? 0,
    tags: record.tags,
  }
}

export interface SharedDriverOptions {
  readonly l1: LruTier
  readonly shared: SharedTier
  readonly staleIfError: number
  /** The L1's `maxEntryBytes`: a larger record is answered but not kept in memory. */
  readonly maxEntryBytes: number
  readonly now: () => number
  /** Called with what a shared tier threw or rejected with (it should not). */
  readonly onFailure: (error: unknown) => void
  /** Fleet-wide invalidation is on (`syncInterval` > 0 and the tier keeps a log). */
  readonly fleetWide: boolean
}

export class SharedDriver {
  readonly #l1: LruTier
  readonly #shared: SharedTier
  readonly #options: SharedDriverOptions
  /** Operations not settled yet. */
  readonly #inFlight = new Set<Promise<unknown>>()
  /** Records written and confirmed. */
  stores = 0
  /** What the fleet invalidated, as far as this environment has read (fleet-wide invalidation). */
  readonly fleet = new FleetState()

  constructor(options: SharedDriverOptions) {
    this.#options = options
    this.#l1 = options.l1
    this.#shared = options.shared
  }

  /** One read; a throw or rejection is a miss (reported once by the caller). */
  async #get(key: string): Promise<SharedRecord | undefined> {
    try {
      return await this.#shared.get(key)
    } catch (error) {
      this.#options.onFailure(error)
      return undefined
    }
  }

  /** Copies a fresh record into the L1 (when it fits) and returns it as an L1 entry. */
  #fill(
    key: string,
    family: string,
    record: SharedRecord,
    at: number,
    epoch: number,
  ): Entry | undefined {
    // Written before an invalidation of its key, one of its tags or everything: stale.
    if (!this.fleet.isCurrent(record.gen ?? 0, family, record.tags)) return undefined
    const { maxEntryBytes, staleIfError } = this.#options
    let value = record.value
    let bytes = stringBytes(key) + ENTRY_OVERHEAD_BYTES
    if (record.kind === VARY) {
      bytes += (record.vary as readonly string[]).join().length
    } else {
      const copy = snapshot(value)
      if (!copy.ok) return undefined
      value = copy.value
      bytes += copy.bytes
    }
    const entry = fromShared(record, value, at, epoch, staleIfError)
    if (!isFresh(entry, at)) return undefined
    const held = this.#l1.peek(key)
    // Keep a marker in memory that lives longer than the one found.
    if (held?.kind === VARY && record.kind === VARY && held.expiresAt >= entry.expiresAt) {
      return held
    }
    if (bytes <= maxEntryBytes) this.#l1.set(key, entry, bytes)
    return entry
  }

  /** The fresh entry for `key` in the shared tier, following a Vary marker, copied into the L1. */
  async #find(
    key: string,
    family: string,
    http: HttpRequest | undefined,
  ): Promise<Entry | undefined> {
    const record = await this.#get(key)
    if (record === undefined) return undefined
    const { now } = this.#options
    let at = now()
    let epoch = Date.now()
    const found = this.#fill(key, family, record, at, epoch)
    if (found?.kind !== VARY) return found
    const variant = variantKey(found, key, http, at)
    if (variant === undefined) return undefined
    const stored = await this.#get(variant)
    if (stored === undefined || stored.kind === VARY) return undefined
    at = now()
    epoch = Date.now()
    return this.#fill(variant, family, stored, at, epoch)
  }

  /**
   * Looks `key` up in the shared tier. With `base` (an authenticated request
   * under `shared-when-public`), the entry stored for everyone under `base` is
   * read at the same time and wins when it is shareable. `family` is the base key
   * of both (what `delete` and fleet-wide invalidation name).
   */
  async lookup(
    key: string,
    base: string | undefined,
    http: HttpRequest | undefined,
    family: string,
  ): Promise<[Entry, string] | undefined> {
    if (base === undefined) {
      const entry = await this.#find(key, family, http)
      return entry === undefined ? undefined : [entry, key]
    }
    const [shared, own] = await Promise.all([
      this.#find(base, family, http),
      this.#find(key, family, http),
    ])
    if (shared?.shareable) return [shared, base]
    return own === undefined ? undefined : [own, key]
  }

  /**
   * What an L1 miss reads from the shared tier: the entry found (`[entry, key]`, as
   * {@link lookup}). On a miss there too, with leases (`lease` > 0 ms, a healthy tier
   * that takes them): the lease on `key`, or, while another environment holds it, the
   * entry its holder stores, waited for up to `waitFor()` ms (`onWait` is told first).
   * Otherwise `{ down, token }`: whether the tier said it failed, and the token of the
   * lease taken (the caller runs the handler, and releases it after its writes).
   */
  async read(
    key: string,
    base: string | undefined,
    http: HttpRequest | undefined,
    family: string,
    lease: number,
    waitFor: () => number,
    onWait: () => void,
  ): Promise<[Entry, string] | { down: boolean; token: string | undefined }> {
    const found = await this.lookup(key, base, http, family)
    if (found !== undefined) return found
    const down = !this.healthy()
    if (lease <= 0 || down || !this.leases) return { down, token: undefined }
    let taken = await this.acquire(key, lease)
    if (taken === false) {
      onWait()
      const outcome = await this.waitForLease(
        key,
        base,
        http,
        family,
        lease,
        this.#options.now() + waitFor(),
      )
      if (Array.isArray(outcome)) return outcome
      taken = outcome
    }
    return { down, token: taken }
  }

  /** Whether the tier says it is working (true when it cannot tell). */
  healthy(): boolean {
    try {
      return this.#shared.healthy?.() !== false
    } catch {
      return false
    }
  }

  /** Tracks an operation until it settles; it never rejects. */
  #track(operation: Promise<unknown>): void {
    const tracked: Promise<unknown> = operation.then(undefined, this.#options.onFailure)
    this.#inFlight.add(tracked)
    void tracked.then(() => this.#inFlight.delete(tracked))
  }

  /** Starts writing what the L1 just stored (`marker` is the Vary marker written, if any). */
  store(plan: StorePlan, marker: Entry | undefined): void {
    const at = this.#options.now()
    const epoch = Date.now()
    const write = (key: string, entry: Entry) => {
      const ttl = entry.expiresAt - at
      if (!(ttl >= 1)) return
      try {
        this.#track(
          this.#shared.set(key, toShared(entry, at, epoch), ttl).then((outcome) => {
            if (outcome === 'stored') this.stores++
          }),
        )
      } catch (error) {
        this.#options.onFailure(error)
      }
    }
    if (marker !== undefined) write(plan.markerKey, marker)
    write(plan.key, plan.entry)
  }

  /**
   * Starts deleting `base` and every key derived from it that the L1 holds now
   * (per principal, per Vary values): derived keys only other environments
   * stored cannot be found without a scan, and live until their TTL.
   */
  deleteFamily(base: string): void {
    const keys = this.#l1.familyKeys(base)
    if (!keys.includes(base)) keys.push(base)
    try {
      this.#track(this.#shared.delete(keys))
    } catch (error) {
      this.#options.onFailure(error)
    }
  }

  /** Whether the tier takes leases (single flight across environments). */
  get leases(): boolean {
    return typeof this.#shared.lease === 'function' && typeof this.#shared.release === 'function'
  }

  /**
   * Tries to take the lease on `key` for `ttl` ms: the token when taken, `false`
   * when another holds it, `undefined` when the tier failed (then run the handler).
   */
  async acquire(key: string, ttl: number): Promise<string | false | undefined> {
    const token = crypto.randomUUID()
    try {
      const lease = this.#shared.lease as NonNullable<SharedTier['lease']>
      const taken = await lease.call(this.#shared, key, token, ttl)
      return taken === true ? token : taken === false ? false : undefined
    } catch (error) {
      this.#options.onFailure(error)
      return undefined
    }
  }

  /**
   * Waits until `deadline` (on the cache's clock) for another environment's lease
   * holder to store `key`: polls the shared tier every 10 ms at first, then less
   * often (up to every 100 ms). Between two reads that find nothing, it tries to
   * take the lease itself (a holder that died lets its lease expire), and once it
   * has it, reads once more (the holder may have just written and released). Resolves the
   * entry found, the token of a lease taken over, or `undefined` (time is up, or
   * the tier failed): then the caller runs the handler.
   */
  async waitForLease(
    key: string,
    base: string | undefined,
    http: HttpRequest | undefined,
    family: string,
    ttl: number,
    deadline: number,
  ): Promise<[Entry, string] | string | undefined> {
    const { now } = this.#options
    let delay = 10
    while (now() + delay < deadline) {
      await new Promise((resolve) => setTimeout(resolve, delay))
      delay = Math.min(100, Math.ceil(delay * 1.5))
      const found = await this.lookup(key, base, http, family)
      if (found !== undefined) return found
      if (!this.healthy()) return undefined
      const taken = await this.acquire(key, ttl)
      if (taken === undefined) return undefined
      if (taken !== false) {
        // The holder may have written and released between our read and our lease: look once more.
        const late = await this.lookup(key, base, http, family)
        if (late === undefined) return taken
        this.release(key, taken)
        return late
      }
    }
    return undefined
  }

  /**
   * Releases a lease this environment holds, once the operations running now
   * (the holder's writes) have settled, so that waiters find the value first.
   */
  release(key: string, token: string): void {
    const release = this.#shared.release as NonNullable<SharedTier['release']>
    const writes = this.#inFlight.size === 0 ? undefined : Promise.all(this.#inFlight)
    try {
      this.#track(
        writes === undefined
          ? release.call(this.#shared, key, token)
          : writes.then(() => release.call(this.#shared, key, token)),
      )
    } catch (error) {
      this.#options.onFailure(error)
    }
  }

  /**
   * Reads the fleet's invalidations since the last read (one round trip) and drops
   * from memory what they name. A failure is reported and changes nothing: memory
   * keeps serving, and the next interval reads again. Resolves whether the read
   * succeeded.
   */
  async sync(): Promise<boolean> {
    let log: FleetLog | undefined
    try {
      const read = this.#shared.sync as NonNullable<SharedTier['sync']>
      log = await read.call(this.#shared, this.fleet.generation)
    } catch (error) {
      this.#options.onFailure(error)
    }
    if (log === undefined) return false
    const drops = this.fleet.apply(log)
    if (drops.all) {
      this.#l1.clear()
      return true
    }
    for (const base of drops.keys) this.#l1.deleteFamily(base)
    if (drops.tags.size > 0) this.#l1.deleteTagged(drops.tags)
    return true
  }

  /** Starts invalidating the families of `bases` fleet-wide (with `syncInterval`). */
  invalidateKeys(bases: readonly string[]): void {
    if (this.#options.fleetWide && bases.length > 0) this.#invalidate(bases.map(keyMember))
  }

  /** Starts invalidating the entries tagged with any of `tags` fleet-wide. */
  invalidateTags(tags: readonly string[]): void {
    if (this.#options.fleetWide && tags.length > 0) this.#invalidate(tags.map(tagMember))
  }

  /** Starts invalidating everything fleet-wide (`clear()`). */
  invalidateAll(): void {
    if (this.#options.fleetWide) this.#invalidate([CLEAR_MEMBER])
  }

  /** Starts recording invalidations (log members, see `fleet.ts`) for the whole fleet. */
  #invalidate(members: readonly string[]): void {
    const record = this.#shared.invalidate as NonNullable<SharedTier['invalidate']>
    try {
      this.#track(
        record.call(this.#shared, members).then((generation) => {
          if (generation !== undefined) this.fleet.noteOwn(members, generation)
        }),
      )
    } catch (error) {
      this.#options.onFailure(error)
    }
  }

  /** Resolves when every operation started so far has settled; `undefined` when none is running. */
  settle(): Promise<void> | undefined {
    if (this.#inFlight.size === 0) return undefined
    return Promise.all(this.#inFlight).then(() => undefined)
  }
}
