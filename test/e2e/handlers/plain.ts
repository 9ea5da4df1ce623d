/** A plain (no Middy) handler for the harness's own tests. */
import { threadId } from 'node:worker_threads'
import type { Context } from 'aws-lambda'

interface PlainEvent {
  action?: 'echo' | 'fail' | 'throw-string' | 'log' | 'remaining' | 'wait'
  value?: unknown
  lines?: string[]
  ms?: number
}

let invocations = 0
const startedAt = Date.now()

export const handler = async (event: PlainEvent, context: Context) => {
  invocations++
  switch (event.action) {
    case 'fail': {
      const error = new RangeError(`bad value: ${String(event.value)}`)
      throw error
    }
    case 'throw-string':
      throw 'a bare string'
    case 'log':
      for (const line of event.lines ?? []) console.log(line)
      console.warn('warned')
      return { logged: event.lines?.length ?? 0 }
    case 'remaining':
      return {
        remaining: context.getRemainingTimeInMillis(),
        functionName: context.functionName,
        arn: context.invokedFunctionArn,
        requestId: context.awsRequestId,
        memory: context.memoryLimitInMB,
        clientContext: context.clientContext,
        identity: context.identity,
        traceEnv: process.env._X_AMZN_TRACE_ID,
      }
    case 'wait':
      await new Promise((resolve) => setTimeout(resolve, event.ms ?? 0))
      return { waited: event.ms, threadId, invocations, startedAt }
    default:
      return {
        echo: event.value,
        invocations,
        startedAt,
        node: process.version,
        tz: process.env.TZ,
        execEnv: process.env.AWS_EXECUTION_ENV,
      }
  }
}
