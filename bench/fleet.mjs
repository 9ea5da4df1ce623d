#!/usr/bin/env node
/**
 * The fleet acting as one cache (issue 15), on the real Redis at 127.0.0.1:6379
 * (REDIS_PORT to change), with separate Node processes as execution environments
 * (bench/lib/fleet.mjs, on the built dist/):
 *
 *   npm run build && node --expose-gc bench/fleet.mjs
 *
 * 1. Handler runs per burst: 10 environments × 5 concurrent invocations of one cold key
 *    (a handler of 300 ms), with and without the lease, interleaved, BURSTS times each.
 * 2. Staleness after an invalidation (syncInterval 1 s): 4 environments hold an entry in
 *    memory; one deletes it (or invalidates its tag); the others are polled every 10 ms
 *    until each answers the new version. Median and worst, over TRIALS trials each.
 * 3. What the sync check adds to an L1 hit, in this process: orcCache with the shared
 *    tier and syncInterval 1 s against the same with syncInterval 0, batches interleaved;
 *    and one read of the log (the round trip an environment makes once per interval),
 *    amortised over an interval at a given request rate.
 *
 * Targets: one handler run per burst with the lease; worst staleness ≤ syncInterval +
 * 100 ms; the sync check ≤ 50 ns per L1 hit, amortised. Exits 1 when one is missed.
 */
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { lambdaContext, loadEvent, objectResponder } from './lib/aws.mjs'
import { startFleet } from './lib/fleet.mjs'

const require = createRequire(import.meta.url)
const { default: middy } = await import('@middy/core')
const { orcCache } = await import('../dist/cache/index.js')
const { redisStore } = await import('../dist/redis/index.js')
const { Redis } = require('ioredis')

const port = Number(process.env.REDIS_PORT ?? 6379)
const BURSTS = Number(process.env.BURSTS ?? 5)
const TRIALS = Number(process.env.TRIALS ?? 10)
const SYNC_INTERVAL = 1_000
const run = randomBytes(3).toString('hex')
const silent = { warn: () => {} }
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const sorted = (xs) => [...xs].sort((a, b) => a - b)
const median = (xs) => sorted(xs)[Math.floor(xs.length / 2)]
const targets = []
const target = (label, value, limit, unit) =>
  targets.push({ label, value, limit, unit, met: value <= limit })

const admin = new Redis({ host: '127.0.0.1', port, lazyConnect: true })
await admin.connect()
const prefixes = []
const freshPrefix = (name) => {
  const prefix = `orc-bench-fleet-${run}-${name}:`
  prefixes.push(prefix)
  return prefix
}
const cleanUp = async () => {
  for (const prefix of prefixes) {
    const keys = await admin.keys(`${prefix}*`)
    if (keys.length > 0) await admin.del(...keys)
  }
}
const fleetEnv = (prefix, extra) => ({
  ORC_FLEET_PREFIX: prefix,
  ORC_FLEET_PORT: String(port),
  ...extra,
})

// ---------------------------------------------------------------- 1. bursts
console.log(`## Handler runs per burst (10 environments × 5 concurrent misses, ${BURSTS} bursts)\n`)
const withLease = freshPrefix('lease')
const withoutLease = freshPrefix('no-lease')
const fleets = {
  lease: await startFleet(10, fleetEnv(withLease, { ORC_CACHE_LEASE: '5s' })),
  none: await startFleet(10, fleetEnv(withoutLease, { ORC_CACHE_LEASE: '0' })),
}
const runs = { lease: [], none: [] }
const failures = { lease: 0, none: 0 }
for (let b = 0; b < BURSTS; b++) {
  for (const [mode, prefix] of [
    ['lease', withLease],
    ['none', withoutLease],
  ]) {
    const id = `burst-${b}`
    const replies = await Promise.all(
      fleets[mode].map((environment) => environment.send({ type: 'invoke', id, n: 5, work: 300 })),
    )
    failures[mode] += replies.flatMap((reply) => reply.results).filter((r) => !r.ok).length
    runs[mode].push(Number(await admin.get(`${prefix}runs:${id}`)))
  }
}
const storeFailures = async (mode) => {
  const stats = await Promise.all(fleets[mode].map((e) => e.send({ type: 'stats' })))
  return stats.reduce((total, reply) => total + reply.store.failures, 0)
}
console.log(
  '| | handler runs per burst (median) | worst | failed invocations | shared-tier failures |',
)
console.log('| --- | ---: | ---: | ---: | ---: |')
for (const [mode, label] of [
  ['none', 'without lease (each environment its own single flight)'],
  ['lease', 'with lease'],
]) {
  console.log(
    `| ${label} | ${median(runs[mode])} | ${Math.max(...runs[mode])} | ${failures[mode]} | ${await storeFailures(mode)} |`,
  )
}
target('handler runs per burst with lease (worst)', Math.max(...runs.lease), 1, 'runs')
await Promise.all([...fleets.lease, ...fleets.none].map((e) => e.stop()))

// ---------------------------------------------------------------- 2. staleness
console.log(
  `\n## Staleness after an invalidation (syncInterval ${SYNC_INTERVAL} ms, ${TRIALS} trials, 3 readers)\n`,
)
const stalePrefix = freshPrefix('stale')
const environments = await startFleet(
  4,
  fleetEnv(stalePrefix, { ORC_CACHE_SYNC_INTERVAL: String(SYNC_INTERVAL) }),
)
const [writer, ...readers] = environments
const measureStaleness = async (id, invalidate) => {
  await admin.set(`${stalePrefix}version:${id}`, '1')
  for (const environment of environments) await environment.send({ type: 'invoke', id, n: 1 })
  await admin.set(`${stalePrefix}version:${id}`, '2')
  // Readers are mid-interval at random points, as in a fleet serving traffic.
  await sleep(Math.random() * SYNC_INTERVAL)
  await invalidate(id)
  const at = performance.now()
  return Promise.all(
    readers.map(async (environment) => {
      for (;;) {
        const reply = await environment.send({ type: 'invoke', id, n: 1 })
        if (reply.results[0].result?.version === '2') return performance.now() - at
        if (performance.now() - at > 10_000) return Number.POSITIVE_INFINITY
        await sleep(10)
      }
    }),
  )
}
const rtts = []
for (let i = 0; i < 200; i++) {
  const t = performance.now()
  await admin.ping()
  rtts.push(performance.now() - t)
}
console.log(`(loopback round trip, PING from this process: median ${median(rtts).toFixed(2)} ms)\n`)
console.log('| invalidation | median (ms) | worst (ms) | bound: syncInterval + one round trip |')
console.log('| --- | ---: | ---: | ---: |')
for (const [label, invalidate] of [
  ['delete(key)', (id) => writer.send({ type: 'delete', id })],
  ['invalidateTags', (id) => writer.send({ type: 'invalidateTags', tags: [`item:${id}`] })],
]) {
  const all = []
  for (let t = 0; t < TRIALS; t++)
    all.push(...(await measureStaleness(`${label}-${t}`, invalidate)))
  console.log(
    `| ${label} | ${median(all).toFixed(0)} | ${Math.max(...all).toFixed(0)} | ${SYNC_INTERVAL} + ${median(rtts).toFixed(2)} |`,
  )
  // The readers are polled every 10 ms and answer over IPC: 100 ms covers both.
  target(`${label}: worst staleness`, Math.max(...all), SYNC_INTERVAL + 100, 'ms')
}
await Promise.all(environments.map((e) => e.stop()))

// ---------------------------------------------------------------- 3. sync check on an L1 hit
console.log('\n## What the sync check adds to an L1 hit (this process, ioredis)\n')
const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true })
await client.connect()
const hitPrefix = freshPrefix('hit')
const store = redisStore(client, { prefix: hitPrefix, timeout: 1_000, logger: silent })
const event = loadEvent('apigw-request')
event.pathParameters = { ...event.pathParameters, id: 'item-1' }
const respond = objectResponder(1024)
const context = lambdaContext()
const stack = (options) =>
  middy(async () => respond()).use(
    orcCache({ key: 'pathParameters.id', http: false, shared: store, logger: silent, ...options }),
  )
const syncing = stack({ syncInterval: SYNC_INTERVAL })
const notSyncing = stack({ syncInterval: 0 })
// A second cache without the check: the A/A control shows what noise alone gives.
const control = stack({ syncInterval: 0 })
const fns = [notSyncing, control, syncing]
for (const fn of fns) await fn(event, context)
const samples = fns.map(() => [])
const BATCH = 10_000
const ROUNDS = 40
for (let r = 0; r < ROUNDS + 2; r++) {
  // The order turns each round, so that no variant always runs first.
  const order = fns.map((_, i) => (i + r) % fns.length)
  for (const i of order) {
    const t = performance.now()
    for (let n = 0; n < BATCH; n++) await fns[i](event, context)
    if (r > 1) samples[i].push(((performance.now() - t) * 1e6) / BATCH)
  }
}
const best = samples.map((own) => Math.min(...own))
const syncReads = []
for (let i = 0; i < 500; i++) {
  const t = performance.now()
  await store.sync(0)
  syncReads.push(performance.now() - t)
}
const readMs = median(syncReads)
console.log(`| | ns per L1 hit, best of ${ROUNDS} batches | median of the batches |`)
console.log('| --- | ---: | ---: |')
console.log(
  `| syncInterval 0 (no sync check) | ${best[0].toFixed(0)} | ${median(samples[0]).toFixed(0)} |`,
)
console.log(
  `| syncInterval 0 again (A/A control) | ${best[1].toFixed(0)} | ${median(samples[1]).toFixed(0)} |`,
)
console.log(`| syncInterval 1 s | ${best[2].toFixed(0)} | ${median(samples[2]).toFixed(0)} |`)
console.log(
  `\nDifference, best of batches: sync check ${(best[2] - best[0]).toFixed(1)} ns; A/A control ${(best[1] - best[0]).toFixed(1)} ns (noise). On a loaded machine the medians move by hundreds of ns between identical caches; the best batch is the steadiest figure.`,
)
console.log(
  `\nOne read of the log (ZRANGEBYSCORE, nothing new): median ${(readMs * 1000).toFixed(0)} µs, once per environment per interval; amortised over ${SYNC_INTERVAL} ms at 100 requests/s: ${((readMs * 1e6) / 100).toFixed(0)} ns a request, at 1,000/s: ${((readMs * 1e6) / 1000).toFixed(0)} ns.`,
)
target('sync check on an L1 hit (best batches)', best[2] - best[0], 50, 'ns')
client.disconnect()

await cleanUp()
admin.disconnect()

console.log('\n| target | measured | limit | met |')
console.log('| --- | ---: | ---: | :---: |')
for (const { label, value, limit, unit, met } of targets) {
  console.log(
    `| ${label} | ${value.toFixed(1)} ${unit} | ${limit} ${unit} | ${met ? 'yes' : 'NO'} |`,
  )
}
if (targets.some((t) => !t.met)) process.exitCode = 1
