/**
 * The guard every store operation runs through (src/redis/guard.ts), on its own: a
 * client that throws instead of rejecting, the one retry that must fit in the time
 * left, and the circuit's states as `stats()` reports them.
 */
import { describe, expect, it } from 'vitest'
import { createGuard, FAILED } from '../../src/redis/guard.js'

const accept = (reply: unknown) => reply
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const guardWith = (
  settings: { timeout?: number; circuitFailures?: number; circuitCooldown?: number } = {},
) => {
  const warnings: string[] = []
  const guard = createGuard({
    timeout: 50,
    circuitFailures: 5,
    circuitCooldown: 5_000,
    logger: { warn: (message: string) => warnings.push(message) },
    ...settings,
  })
  return { guard, warnings }
}

describe('the store’s guard', () => {
  it('takes a client that throws synchronously as a failed operation, named by its error’s class only', async () => {
    const { guard, warnings } = guardWith()
    const send = () => {
      throw new TypeError('secret-token in the message')
    }
    expect(await guard.run('a GET', send, accept, false)).toBe(FAILED)
    expect(guard.stats()).toMatchObject({ operations: 1, failures: 1 })
    expect(warnings).toEqual([expect.stringContaining('a GET failed (TypeError)')])
    expect(warnings.join()).not.toContain('secret-token')
  })

  it('retries a fast failure once, but not when less than a millisecond of the timeout is left', async () => {
    const { guard } = guardWith({ timeout: 20 })
    let sends = 0
    const fast = () => {
      sends++
      return Promise.reject(new Error('connection reset'))
    }
    expect(await guard.run('a GET', fast, accept, true)).toBe(FAILED)
    expect(sends).toBe(2)
    sends = 0
    // Fails after all but half a millisecond of its 20 ms (busy, so no timer can interleave).
    const late = () => {
      sends++
      const until = performance.now() + 19.5
      while (performance.now() < until) {}
      return Promise.reject(new Error('connection reset'))
    }
    expect(await guard.run('a GET', late, accept, true)).toBe(FAILED)
    expect(sends).toBe(1)
  })

  it('reports the circuit closed, open, then half-open once the cool-down is over, and closed after a success', async () => {
    const { guard } = guardWith({ circuitFailures: 1, circuitCooldown: 30 })
    expect(guard.stats().circuit).toBe('closed')
    await guard.run('a GET', () => Promise.reject(new Error('down')), accept, false)
    expect(guard.stats().circuit).toBe('open')
    expect(await guard.run('a GET', () => Promise.resolve('x'), accept, false)).toBe(FAILED)
    expect(guard.stats().skipped).toBe(1)
    await sleep(40)
    expect(guard.stats().circuit).toBe('half-open')
    expect(await guard.run('a GET', () => Promise.resolve('x'), accept, false)).toBe('x')
    expect(guard.stats().circuit).toBe('closed')
    expect(guard.healthy()).toBe(true)
  })
})
