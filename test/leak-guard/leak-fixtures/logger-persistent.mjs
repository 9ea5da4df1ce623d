// The caller's email appended to the logger as a persistent key: it stays in every log.
import { Logger } from '@aws-lambda-powertools/logger'

const logger = new Logger({ serviceName: 'orders', logLevel: 'ERROR' })

export const base = async (event) => {
  const { email } = JSON.parse(event.body)
  logger.appendPersistentKeys({ userEmail: email })
  return { statusCode: 200, body: JSON.stringify({ ok: true }) }
}
