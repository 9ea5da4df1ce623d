/**
 * Internal modules of the package for benchmarks: `dist/` holds one bundled file per entry
 * point (scripts/build.mjs), so a benchmark that needs an internal module (the walk, the
 * scope reader) bundles it from `src/` with esbuild into `.tmp/bench-src/` and imports it.
 */
import { mkdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const repo = fileURLToPath(new URL('../..', import.meta.url))

/** Imports `src/<path>` (a `.ts` file), bundled on its own. */
export const importSource = async (path) => {
  const out = join(repo, '.tmp/bench-src')
  mkdirSync(out, { recursive: true })
  const outfile = join(out, `${basename(path, '.ts')}-${path.replaceAll('/', '_')}.mjs`)
  await build({
    entryPoints: [join(repo, 'src', path)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    logLevel: 'silent',
  })
  return import(pathToFileURL(outfile).href)
}
