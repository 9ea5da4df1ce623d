/**
 * Coverage of the processes the suite starts (`npm run test:coverage`, see
 * scripts/coverage.mjs). Vitest measures its own workers; a child process (the Lambda
 * runtime client running a bundled handler, the scope reader under plain Node, the
 * memory scenario) is measured by V8 itself through `NODE_V8_COVERAGE`. Its code is an
 * esbuild bundle in a temporary folder, so in coverage mode each bundle carries an
 * inline source map (back to `src/`) and a copy is kept for the report, keyed by the
 * URL the child ran it under. Outside coverage mode every helper here is a no-op.
 */
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

/** Set by scripts/coverage.mjs: where children write raw V8 coverage and bundles are kept. */
const DIR = process.env.ORC_CHILD_COVERAGE_DIR || undefined

/** The folder of raw V8 coverage files (`NODE_V8_COVERAGE`) under the coverage folder. */
export const rawDir = (dir: string): string => join(dir, 'v8')
/** The folder of kept bundles under the coverage folder. */
export const bundleDir = (dir: string): string => join(dir, 'bundles')
/** The name a bundle run from `url` is kept under (scripts/coverage.mjs computes it too). */
export const bundleName = (url: string): string =>
  `${createHash('sha256').update(url).digest('hex').slice(0, 32)}.js`

/** esbuild options to add to a bundle a child process runs: an inline source map in coverage mode. */
export const childBuildOptions: { sourcemap?: 'inline' } = DIR ? { sourcemap: 'inline' } : {}

/** Keeps a copy of a bundle a child process will run (after esbuild wrote it). */
export const keepBundle = (file: string): void => {
  if (!DIR) return
  const target = bundleDir(DIR)
  mkdirSync(target, { recursive: true })
  copyFileSync(file, join(target, bundleName(pathToFileURL(file).href)))
}

/**
 * A preload (written into the coverage folder, so that it is found even from a bundle of
 * this file, as the demo makes): SIGTERM or SIGINT ends the process normally.
 */
const exitOnSignal = (dir: string): string => {
  const file = join(dir, 'exit-on-signal.cjs')
  writeFileSync(
    file,
    "for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]]) process.on(signal, () => process.exit(code))\n",
  )
  return file
}

/**
 * Environment for a child process: `NODE_V8_COVERAGE`, and for a process stopped with
 * SIGTERM a preload that turns the signal into a normal exit (V8 writes coverage on
 * exit, not when a signal kills the process).
 */
export const childCoverageEnv = ({ stoppedBySignal = false } = {}): Record<string, string> => {
  if (!DIR) return {}
  const env: Record<string, string> = { NODE_V8_COVERAGE: rawDir(DIR) }
  if (stoppedBySignal) {
    env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require ${exitOnSignal(DIR)}`.trim()
  }
  return env
}
