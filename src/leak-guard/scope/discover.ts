/**
 * Which functions' scopes to read. From a few seed functions (the Lambda handler's
 * exports, or the `targets` option), follow the function-valued bindings found in
 * their scopes into first-party code: the user's own handler (behind Middy's wrapper)
 * and the modules it uses. Done once (in Lambda, right after the handler module has
 * loaded; elsewhere at the first scan); the result is cached.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { isModuleNamespaceObject, isProxy } from 'node:util/types'
import {
  type AnyFunction,
  type FunctionReading,
  type ScopeInspector,
  type ScopeReading,
  scopeEntries,
} from './inspector.js'

/** Values the scope reader never reports nor follows. */
export interface Excluded {
  has(value: unknown): boolean
}

/** A function whose scopes are read at every scan, and the file they belong to. */
export interface ScanTarget {
  readonly fn: AnyFunction
  /** Path of its script relative to the project root, e.g. `src/pay.js`. */
  readonly file: string
  /** Absolute path of its script, when known. */
  readonly path?: string
}

/** Limits and context for {@link discoverTargets}. */
export interface DiscoverSettings {
  /** Project root: files under it (outside `node_modules`) are first-party. */
  readonly root: string
  /** Follow bindings from seeds into first-party code (else read the seeds only). */
  readonly follow: boolean
  /** At most this many distinct files among the targets. */
  readonly maxModules: number
  /** At most this many functions read while discovering (bounds the first scan). */
  readonly maxFunctions: number
  /**
   * Values never followed: the hooks of every guard in the process. (Installed, this
   * package is under `node_modules`; bundled into the user's file, only a mark tells
   * them apart: `../own.ts`.)
   */
  readonly exclude: Excluded
}

/** Hops through third-party code to reach the user's: one, as from Middy's wrapper to the handler. */
const MAX_FOREIGN_HOPS = 1
/** Entries looked at per object or array when collecting functions. */
const MAX_ENTRIES = 100

const HANDLER_EXTENSIONS = ['', '.js', '.mjs', '.cjs']

/**
 * The handler module named by `LAMBDA_TASK_ROOT` and `_HANDLER` (`index.handler`,
 * `src/app.handler`), resolved as the Lambda runtime resolves it: the part of the last
 * path segment before its first dot, with no extension, `.js`, `.mjs` or `.cjs`.
 */
export const locateHandler = (taskRoot: string, handler: string): string | undefined => {
  const slash = handler.lastIndexOf('/')
  const base = handler.slice(slash + 1)
  const dot = base.indexOf('.')
  if (dot <= 0 || dot === base.length - 1) return undefined
  const stem = resolve(taskRoot, handler.slice(0, slash + 1), base.slice(0, dot))
  return HANDLER_EXTENSIONS.map((ext) => stem + ext).find(
    (candidate) =>
      process
        .getBuiltinModule('node:fs')
        .statSync(candidate, { throwIfNoEntry: false })
        ?.isFile() ?? false,
  )
}

/**
 * Node's CommonJS module cache (`require.cache`). Any base path gives the same cache; the
 * working directory is used because `import.meta.url` is unset in a CommonJS bundle.
 */
const requireCache = () =>
  process.getBuiltinModule('node:module').createRequire(resolve('require-cache.js')).cache

/**
 * The handler module's exports: from `require.cache` when it is CommonJS (synchronous),
 * else a promise from `import()` of its URL, which returns the already-evaluated ES module.
 */
export const loadModuleExports = (file: string): unknown =>
  requireCache()[file]?.exports ?? import(pathToFileURL(file).href)

/** An own data property's value, without calling getters or Proxy traps. */
const dataValue = (object: object, key: PropertyKey): unknown => {
  if (isProxy(object)) return undefined
  try {
    const descriptor = Object.getOwnPropertyDescriptor(object, key)
    return descriptor !== undefined && 'value' in descriptor ? descriptor.value : undefined
  } catch {
    return undefined // an ES module binding not yet initialised
  }
}

const isContainer = (value: object): boolean => {
  if (Array.isArray(value) || isModuleNamespaceObject(value)) return true
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * The functions a value holds: itself, or those inside arrays, plain objects and module
 * namespaces (two levels deep, {@link MAX_ENTRIES} entries each). Class instances are
 * not opened: they are data, and the engine walks them.
 */
export const functionsIn = (value: unknown, depth = 2): AnyFunction[] => {
  if (typeof value === 'function') return [value as AnyFunction]
  if (depth === 0 || typeof value !== 'object' || value === null || isProxy(value)) return []
  if (!isContainer(value)) return []
  return Reflect.ownKeys(value)
    .slice(0, MAX_ENTRIES)
    .flatMap((key) => functionsIn(dataValue(value, key), depth - 1))
}

/**
 * The export names of a module: `Object.keys`, except for an ES module namespace, whose
 * `Object.keys` throws while one of its bindings is not yet initialised.
 */
const exportNames = (moduleExports: object): string[] =>
  isModuleNamespaceObject(moduleExports)
    ? Reflect.ownKeys(moduleExports).filter((key) => typeof key === 'string')
    : Object.keys(moduleExports)

/**
 * Whether `value` is an ES module namespace whose module is still being evaluated (a
 * top-level `await` not yet settled, an import cycle): a binding not yet initialised
 * throws when read. Its exports are not all known yet.
 */
export const isEvaluating = (value: unknown): boolean => {
  if (typeof value !== 'object' || value === null || !isModuleNamespaceObject(value)) return false
  return exportNames(value).some((key) => {
    try {
      Reflect.get(value, key)
      return false
    } catch {
      return true
    }
  })
}

/**
 * The functions a module exports (a CommonJS `exports`, an ES module namespace, or a
 * function) or a `targets` entry holds. Exports are read the way the Lambda runtime
 * reads the handler, through getters if need be: esbuild's CommonJS output exports
 * through getters. Nothing deeper is read through a getter.
 */
export const exportedFunctions = (moduleExports: unknown): AnyFunction[] => {
  if (typeof moduleExports !== 'object' || moduleExports === null || isProxy(moduleExports)) {
    return functionsIn(moduleExports)
  }
  return exportNames(moduleExports)
    .slice(0, MAX_ENTRIES)
    .flatMap((key) => {
      try {
        return functionsIn(Reflect.get(moduleExports, key))
      } catch {
        return [] // a getter that throws, or a binding not yet initialised
      }
    })
}

/** Exports of third-party modules in `require.cache`: code, not data. */
export const libraryExports = (): Set<unknown> => {
  const found = new Set<unknown>()
  for (const [file, module] of Object.entries(requireCache())) {
    if (file.includes(`${sep}node_modules${sep}`)) {
      found.add(module?.exports)
    }
  }
  return found
}

/** A script URL (`file:///...` for ES modules, a plain path for CommonJS) as a path. */
const scriptPath = (url: string | undefined): string | undefined => {
  if (url === undefined || url === '') return undefined
  if (url.startsWith('file://')) return fileURLToPath(url)
  return isAbsolute(url) ? url : undefined
}

const isFirstParty = (path: string, root: string): boolean =>
  (path + sep).startsWith(root + sep) && !path.includes(`${sep}node_modules${sep}`)

const sameScope = (a: ScopeReading, b: ScopeReading): boolean => {
  if (a.description !== b.description) return false
  const x = scopeEntries(a.variables)
  const y = new Map(scopeEntries(b.variables))
  return (
    x.length === y.size && x.every(([key, value]) => y.has(key) && Object.is(value, y.get(key)))
  )
}

/** A function to start from; an explicit one (from `targets`) is read wherever it lives. */
export interface Seed {
  readonly fn: AnyFunction
  readonly explicit: boolean
}

/**
 * Reads the seeds, then the functions their scopes hold, breadth first, and returns the
 * first-party functions worth reading at every scan: one per distinct set of scopes
 * (functions of one module share its scope; one of them is enough). Explicit seeds are
 * always targets, wherever they live.
 */
export const discoverTargets = (
  inspector: ScopeInspector,
  seeds: readonly Seed[],
  settings: DiscoverSettings,
): ScanTarget[] => {
  const root = resolve(settings.root)
  const targets: ScanTarget[] = []
  const covered: { scriptId: string | undefined; scopes: readonly ScopeReading[] }[] = []
  const files = new Set<string>()
  const seen = new Set<unknown>()
  const explicit = new Set(seeds.filter((seed) => seed.explicit).map((seed) => seed.fn))
  let frontier = seeds
    .filter(({ fn }) => !settings.exclude.has(fn) && !seen.has(fn))
    .map(({ fn }) => ({ fn, foreignHops: 0 }))
  for (const { fn } of frontier) seen.add(fn)
  let budget = settings.maxFunctions

  const adds = (reading: FunctionReading) =>
    reading.scopes.some(
      (scope) =>
        !covered.some(
          (done) =>
            done.scriptId === reading.scriptId &&
            done.scopes.some((known) => sameScope(known, scope)),
        ),
    )

  while (frontier.length > 0 && budget > 0) {
    const batch = frontier.slice(0, budget)
    budget -= batch.length
    const readings = inspector.readScopes(batch.map(({ fn }) => fn))
    const next: typeof frontier = []
    batch.forEach(({ fn, foreignHops }, i) => {
      const reading = readings[i]
      if (reading === undefined) return
      const path =
        reading.scriptId === undefined
          ? undefined
          : scriptPath(inspector.scriptUrl(reading.scriptId))
      const firstParty = path !== undefined && isFirstParty(path, root)
      const file = path === undefined ? '(unknown script)' : relative(root, path) || path
      if (
        (firstParty || explicit.has(fn)) &&
        adds(reading) &&
        (files.has(file) || files.size < settings.maxModules)
      ) {
        files.add(file)
        targets.push(path === undefined ? { fn, file } : { fn, file, path })
        covered.push(reading)
      }
      const hops = firstParty ? 0 : foreignHops + 1
      if (!settings.follow || hops > MAX_FOREIGN_HOPS) return
      for (const scope of reading.scopes) {
        for (const [, value] of scopeEntries(scope.variables)) {
          if (settings.exclude.has(value)) continue
          for (const found of functionsIn(value)) {
            if (seen.has(found) || settings.exclude.has(found)) continue
            seen.add(found)
            next.push({ fn: found, foreignHops: hops })
          }
        }
      }
    })
    frontier = next
  }
  return targets
}
