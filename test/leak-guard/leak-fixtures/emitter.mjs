// A listener added per invocation to a module-level emitter: its closure keeps the event.
import { EventEmitter } from 'node:events'

const bus = new EventEmitter()
bus.setMaxListeners(0)

export const base = async (event) => {
  bus.on('shutdown', () => console.log('flushing order', event.body))
  return { statusCode: 200, body: JSON.stringify({ ok: true }) }
}
