/**
 * Faults fail open: for every supported client, a server killed mid-run, a
 * server behind a delaying proxy, and a server answering junk never make an
 * operation throw or take longer than the timeout (plus a small margin for the
 * event loop); after `circuitFailures` failures the server is skipped at no
 * cost, and once it is healthy again the store recovers after the cool-down.
 *
 * Every server here is started and stopped by the tests, on ports of their own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KIND_HTTP, type RedisStore, redisStore, type SharedEntry } from '../../src/redis/index.js'
import { CLIENT_KINDS, type ClientKind, type UserClient } from './clients.js'
import {
  type DelayingProxy,
  type FakeMode,
  type FakeServer,
  type OwnRedis,
  startDelayingProxy,
  startFakeServer,
  startRedis,
} from './servers.js'

const TIMEOUT = 50
/**
 * Room for timers firing late: the whole suite runs test files in parallel
 * workers (some spawn runtimes, one fills 100,000 entries), and a starved
 * event loop fires the timeout late. Alone, these tests pass with 35 ms.
 */
const MARGIN = 100
const FAILURES = 3
const COOLDOWN = 200

const entry = (): SharedEntry => {
  const at = Date.now()
  return {
    kind: KIND_HTTP,
    value: { statusCode: 200, headers: {}, body: 'hello' },
    storedAt: at,
    expiresAt: at + 60_000,
    shareable: false,
    etag: undefined,
    vary: undefined,
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const newStore = (client: unknown) => {
  const warnings: string[] = []
  const store = redisStore(client, {
    prefix: 'orc-fault:',
    timeout: TIMEOUT,
    circuitFailures: FAILURES,
    circuitCooldown: COOLDOWN,
    logger: { warn: (message: string) => warnings.push(message) },
  })
  return { store, warnings }
}

/** Times one operation; it must resolve (not reject) within the timeout plus the margin. */
const timed = async <T>(operation: Promise<T>): Promise<[T, number]> => {
  const started = performance.now()
  const result = await operation
  const elapsed = performance.now() - started
  expect(elapsed).toBeLessThanOrEqual(TIMEOUT + MARGIN)
  return [result, elapsed]
}

/** Failing operations stay bounded, open the circuit, and then cost nothing. */
const expectFailsOpenAndBreaks = async (store: RedisStore): Promise<void> => {
  for (let i = 0; i < FAILURES; i++) {
    const operation = i % 2 === 0 ? store.get('k') : store.set('k', entry(), 60_000)
    const [result] = await timed<unknown>(operation)
    expect(result === undefined || result === 'failed').toBe(true)
  }
  expect(store.stats().circuit).toBe('open')
  const skipped = store.stats().skipped
  const [result, elapsed] = await timed(store.get('k'))
  expect(result).toBeUndefined()
  expect(elapsed).toBeLessThan(5)
  expect(store.stats().skipped).toBe(skipped + 1)
}

/** Once the server is healthy, the store is back in use after the cool-down (within `within` ms). */
const expectRecovers = async (store: RedisStore, within = 8_000): Promise<void> => {
  const until = Date.now() + within
  for (;;) {
    await sleep(COOLDOWN)
    await timed(store.set('k', entry(), 60_000))
    if (store.stats().circuit === 'closed') break
    if (Date.now() > until) throw new Error(`not recovered: ${JSON.stringify(store.stats())}`)
  }
  expect(store.stats().circuit).toBe('closed')
}

/** Each cause is logged once, and no log line carries a key or a value. */
const expectQuietLogs = (warnings: string[]): void => {
  expect(new Set(warnings).size).toBe(warnings.length)
  for (const line of warnings) expect(line).not.toMatch(/orc-fault|hello|:k\b/)
}

describe.each(CLIENT_KINDS)('faults with $name', (kind: ClientKind) => {
  describe('a server killed mid-run', () => {
    let server: OwnRedis
    let user: UserClient
    beforeAll(async () => {
      server = await startRedis()
      user = await kind.connect(server.port)
    })
    afterAll(async () => {
      await user.close()
      await server.kill()
    })

    it('fails open within the timeout, opens the circuit, and recovers once the server is back', async () => {
      const { store, warnings } = newStore(user.client)
      expect(await store.set('k', entry(), 60_000)).toBe('stored')
      await server.kill()
      await expectFailsOpenAndBreaks(store)
      await server.restart()
      await expectRecovers(store)
      expect(await store.get('k')).toBeDefined()
      expectQuietLogs(warnings)
    })
  })

  describe('a server behind a delaying proxy', () => {
    let server: OwnRedis
    let proxy: DelayingProxy
    let user: UserClient
    beforeAll(async () => {
      server = await startRedis()
      proxy = await startDelayingProxy(server.port, 0)
      user = await kind.connect(proxy.port)
    })
    afterAll(async () => {
      await user.close()
      await proxy.close()
      await server.kill()
    })

    it('times out, opens the circuit, and recovers when the delay goes', async () => {
      const { store, warnings } = newStore(user.client)
      expect(await store.set('k', entry(), 60_000)).toBe('stored')
      proxy.delay = 4 * TIMEOUT
      await expectFailsOpenAndBreaks(store)
      expect(store.stats().timeouts).toBeGreaterThanOrEqual(1)
      proxy.delay = 0
      await expectRecovers(store)
      expect(await store.get('k')).toBeDefined()
      expectQuietLogs(warnings)
    })
  })

  describe.each<FakeMode>(['wrong-type', 'junk-value', 'not-resp'])(
    'a server answering junk (%s)',
    (mode) => {
      let fake: FakeServer
      let user: UserClient
      beforeAll(async () => {
        fake = await startFakeServer('healthy')
        user = await kind.connect(fake.port)
      })
      afterAll(async () => {
        await user.close()
        await fake.close()
      })

      it('reads junk as a failure, opens the circuit, and recovers when the answers are sane', async () => {
        const { store, warnings } = newStore(user.client)
        expect(await store.set('k', entry(), 60_000)).toBe('stored')
        fake.mode = mode
        await expectFailsOpenAndBreaks(store)
        fake.mode = 'healthy'
        if (mode === 'not-resp' && kind.name.startsWith('node-redis')) {
          // node-redis does not resynchronise after bytes that are not RESP: its connection
          // stays unusable until it drops. Meanwhile the store stays bounded and skips.
          await sleep(COOLDOWN)
          await timed(store.get('k'))
          expect(store.stats().circuit).toBe('open')
          fake.dropConnections()
        }
        await expectRecovers(store)
        expectQuietLogs(warnings)
        // PX really went out as a raw argument.
        const set = fake.received.find((command) => command[0] === 'SET')
        expect(set?.slice(3)).toEqual(['PX', '60000'])
      })
    },
  )
})
