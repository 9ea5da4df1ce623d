/** The same payment done right: only configuration and a client live at module level. */
import middy from '@middy/core'
import { leakGuard } from '../../../../src/index.js'

interface PayEvent {
  body: string
}

const config = { currency: 'EUR', region: 'eu-west-1' }
const client = { connectedAt: Date.now(), calls: 0 }

export const handler = middy(async (event: PayEvent) => {
  const { card } = JSON.parse(event.body) as { card: string }
  client.calls++
  return { statusCode: 200, body: JSON.stringify({ ok: card.length >= 12, ...config }) }
}).use(leakGuard())
