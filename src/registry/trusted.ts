/**
 * crates.io's trusted-publishing exchange, for a configured test issuer: a signed JWT (HS256 with a
 * shared secret, or RS256 with a PEM public key; both are one call of node:crypto for a test OIDC
 * stand-in) buys a short-lived `cio_tp_` token that can publish new versions of existing crates.
 * Tokens live in memory only; expiry follows the injected clock.
 */
import { createHash, createHmac, createVerify, randomBytes, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import type { Clock } from '../clock.js'
import type { TrustedPublishingOptions } from './types.js'

export const TRUSTED_TOKEN_PREFIX = 'cio_tp_'
const DEFAULT_TTL_MS = 30 * 60 * 1000

const headerSchema = z.looseObject({ alg: z.string() })
const claimsSchema = z.looseObject({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  exp: z.number(),
  nbf: z.number().optional(),
  jti: z.string().optional()
})

export type JwtClaims = z.infer<typeof claimsSchema>

function decodeSegment(segment: string): unknown {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

export type ExchangeResult = { ok: true; token: string } | { ok: false; detail: string }

export class TrustedPublishing {
  private readonly tokens = new Map<string, number>()
  private readonly usedJtis = new Set<string>()

  constructor(
    private readonly options: TrustedPublishingOptions | undefined,
    private readonly clock: Clock
  ) {}

  /** Verifies the JWT and issues a token; failures carry crates.io's messages. */
  exchange(jwt: string): ExchangeResult {
    const parts = jwt.split('.')
    const [h, p, s] = parts
    if (parts.length !== 3 || h === undefined || p === undefined || s === undefined) {
      return { ok: false, detail: 'Failed to decode JWT' }
    }
    let header: z.infer<typeof headerSchema>
    let claims: JwtClaims
    try {
      header = headerSchema.parse(decodeSegment(h))
      claims = claimsSchema.parse(decodeSegment(p))
    } catch {
      return { ok: false, detail: 'Failed to decode JWT' }
    }
    const config = this.options
    if (!config || claims.iss !== config.issuer) {
      return { ok: false, detail: `Unsupported JWT issuer: ${claims.iss}` }
    }
    if (!this.signatureValid(header.alg, `${h}.${p}`, Buffer.from(s, 'base64url'))) {
      return { ok: false, detail: 'Failed to decode JWT' }
    }
    const audience = config.audience ?? 'crates.io'
    const auds = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
    const nowSec = this.clock.now() / 1000
    if (!auds.includes(audience) || claims.exp <= nowSec) {
      return { ok: false, detail: 'Failed to decode JWT' }
    }
    if (claims.nbf !== undefined && claims.nbf > nowSec) {
      return { ok: false, detail: 'Failed to decode JWT' }
    }
    if (claims.jti !== undefined) {
      if (this.usedJtis.has(claims.jti)) return { ok: false, detail: 'JWT has already been used' }
      this.usedJtis.add(claims.jti)
    }
    const token = TRUSTED_TOKEN_PREFIX + randomBytes(24).toString('hex')
    this.tokens.set(hash(token), this.clock.now() + (config.tokenTtlMs ?? DEFAULT_TTL_MS))
    return { ok: true, token }
  }

  private signatureValid(alg: string, signingInput: string, signature: Buffer): boolean {
    const config = this.options
    if (alg === 'HS256' && config?.secret) {
      const expected = createHmac('sha256', config.secret).update(signingInput).digest()
      return sameBytes(expected, signature)
    }
    if (alg === 'RS256' && config?.publicKey) {
      try {
        return createVerify('RSA-SHA256').update(signingInput).verify(config.publicKey, signature)
      } catch {
        return false
      }
    }
    return false
  }

  /** A token this registry issued, not revoked and not expired. */
  isValid(token: string): boolean {
    const expiresAt = this.tokens.get(hash(token))
    if (expiresAt === undefined) return false
    if (this.clock.now() >= expiresAt) {
      this.tokens.delete(hash(token))
      return false
    }
    return true
  }

  revoke(token: string): void {
    this.tokens.delete(hash(token))
  }
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
