/**
 * Helpers of the Middy glue that hold no cache logic: running the cleanups of
 * Powertools middlewares on an early response, and the once-only check that
 * orcCache is the outermost middleware.
 */
import { hasProperties } from './http.js'

/** Keys Powertools middlewares use in `request.internal` for their cleanup on early return. */
const POWERTOOLS_CLEANUP_KEYS = ['tracer', 'metrics', 'logger', 'idempotency'].map(
  (name) => `powertools-for-aws.${name}`,
)

type Cleanup<TRequest> = (request: TRequest) => unknown

/**
 * Powertools Logger, Metrics and Tracer rely on `after` hooks that an early
 * response skips: runs the cleanups they left in `request.internal`, each
 * failure reported and skipped. `undefined` (no promise) when there are none.
 */
export const runPowertoolsCleanups = <TRequest extends { internal: unknown }>(
  request: TRequest,
  onFailure: (error: unknown) => void,
): Promise<void> | undefined => {
  const internal = request.internal as Record<string, unknown>
  // Empty when orcCache is outermost: nothing ran before it.
  if (!hasProperties(internal)) return undefined
  const cleanups = POWERTOOLS_CLEANUP_KEYS.map((name) => internal[name]).filter(
    (cleanup) => typeof cleanup === 'function',
  ) as Array<Cleanup<TRequest>>
  if (cleanups.length === 0) return undefined
  return (async () => {
    for (const cleanup of cleanups) {
      try {
        await cleanup(request)
      } catch (error) {
        onFailure(error)
      }
    }
  })()
}

/**
 * Serialises the response now and on the next turn: if an `after` hook that runs
 * later changed it, orcCache is not outermost and hits would differ from misses;
 * `warn` is then called.
 */
export const checkOutermost = (request: { response: unknown }, warn: () => void): void => {
  const serialise = () => {
    try {
      return JSON.stringify(request.response)
    } catch {
      return undefined // only a diagnostic
    }
  }
  const returned = serialise()
  // Unref'd: a diagnostic never keeps the process alive (and leakGuard's pending check,
  // which leaves unref'd background work alone, does not report it).
  setImmediate(() => {
    if (serialise() !== returned) warn()
  }).unref()
}
