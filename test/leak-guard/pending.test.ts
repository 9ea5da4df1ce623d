/**
 * The creation site of pending work: the first frame of first-party code, never Node's,
 * a dependency's or the runtime client's (so their timers are never reported).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { creationSite, firstPartySite } from '../../src/leak-guard/site.js'

const stack = (...frames: string[]) => ['Error', ...frames.map((f) => `    at ${f}`)].join('\n')

describe('firstPartySite', () => {
  test('skips Node, node_modules and the runtime, names the file relative to the task root', () => {
    const trace = stack(
      'emitInitScript (node:internal/async_hooks:514:3)',
      'new Timeout (node:internal/timers:195:17)',
      'setTimeout (node:timers:120:19)',
      'Agent.keepAlive (/var/task/node_modules/agent/index.js:10:5)',
      'Runtime.handle (/var/runtime/index.mjs:1200:7)',
      'base (file:///var/task/src/my%20app.mjs:11:3)',
      'middy (/var/task/node_modules/@middy/core/index.js:25:15)',
    )
    expect(firstPartySite(trace, '/var/task', '/var/runtime')).toBe('src/my app.mjs:11:3')
  })

  test('anonymous frames and files outside the root keep their absolute path', () => {
    expect(firstPartySite(stack('/opt/layer/lib.js:4:9'), '/var/task', undefined)).toBe(
      '/opt/layer/lib.js:4:9',
    )
  })

  test('a stack of Node, dependencies and the runtime only has no site', () => {
    const trace = stack(
      'listOnTimeout (node:internal/timers:588:17)',
      'Socket.setTimeout (node:net:600:5)',
      'send (/var/task/node_modules/@smithy/node-http-handler/dist-cjs/index.js:300:9)',
      'Runtime.handle (/var/runtime/index.mjs:1200:7)',
    )
    expect(firstPartySite(trace, '/var/task', '/var/runtime')).toBeUndefined()
    expect(firstPartySite('', '/var/task', undefined)).toBeUndefined()
  })
})

describe('in an esbuild bundle', () => {
  test('frames in the regions of bundled dependencies and of the bundler’s helpers are skipped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lg-bundle-'))
    const file = join(dir, 'index.js')
    writeFileSync(
      file,
      [
        'var __esm = (fn, res) => function __init() {}', // 1: the bundler's helpers
        '',
        '// node_modules/@middy/core/index.js', // 3
        'function runRequest() { setTimeout(() => {}, 5) }', // 4
        '',
        '// src/handler.ts', // 6
        'const base = () => setTimeout(() => {}, 5)', // 7
      ].join('\n'),
    )
    try {
      const frames = (...lines: number[]) => stack(...lines.map((line) => `${file}:${line}:3`))
      expect(firstPartySite(frames(1, 4, 7), dir, undefined)).toBe('index.js:7:3')
      expect(firstPartySite(frames(4, 1), dir, undefined)).toBeUndefined()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('creationSite: the Node API the first-party code called', () => {
  test('named after its module, the outermost Node frame nearest the caller', () => {
    const site = (...frames: string[]) =>
      creationSite(stack(...frames, 'base (/var/task/index.mjs:9:3)'), '/var/task', undefined)
    expect(
      site(
        'FSReqCallback.emitInitNative (node:internal/async_hooks:207:43)',
        'Object.open (node:fs:607:15)',
        'Object.writeFile (node:fs:2439:6)',
      ),
    ).toEqual({ site: 'index.mjs:9:3', api: 'fs.writeFile', direct: true })
    expect(
      site(
        'open (node:internal/fs/promises:1346:13)',
        'Object.writeFile (node:internal/fs/promises:1965:20)',
      )?.api,
    ).toBe('fs.promises.writeFile')
    expect(
      site(
        'emitInitScript (node:internal/async_hooks:514:3)',
        'process.nextTick (node:internal/process/task_queues:143:5)',
      ),
    ).toEqual({ site: 'index.mjs:9:3', api: 'process.nextTick', direct: true })
  })

  test('through a dependency, the call is not direct: Node queued it for the library', () => {
    const trace = stack(
      'process.nextTick (node:internal/process/task_queues:143:5)',
      'flush (/var/task/node_modules/lib/index.js:3:3)',
      'base (/var/task/index.mjs:9:3)',
    )
    expect(creationSite(trace, '/var/task', undefined)).toEqual({
      site: 'index.mjs:9:3',
      api: 'process.nextTick',
      direct: false,
    })
  })
})
