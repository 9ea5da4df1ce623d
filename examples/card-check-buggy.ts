/**
 * DO NOT COPY: the "occasionally reliable caching" bug from a 2015 blog post,
 * in today's syntax.
 *
 * `creditCard` lives at module level, so it outlives the invocation that set it:
 * the next invocation in the same execution environment can read it, and when
 * invocations overlap (Lambda Managed Instances, AWS_LAMBDA_MAX_CONCURRENCY)
 * one customer's card can be verified in place of another's. leakGuard exists
 * to catch this in a dev stage; see leak-guard-dev.ts and card-check.ts for the fix.
 */
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { type Card, maskCard, type PaymentEvent, type PaymentResult, payments } from './payments.js'

let creditCard: Card | undefined // BUG: request data in module scope

export const checkCardBuggy = async (event: PaymentEvent): Promise<PaymentResult> => {
  creditCard = {
    number: event.credit_card_number,
    exp: event.credit_card_expiration,
    code: event.credit_card_security_code,
  }
  await payments.connect() // meanwhile another invocation may replace creditCard
  return { ok: payments.verify(creditCard), verified: maskCard(creditCard.number) }
}

export const handler = middy<PaymentEvent, PaymentResult, Error, Context>().handler(checkCardBuggy)
