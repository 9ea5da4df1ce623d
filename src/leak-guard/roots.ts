/**
 * The seam through which other parts of leakGuard hand the engine more places to
 * search. A root is a value reachable from container state, with the label that
 * begins every path reported under it.
 */

/** One place to search, e.g. `{ label: 'module src/pay.ts: creditCard', value }`. */
export interface NamedRoot {
  /** Printed as the start of a finding's `where`, e.g. `module src/pay.ts: creditCard`. */
  readonly label: string
  /** The value to search; read without calling getters or Proxy traps. */
  readonly value: unknown
}

/**
 * Supplies extra roots at every check (after each invocation, and at the start of the
 * next). Called synchronously; it should be cheap, and it may return different roots
 * each time. If it throws, the engine logs that once and checks its other roots.
 */
export type RootProvider = () => Iterable<NamedRoot>
