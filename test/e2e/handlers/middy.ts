/** A tiny Middy handler for the harness's own tests. */
import middy from '@middy/core'
import type { Context } from 'aws-lambda'

interface GreetEvent {
  name?: string
  fail?: boolean
}

interface GreetResult {
  statusCode: number
  body: string
}

export const handler = middy<GreetEvent, GreetResult, Error, Context>()
  .use({
    before: (request) => {
      request.internal = { ...request.internal, startedAt: Date.now() }
      console.log(`before ${request.context.awsRequestId}`)
    },
    after: (request) => {
      if (request.response)
        request.response = { ...request.response, body: `${request.response.body}!` }
    },
    onError: (request) => {
      console.error(`onError ${request.error?.message}`)
      request.response = { statusCode: 500, body: `failed: ${request.error?.message}` }
    },
  })
  .handler(async (event) => {
    if (event.fail) throw new Error(`cannot greet ${event.name}`)
    return { statusCode: 200, body: `hello ${event.name ?? 'world'}` }
  })
