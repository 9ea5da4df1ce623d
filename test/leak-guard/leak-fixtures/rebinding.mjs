// Module variables rebound at every invocation with nothing from the request: a warm
// flag, a counter, the time of the last call, the last product id (a short catalogue
// key, not request data).
let warm = false
let invocations = 0
let lastCalledAt = 0
let lastProductId

export const base = async (event) => {
  const { productId } = JSON.parse(event.body)
  const coldStart = !warm
  warm = true
  invocations += 1
  lastCalledAt = Date.now()
  const previous = lastProductId
  lastProductId = productId
  return {
    statusCode: 200,
    body: JSON.stringify({ coldStart, invocations, since: lastCalledAt, previous }),
  }
}
