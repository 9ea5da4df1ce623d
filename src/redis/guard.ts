/**
 * Keeping a slow, dead or misbehaving server out of the invocation's way: a
 * hard timeout on each operation, a circuit breaker over consecutive failures,
 * and one log line per cause of failure.
 *
 * An operation never rejects: it resolves to the accepted reply or to
 * {@link FAILED}. A command abandoned at its timeout keeps a handler on its
 * promise, so its late settling (a reply, or a rejection) is swallowed.
 */
import { createLogOnce, errorName, type WarnLogger } from '../shared/log-once.js'

/** What an operation resolves to when it failed, timed out or was skipped. */
export const FAILED: unique symbol = Symbol('redis.failed')
/** Returned by an `accept` function for a reply of the wrong type. */
export const WRONG_REPLY: unique symbol = Symbol('redis.wrong-reply')
/** Returned by an `accept` function for a value that does not decode. */
export const BAD_VALUE: unique symbol = Symbol('redis.bad-value')

/** The state of the circuit breaker. */
export type CircuitState = 'closed' | 'open' | 'half-open'

/** Counters of the guard, since the store was created. */
export interface GuardStats {
  /** Operations that reached the client, probes included (a `delete` of several keys counts once). */
  operations: number
  /** Operations that failed: errors, timeouts, wrong replies, undecodable values. */
  failures: number
  /** Failures that were timeouts. */
  timeouts: number
  /** Operations not sent because the circuit was open. */
  skipped: number
  /** Times the circuit opened. */
  opened: number
  /** The circuit breaker now: `closed` (in use), `open` (skipped), `half-open` (a probe is due or running). */
  circuit: CircuitState
}

/** Settings of the guard. */
export interface GuardSettings {
  readonly timeout: number
  readonly circuitFailures: number
  readonly circuitCooldown: number
  readonly logger: WarnLogger
}

const TIMED_OUT: unique symbol = Symbol('redis.timed-out')

/** A rejection (or a synchronous throw) of the client, kept as a value. */
class Rejected {
  constructor(readonly error: unknown) {}
}

type Outcome = unknown | typeof TIMED_OUT | Rejected

/** Sends with a time limit; resolves (never rejects) to the reply, {@link TIMED_OUT} or a {@link Rejected}. */
const within = (send: () => Promise<unknown>, ms: number): Promise<Outcome> =>
  new Promise<Outcome>((resolve) => {
    const timer = setTimeout(resolve, ms, TIMED_OUT)
    const settle = (outcome: Outcome) => {
      clearTimeout(timer)
      resolve(outcome)
    }
    try {
      send().then(settle, (error: unknown) => settle(new Rejected(error)))
    } catch (error) {
      settle(new Rejected(error))
    }
  })

/** The guard: run an operation through it. */
export interface Guard {
  /**
   * Runs `send` within the timeout, unless the circuit is open. `accept`
   * checks the reply and returns what the caller gets, or {@link WRONG_REPLY}
   * / {@link BAD_VALUE}. With `retry`, a command that failed fast (an error,
   * typically a connection dropped while the environment was frozen) is sent
   * once more inside the same time limit. Never rejects.
   */
  run<T>(
    what: string,
    send: () => Promise<unknown>,
    accept: (reply: unknown) => T | typeof WRONG_REPLY | typeof BAD_VALUE,
    retry: boolean,
  ): Promise<T | typeof FAILED>
  stats(): GuardStats
  /** False after a failure until the next success (and while the circuit is open). */
  healthy(): boolean
}

/** Creates a guard. */
export const createGuard = (settings: GuardSettings): Guard => {
  const { timeout, circuitFailures, circuitCooldown } = settings
  const logOnce = createLogOnce(settings.logger, 'orcCache redis:')
  const now = () => performance.now()
  const counters = { operations: 0, failures: 0, timeouts: 0, skipped: 0, opened: 0 }
  /** Consecutive failures. */
  let streak = 0
  /** When the open circuit lets a probe through; 0 when closed. */
  let openUntil = 0
  let probing = false

  const allow = (): boolean => {
    if (openUntil === 0) return true
    if (probing || now() < openUntil) return false
    probing = true
    return true
  }

  const succeed = (): void => {
    streak = 0
    openUntil = 0
    probing = false
  }

  const fail = (what: string, cause: string): void => {
    counters.failures++
    streak++
    logOnce(cause, `${what} failed (${cause}); the invocation went on without the shared tier`)
    if (probing || streak >= circuitFailures) {
      if (!probing) {
        counters.opened++
        logOnce(
          'circuit',
          `${streak} operations failed in a row: the server is skipped for ${circuitCooldown} ms at a time (circuitCooldown) until one succeeds`,
        )
      }
      probing = false
      openUntil = now() + circuitCooldown
    }
  }

  const run = async <T>(
    what: string,
    send: () => Promise<unknown>,
    accept: (reply: unknown) => T | typeof WRONG_REPLY | typeof BAD_VALUE,
    retry: boolean,
  ): Promise<T | typeof FAILED> => {
    if (!allow()) {
      counters.skipped++
      return FAILED
    }
    counters.operations++
    const started = now()
    let outcome = await within(send, timeout)
    if (retry && outcome instanceof Rejected) {
      const left = timeout - (now() - started)
      if (left >= 1) outcome = await within(send, left)
    }
    if (outcome === TIMED_OUT) {
      counters.timeouts++
      fail(what, `timeout after ${timeout} ms`)
      return FAILED
    }
    if (outcome instanceof Rejected) {
      fail(what, errorName(outcome.error))
      return FAILED
    }
    const accepted = accept(outcome)
    if (accepted === WRONG_REPLY) {
      fail(what, 'a reply of the wrong type')
      return FAILED
    }
    if (accepted === BAD_VALUE) {
      fail(what, 'a value that does not decode')
      return FAILED
    }
    succeed()
    return accepted as T
  }

  const stats = (): GuardStats => ({
    ...counters,
    circuit: openUntil === 0 ? 'closed' : probing || now() >= openUntil ? 'half-open' : 'open',
  })

  return { run, stats, healthy: () => streak === 0 && openUntil === 0 }
}
