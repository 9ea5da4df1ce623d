// Request data written into the environment: it stays for every later invocation.
export const base = async (event) => {
  const { email } = JSON.parse(event.body)
  process.env.USER_EMAIL = email
  return { statusCode: 200, body: JSON.stringify({ ok: true }) }
}
