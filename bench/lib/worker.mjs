/**
 * One benchmark case in a process of its own, driven by runner.mjs over IPC.
 *
 * argv[2] is JSON `{ module, exportName, id, options }`: the case is the entry
 * with that id in the list `module` exports as `exportName`. The worker sets it
 * up and warms it up, then answers: `ready` (with the round size), a `sample`
 * (ns/op) for each `round` asked, and `done` after `finish` (the case's check).
 */
import { prepareCase } from './runner.mjs'

const { module, exportName, id, options } = JSON.parse(process.argv[2])

const report = (error) => {
  process.send({ type: 'error', error: error instanceof Error ? error.stack : String(error) })
  process.exitCode = 1
  process.disconnect()
}

try {
  const cases = (await import(module))[exportName]
  const benchCase = cases?.find((candidate) => candidate.id === id)
  if (benchCase === undefined) throw new Error(`no case "${id}" in ${exportName} of ${module}`)
  const prepared = await prepareCase(benchCase, options)
  process.on('message', async (message) => {
    try {
      if (message.type === 'round') {
        process.send({ type: 'sample', ns: await prepared.round() })
      } else if (message.type === 'finish') {
        await prepared.finish()
        process.send({ type: 'done' })
      }
    } catch (error) {
      report(error)
    }
  })
  process.send({ type: 'ready', n: prepared.n })
} catch (error) {
  report(error)
}
