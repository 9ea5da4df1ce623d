#!/usr/bin/env node
/**
 * `npm run demo`: the examples under the real AWS Lambda runtime client, on this
 * machine, with no AWS account.
 *
 * Runs under any Node (the machine's default may be 20): the Lambda runtime
 * client itself runs in a Node 24 child process (installed once from the npm
 * registry into .cache/node/24 if this Node is older), and the TypeScript demo
 * body is bundled with esbuild before it is loaded.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { ensureNodeMajor, REPO_ROOT } from '../test/e2e/harness/ensure-node.mjs'
import { RUNTIME_CLIENT_HELP, runtimeClientStatus } from '../test/e2e/harness/runtime-client.mjs'

const color =
  process.env.NO_COLOR === undefined &&
  (process.env.FORCE_COLOR !== undefined || (process.stdout.isTTY && process.env.TERM !== 'dumb'))

// Piped into `head` or a closed pager: stop writing, keep cleaning up.
let stdoutClosed = false
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error
  stdoutClosed = true
})
const write = (line) => {
  if (!stdoutClosed) process.stdout.write(`${line}\n`)
}

const { missing } = runtimeClientStatus()
if (missing !== undefined) {
  process.stderr.write(
    `The demo runs handlers under the real AWS Lambda runtime client.\n${missing}\n${RUNTIME_CLIENT_HELP}\n`,
  )
  process.exit(1)
}

// Lambda's newest Node runtime, nodejs24.x.
process.env.ORC_E2E_RUNTIME_NODE = ensureNodeMajor(24, {
  log: (line) => process.stderr.write(`${line}\n`),
})

const tmpRoot = join(REPO_ROOT, '.tmp')
mkdirSync(tmpRoot, { recursive: true })
const outdir = mkdtempSync(join(tmpRoot, 'demo-'))
let failures = 1
process.once('SIGINT', () => {
  rmSync(outdir, { recursive: true, force: true })
  process.exit(130) // the runtimes are killed on exit by the harness
})
try {
  const outfile = join(outdir, 'run.mjs')
  await build({
    entryPoints: [join(REPO_ROOT, 'examples/demo/run.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    packages: 'external',
    logLevel: 'error',
  })
  const { runDemo } = await import(pathToFileURL(outfile).href)
  failures = await runDemo({ color, write })
} catch (error) {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.stack : String(error)}\n`)
} finally {
  rmSync(outdir, { recursive: true, force: true })
}
process.exitCode = failures === 0 ? 0 : 1
