// A helper module keeping the last charge: written here, read by nobody.
// biome-ignore lint/correctness/noUnusedVariables: the leak under test, written and never read
let lastCharge

export const charge = (event) => {
  lastCharge = { amount: event.amount, card: event.card }
  return { ok: true }
}
