/**
 * What container state looked like when the guard was created: the own properties of
 * `globalThis` (their descriptors, so values keep their identity) and `process.env`. A
 * global that appears or changes later is searched as new or changed state (see
 * `engine.ts`). Taken synchronously by `leakGuard()` itself, while the engine is loaded
 * later (`runtime.ts`), so that what counts as a "new global" does not depend on when that
 * load finishes. Cost: a few µs for the globals, about 0.5 µs per environment variable.
 */
export interface StateBaseline {
  readonly globals: ReadonlyArray<readonly [PropertyKey, PropertyDescriptor | undefined]>
  readonly env: ReadonlyMap<string, string | undefined>
}

/** Takes the baseline now. Reads descriptors only: no getter of `globalThis` runs. */
export const takeBaseline = (): StateBaseline => ({
  globals: Reflect.ownKeys(globalThis).map(
    (key) => [key, Object.getOwnPropertyDescriptor(globalThis, key)] as const,
  ),
  env: new Map(Object.entries(process.env)),
})
