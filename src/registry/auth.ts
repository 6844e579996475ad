/**
 * Who is asking. cargo sends its token raw in `Authorization`; other clients send `Bearer <token>`
 * (any case, any spacing), and both are accepted.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { TRUSTED_TOKEN_PREFIX, type TrustedPublishing } from './trusted.js'

export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'invalid' }
  | { kind: 'owner' }
  /** Holder of a trusted-publishing token: may publish new versions of existing crates only. */
  | { kind: 'trusted' }

export function tokenFromHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const token = header.trim().replace(/^bearer\s+/i, '')
  return token === '' ? undefined : token
}

const digest = (s: string) => createHash('sha256').update(s).digest()

export function identify(
  header: string | undefined,
  ownerToken: string,
  trusted: TrustedPublishing
): Caller {
  const token = tokenFromHeader(header)
  if (token === undefined) return { kind: 'anonymous' }
  if (timingSafeEqual(digest(token), digest(ownerToken))) return { kind: 'owner' }
  if (token.startsWith(TRUSTED_TOKEN_PREFIX) && trusted.isValid(token)) return { kind: 'trusted' }
  return { kind: 'invalid' }
}

export const AUTH_MISSING = 'this action requires authentication'
export const AUTH_INVALID = 'Invalid authentication token'
