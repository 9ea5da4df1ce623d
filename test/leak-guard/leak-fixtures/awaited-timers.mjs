// Timers done right: awaited, cleared, or unref'd background work holding no request data.
const sleep = (ms = 0) => new Promise((done) => setTimeout(done, ms))
let ticks = 0
const heartbeat = setInterval(() => ticks++, 60_000)
heartbeat.unref()

export const base = async (event) => {
  const { email } = JSON.parse(event.body)
  await sleep(5)
  const guard = setTimeout(() => console.log('slow', email), 10_000)
  await new Promise((done) => setImmediate(done))
  clearTimeout(guard)
  return { statusCode: 200, body: JSON.stringify({ ok: email.length > 3, ticks }) }
}
