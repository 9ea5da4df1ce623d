/**
 * Node binary for the end-to-end harness. The logic lives in `ensure-node.mjs`
 * (plain JavaScript, so the demo and CI can run it under any Node); this module
 * gives it types and a memo for the test run.
 */
import { type EnsureNodeOptions, findRuntimeNode, probeNodeVersion } from './ensure-node.mjs'

export {
  cachedNodePath,
  ensureNodeMajor,
  installNode,
  PINNED_NODE_VERSIONS,
  REPO_ROOT,
} from './ensure-node.mjs'

/** The variable through which the global setup hands the binary to test workers. */
export const RUNTIME_NODE_ENV = 'ORC_E2E_RUNTIME_NODE'

/** A Node binary and its version. */
export interface NodeBinary {
  path: string
  /** e.g. `24.21.0` */
  version: string
  major: number
}

let memo: NodeBinary | undefined

/**
 * A Node >= 22 binary for the Lambda runtime client, with its major version.
 * Order: the binary the global setup resolved, this process's own Node if >= 22,
 * `ORC_E2E_NODE`, else the pinned Node 24 installed on demand.
 */
export const runtimeNode = (options: EnsureNodeOptions = {}): NodeBinary => {
  if (memo) return memo
  const path = process.env[RUNTIME_NODE_ENV] || findRuntimeNode(options)
  const version = probeNodeVersion(path)
  const major = Number(version?.split('.')[0])
  if (version === undefined || !(major >= 22)) {
    throw new Error(`runtime node ${path} is not a working Node 22+ binary`)
  }
  memo = { path, version, major }
  return memo
}
