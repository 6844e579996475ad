import { createHmac, timingSafeEqual } from 'node:crypto'

/** HS256 JWTs: what the runtime token and the OIDC token are, minus GitHub's key management. */
export function signJwt(claims: Record<string, unknown>, secret: string): string {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const signingInput = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`
  const signature = createHmac('sha256', secret).update(signingInput).digest('base64url')
  return `${signingInput}.${signature}`
}

/** The claims of a JWT this secret signed, or undefined for anything else. */
export function verifyJwt(token: string, secret: string): Record<string, unknown> | undefined {
  const [head, body, signature, ...rest] = token.split('.')
  if (!head || !body || !signature || rest.length > 0) return undefined
  const expected = createHmac('sha256', secret).update(`${head}.${body}`).digest()
  const given = Buffer.from(signature, 'base64url')
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>
  } catch {
    return undefined
  }
}
