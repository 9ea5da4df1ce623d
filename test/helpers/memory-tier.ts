/**
 * A shared tier in this process's memory, written as a user could write their own
 * `SharedTier`: records, leases that expire, and the fleet's invalidation log. The tests
 * that need a tier doing something no Redis server does (throwing, returning odd records)
 * start from it and change one method; `records` and `calls` let them look inside.
 */
import type { SharedRecord, SharedTier } from '../../src/cache/tier.js'

export type MemoryTier = Required<SharedTier> & {
  readonly records: Map<string, SharedRecord>
  /** How many times each method was called. */
  readonly calls: Record<string, number>
}

export const memoryTier = (): MemoryTier => {
  const records = new Map<string, SharedRecord>()
  const leases = new Map<string, [token: string, until: number]>()
  const log: [string, number][] = []
  const calls: Record<string, number> = {}
  const count = (method: string) => {
    calls[method] = (calls[method] ?? 0) + 1
  }
  let generation = 0
  return {
    records,
    calls,
    get: async (key) => {
      count('get')
      return records.get(key)
    },
    set: async (key, record) => {
      count('set')
      records.set(key, record)
      return 'stored'
    },
    delete: async (keys) => {
      count('delete')
      return keys.filter((key) => records.delete(key)).length
    },
    healthy: () => true,
    lease: async (key, token, ttlMs) => {
      count('lease')
      if ((leases.get(key)?.[1] ?? 0) > Date.now()) return false
      leases.set(key, [token, Date.now() + ttlMs])
      return true
    },
    release: async (key, token) => {
      count('release')
      return leases.get(key)?.[0] === token && leases.delete(key)
    },
    sync: async (since) => {
      count('sync')
      return { generation, floor: 0, entries: log.filter(([, at]) => at > since) }
    },
    invalidate: async (members) => {
      count('invalidate')
      generation++
      for (const member of members) log.push([member, generation])
      return generation
    },
  }
}
