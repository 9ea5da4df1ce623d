// Runs one scope-reader scenario under plain Node (native ES modules, no test runner
// in between) and prints the roots found as JSON. Usage:
//   node scenario.mjs <bundled scope reader> <scenario> [module to read]
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'

const [readerPath, scenario, modulePath] = process.argv.slice(2)
const { createScopeRoots } = await import(pathToFileURL(readerPath).href)
const logs = []
const logOnce = (code, message) => logs.push({ code, message })
const event = { card: '4111111111111111', email: 'jane@example.com', amount: 42 }
const printable = (value) => (typeof value === 'object' ? JSON.parse(JSON.stringify(value)) : value)
const report = (roots, extra = {}) =>
  console.log(
    JSON.stringify({
      roots: [...roots].map(({ label, value }) => ({ label, value: printable(value) })),
      logs,
      ...extra,
    }),
  )

/** The inspector methods posted from now on, in order (every session of the process). */
const recordPosts = () => {
  const posted = []
  const { Session } = process.getBuiltinModule('node:inspector')
  const post = Session.prototype.post
  Session.prototype.post = function (method, ...rest) {
    posted.push(method)
    return post.call(this, method, ...rest)
  }
  return posted
}
const turn = () => new Promise((done) => setImmediate(done))
/** How many times V8's best-effort coverage (the scripts' URLs: discovery) was asked for. */
const coverageCalls = (posted) =>
  posted.filter((method) => method === 'Profiler.getBestEffortCoverage').length

const scenarios = {
  // Read the module given on the command line through the `targets` option.
  async targets() {
    const module = await import(pathToFileURL(modulePath).href)
    await module.handler(event)
    report(createScopeRoots({ targets: [module], logOnce, env: {} })())
  },
  // `targets`, with a turn of the event loop between the reader's creation and its first
  // scan: the inspector calls of discovery during that turn, and those of the first scan.
  async targetsAhead() {
    const module = await import(pathToFileURL(modulePath).href)
    await module.handler(event)
    const posted = recordPosts()
    const provider = createScopeRoots({ targets: [module], logOnce, env: {} })
    const atCreation = coverageCalls(posted)
    await turn()
    const atTurn = coverageCalls(posted) - atCreation
    const roots = provider()
    const atScan = coverageCalls(posted) - atCreation - atTurn
    // What the first check's walk then asks of the same inspector: an object's private
    // fields (its class's script named, to tell Node's own classes from the user's).
    class Account {
      #card = event.card
    }
    const hidden = provider.hidden.read([new Account()], [])
    const atHidden = coverageCalls(posted) - atCreation - atTurn - atScan
    report(roots, { atCreation, atTurn, atScan, atHidden, privates: hidden?.privates })
  },
  // A module that creates a reader of its own namespace while it is still being evaluated
  // (a top-level await between its exports, esm/evaluating.mjs), scans at once, then
  // finishes loading over several turns of the loop.
  async evaluating() {
    const posted = recordPosts()
    let provider
    let early
    let atEarlyScan
    globalThis[Symbol.for('middy-orc.test.evaluating')] = (namespace) => {
      provider = createScopeRoots({ targets: [namespace], logOnce, env: {} })
      early = provider().map(({ label }) => label)
      atEarlyScan = coverageCalls(posted)
    }
    const module = await import(pathToFileURL(modulePath).href)
    const whileLoading = coverageCalls(posted) - atEarlyScan
    await module.handler(event)
    report(provider(), { early, whileLoading })
  },
  // Find the handler from LAMBDA_TASK_ROOT and _HANDLER (set by the caller), as in Lambda.
  async discover() {
    const { LAMBDA_TASK_ROOT: root, _HANDLER: name } = process.env
    const module = await import(pathToFileURL(`${root}/${name.split('.')[0]}.mjs`).href)
    const provider = createScopeRoots({ logOnce })
    await provider.prepare() // scheduled on its own in Lambda; awaited here to be sure
    await module.handler(event, {})
    report(provider())
  },
  // `discover` after V8 has flushed the compiled code of functions that have not run for
  // a while (run with --expose-gc --stress-flush-code): V8's best-effort coverage then no
  // longer lists their scripts, and the reader must find their files another way.
  async discoverFlushed() {
    const { LAMBDA_TASK_ROOT: root, _HANDLER: name } = process.env
    const module = await import(pathToFileURL(`${root}/${name.split('.')[0]}.mjs`).href)
    await module.handler(event, {})
    for (let i = 0; i < 20; i++) globalThis.gc()
    const provider = createScopeRoots({ logOnce })
    await provider.prepare()
    report(provider())
  },
  // `targets` with a CommonJS module whose code V8 has flushed (as above).
  async targetsFlushed() {
    const module = createRequire(import.meta.url)(modulePath)
    await module.handler(event)
    for (let i = 0; i < 20; i++) globalThis.gc()
    report(createScopeRoots({ targets: [module], logOnce, env: {} })())
  },
  // Several scans in a process where the inspector is refused (run with --permission).
  async denied() {
    const module = await import(pathToFileURL(modulePath).href)
    await module.handler(event)
    const provider = createScopeRoots({ targets: [module], logOnce, env: {} })
    report([...provider(), ...provider(), ...provider()])
  },
  // A provider that is never called loads nothing.
  async idle() {
    createScopeRoots({ logOnce })
    report([], { inspectorLoaded: process.moduleLoadList.includes('NativeModule inspector') })
  },
  // Load and invoke the handler named by LAMBDA_TASK_ROOT and _HANDLER twice, as the
  // runtime does (each event comes in a later macrotask), and report what the guard wrote.
  async invoke() {
    const warnings = []
    console.warn = (line) => warnings.push(String(line))
    const { LAMBDA_TASK_ROOT: root, _HANDLER: name } = process.env
    const module = await import(pathToFileURL(`${root}/${name.split('.')[0]}.mjs`).href)
    await new Promise((done) => setImmediate(done)) // the runtime fetches the first event
    const cards = ['4111111111111111', '5555555555554444']
    for (const [i, card] of cards.entries()) {
      const context = { awsRequestId: `req-${i + 1}`, getRemainingTimeInMillis: () => 30_000 }
      await module.handler({ body: JSON.stringify({ card }), headers: {} }, context)
      await new Promise((done) => setImmediate(done))
    }
    report([], { warnings })
  },
  // 10,000 scans: heap after a full GC must not grow with the number of scans.
  async memory() {
    const module = await import(pathToFileURL(modulePath).href)
    await module.handler(event)
    const provider = createScopeRoots({ targets: [module], logOnce, env: {} })
    const heap = () => {
      globalThis.gc()
      return process.memoryUsage().heapUsed
    }
    for (let i = 0; i < 100; i++) [...provider()]
    const before = heap()
    for (let i = 0; i < 10_000; i++) [...provider()]
    report([], { heapBefore: before, heapAfter: heap() })
  },
}
await scenarios[scenario]()
