/**
 * Single flight: concurrent misses of one key (Lambda Managed Instances run many
 * invocations in one process) run the handler once; the others wait for the
 * leader's stored result, within a budget.
 *
 * Held by the cache (it spans invocations); each invocation keeps its own flight
 * in its `request.internal` state.
 */

/** A concurrent miss in progress. */
export interface Flight {
  /** Created by the first waiter only, so that a miss nobody waits for allocates no promise. */
  done: Promise<boolean> | undefined
  settle: ((stored: boolean) => void) | undefined
  /** When the leading invocation's own time runs out: after that, the flight is abandoned. */
  readonly deadline: number
}

export class SingleFlight {
  readonly #inflight = new Map<string, Flight>()

  /** The live flight for `key` at `at`, if another invocation is running the handler for it. */
  current(key: string, at: number): Flight | undefined {
    const flight = this.#inflight.get(key)
    return flight !== undefined && flight.deadline > at ? flight : undefined
  }

  /** Starts a flight for `key`, led by the caller until `deadline`. */
  lead(key: string, deadline: number): Flight {
    const flight: Flight = { done: undefined, settle: undefined, deadline }
    this.#inflight.set(key, flight)
    return flight
  }

  /** Ends a flight: tells its waiters whether a response was stored. */
  end(key: string, flight: Flight, stored: boolean): void {
    if (this.#inflight.get(key) === flight) this.#inflight.delete(key)
    flight.settle?.(stored)
  }

  /** Waits at most `budgetMs` for a flight's end; resolves whether it stored a response. */
  async wait(flight: Flight, budgetMs: number): Promise<boolean> {
    flight.done ??= new Promise<boolean>((resolve) => {
      flight.settle = resolve
    })
    let timer: ReturnType<typeof setTimeout> | undefined
    const stored = await Promise.race([
      flight.done,
      new Promise<false>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, budgetMs), false)
      }),
    ])
    clearTimeout(timer)
    return stored
  }
}
