// The AWS SDK used right: the client made at init (its keep-alive sockets stay open
// between invocations by design); each request's item is sent and awaited.
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb'

const client = new DynamoDBClient({
  region: process.env.AWS_REGION ?? 'us-east-1',
  endpoint: process.env.DYNAMODB_ENDPOINT,
})

export const base = async (event) => {
  const { email, orderId } = JSON.parse(event.body)
  await client.send(
    new PutItemCommand({
      TableName: 'orders',
      Item: { orderId: { S: orderId }, email: { S: email } },
    }),
  )
  return { statusCode: 200, body: JSON.stringify({ ok: true }) }
}
