#!/usr/bin/env node
/**
 * `npm run test:mutation`: runs StrykerJS (stryker.config.mjs) under Node 22 or later,
 * which it requires: the current Node when it is recent enough, else `ORC_E2E_NODE`, else
 * Lambda's Node 24 (fetched once from the npm registry, as the end-to-end tests do). Arguments pass
 * through, e.g. `npm run test:mutation -- --mutate src/cache/http.ts`.
 */
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { findRuntimeNode, REPO_ROOT } from '../test/e2e/harness/ensure-node.mjs'

const node = findRuntimeNode()
const stryker = join(REPO_ROOT, 'node_modules/@stryker-mutator/core/bin/stryker.js')
const { status, signal } = spawnSync(node, [stryker, 'run', ...process.argv.slice(2)], {
  stdio: 'inherit',
  // Vitest's workers and any child process use the same Node.
  env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` },
})
process.exit(status ?? (signal ? 1 : 0))
