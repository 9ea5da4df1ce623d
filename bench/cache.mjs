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
  'Handlers build a fresh ~1 KB result per call; ratios and differences are paired by round.\n',
)
const results = await runCases(cacheCases)
printTable(results, 'floor')
const met = printTargets(results, cacheTargets)
if (!met) process.exitCode = 1
