/**
 * Which code in a file is a dependency's. A file under `node_modules` is; in an esbuild
 * bundle (not minified), the comment esbuild writes before each module
 * (`// node_modules/@smithy/core/...js`, `// src/pay.ts`) tells the dependencies' regions
 * from the user's, and the bundler's helpers before the first module count as a
 * dependency's too. Used to leave dependencies' closures unread and their timers
 * unreported.
 */
import { isAbsolute } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * `node:fs`, loaded when first needed: an ES module's `import ... from 'node:fs'` makes
 * Node load all of it (its promises API, streams, readline: some 30 internal modules,
 * 5-10 ms) when the runtime loads.
 */
const fs = () => process.getBuiltinModule('node:fs')

/** Where a bundle's modules start: lines, and whether each is a dependency's. */
export interface BundleRegions {
  readonly starts: readonly number[]
  readonly dependency: readonly boolean[]
}

/** esbuild's comment before each bundled module: `// node_modules/@smithy/core/...js`. */
const MODULE_COMMENT = /^\/\/ (\S+\.[cm]?[jt]sx?)$/
/** Bundles larger than this are not read for their regions. */
const MAX_BUNDLE_BYTES = 32 * 1024 * 1024

/**
 * The regions of an esbuild bundle's source (not minified), from the comment it writes
 * before each module, and its helpers before the first; undefined for a file that bundles
 * no dependency.
 */
export const regionsOf = (source: string): BundleRegions | undefined => {
  // Before the first module: the bundler's own helpers (`__esm`'s `__init`, `__commonJS`'s
  // `__require`, whose closures hold each lazily loaded module), a dependency too.
  const starts: number[] = [0]
  const dependency: boolean[] = [true]
  source.split('\n').forEach((text, line) => {
    const module = MODULE_COMMENT.exec(text)?.[1]
    if (module === undefined) return
    starts.push(line)
    dependency.push(module.startsWith('node_modules/') || module.includes('/node_modules/'))
  })
  return dependency.lastIndexOf(true) > 0 ? { starts, dependency } : undefined
}

/** The source of a script by its URL or path, if it is a file of a bounded size. */
export const readScript = (url: string | undefined): string | undefined => {
  if (url === undefined) return undefined
  try {
    const path = url.startsWith('file://') ? fileURLToPath(url) : url
    if (
      !isAbsolute(path) ||
      (fs().statSync(path, { throwIfNoEntry: false })?.size ?? Infinity) > MAX_BUNDLE_BYTES
    )
      return undefined
    return fs().readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** The regions of the esbuild bundle at `url` (see {@link regionsOf}). */
export const bundleRegions = (url: string | undefined): BundleRegions | undefined => {
  const source = readScript(url)
  return source === undefined ? undefined : regionsOf(source)
}

/** Whether a line of a bundle lies in a dependency's module. */
export const inDependency = ({ starts, dependency }: BundleRegions, line: number): boolean => {
  let low = 0
  let high = starts.length - 1
  let found = -1
  while (low <= high) {
    const middle = (low + high) >> 1
    if ((starts[middle] as number) <= line) {
      found = middle
      low = middle + 1
    } else high = middle - 1
  }
  return found >= 0 && dependency[found] === true
}

const files = new Map<string, BundleRegions | undefined>()

/**
 * Whether line `line` (0-based) of the file at `path` is a dependency's code. A bundle is
 * read once (its regions remembered).
 */
export const isDependencyLine = (path: string, line: number): boolean => {
  if (path.includes('/node_modules/')) return true
  let regions = files.get(path)
  if (regions === undefined && !files.has(path)) {
    regions = bundleRegions(path)
    files.set(path, regions)
  }
  return regions !== undefined && inDependency(regions, line)
}
