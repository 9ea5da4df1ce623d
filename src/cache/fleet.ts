/**
 * Fleet-wide invalidation, one environment's view: which keys, tags (and
 * everything) the fleet invalidated, at which generation. Pure state, no I/O:
 * the two-tier driver reads the log (`SharedTier.sync`) at most once per
 * `syncInterval` and applies it here, then drops from memory what it names.
 *
 * Generations: the shared tier keeps one counter; every invalidation (a key, a
 * tag, everything) is recorded at a new value of it. An environment remembers
 * the generation it last read, and an invocation stores its result under the
 * generation it started at. A record is current unless its key, one of its tags,
 * or everything was invalidated at a later generation than the record's: a writer
 * whose handler started before an invalidation it had not seen yet stores a record
 * that every environment then treats as stale, so no old value outlives the bound.
 */
import type { FleetLog } from './tier.js'

/** Log members: the cache's own encoding of what was invalidated. */
export const CLEAR_MEMBER = '*'
export const keyMember = (base: string): string => `k:${base}`
export const tagMember = (tag: string): string => `t:${tag}`

/** What memory must drop after a log was applied. */
export interface FleetDrops {
  /** Everything (a `clear()`, or invalidations this environment missed). */
  all: boolean
  /** Base keys whose family must go. */
  keys: string[]
  /** Tags whose entries must go. */
  tags: Set<string>
}

export class FleetState {
  /** The fleet generation last read from the log (0 before the first read). */
  generation = 0
  /** Records of a lower generation are stale (a `clear()`, or the log's floor). */
  #floor = 0
  readonly #keys = new Map<string, number>()
  readonly #tags = new Map<string, number>()

  /** Applies a log read after {@link generation}; returns what memory must drop. */
  apply(log: FleetLog): FleetDrops {
    const drops: FleetDrops = { all: false, keys: [], tags: new Set() }
    if (log.floor > this.generation) {
      // Invalidations this environment had not read were dropped from the log.
      this.#raiseFloor(log.floor)
      drops.all = true
    }
    for (const [member, at] of log.entries) {
      if (member === CLEAR_MEMBER) {
        this.#raiseFloor(at)
        drops.all = true
      } else if (member.startsWith('k:')) {
        const base = member.slice(2)
        this.#note(this.#keys, base, at)
        drops.keys.push(base)
      } else if (member.startsWith('t:')) {
        const tag = member.slice(2)
        this.#note(this.#tags, tag, at)
        drops.tags.add(tag)
      }
    }
    this.generation = Math.max(this.generation, log.generation)
    return drops
  }

  /**
   * Records invalidations this environment made at `generation` (before its next read).
   * When it is the next generation after the last one read, nothing else happened in
   * between: this environment is then up to date at it, and can store again at once.
   */
  noteOwn(members: readonly string[], generation: number): void {
    for (const member of members) {
      if (member === CLEAR_MEMBER) this.#raiseFloor(generation)
      else if (member.startsWith('k:')) this.#note(this.#keys, member.slice(2), generation)
      // Our own members are made by CLEAR_MEMBER, keyMember and tagMember only: a tag.
      else this.#note(this.#tags, member.slice(2), generation)
    }
    if (generation === this.generation + 1) this.generation = generation
  }

  /** Whether a record of generation `gen`, under `base`, with `tags`, is still current. */
  isCurrent(gen: number, base: string, tags: readonly string[] | undefined): boolean {
    if (gen < this.#floor || gen < (this.#keys.get(base) ?? 0)) return false
    if (tags !== undefined) {
      for (const tag of tags) if (gen < (this.#tags.get(tag) ?? 0)) return false
    }
    return true
  }

  #note(map: Map<string, number>, name: string, at: number): void {
    if (at > (map.get(name) ?? 0)) map.set(name, at)
  }

  /** Raises the floor; what it covers need not be remembered one by one. */
  #raiseFloor(at: number): void {
    if (at <= this.#floor) return
    this.#floor = at
    for (const map of [this.#keys, this.#tags]) {
      for (const [name, generation] of map) if (generation <= at) map.delete(name)
    }
  }
}
