/**
 * Servers the Redis tests start and stop themselves, all on 127.0.0.1:
 * a real `redis-server` on a free port, a delaying TCP proxy in front of one,
 * and a fake server that speaks just enough RESP to let clients connect and
 * then answers the cache's commands with junk.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import net from 'node:net'

/** A free TCP port on 127.0.0.1 (bound, then released). */
export const freePort = async (): Promise<number> => {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

const waitForPort = async (port: number, ms: number): Promise<void> => {
  const until = Date.now() + ms
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > until) throw new Error(`nothing listens on ${port}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** A real redis-server of our own, without persistence. */
export interface OwnRedis {
  readonly port: number
  /** Kills it (SIGKILL): connections drop, nothing answers. */
  kill(): Promise<void>
  /** Starts it again on the same port. */
  restart(): Promise<void>
}

export const startRedis = async (port?: number): Promise<OwnRedis> => {
  const chosen = port ?? (await freePort())
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    )
    await waitForPort(chosen, 5_000)
  }
  await start()
  return {
    port: chosen,
    kill: async () => {
      const running = child
      child = undefined
      if (running === undefined || running.exitCode !== null) return
      await new Promise((resolve) => {
        running.once('exit', resolve)
        running.kill('SIGKILL')
      })
    },
    restart: start,
  }
}

/** A TCP proxy that holds each chunk from the server for `delay` ms before passing it on. */
export interface DelayingProxy {
  readonly port: number
  delay: number
  close(): Promise<void>
}

export const startDelayingProxy = async (target: number, delay: number): Promise<DelayingProxy> => {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1')
    sockets.add(client).add(upstream)
    client.on('data', (chunk) => upstream.write(chunk))
    // Chunks leave in order: each at its arrival plus the delay, never before the one ahead.
    let last = 0
    upstream.on('data', (chunk) => {
      const due = Math.max(Date.now() + proxy.delay, last)
      last = due
      const wait = due - Date.now()
      if (wait <= 0) client.write(chunk)
      else setTimeout(() => client.writable && client.write(chunk), wait)
    })
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('close', end).on('error', end)
    upstream.on('close', end).on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const proxy: DelayingProxy = {
    port: (server.address() as net.AddressInfo).port,
    delay,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
  return proxy
}

/** Reads complete RESP commands (arrays of bulk strings) from the front of `buffer`. */
const readCommands = (buffer: Buffer): { commands: string[][]; rest: Buffer } => {
  const commands: string[][] = []
  let at = 0
  const line = (from: number): [string, number] | undefined => {
    const end = buffer.indexOf('\r\n', from)
    return end < 0 ? undefined : [buffer.toString('latin1', from, end), end + 2]
  }
  for (;;) {
    const head = line(at)
    if (head === undefined || !head[0].startsWith('*')) break
    const count = Number(head[0].slice(1))
    let next = head[1]
    const args: string[] = []
    for (let i = 0; i < count; i++) {
      const size = line(next)
      if (size === undefined) return { commands, rest: buffer.subarray(at) }
      const length = Number(size[0].slice(1))
      if (size[1] + length + 2 > buffer.length) return { commands, rest: buffer.subarray(at) }
      args.push(buffer.toString('latin1', size[1], size[1] + length))
      next = size[1] + length + 2
    }
    commands.push(args)
    at = next
  }
  return { commands, rest: buffer.subarray(at) }
}

/** How the fake server answers GET, SET and DEL. */
export type FakeMode =
  /** Integers where bulk strings belong and the reverse. */
  | 'wrong-type'
  /** A bulk string of junk bytes for every command (for GET, a value that does not decode). */
  | 'junk-value'
  /** Bytes that are not RESP at all. */
  | 'not-resp'
  /** Like Redis: GET finds nothing, SET says OK, DEL removes nothing. */
  | 'healthy'

export interface FakeServer {
  readonly port: number
  mode: FakeMode
  /** Commands received (name in upper case, then arguments). */
  readonly received: string[][]
  /** Drops every client connection (the clients reconnect). */
  dropConnections(): void
  close(): Promise<void>
}

const bulk = (data: Buffer): Buffer =>
  Buffer.concat([Buffer.from(`$${data.length}\r\n`), data, Buffer.from('\r\n')])

/**
 * A fake server: answers the clients' connection set-up (HELLO, CLIENT,
 * INFO, PING, SELECT...) like Redis 7 would, and GET / SET / DEL (and the fleet's
 * ZRANGEBYSCORE and EVAL) according to `mode`.
 */
export const startFakeServer = async (mode: FakeMode): Promise<FakeServer> => {
  const sockets = new Set<net.Socket>()
  const received: string[][] = []
  const reply = (command: string[]): Buffer | string => {
    const name = (command[0] ?? '').toUpperCase()
    if (name === 'HELLO') {
      // RESP3 map, as Redis 7 answers HELLO 3.
      return '%3\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.0.0\r\n$5\r\nproto\r\n:3\r\n'
    }
    if (name === 'INFO') {
      const info = Buffer.from(
        '# Server\r\nredis_version:7.0.0\r\nloading:0\r\n# Replication\r\nrole:master\r\n',
      )
      return bulk(info)
    }
    if (name === 'PING') return '+PONG\r\n'
    if (name === 'ROLE') return '*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n'
    const reads = name === 'GET' || name === 'ZRANGEBYSCORE'
    if (!reads && name !== 'SET' && name !== 'DEL' && name !== 'EVAL') return '+OK\r\n'
    switch (fake.mode) {
      case 'healthy':
        if (name === 'ZRANGEBYSCORE') return '*0\r\n'
        return name === 'GET' ? '$-1\r\n' : name === 'SET' ? '+OK\r\n' : ':0\r\n'
      case 'wrong-type':
        return reads ? ':42\r\n' : name === 'SET' ? ':1\r\n' : '$3\r\nabc\r\n'
      case 'junk-value': {
        const junk = Buffer.alloc(64)
        for (let i = 0; i < junk.length; i++) junk[i] = (i * 131 + 7) & 0xff
        return bulk(junk)
      }
      case 'not-resp':
        return '?\x00garbage that is not RESP\r\n'
    }
  }
  const server = net.createServer((socket) => {
    sockets.add(socket)
    let pending = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      const { commands, rest } = readCommands(Buffer.concat([pending, chunk]))
      pending = Buffer.from(rest)
      for (const command of commands) {
        received.push([(command[0] ?? '').toUpperCase(), ...command.slice(1)])
        socket.write(reply(command))
      }
    })
    socket.on('error', () => socket.destroy())
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const fake: FakeServer = {
    port: (server.address() as net.AddressInfo).port,
    mode,
    received,
    dropConnections: () => {
      for (const socket of sockets) socket.destroy()
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
  return fake
}
