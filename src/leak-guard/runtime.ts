/**
 * The heavy part of leakGuard, loaded with a dynamic `import()` by `leakGuard()` when its
 * mode is not `off` (never at import; never with `LEAK_GUARD=off`): the engine (tokens,
 * walk, findings), the pending-work tracker and the module-scope reader. `index.ts` keeps
 * the options, `LeakError`, reporting and the hooks, which wait for this module at the
 * first checked invocation if it has not arrived by then. Internal: not an entry point of
 * the package, but a built file of its own (`dist/leak-guard/runtime.js`, scripts/build.mjs).
 */

import type { AsyncLocalStorage } from 'node:async_hooks'
import type { StateBaseline } from './baseline.js'
import { createEngine } from './engine.js'
import type { LeakFinding } from './findings.js'
import { createPendingTracker, type InvocationRecord } from './pending.js'
import type { RootProvider } from './roots.js'
import { createScopeRoots, type LogOnce } from './scope/index.js'

/** What `leakGuard()` resolved, handed to {@link createGuardCore}. */
export interface GuardCoreConfig {
  readonly maxNodes: number
  readonly watch: Readonly<Record<string, unknown>>
  readonly ignore: readonly string[]
  /** The user's root providers (copied: the scope reader's is added to the copy). */
  readonly roots: readonly RootProvider[]
  /** Read module-level variables through the inspector (option `scope`). */
  readonly scope: boolean
  readonly targets: readonly unknown[] | undefined
  /**
   * Track timers and immediates left pending (option `pending`): the storage of the
   * invocations' records, shared with `index.ts` (see {@link GuardCore.start}), or
   * `undefined` not to track.
   */
  readonly pendingStorage: AsyncLocalStorage<InvocationRecord> | undefined
  /** Invocations cannot overlap (Lambda without `AWS_LAMBDA_MAX_CONCURRENCY > 1`). */
  readonly oneAtATime: boolean
  /** The code's root (`LAMBDA_TASK_ROOT`, else the working directory). */
  readonly taskRoot: string
  /** `LAMBDA_RUNTIME_DIR`: the runtime's own frames are not the user's. */
  readonly runtimeDir: string | undefined
  /** Container state when the guard was created. */
  readonly baseline: StateBaseline
  /** Never reported nor followed by the scope reader: the guard's own hooks. */
  readonly exclude: readonly unknown[]
  readonly logOnce: LogOnce
  readonly onRootError: (name: string, error: unknown) => void
  readonly onTruncated: (visited: number) => void
}

/** The checks around one invocation; each returns the findings to report. */
export interface GuardCore {
  /**
   * `entered`: a fresh pending record already entered into the invocation's async context
   * by a `before` that had to wait for this module (entering it here, after that wait,
   * would not reach the handler).
   */
  start(
    request: object,
    requestId: string,
    event: unknown,
    remaining: number | undefined,
    entered?: InvocationRecord,
  ): readonly LeakFinding[]
  end(request: object, response: unknown): readonly LeakFinding[]
}

/** Creates the engine, tracker and scope reader of one guard. */
export const createGuardCore = (config: GuardCoreConfig): GuardCore => {
  const roots = [...config.roots]
  // Module-level variables, read through the inspector, never following the guard's own
  // hooks: bundled with the user's code they look first-party, and their closure holds
  // the very tokens being looked for.
  const scopeRoots = config.scope
    ? createScopeRoots({
        targets: config.targets,
        logOnce: config.logOnce,
        exclude: config.exclude,
      })
    : undefined
  if (scopeRoots !== undefined) roots.push(scopeRoots)
  const pending = config.pendingStorage
    ? createPendingTracker({
        oneAtATime: config.oneAtATime,
        root: config.taskRoot,
        runtimeDir: config.runtimeDir,
        storage: config.pendingStorage,
      })
    : undefined
  const engine = createEngine({
    maxNodes: config.maxNodes,
    watch: config.watch,
    ignore: config.ignore,
    roots,
    oneAtATime: config.oneAtATime,
    baseline: config.baseline,
    hidden: () => scopeRoots?.hidden,
    onRootError: config.onRootError,
    onTruncated: config.onTruncated,
  })
  return {
    start(request, requestId, event, remaining, entered) {
      const found = engine.start(request, requestId, event, remaining)
      pending?.begin(request, entered)
      return found
    },
    end(request, response) {
      return engine.end(request, response, pending?.end(request))
    },
  }
}
