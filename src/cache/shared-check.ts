/**
 * The `shared` option's shape, checked at factory time. Kept apart from the
 * two-tier driver (`shared.ts`), which loads lazily, only when the option is given.
 */
import { ConfigError } from '../shared/env.js'
import type { SharedTier } from './tier.js'

/** Checks the `shared` option's shape at factory time. */
export const checkShared = (shared: unknown): SharedTier | undefined => {
  if (shared === undefined) return undefined
  const tier = shared as Partial<Record<keyof SharedTier, unknown>> | null
  if (
    tier === null ||
    typeof tier !== 'object' ||
    typeof tier.get !== 'function' ||
    typeof tier.set !== 'function' ||
    typeof tier.delete !== 'function'
  ) {
    throw new ConfigError(
      'shared',
      "must be a shared tier such as redisStore(client) from 'middy-orc/redis' (an object with get, set and delete methods)",
    )
  }
  return shared as SharedTier
}
