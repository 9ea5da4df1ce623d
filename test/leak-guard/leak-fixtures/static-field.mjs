// A lazily made singleton in a class's static field: the first caller's token stays.
class Api {
  static instance
  constructor(token) {
    this.token = token
  }
  static for(token) {
    Api.instance ??= new Api(token)
    return Api.instance
  }
}

export const base = async (event) => {
  const api = Api.for(JSON.parse(event.body).token)
  return { statusCode: 200, body: JSON.stringify({ ready: api !== undefined }) }
}
