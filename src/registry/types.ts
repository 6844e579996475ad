import type { Clock } from '../clock.js'

/** The public face of the embedded registry (src/registry/), as the engine and tests use it. */
export interface EmbeddedRegistryOptions {
  /** 0 (default) picks a free port. Always bound to 127.0.0.1. */
  port?: number
  /** Storage directory; omitted = a temporary directory removed on close(). */
  dataDir?: string
  /** Token accepted for publish/yank/owners; omitted = a random token is generated. */
  token?: string
  /** crates.io-strict validation of uploads (default true). */
  strict?: boolean
  /** Require the token for index and downloads too (config.json `auth-required: true`). */
  authRequired?: boolean
  /** Trusted publishing: issuer whose JWTs are accepted, and token lifetime. */
  trustedPublishing?: TrustedPublishingOptions
  /** Drives token expiry and delayed index visibility (default: the system clock). */
  clock?: Clock
}

/**
 * The test issuer whose JWTs `POST /api/v1/trusted_publishing/tokens` exchanges. Give `secret` to
 * accept HS256 JWTs signed with it, or `publicKey` (PEM) to accept RS256 JWTs; both can be given.
 */
export interface TrustedPublishingOptions {
  /** Required `iss` claim. */
  issuer: string
  /** Required `aud` claim (default `crates.io`, as crates.io expects). */
  audience?: string
  /** Lifetime of an exchanged token (default 30 minutes, as on crates.io). */
  tokenTtlMs?: number
  /** HS256 shared secret. */
  secret?: string
  /** RS256 public key, PEM. */
  publicKey?: string
}

export interface EmbeddedRegistry {
  /** `http://127.0.0.1:PORT` — the API base (config.json `api`). */
  readonly url: string
  /** `sparse+http://127.0.0.1:PORT/api/v1/crates/` — what cargo is configured with. */
  readonly indexUrl: string
  readonly port: number
  readonly token: string
  readonly dataDir: string
  /** Test-only fault injection; inert until used. */
  readonly faults: FaultInjector
  close(): Promise<void>
}

export interface FailSpec {
  /** How many times to fail before behaving normally again. */
  times: number
  status: number
  /** Response body; a string is sent as text/plain, an object as JSON. */
  body?: string | object
  /** Retry-After header: a string as is, a number of seconds, or a Date sent as an HTTP date. */
  retryAfter?: string | number | Date
}

export interface FaultInjector {
  /** The version becomes visible in the index `ms` after its publish succeeded. */
  delayIndex(name: string, version: string, ms: number): void
  /** The version never appears in the index (until clear()). */
  hideIndex(name: string, version: string): void
  failPublish(name: string, spec: FailSpec): void
  failIndex(name: string, spec: FailSpec): void
  failDownload(name: string, spec: FailSpec): void
  /** Store the next `times` uploads of `name`, then destroy the socket without answering. */
  dropAfterStore(name: string, times?: number): void
  /** Count of stored uploads per `name@version` (to prove nothing is uploaded twice). */
  uploads(): Record<string, number>
  /** Disarms every fault; upload counts are kept. */
  clear(): void
}
