// The tenant of the request kept at module level; the reply reads it back after a wait,
// so a short request that overwrote it in between makes a long one answer as its tenant.
let tenantId

const sleep = (ms = 0) => new Promise((done) => setTimeout(done, ms))

export const base = async (event) => {
  const { tenant, beforeMs, afterMs } = JSON.parse(event.body)
  await sleep(beforeMs)
  tenantId = tenant
  await sleep(afterMs)
  return { statusCode: 200, body: JSON.stringify({ tenant: tenantId }) }
}
