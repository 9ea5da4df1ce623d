/** Types of scripts/build.mjs, for the tests that build the package with it. */
export interface EntryPoint {
  /** The `exports` key, e.g. `./cache`. */
  subpath: string
  /** Its source file, relative to the package root, e.g. `src/cache/index.ts`. */
  source: string
  /** Its output file, relative to the package root, e.g. `dist/cache/index.js`. */
  output: string
  /** Its declaration file, relative to the package root. */
  types: string
}
/** The entry points from package.json `exports`. */
export function entryPoints(root?: string): EntryPoint[]
/** Bundles every entry point of the package at `root` into `outdir` (default its dist/). */
export function buildJs(options?: {
  root?: string
  outdir?: string
  /** esbuild's `sourcemap` (default `linked`); `inline` for coverage of the built files. */
  sourcemap?: 'linked' | 'inline'
  /** esbuild's `minify` (default true). */
  minify?: boolean
}): Promise<(EntryPoint & { inputs: string[] })[]>
