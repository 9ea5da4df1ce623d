// Fire and forget: the audit is scheduled, not awaited. It runs after the reply, while the
// environment is frozen or during whatever invocation comes next, holding this event.
const sendAudit = (event) => {
  console.log(`audit sent (${event.body.length} bytes)`)
}

const sleep = (ms = 0) => new Promise((done) => setTimeout(done, ms))

export const base = async (event) => {
  const { auditInMs = 200, waitMs = 0 } = JSON.parse(event.body)
  setTimeout(() => sendAudit(event), auditInMs)
  await sleep(waitMs)
  return { statusCode: 200, body: JSON.stringify({ ok: true }) }
}
