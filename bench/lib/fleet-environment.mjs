/**
 * One execution environment of a fleet (bench/fleet.mjs, test/redis/fleet.test.ts):
 * a separate Node process with its own orcCache on the built package and its own
 * ioredis connection to a real Redis, driven over IPC by its parent (bench/lib/fleet.mjs).
 *
 * The handler counts its runs in Redis (`INCR <prefix>runs:<id>`: runs in every
 * environment add up, and a run in a process killed later still counts), reads the
 * item's current version (`GET <prefix>version:<id>`), works for `work` ms, and returns
 * `{ id, version, pid }`.
 *
 * Settings come from the environment: ORC_FLEET_DIST (the built dist/ to load),
 * ORC_FLEET_PORT, ORC_FLEET_PREFIX, and the cache's own ORC_CACHE_* variables
 * (ORC_CACHE_LEASE, ORC_CACHE_LEASE_WAIT, ORC_CACHE_REDIS_TIMEOUT, …).
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const require = createRequire(import.meta.url)
const dist = process.env.ORC_FLEET_DIST ?? new URL('../../dist', import.meta.url).pathname
const { default: middy } = await import('@middy/core')
const { orcCache } = await import(pathToFileURL(join(dist, 'cache/index.js')).href)
const { redisStore } = await import(pathToFileURL(join(dist, 'redis/index.js')).href)
const { Redis } = require('ioredis')

const port = Number(process.env.ORC_FLEET_PORT ?? 6379)
const prefix = process.env.ORC_FLEET_PREFIX ?? 'orc-fleet:'
const client = new Redis({
  host: '127.0.0.1',
  port,
  lazyConnect: true,
  maxRetriesPerRequest: 1,
  retryStrategy: (times) => (times === 1 ? 0 : Math.min(times * 50, 500)),
})
client.on('error', () => {})
const warnings = []
const store = redisStore(client, { prefix, logger: { warn: () => {} } })
const cache = orcCache({
  key: 'id',
  shared: store,
  tags: (response) => [`item:${response.id}`],
  logger: { warn: (message) => warnings.push(message) },
})

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const handler = middy(async (event) => {
  let version = null
  try {
    await client.incr(`${prefix}runs:${event.id}`)
    version = await client.get(`${prefix}version:${event.id}`)
  } catch {
    // The server is down: the handler still answers (its "database" is elsewhere).
  }
  await sleep(event.work ?? 0)
  return { id: event.id, version, pid: process.pid }
}).use(cache)

/** A Lambda context with `budget` ms left now. */
const context = (budget) => {
  const until = performance.now() + budget
  return {
    awsRequestId: 'fleet',
    getRemainingTimeInMillis: () => Math.max(0, until - performance.now()),
  }
}

const reply = (message) => process.send?.(message)

// Commands: { type: 'invoke', seq, id, n, work?, budget? } runs n concurrent invocations;
// { type: 'delete', seq, id } deletes a key inside an invocation (as an admin route
// would, its after hook awaiting the shared tier); { type: 'invalidateTags', seq, tags } and
// { type: 'clear', seq } likewise; { type: 'stats', seq }. Entries are tagged `item:<id>`.
process.on('message', async (command) => {
  if (command.type === 'invoke') {
    const started = performance.now()
    const runs = Array.from({ length: command.n }, async () => {
      try {
        const result = await handler(
          { id: command.id, work: command.work },
          context(command.budget ?? 10_000),
        )
        return { ok: true, result, ms: performance.now() - started }
      } catch (error) {
        return { ok: false, error: String(error), ms: performance.now() - started }
      }
    })
    reply({ seq: command.seq, results: await Promise.all(runs) })
  } else if (command.type === 'delete') {
    const admin = middy(async () => cache.delete(command.id)).use(cache)
    reply({ seq: command.seq, deleted: await admin({ id: '' }, context(10_000)) })
  } else if (command.type === 'invalidateTags') {
    const admin = middy(async () => cache.invalidateTags(command.tags)).use(cache)
    await admin({ id: '' }, context(10_000))
    reply({ seq: command.seq })
  } else if (command.type === 'clear') {
    const admin = middy(async () => cache.clear()).use(cache)
    await admin({ id: '' }, context(10_000))
    reply({ seq: command.seq })
  } else if (command.type === 'stats') {
    reply({ seq: command.seq, stats: cache.stats(), store: store.stats(), warnings })
  }
})

await client.connect().catch(() => {})
reply({ ready: true })
