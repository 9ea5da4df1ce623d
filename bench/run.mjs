#!/usr/bin/env node
/**
 * Runs every benchmark script in bench/ (each *.mjs but this one: cache, leak-guard,
 * redis, scope, shared-tier, startup), one after
 * the other, each in its own child process of the current node (so one
 * script's JIT and heap state cannot colour another's), with --expose-gc.
 *
 *   node bench/run.mjs                # every script, under this node
 *   node bench/run.mjs --node 24      # under Node 24 (fetched by test/e2e/harness/ensure-node.mjs)
 *   /path/to/node24 bench/run.mjs     # the same, with a binary at hand
 *   node bench/run.mjs cache          # only scripts whose name contains "cache"
 *
 * The published figures come from Node 24, Lambda's newest runtime.
 *
 * Exits non-zero when any script fails or reports a missed target.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const benchDir = fileURLToPath(new URL('.', import.meta.url))
const self = basename(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const nodeFlag = args.indexOf('--node')
let node = process.execPath
if (nodeFlag !== -1) {
  const major = args[nodeFlag + 1]
  args.splice(nodeFlag, 2)
  const ensure = spawnSync(
    process.execPath,
    [join(benchDir, '..', 'test', 'e2e', 'harness', 'ensure-node.mjs'), String(major)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  )
  if (ensure.status !== 0) {
    console.error(`could not get Node ${major} (test/e2e/harness/ensure-node.mjs failed)`)
    process.exit(1)
  }
  node = ensure.stdout.trim()
}
const filters = args

if (!existsSync(join(benchDir, '..', 'dist', 'index.js'))) {
  console.error('dist/ is missing: run `npm run build` first (npm run bench does both).')
  process.exit(1)
}

const scripts = readdirSync(benchDir)
  .filter((name) => name.endsWith('.mjs') && name !== self)
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort()

if (scripts.length === 0) {
  console.error(`no benchmark script in bench/ matches ${filters.join(', ')}`)
  process.exit(1)
}

const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()
console.log(`# middy-orc benchmarks: Node ${version} (${node})`)
console.log(`# ${new Date().toISOString()}, ${scripts.length} script(s): ${scripts.join(', ')}\n`)

const failed = []
for (const script of scripts) {
  const started = performance.now()
  const { status, signal } = spawnSync(node, ['--expose-gc', join(benchDir, script)], {
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
