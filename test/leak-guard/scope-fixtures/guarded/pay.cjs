// A handler body that keeps the card of the last payment at module level (the bug).
// biome-ignore lint/correctness/noUnusedVariables: the leak under test, written and never read
let creditCard = null

exports.pay = async (event) => {
  creditCard = JSON.parse(event.body).card
  return { statusCode: 200, body: JSON.stringify({ ok: true }) }
}
