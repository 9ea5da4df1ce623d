// Read through `targets` by a reader that this module makes it create while it is still
// being evaluated (scenario.mjs evaluating): a top-level await between its exports leaves
// `handler` uninitialised for several turns of the event loop.
import * as self from './evaluating.mjs'

export const ready = () => 'ready'
globalThis[Symbol.for('middy-orc.test.evaluating')](self)
await new Promise((done) => setTimeout(done, 20))

const makeHandler = () => {
  let lastCard
  return (event) => {
    lastCard = event.card
    return { ok: lastCard !== undefined }
  }
}
export const handler = makeHandler()
