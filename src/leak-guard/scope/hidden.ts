/**
 * Private fields and closures of what the walk meets, read through the inspector for the
 * engine (`HiddenReader` in `../walk.ts`). Node's own classes and functions, and the
 * closures of dependencies' functions (files under `node_modules`, or the regions of an
 * esbuild bundle that its module comments give to `node_modules`), are not read; nor the
 * closures of any guard's hooks (`../own.ts`).
 */
import { type BundleRegions, bundleRegions, inDependency } from '../bundle.js'
import type { HiddenReader } from '../walk.js'
import type { Excluded } from './discover.js'
import type { AnyFunction, InspectorAccess } from './inspector.js'

/**
 * At most this many objects, and as many functions, read per round of a walk (the walk
 * asks again for the rest in its next round).
 */
const MAX_HIDDEN_PER_READ = 256

/**
 * The reader of private fields and closures for the walk, through the inspector. It
 * remembers the classes without private fields and the functions without closure
 * variables (both fixed at creation), so that a warm scan reads only those that have some.
 */
export const createHiddenReader = (access: InspectorAccess, exclude: Excluded): HiddenReader => {
  const withoutPrivates = new WeakSet<object>()
  const withoutClosure = new WeakSet<object>()
  /** Scripts known to be Node's own (`node:...`) or not; script ids are stable. */
  const platformScripts = new Map<string, boolean>()
  const isPlatform = (
    scriptId: string | undefined,
    urlOf: (id: string) => string | undefined,
  ): boolean => {
    if (scriptId === undefined) return false
    let platform = platformScripts.get(scriptId)
    if (platform === undefined) {
      platform = urlOf(scriptId)?.startsWith('node:') ?? false
      platformScripts.set(scriptId, platform)
    }
    return platform
  }
  /**
   * Scripts known to be a dependency's (under `node_modules`: `true`), or a bundle's
   * regions (`BundleRegions`), or neither (`false`).
   */
  const dependencyScripts = new Map<string, boolean | BundleRegions>()
  const isDependency = (
    scriptId: string | undefined,
    urlOf: (id: string) => string | undefined,
    line?: number,
  ): boolean => {
    if (scriptId === undefined) return false
    let known = dependencyScripts.get(scriptId)
    if (known === undefined) {
      const url = urlOf(scriptId)
      known = url?.includes('/node_modules/') ? true : (bundleRegions(url) ?? false)
      dependencyScripts.set(scriptId, known)
    }
    if (typeof known === 'boolean') return known
    return line !== undefined && inDependency(known, line)
  }
  return {
    wantsPrivates: (object) => {
      const proto: unknown = Object.getPrototypeOf(object)
      return (
        typeof proto === 'object' &&
        proto !== null &&
        proto !== Object.prototype &&
        !withoutPrivates.has(proto)
      )
    },
    wantsClosure: (fn) => !withoutClosure.has(fn) && !exclude.has(fn),
    read: (objects, fns) => {
      const someObjects = objects.slice(0, MAX_HIDDEN_PER_READ)
      const someFns = (fns as AnyFunction[]).slice(0, MAX_HIDDEN_PER_READ)
      const reading = access((inspector) =>
        inspector.readHidden(someObjects, someFns, isPlatform, isDependency),
      )
      if (reading === undefined) return undefined
      someObjects.forEach((object, i) => {
        if (reading.privates[i]?.length === 0 || reading.platformObjects[i]) {
          withoutPrivates.add(Object.getPrototypeOf(object) as object)
        }
      })
      someFns.forEach((fn, i) => {
        if (reading.closures[i]?.length === 0 || reading.platformFns[i]) withoutClosure.add(fn)
      })
      return reading
    },
  }
}
