// An ES-module handler that keeps the last card at module level (the bug to catch).
import { remember } from './store.mjs'

// biome-ignore lint/correctness/noUnusedVariables: the leak under test, written and never read
let creditCard = null
const config = { region: 'eu-west-1' }
let counted = 0
counted += 1 // used by top-level code only: not kept in the module's context

export const handler = async (event) => {
  creditCard = event.card
  remember(event.email)
  return { ok: true, region: config.region }
}
export const count = counted
