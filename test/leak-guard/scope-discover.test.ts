/** Discovery helpers: where the Lambda handler is, and which functions a value holds. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import {
  exportedFunctions,
  functionsIn,
  locateHandler,
} from '../../src/leak-guard/scope/discover.js'

describe('locateHandler (LAMBDA_TASK_ROOT + _HANDLER, as the runtime resolves them)', () => {
  const root = mkdtempSync(join(tmpdir(), 'scope-handler-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  mkdirSync(join(root, 'src/app'), { recursive: true }) // a directory named like the module
  for (const file of ['index.mjs', 'index.cjs', 'src/app.cjs', 'lambda.js']) {
    writeFileSync(join(root, file), '')
  }

  test.each([
    ['index.handler', 'index.mjs'], // .js, then .mjs, then .cjs
    ['src/app.handler', 'src/app.cjs'], // a directory is not a module file
    ['lambda.handlers.pay', 'lambda.js'], // nested export path
  ])('%s → %s', (handler, file) => {
    expect(locateHandler(root, handler)).toBe(join(root, file))
  })

  test.each(['missing.handler', 'index', 'index.', '.handler'])('%s → not found', (handler) => {
    expect(locateHandler(root, handler)).toBeUndefined()
  })
})

describe('functions held by a value', () => {
  const a = () => 1
  const b = () => 2
  const c = () => 3

  test('in arrays and plain objects, two levels deep, never through getters or Proxies', () => {
    const value = {
      a,
      list: [b, { tooDeep: c }],
      get hidden() {
        return c
      },
      proxied: new Proxy({ c }, {}),
    }
    expect(functionsIn(value)).toEqual([a, b])
  })

  test('class instances are data, not opened', () => {
    class Client {
      send = a
    }
    expect(functionsIn(new Client())).toEqual([])
  })

  test('module exports are read through getters, as the runtime reads the handler', () => {
    // esbuild's CommonJS output exports through getters.
    const exports = Object.defineProperty({}, 'handler', { get: () => a, enumerable: true })
    expect(functionsIn(exports)).toEqual([])
    expect(exportedFunctions(exports)).toEqual([a])
    expect(exportedFunctions(b)).toEqual([b]) // module.exports = handler
  })
})
