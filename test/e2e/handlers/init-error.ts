/** A handler whose module fails while loading (an init error). */
const region = process.env.ORC_E2E_REQUIRED_SETTING
if (!region) throw new TypeError('ORC_E2E_REQUIRED_SETTING is not set')

export const handler = async () => ({ region })
