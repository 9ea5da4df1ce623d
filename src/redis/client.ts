/**
 * Recognising the user's Redis/Valkey client by its shape, and sending raw
 * commands through it. middy-orc imports none of these libraries.
 *
 * Every command goes out as its raw argument list (`['SET', key, value, 'PX',
 * '1234']`), never through a library's option object: an option a library
 * does not know would otherwise be dropped silently (an expiry lost, a lock
 * never taken). Replies are asked for as bytes (`Buffer`) wherever the
 * library allows it, so values are binary-safe.
 *
 * Recognised shapes, checked in this order:
 *
 * | library                                  | recognised by                                   | sends with                                      |
 * | ---------------------------------------- | ----------------------------------------------- | ----------------------------------------------- |
 * | ioredis 5/6, iovalkey (`Redis`, `Cluster`) | `callBuffer` and `call` functions             | `client.callBuffer(name, ...args)`               |
 * | `@valkey/valkey-glide` 2 (`GlideClient`, `GlideClusterClient`) | `customCommand` function, no `sendCommand` | `client.customCommand(args, { decoder: Bytes })` |
 * | node-redis 5/6 (`redis`, `@redis/client`: `createClient`, `createClientPool`) | `sendCommand` and `withTypeMapping` functions | `client.sendCommand(args, { typeMapping: { '$': Buffer } })` |
 *
 * node-redis 4 (no `withTypeMapping`) and node-redis cluster clients
 * (`createCluster`, whose `sendCommand` takes a routing key first) are refused.
 */
import { ConfigError } from '../shared/env.js'

/** One argument of a command. */
export type RedisArgument = string | Buffer

/** What the store needs of a client: send one command, get its reply. */
export interface RedisConnection {
  /** Which library the client is from. */
  readonly library: 'ioredis' | 'valkey-glide' | 'node-redis'
  /**
   * Sends one command, as its raw argument list. Bulk-string replies come back
   * as `Buffer` (glide may give a status reply as a string or a `Buffer`).
   * May reject, or throw synchronously.
   */
  send(args: readonly RedisArgument[]): Promise<unknown>
}

type Fn = (...args: never[]) => unknown

const isFunction = (value: unknown): value is Fn => typeof value === 'function'

/** RESP type code of a bulk string (`$`) in node-redis's type mappings. */
const BLOB_STRING = 36
/** Glide's `Decoder.Bytes`. */
const DECODER_BYTES = 0

const ACCEPTED =
  'must be a connected client of node-redis 5/6 (createClient or createClientPool), ioredis 5/6, iovalkey, or @valkey/valkey-glide 2 (GlideClient or GlideClusterClient)'

/**
 * Recognises `client` by its shape and wraps it.
 * @throws {ConfigError} naming `client` when the shape is not one of the recognised ones.
 */
export const connectionOf = (client: unknown): RedisConnection => {
  if (client === null || typeof client !== 'object') throw new ConfigError('client', ACCEPTED)
  const c = client as Record<string, unknown>
  if (isFunction(c.callBuffer) && isFunction(c.call)) {
    const callBuffer = c.callBuffer as (name: string, ...args: RedisArgument[]) => Promise<unknown>
    return {
      library: 'ioredis',
      send: (args) => callBuffer.apply(client, args as RedisArgument[] as [string]),
    }
  }
  if (isFunction(c.customCommand) && !isFunction(c.sendCommand)) {
    const customCommand = c.customCommand as (
      args: RedisArgument[],
      options: { decoder: number },
    ) => Promise<unknown>
    const options = { decoder: DECODER_BYTES }
    return {
      library: 'valkey-glide',
      send: (args) => customCommand.call(client, args as RedisArgument[], options),
    }
  }
  if (isFunction(c.sendCommand)) {
    if (isFunction(c.getSlotRandomNode) || 'masters' in c) {
      throw new ConfigError(
        'client',
        'is a node-redis cluster client (createCluster), which is not supported yet: use ioredis Cluster or GlideClusterClient',
      )
    }
    if (!isFunction(c.withTypeMapping)) {
      throw new ConfigError('client', `${ACCEPTED}; node-redis 4 and older are not supported`)
    }
    const sendCommand = c.sendCommand as (
      args: readonly RedisArgument[],
      options: { typeMapping: Record<number, unknown> },
    ) => Promise<unknown>
    const options = { typeMapping: { [BLOB_STRING]: Buffer } }
    return {
      library: 'node-redis',
      send: (args) => sendCommand.call(client, args, options),
    }
  }
  throw new ConfigError('client', ACCEPTED)
}
