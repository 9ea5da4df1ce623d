/**
 * AWS's own sample events (../shared/fixtures/aws-events/), loaded fresh for each
 * call so a test may change its copy freely.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda'

export const fixturesDir = fileURLToPath(
  new URL('../../../shared/fixtures/aws-events/', import.meta.url),
)

export type FixtureName =
  | 'alb-lambda-target-request-headers-only'
  | 'apigw-request'
  | 'apigw-v2-request-iam'
  | 'apigw-v2-request-lambda-authorizer'
  | 'apigw-v2-request-no-authorizer'
  | 'apigw-websocket-request'
  | 'dynamodb-event'
  | 'kinesis-event'
  | 'lambda-urls-request'
  | 's3-event'
  | 'sns-event'
  | 'sqs-event'

const cache = new Map<FixtureName, string>()

/** A fresh copy of one sample event, typed as the caller expects. */
export const loadEvent = <T = Record<string, unknown>>(name: FixtureName): T => {
  let text = cache.get(name)
  if (text === undefined) {
    text = readFileSync(`${fixturesDir}${name}.json`, 'utf8')
    cache.set(name, text)
  }
  return JSON.parse(text) as T
}

let counter = 0
/** A Lambda context as the runtime gives it, with a unique request id. */
export const lambdaContext = (overrides: Partial<Context> = {}): Context => {
  counter++
  const deadline = Date.now() + 30_000
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'orc-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:orc-test',
    memoryLimitInMB: '128',
    awsRequestId: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    logGroupName: '/aws/lambda/orc-test',
    logStreamName: '2026/11/27/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
    ...overrides,
  }
}

/**
 * An HTTP API (v2) request from one of AWS's v2 samples: `method path?query`, with
 * extra headers. The query goes both to `rawQueryString` and `queryStringParameters`.
 */
export const httpApiEvent = (
  method: string,
  path: string,
  {
    query = {},
    headers = {},
    fixture = 'apigw-v2-request-no-authorizer',
  }: {
    query?: Record<string, string>
    headers?: Record<string, string>
    fixture?: FixtureName
  } = {},
): APIGatewayProxyEventV2 => {
  const event = loadEvent<APIGatewayProxyEventV2>(fixture)
  event.rawPath = path
  event.requestContext.http.path = path
  event.requestContext.http.method = method
  event.rawQueryString = new URLSearchParams(query).toString()
  if (Object.keys(query).length > 0) event.queryStringParameters = query
  else delete event.queryStringParameters
  event.headers = { ...event.headers, ...headers }
  return event
}
