/**
 * From a reading of a function's scopes to the engine's roots: which variables are data,
 * their labels (`module src/pay.js: creditCard`, esbuild's `axios_default` as `axios`),
 * whether the reading must be taken again at every check, and the roots of several
 * readings merged. Pure but for `node:module`, loaded when first needed.
 */
import { isModuleNamespaceObject, isProxy } from 'node:util/types'
import type { NamedRoot } from '../roots.js'
import type { Excluded } from './discover.js'
import { type FunctionReading, scopeEntries } from './inspector.js'
import type { SourcePlan } from './plan.js'

/**
 * CommonJS `module` objects' prototype, once needed (`node:module` loads then). A property,
 * not a `let`: a module variable the guard rebinds would, bundled from source with the
 * user's code, count as one the user's code rebinds.
 */
const loaded: { modulePrototype?: object } = {}

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
  loaded.modulePrototype ??= process.getBuiltinModule('node:module').Module.prototype as object
  return !isModuleNamespaceObject(value) && Object.getPrototypeOf(value) !== loaded.modulePrototype
}

/** `Closure (factory)` → `factory`; `Block` → `block`. */
const innerScopeName = (description: string): string =>
  /\((.+)\)$/.exec(description)?.[1] ?? description.toLowerCase()

/** Labels by scope prefix and variable name: built once, not at every scan. */
export type LabelCache = Map<string, Map<string, string>>

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

/** Whether values are data, remembered for objects and functions (see {@link isData}). */
export type DataTest = (value: unknown) => boolean

export const dataTest = (
  skip: ReadonlySet<unknown>,
  exclude: Excluded,
  cache: WeakMap<object, boolean>,
): DataTest => {
  return (value) => {
    if ((typeof value !== 'object' || value === null) && typeof value !== 'function') {
      return isData(value, skip, exclude)
    }
    let data = cache.get(value)
    if (data === undefined) {
      data = isData(value, skip, exclude)
      cache.set(value, data)
    }
    return data
  }
}

/**
 * Labels and values of the module-level (and enclosing-function) variables of one
 * function's reading. A function's outermost scope is its module:
 * `module src/pay.js: creditCard`; scopes of enclosing functions are named after them:
 * `module src/pay.js › factory: cache`; top-level `let`/`const` of classic scripts:
 * `script: name`. In a bundle, variables that first-party code never names (its
 * dependencies' internal state) are left out (`plan.referenced`). Whether an object or
 * function is data is remembered (`isDataValue`): a bundle's module scope holds thousands.
 * The module scope's variables named in `live` are left out of the roots (read through
 * getters instead, `./live.ts`); their labels go to `liveLabels`.
 */
export const rootsOf = (
  { scopes }: FunctionReading,
  file: string | undefined,
  plan: SourcePlan,
  isDataValue: DataTest,
  labelCache: LabelCache,
  live?: {
    readonly names: ReadonlySet<string>
    readonly labels: Map<string, string>
    /** Leave them out of the roots (they are read live), or keep them (not yet). */
    readonly omit: boolean
  },
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
    const liveNames = k === moduleIndex ? live?.names : undefined
    for (const [name, value] of kept) {
      const isLive = liveNames?.has(name) ?? false
      if (isLive) live?.labels.set(name, labelOf(labelCache, prefix, bundledName(name, names)))
      if ((isLive && live?.omit) || !isDataValue(value)) continue
      roots.push({ label: labelOf(labelCache, prefix, bundledName(name, names)), value })
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
export const isVolatile = ({ scopes }: FunctionReading, plan: SourcePlan): boolean => {
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
export const mergeRoots = (lists: readonly (readonly NamedRoot[])[]): NamedRoot[] => {
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
