/**
 * A deployment without the shared-tier driver: the built package loads `cache/shared.js`
 * lazily (only when a `shared` option is given), and a packaging step that copies only
 * the entry file leaves it out. orcCache must then say so once and keep caching in
 * memory, never failing a request. Runs the built package in a child process, with
 * the driver's file deleted.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import middy from '@middy/core'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildJs } from '../../scripts/build.mjs'
import { childBuildOptions, childCoverageEnv, keepBundle } from '../helpers/child-coverage.js'
import { memoryTier } from '../helpers/memory-tier.js'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
// Inside the repository, so that the built files resolve lru-cache and @middy/core.
const dir = join(repoRoot, '.cache', `driver-missing-${process.pid}`)

interface Report {
  readonly results: unknown[]
  readonly runs: number
  readonly tierCalls: number
  readonly warnings: string[]
  readonly deleted: boolean
  readonly early: boolean
  readonly stats: Record<string, number>
}

const script = (entry: string) => `
import middy from '@middy/core'
import { orcCache } from ${JSON.stringify(entry)}
const warnings = []
let tierCalls = 0
// The user's own shared tier: counts the calls that reach it.
const tier = {
  get: async () => { tierCalls++; return undefined },
  set: async () => { tierCalls++; return 'stored' },
  delete: async () => { tierCalls++; return 0 },
  // A tier that keeps the fleet's log: every invocation would read it first (syncInterval).
  sync: async () => { tierCalls++; return { generation: 0, floor: 0, entries: [] } },
  invalidate: async () => { tierCalls++; return 1 },
}
let runs = 0
const cache = orcCache({ key: 'id', shared: tier, logger: { warn: (message) => warnings.push(message) } })
// Queued on the driver's load, which then fails: dropped, with the rest of memory's work done.
const early = cache.delete('early')
const handler = middy(async (event) => ({ id: event.id, run: ++runs })).use(cache)
const results = []
for (const id of ['a', 'a', 'b']) results.push(await handler({ id }, {}))
const deleted = cache.delete('a')
results.push(await handler({ id: 'a' }, {}))
cache.clear()
console.log(JSON.stringify({ results, runs, tierCalls, warnings, deleted, early, stats: cache.stats() }))
`

let report: Report

beforeAll(async () => {
  mkdirSync(dir, { recursive: true })
  await buildJs({
    outdir: dir,
    ...(childBuildOptions.sourcemap ? { sourcemap: 'inline', minify: false } : {}),
  })
  const entry = join(dir, 'cache/index.js')
  keepBundle(entry)
  rmSync(join(dir, 'cache/shared.js'))
  const file = join(dir, 'scenario.mjs')
  writeFileSync(file, script(pathToFileURL(entry).href))
  const child = spawnSync(process.execPath, [file], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, ...childCoverageEnv() },
  })
  if (child.status !== 0) throw new Error(`scenario failed (${child.status}): ${child.stderr}`)
  report = JSON.parse(child.stdout) as Report
}, 60_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('orcCache whose shared-tier driver cannot be loaded', () => {
  it('is a deployment without the driver’s file', () => {
    expect(existsSync(join(dir, 'cache/index.js'))).toBe(true)
    expect(existsSync(join(dir, 'cache/shared.js'))).toBe(false)
  })

  it('answers every request, caching in memory: the second `a` is a hit', () => {
    expect(report.results).toEqual([
      { id: 'a', run: 1 },
      { id: 'a', run: 1 },
      { id: 'b', run: 2 },
      { id: 'a', run: 3 },
    ])
    expect(report.runs).toBe(3)
    expect(report.stats.hits).toBe(1)
    expect(report.deleted).toBe(true)
    expect(report.early).toBe(false)
  })

  it('never reaches the shared tier and says why, once, naming the cause', () => {
    expect(report.tierCalls).toBe(0)
    expect(report.stats.sharedStores).toBe(0)
    const about = report.warnings.filter((warning) => warning.includes('shared-tier driver'))
    expect(about).toHaveLength(1)
    expect(about[0]).toMatch(
      /cannot load its shared-tier driver \(\w+\); the cache stays in memory only/,
    )
  })
})

describe('orcCache whose shared-tier driver fails to load while the first invocation waits for it', () => {
  afterEach(() => {
    vi.doUnmock('../../src/cache/shared.js')
    vi.resetModules()
  })

  it('answers that invocation from the handler, then caches in memory; says why once', async () => {
    // The driver's module fails to load, once the first invocation waits for it: its key
    // selector (called before the wait) opens the gate. In process, so that the hooks'
    // own coverage is measured where it is.
    let openGate = () => {}
    const gate = new Promise<void>((resolve) => {
      openGate = resolve
    })
    vi.doMock('../../src/cache/shared.js', async () => {
      await gate
      throw new Error('cannot find module ./shared.js at /var/task/secret-path')
    })
    vi.resetModules()
    const { orcCache } = await import('../../src/cache/index.js')
    const tier = memoryTier()
    const warnings: string[] = []
    let runs = 0
    const cache = orcCache<{ id: string }, { id: string; run: number }>({
      key: (event) => {
        openGate()
        return event.id
      },
      shared: tier,
      syncInterval: 0,
      logger: { warn: (message: string) => warnings.push(message) },
    })
    const handler = middy(async (event: { id: string }) => ({ id: event.id, run: ++runs })).use(
      cache,
    )
    expect(await handler({ id: 'a' }, {} as never)).toEqual({ id: 'a', run: 1 })
    expect(await handler({ id: 'a' }, {} as never)).toEqual({ id: 'a', run: 1 })
    // After the failure, a delete acts on memory and queues nothing for the tier.
    expect(cache.delete('a')).toBe(true)
    expect(await handler({ id: 'a' }, {} as never)).toEqual({ id: 'a', run: 2 })
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2, sharedStores: 0 })
    expect(tier.calls).toEqual({})
    // One line, naming the error's class only (never its message: it may hold a path).
    expect(warnings).toEqual([
      'orcCache: cannot load its shared-tier driver (Error); the cache stays in memory only',
    ])
  })
})
