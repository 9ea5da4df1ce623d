/**
 * AWS's own sample events (test/fixtures/aws-events/, from the AWS Lambda Go
 * library's test data), a fresh copy for each call so a test may change its copy
 * freely. They are imported as JSON modules, so the demo's esbuild bundle carries
 * them too.
 */
import { fileURLToPath } from 'node:url'
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda'
import albLambdaTargetRequestHeadersOnly from '../fixtures/aws-events/alb-lambda-target-request-headers-only.json' with {
  type: 'json',
}
import apigwRequest from '../fixtures/aws-events/apigw-request.json' with { type: 'json' }
import apigwV2RequestIam from '../fixtures/aws-events/apigw-v2-request-iam.json' with {
  type: 'json',
}
import apigwV2RequestLambdaAuthorizer from '../fixtures/aws-events/apigw-v2-request-lambda-authorizer.json' with {
  type: 'json',
}
import apigwV2RequestNoAuthorizer from '../fixtures/aws-events/apigw-v2-request-no-authorizer.json' with {
  type: 'json',
}
import lambdaUrlsRequest from '../fixtures/aws-events/lambda-urls-request.json' with {
  type: 'json',
}
import snsEvent from '../fixtures/aws-events/sns-event.json' with { type: 'json' }
import sqsEvent from '../fixtures/aws-events/sqs-event.json' with { type: 'json' }

/** The folder of the sample events, for child processes that read them from disk. */
export const fixturesDir = fileURLToPath(new URL('../fixtures/aws-events/', import.meta.url))

const EVENTS = {
  'alb-lambda-target-request-headers-only': albLambdaTargetRequestHeadersOnly,
  'apigw-request': apigwRequest,
  'apigw-v2-request-iam': apigwV2RequestIam,
  'apigw-v2-request-lambda-authorizer': apigwV2RequestLambdaAuthorizer,
  'apigw-v2-request-no-authorizer': apigwV2RequestNoAuthorizer,
  'lambda-urls-request': lambdaUrlsRequest,
  'sns-event': snsEvent,
  'sqs-event': sqsEvent,
} as const

export type FixtureName = keyof typeof EVENTS

/** A fresh copy of one sample event, typed as the caller expects. */
export const loadEvent = <T = Record<string, unknown>>(name: FixtureName): T =>
  structuredClone(EVENTS[name]) as T

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

/** A REST API (v1) GET of AWS's sample, authorized for `principalId` by a Lambda authorizer. */
export const authorizedRestEvent = (principalId: string): APIGatewayProxyEvent => {
  const event = loadEvent<APIGatewayProxyEvent>('apigw-request')
  event.httpMethod = 'GET'
  event.requestContext.authorizer = { principalId }
  return event
}
