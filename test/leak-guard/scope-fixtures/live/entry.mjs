// Bundled by esbuild with the scope reader into one file (as a deployed function bundles
// middy-orc with its handler) and run under plain Node: module variables rebound by a
// handler, read through getters; a factory's closure, read whole. Prints a JSON report.
import { createScopeRoots } from '../../../../src/leak-guard/scope/index.ts'

// biome-ignore lint/correctness/noUnusedVariables: rebound, read by the guard only
let tenantId = 'none'
// biome-ignore lint/correctness/noUnusedVariables: rebound, read by the guard only
let count = 0
const config = { table: 'orders' }

export const handler = (event) => {
  tenantId = event.tenant
  count++
  return config
}

// A variable rebound in a factory's closure: out of the getters' reach.
const makeCounter = () => {
  let calls = 0
  return () => {
    calls++
    return calls
  }
}
export const counter = makeCounter()

const logs = []
const logOnce = (code, message) => logs.push({ code, message })
const reader = () => createScopeRoots({ targets: [{ handler, counter }], logOnce, env: {} })
const NAMES = new Set(['tenantId', 'count', 'config', 'calls'])
const seen = (provider) => {
  const values = {}
  for (const { label, value } of provider()) {
    const name = label.slice(label.lastIndexOf(': ') + 2)
    if (NAMES.has(name)) values[name] = value
  }
  return values
}
const turn = () => new Promise((done) => setImmediate(done))

/** Set while a second instance of this bundle loads: it must not run the report. */
const COPY = Symbol.for('middy-orc.test.liveCopy')
/** A second instance of this very file (same path, its own module scope). */
const loadCopy = async () => {
  globalThis[COPY] = true
  try {
    if (typeof __filename === 'string') {
      // CommonJS: out of the require cache for one load.
      const saved = require.cache[__filename]
      delete require.cache[__filename]
      const copy = require(__filename)
      require.cache[__filename] = saved
      return copy
    }
    return await import(`${import.meta.url}?copy`)
  } finally {
    delete globalThis[COPY]
  }
}

const report = async () => {
  const steps = []
  const step = (provider) => steps.push({ values: seen(provider), live: provider.liveTargets() })
  // Outside Lambda: the first scan reads whole, the getters are made at the next turn.
  const provider = reader()
  handler({ tenant: 'tenant-a' })
  counter()
  step(provider)
  await turn()
  step(provider)
  handler({ tenant: 'tenant-b' })
  counter()
  step(provider)
  handler({ tenant: 'tenant-c' })
  step(provider)
  // As in Lambda: prepare() (at init) discovers, reads and makes the getters.
  const prepared = reader()
  await prepared.prepare()
  const liveAfterPrepare = prepared.liveTargets()
  handler({ tenant: 'tenant-d' })
  step(prepared)
  // The reader of this instance, reading the other instance's handler: the same file, so
  // a getter is tried, but it would read this instance's variables. It is not kept (the
  // anchors, objects of the other instance's scope, differ; so would its values from a
  // full read) and the other instance's scope is read whole, its values current.
  const other = await loadCopy()
  other.handler({ tenant: 'tenant-x' })
  const reading = createScopeRoots({ targets: [{ handler: other.handler }], logOnce, env: {} })
  const copySteps = []
  const copyStep = () => copySteps.push({ values: seen(reading), live: reading.liveTargets() })
  copyStep()
  await turn()
  other.handler({ tenant: 'tenant-y' })
  copyStep()
  return { steps, liveAfterPrepare, copySteps, logs }
}

if (globalThis[COPY] !== true) report().then((result) => console.log(JSON.stringify(result)))
