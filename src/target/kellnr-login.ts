/**
 * Mints a kellnr API token from a user and password, for a kellnr service container started
 * without a preset token: log in (kellnr answers with a `kellnr_session_id` session cookie), then
 * create a token for that session. Every refusal is a UserError that says what to set instead.
 */
import { z } from 'zod'
import { UserError } from '../errors.js'

export interface KellnrLoginDeps {
  fetch?: typeof fetch
  /** For the token's name; injected so tests can pin it. */
  now?: () => number
  /** Registers the new token as a secret before anyone can print it. */
  secret?: (value: string) => void
  timeoutMs?: number
}

export interface KellnrToken {
  name: string
  token: string
}

const HINT =
  'set registry-token to a kellnr API token, or registry-user / registry-password to a kellnr account ' +
  '(a new kellnr starts with admin / admin; KELLNR_SETUP__ADMIN_TOKEN on the service container presets ' +
  'a token you can pass as registry-token)'

const loginSchema = z.looseObject({})
const tokenSchema = z.looseObject({ name: z.string().optional(), token: z.string().min(1) })

/** `http://h:8000`, `http://h:8000/`, or its `sparse+http://h:8000/api/v1/crates/` index URL → `http://h:8000`. */
export function kellnrBaseUrl(urlOrIndex: string): string {
  return urlOrIndex
    .trim()
    .replace(/^sparse\+/, '')
    .replace(/\/+$/, '')
    .replace(/\/api\/v1\/crates$/, '')
}

/** `name=value` of every cookie the response sets, ready for a Cookie header. */
function sessionCookies(res: Response): string {
  const all = res.headers.getSetCookie()
  return all
    .map(c => c.split(';')[0]?.trim() ?? '')
    .filter(c => /^[^=]+=/.test(c))
    .join('; ')
}

async function readJson(res: Response, what: string, base: string): Promise<unknown> {
  const text = await res.text()
  try {
    return JSON.parse(text)
  } catch {
    throw new UserError(
      `kellnr at ${base} answered the ${what} with something that is not JSON (${text.slice(0, 80).trim() || 'an empty body'})`,
      'check that registry-url points at a kellnr (its base URL, e.g. http://localhost:8000), not at another service or its web UI',
      1
    )
  }
}

function timestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
}

export async function mintKellnrToken(
  baseUrl: string,
  user: string,
  password: string,
  deps: KellnrLoginDeps = {}
): Promise<KellnrToken> {
  const base = kellnrBaseUrl(baseUrl)
  const doFetch = deps.fetch ?? fetch
  const signal = AbortSignal.timeout(deps.timeoutMs ?? 30_000)
  const post = async (path: string, body: unknown, cookie?: string): Promise<Response> => {
    try {
      return await doFetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(cookie ? { cookie } : {})
        },
        body: JSON.stringify(body),
        signal
      })
    } catch (error) {
      const cause = error instanceof Error ? String(error.cause ?? error.message) : String(error)
      throw new UserError(
        `could not reach kellnr at ${base} to mint a token: ${cause}`,
        'check registry-url and that the kellnr service container is healthy',
        1
      )
    }
  }

  const login = await post('/api/v1/auth/login', { user, pwd: password })
  if (login.status === 401 || login.status === 403) {
    await login.body?.cancel()
    throw new UserError(
      `kellnr refused the login for user '${user}' (HTTP ${login.status})`,
      HINT,
      1
    )
  }
  if (!login.ok) {
    const text = (await login.text()).slice(0, 200)
    throw new UserError(
      `kellnr login at ${base} failed with HTTP ${login.status}: ${text}`,
      HINT,
      1
    )
  }
  if (!loginSchema.safeParse(await readJson(login, 'login', base)).success) {
    throw new UserError(`kellnr at ${base} answered the login with unexpected JSON`, HINT, 1)
  }
  const cookie = sessionCookies(login)
  if (!cookie) {
    throw new UserError(`kellnr at ${base} accepted the login but set no session cookie`, HINT, 1)
  }

  const name = `shipper-rehearse-${timestamp((deps.now ?? Date.now)())}`
  const created = await post('/api/v1/users/me/tokens', { name }, cookie)
  if (created.status === 401 || created.status === 403) {
    await created.body?.cancel()
    throw new UserError(
      `kellnr refused to create a token for user '${user}' (HTTP ${created.status})`,
      HINT,
      1
    )
  }
  if (!created.ok) {
    const text = (await created.text()).slice(0, 200)
    throw new UserError(
      `kellnr token creation failed with HTTP ${created.status}: ${text}`,
      HINT,
      1
    )
  }
  const parsed = tokenSchema.safeParse(await readJson(created, 'token request', base))
  if (!parsed.success) {
    throw new UserError(
      `kellnr at ${base} created no token: the answer has no "token" field`,
      HINT,
      1
    )
  }
  deps.secret?.(parsed.data.token)
  return { name: parsed.data.name ?? name, token: parsed.data.token }
}
