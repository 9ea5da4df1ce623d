#!/usr/bin/env node
/**
 * Installs the AWS Lambda runtime client (`aws-lambda-ric`) that the end-to-end
 * tests and `npm run demo` run handlers under, into this folder's own
 * `node_modules`, from this folder's own lockfile.
 *
 * Why apart from the project's dependencies: its install scripts compile curl and
 * aws-lambda-cpp from source (about 2 to 3 minutes on 2 cores) and fail on a
 * machine with no cmake or C++ compiler. Kept here, a failed build never fails
 * the project's `npm ci`; the end-to-end tests and the demo then say what is
 * missing instead of running.
 *
 * Runs as the project's `prepare` script (so `npm ci` and `npm install` bring the
 * client), and by hand as `npm run setup:runtime-client`.
 *
 * Environment:
 * - `ORC_SKIP_RUNTIME_CLIENT=1`: do nothing (a quick `npm ci` without the e2e runs).
 * - `ORC_REQUIRE_RUNTIME_CLIENT=1`: exit 1 when the client cannot be installed (CI).
 */
import { spawnSync } from 'node:child_process'
import {
  RUNTIME_CLIENT_DIR,
  RUNTIME_CLIENT_HELP,
  runtimeClientStatus,
} from '../harness/runtime-client.mjs'

const say = (line) => process.stderr.write(`${line}\n`)
const truthy = (name) => /^(1|true|yes|on)$/i.test(process.env[name]?.trim() ?? '')
const manual = process.argv.includes('--manual')

// `prepare` also runs on `npm pack` and `npm publish`: install only on an install.
const installing = manual || ['ci', 'install', 'i'].includes(process.env.npm_command ?? '')

if (truthy('ORC_SKIP_RUNTIME_CLIENT') || !installing) process.exit(0)
if (runtimeClientStatus().missing === undefined) process.exit(0)

say('middy-orc: installing the AWS Lambda runtime client for the e2e tests and the demo')
say('  (aws-lambda-ric compiles curl and aws-lambda-cpp from source: about 2 to 3 minutes)')
const started = performance.now()
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const result = spawnSync(
  npm,
  ['ci', '--no-audit', '--no-fund', '--loglevel=error', '--engine-strict=false'],
  { cwd: RUNTIME_CLIENT_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
)
const status = runtimeClientStatus()
if (result.status === 0 && status.missing === undefined) {
  say(`middy-orc: runtime client ready (${((performance.now() - started) / 1000).toFixed(0)} s)`)
  process.exit(0)
}

// The build's own output names the tool it lacked; keep the tail, not a wall of text.
const tail = `${result.stderr ?? ''}${result.stdout ?? ''}`
  .split('\n')
  .filter((line) => /error|not (installed|found)/i.test(line))
  .slice(-4)
say('')
say('middy-orc: the AWS Lambda runtime client could not be installed.')
for (const line of tail) say(`  | ${line.trim()}`)
say(status.missing ?? 'aws-lambda-ric did not install.')
say(RUNTIME_CLIENT_HELP)
say('Everything else works without it: the unit tests run, the e2e tests are skipped.')
process.exit(truthy('ORC_REQUIRE_RUNTIME_CLIENT') ? 1 : 0)
