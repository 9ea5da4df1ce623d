/**
 * Live reads of rebound module variables (`src/leak-guard/scope/live.ts`). The getters
 * only work where the scope reader is bundled into the same file as the code it reads, so
 * the fixture is bundled with the reader by esbuild (as ES module and as CommonJS) and
 * run under plain Node in a child process; the rules that decide and check a getter are
 * tested here directly.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { FunctionReading } from '../../src/leak-guard/scope/inspector.js'
import { agrees, type LiveScope, liveRequestOf } from '../../src/leak-guard/scope/live.js'
import type { SourcePlan } from '../../src/leak-guard/scope/plan.js'
import { childBuildOptions, childCoverageEnv, keepBundle } from '../helpers/child-coverage.js'

const ENTRY = fileURLToPath(new URL('./scope-fixtures/live/entry.mjs', import.meta.url))

interface Step {
  values: Record<string, unknown>
  live: number
}
interface Report {
  steps: Step[]
  liveAfterPrepare: number
  copySteps: Step[]
  logs: unknown[]
}

let work: string
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'scope-live-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

const runBundled = async (format: 'esm' | 'cjs'): Promise<Report> => {
  const outfile = join(work, format, `entry.${format === 'esm' ? 'mjs' : 'cjs'}`)
  await build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    format,
    outfile,
    logLevel: 'silent',
    ...childBuildOptions,
  })
  keepBundle(outfile)
  const out = execFileSync(process.execPath, [outfile], {
    env: { ...process.env, ...childCoverageEnv() },
    encoding: 'utf8',
  })
  return JSON.parse(out) as Report
}

describe.each(['esm', 'cjs'] as const)('the reader bundled with the handler (%s)', (format) => {
  test('rebound module variables are read through a getter, and are always current', async () => {
    const { steps, liveAfterPrepare, logs } = await runBundled(format)
    expect(logs).toEqual([])
    const config = { table: 'orders' }
    expect(steps).toEqual([
      // The first scan reads whole; the getter is made at the next turn of the loop.
      { values: { tenantId: 'tenant-a', count: 1, config, calls: 1 }, live: 0 },
      { values: { tenantId: 'tenant-a', count: 1, config, calls: 1 }, live: 1 },
      // Rebound since: the getter sees it; the factory's closure is read whole, as before.
      { values: { tenantId: 'tenant-b', count: 2, config, calls: 2 }, live: 1 },
      { values: { tenantId: 'tenant-c', count: 3, config, calls: 2 }, live: 1 },
      // Made by prepare() (in Lambda, at init), before any scan.
      { values: { tenantId: 'tenant-d', count: 4, config, calls: 2 }, live: 1 },
    ])
    expect(liveAfterPrepare).toBe(1)
  })

  test('a getter that would read another instance of the same file is not kept', async () => {
    const { copySteps } = await runBundled(format)
    // (Whether discovery follows to the other instance's `counter` depends on where the
    // bundle is: first-party under the working directory, not in a temporary folder.)
    expect(
      copySteps.map(({ values: { tenantId, count }, live }) => ({ tenantId, count, live })),
    ).toEqual([
      { tenantId: 'tenant-x', count: 1, live: 0 },
      { tenantId: 'tenant-y', count: 2, live: 0 },
    ])
  })
})

/** A reading of one function with a module scope (and inner scopes, if given). */
const reading = (
  module: Record<string, unknown>,
  inner: { description: string; variables: Record<string, unknown> }[] = [],
): FunctionReading => ({
  scriptId: '1',
  scopes: [...inner, { description: 'Closure', variables: module }],
})
const plan = (assigned: string[], referenced?: string[]): SourcePlan => ({
  assigned: new Set(assigned),
  referenced: referenced === undefined ? undefined : new Set(referenced),
})
const entriesOf = (variables: Record<string, unknown>) => Object.entries(variables)
/** Where the probe is under the test runner: live.ts itself. */
const probeFile = fileURLToPath(new URL('../../src/leak-guard/scope/live.ts', import.meta.url))

describe('liveRequestOf', () => {
  const client = { send: () => undefined }
  const module = { tenantId: 'a', count: 1, client, handler: () => undefined }

  test('asks for the rebound module variables, with objects of the scope as anchors', () => {
    const request = liveRequestOf(
      reading(module),
      entriesOf(module),
      plan(['tenantId', 'count']),
      probeFile,
    )
    expect(request?.names).toEqual(['tenantId', 'count'])
    expect(request?.anchors.map(([name]) => name)).toEqual(['client', 'handler'])
    expect(request?.anchors[0]?.[1]).toBe(client)
  })

  test('in a bundle, only what first-party code names: rebound and anchors alike', () => {
    const request = liveRequestOf(
      reading(module),
      entriesOf(module),
      plan(['tenantId', 'count'], ['tenantId', 'handler']),
      probeFile,
    )
    expect(request?.names).toEqual(['tenantId'])
    expect(request?.anchors.map(([name]) => name)).toEqual(['handler'])
  })

  test('nothing for a script the probe is not in, or when nothing is rebound', () => {
    const other = '/elsewhere/handler.js'
    expect(liveRequestOf(reading(module), entriesOf(module), plan(['count']), other)).toBe(
      undefined,
    )
    expect(liveRequestOf(reading(module), entriesOf(module), plan(['count']), undefined)).toBe(
      undefined,
    )
    expect(liveRequestOf(reading(module), entriesOf(module), plan([]), probeFile)).toBe(undefined)
    const unknown: SourcePlan = { assigned: undefined, referenced: undefined }
    expect(liveRequestOf(reading(module), entriesOf(module), unknown, probeFile)).toBe(undefined)
  })

  test('nothing when a variable is rebound in an inner scope, or there is a Script scope', () => {
    const factory = { description: 'Closure (factory)', variables: { calls: 0 } }
    expect(
      liveRequestOf(
        reading(module, [factory]),
        entriesOf(module),
        plan(['count', 'calls']),
        probeFile,
      ),
    ).toBe(undefined)
    // Not rebound there: the module's variables still can be.
    expect(
      liveRequestOf(reading(module, [factory]), entriesOf(module), plan(['count']), probeFile)
        ?.names,
    ).toEqual(['count'])
    const withScript: FunctionReading = {
      scriptId: '1',
      scopes: [...reading(module).scopes, { description: 'Script', variables: { x: 1 } }],
    }
    expect(liveRequestOf(withScript, entriesOf(module), plan(['count']), probeFile)).toBe(undefined)
  })

  test('nothing when a rebound variable has no plain name, or is not initialised yet', () => {
    const odd = { ø: 1, count: 1 }
    expect(liveRequestOf(reading(odd), entriesOf(odd), plan(['ø']), probeFile)).toBe(undefined)
    // `count` in its temporal dead zone: in the scope, not among the entries read.
    expect(liveRequestOf(reading(module), [['tenantId', 'a']], plan(['count']), probeFile)).toBe(
      undefined,
    )
  })
})

describe('agrees', () => {
  const live = (values: unknown[] | undefined): LiveScope => ({
    names: ['tenantId', 'count'],
    read: () => values,
  })
  const scope = { description: 'Closure', variables: { tenantId: 'a', count: Number.NaN } }

  test('when every value is the same (Object.is: NaN is NaN)', () => {
    expect(agrees(live(['a', Number.NaN]), scope)).toBe(true)
  })

  test('not when a value differs, the getter threw, or there is no module scope', () => {
    expect(agrees(live(['b', Number.NaN]), scope)).toBe(false)
    expect(agrees(live(['a', 0]), scope)).toBe(false)
    expect(agrees(live(undefined), scope)).toBe(false)
    expect(agrees(live(['a', Number.NaN]), undefined)).toBe(false)
  })

  test('not when the reading finds the variable in its temporal dead zone', () => {
    const tdz = {
      description: 'Closure',
      variables: Object.defineProperty({ tenantId: 'a' }, 'count', {
        get: () => {
          throw new ReferenceError('count is not initialised')
        },
        enumerable: true,
      }),
    }
    expect(agrees(live(['a', 1]), tdz)).toBe(false)
  })
})
