/**
 * Memory: 100,000 distinct keys with ~1 KB responses under `maxBytes` 8 MiB.
 *
 * The cache must stay inside its byte bound at every moment (`stats().bytes`),
 * and what it really holds on the heap must be of the same order as that bound
 * (its size estimate is neither wildly low, which would let it overrun the
 * function's memory, nor wildly high, which would waste the bound).
 *
 * Heap figures need `global.gc` and a quiet process, so the scenario runs in a
 * child `node --expose-gc` on a bundle of the sources (esbuild, so it runs the
 * current src/ on any Node without a build step), with the real @middy/core and
 * AWS's API Gateway sample event. The child reports JSON; the checks are here.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'
import { childBuildOptions, childCoverageEnv, keepBundle } from '../helpers/child-coverage.js'
import { fixturesDir } from '../helpers/events.js'

const MiB = 1024 * 1024
const MAX_BYTES = 8 * MiB
const KEYS = 100_000
const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

/** The scenario, run in the child. `gc` comes from --expose-gc. */
const scenario = `
import middy from '@middy/core'
import { readFileSync } from 'node:fs'
import { orcCache } from './src/cache/index.ts'

const { fixturesDir, keys, maxBytes } = JSON.parse(process.argv[2])
const gc = globalThis.gc
if (typeof gc !== 'function') throw new Error('run with --expose-gc')
const heap = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

const event = JSON.parse(readFileSync(fixturesDir + 'apigw-request.json', 'utf8'))
const context = { functionName: 'orc-memory', awsRequestId: 'memory', getRemainingTimeInMillis: () => 60_000 }
const warnings = []
const cache = orcCache({
  key: 'pathParameters.id',
  http: false,
  ttl: 3_600_000,
  maxBytes,
  logger: { warn: (message) => warnings.push(message) },
})
const rows = Array.from({ length: 18 }, (_, i) => ({ sku: 'SKU-' + i, qty: i * 3, colour: 'slate' }))
// A fresh ~1 KB result per call, with its own (flat) body string, as a handler makes.
const handler = middy(async (request) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ id: request.pathParameters.id, name: 'Water bottle, 750 ml', rows }),
})).use(cache)

const responseBytes = JSON.stringify(await handler({ ...event, pathParameters: { id: 'probe' } }, context)).length
// Warm up (JIT, lazily compiled code, V8's heap layout) on other keys, then start from empty.
for (let i = 0; i < keys / 5; i++) {
  event.pathParameters = { proxy: 'items', id: 'warm-' + i }
  await handler(event, context)
}
cache.clear()
const counted = cache.stats()

const before = heap()
let maxStatsBytes = 0
let maxHeapGrowth = 0
const samples = []
for (let i = 0; i < keys; i++) {
  event.pathParameters = { proxy: 'items', id: 'item-' + i }
  await handler(event, context)
  const bytes = cache.stats().bytes
  if (bytes > maxStatsBytes) maxStatsBytes = bytes
  if ((i + 1) % 10_000 === 0) {
    const growth = heap() - before
    if (growth > maxHeapGrowth) maxHeapGrowth = growth
    samples.push({ invocations: i + 1, statsBytes: bytes, heapGrowth: growth })
  }
}
const finalGrowth = heap() - before
const end = cache.stats()
const stats = {
  hits: end.hits - counted.hits,
  misses: end.misses - counted.misses,
  stores: end.stores - counted.stores,
  evictions: end.evictions - counted.evictions,
  entries: end.entries,
  bytes: end.bytes,
}
cache.clear()
const afterClear = heap() - before
process.stdout.write(JSON.stringify({ responseBytes, maxStatsBytes, maxHeapGrowth, finalGrowth, afterClear, stats, samples, warnings }))
`

interface Report {
  responseBytes: number
  maxStatsBytes: number
  maxHeapGrowth: number
  finalGrowth: number
  afterClear: number
  /** Counters of the measured run only (the warm-up subtracted), and the size at its end. */
  stats: {
    hits: number
    misses: number
    stores: number
    evictions: number
    entries: number
    bytes: number
  }
  samples: { invocations: number; statsBytes: number; heapGrowth: number }[]
  warnings: string[]
}

const workDir = mkdtempSync(join(tmpdir(), 'orc-memory-'))
afterAll(() => rmSync(workDir, { recursive: true, force: true }))

const runScenario = async (): Promise<Report> => {
  const outfile = join(workDir, 'scenario.mjs')
  await build({
    stdin: { contents: scenario, resolveDir: repoRoot, loader: 'ts', sourcefile: 'scenario.ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
    ...childBuildOptions,
  })
  keepBundle(outfile)
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', outfile, JSON.stringify({ fixturesDir, keys: KEYS, maxBytes: MAX_BYTES })],
    {
      encoding: 'utf8',
      timeout: 60_000,
      maxBuffer: 16 * MiB,
      env: { ...process.env, ...childCoverageEnv() },
    },
  )
  if (child.status !== 0) {
    throw new Error(`memory scenario failed (${child.status ?? child.signal}): ${child.stderr}`)
  }
  return JSON.parse(child.stdout) as Report
}

describe('orcCache memory bound: 100,000 keys × ~1 KB under maxBytes 8 MiB', () => {
  it('stays inside the byte bound, and holds heap of the same order as the bound', async () => {
    const report = await runScenario()
    const { stats } = report
    const mib = (bytes: number) => `${(bytes / MiB).toFixed(2)} MiB`
    console.log(
      `memory: response ${report.responseBytes} B; stats.bytes max ${mib(report.maxStatsBytes)}; ` +
        `heap growth max ${mib(report.maxHeapGrowth)}, final ${mib(report.finalGrowth)}, after clear() ${mib(report.afterClear)}; ` +
        `${stats.entries} entries, ${stats.evictions} evictions`,
    )

    // The scenario did what it says: ~1 KB responses, every call a store, the bound exercised.
    expect(report.responseBytes).toBeGreaterThan(900)
    expect(report.responseBytes).toBeLessThan(1200)
    expect(report.warnings).toEqual([])
    expect(stats.hits).toBe(0)
    expect(stats.stores).toBe(KEYS)
    expect(stats.evictions).toBe(KEYS - stats.entries)
    expect(stats.entries).toBeGreaterThan(1_000)
    expect(stats.entries).toBeLessThan(KEYS / 5)

    // Inside the bound at every invocation, and filled close to it.
    expect(report.maxStatsBytes).toBeLessThanOrEqual(MAX_BYTES)
    expect(stats.bytes).toBeGreaterThan(MAX_BYTES * 0.9)
    expect(report.samples).toHaveLength(KEYS / 10_000)
    for (const sample of report.samples) expect(sample.statsBytes).toBeLessThanOrEqual(MAX_BYTES)

    // The real heap held is of the same order as the bound: not above 3×, not below a third.
    expect(report.maxHeapGrowth).toBeLessThan(3 * MAX_BYTES)
    expect(report.finalGrowth).toBeGreaterThan(MAX_BYTES / 3)
    // And it is the cache that holds it: clear() gives (nearly) all of it back.
    expect(report.afterClear).toBeLessThan(report.finalGrowth / 4)
  }, 60_000)
})
