/**
 * Module-level variables as roots for the leakGuard engine. `let creditCard` at the
 * top of a handler file is not a property of `globalThis`; it lives in the module's
 * context, which only the inspector can read (see `./inspector.ts`).
 *
 * What can be seen: V8 keeps in a module's context only the variables that some
 * function refers to (reads or writes). Those are exactly the variables that can carry
 * data from one invocation into the next, because only code running during an
 * invocation (a function) can put request data there. A variable used by top-level
 * code only lives in the module function's frame, is gone once the module has been
 * evaluated, and is invisible here.
 */
import { isGuardHook } from '../own.js'
import type { NamedRoot, RootProvider } from '../roots.js'
import type { HiddenReader } from '../walk.js'
import {
  discoverTargets,
  type Excluded,
  exportedFunctions,
  isEvaluating,
  libraryExports,
  loadModuleExports,
  locateHandler,
  type ScanTarget,
  type Seed,
} from './discover.js'
import { createHiddenReader } from './hidden.js'
import {
  createInspectorAccess,
  type LogOnce,
  type ScopeInspector,
  scopeEntries,
} from './inspector.js'
import {
  agrees,
  createLiveScopes,
  type LiveRequest,
  type LiveScope,
  liveRequestOf,
  moduleScopeIndex,
} from './live.js'
import { planOfScript, type SourcePlan } from './plan.js'
import { dataTest, isVolatile, type LabelCache, mergeRoots, rootsOf } from './reading.js'

export type { LogOnce } from './inspector.js'

/** Options of {@link createScopeRoots}. */
export interface ScopeRootsOptions {
  /**
   * Functions or modules (ES module namespaces, CommonJS `exports`) whose module-level
   * variables to read, besides what discovery finds. Default: none. Cost: one inspector
   * round trip per distinct scope per scan.
   */
  targets?: readonly unknown[]
  /**
   * Find the code to read on its own: the handler module named by `LAMBDA_TASK_ROOT` and
   * `_HANDLER`, then, from it and from `targets`, the first-party functions their scopes
   * refer to (through Middy's wrapper to the user's handler and the modules it uses).
   * Default `true`. Cost: once (a few ms, more with much code loaded), ahead of the first
   * scan when the loop turns before it (see {@link createScopeRoots}), else at the first scan.
   */
  discover?: boolean
  /** Where the "inspector unavailable" notice goes, once. */
  logOnce: LogOnce
  /** At most this many files read. Default 50. */
  maxModules?: number
  /** At most this many functions looked at while discovering. Default 200. */
  maxFunctions?: number
  /**
   * Values never reported nor followed, besides the hooks of every guard in the process
   * (always left out: `../own.ts`).
   */
  exclude?: Iterable<unknown>
  /** Environment to read `LAMBDA_TASK_ROOT` and `_HANDLER` from. Default `process.env`. */
  env?: NodeJS.ProcessEnv
}

const DEFAULT_MAX_MODULES = 50
const DEFAULT_MAX_FUNCTIONS = 200

/**
 * How often, at most, scopes that first-party code never rebinds are read again: their
 * values are fixed once the modules have loaded, but a dependency's module state
 * initialised lazily, later, is seen at the next refresh.
 */
const STABLE_REFRESH_MS = 1_000

/** What a target asks of `./live.ts`, from its last full reading. */
interface LiveAsk {
  readonly request: LiveRequest
  /** The labels of `request.names`. */
  readonly labels: Map<string, string>
}

/**
 * What is known of one target: its plan, the roots of its last full reading, and whether
 * it must be read whole at every check. A target whose scopes first-party code never
 * rebinds is read again at most every STABLE_REFRESH_MS; so is one whose rebound
 * variables are read through a getter (`live`) at every check instead.
 */
interface TargetState {
  readonly plan: SourcePlan
  /** The last full reading's roots (without the live variables while `live` is set). */
  roots?: NamedRoot[]
  volatile: boolean
  readAt: number
  /** The getter of its rebound module variables, and their labels. */
  live?: LiveScope
  liveLabels?: readonly string[]
  /** A getter to make (asked by the last full reading). */
  request?: LiveAsk
  /** A getter was made or found impossible: not asked again (making one costs 10-30 ms). */
  liveTried: boolean
}

/**
 * Back to full reads at every check, starting now: for a getter that disagrees with a
 * full read or throws. A safety net no test reaches: the anchors checked when a getter is
 * made and the full read taken right after leave no known way for it to read another
 * scope than its target's, or to throw later; it keeps a wrong getter from ever hiding a
 * rebound variable.
 */
/* v8 ignore start */
const dropLive = (state: TargetState): void => {
  state.live = undefined
  state.liveLabels = undefined
  state.readAt = Number.NEGATIVE_INFINITY
}
/* v8 ignore stop */

/** The root provider for the engine, which can also discover ahead of its first call. */
export interface ScopeRoots extends RootProvider {
  /** Reads private fields and closures of what the walk meets (the same inspector). */
  readonly hidden: HiddenReader
  /**
   * Finds the code to read now (loading the inspector) rather than at the first scan.
   * It runs on its own at the first turn of the event loop after the provider is created:
   * in Lambda, right after the handler module has loaded; elsewhere, when `targets` are
   * given.
   */
  prepare(): Promise<void>
  /** How many targets have their rebound variables read through getters now (`./live.ts`). */
  liveTargets(): number
}

/**
 * Returns the root provider that gives the engine the module-level variables of the
 * user's code. Nothing is loaded or connected while the provider is being created: the
 * discovery (the inspector loaded, the scripts' URLs taken, the plans of the files read,
 * the first full reads and any getters made: `prepare`) is scheduled for the first turn
 * of the event loop after it, so that the first scan finds it done. In Lambda (`_HANDLER`
 * set) that is right after the handler module has finished loading; elsewhere it is
 * scheduled when `targets` are given (a scan before that turn discovers, as does one
 * while a target module is still being evaluated: its exports are not all known yet).
 * Without either, there is nothing to read.
 */
export const createScopeRoots = (options: ScopeRootsOptions): ScopeRoots => {
  const env = options.env ?? process.env
  const root = env.LAMBDA_TASK_ROOT ?? process.cwd()
  const excludedValues = new Set(options.exclude)
  const exclude: Excluded = { has: (value) => excludedValues.has(value) || isGuardHook(value) }
  const settings = {
    root,
    follow: options.discover ?? true,
    maxModules: options.maxModules ?? DEFAULT_MAX_MODULES,
    maxFunctions: options.maxFunctions ?? DEFAULT_MAX_FUNCTIONS,
    exclude,
  }
  const access = createInspectorAccess(options.logOnce)
  let seeds: Seed[] | undefined
  let handlerLoaded: Promise<void> = Promise.resolve()
  let targets: ScanTarget[] | undefined
  let skip: ReadonlySet<unknown> = excludedValues
  const labelCache: LabelCache = new Map()
  let dataCache = new WeakMap<object, boolean>()
  let isDataValue = dataTest(skip, exclude, dataCache)

  const addSeeds = (into: Seed[], moduleExports: unknown, explicit: boolean) => {
    for (const fn of exportedFunctions(moduleExports)) into.push({ fn, explicit })
    targets = undefined // discover again with the new seeds
  }

  const collectSeeds = (): Seed[] => {
    const collected: Seed[] = []
    for (const target of options.targets ?? []) addSeeds(collected, target, true)
    // A target module still being evaluated: its exports are collected again at the next scan.
    if (options.targets?.some(isEvaluating)) return collected
    seeds = collected
    const handler = env._HANDLER
    const file = settings.follow && handler ? locateHandler(root, handler) : undefined
    if (file === undefined) return collected
    const moduleExports = loadModuleExports(file)
    if (moduleExports instanceof Promise) {
      // An ES module: its namespace arrives later (the scans before that read the targets).
      handlerLoaded = moduleExports.then(
        (namespace: unknown) => addSeeds(collected, namespace, false),
        (error: unknown) =>
          options.logOnce('scope-handler-import', `cannot import the handler module ${file}`, {
            error: String(error),
          }),
      )
    } else addSeeds(collected, moduleExports, false)
    return collected
  }

  const plans = new Map<string | undefined, SourcePlan>()
  const planFor = (path: string | undefined): SourcePlan => {
    let plan = plans.get(path)
    if (plan === undefined) {
      plan = planOfScript(path)
      plans.set(path, plan)
    }
    return plan
  }

  const discover = (inspector: ScopeInspector, from: readonly Seed[]): ScanTarget[] => {
    const found = discoverTargets(inspector, from, settings)
    skip = new Set([...excludedValues, ...libraryExports()])
    dataCache = new WeakMap() // decided with the old `skip`
    isDataValue = dataTest(skip, exclude, dataCache)
    // The plans too (once per file: a few ms per 100 KB of first-party code), during
    // discovery: in Lambda, at init.
    for (const { path } of found) planFor(path)
    return found
  }

  /** Per target (for the current `targets`). */
  let states: TargetState[] | undefined
  let statesOf: readonly ScanTarget[] | undefined
  /** The roots of the last readings, merged; and their labels, once live roots need them. */
  let merged: NamedRoot[] | undefined
  let mergedLabels: Set<string> | undefined

  /** Indexes of the targets to read whole now (all of them the first time). */
  const due = (list: readonly ScanTarget[], now: number): number[] => {
    if (states === undefined || statesOf !== list) {
      statesOf = list
      merged = undefined
      states = list.map(({ path }) => ({
        plan: planFor(path),
        volatile: true,
        readAt: Number.NEGATIVE_INFINITY,
        liveTried: false,
      }))
    }
    const indexes: number[] = []
    states.forEach((state, i) => {
      const stale = now - state.readAt >= STABLE_REFRESH_MS
      if (stale || (state.volatile && state.live === undefined)) indexes.push(i)
    })
    return indexes
  }

  const read = (inspector: ScopeInspector, list: readonly ScanTarget[], indexes: number[]) => {
    const now = performance.now()
    const readings = inspector.readScopes(indexes.map((i) => (list[i] as ScanTarget).fn))
    indexes.forEach((i, k) => {
      const state = states?.[i]
      const reading = readings[k]
      const target = list[i]
      if (state === undefined || reading === undefined || target === undefined) return
      const moduleScope = reading.scopes[moduleScopeIndex(reading)]
      // A getter is checked against every full read; one that disagrees is dropped.
      if (state.live !== undefined && !agrees(state.live, moduleScope)) dropLive(state)
      state.volatile = isVolatile(reading, state.plan)
      state.readAt = now
      state.request = undefined
      if (state.volatile && state.live === undefined && !state.liveTried) {
        const entries = moduleScope === undefined ? [] : scopeEntries(moduleScope.variables)
        const request = liveRequestOf(reading, entries, state.plan, target.path)
        if (request === undefined) state.liveTried = true
        else state.request = { request, labels: new Map() }
      }
      const live = state.live ?? state.request?.request
      const labels = state.request?.labels ?? new Map<string, string>()
      state.roots = rootsOf(reading, target.file, state.plan, isDataValue, labelCache, {
        names: new Set(live?.names),
        labels,
        omit: state.live !== undefined,
      })
      if (state.live !== undefined) {
        state.liveLabels = state.live.names.map((name) => labels.get(name) ?? name)
      }
    })
    merged = undefined
    mergedLabels = undefined
  }

  /**
   * Makes the getters that the last full reads asked for, with one call into the
   * debugger (10-30 ms): in `prepare` (in Lambda during init; with `targets`, at the first
   * turn of the event loop), else at the turn after the scan that asked (never inside a
   * scan). Tried once per target.
   */
  const makeLive = (inspector: ScopeInspector): void => {
    const list = statesOf
    if (states === undefined || list === undefined) return
    const asked = states
    const asking = asked.flatMap(({ request }, i) =>
      request === undefined ? [] : [{ i, request: request.request }],
    )
    if (asking.length > 0) {
      const made = createLiveScopes(
        inspector,
        asking.map(({ request }) => request),
      )
      asking.forEach(({ i }, k) => {
        const state = asked[i] as TargetState
        state.request = undefined
        state.liveTried = true
        state.live = made[k]
      })
      // Checked against a full read now (the variables may have changed since the reading
      // that asked), which also leaves the live variables out of the roots.
      read(
        inspector,
        list,
        asking.map(({ i }) => i),
      )
    }
  }

  let liveScheduled = false
  const scheduleLive = (): void => {
    if (!liveScheduled && states?.some((state) => state.request !== undefined)) {
      liveScheduled = true
      setImmediate(() => {
        liveScheduled = false
        access(makeLive)
      }).unref()
    }
  }

  /** The live roots of the targets read through getters; a getter that throws is dropped. */
  const liveRoots = (): NamedRoot[] | undefined => {
    const found: NamedRoot[] = []
    for (const state of states ?? []) {
      const { live, liveLabels } = state
      if (live === undefined || liveLabels === undefined) continue
      const values = live.read()
      if (values === undefined) {
        dropLive(state)
        continue
      }
      values.forEach((value, j) => {
        if (isDataValue(value)) found.push({ label: liveLabels[j] as string, value })
      })
    }
    return found.length === 0 ? undefined : found
  }

  /** The merged roots of the last full readings, and the live ones (a label once). */
  const withLive = (fixed: NamedRoot[], live: NamedRoot[] | undefined): NamedRoot[] => {
    if (live === undefined) return fixed
    mergedLabels ??= new Set(fixed.map(({ label }) => label))
    const labels = mergedLabels
    const added = new Set<string>()
    const all = fixed.slice()
    for (const root of live) {
      if (labels.has(root.label) || added.has(root.label)) continue
      added.add(root.label)
      all.push(root)
    }
    return all
  }

  const provider = (): NamedRoot[] => {
    const from = seeds ?? collectSeeds()
    if (from.length === 0) return [] // nothing to read (yet): the inspector stays unloaded
    const now = performance.now()
    const live = statesOf !== undefined && statesOf === targets ? liveRoots() : undefined
    // Nothing to read whole: the roots of the last readings, without the inspector.
    if (targets !== undefined && due(targets, now).length === 0 && states !== undefined) {
      merged ??= mergeRoots(states.map(({ roots }) => roots ?? []))
      return withLive(merged, live)
    }
    const done = access((inspector) => {
      targets ??= discover(inspector, from)
      // Those due (none only when discovery found no target: then nothing is read).
      read(inspector, targets, due(targets, now))
      return true
    })
    if (done === undefined || states === undefined) return []
    merged ??= mergeRoots(states.map(({ roots }) => roots ?? []))
    scheduleLive()
    // Read again: a full read may have dropped a getter that disagreed with it.
    return withLive(merged, live === undefined ? undefined : liveRoots())
  }

  const prepare = async (): Promise<void> => {
    const from = seeds ?? collectSeeds()
    await handlerLoaded
    if (from.length === 0) return
    // Discovery, the first full reads and the getters, before the first invocation.
    access((inspector) => {
      targets ??= discover(inspector, from)
      const indexes = due(targets, performance.now())
      if (indexes.length > 0) read(inspector, targets, indexes)
      makeLive(inspector)
    })
  }

  if ((settings.follow && env._HANDLER) || (options.targets?.length ?? 0) > 0) {
    // Created while the handler module is still being evaluated: wait for the loop to turn.
    setImmediate(() => {
      // A target module still being evaluated (a top-level await): the first scan discovers.
      if (options.targets?.some(isEvaluating)) return
      prepare().catch((error: unknown) =>
        options.logOnce('scope-discovery', 'cannot find the module-level variables to read', {
          error: String(error),
        }),
      )
    }).unref()
  }
  const liveTargets = () => states?.filter((state) => state.live !== undefined).length ?? 0
  return Object.assign(provider, {
    prepare,
    liveTargets,
    hidden: createHiddenReader(access, exclude),
  })
}
