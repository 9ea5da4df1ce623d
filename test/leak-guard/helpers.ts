import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { type LeakFinding, leakGuard } from '../../src/leak-guard/index.js'
import { type FixtureName, loadEvent } from '../helpers/events.js'

/** Reads one of AWS's sample events (a fresh copy each call). */
export const awsEvent = <T = Record<string, unknown>>(name: FixtureName): T => loadEvent<T>(name)

/** A Lambda context with a request id and 30 s left. */
export const context = (awsRequestId: string): Context =>
  ({
    awsRequestId,
    functionName: 'test',
    getRemainingTimeInMillis: () => 30_000,
  }) as Context

/** A fixture module's handler: it reads `event.body` as JSON. */
export type FixtureBase = (event: { body: string }, context: Context) => Promise<unknown>

/**
 * A fixture's handler under Middy with leakGuard, given the module as a target (outside
 * Lambda the only way in); findings and logged lines are collected.
 */
export const guardModule = (module: { base: FixtureBase }) => {
  const findings: LeakFinding[] = []
  const lines: string[] = []
  const handler = middy(module.base).use(
    leakGuard({
      targets: [module],
      onLeak: (finding) => findings.push(finding),
      logger: { warn: (line: string) => lines.push(line) },
    }),
  )
  const invoke = (body: unknown, requestId: string) =>
    handler({ body: JSON.stringify(body) }, context(requestId))
  return { invoke, findings, lines }
}

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

/**
 * A Luhn-valid card number with the given first six and last four digits (so its mask,
 * `411111******1111`, is known) and random digits between them, made at run time.
 *
 * Why not a literal: vitest keeps the code of every module it loads reachable from
 * `globalThis`, and leakGuard, by design, does not count as an invocation's data a value
 * that state already held before it. A walk that reaches a test's own source would find
 * a literal card there. A number made at run time is in no source text.
 */
export const cardNumber = (first6: string, last4: string): string => {
  let digits = first6
  while (digits.length < 11) digits += String(Math.floor(Math.random() * 10))
  digits += `0${last4}`
  // Luhn: from the right, every second digit doubled; index 11 (12th of 16) is not
  // doubled, so it alone can make the sum a multiple of 10.
  let sum = 0
  for (let i = 0; i < 16; i++) {
    const digit = Number(digits[i]) * (i % 2 === 0 ? 2 : 1)
    sum += digit > 9 ? digit - 9 : digit
  }
  const fix = (10 - (sum % 10)) % 10
  return digits.slice(0, 11) + String(fix) + last4
}

/** Test cards and other sensitive values. */
export const CARD_A = cardNumber('411111', '1111')
export const CARD_B = cardNumber('555555', '4444')
export const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'
export const BEARER = 'Bearer 9f1c2e7a-opaque-token-77ab31'
export const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE'
export const EMAIL = 'alice.liddell@example.com'

/** Deletes globals a test created. */
export const deleteGlobals = (...names: string[]): void => {
  for (const name of names) Reflect.deleteProperty(globalThis, name)
}
