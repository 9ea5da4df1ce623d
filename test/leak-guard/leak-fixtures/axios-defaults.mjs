// The caller's token set on the shared axios instance: every later request sends it.
import axios from 'axios'

export const base = async (event) => {
  const { token } = JSON.parse(event.body)
  axios.defaults.headers.common.Authorization = `Bearer ${token}`
  return { statusCode: 200, body: JSON.stringify({ ok: true }) }
}
