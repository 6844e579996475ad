import { z } from 'zod'
import type { Clock } from '../clock.js'
import { UserError } from '../errors.js'
import type { Logger } from '../log.js'
import type { Options } from '../options/types.js'
import { scrubSecrets } from '../record/scrub.js'
import { TOOL } from '../version.js'
import type { LiveTarget } from '../target/live.js'

/** crates.io's tokens live 30 minutes; minting again well before that keeps a long release going. */
export const REMINT_AFTER_MS = 25 * 60 * 1000

/** What the event log may say about authentication: never a secret. */
export interface AuthEvidence {
  method: 'token' | 'trusted_publishing' | 'none'
  source: 'input' | 'env' | 'oidc' | 'none'
  /** The env var a token came from, or the registry trusted publishing minted against. */
  detail?: string
}

/** How this run will authenticate, decided from options and environment alone. Pure. */
export type AuthChoice =
  | { kind: 'token'; token: string; evidence: AuthEvidence }
  | {
      kind: 'oidc'
      requestUrl: string
      requestToken: string
      audience: string
      evidence: AuthEvidence
    }
  | { kind: 'none'; message: string; hint: string; evidence: AuthEvidence }

/** The audience crates.io expects is its host name (`crates.io`); other registries follow suit. */
export function oidcAudience(apiBase: string): string {
  return new URL(apiBase).hostname
}

export function chooseAuth(
  options: Pick<Options, 'token' | 'trustedPublishing'>,
  target: LiveTarget,
  apiBase: string,
  env: Record<string, string | undefined>
): AuthChoice {
  const fromInput = options.token.trim()
  const fromEnv = env[target.tokenEnvVar]?.trim() ?? ''
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL ?? ''
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN ?? ''
  const haveOidc = Boolean(requestUrl && requestToken)
  const oidc = (): AuthChoice => ({
    kind: 'oidc',
    requestUrl,
    requestToken,
    audience: oidcAudience(apiBase),
    evidence: { method: 'trusted_publishing', source: 'oidc', detail: apiBase }
  })
  const regular = (): AuthChoice | undefined => {
    if (fromInput)
      return { kind: 'token', token: fromInput, evidence: { method: 'token', source: 'input' } }
    if (fromEnv) {
      return {
        kind: 'token',
        token: fromEnv,
        evidence: { method: 'token', source: 'env', detail: target.tokenEnvVar }
      }
    }
    return undefined
  }

  if (options.trustedPublishing === 'true') {
    if (haveOidc) return oidc()
    return {
      kind: 'none',
      message: 'trusted-publishing is `true` but this job has no OIDC identity',
      hint: 'grant the job `permissions: id-token: write` (OIDC is only available inside GitHub Actions)',
      evidence: { method: 'none', source: 'none' }
    }
  }
  const token = regular()
  if (token) return token
  if (options.trustedPublishing === 'auto' && haveOidc) return oidc()
  return {
    kind: 'none',
    message: `no token for the live registry '${target.name}'`,
    hint:
      options.trustedPublishing === 'false'
        ? `pass \`token\` or set ${target.tokenEnvVar}`
        : `pass \`token\`, set ${target.tokenEnvVar}, or grant \`id-token: write\` to use trusted publishing`,
    evidence: { method: 'none', source: 'none' }
  }
}

export interface TokenDeps {
  fetch: typeof fetch
  clock: Clock
  logger: Logger
  /** Called with every secret this module learns, so records can scrub it. */
  onSecret: (value: string) => void
}

/** The token a run authenticates with, minted again when trusted publishing's would expire. */
export interface Credentials {
  readonly evidence: AuthEvidence
  readonly trustedPublishing: boolean
  /** The token for the next request (undefined when none is configured, e.g. a dry run). */
  current(): Promise<string | undefined>
  /** Revokes every token this run minted. Never throws: a failed revoke is a warning. */
  revoke(): Promise<void>
}

const oidcResponse = z.object({ value: z.string().min(1) })
const exchangeResponse = z.object({ token: z.string().min(1) })

function tokensEndpoint(apiBase: string): string {
  return `${apiBase.replace(/\/+$/, '')}/api/v1/trusted_publishing/tokens`
}

async function readBody(response: Response): Promise<string> {
  try {
    return (await response.text()).slice(0, 500)
  } catch {
    return ''
  }
}

/** A static token (or none), registered as a secret. */
export function staticCredentials(
  token: string | undefined,
  evidence: AuthEvidence,
  deps: TokenDeps
): Credentials {
  if (token) {
    deps.logger.secret(token)
    deps.onSecret(token)
  }
  return {
    evidence,
    trustedPublishing: false,
    current: async () => token,
    revoke: async () => undefined
  }
}

/**
 * Trusted publishing: the job's OIDC JWT (audience = the registry host) is exchanged at
 * `<api>/api/v1/trusted_publishing/tokens` for a 30-minute token, minted again after
 * REMINT_AFTER_MS on the injected clock, and every minted token is revoked at the end.
 */
export function trustedCredentials(
  choice: Extract<AuthChoice, { kind: 'oidc' }>,
  apiBase: string,
  deps: TokenDeps
): Credentials {
  const minted: string[] = []
  let currentToken: { token: string; mintedAt: number } | undefined
  let minting: Promise<string> | undefined
  const endpoint = tokensEndpoint(apiBase)
  const learned: string[] = []
  const secret = (value: string) => {
    learned.push(value)
    deps.logger.secret(value)
    deps.onSecret(value)
  }
  secret(choice.requestToken)
  const scrub = (text: string) => scrubSecrets(text, learned)

  const requestJwt = async (): Promise<string> => {
    const url = new URL(choice.requestUrl)
    url.searchParams.set('audience', choice.audience)
    let response: Response
    try {
      response = await deps.fetch(url, {
        headers: { authorization: `bearer ${choice.requestToken}`, accept: 'application/json' }
      })
    } catch (error) {
      throw new UserError(
        `could not get an OIDC token from GitHub: ${error instanceof Error ? error.message : String(error)}`,
        'rerun the job; trusted publishing needs the Actions OIDC service',
        1
      )
    }
    const body = await readBody(response)
    const parsed = response.ok ? oidcResponse.safeParse(safeJson(body)) : undefined
    if (!parsed?.success) {
      throw new UserError(
        `could not get an OIDC token (audience '${choice.audience}'): HTTP ${response.status} ${scrub(body)}`,
        'grant the job `permissions: id-token: write`',
        1
      )
    }
    secret(parsed.data.value)
    return parsed.data.value
  }

  const mint = async (): Promise<string> => {
    const jwt = await requestJwt()
    let response: Response
    try {
      response = await deps.fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': `${TOOL.name}/${TOOL.version}`
        },
        body: JSON.stringify({ jwt })
      })
    } catch (error) {
      throw new UserError(
        `could not reach ${endpoint} to exchange the OIDC token: ${error instanceof Error ? error.message : String(error)}`,
        'check that the live registry supports trusted publishing, or pass a regular `token`',
        1
      )
    }
    const body = await readBody(response)
    const parsed = response.ok ? exchangeResponse.safeParse(safeJson(body)) : undefined
    if (!parsed?.success) {
      throw new UserError(
        `the registry refused to exchange this job's OIDC token for a publish token: HTTP ${response.status} ${scrub(body)}`,
        'configure trusted publishing for every crate of the plan on the registry (repository, workflow and environment must match), or pass a regular `token`',
        1
      )
    }
    const token = parsed.data.token
    secret(token)
    minted.push(token)
    currentToken = { token, mintedAt: deps.clock.now() }
    deps.logger.info(`trusted publishing: minted a short-lived token at ${endpoint}`)
    return token
  }

  return {
    evidence: choice.evidence,
    trustedPublishing: true,
    async current() {
      const fresh = currentToken && deps.clock.now() - currentToken.mintedAt < REMINT_AFTER_MS
      if (fresh && currentToken) return currentToken.token
      // Concurrent uploads share one mint instead of each exchanging a JWT.
      minting ??= mint().finally(() => {
        minting = undefined
      })
      return minting
    },
    async revoke() {
      for (const token of minted.splice(0)) {
        try {
          const response = await deps.fetch(endpoint, {
            method: 'DELETE',
            headers: {
              authorization: `Bearer ${token}`,
              'user-agent': `${TOOL.name}/${TOOL.version}`
            }
          })
          await response.body?.cancel()
          // An expired token is already unusable; only other answers deserve a warning.
          if (!response.ok && response.status !== 401 && response.status !== 403) {
            deps.logger.warning(
              `revoking a trusted publishing token answered HTTP ${response.status}`
            )
          }
        } catch (error) {
          deps.logger.warning(
            `could not revoke a trusted publishing token (it expires by itself within 30 minutes): ${error instanceof Error ? error.message : String(error)}`
          )
        }
      }
      currentToken = undefined
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The credentials an auth choice stands for: minted by trusted publishing, or static. */
export function credentialsFor(choice: AuthChoice, apiBase: string, deps: TokenDeps): Credentials {
  return choice.kind === 'oidc'
    ? trustedCredentials(choice, apiBase, deps)
    : staticCredentials(choice.kind === 'token' ? choice.token : undefined, choice.evidence, deps)
}
