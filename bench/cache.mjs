#!/usr/bin/env node
/**
 * orcCache per-invocation costs, side by side in one run, with the targets of
 * issue 2. Run after `npm run build` (it imports dist/), ideally on Node 24:
 *
 *   node --expose-gc bench/cache.mjs
 *
 * Exits with code 1 when a target is missed. Cases live in lib/cache-cases.mjs.
 */
import { cacheCases, cacheTargets } from './lib/cache-cases.mjs'
import { describeRun, printTable, printTargets, runCases } from './lib/runner.mjs'

console.log('## orcCache: cost per invocation')
console.log(describeRun())
console.log(
  'Plain cases: AWS API Gateway v1 sample, key `pathParameters.id`, `http: false` (the core cache).',
)
console.log('HTTP case: AWS API Gateway v2 sample, orcCache defaults (keyed by method and path).')
console.log(
  process.env.BENCH_ISOLATE === '0'
    ? 'All cases share this one process (BENCH_ISOLATE=0); rounds interleave.'
    : 'Each case runs in a process of its own, as each Lambda function does; rounds interleave across them.',
)
console.log(
  'Handlers build a fresh ~1 KB result per call; ratios and differences are paired by round.\n',
)
// BENCH_ISOLATE=0 runs every case in this one process instead (for comparison:
// several Middy stacks in one process make Middy's core slower for all of them).
const isolate = process.env.BENCH_ISOLATE !== '0'
const results = await runCases(cacheCases, {
  isolate: isolate && {
    module: new URL('./lib/cache-cases.mjs', import.meta.url).href,
    exportName: 'cacheCases',
  },
})
printTable(results, 'floor')
const met = printTargets(results, cacheTargets)
if (!met) process.exitCode = 1
