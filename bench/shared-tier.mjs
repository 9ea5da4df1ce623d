#!/usr/bin/env node
/**
 * orcCache with a shared second tier (redisStore) on the real Redis at
 * 127.0.0.1:6379 (REDIS_PORT to change), with the targets of issue 14:
 *
 *   npm run build && node --expose-gc bench/shared-tier.mjs
 *
 * 1. Fleet simulation: K environments (K orcCache instances, each its own L1 of
 *    `L1_ENTRIES` entries, in one process) serve Zipf-distributed keys, one
 *    invocation at a time each and all environments at once, with a backend of
 *    1 ms. Handler runs and hit ratios for L1 only, L1 + L2 (one redisStore
 *    shared by all), and one ideal shared cache (a single in-process cache,
 *    unbounded, that every environment reads, with single flight).
 *    Target: for K = 20, L1 + L2 runs the handler at most 1.2× as often as the ideal.
 * 2. Latency (ioredis 5 and node-redis 5): the Middy floor (no middleware), an
 *    L1 hit with the shared tier configured, an L2 hit (L1 emptied before each
 *    call), a raw GET of the same record through the same client; "our work"
 *    is L2 hit − raw GET − floor. Targets: L1 hit ≤ 2× floor; our work ≤ 50 µs.
 * 3. Server down (a redis-server of our own, killed): what a miss costs more
 *    than without a shared tier, while the circuit is closed (each failing
 *    read waits for the timeout; no write is then attempted) and once it is
 *    open. Targets: median ≤ timeout + 5 ms (timers fire late; the worst case
 *    is printed too, a pause of this process shows there), ≤ 50 µs once open.
 *
 * Exits with code 1 when a target is missed.
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { lambdaContext, loadEvent, objectResponder } from './lib/aws.mjs'

const require = createRequire(import.meta.url)
const { default: middy } = await import('@middy/core')
const { orcCache } = await import('../dist/cache/index.js')
const { redisStore } = await import('../dist/redis/index.js')

const port = Number(process.env.REDIS_PORT ?? 6379)
const prefix = `orc-bench-l2-${process.pid}:`
const silent = { warn: () => {} }
const context = lambdaContext()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const targets = []
const target = (label, value, limit, unit) =>
  targets.push({ label, value, limit, unit, met: value <= limit })

const ioredis = async (p = port) => {
  const { Redis } = require('ioredis')
  const client = new Redis({
    host: '127.0.0.1',
    port: p,
    lazyConnect: true,
    retryStrategy: (times) => (times === 1 ? 0 : Math.min(times * 50, 2000)),
  })
  client.on('error', () => {})
  await client.connect()
  return { client, rawGet: (key) => client.getBuffer(key), close: () => client.disconnect() }
}
const nodeRedis = async (p = port) => {
  const client = require('redis').createClient({ socket: { host: '127.0.0.1', port: p } })
  client.on('error', () => {})
  await client.connect()
  return {
    client,
    rawGet: (key) => client.sendCommand(['GET', key]),
    close: () => client.destroy(),
  }
}

const admin = await ioredis()
const cleanUp = async () => {
  const keys = await admin.client.keys(`${prefix}*`)
  if (keys.length > 0) await admin.client.del(...keys)
}

// ---------------------------------------------------------------- 1. fleet
/** A seeded PRNG (mulberry32), so every mode sees the same request streams. */
const random = (seed) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const KEYS = 10_000
const ZIPF_S = 1
const L1_ENTRIES = 1_000
const PER_ENV = 1_000
const FLEET_TIMEOUT = 250
const zipfTable = (() => {
  const cdf = new Float64Array(KEYS)
  let sum = 0
  for (let i = 0; i < KEYS; i++) {
    sum += 1 / (i + 1) ** ZIPF_S
    cdf[i] = sum
  }
  for (let i = 0; i < KEYS; i++) cdf[i] /= sum
  return cdf
})()
const zipf = (next) => {
  const u = next()
  let lo = 0
  let hi = KEYS - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (zipfTable[mid] < u) lo = mid + 1
    else hi = mid
  }
  return lo
}

const fleet = async (K, mode) => {
  let runs = 0
  const handlerOf = (cache) =>
    middy()
      .use(cache)
      .handler(async (event) => {
        runs++
        await sleep(1)
        return { id: event.id, value: `item ${event.id}`, list: [1, 2, 3] }
      })
  const options = { key: 'id', ttl: 600_000, logger: silent }
  let store
  let client
  if (mode === 'L1 + L2') {
    client = await ioredis()
    // All K environments share this one process: a pause of its event loop (GC, JIT)
    // delays every pending GET at once, which a real fleet of separate processes
    // would not see. A wider timeout keeps such pauses from counting as server
    // failures (and opening the circuit); failures are still counted below.
    store = redisStore(client.client, {
      prefix: `${prefix}${K}:`,
      timeout: FLEET_TIMEOUT,
      logger: silent,
    })
  }
  const caches = []
  const idealCache =
    mode === 'ideal shared cache' ? orcCache({ ...options, maxEntries: KEYS * 2 }) : undefined
  const ideal = idealCache && handlerOf(idealCache)
  if (idealCache) caches.push(idealCache)
  let requests = 0
  const environments = Array.from({ length: K }, (_, e) => {
    if (ideal) return { handler: ideal, next: random(1000 + e) }
    const cache = orcCache({
      ...options,
      maxEntries: L1_ENTRIES,
      ...(store ? { shared: store } : {}),
    })
    caches.push(cache)
    return { handler: handlerOf(cache), next: random(1000 + e) }
  })
  const started = performance.now()
  await Promise.all(
    environments.map(async ({ handler, next }) => {
      for (let i = 0; i < PER_ENV; i++) {
        await handler({ id: `k${zipf(next)}` }, context)
        requests++
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  const hits = caches.reduce((sum, cache) => sum + cache.stats().hits, 0)
  const failures = store?.stats().failures ?? 0
  await client?.close()
  return { runs, hits, requests, seconds, failures }
}

if (process.env.SKIP_FLEET !== '1') {
  console.log('## orcCache shared tier: fleet simulation')
  console.log(
    `${KEYS} keys, Zipf s = ${ZIPF_S}, ${PER_ENV} invocations per environment (one at a time each, all environments at once), L1 of ${L1_ENTRIES} entries, backend 1 ms, TTL 10 min, redisStore timeout ${FLEET_TIMEOUT} ms. Node ${process.versions.node}.\n`,
  )
  console.log('| K | mode | handler runs | hit ratio | × ideal runs | L2 failures |')
  console.log('| ---: | --- | ---: | ---: | ---: | ---: |')
  for (const K of [5, 20, 50]) {
    const results = {}
    for (const mode of ['L1 only', 'L1 + L2', 'ideal shared cache']) {
      results[mode] = await fleet(K, mode)
    }
    const ideal = results['ideal shared cache'].runs
    for (const [mode, r] of Object.entries(results)) {
      console.log(
        `| ${K} | ${mode} | ${r.runs} | ${((100 * r.hits) / r.requests).toFixed(1)}% | ${(r.runs / ideal).toFixed(2)} | ${mode === 'L1 + L2' ? r.failures : '-'} |`,
      )
    }
    if (K === 20)
      target('K = 20: L1 + L2 handler runs / ideal', results['L1 + L2'].runs / ideal, 1.2, '×')
  }
  await cleanUp()
}

// ---------------------------------------------------------------- 2. latency
const event = loadEvent('apigw-request')
event.pathParameters = { ...event.pathParameters, id: 'item-1' }
const respond = objectResponder(1024)
const stack = (cache) => {
  const m = middy()
  if (cache) m.use(cache)
  return m.handler(async () => respond())
}

/**
 * ns per call of each function, batches of `batch` calls interleaved round by
 * round (so drift in the machine's load hits all alike): the median per function,
 * and the median over rounds of each one's ratio to the first.
 */
const perCallPaired = async (fns, batch = 20_000, rounds = 11) => {
  const samples = fns.map(() => [])
  for (let r = 0; r < rounds + 2; r++) {
    for (const [i, fn] of fns.entries()) {
      const t = performance.now()
      for (let n = 0; n < batch; n++) await fn()
      if (r > 1) samples[i].push(((performance.now() - t) * 1e6) / batch)
    }
  }
  const ratios = samples.map((own) => median(own.map((ns, r) => ns / samples[0][r])))
  return { ns: samples.map(median), ratios }
}

console.log('\n## orcCache shared tier: latency (one invocation at a time)\n')
console.log(
  '| client | Middy floor | L1 hit, no shared tier | L1 hit, shared configured | raw GET (same record) | L2 hit (L1 emptied first) | our work on an L2 hit |',
)
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
for (const [name, connect] of [
  ['ioredis 5', ioredis],
  ['node-redis 5', nodeRedis],
]) {
  const { client, rawGet, close } = await connect()
  const store = redisStore(client, { prefix: `${prefix}${name}:`, timeout: 1000, logger: silent })
  const cache = orcCache({ key: 'pathParameters.id', http: false, shared: store, logger: silent })
  const withCache = stack(cache)
  // For L2 hits, memory is emptied before each call: with fleet-wide invalidation on,
  // clear() would make the shared copy stale for the whole fleet, so this cache has it off.
  const l2Cache = orcCache({
    key: 'pathParameters.id',
    http: false,
    shared: store,
    logger: silent,
    syncInterval: 0,
  })
  const withL2Cache = stack(l2Cache)
  // The floor of bench/cache.mjs: one `before` answering with a constant (an early response).
  const constant = respond()
  const floorStack = middy(async () => constant).use({ before: () => constant })
  const plainHit = stack(orcCache({ key: 'pathParameters.id', http: false, logger: silent }))
  await plainHit(event, context)
  await withCache(event, context) // stores in both tiers
  const {
    ns: [floorNs, plainNs, l1Ns],
    ratios: [, , l1Ratio],
  } = await perCallPaired([
    () => floorStack(event, context),
    () => plainHit(event, context),
    () => withCache(event, context),
  ])
  if (cache.stats().sharedHits !== 0) throw new Error('an L1 hit went to the shared tier')
  const key = store.keyOf(event.pathParameters.id)
  const raw = []
  const l2 = []
  for (let i = 0; i < 3_500; i++) {
    let t = performance.now()
    await rawGet(key)
    const r = performance.now() - t
    l2Cache.clear()
    t = performance.now()
    await withL2Cache(event, context)
    const s = performance.now() - t
    if (i >= 500) {
      raw.push(r * 1e6)
      l2.push(s * 1e6)
    }
  }
  if (l2Cache.stats().sharedHits < 3_500)
    throw new Error(
      `the L2 hits were not L2 hits: ${JSON.stringify(l2Cache.stats())} ${JSON.stringify(store.stats())}`,
    )
  const ours = median(l2) - median(raw) - floorNs
  const us = (ns) => `${(ns / 1000).toFixed(1)} µs`
  console.log(
    `| ${name} | ${Math.round(floorNs)} ns | ${Math.round(plainNs)} ns | ${Math.round(l1Ns)} ns (${l1Ratio.toFixed(2)}×) | ${us(median(raw))} | ${us(median(l2))} | ${us(ours)} |`,
  )
  target(`${name}: L1 hit / Middy floor`, l1Ratio, 2, '×')
  target(`${name}: our work on an L2 hit`, ours / 1000, 50, 'µs')
  await close()
}
await cleanUp()

// ---------------------------------------------------------------- 3. server down
const freePort = async () => {
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port: free } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return free
}
const ownPort = await freePort()
const child = spawn(
  'redis-server',
  ['--port', String(ownPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  { stdio: 'ignore' },
)
for (let i = 0; ; i++) {
  const up = await new Promise((resolve) => {
    const socket = net.connect(ownPort, '127.0.0.1')
    socket.once('connect', () => resolve(socket.destroy() || true))
    socket.once('error', () => resolve(false))
  })
  if (up) break
  if (i > 200) throw new Error('redis-server did not start')
  await sleep(20)
}
const TIMEOUT = 50
const FAILURES = 5
console.log('\n## orcCache shared tier: server down\n')
console.log(
  `A redis-server of our own, killed (SIGKILL) after the first store; redisStore timeout ${TIMEOUT} ms, circuitFailures ${FAILURES}. Each row: misses in memory (a new key each time), the handler answering at once.\n`,
)
console.log(
  '| client | no shared tier | circuit closed: median extra | circuit closed: worst extra | circuit open: median extra |',
)
console.log('| --- | ---: | ---: | ---: | ---: |')
let keyNo = 0
const time = async (handler) => {
  const t = performance.now()
  await handler({ id: `down-${keyNo++}` }, context)
  return (performance.now() - t) * 1e3
}
const downs = []
for (const [name, connect] of [
  ['ioredis 5', ioredis],
  ['node-redis 5', nodeRedis],
]) {
  const { client, close } = await connect(ownPort)
  const store = redisStore(client, {
    prefix: `${prefix}down-${name}:`,
    timeout: TIMEOUT,
    circuitFailures: FAILURES,
    circuitCooldown: 600_000,
    logger: silent,
  })
  const shared = stack(orcCache({ key: 'id', shared: store, logger: silent }))
  await shared({ id: 'first' }, context)
  if (store.stats().stores !== 1) throw new Error(`${name}: the first store failed`)
  downs.push({ name, store, shared, close })
}
child.kill('SIGKILL')
await sleep(50)
const plain = stack(orcCache({ key: 'id', logger: silent }))
for (const { name, store, shared, close } of downs) {
  const baseline = []
  for (let i = 0; i < 200; i++) baseline.push(await time(plain))
  const base = median(baseline)
  const closed = []
  while (store.stats().circuit === 'closed') closed.push((await time(shared)) - base)
  const open = []
  for (let i = 0; i < 200; i++) open.push((await time(shared)) - base)
  const worst = Math.max(...closed)
  console.log(
    `| ${name} | ${base.toFixed(1)} µs | ${(median(closed) / 1000).toFixed(1)} ms | ${(worst / 1000).toFixed(1)} ms (${closed.length} misses until open) | ${median(open).toFixed(1)} µs |`,
  )
  target(
    `${name}: server down, circuit closed, median extra per invocation`,
    median(closed) / 1000,
    TIMEOUT + 5,
    'ms',
  )
  target(`${name}: server down, circuit open, extra per invocation`, median(open), 50, 'µs')
  await close()
}
child.kill('SIGKILL')
await admin.close()

console.log('\n| target | measured | limit | met |')
console.log('| --- | ---: | ---: | --- |')
for (const t of targets) {
  console.log(
    `| ${t.label} | ${t.value.toFixed(2)} ${t.unit} | ${t.limit} ${t.unit} | ${t.met ? 'yes' : 'NO'} |`,
  )
}
if (targets.some((t) => !t.met)) process.exitCode = 1
