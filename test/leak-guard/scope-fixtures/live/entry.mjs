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
  return { steps, liveAfterPrepare, logs }
}

report().then((result) => console.log(JSON.stringify(result)))
