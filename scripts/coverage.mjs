#!/usr/bin/env node
/**
 * `npm run test:coverage`: coverage of `src/` over every process the suite starts.
 *
 * 1. Runs the whole suite (`vitest run --coverage`): vitest measures the code its own
 *    workers run (coverage/in-process/coverage-final.json).
 * 2. The child processes the tests start (the Lambda runtime client running a bundled
 *    handler, the scope reader under plain Node, the memory scenario) write raw V8
 *    coverage through NODE_V8_COVERAGE; the tests keep each bundle they ran, with an
 *    inline source map back to `src/` (test/helpers/child-coverage.ts).
 * 3. Each child's coverage of a kept bundle is mapped back to `src/` with the same
 *    converter vitest uses (ast-v8-to-istanbul), and its hits are added to the
 *    in-process report where a statement, branch or function is at the same place in
 *    the source. The in-process report stays the frame (every file of `src/`, and the
 *    `v8 ignore` hints it honours: a place a hint leaves out is left out of the merged
 *    report too, whatever a child counted there); a child's count for a place it does not
 *    know is dropped, and how many were is printed.
 * 4. Prints the per-file table (statements, branches, functions, lines: all processes,
 *    and in-process only), writes coverage/index.html and coverage/coverage-summary.json,
 *    and fails below the thresholds.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import astV8ToIstanbul from 'ast-v8-to-istanbul'
import libCoverage from 'istanbul-lib-coverage'
import libReport from 'istanbul-lib-report'
import reports from 'istanbul-reports'
import { parseAstAsync } from 'vitest/node'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const SRC = join(ROOT, 'src/')
const OUT = join(ROOT, 'coverage')
const CHILDREN = join(OUT, 'children')
const IN_PROCESS = join(OUT, 'in-process')

/**
 * What the suite reaches now over all processes: every statement, branch, function and
 * line of `src/` (Node 24, the merged code). Where no test can reach a place, the line
 * says why (`v8 ignore`). A place a test reaches only in some runs (timing) needs a test
 * that reaches it every time: the last ones (a Vary marker kept in memory, the guard's
 * failed check, a call without a Lambda context) have one. Never lower these.
 */
const THRESHOLDS = { statements: 100, branches: 100, functions: 100, lines: 100 }

const skipRun = process.argv.includes('--report-only')
if (!skipRun) {
  rmSync(OUT, { recursive: true, force: true })
  mkdirSync(CHILDREN, { recursive: true })
  const vitest = join(ROOT, 'node_modules/vitest/vitest.mjs')
  const run = spawnSync(
    process.execPath,
    [
      vitest,
      'run',
      '--coverage.enabled',
      `--coverage.reportsDirectory=${IN_PROCESS}`,
      ...process.argv.slice(2).filter((arg) => arg !== '--report-only'),
    ],
    { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ORC_CHILD_COVERAGE_DIR: CHILDREN } },
  )
  if (run.status !== 0) {
    console.error(`\nthe suite failed (exit ${run.status ?? run.signal}): no coverage report`)
    process.exit(run.status || 1)
  }
}

const inProcess = libCoverage.createCoverageMap(
  JSON.parse(readFileSync(join(IN_PROCESS, 'coverage-final.json'), 'utf8')),
)
const merged = libCoverage.createCoverageMap(JSON.parse(JSON.stringify(inProcess.toJSON())))

const INLINE_MAP = /\n\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/
/** A place in the source; an open end (Infinity, written as null in JSON) is one value. */
const col = (column) => (Number.isFinite(column) ? column : 'end')
const keyOf = (loc) =>
  `${loc.start.line}:${col(loc.start.column)}-${loc.end.line}:${col(loc.end.column)}`

/** Same start line and same end: a looser place, used only where it is unique. */
const looseKeyOf = (loc) => `${loc.start.line}-${loc.end.line}:${col(loc.end.column)}`

/** The end alone: for functions only (an arrow whose parameters start lines before it). */
const endKeyOf = (loc) => `${loc.end.line}:${col(loc.end.column)}`

/**
 * Adds a child's hits to the frame at the same places; returns [matched, dropped].
 * A place matches on its exact source range, else (functions: the converters start
 * an arrow function at its parameters or at its arrow) on its start line and end when
 * only one place of the frame has them, else, for a function only, on its end when only
 * one function of the frame ends there and it starts one or two lines below the child's
 * (an arrow whose parameters begin on an earlier line than its arrow: `(\n  a,\n) =>`).
 */
const addHits = (frame, child) => {
  let matched = 0
  let dropped = 0
  const add = (frameMap, frameHits, childMap, childHits, locOf, combine, byEnd = false) => {
    const exact = new Map()
    const loose = new Map()
    const ends = new Map()
    const unique = (map, key, id) => map.set(key, map.has(key) ? null : id)
    for (const [id, item] of Object.entries(frameMap)) {
      exact.set(keyOf(locOf(item)), id)
      unique(loose, looseKeyOf(locOf(item)), id)
      if (byEnd) unique(ends, endKeyOf(locOf(item)), id)
    }
    for (const [id, item] of Object.entries(childMap)) {
      const loc = locOf(item)
      let target = exact.get(keyOf(loc)) ?? loose.get(looseKeyOf(loc))
      if (target === undefined && byEnd) {
        // The same function begun at its parameters, a line or two above its arrow.
        const id = ends.get(endKeyOf(loc))
        const gap = id ? locOf(frameMap[id]).start.line - loc.start.line : 0
        if (gap >= 1 && gap <= 2) target = id
      }
      if (target === undefined || target === null) {
        if (process.env.ORC_COVERAGE_DEBUG) console.error('dropped', frame.path, keyOf(locOf(item)))
        dropped++
        continue
      }
      matched++
      frameHits[target] = combine(frameHits[target], childHits[id])
    }
  }
  const sum = (a, b) => a + b
  const sumEach = (a, b) => (a.length === b.length ? a.map((n, i) => n + b[i]) : a)
  add(frame.statementMap, frame.s, child.statementMap, child.s, (s) => s, sum)
  add(frame.fnMap, frame.f, child.fnMap, child.f, (f) => f.loc, sum, true)
  add(frame.branchMap, frame.b, child.branchMap, child.b, (b) => b.locations[0] ?? b.loc, sumEach)
  return [matched, dropped]
}

const rawDir = join(CHILDREN, 'v8')
const bundles = join(CHILDREN, 'bundles')
const kept = existsSync(bundles) ? new Set(readdirSync(bundles)) : new Set()
/** The name a bundle run from `url` was kept under (as in test/helpers/child-coverage.ts). */
const bundleName = (url) => `${createHash('sha256').update(url).digest('hex').slice(0, 32)}.js`
let processes = 0
let scripts = 0
let matched = 0
let dropped = 0
const asts = new Map()
if (existsSync(rawDir)) {
  for (const file of readdirSync(rawDir)) {
    const raw = JSON.parse(readFileSync(join(rawDir, file), 'utf8'))
    let counted = false
    for (const script of raw.result) {
      const name = script.url.startsWith('file://') ? bundleName(script.url) : ''
      if (!kept.has(name)) continue
      counted = true
      scripts++
      const code = readFileSync(join(bundles, name), 'utf8')
      const inline = INLINE_MAP.exec(code)
      if (!inline) continue
      const sourceMap = JSON.parse(Buffer.from(inline[1], 'base64').toString('utf8'))
      if (!asts.has(name)) asts.set(name, await parseAstAsync(code))
      const converted = await astV8ToIstanbul({
        code,
        sourceMap,
        ast: asts.get(name),
        coverage: { url: script.url, functions: script.functions },
      })
      for (const [path, data] of Object.entries(converted)) {
        if (!path.startsWith(SRC) || !merged.data[path]) continue
        const [m, d] = addHits(merged.fileCoverageFor(path).data, data)
        matched += m
        dropped += d
      }
    }
    if (counted) processes++
  }
}

const pct = (summary, key) => summary[key].pct
const table = []
const measures = ['statements', 'branches', 'functions', 'lines']
for (const path of merged.files().sort()) {
  const all = merged.fileCoverageFor(path).toSummary()
  const own = inProcess.fileCoverageFor(path).toSummary()
  table.push([relative(ROOT, path), ...measures.map((m) => [pct(all, m), pct(own, m)])])
}
const total = merged.getCoverageSummary()
const totalOwn = inProcess.getCoverageSummary()
const cell = ([all, own]) =>
  `${all.toFixed(1).padStart(5)}${all === own ? '        ' : ` (${own.toFixed(1).padStart(5)})`}`
const width = Math.max(...table.map(([f]) => f.length), 8)
const line = (file, cells) => `${file.padEnd(width)}  ${cells.map(cell).join('  ')}`
console.log(
  `\nCoverage of src/ over every process (in parentheses: in-process only, where it differs)\n`,
)
console.log(`${'file'.padEnd(width)}  ${measures.map((m) => m.padEnd(13)).join('  ')}`)
for (const [file, ...cells] of table) console.log(line(file, cells))
console.log(
  line(
    'all files',
    measures.map((m) => [pct(total, m), pct(totalOwn, m)]),
  ),
)
console.log(
  `\nchild processes: ${processes} ran kept bundles (${scripts} scripts); ` +
    `${matched} places matched in src/, ${dropped} dropped (no place at the same source range, ` +
    'or a place a `v8 ignore` hint leaves out of the report)',
)

const context = libReport.createContext({ dir: OUT, coverageMap: merged })
reports.create('html').execute(context)
reports.create('json-summary').execute(context)
writeFileSync(join(OUT, 'coverage-final.json'), JSON.stringify(merged.toJSON()))

const below = measures.filter((m) => pct(total, m) < THRESHOLDS[m])
if (below.length > 0) {
  console.error(
    `\ncoverage below the thresholds: ${below.map((m) => `${m} ${pct(total, m)}% < ${THRESHOLDS[m]}%`).join(', ')}`,
  )
  process.exit(1)
}
console.log(`\nthresholds met: ${measures.map((m) => `${m} ≥ ${THRESHOLDS[m]}%`).join(', ')}`)
