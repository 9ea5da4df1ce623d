#!/usr/bin/env node
/**
 * Runs every benchmark script in bench/ (each *.mjs but this one), one after
 * the other, each in its own child process of the current node (so one
 * script's JIT and heap state cannot colour another's), with --expose-gc.
 *
 *   npm run bench                     # build, then this, under the default node
 *   /path/to/node24 bench/run.mjs     # the published figures come from Node 24
 *   node bench/run.mjs cache          # only scripts whose name contains "cache"
 *
 * Exits non-zero when any script fails or reports a missed target.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const benchDir = fileURLToPath(new URL('.', import.meta.url))
const self = basename(fileURLToPath(import.meta.url))
const filters = process.argv.slice(2)

if (!existsSync(join(benchDir, '..', 'dist', 'index.js'))) {
  console.error('dist/ is missing: run `npm run build` first (npm run bench does both).')
  process.exit(1)
}

const scripts = readdirSync(benchDir)
  .filter((name) => name.endsWith('.mjs') && name !== self)
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort()

console.log(`# middy-orc benchmarks: Node ${process.version} (${process.execPath})`)
console.log(`# ${new Date().toISOString()}, ${scripts.length} script(s): ${scripts.join(', ')}\n`)

const failed = []
for (const script of scripts) {
  const started = performance.now()
  const { status, signal } = spawnSync(process.execPath, ['--expose-gc', join(benchDir, script)], {
    stdio: 'inherit',
  })
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  const outcome = status === 0 ? 'ok' : signal ? `killed by ${signal}` : `exit code ${status}`
  console.log(`\n# ${script}: ${outcome} (${seconds} s)\n`)
  if (status !== 0) failed.push(script)
}

if (failed.length > 0) {
  console.log(`# not ok: ${failed.join(', ')} (a missed target or an error, above)`)
  process.exitCode = 1
}
