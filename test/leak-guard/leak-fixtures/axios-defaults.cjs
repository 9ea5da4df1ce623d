// The same leak as axios-defaults.mjs, as a CommonJS module (loaded by Node's own require).
const axios = require('axios')

exports.base = async (event) => {
  const { token } = JSON.parse(event.body)
  axios.defaults.headers.common.Authorization = `Bearer ${token}`
  return { statusCode: 200, body: JSON.stringify({ ok: true }) }
}
