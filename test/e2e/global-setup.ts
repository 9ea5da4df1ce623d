/**
 * Vitest global setup: resolves (and on a fresh machine installs, once per run)
 * the Node 22+ binary that runs the Lambda runtime client in end-to-end tests,
 * then hands its path to the test workers through the environment.
 *
 * It also checks the runtime client itself. When it is missing, the end-to-end
 * tests are skipped (see `with-runtime.ts`) and this says so once, with how to get
 * it; with `ORC_REQUIRE_RUNTIME_CLIENT=1` (CI) the run fails instead.
 */
import { RUNTIME_NODE_ENV, runtimeNode } from './harness/node-binary.js'
import { RUNTIME_CLIENT_HELP, runtimeClientStatus } from './harness/runtime-client.mjs'

export default function setup(): void {
  const { path } = runtimeNode({ log: (line) => process.stderr.write(`${line}\n`) })
  process.env[RUNTIME_NODE_ENV] = path
  const { missing } = runtimeClientStatus()
  if (missing === undefined) return
  const message = `${missing}\n${RUNTIME_CLIENT_HELP}`
  if (/^(1|true|yes|on)$/i.test(process.env.ORC_REQUIRE_RUNTIME_CLIENT?.trim() ?? '')) {
    const error = new Error(
      `ORC_REQUIRE_RUNTIME_CLIENT is set and the end-to-end tests cannot run.\n${message}`,
    )
    error.stack = error.message
    throw error
  }
  process.stderr.write(
    `\n[middy-orc] End-to-end tests and the demo are SKIPPED on this machine.\n${message}\n\n`,
  )
}
