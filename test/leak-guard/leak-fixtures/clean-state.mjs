// Container state done right: configuration read at init, a client made at init with its
// configuration, counters, and a memo keyed by short product ids (not request data).
const config = Object.freeze({
  table: process.env.TABLE_NAME ?? 'orders',
  region: process.env.AWS_REGION ?? 'eu-west-1',
})

class DbClient {
  constructor(options) {
    this.config = { ...options, maxAttempts: 3 }
    this.metrics = { calls: 0 }
  }
  async put(item) {
    this.metrics.calls++
    return { ok: typeof item === 'object' }
  }
}
const client = new DbClient({ region: config.region, endpoint: 'https://dynamodb.local' })

const counters = { invocations: 0, orders: 0 }
const prices = new Map()
const priceOf = (productId) => {
  if (!prices.has(productId)) prices.set(productId, 100 + productId.length)
  return prices.get(productId)
}

export const base = async (event) => {
  counters.invocations++
  const { email, productId, quantity } = JSON.parse(event.body)
  await client.put({ email, productId, quantity, table: config.table })
  counters.orders += quantity
  return {
    statusCode: 200,
    body: JSON.stringify({ total: priceOf(productId) * quantity, orders: counters.orders }),
  }
}
