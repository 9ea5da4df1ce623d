/**
 * Where the AWS Lambda runtime client (`aws-lambda-ric`) lives, and whether it is
 * usable: it is installed apart from the project's dependencies, into
 * `test/e2e/runtime-client/` (see `install.mjs` there), and it needs its native
 * part, `rapid-client.node`, which its install scripts compile.
 *
 * Plain JavaScript: the demo and the install script use it without a TypeScript
 * loader.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { REPO_ROOT } from './ensure-node.mjs'

/**
 * The folder with the runtime client's own package.json and lockfile;
 * `ORC_RUNTIME_CLIENT_DIR` points elsewhere (a client installed by other means).
 */
export const RUNTIME_CLIENT_DIR =
  process.env.ORC_RUNTIME_CLIENT_DIR?.trim() || join(REPO_ROOT, 'test', 'e2e', 'runtime-client')

/** How to get the runtime client, for messages. */
export const RUNTIME_CLIENT_HELP = [
  'To get it: install cmake, make, autoconf, libtool and a C++ compiler',
  '  (Debian/Ubuntu: apt-get install cmake make autoconf libtool g++;',
  '   Amazon Linux/Fedora: dnf install cmake make autoconf libtool gcc-c++),',
  'then run: npm run setup:runtime-client',
].join('\n')

/**
 * `{ entry }`: the client's entry module, ready to run; or `{ missing }`: one
 * sentence saying what is missing.
 */
export const runtimeClientStatus = () => {
  let entry
  try {
    entry = createRequire(join(RUNTIME_CLIENT_DIR, 'package.json')).resolve('aws-lambda-ric')
  } catch {
    return {
      entry: undefined,
      missing: `The AWS Lambda runtime client (aws-lambda-ric) is not installed in ${RUNTIME_CLIENT_DIR}/node_modules.`,
    }
  }
  if (!existsSync(join(dirname(entry), 'rapid-client.node'))) {
    return {
      entry: undefined,
      missing:
        'The AWS Lambda runtime client (aws-lambda-ric) is installed but its native part, rapid-client.node, was not built (its install scripts did not run or failed).',
    }
  }
  return { entry, missing: undefined }
}
