/**
 * leakGuard with its module-scope reader: a card kept in a module-level variable of the
 * handler is reported at the next invocation, under the variable's name and file.
 */
import { createRequire } from 'node:module'
import middy from '@middy/core'
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda'
import { expect, test } from 'vitest'
import { type LeakFinding, leakGuard } from '../../src/leak-guard/index.js'
import { luhn } from '../../src/leak-guard/sensitive.js'
import { apiEvent, cardNumber, context } from './helpers.js'

/** Cards of this file only, made at run time (see `cardNumber`). */
const CARD_A = cardNumber('400005', '5556')
const CARD_B = cardNumber('222300', '3222')
const masked = (card: string) => `${card.slice(0, 6)}******${card.slice(-4)}`

const require = createRequire(import.meta.url)
const WHERE = 'module test/leak-guard/scope-fixtures/guarded/pay.cjs: creditCard'

interface PayModule {
  pay(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult>
}
const payModule: PayModule = require('./scope-fixtures/guarded/pay.cjs')

const invokeTwice = async (scope: boolean) => {
  const findings: LeakFinding[] = []
  const lines: string[] = []
  const handler = middy(payModule.pay).use(
    leakGuard({
      targets: [payModule],
      scope,
      onLeak: (finding) => findings.push(finding),
      logger: { warn: (line: string) => lines.push(line) },
    }),
  )
  await handler(apiEvent({ card: CARD_A }) as unknown as APIGatewayProxyEvent, context('req-1'))
  await handler(apiEvent({ card: CARD_B }) as unknown as APIGatewayProxyEvent, context('req-2'))
  return { findings, lines }
}

test('a module-level card is reported as module <file>: creditCard', async () => {
  expect([CARD_A, CARD_B].every(luhn)).toBe(true)
  const { findings, lines } = await invokeTwice(true)
  // Found by the check after the first invocation; later checks see the same place and
  // source (body.card) again and count it rather than report it again.
  expect(findings.filter((finding) => finding.where === WHERE)).toMatchObject([
    {
      kind: 'persisted',
      severity: 'high',
      requestId: 'req-1',
      field: 'body.card',
      sensitive: 'card',
      value: masked(CARD_A),
    },
  ])
  expect(lines.filter((line) => line.includes(WHERE))).toHaveLength(1)
  // Masked everywhere: the raw cards never reach the output.
  expect(lines.join('\n')).not.toMatch(new RegExp(`${CARD_A}|${CARD_B}`))
})

test('with scope: false the same leak goes unseen (the reader is what finds it)', async () => {
  const { findings } = await invokeTwice(false)
  expect(findings.filter((finding) => finding.where.startsWith('module '))).toEqual([])
})
