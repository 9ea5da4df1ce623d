/**
 * Discovery ahead of the first scan (`prepare`, scheduled by the scope reader itself):
 * what it does when the handler named by `_HANDLER` cannot be loaded or even looked up.
 * It runs on a turn of the event loop of its own, where a throw would end the process: a
 * failure is said once, and the reader goes on with what it has.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createScopeRoots } from '../../src/leak-guard/scope/index.js'

let root: string
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'scope-prepare-'))
  // A handler module that throws while it loads (as a missing configuration would).
  writeFileSync(
    join(root, 'broken.mjs'),
    "throw new Error('no TABLE_NAME')\nexport const handler = () => undefined\n",
  )
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

const turn = () => new Promise((done) => setImmediate(done))

test('a handler module that fails to load is said once; the reader reads nothing, without throwing', async () => {
  const logs: { code: string; message: string }[] = []
  const provider = createScopeRoots({
    logOnce: (code, message) => logs.push({ code, message }),
    env: { LAMBDA_TASK_ROOT: root, _HANDLER: 'broken.handler' },
  })
  await provider.prepare()
  expect(logs).toEqual([
    {
      code: 'scope-handler-import',
      message: `cannot import the handler module ${join(root, 'broken.mjs')}`,
    },
  ])
  expect([...provider()]).toEqual([])
})

test('a _HANDLER the file system refuses is said once at the scheduled discovery, never thrown', async () => {
  const logs: string[] = []
  const provider = createScopeRoots({
    logOnce: (code) => logs.push(code),
    // A folder name longer than the file system allows: looking it up throws ENAMETOOLONG.
    env: { LAMBDA_TASK_ROOT: root, _HANDLER: `${'x'.repeat(300)}/index.handler` },
  })
  await turn()
  await turn()
  expect(logs).toEqual(['scope-discovery'])
  // Later scans read what they can (nothing here), and throw nothing either.
  expect([...provider()]).toEqual([])
  expect(logs).toEqual(['scope-discovery'])
})
