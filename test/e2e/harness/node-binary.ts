/**
 * Node binary for the end-to-end harness. The logic lives in `ensure-node.mjs`
 * (plain JavaScript, so the demo and CI can run it under any Node); this module
 * gives it types and a memo for the test run.
 */
import { type EnsureNodeOptions, findRuntimeNode, probeNodeMajor } from './ensure-node.mjs'

export {
  cachedNodePath,
  ensureNodeMajor,
  installNode,
  PINNED_NODE_VERSIONS,
  REPO_ROOT,
} from './ensure-node.mjs'

/** The variable through which the global setup hands the binary to test workers. */
export const RUNTIME_NODE_ENV = 'ORC_E2E_RUNTIME_NODE'

let memo: { path: string; major: number } | undefined

/**
 * A Node >= 22 binary for the Lambda runtime client, with its major version.
 * Order: the binary the global setup resolved, this process's own Node if >= 22,
 * `ORC_E2E_NODE`, else the pinned Node 24 installed on demand.
 */
export const runtimeNode = (options: EnsureNodeOptions = {}): { path: string; major: number } => {
  if (memo) return memo
  const path = process.env[RUNTIME_NODE_ENV] || findRuntimeNode(options)
  const major = probeNodeMajor(path)
  if (major === undefined || major < 22) {
    throw new Error(`runtime node ${path} is not a working Node 22+ binary`)
  }
  memo = { path, major }
  return memo
}
