/**
 * The hooks of every leakGuard in the process. Each guard keeps its invocations' tokens in
 * its hooks' closures; another guard that meets those hooks (in the same Middy stack, or
 * from another handler in the same process) must neither follow them nor read their
 * closures, or it reports its neighbour's bookkeeping as leaked request data. A hook is
 * marked with a property under a registered symbol, so that guards of two copies of this
 * package (bundled, and installed) know each other's too.
 */

const HOOK: unique symbol = Symbol.for('middy-orc.leakGuard.hook') as never

/** Marks a guard's hook (a non-enumerable, read-only property); returns it. */
export const markGuardHook = <T extends object>(hook: T): T =>
  Object.defineProperty(hook, HOOK, { value: true })

/** Whether `value` is a hook of some leakGuard (see {@link markGuardHook}). */
export const isGuardHook = (value: unknown): boolean =>
  typeof value === 'function' && Object.hasOwn(value, HOOK)
