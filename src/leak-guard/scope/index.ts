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
import { Module } from 'node:module'
import { isModuleNamespaceObject, isProxy } from 'node:util/types'
import { isGuardHook } from '../own.js'
import type { NamedRoot, RootProvider } from '../roots.js'
import type { HiddenReader } from '../walk.js'
import {
  discoverTargets,
  type Excluded,
  exportedFunctions,
  libraryExports,
  loadModuleExports,
  locateHandler,
  type ScanTarget,
  type Seed,
} from './discover.js'
import { createHiddenReader } from './hidden.js'
import {
  createInspectorAccess,
  type FunctionReading,
  type LogOnce,
  type ScopeInspector,
  scopeEntries,
} from './inspector.js'
import { planOfScript, type SourcePlan } from './plan.js'

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
   * Default `true`. Cost: once, at the first scan (a few ms).
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
 * Whether a variable holds data worth searching, rather than code: module namespaces,
 * CommonJS `module` objects and library export objects are skipped. A function is data
 * by its own properties (a class's static fields, `axios.defaults`), so it is searched,
 * unless it is the guard's own. Never runs a Proxy trap.
 */
const isData = (value: unknown, skip: ReadonlySet<unknown>, exclude: Excluded): boolean => {
  if (typeof value === 'function') return !exclude.has(value)
  if (value === undefined || skip.has(value)) return false
  if (typeof value !== 'object' || value === null || isProxy(value)) return true
  return !isModuleNamespaceObject(value) && Object.getPrototypeOf(value) !== Module.prototype
}

/** `Closure (factory)` → `factory`; `Block` → `block`. */
const innerScopeName = (description: string): string =>
  /\((.+)\)$/.exec(description)?.[1] ?? description.toLowerCase()

/** Labels by scope prefix and variable name: built once, not at every scan. */
type LabelCache = Map<string, Map<string, string>>

const labelOf = (cache: LabelCache, prefix: string, name: string): string => {
  let names = cache.get(prefix)
  if (names === undefined) {
    names = new Map()
    cache.set(prefix, names)
  }
  let label = names.get(name)
  if (label === undefined) {
    label = `${prefix}: ${name}`
    names.set(name, label)
  }
  return label
}

/**
 * Labels and values of the module-level (and enclosing-function) variables of one
 * function's reading. A function's outermost scope is its module:
 * `module src/pay.js: creditCard`; scopes of enclosing functions are named after them:
 * `module src/pay.js › factory: cache`; top-level `let`/`const` of classic scripts:
 * `script: name`. In a bundle, variables that first-party code never names (its
 * dependencies' internal state) are left out (`plan.referenced`). Whether an object or
 * function is data is remembered (`dataCache`): a bundle's module scope holds thousands.
 */
const rootsOf = (
  { scopes }: FunctionReading,
  file: string | undefined,
  plan: SourcePlan,
  skip: ReadonlySet<unknown>,
  exclude: Excluded,
  labelCache: LabelCache,
  dataCache: WeakMap<object, boolean>,
): NamedRoot[] => {
  const roots: NamedRoot[] = []
  const { referenced } = plan
  const moduleIndex = scopes.findLastIndex(({ description }) => description !== 'Script')
  scopes.forEach(({ description, variables }, k) => {
    const prefix =
      description === 'Script'
        ? 'script'
        : k === moduleIndex
          ? `module ${file}`
          : `module ${file} › ${innerScopeName(description)}`
    const entries = scopeEntries(variables)
    const kept =
      referenced === undefined || description === 'Script'
        ? entries
        : entries.filter(([name]) => referenced.has(name))
    const names = referenced === undefined ? undefined : new Set(kept.map(([name]) => name))
    for (const [name, value] of kept) {
      let data: boolean | undefined
      if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
        data = dataCache.get(value)
        if (data === undefined) {
          data = isData(value, skip, exclude)
          dataCache.set(value, data)
        }
      } else data = isData(value, skip, exclude)
      if (data) roots.push({ label: labelOf(labelCache, prefix, bundledName(name, names)), value })
    }
  })
  return roots
}

/** esbuild's name for a module's default export: `axios_default`, `config_default2`. */
const DEFAULT_EXPORT = /^([A-Za-z_$][\w$]*?)_default\d*$/

/**
 * The name a variable of a bundle (`names`: the others kept from its scope) is shown
 * under: esbuild's `axios_default` (what `import axios from 'axios'` became) as the
 * module's own name, `axios`, unless a variable kept has that name.
 */
const bundledName = (name: string, names: ReadonlySet<string> | undefined): string => {
  if (names === undefined) return name
  const stem = DEFAULT_EXPORT.exec(name)?.[1]
  return stem === undefined || names.has(stem) ? name : stem
}

/**
 * Whether a reading's variables may be rebound by first-party code after it was taken
 * (so that it must be read again at every check): true when the plan knows nothing,
 * for the realm-wide Script scope, and when any variable kept is one first-party code
 * assigns.
 */
const isVolatile = ({ scopes }: FunctionReading, plan: SourcePlan): boolean => {
  const { referenced, assigned } = plan
  if (assigned === undefined) return true
  return scopes.some(
    ({ description, variables }) =>
      description === 'Script' ||
      Object.keys(variables).some(
        (name) => assigned.has(name) && (referenced === undefined || referenced.has(name)),
      ),
  )
}

/** Roots of several readings, the first of each label kept (functions of one file share it). */
const mergeRoots = (lists: readonly (readonly NamedRoot[])[]): NamedRoot[] => {
  if (lists.length === 1) return lists[0] as NamedRoot[]
  const labels = new Set<string>()
  const merged: NamedRoot[] = []
  for (const list of lists) {
    for (const root of list) {
      if (labels.has(root.label)) continue
      labels.add(root.label)
      merged.push(root)
    }
  }
  return merged
}

/**
 * How often, at most, scopes that first-party code never rebinds are read again: their
 * values are fixed once the modules have loaded, but a dependency's module state
 * initialised lazily, later, is seen at the next refresh.
 */
const STABLE_REFRESH_MS = 1_000

/** The root provider for the engine, which can also discover ahead of its first call. */
export interface ScopeRoots extends RootProvider {
  /** Reads private fields and closures of what the walk meets (the same inspector). */
  readonly hidden: HiddenReader
  /**
   * Finds the code to read now (loading the inspector) rather than at the first scan.
   * In Lambda it runs on its own, right after the handler module has loaded.
   */
  prepare(): Promise<void>
}

/**
 * Returns the root provider that gives the engine the module-level variables of the
 * user's code. Outside Lambda nothing is loaded or connected before the provider is
 * first called. In Lambda (`_HANDLER` set), discovery is scheduled for right after the
 * handler module has finished loading, so that it is done before the first invocation.
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

  const addSeeds = (into: Seed[], moduleExports: unknown, explicit: boolean) => {
    for (const fn of exportedFunctions(moduleExports)) into.push({ fn, explicit })
    targets = undefined // discover again with the new seeds
  }

  const collectSeeds = (): Seed[] => {
    const collected: Seed[] = []
    seeds = collected
    for (const target of options.targets ?? []) addSeeds(collected, target, true)
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

  /**
   * Per target (for the current `targets`): its plan, last reading's roots, and whether
   * it must be read at every check. A target whose scopes first-party code never
   * rebinds is read again at most every STABLE_REFRESH_MS.
   */
  let states:
    | { plan: SourcePlan; roots?: NamedRoot[]; volatile: boolean; readAt: number }[]
    | undefined
  let statesOf: readonly ScanTarget[] | undefined
  let merged: NamedRoot[] | undefined
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
    // The plans too (once per file: a few ms per 100 KB of first-party code), during
    // discovery: in Lambda, at init.
    for (const { path } of found) planFor(path)
    return found
  }

  /** Indexes of the targets to read now (all of them the first time). */
  const due = (list: readonly ScanTarget[], now: number): number[] => {
    if (states === undefined || statesOf !== list) {
      statesOf = list
      merged = undefined
      states = list.map(({ path }) => ({
        plan: planFor(path),
        volatile: true,
        readAt: Number.NEGATIVE_INFINITY,
      }))
    }
    const indexes: number[] = []
    states.forEach((state, i) => {
      if (state.volatile || now - state.readAt >= STABLE_REFRESH_MS) indexes.push(i)
    })
    return indexes
  }

  const read = (inspector: ScopeInspector, list: readonly ScanTarget[], indexes: number[]) => {
    const now = performance.now()
    const readings = inspector.readScopes(indexes.map((i) => (list[i] as ScanTarget).fn))
    indexes.forEach((i, k) => {
      const state = states?.[i]
      const reading = readings[k]
      if (state === undefined || reading === undefined) return
      state.roots = rootsOf(
        reading,
        list[i]?.file,
        state.plan,
        skip,
        exclude,
        labelCache,
        dataCache,
      )
      state.volatile = isVolatile(reading, state.plan)
      state.readAt = now
    })
    merged = undefined
  }

  const provider = (): NamedRoot[] => {
    const from = seeds ?? collectSeeds()
    if (from.length === 0) return [] // nothing to read (yet): the inspector stays unloaded
    const now = performance.now()
    // Nothing due: the roots of the last readings, without the inspector.
    if (targets !== undefined && due(targets, now).length === 0 && merged !== undefined) {
      return merged
    }
    const done = access((inspector) => {
      targets ??= discover(inspector, from)
      const indexes = due(targets, now)
      if (indexes.length > 0) read(inspector, targets, indexes)
      return true
    })
    if (done === undefined || states === undefined) return []
    merged ??= mergeRoots(states.map(({ roots }) => roots ?? []))
    return merged
  }

  const prepare = async (): Promise<void> => {
    const from = seeds ?? collectSeeds()
    await handlerLoaded
    if (from.length === 0 || targets !== undefined) return
    access((inspector) => {
      targets = discover(inspector, from)
    })
  }

  if (settings.follow && env._HANDLER) {
    // Created while the handler module is still being evaluated: wait for the loop to turn.
    setImmediate(() => {
      prepare().catch((error: unknown) =>
        options.logOnce('scope-discovery', 'cannot find the module-level variables to read', {
          error: String(error),
        }),
      )
    }).unref()
  }
  return Object.assign(provider, { prepare, hidden: createHiddenReader(access, exclude) })
}
