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
 * - Node built-ins: a static `import { statSync } from 'node:fs'` becomes a read of
 *   `process.getBuiltinModule('node:fs')` ({@link builtinsFromProcess}), so no built file
 *   has a static `node:` import that a user's esbuild bundle would hoist to its top (and
 *   run at import, lazily loaded code included). Source maps list only `src/` files.
 * - Declarations: `tsc -p tsconfig.build.json` (declarations only, with their maps and
 *   the TSDoc), one `.d.ts` per source file, so new source files need no change here.
 *
 * Usable from tests: `buildJs({ root, outdir })` builds the JavaScript of the package at
 * `root` (its package.json and src/) into `outdir`.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, transform } from 'esbuild'

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
 * An esbuild plugin: a static import of a Node built-in (`import { statSync } from
 * 'node:fs'`) becomes a read of `process.getBuiltinModule('node:fs')` in the built file,
 * so no built file has a static `node:` import. Why: a function bundled by esbuild (CDK,
 * SAM) gets our lazily loaded files inlined into its one file, and esbuild hoists their
 * static imports to that file's top, where they run at import. Importing `node:fs` as an
 * ES module builds its module facade, which reads every export, `fs.promises` included
 * (that getter loads the promise API and streams): over 30 million instructions, the
 * bulk of what leakGuard cost a bundled function (bench/startup.mjs, README "Start-up").
 * `process.getBuiltinModule` returns the CommonJS exports, the objects the named imports
 * would bind, with no facade. The names each source imports are read from its own
 * imports (esbuild's transform, type-only imports dropped); a default or namespace
 * import of a built-in stays an import (none today).
 */
const builtinsFromProcess = () => ({
  name: 'builtins-from-process',
  setup(plugin) {
    const namedImports = new Map()
    const namesIn = async (importer) => {
      let imports = namedImports.get(importer)
      if (imports === undefined) {
        const source = readFileSync(importer, 'utf8')
        const loader = importer.endsWith('.ts') ? 'ts' : 'js'
        const { code } = await transform(source, { loader, format: 'esm' })
        imports = new Map()
        for (const [, names, from] of code.matchAll(
          /^import\s*\{([^}]*)\}\s*from\s*"(node:[^"]+)";$/gm,
        )) {
          const list = imports.get(from) ?? []
          for (const name of names.split(',')) {
            const imported = name.trim().split(/\s+as\s+/)[0]
            if (imported !== '') list.push(imported)
          }
          imports.set(from, list)
        }
        namedImports.set(importer, imports)
      }
      return imports
    }
    plugin.onResolve({ filter: /^node:/ }, async ({ path, importer, kind }) => {
      if (kind !== 'import-statement') return undefined
      const names = (await namesIn(importer)).get(path)
      if (names === undefined) return undefined // a default or namespace import
      // One module per built-in and set of names (esbuild loads a path once).
      return { path: `${path}?${[...new Set(names)].sort().join(',')}`, namespace: 'builtin' }
    })
    plugin.onLoad({ filter: /.*/, namespace: 'builtin' }, ({ path }) => {
      const [builtin, names] = path.split('?')
      return {
        contents: `const m = process.getBuiltinModule(${JSON.stringify(builtin)})\n${names
          .split(',')
          .map((name) => `export const ${name} = m.${name}`)
          .join('\n')}\n`,
        loader: 'js',
      }
    })
  },
})

const VLQ = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** The fields of each segment of a source map's `mappings`, line by line (deltas decoded). */
const decodeMappings = (mappings) => {
  const state = [0, 0, 0, 0, 0]
  return mappings.split(';').map((line) => {
    state[0] = 0
    return line
      .split(',')
      .filter((segment) => segment !== '')
      .map((segment) => {
        const fields = []
        let value = 0
        let shift = 0
        for (const char of segment) {
          const digit = VLQ.indexOf(char)
          value += (digit & 31) << shift
          if (digit & 32) {
            shift += 5
          } else {
            const delta = value & 1 ? -(value >>> 1) : value >>> 1
            state[fields.length] += delta
            fields.push(state[fields.length])
            value = 0
            shift = 0
          }
        }
        return fields
      })
  })
}

const encodeMappings = (lines) => {
  const state = [0, 0, 0, 0, 0]
  return lines
    .map((segments) => {
      state[0] = 0
      return segments
        .map((fields) =>
          fields
            .map((field, i) => {
              let value = field - state[i]
              state[i] = field
              value = value < 0 ? (-value << 1) | 1 : value << 1
              let out = ''
              do {
                const digit = value & 31
                value >>>= 5
                out += VLQ[value > 0 ? digit | 32 : digit]
              } while (value > 0)
              return out
            })
            .join(''),
        )
        .join(',')
    })
    .join(';')
}

/**
 * Drops the generated modules of {@link builtinsFromProcess} from a source map: their
 * sources go, and the few generated characters that mapped to them map to nothing, so
 * every source of a map is a file under src/ with its text.
 */
const withoutGeneratedSources = (file) => {
  const map = JSON.parse(readFileSync(file, 'utf8'))
  const keep = map.sources.map((source) => !source.startsWith('builtin:'))
  if (keep.every(Boolean)) return
  const index = []
  let next = 0
  for (const kept of keep) index.push(kept ? next++ : -1)
  const lines = decodeMappings(map.mappings).map((segments) =>
    segments.map((fields) => (fields.length === 1 || keep[fields[1]] ? fields : [fields[0]])),
  )
  // Source indexes are renumbered, names stay.
  for (const segments of lines) {
    for (const fields of segments) if (fields.length > 1) fields[1] = index[fields[1]]
  }
  map.sources = map.sources.filter((_, i) => keep[i])
  map.sourcesContent = map.sourcesContent?.filter((_, i) => keep[i])
  map.mappings = encodeMappings(lines)
  writeFileSync(file, JSON.stringify(map))
}

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
        plugins: [lazyEntriesExternal(root, lazyEntries, output), builtinsFromProcess()],
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
  if (sourcemap === 'linked') {
    for (const { output } of entries)
      withoutGeneratedSources(join(outdir, `${relative('dist', output)}.map`))
  }
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
