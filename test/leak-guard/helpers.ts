import { readFileSync } from 'node:fs'
import type { Context } from 'aws-lambda'

/** Reads one of AWS's sample events (a fresh copy each call). */
export const awsEvent = <T = Record<string, unknown>>(name: string): T =>
  JSON.parse(
    readFileSync(
      new URL(`../../../shared/fixtures/aws-events/${name}.json`, import.meta.url),
      'utf8',
    ),
  ) as T

/** A Lambda context with a request id and 30 s left. */
export const context = (awsRequestId: string): Context =>
  ({
    awsRequestId,
    functionName: 'test',
    getRemainingTimeInMillis: () => 30_000,
  }) as Context

/** The fields of the API Gateway (REST) sample event the tests use. */
export interface ApiEvent {
  body: string
  path: string
  headers: Record<string, string>
  pathParameters: { proxy: string }
}

/** An API Gateway (REST) sample event carrying `body` as its JSON body. */
export const apiEvent = (body: unknown, headers: Record<string, string> = {}): ApiEvent => {
  const event = awsEvent<ApiEvent>('apigw-request')
  event.body = JSON.stringify(body)
  Object.assign(event.headers, headers)
  return event
}

/** Test cards (Luhn-valid) and other sensitive values. */
export const CARD_A = '4111111111111111'
export const CARD_B = '5555555555554444'
export const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'
export const BEARER = 'Bearer 9f1c2e7a-opaque-token-77ab31'
export const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE'
export const EMAIL = 'alice.liddell@example.com'

/** Deletes globals a test created. */
export const deleteGlobals = (...names: string[]): void => {
  for (const name of names) Reflect.deleteProperty(globalThis, name)
}
