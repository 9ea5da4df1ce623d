// A Middy-wrapped ES-module handler, found from LAMBDA_TASK_ROOT and _HANDLER alone.
import middy from '@middy/core'
import { charge } from './lib/pay.mjs'

// biome-ignore lint/correctness/noUnusedVariables: the leak under test, written and never read
let creditCard = null

const base = async (event) => {
  creditCard = event.card
  return charge(event)
}

export const handler = middy(base)
