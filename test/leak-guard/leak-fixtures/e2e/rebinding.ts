// Under the runtime client: the fixture behind Middy with leakGuard and no option at all.
import middy from '@middy/core'
import { leakGuard } from '../../../../src/index.js'
import { base } from '../rebinding.mjs'

export const handler = middy(base).use(leakGuard())
