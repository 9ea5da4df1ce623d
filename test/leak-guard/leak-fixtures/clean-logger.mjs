// Powertools Logger used right: keys appended per request and reset at its end.
import { Logger } from '@aws-lambda-powertools/logger'

const logger = new Logger({ serviceName: 'orders', logLevel: 'ERROR' })

export const base = async (event) => {
  const { email } = JSON.parse(event.body)
  logger.appendKeys({ userEmail: email })
  try {
    return { statusCode: 200, body: JSON.stringify({ ok: true }) }
  } finally {
    logger.resetKeys()
  }
}
