/**
 * LruTier against a model (fast-check). The tier bounds its entry count itself (lru-cache
 * gets `maxSize` only, so that it allocates nothing for `maxEntries` up front): for any
 * sequence of sets, gets, peeks and deletes, it holds exactly the keys a plain LRU of
 * `maxEntries` would hold, in the same order of eviction, reports each eviction (and only
 * evictions) through `onEvict`, and never holds more than `maxEntries` entries or
 * `maxBytes` bytes.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Entry, PLAIN } from '../../src/cache/entry.js'
import { LruTier } from '../../src/cache/lru-tier.js'

const entry = (value: unknown): Entry =>
  ({
    kind: PLAIN,
    value,
    frozen: false,
    storedAt: 0,
    initialAge: 0,
    expiresAt: 1,
    staleUntil: 1,
    lastModified: Number.NaN,
    shareable: false,
  }) as unknown as Entry

type Op = { op: 'set'; key: string; value: number } | { op: 'get' | 'peek' | 'delete'; key: string }

const keys = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g')
const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('set' as const), key: keys, value: fc.integer() }),
    fc.record({
      op: fc.constantFrom('get' as const, 'peek' as const, 'delete' as const),
      key: keys,
    }),
  ),
  { maxLength: 60 },
)

/** A plain LRU: a Map in order of use, least recently used first. */
class ModelLru {
  readonly map = new Map<string, number>()
  readonly evicted: string[] = []
  constructor(readonly max: number) {}
  set(key: string, value: number): void {
    if (this.map.has(key)) this.map.delete(key)
    else if (this.map.size >= this.max) {
      const [oldest] = this.map.keys()
      this.map.delete(oldest as string)
      this.evicted.push(oldest as string)
    }
    this.map.set(key, value)
  }
  get(key: string): number | undefined {
    const value = this.map.get(key)
    if (value !== undefined) {
      this.map.delete(key)
      this.map.set(key, value)
    }
    return value
  }
}

describe('LruTier bounds its entries itself', () => {
  it('holds and evicts what an LRU of maxEntries would (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), ops, (maxEntries, sequence: Op[]) => {
        const evicted: string[] = []
        const tier = new LruTier({
          maxEntries,
          maxBytes: 1_000_000,
          onEvict: (key) => evicted.push(key),
        })
        const model = new ModelLru(maxEntries)
        for (const step of sequence) {
          if (step.op === 'set') {
            tier.set(step.key, entry(step.value), 10)
            model.set(step.key, step.value)
          } else if (step.op === 'get') {
            expect(tier.get(step.key)?.value).toBe(model.get(step.key))
          } else if (step.op === 'peek') {
            expect(tier.peek(step.key)?.value).toBe(model.map.get(step.key))
          } else {
            expect(tier.delete(step.key)).toBe(model.map.delete(step.key))
          }
          expect(tier.size).toBe(model.map.size)
          expect(tier.size).toBeLessThanOrEqual(maxEntries)
          expect(tier.bytes).toBe(model.map.size * 10)
        }
        // Then as many new keys as the bound: the old ones go, least recently used first.
        for (let i = 0; i < maxEntries; i++) {
          tier.set(`new-${i}`, entry(i), 10)
          model.set(`new-${i}`, i)
        }
        expect(evicted).toEqual(model.evicted)
        expect(tier.size).toBe(model.map.size)
      }),
    )
  })

  it('stays inside maxBytes too, evicting by size, and reports those evictions', () => {
    const evicted: string[] = []
    const tier = new LruTier({
      maxEntries: 100,
      maxBytes: 100,
      onEvict: (key) => evicted.push(key),
    })
    for (const key of ['a', 'b', 'c', 'd']) tier.set(key, entry(key), 30)
    expect(tier.size).toBe(3)
    expect(tier.bytes).toBe(90)
    expect(evicted).toEqual(['a'])
  })

  it('overwriting a held key at the bound evicts nothing', () => {
    const evicted: string[] = []
    const tier = new LruTier({
      maxEntries: 2,
      maxBytes: 1_000,
      onEvict: (key) => evicted.push(key),
    })
    tier.set('a', entry(1), 1)
    tier.set('b', entry(2), 1)
    tier.set('a', entry(3), 1)
    expect(evicted).toEqual([])
    expect(tier.peek('a')?.value).toBe(3)
    expect(tier.size).toBe(2)
  })
})
