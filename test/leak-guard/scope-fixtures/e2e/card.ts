/**
 * The bug leakGuard exists for: the last card kept at module level. The reply reads it
 * back after a wait, so when invocations overlap one request answers with another's card.
 */
import middy from '@middy/core'
import { leakGuard } from '../../../../src/index.js'

interface PayEvent {
  body: string
  /** Wait before keeping the card, and before replying (ms). */
  beforeMs?: number
  afterMs?: number
}

const sleep = (ms = 0) => new Promise((done) => setTimeout(done, ms))

let creditCard: string | undefined

export const handler = middy(async (event: PayEvent) => {
  await sleep(event.beforeMs)
  creditCard = (JSON.parse(event.body) as { card: string }).card
  await sleep(event.afterMs)
  return { statusCode: 200, body: JSON.stringify({ charged: creditCard }) }
}).use(leakGuard())
