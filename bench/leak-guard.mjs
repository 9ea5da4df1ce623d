#!/usr/bin/env node
/**
 * leakGuard's per-invocation cost, with the targets of issue 4. Run after
 * `npm run build` (it imports dist/; the walk, internal, is bundled from src/), ideally on
 * Node 24:
 *
 *   node bench/leak-guard.mjs
 *
 * Each case is a Middy handler invoked with the API Gateway sample event, whose JSON
 * body differs every invocation (a user id, a card number, an email: about 20 tokens).
 * An invocation is checked twice (at its start and at its end), so the figures are
 * those two checks together:
 * - none: the bare Middy handler; off: with `leakGuard({ mode: 'off' })`;
 * - globals only: `leakGuard({ scope: false })`, nothing to search but `globalThis`
 *   (the pending-work tracker on, as by default), and the same with `pending: false`;
 * - 10,000 nodes: the same with `watch: { state }`, where `state` reaches about 10,000
 *   values (objects, arrays, strings, numbers: what a warm container's caches hold).
 * Module scope (`scope`, on by default) has its own benchmark: bench/scope.mjs.
 *
 * Exits with code 1 when a target is missed.
 */
import middy from '@middy/core'
import { leakGuard } from '../dist/leak-guard/index.js'
import { lambdaContext, loadEvent } from './lib/aws.mjs'
import {
  describeRun,
  overheadTarget,
  printTable,
  printTargets,
  ratioTarget,
  runCases,
} from './lib/runner.mjs'
import { importSource } from './lib/source.mjs'

const { walk } = await importSource('leak-guard/walk.ts')

const NODES = 10_000
const context = lambdaContext()
const template = loadEvent('apigw-request')

/** The i-th event: the sample with a body of its own. */
const eventFor = (i) => ({
  ...template,
  body: JSON.stringify({
    userId: `user-${i.toString(36).padStart(6, '0')}`,
    card: { number: '4111111111111111', expiry: '12/29' },
    email: `customer${i}@example.com`,
  }),
})
const events = Array.from({ length: 256 }, (_, i) => eventFor(i))

const base = async () => ({ statusCode: 200, body: '{"ok":true}' })

/**
 * A warm container's state: groups of 10 records, each record 8 values (the object, an id,
 * a name, a score, a timestamp, a tags array and its 2 strings), about NODES values in all.
 */
const buildState = () => {
  const groups = []
  for (let g = 0; 2 + g * 81 < NODES; g++) {
    const group = []
    for (let r = 0; r < 10; r++) {
      const n = g * 10 + r
      group.push({
        id: `rec-${n}`,
        name: `record number ${n}`,
        score: n,
        tags: ['a', `tag-${n % 7}`],
        at: 1_700_000_000_000 + n,
      })
    }
    groups.push(group)
  }
  return { groups }
}

const state = buildState()
const stats = walk([{ label: 'state', value: state }], () => undefined, 1_000_000)
if (stats.visited < NODES || stats.truncated)
  throw new Error(`state reaches ${stats.visited} values, under ${NODES}`)

const findings = []
const guarded = (options) =>
  middy(base).use(leakGuard({ ...options, onLeak: (f) => findings.push(f) }))
const invoke = (handler) => (i) => handler(events[i % events.length], context)
const clean = async () => {
  if (findings.length > 0) throw new Error(`a clean case reported ${findings.length} finding(s)`)
}

const cases = [
  { id: 'none', label: 'no middleware', setup: async () => ({ run: invoke(middy(base)) }) },
  {
    id: 'off',
    label: "leakGuard({ mode: 'off' })",
    setup: async () => ({ run: invoke(guarded({ mode: 'off' })) }),
  },
  {
    id: 'globals',
    label: 'leakGuard({ scope: false }): globals only',
    setup: async () => ({ run: invoke(guarded({ scope: false })), check: clean }),
  },
  {
    id: 'globals-no-pending',
    label: 'leakGuard({ scope: false, pending: false })',
    setup: async () => ({
      run: invoke(guarded({ scope: false, pending: false })),
      check: clean,
    }),
  },
  {
    id: 'walk',
    label: `+ watch: ${stats.visited.toLocaleString('en')} nodes`,
    setup: async () => ({ run: invoke(guarded({ scope: false, watch: { state } })), check: clean }),
  },
]

console.log(`## leakGuard per-invocation overhead (two checks per invocation)\n${describeRun()}\n`)
const results = await runCases(cases)
printTable(results, 'none')
const met = printTargets(results, [
  ratioTarget('off', 'none', 1.05, 'off indistinguishable from no middleware (≤ 1.05×)'),
  overheadTarget('globals', 'none', 50_000, 'globals only adds ≤ 50 µs'),
  overheadTarget(
    'walk',
    'none',
    2_000_000,
    `a walk over ${NODES.toLocaleString('en')} nodes adds ≤ 2 ms`,
  ),
])
if (!met) process.exitCode = 1
