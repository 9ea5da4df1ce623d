/**
 * Vitest global setup: resolves (and on a fresh machine installs, once per run)
 * the Node 22+ binary that runs the Lambda runtime client in end-to-end tests,
 * then hands its path to the test workers through the environment.
 */
import { RUNTIME_NODE_ENV, runtimeNode } from './harness/node-binary.js'

export default function setup(): void {
  const { path } = runtimeNode({ log: (line) => process.stderr.write(`${line}\n`) })
  process.env[RUNTIME_NODE_ENV] = path
}
