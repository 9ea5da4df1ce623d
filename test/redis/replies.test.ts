/**
 * Replies no Redis server sends: what a proxy, a server of another kind on the port, or a
 * corrupted connection may answer. A small peer speaking the Redis protocol on loopback
 * answers each command with a chosen reply; the real client libraries talk to it. Every
 * store operation treats a reply of the wrong shape as a failure (counted, logged once,
 * never thrown), and orcCache in front of it keeps answering from the handler.
 */
import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import middy from '@middy/core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { orcCache } from '../../src/cache/index.js'
import { KIND_PLAIN, type RedisStore, redisStore } from '../../src/redis/index.js'
import { CLIENT_KINDS, type ClientKind, type UserClient } from './clients.js'

/** Reads the commands (arrays of bulk strings) a client sent, as they arrive. */
const commandsIn = (buffer: Buffer): { commands: string[][]; rest: Buffer } => {
  const commands: string[][] = []
  let at = 0
  const line = (from: number) => {
    const end = buffer.indexOf('\r\n', from)
    return end === -1 ? undefined : { text: buffer.toString('latin1', from, end), next: end + 2 }
  }
  for (;;) {
    const head = line(at)
    if (head === undefined || head.text[0] !== '*') break
    const count = Number(head.text.slice(1))
    const args: string[] = []
    let next = head.next
    for (let i = 0; i < count; i++) {
      const size = line(next)
      if (size === undefined) break
      const length = Number(size.text.slice(1))
      if (buffer.length < size.next + length + 2) break
      args.push(buffer.toString('latin1', size.next, size.next + length))
      next = size.next + length + 2
    }
    if (args.length < count) break
    commands.push(args)
    at = next
  }
  return { commands, rest: buffer.subarray(at) }
}

/** The name the peer files a command under: EVAL by what its script does. */
const nameOf = (args: readonly string[]): string => {
  const name = (args[0] ?? '').toUpperCase()
  if (name !== 'EVAL') return name
  return args[1]?.includes('ZINCRBY') ? 'EVAL invalidate' : 'EVAL release'
}

/** A bulk string reply. */
const bulk = (text: string) => `$${Buffer.byteLength(text)}\r\n${text}\r\n`

/** Handshake and ready checks get what a server would say; the rest what the test chose. */
const HANDSHAKE: Record<string, string> = {
  INFO: bulk('# Server\r\nloading:0\r\n'),
  HELLO: '-ERR unknown command\r\n',
  PING: '+PONG\r\n',
}

let server: Server
let port = 0
const sockets = new Set<Socket>()
/** Raw reply per command name, set by each test. */
let replies: Record<string, string> = {}

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let pending: Buffer = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      const { commands, rest } = commandsIn(Buffer.concat([pending, chunk]))
      pending = rest
      for (const args of commands) {
        const name = nameOf(args)
        socket.write(replies[name] ?? HANDSHAKE[name] ?? '+OK\r\n')
      }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  port = (server.address() as { port: number }).port
})

afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  server.close()
})

afterEach(() => {
  replies = {}
})

const entry = {
  kind: KIND_PLAIN,
  value: { ok: true },
  storedAt: Date.now(),
  expiresAt: Date.now() + 60_000,
  shareable: true,
  etag: undefined,
  vary: undefined,
} as const

// The libraries that speak RESP2 by default; the others open with HELLO 3 (RESP3), which
// this peer does not speak. The store reads RESP3 replies through the same accept functions.
const kinds = CLIENT_KINDS.filter((kind) =>
  ['node-redis 5', 'ioredis 5', 'iovalkey'].includes(kind.name),
)

describe.each(kinds)(
  'a peer answering replies of the wrong shape, with $name',
  (kind: ClientKind) => {
    let user: UserClient
    let store: RedisStore
    const warnings: string[] = []

    beforeAll(async () => {
      user = await kind.connect(port)
      store = redisStore(user.client, {
        timeout: 1_000,
        circuitFailures: 1_000, // every test here fails operations on purpose
        logger: { warn: (message: string) => warnings.push(message) },
      })
    })
    afterAll(async () => {
      await user.close()
    })

    it.each([
      ['an integer for GET', { GET: ':1\r\n' }],
      ['an array for GET', { GET: '*1\r\n$1\r\nx\r\n' }],
    ])('reads %s as a miss and counts a failure', async (_, answer) => {
      replies = answer
      const failures = store.stats().failures
      expect(await store.get('k')).toBeUndefined()
      expect(store.stats().failures).toBe(failures + 1)
      expect(store.healthy()).toBe(false)
    })

    it.each([
      ['a status other than OK for SET', { SET: '+QUEUED\r\n' }, 'failed'],
      ['an integer for SET', { SET: ':1\r\n' }, 'failed'],
      ['OK for SET', { SET: '+OK\r\n' }, 'stored'],
    ])('takes %s as a failed write unless it is OK', async (_, answer, outcome) => {
      replies = answer
      expect(await store.set('k', entry, 10_000)).toBe(outcome)
    })

    it('takes a lease only on OK, a nil reply as taken by another, anything else as a failure', async () => {
      replies = { SET: '$-1\r\n' }
      expect(await store.lease('k', 'token', 1_000)).toBe(false)
      replies = { SET: ':1\r\n' }
      expect(await store.lease('k', 'token', 1_000)).toBeUndefined()
      replies = { 'EVAL release': '$1\r\n1\r\n' }
      expect(await store.release('k', 'token')).toBeUndefined()
      replies = { 'EVAL release': ':1\r\n' }
      expect(await store.release('k', 'token')).toBe(true)
    })

    it('counts deletions from integers only', async () => {
      replies = { DEL: ':1\r\n' }
      expect(await store.delete(['a', 'b'])).toBe(2)
      replies = { DEL: '+OK\r\n' }
      expect(await store.delete(['a', 'b'])).toBeUndefined()
    })

    it.each([
      ['an integer', ':3\r\n'],
      ['an odd number of elements', '*1\r\n$1\r\n#\r\n'],
      ['a score that is not a number', '*2\r\n$6\r\nk:/one\r\n$3\r\nabc\r\n'],
      ['a negative score', '*2\r\n$6\r\nk:/one\r\n$2\r\n-1\r\n'],
      ['a member that is not a string', '*2\r\n:7\r\n$1\r\n1\r\n'],
    ])('takes %s in place of the invalidation log as a failed sync', async (_, answer) => {
      replies = { ZRANGEBYSCORE: answer }
      expect(await store.sync(0)).toBeUndefined()
    })

    it('reads a well-formed log: counter, floor and members in one reply', async () => {
      replies = {
        ZRANGEBYSCORE: `*6\r\n${['_', '2', 'k:/one', '3', '#', '3'].map(bulk).join('')}`,
      }
      expect(await store.sync(1)).toEqual({ generation: 3, floor: 2, entries: [['k:/one', 3]] })
    })

    it('reads a log and a generation sent as status replies as it reads bulk strings', async () => {
      // A proxy may answer with simple strings; some libraries give those as strings.
      const status = (text: string) => `+${text}\r\n`
      replies = {
        ZRANGEBYSCORE: `*4\r\n${['k:/one', '3', '#', '3'].map(status).join('')}`,
        'EVAL invalidate': status('5'),
      }
      expect(await store.sync(1)).toEqual({ generation: 3, floor: 0, entries: [['k:/one', 3]] })
      expect(await store.invalidate(['k:/one'])).toBe(5)
    })

    it.each([
      ['a string that is not a number', '$3\r\nabc\r\n'],
      ['a fraction', '$3\r\n1.5\r\n'],
      ['a nil', '$-1\r\n'],
    ])('takes %s as the new generation as a failed invalidation', async (_, answer) => {
      replies = { 'EVAL invalidate': answer }
      expect(await store.invalidate(['k:/one'])).toBeUndefined()
    })

    it('never prints the peer’s replies or the values sent, only what failed', () => {
      expect(warnings.length).toBeGreaterThan(0)
      for (const warning of warnings) expect(warning).not.toMatch(/abc|QUEUED|token/)
      expect(warnings.join('\n')).toMatch(/wrong type/)
    })

    it('keeps orcCache answering from the handler: a wrong reply is a shared miss', async () => {
      replies = { GET: ':1\r\n', SET: ':1\r\n' }
      let runs = 0
      const handler = middy(async (event: { id: string }) => ({ id: event.id, run: ++runs })).use(
        orcCache({ key: 'id', shared: store, logger: { warn: () => {} } }),
      )
      expect(await handler({ id: 'a' }, {} as never)).toEqual({ id: 'a', run: 1 })
      // The L1 answers the second time: the failed write changed nothing here.
      expect(await handler({ id: 'a' }, {} as never)).toEqual({ id: 'a', run: 1 })
    })
  },
)
