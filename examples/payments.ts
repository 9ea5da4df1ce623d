/**
 * A pretend payment service for the card examples: connecting takes a moment
 * (as a real network call does), verifying is instant. Nothing leaves the process.
 */
export interface Card {
  number: string
  exp: string
  code: string
}

export interface PaymentEvent {
  credit_card_number: string
  credit_card_expiration: string
  credit_card_security_code: string
  amount?: number
}

export interface PaymentResult {
  ok: boolean
  /** The card that was actually verified, masked: only its last four digits. */
  verified: string
}

/** Public test card numbers (Visa, Mastercard, Amex, Discover), for the demo and the tests. */
export const SAMPLE_PAYMENTS: readonly PaymentEvent[] = [
  ['4111111111111111', '12/30', '123'],
  ['5555555555554444', '11/31', '456'],
  ['378282246310005', '10/32', '7890'],
  ['6011111111111117', '09/33', '321'],
].map(([number, exp, code]) => ({
  credit_card_number: number as string,
  credit_card_expiration: exp as string,
  credit_card_security_code: code as string,
}))

/** `4111111111111111` -> `•••• 1111`: all a log or a response may show of a card. */
export const maskCard = (number: string): string => `•••• ${number.slice(-4)}`

const CONNECT_MS = Number(process.env.EXAMPLE_PAYMENTS_CONNECT_MS ?? 25)

export const payments = {
  connect: () => new Promise<void>((resolve) => setTimeout(resolve, CONNECT_MS)),
  /** Luhn check plus an expiry in the future: a stand-in for the real verification. */
  verify(card: Card): boolean {
    const digits = card.number.replace(/\D/g, '')
    let sum = 0
    for (let i = 0; i < digits.length; i++) {
      let d = Number(digits[digits.length - 1 - i])
      if (i % 2 === 1) {
        d *= 2
        if (d > 9) d -= 9
      }
      sum += d
    }
    const [month, year] = card.exp.split('/').map(Number)
    const notExpired =
      month !== undefined && year !== undefined && new Date(2000 + year, month) > new Date()
    return digits.length >= 12 && sum % 10 === 0 && notExpired
  },
}
