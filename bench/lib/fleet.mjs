/**
 * A fleet of execution environments: separate Node processes, each running
 * bench/lib/fleet-environment.mjs (its own orcCache and Redis connection), driven
 * over IPC. Used by bench/fleet.mjs and test/redis/fleet.test.ts.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('./fleet-environment.mjs', import.meta.url))

/**
 * Starts `count` environments with `env` added to this process's environment
 * (ORC_FLEET_DIST, ORC_FLEET_PORT, ORC_FLEET_PREFIX, ORC_CACHE_*); resolves once
 * every one is ready. The store's timeout is 500 ms unless `env` says otherwise: a
 * loaded machine would otherwise turn slow replies into failures (and extra runs).
 */
export const startFleet = async (count, env = {}) =>
  Promise.all(Array.from({ length: count }, () => startEnvironment(env)))

const startEnvironment = (env) =>
  new Promise((resolve, reject) => {
    const child = fork(script, [], {
      env: { ...process.env, ORC_CACHE_REDIS_TIMEOUT: '500ms', ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    let seq = 0
    const waiting = new Map()
    child.on('message', (message) => {
      if (message.ready) {
        resolve(environment)
        return
      }
      waiting.get(message.seq)?.(message)
      waiting.delete(message.seq)
    })
    child.once('exit', (code, signal) => {
      for (const settle of waiting.values()) settle({ exited: code ?? signal })
      waiting.clear()
      reject(new Error(`environment exited (${code ?? signal}) before it was ready`))
    })
    const environment = {
      pid: child.pid,
      /** Sends a command; resolves its reply (or `{ exited }` if the process ends first). */
      send: (command) =>
        new Promise((settle) => {
          const id = ++seq
          waiting.set(id, settle)
          child.send({ ...command, seq: id })
        }),
      /** SIGKILL: the process dies at once, mid-invocation if one is running. */
      kill: () => child.kill('SIGKILL'),
      /** Ends the process and resolves once it has exited. */
      stop: () =>
        new Promise((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done()
          child.once('exit', () => done())
          child.kill('SIGTERM')
        }),
    }
  })
