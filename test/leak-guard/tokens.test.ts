import { describe, expect, test } from 'vitest'
import { collectTokens } from '../../src/leak-guard/tokens.js'
import { AWS_KEY, apiEvent, awsEvent, BEARER, CARD_A, EMAIL, JWT } from './helpers.js'

const fields = (event: unknown) =>
  Object.fromEntries([...collectTokens(event).values()].map((t) => [t.field, t.value]))

describe('collectTokens', () => {
  test('API Gateway sample: distinctive values are tokens; methods, MIME types, regions, stages are not', () => {
    const tokens = collectTokens(awsEvent('apigw-request'))
    const values = [...tokens.keys()]
    expect(tokens.get('deef4878-7910-11e6-8f14-25afc3e9ae33')?.field).toBe(
      'requestContext.requestId',
    )
    expect(tokens.get('9f583ef0-ed83-4a38-aef3-eb9ce3f7a57f')?.field).toBe('headers.Postman-Token')
    expect(tokens.get('192.168.196.186')?.field).toBe('requestContext.identity.sourceIp')
    for (const boring of [
      'POST',
      'application/json',
      'us-east-1',
      'testStage',
      'https',
      'gzip, deflate',
      'no-cache',
    ]) {
      expect(values).not.toContain(boring)
    }
    // Fields that are the same for every request to a function are not request data.
    expect(values).not.toContain('12345678912')
    expect(values).not.toContain('gy415nuibc.execute-api.us-east-2.amazonaws.com')
  })

  test('fields of a JSON body, with their paths and sensitive kinds', () => {
    const event = apiEvent(
      {
        card: { number: CARD_A, exp: '12/29' },
        user: { email: EMAIL, key: AWS_KEY },
        ids: [12345678901],
      },
      { Authorization: BEARER },
    )
    const tokens = collectTokens(event)
    expect(tokens.get(CARD_A)).toEqual({ value: CARD_A, field: 'body.card.number', kind: 'card' })
    expect(tokens.get(EMAIL)).toMatchObject({ field: 'body.user.email', kind: 'email' })
    expect(tokens.get(AWS_KEY)).toMatchObject({ field: 'body.user.key', kind: 'aws-access-key' })
    expect(tokens.get('12345678901')).toMatchObject({ field: 'body.ids[0]', kind: undefined })
    expect(tokens.get(BEARER)).toMatchObject({ field: 'headers.Authorization', kind: 'bearer' })
    expect(tokens.get(BEARER.slice(7))).toMatchObject({
      field: 'headers.Authorization',
      kind: 'bearer',
    })
    expect(tokens.get(event.body)).toMatchObject({ field: 'body' })
    expect(tokens.has('12/29')).toBe(false)
  })

  test('a bearer JWT is recognised as a JWT', () => {
    const tokens = collectTokens({ headers: { authorization: `Bearer ${JWT}` } })
    expect(tokens.get(JWT)).toMatchObject({ field: 'headers.authorization', kind: 'jwt' })
  })

  test('base64 bodies are decoded (Function URL sample shape), then parsed', () => {
    const event = awsEvent<{ body: string; isBase64Encoded: boolean }>('lambda-urls-request')
    event.body = Buffer.from(JSON.stringify({ card: { number: CARD_A } })).toString('base64')
    event.isBase64Encoded = true
    expect(fields(event)['body.card.number']).toBe(CARD_A)
  })

  test('SQS and SNS sample messages: JSON inside records', () => {
    const sqs = awsEvent<{ Records: Array<{ body: string }> }>('sqs-event')
    ;(sqs.Records[0] as { body: string }).body = JSON.stringify({ orderId: 'ord-5521-xk' })
    expect(fields(sqs)['Records[0].body.orderId']).toBe('ord-5521-xk')
    const sns = awsEvent('sns-event')
    expect(Object.keys(fields(sns)).some((f) => f.startsWith('Records[0].Sns.'))).toBe(true)
  })

  test('keys that are themselves request data are masked in field paths', () => {
    const event = { body: JSON.stringify({ [EMAIL]: { note: 'note-4471-xq' } }) }
    const [field] = [...collectTokens(event).values()]
      .filter((t) => t.value === 'note-4471-xq')
      .map((t) => t.field)
    expect(field).toMatch(/^body\.<email fp:[0-9a-f]{10}>\.note$/)
  })

  test('strange events do not throw', () => {
    for (const event of [
      undefined,
      null,
      42,
      'x',
      [],
      { body: '{not json' },
      { body: 'AAAA', isBase64Encoded: true },
    ]) {
      expect(() => collectTokens(event)).not.toThrow()
    }
    const cyclic: Record<string, unknown> = { id: 'abcdefgh12345' }
    cyclic.self = cyclic
    expect(collectTokens(cyclic).has('abcdefgh12345')).toBe(true)
  })
})
