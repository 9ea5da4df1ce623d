/**
 * The card check done right: the card is a local of the invocation, so it is
 * gone when the invocation ends and overlapping invocations cannot see each
 * other's. Compare card-check-buggy.ts.
 */
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { type Card, maskCard, type PaymentEvent, type PaymentResult, payments } from './payments.js'

export const checkCard = async (event: PaymentEvent): Promise<PaymentResult> => {
  const creditCard: Card = {
    number: event.credit_card_number,
    exp: event.credit_card_expiration,
    code: event.credit_card_security_code,
  }
  await payments.connect()
  return { ok: payments.verify(creditCard), verified: maskCard(creditCard.number) }
}

export const handler = middy<PaymentEvent, PaymentResult, Error, Context>().handler(checkCard)
