// A Middy handler using leakGuard with no options, bundled with esbuild (Middy, the
// guard and this file in one script) the way Lambda functions are usually deployed.
import middy from '@middy/core'
import { leakGuard } from '../../../../src/leak-guard/index.ts'

// biome-ignore lint/correctness/noUnusedVariables: the leak under test, written and never read
let creditCard = null

export const handler = middy(async (event) => {
  creditCard = JSON.parse(event.body).card
  return { statusCode: 200, body: JSON.stringify({ ok: true }) }
}).use(leakGuard())
