// orcCache in the stack: its store keeps answers by product id by intent.
import middy from '@middy/core'
import { leakGuard, orcCache } from '../../../../src/index.js'

interface ProductEvent {
  productId: string
  lang: string
}

export const handler = middy<ProductEvent, unknown>()
  .use(leakGuard())
  .use(orcCache({ key: 'productId' }))
  .handler(async ({ productId, lang }) => ({ productId, name: `product ${productId}`, lang }))
