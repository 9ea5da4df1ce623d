#!/usr/bin/env node
/**
 * The build: `npm run build` (or `node scripts/build.mjs`).
 *
 * The entry points are the package's `exports` in package.json, and only there: each
 * `"./name": { "types": "./dist/name/index.d.ts", "default": "./dist/name/index.js" }`
 * is built from `src/name/index.ts` (the same path, `.ts` for `.js`). A new entry point,
 * say `middy-orc/redis`, is one more `exports` entry and its `src/redis/index.ts`.
 *
 * - JavaScript: esbuild bundles each entry point into ONE self-contained, minified ES
 *   module file, with a source map (`sources` into src/, with their contents). Bare
 *   imports (`lru-cache`, `@middy/core`, peers, `node:*`) stay imports: dependencies are
 *   never copied in. Why one file: on Node 24 without a compile cache each further ES
 *   module file of a graph costs about as much as compiling 3 KB of code (resolve, read,
 *   compile, link), and the old file-per-module output was 8 files for the cache
 *   (bench/startup.mjs, README "Start-up").
 *   Every entry point is self-contained, the root too: `middy-orc` holds its own copy
 *   of both middlewares rather than importing the `./cache` and `./leak-guard` files
 *   (two more module loads at every cold start; issue 13). So a function that imports
 *   one middleware from both the root and its subpath loads two copies of it (README
 *   "Start-up": import each from one place). The copies behave alike: nothing a user
 *   sees is module state, the classes users test with `instanceof` (ConfigError,
 *   LeakError) recognise instances from any copy (`Symbol.hasInstance`), and the cache
 *   store's brand is a registered symbol. The shared helpers (`src/shared/`) are small
 *   and copied into each bundle that uses them.
 * - Arrow functions are written as `function` expressions (esbuild `supported: { arrow:
 *   false }`, which keeps what `this` and `arguments` mean). While V8 parses a file it
 *   fully parses every arrow function with parenthesised parameters (`var f = (a) =>
 *   …`), but only pre-parses a `function` until it is first called: less work at import
 *   (node --log-function-events shows it; bench/startup.mjs, README "Start-up").
 * - Lazily loaded internal files: {@link lazyEntries} lists the few modules that an entry
 *   point loads with a dynamic `import()` only when needed (leakGuard's engine, loaded
 *   when a guard is created with mode not `off`). Each is built like an entry point,
 *   into a file of its own that is not in `exports` (internal), and the plugin keeps an
 *   import of it an import of that file, so its code is in that file only.
 * - Declarations: `tsc -p tsconfig.build.json` (declarations only, with their maps and
 *   the TSDoc), one `.d.ts` per source file, so new source files need no change here.
 *
 * Usable from tests: `buildJs({ root, outdir })` builds the JavaScript of the package at
 * `root` (its package.json and src/) into `outdir`.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))

/**
 * The entry points from package.json `exports`: `{ subpath, source, output, types }` with
 * paths relative to the package root. Throws on an export this build cannot make.
 */
export const entryPoints = (root = repoRoot) => {
  const { exports } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  return Object.entries(exports)
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, target]) => {
      const output = typeof target === 'string' ? target : target.default
      const match = /^\.\/dist\/(.+)\.js$/.exec(output ?? '')
      if (match === null) {
        throw new Error(`exports["${subpath}"]: expected "default": "./dist/<path>.js"`)
      }
      const source = `src/${match[1]}.ts`
      if (!existsSync(join(root, source))) {
        throw new Error(`exports["${subpath}"]: no ${source} to build ${output} from`)
      }
      const types = typeof target === 'string' ? undefined : target.types
      if (types !== `./dist/${match[1]}.d.ts`) {
        throw new Error(`exports["${subpath}"]: expected "types": "./dist/${match[1]}.d.ts"`)
      }
      return { subpath, source, output: output.slice(2), types: types.slice(2) }
    })
}

/**
 * Internal modules loaded lazily (dynamic `import()`), each built into a file of its own:
 * `source` under src/, `output` under dist/ (the same path, `.js`). Not entry points of
 * the package (not in `exports`); kept short: each further file costs a module load.
 * - leakGuard's engine, pending tracker and scope reader: `leakGuard()` starts loading it
 *   when its mode is not `off`, so importing `middy-orc/leak-guard` (or the root) loads
 *   options, `LeakError` and the hooks only (README "Start-up").
 * - orcCache's two-tier driver: `orcCache()` loads it only when a `shared` option is given,
 *   so a function without a shared tier does not load (or compile) its code.
 */
export const lazyEntries = [
  { source: 'src/leak-guard/runtime.ts', output: 'dist/leak-guard/runtime.js' },
  { source: 'src/cache/shared.ts', output: 'dist/cache/shared.js' },
]

/**
 * An esbuild plugin: an import of a lazily loaded file's source ({@link lazyEntries})
 * stays an import, of that built file (relative to the output being built).
 */
const lazyEntriesExternal = (root, entries, output) => ({
  name: 'lazy-entries-external',
  setup(plugin) {
    const bySource = new Map(entries.map((entry) => [join(root, entry.source), entry.output]))
    plugin.onResolve({ filter: /^\./ }, ({ path, resolveDir }) => {
      const target = bySource.get(join(resolveDir, path.replace(/\.js$/, '.ts')))
      if (target === undefined || target === output) return undefined
      const from = relative(dirname(output), target)
      return { path: from.startsWith('.') ? from : `./${from}`, external: true }
    })
  },
})

/**
 * Bundles every entry point of the package at `root` into `outdir` (default its dist/).
 * `sourcemap` and `minify` are for tests that measure coverage of the built files
 * (`inline`, unminified); the package is always built with the defaults.
 */
export const buildJs = async ({
  root = repoRoot,
  outdir = join(root, 'dist'),
  sourcemap = 'linked',
  minify = true,
} = {}) => {
  for (const { source } of lazyEntries) {
    if (!existsSync(join(root, source))) throw new Error(`lazyEntries: no ${source}`)
  }
  const entries = [...entryPoints(root), ...lazyEntries]
  // One esbuild run per entry point: no shared chunks; only lazy files stay imports.
  const results = await Promise.all(
    entries.map(({ source, output }) =>
      build({
        plugins: [lazyEntriesExternal(root, lazyEntries, output)],
        absWorkingDir: root,
        entryPoints: [source],
        outfile: join(outdir, relative('dist', output)),
        bundle: true,
        packages: 'external',
        platform: 'node',
        format: 'esm',
        target: 'node22',
        supported: { arrow: false },
        minify,
        sourcemap,
        sourcesContent: true,
        legalComments: 'none',
        metafile: true,
        logLevel: 'warning',
      }),
    ),
  )
  return entries.map((entry, i) => ({
    ...entry,
    inputs: Object.keys(results[i].metafile.inputs).sort(),
  }))
}

const main = async () => {
  const dist = join(repoRoot, 'dist')
  rmSync(dist, { recursive: true, force: true })
  const built = await buildJs()
  const tsc = spawnSync(
    process.execPath,
    [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    { cwd: repoRoot, stdio: 'inherit' },
  )
  if (tsc.status !== 0) process.exit(tsc.status ?? 1)
  for (const { subpath, types } of built.filter((entry) => entry.subpath !== undefined)) {
    if (!existsSync(join(repoRoot, types))) {
      console.error(`${subpath}: tsc emitted no ${types}`)
      process.exit(1)
    }
  }
  console.log(
    `built ${built.map(({ subpath, output }) => `${subpath ?? '(lazy)'} → ${output}`).join(', ')}, and declarations`,
  )
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
