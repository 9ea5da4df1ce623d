#!/usr/bin/env node
/**
 * Cost of a shared-tier hit on loopback: one GET through each supported client
 * library, then the same GET through redisStore (timeout, circuit breaker,
 * decoding), and decoding alone. One request at a time, as in one invocation.
 *
 *   npm run build && node bench/redis.mjs        # needs Redis at 127.0.0.1:6379 (REDIS_PORT to change)
 *
 * "store overhead" is store GET minus raw GET: what redisStore adds to a
 * round trip (the budget for our own work on an L2 hit is 50 µs,
 * which also covers the cache's copy and L1 fill, measured elsewhere).
 */
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'

const require = createRequire(import.meta.url)
const { redisStore, KIND_HTTP } = await import('../dist/redis/index.js')
const { decodeEntry, encodeEntry } = await import('../dist/redis/codec.js')

const port = Number(process.env.REDIS_PORT ?? 6379)
const ROUNDS = Number(process.env.ROUNDS ?? 3000)
const WARMUP = 500

const entry = (bytes) => {
  const items = []
  let body = '[]'
  for (let i = 0; body.length < bytes; i++) {
    items.push({ id: i, name: `item ${i}`, price: i * 1.25, tags: ['a', 'b'] })
    body = JSON.stringify(items)
  }
  const at = Date.now()
  return {
    kind: KIND_HTTP,
    value: {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60', etag: '"abc"' },
      body,
      isBase64Encoded: false,
    },
    storedAt: at,
    expiresAt: at + 3_600_000,
    shareable: true,
    etag: '"abc"',
    vary: undefined,
  }
}

const clients = [
  [
    'node-redis 5',
    async () => {
      const c = require('redis').createClient({ socket: { host: '127.0.0.1', port } })
      c.on('error', () => {})
      await c.connect()
      return [c, (key) => c.sendCommand(['GET', key]), () => c.destroy()]
    },
  ],
  [
    'ioredis 5',
    async () => {
      const R = require('ioredis')
      const c = new R({ host: '127.0.0.1', port, lazyConnect: true })
      c.on('error', () => {})
      await c.connect()
      return [c, (key) => c.getBuffer(key), () => c.disconnect()]
    },
  ],
  [
    'valkey-glide 2',
    async () => {
      const { GlideClient, Logger } = await import('@valkey/valkey-glide')
      Logger.setLoggerConfig('off')
      const c = await GlideClient.createClient({ addresses: [{ host: '127.0.0.1', port }] })
      return [c, (key) => c.get(key, { decoder: 0 }), () => c.close()]
    },
  ],
]

const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const p99 = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]

/** Times `a` and `b` in alternation (the order swapped every round), so drift in the machine's load hits both alike. */
const timePair = async (a, b) => {
  for (let i = 0; i < WARMUP; i++) {
    await a()
    await b()
  }
  const samples = [new Array(ROUNDS), new Array(ROUNDS)]
  const fns = [a, b]
  for (let i = 0; i < ROUNDS; i++) {
    for (const which of i % 2 === 0 ? [0, 1] : [1, 0]) {
      const t = performance.now()
      await fns[which]()
      samples[which][i] = (performance.now() - t) * 1000
    }
  }
  return samples
}

const us = (x) => x.toFixed(1)
const rows = []
for (const size of [1024, 16 * 1024]) {
  const e = entry(size)
  const bytes = encodeEntry(e, Number.POSITIVE_INFINITY)
  const decode = []
  for (let i = 0; i < WARMUP; i++) decodeEntry(bytes)
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now()
    decodeEntry(bytes)
    decode.push((performance.now() - t) * 1000)
  }
  for (const [name, connect] of clients) {
    const [client, rawGet, close] = await connect()
    const store = redisStore(client, { prefix: 'orc-bench:', timeout: 1000 })
    await store.set(`e${size}`, e, 600_000)
    const key = store.keyOf(`e${size}`)
    const [raw, viaStore] = await timePair(
      () => rawGet(key),
      () => store.get(`e${size}`),
    )
    if ((await store.get(`e${size}`)) === undefined) throw new Error(`${name}: no entry read back`)
    rows.push([
      name,
      `${bytes.length}`,
      us(median(raw)),
      us(median(viaStore)),
      us(median(viaStore) - median(raw)),
      us(p99(viaStore)),
      us(median(decode)),
    ])
    await store.delete([`e${size}`])
    await close()
  }
}

const head = [
  'client',
  'entry bytes',
  'raw GET µs (median)',
  'store GET+decode µs (median)',
  'store overhead µs',
  'store p99 µs',
  'decode alone µs',
]
console.log(
  `\nredisStore on loopback (Node ${process.versions.node}, ${ROUNDS} sequential GETs each)\n`,
)
console.log(`| ${head.join(' | ')} |`)
console.log(`| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`)
for (const row of rows) console.log(`| ${row.join(' | ')} |`)
