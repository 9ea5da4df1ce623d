/**
 * The real client libraries the shared tier supports, each created the way a
 * user would create it at module scope, plus a side connection (ioredis) the
 * tests use to look at the server directly.
 */
import { GlideClient, Logger } from '@valkey/valkey-glide'
import { Redis as IoRedis5 } from 'ioredis'
import { Redis as IoRedis6 } from 'ioredis-6'
import { Redis as IoValkey } from 'iovalkey'
import { createClient as createClient5 } from 'redis'
import { createClient as createClient6 } from 'redis-6'

/** A connected client of one library, and how to end it (the user's job, not the store's). */
export interface UserClient {
  readonly client: unknown
  /** Sends PING through the user's own API: proves the connection is still usable. */
  ping(): Promise<string>
  /** The server's id of the connection (CLIENT ID), sent through the user's own API. */
  id(): Promise<number>
  close(): Promise<void>
}

export interface ClientKind {
  readonly name: string
  /** Connects to 127.0.0.1:port. */
  connect(port: number): Promise<UserClient>
}

const quiet = () => {}

// Glide's own logger writes reconnection notices to stdout; the tests expect them.
Logger.setLoggerConfig('off')

/**
 * ioredis waits 50 ms before its first reconnection by default; the README
 * recommends reconnecting at once the first time, so that a connection dropped
 * while the environment was frozen comes back inside the store's timeout.
 */
export const recommendedRetryStrategy = (times: number): number =>
  times === 1 ? 0 : Math.min(times * 50, 2_000)

const ioredisKind = (
  name: string,
  Redis: typeof IoRedis5,
  retryStrategy: ((times: number) => number) | null = recommendedRetryStrategy,
): ClientKind => ({
  name,
  connect: async (port) => {
    const client = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      ...(retryStrategy === null ? {} : { retryStrategy }),
    })
    client.on('error', quiet)
    await client.connect()
    return {
      client,
      ping: () => client.ping(),
      id: async () => Number(await client.call('CLIENT', 'ID')),
      close: async () => client.disconnect(),
    }
  },
})

const nodeRedisKind = (name: string, createClient: typeof createClient5): ClientKind => ({
  name,
  connect: async (port) => {
    const client = createClient({ socket: { host: '127.0.0.1', port } })
    client.on('error', quiet)
    await client.connect()
    return {
      client,
      ping: () => client.ping(),
      id: async () => Number(await client.sendCommand(['CLIENT', 'ID'])),
      close: async () => {
        client.destroy()
      },
    }
  },
})

export const CLIENT_KINDS: readonly ClientKind[] = [
  nodeRedisKind('node-redis 5', createClient5),
  nodeRedisKind('node-redis 6', createClient6 as unknown as typeof createClient5),
  ioredisKind('ioredis 5', IoRedis5),
  ioredisKind('ioredis 6', IoRedis6 as unknown as typeof IoRedis5),
  ioredisKind('iovalkey', IoValkey as unknown as typeof IoRedis5),
  {
    name: 'valkey-glide 2',
    connect: async (port) => {
      const client = await GlideClient.createClient({
        addresses: [{ host: '127.0.0.1', port }],
        requestTimeout: 2_000,
      })
      return {
        client,
        ping: async () => String(await client.ping()),
        id: async () => Number(await client.customCommand(['CLIENT', 'ID'])),
        close: async () => client.close(),
      }
    },
  },
]

/** ioredis 5 with its default reconnection (a 50 ms wait before the first attempt). */
export const IOREDIS_DEFAULTS: ClientKind = ioredisKind(
  'ioredis 5, default retryStrategy',
  IoRedis5,
  null,
)

/** A side connection for looking at the server directly (PTTL, raw GET, CLIENT KILL). */
export const adminConnection = async (port = 6379): Promise<IoRedis5> => {
  const admin = new IoRedis5({ host: '127.0.0.1', port, lazyConnect: true })
  admin.on('error', quiet)
  await admin.connect()
  return admin
}
