/**
 * A small, dependency-free benchmark runner for per-invocation costs.
 *
 * A case is `{ id, label, setup }`; `setup()` (async) builds whatever the case
 * needs and returns `{ run, sync?, check? }`:
 * - `run(i)` performs one operation (one invocation); `i` counts up across the
 *   whole run, so a case can pick a different event or key each time;
 * - `sync: true` means `run` returns a plain value and is timed without `await`
 *   (for raw data-structure calls); otherwise each call is awaited, as Lambda does;
 * - `check()` (async, optional) runs after warm-up and after the last round, and
 *   throws if the case did not measure what it claims (a "hit" that ran the
 *   handler, a "miss" that hit), so a broken case fails loudly instead of
 *   printing a flattering number.
 *
 * Timing, made for small shared machines (2 cores, noisy neighbours):
 * - every case is warmed up first (JIT, inline caches, caches filled);
 * - each case gets an iteration count sized so that one round of it lasts
 *   `roundMs`;
 * - rounds interleave the cases (the order rotates every round), so drift in
 *   machine speed hits every case alike;
 * - the figure is the median ns/op over rounds; the spread is the interquartile
 *   range, and the minimum is shown too;
 * - targets compare two cases round by round (the two samples of one round ran
 *   within a few tens of ms of each other, under the same load) and take the
 *   median of those per-round ratios or differences: steadier than comparing
 *   two medians when the machine's load drifts;
 * - garbage collection is left to V8 and paid inside the rounds, as a Lambda
 *   pays it (a miss that stores a copy pays for keeping it). With
 *   BENCH_GC=1 (and node --expose-gc) a full GC runs between rounds instead;
 *   on V8 that shrinks the young generation and makes allocating cases slower
 *   and noisier, so it is off by default.
 */
import { fork } from 'node:child_process'
import { hrtime } from 'node:process'
import { fileURLToPath } from 'node:url'

const now = () => hrtime.bigint()

/** Settings, overridable from the environment for quick or thorough runs. */
export const settings = {
  rounds: Number(process.env.BENCH_ROUNDS ?? 40),
  roundMs: Number(process.env.BENCH_ROUND_MS ?? 40),
  warmupMs: Number(process.env.BENCH_WARMUP_MS ?? 300),
}

const gc =
  process.env.BENCH_GC === '1' && typeof globalThis.gc === 'function' ? globalThis.gc : undefined

/** Times `n` calls of `run`, starting at `start`; returns nanoseconds. */
const timeAsync = async (run, start, n) => {
  const t0 = now()
  for (let i = start, end = start + n; i < end; i++) await run(i)
  return Number(now() - t0)
}

const timeSync = (run, start, n) => {
  let sink
  const t0 = now()
  for (let i = start, end = start + n; i < end; i++) sink = run(i)
  const elapsed = Number(now() - t0)
  if (sink === timeSync) console.log('unreachable') // keeps `sink` alive
  return elapsed
}

const quantile = (sorted, q) => {
  const position = (sorted.length - 1) * q
  const low = Math.floor(position)
  const high = Math.ceil(position)
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low)
}

/**
 * Prepares one case in this process: sets it up, warms it up, and sizes a
 * round (`n` operations lasting about `roundMs`). Returns `{ n, round, finish }`:
 * `round()` times one round and gives ns/op; `finish()` runs the case's check.
 */
export const prepareCase = async (benchCase, options = {}) => {
  const { roundMs, warmupMs } = { ...settings, ...options }
  const { run, sync, check } = await benchCase.setup()
  let counter = 0
  const timeBatch = async (n) => {
    const elapsed = sync ? timeSync(run, counter, n) : await timeAsync(run, counter, n)
    counter += n
    return elapsed
  }
  // Grow the batch until it lasts a fair while, then size the round from the last (warm) batch.
  const deadline = performance.now() + warmupMs
  let batch = 16
  let perOp = Number.POSITIVE_INFINITY
  while (performance.now() < deadline) {
    const elapsed = await timeBatch(batch)
    perOp = elapsed / batch
    if (elapsed < 5e6) batch *= 2
  }
  const n = Math.max(1, Math.round((roundMs * 1e6) / perOp))
  await check?.()
  return {
    n,
    round: async () => {
      gc?.()
      return (await timeBatch(n)) / n
    },
    finish: async () => {
      await check?.()
    },
    close: () => {},
  }
}

const workerPath = fileURLToPath(new URL('./worker.mjs', import.meta.url))

/**
 * Prepares one case in a child process of its own (same node, same flags),
 * driven over IPC: see worker.mjs. `source` names the module and export that
 * hold the case list, so the child can build the case by its id.
 */
const prepareIsolated = (benchCase, source, options) =>
  new Promise((resolve, reject) => {
    const child = fork(
      workerPath,
      [JSON.stringify({ ...source, id: benchCase.id, options: { ...settings, ...options } })],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    )
    let pending
    const fail = (error) => {
      if (pending) pending.reject(error)
      else reject(error)
      pending = undefined
    }
    child.on('message', (message) => {
      if (message.type === 'error') return fail(new Error(`case ${benchCase.id}: ${message.error}`))
      if (message.type === 'ready') {
        resolve({
          n: message.n,
          round: () => ask({ type: 'round' }).then((reply) => reply.ns),
          finish: () => ask({ type: 'finish' }).then(() => child.disconnect()),
          close: () => {
            if (child.exitCode === null) child.kill()
          },
        })
        return
      }
      const current = pending
      pending = undefined
      current?.resolve(message)
    })
    child.on('exit', (code, signal) => {
      if (code !== 0) fail(new Error(`case ${benchCase.id}: worker exited (${code ?? signal})`))
    })
    const ask = (message) =>
      new Promise((resolveReply, rejectReply) => {
        pending = { resolve: resolveReply, reject: rejectReply }
        child.send(message)
      })
  })

/**
 * Runs the cases and returns one result per case:
 * `{ id, label, median, p25, p75, min, max, rounds, opsPerRound, samples }` (ns/op).
 *
 * With `options.isolate = { module, exportName }` (the URL of a module that
 * exports the same case list under that name), each case runs in a process of
 * its own, as each Lambda function does: the cases cannot colour each other's
 * JIT feedback (several Middy stacks in one process make Middy's core slower
 * than any one stack makes it alone). Rounds still interleave across the
 * processes, one process running at a time.
 */
export const runCases = async (cases, options = {}) => {
  const { rounds, isolate } = { ...settings, ...options }
  const states = []
  try {
    for (const benchCase of cases) {
      const prepared = isolate
        ? await prepareIsolated(benchCase, isolate, options)
        : await prepareCase(benchCase, options)
      states.push({ id: benchCase.id, label: benchCase.label, prepared, samples: [] })
    }
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < states.length; k++) {
        const state = states[(round + k) % states.length]
        state.samples.push(await state.prepared.round())
      }
    }
    for (const state of states) await state.prepared.finish()
  } finally {
    // On success the workers have left already; on a failure, none is left behind.
    for (const state of states) state.prepared.close()
  }

  const results = []
  for (const state of states) {
    const sorted = [...state.samples].sort((a, b) => a - b)
    results.push({
      id: state.id,
      label: state.label,
      median: quantile(sorted, 0.5),
      p25: quantile(sorted, 0.25),
      p75: quantile(sorted, 0.75),
      min: sorted[0],
      max: sorted[sorted.length - 1],
      rounds: sorted.length,
      opsPerRound: state.prepared.n,
      samples: state.samples,
    })
  }
  return results
}

const median = (values) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  )

/** Per-round values of `combine(a, b)` for two cases measured in the same rounds. */
const paired = (a, b, combine) =>
  a.samples.map((sample, round) => combine(sample, b.samples[round]))

/** A target "case `id` costs at most `max` times case `baseline`" (median of per-round ratios). */
export const ratioTarget = (id, baseline, max, label) => ({
  label: label ?? `${id} ≤ ${max}× ${baseline}`,
  evaluate: (byId) => {
    const ratio = median(paired(byId[id], byId[baseline], (x, y) => x / y))
    return { met: ratio <= max, actual: `${ratio.toFixed(2)}×` }
  },
})

/** A target "case `id` is at least `min` times faster than case `slower`" (per-round, median). */
export const speedupTarget = (id, slower, min, label) => ({
  label: label ?? `${id} ≥ ${min}× faster than ${slower}`,
  evaluate: (byId) => {
    const speedup = median(paired(byId[slower], byId[id], (x, y) => x / y))
    return { met: speedup >= min, actual: `${speedup.toFixed(1)}× faster` }
  },
})

/** A target "case `id` adds at most `maxNs` to case `baseline`" (per-round difference, median). */
export const overheadTarget = (id, baseline, maxNs, label) => ({
  label: label ?? `${id} adds ≤ ${maxNs} ns to ${baseline}`,
  evaluate: (byId) => {
    const added = median(paired(byId[id], byId[baseline], (x, y) => x - y))
    return { met: added <= maxNs, actual: `+${formatNs(added)}` }
  },
})

export const formatNs = (ns) =>
  ns >= 10_000
    ? `${(ns / 1000).toFixed(1)} µs`
    : ns >= 1000
      ? `${(ns / 1000).toFixed(2)} µs`
      : `${ns.toFixed(0)} ns`

const formatOps = (ns) => {
  const ops = 1e9 / ns
  if (ops >= 1e6) return `${(ops / 1e6).toFixed(2)} M`
  if (ops >= 1e3) return `${(ops / 1e3).toFixed(1)} k`
  return ops.toFixed(0)
}

const pad = (text, width, right) => (right ? text.padStart(width) : text.padEnd(width))

/** Prints results as a table, with each case's ratio to the `reference` case. */
export const printTable = (results, reference) => {
  const base = results.find((result) => result.id === reference)
  const rows = results.map((result) => [
    result.label,
    result.median.toFixed(0),
    `±${(((result.p75 - result.p25) / 2 / result.median) * 100).toFixed(1)}%`,
    result.min.toFixed(0),
    formatOps(result.median),
    base ? `${(result.median / base.median).toFixed(2)}×` : '',
  ])
  const header = ['case', 'ns/op (median)', 'IQR/2', 'min ns', 'ops/s', `× ${reference}`]
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  )
  const line = (cells) =>
    `| ${cells.map((cell, column) => pad(cell, widths[column], column > 0)).join(' | ')} |`
  console.log(line(header))
  console.log(
    `|${widths.map((width, column) => `${column > 0 ? '-'.repeat(width + 1) : `-${'-'.repeat(width)}`}${column > 0 ? ':' : '-'}`).join('|')}|`,
  )
  for (const row of rows) console.log(line(row))
}

/** Evaluates and prints targets; returns whether all were met. */
export const printTargets = (results, targets) => {
  const byId = Object.fromEntries(results.map((result) => [result.id, result]))
  let allMet = true
  console.log('\nTargets:')
  for (const target of targets) {
    const { met, actual } = target.evaluate(byId)
    allMet &&= met
    console.log(`  ${met ? 'MET   ' : 'MISSED'}  ${target.label}: ${actual}`)
  }
  return allMet
}

/** A one-line description of where and how the numbers were taken. */
export const describeRun = (options = {}) => {
  const { rounds, roundMs, warmupMs } = { ...settings, ...options }
  return `Node ${process.version} (${process.platform}/${process.arch}), ${rounds} interleaved rounds of ~${roundMs} ms per case after ${warmupMs} ms warm-up, forced gc between rounds: ${gc ? 'yes' : 'no'}`
}
