// A handler that only echoes its event.
export const base = async (event) => ({ statusCode: 200, body: event.body })
