import { randomBytes, randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { bearer, delay, Faults, listen, sendJson, type Call } from './http.js'
import { signJwt } from './jwt.js'

export const OIDC_ISSUER = 'https://token.actions.test'

/**
 * The job's OIDC token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL): `GET ?audience=X` with the job's
 * request token as bearer answers `{ value: <JWT> }`, an HS256 token for `audience` dated by
 * `now`, which an embedded registry configured with the same issuer and secret accepts.
 */
export class OidcIssuer {
  readonly audiences: string[] = []
  readonly calls: Call[] = []
  readonly faults = new Faults()

  constructor(
    readonly secret: string,
    private readonly requestTokens: (
      token: string
    ) => { repository: string; runId: number } | undefined,
    private readonly now: () => number = Date.now
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      this.calls.push({ operation: 'token', status })
      sendJson(res, status, body)
    }
    const job = this.requestTokens(bearer(req) ?? '')
    if (!job) return reply(401, { message: 'bad request token' })
    const fault = this.faults.take('token')
    if (fault?.delayMs) await delay(fault.delayMs)
    if (fault?.status) return reply(fault.status, { message: fault.message ?? 'injected failure' })
    const audience = new URL(req.url ?? '/', 'http://x').searchParams.get('audience') ?? ''
    this.audiences.push(audience)
    const now = Math.floor(this.now() / 1000)
    const value = signJwt(
      {
        iss: OIDC_ISSUER,
        aud: audience,
        sub: `repo:${job.repository}:ref:refs/heads/main`,
        repository: job.repository,
        run_id: String(job.runId),
        iat: now,
        nbf: now,
        exp: now + 300,
        jti: randomUUID()
      },
      this.secret
    )
    reply(200, { value })
  }
}

/**
 * The OIDC endpoint alone, for in-process tests: it answers one request token, for a job of
 * `repository`, with JWTs dated by `now` (a test's clock).
 */
export async function startOidcEndpoint(options: {
  requestToken: string
  now?: () => number
  repository?: string
}): Promise<{ url: string; issuer: OidcIssuer; close(): Promise<void> }> {
  const job = { repository: options.repository ?? 'octo/widgets', runId: 1 }
  const issuer = new OidcIssuer(
    randomBytes(32).toString('hex'),
    token => (token === options.requestToken ? job : undefined),
    options.now
  )
  const server = await listen((req, res) => issuer.handle(req, res))
  return { url: `${server.url}/token?api-version=2.0`, issuer, close: () => server.close() }
}
