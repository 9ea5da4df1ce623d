/**
 * Real AWS sample events (test/fixtures/aws-events/, from the AWS Lambda Go
 * library's test data) and a Lambda context as the runtime gives it.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const fixturesDir = fileURLToPath(
  new URL('../../test/fixtures/aws-events/', import.meta.url),
)

/** A fresh copy of one sample event (`apigw-request`, `apigw-v2-request-iam`, ...). */
export const loadEvent = (name) => JSON.parse(readFileSync(`${fixturesDir}${name}.json`, 'utf8'))

/** A Lambda context with the fields @middy/core and Powertools read. */
export const lambdaContext = () => {
  const deadline = Date.now() + 15 * 60_000
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'orc-bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:orc-bench',
    memoryLimitInMB: '1024',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    logGroupName: '/aws/lambda/orc-bench',
    logStreamName: '2026/11/27/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  }
}

/**
 * An item of about `bytes` bytes of JSON, shaped like a typical API payload
 * (nested object, array of small objects, strings and numbers).
 */
export const makeItem = (bytes = 1024) => {
  const item = {
    id: 'b0d2c3a4-5e6f-4789-9abc-def012345678',
    type: 'product',
    name: 'Stainless steel water bottle, 750 ml',
    price: { amount: 24.9, currency: 'EUR' },
    stock: 132,
    active: true,
    tags: ['outdoor', 'kitchen', 'eco'],
    updatedAt: '2026-11-26T18:04:12.000Z',
    variants: [],
  }
  let n = 0
  while (JSON.stringify(item).length < bytes - 20) {
    item.variants.push({
      sku: `BTL-750-${String(n).padStart(3, '0')}`,
      colour: 'slate',
      qty: n * 7,
    })
    n++
  }
  return item
}

/** A fresh deep copy of an item from {@link makeItem}, as a handler builds its result. */
export const copyItem = (item) => ({
  ...item,
  price: { ...item.price },
  tags: [...item.tags],
  variants: item.variants.map((variant) => ({ ...variant })),
})

/**
 * A handler's result builder: an API Gateway proxy response whose JSON is about
 * `bytes` long, with a freshly serialised body each call (as a handler does),
 * so that a stored copy holds its own string, as it would in production.
 */
export const httpResponder = (bytes = 1024) => {
  const item = makeItem(bytes - 260)
  return () => ({
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60' },
    body: JSON.stringify(item),
  })
}

/** A handler's result builder: a fresh ~`bytes` object each call. */
export const objectResponder = (bytes = 1024) => {
  const item = makeItem(bytes)
  return () => copyItem(item)
}
