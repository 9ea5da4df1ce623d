// appendKeys with no resetKeys (and no injectLambdaContext({ resetKeys: true })): the key stays.
import { Logger } from '@aws-lambda-powertools/logger'

const logger = new Logger({ serviceName: 'orders', logLevel: 'ERROR' })

export const base = async (event) => {
  const { email } = JSON.parse(event.body)
  logger.appendKeys({ userEmail: email })
  return { statusCode: 200, body: JSON.stringify({ ok: true }) }
}
