/**
 * The fleet acts as one cache: separate Node processes as execution environments
 * (bench/lib/fleet.mjs), each its own orcCache on the package built from the current
 * sources and its own connection, sharing the real Redis at 127.0.0.1:6379 (and, for the
 * server-down case, a redis-server of our own on port 6401, killed by the test).
 *
 * The handler counts its runs in Redis, so runs in all processes add up, including the
 * run of a process killed mid-invocation.
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Redis as IoRedis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FleetCommand, type FleetEnvironment, startFleet } from '../../bench/lib/fleet.mjs'
import { buildJs } from '../../scripts/build.mjs'
import { childBuildOptions, childCoverageEnv, keepBundle } from '../helpers/child-coverage.js'
import { adminConnection } from './clients.js'
import { startRedis } from './servers.js'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
// Inside the repository, so that the built files resolve lru-cache from its node_modules.
const dist = join(repoRoot, '.cache', `fleet-dist-${process.pid}`)
const prefixes: string[] = []
const freshPrefix = (name: string) => {
  const prefix = `orc-fleet:${name}:${randomBytes(4).toString('hex')}:`
  prefixes.push(prefix)
  return prefix
}
const running: FleetEnvironment[] = []
const fleet = async (count: number, env: Record<string, string>) => {
  const started = await startFleet(count, {
    ORC_FLEET_DIST: dist,
    ...childCoverageEnv({ stoppedBySignal: true }),
    ...env,
  })
  running.push(...started)
  return started
}
const stopAll = async (environments: FleetEnvironment[]) => {
  await Promise.all(environments.map((environment) => environment.stop()))
}
const sum = (
  replies: { stats?: Record<string, number>; store?: Record<string, number> }[],
  field: string,
  from: 'stats' | 'store' = 'stats',
) => replies.reduce((total, reply) => total + (reply[from]?.[field] ?? 0), 0)

let admin: IoRedis

beforeAll(async () => {
  const built = await buildJs({
    outdir: dist,
    // In coverage mode: readable bundles with inline maps, kept for the report.
    ...(childBuildOptions.sourcemap ? { sourcemap: 'inline', minify: false } : {}),
  })
  for (const { output } of built) keepBundle(join(dist, relative('dist', output)))
  admin = await adminConnection()
}, 60_000)

afterAll(async () => {
  await stopAll(running)
  for (const prefix of prefixes) {
    const keys = await admin.keys(`${prefix}*`)
    if (keys.length > 0) await admin.del(...keys)
  }
  admin?.disconnect()
  rmSync(dist, { recursive: true, force: true })
})

describe('single flight across environments (lease)', () => {
  it('a burst of 50 concurrent misses across 10 environments runs the handler once', async () => {
    const prefix = freshPrefix('burst')
    const environments = await fleet(10, { ORC_FLEET_PREFIX: prefix, ORC_CACHE_LEASE: '5s' })
    const replies = await Promise.all(
      environments.map((environment) =>
        environment.send({ type: 'invoke', id: 'hot', n: 5, work: 300 }),
      ),
    )
    const results = replies.flatMap((reply) => reply.results ?? [])
    expect(results).toHaveLength(50)
    expect(results.filter((result) => !result.ok)).toEqual([])
    const stats = await Promise.all(environments.map((e) => e.send({ type: 'stats' })))
    // A lease operation that fails (a timeout on a loaded machine) runs the handler: say so.
    const failures = sum(stats, 'failures', 'store')
    expect(failures, 'shared-tier failures during the burst').toBe(0)
    expect(new Set(results.map((result) => result.result?.pid)).size).toBe(1)
    expect(await admin.get(`${prefix}runs:hot`)).toBe('1')
    expect(sum(stats, 'leases')).toBe(1)
    // Each environment's own single flight sends one miss to the shared tier: 9 wait there.
    expect(sum(stats, 'leaseWaits')).toBe(9)
    expect(sum(stats, 'sharedHits')).toBe(9)
    expect(stats.flatMap((reply) => reply.warnings)).toEqual([])
    // Released by its holder once the value was written.
    expect(await admin.exists(`${prefix}orc:lease:hot`)).toBe(0)
    await stopAll(environments)
  }, 60_000)

  it('without a lease, the same burst runs the handler in every environment that misses', async () => {
    const prefix = freshPrefix('no-lease')
    const environments = await fleet(10, { ORC_FLEET_PREFIX: prefix, ORC_CACHE_LEASE: '0' })
    const replies = await Promise.all(
      environments.map((environment) =>
        environment.send({ type: 'invoke', id: 'hot', n: 5, work: 300 }),
      ),
    )
    const results = replies.flatMap((reply) => reply.results ?? [])
    expect(results.filter((result) => !result.ok)).toEqual([])
    const runs = Number(await admin.get(`${prefix}runs:hot`))
    // One per environment (its own single flight), unless one started 300 ms late.
    expect(runs).toBeGreaterThan(1)
    expect(runs).toBeLessThanOrEqual(10)
    await stopAll(environments)
  }, 60_000)

  it('a holder killed mid-run: the others proceed once its lease has expired, and nobody errors', async () => {
    const prefix = freshPrefix('killed')
    const environments = await fleet(4, { ORC_FLEET_PREFIX: prefix, ORC_CACHE_LEASE: '1s' })
    const holder = environments[0] as FleetEnvironment
    const others = environments.slice(1)
    const leaseKey = `${prefix}orc:lease:slow`
    void holder.send({ type: 'invoke', id: 'slow', n: 1, work: 60_000 })
    for (let i = 0; i < 200 && (await admin.exists(leaseKey)) === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(await admin.exists(leaseKey)).toBe(1)
    holder.kill()
    const left = await admin.pttl(leaseKey)
    expect(left).toBeGreaterThan(0)
    const replies = await Promise.all(
      others.map((environment) =>
        environment.send({ type: 'invoke', id: 'slow', n: 3, work: 100 }),
      ),
    )
    const results = replies.flatMap((reply) => reply.results ?? [])
    expect(results).toHaveLength(9)
    expect(results.filter((result) => !result.ok)).toEqual([])
    // Nobody answered before the dead holder's lease ran out.
    expect(Math.min(...results.map((result) => result.ms))).toBeGreaterThanOrEqual(left - 20)
    // The dead holder's run, and one run by the environment that took the lease over.
    expect(await admin.get(`${prefix}runs:slow`)).toBe('2')
    expect(new Set(results.map((result) => result.result?.pid)).size).toBe(1)
    await stopAll(others)
  }, 60_000)

  it('the server down: every invocation is answered, invalidations too (fail open)', async () => {
    const server = await startRedis(6401)
    const prefix = freshPrefix('down')
    const environments = await fleet(3, {
      ORC_FLEET_PREFIX: prefix,
      ORC_FLEET_PORT: String(server.port),
      ORC_CACHE_LEASE: '5s',
    })
    await server.kill()
    const replies = await Promise.all(
      environments.map((environment) =>
        environment.send({ type: 'invoke', id: 'down', n: 4, work: 20, budget: 3_000 }),
      ),
    )
    const results = replies.flatMap((reply) => reply.results ?? [])
    expect(results).toHaveLength(12)
    expect(results.filter((result) => !result.ok)).toEqual([])
    // Each environment ran its handler itself (its own single flight: once), without waiting.
    expect(new Set(results.map((result) => result.result?.pid)).size).toBe(3)
    expect(Math.max(...results.map((result) => result.ms))).toBeLessThan(1_500)
    // Invalidations with the server down: answered, nothing thrown; memory still serves.
    const [first] = environments as [FleetEnvironment]
    const commands: FleetCommand[] = [
      { type: 'delete', id: 'down' },
      { type: 'invalidateTags', tags: ['item:down'] },
      { type: 'clear' },
    ]
    for (const command of commands) {
      expect(await first.send(command)).not.toHaveProperty('exited')
    }
    const again = await Promise.all(
      environments.map((environment) =>
        environment.send({ type: 'invoke', id: 'down', n: 2, budget: 3_000 }),
      ),
    )
    expect(again.flatMap((reply) => reply.results ?? []).filter((r) => !r.ok)).toEqual([])
    const stats = await Promise.all(environments.map((e) => e.send({ type: 'stats' })))
    expect(stats.flatMap((reply) => reply.warnings)).toEqual([])
    await stopAll(environments)
  }, 60_000)
})

describe('fleet-wide invalidation (syncInterval 1 s)', () => {
  const SYNC_INTERVAL = 1_000
  /** Loopback round trip, IPC and the polling step: what the bound allows above the interval. */
  const MARGIN = 300

  /**
   * Warms `id` in every environment's memory at version 1, bumps the version, runs
   * `invalidate` in the first environment, then polls the others until each answers
   * version 2. Resolves each one's staleness (ms after the invalidation returned).
   */
  const staleness = async (
    environments: FleetEnvironment[],
    prefix: string,
    id: string,
    invalidate: (environment: FleetEnvironment) => Promise<unknown>,
  ): Promise<number[]> => {
    await admin.set(`${prefix}version:${id}`, '1')
    for (const environment of environments) {
      const reply = await environment.send({ type: 'invoke', id, n: 1 })
      expect(reply.results?.[0]?.result?.version).toBe('1')
    }
    // From memory now (the shared tier's copy deleted behind their back changes nothing).
    await admin.del(`${prefix}orc:v1:${id}`)
    for (const environment of environments) {
      const reply = await environment.send({ type: 'invoke', id, n: 1 })
      expect(reply.results?.[0]?.result?.version).toBe('1')
    }
    await admin.set(`${prefix}version:${id}`, '2')
    const [first, ...others] = environments as [FleetEnvironment, ...FleetEnvironment[]]
    await invalidate(first)
    const invalidated = performance.now()
    return Promise.all(
      others.map(async (environment) => {
        for (;;) {
          const reply = await environment.send({ type: 'invoke', id, n: 1 })
          const result = reply.results?.[0]
          expect(result?.ok).toBe(true)
          if (result?.result?.version === '2') return performance.now() - invalidated
          if (performance.now() - invalidated > 10_000) throw new Error('still stale after 10 s')
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
      }),
    )
  }

  it('delete(key) in one environment: every other stops serving the old entry within the bound', async () => {
    const prefix = freshPrefix('delete')
    const environments = await fleet(4, {
      ORC_FLEET_PREFIX: prefix,
      ORC_CACHE_SYNC_INTERVAL: String(SYNC_INTERVAL),
    })
    const measured = await staleness(environments, prefix, 'd', (environment) =>
      environment.send({ type: 'delete', id: 'd' }),
    )
    console.log(`staleness after delete (ms): ${measured.map((ms) => ms.toFixed(0)).join(', ')}`)
    expect(Math.max(...measured)).toBeLessThanOrEqual(SYNC_INTERVAL + MARGIN)
    await stopAll(environments)
  }, 60_000)

  it('invalidateTags in one environment: every other stops serving the tagged entry within the bound', async () => {
    const prefix = freshPrefix('tags')
    const environments = await fleet(4, {
      ORC_FLEET_PREFIX: prefix,
      ORC_CACHE_SYNC_INTERVAL: String(SYNC_INTERVAL),
    })
    const measured = await staleness(environments, prefix, 't', (environment) =>
      environment.send({ type: 'invalidateTags', tags: ['item:t'] }),
    )
    console.log(
      `staleness after invalidateTags (ms): ${measured.map((ms) => ms.toFixed(0)).join(', ')}`,
    )
    expect(Math.max(...measured)).toBeLessThanOrEqual(SYNC_INTERVAL + MARGIN)
    // No key was scanned or deleted on the server: the log holds the tag.
    expect(await admin.zscore(`${prefix}orc:sync:v1`, 't:item:t')).not.toBeNull()
    await stopAll(environments)
  }, 60_000)

  it('clear() in one environment: every other drops everything within the bound', async () => {
    const prefix = freshPrefix('clear')
    const environments = await fleet(3, {
      ORC_FLEET_PREFIX: prefix,
      ORC_CACHE_SYNC_INTERVAL: String(SYNC_INTERVAL),
    })
    const measured = await staleness(environments, prefix, 'c', (environment) =>
      environment.send({ type: 'clear' }),
    )
    expect(Math.max(...measured)).toBeLessThanOrEqual(SYNC_INTERVAL + MARGIN)
    await stopAll(environments)
  }, 60_000)

  it('without fleet-wide invalidation (syncInterval 0), the others keep serving the old entry', async () => {
    const prefix = freshPrefix('no-sync')
    const environments = await fleet(2, { ORC_FLEET_PREFIX: prefix, ORC_CACHE_SYNC_INTERVAL: '0' })
    const measured = staleness(environments, prefix, 'n', (environment) =>
      environment.send({ type: 'delete', id: 'n' }),
    )
    await expect(measured).rejects.toThrow('still stale after 10 s')
    await stopAll(environments)
  }, 60_000)
})
