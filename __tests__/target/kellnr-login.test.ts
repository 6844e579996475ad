import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { UserError } from '../../src/errors.js'
import { kellnrBaseUrl, mintKellnrToken } from '../../src/target/kellnr-login.js'

/**
 * Behaves like kellnr 6 for the two routes used: a JSON login that sets the `kellnr_session_id`
 * cookie, a token route that needs it, and the web UI (HTML, 200) for every unknown path.
 */
interface Kellnr {
  url: string
  sessions: Set<string>
  minted: { name: string; token: string; user: string }[]
  mode: 'normal' | 'web-ui-only' | 'tokens-forbidden' | 'no-cookie'
  close(): Promise<void>
}

async function startKellnr(): Promise<Kellnr> {
  const users = new Map([['admin', 'admin']])
  const sessionUser = new Map<string, string>()
  const state = {
    sessions: new Set<string>(),
    minted: [] as Kellnr['minted'],
    mode: 'normal' as Kellnr['mode']
  }
  const webUi = (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end('<!DOCTYPE html><html><body>kellnr</body></html>')
  }
  const json = (res: ServerResponse, status: number, body: unknown, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }
  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    if (state.mode === 'web-ui-only') return webUi(res)
    if (req.method === 'POST' && req.url === '/api/v1/auth/login') {
      const creds = JSON.parse(raw) as { user?: string; pwd?: string }
      if (!creds.user || users.get(creds.user) !== creds.pwd) {
        res.writeHead(401)
        return res.end()
      }
      const session = randomBytes(9).toString('base64url')
      state.sessions.add(session)
      sessionUser.set(session, creds.user)
      const cookies =
        state.mode === 'no-cookie'
          ? {}
          : {
              'set-cookie': [
                `kellnr_session_id=${session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=3600`,
                `kellnr_session_user=${creds.user}; Path=/`
              ]
            }
      return json(res, 200, { user: creds.user, is_admin: true, is_logged_in: true }, cookies)
    }
    if (req.method === 'POST' && req.url === '/api/v1/users/me/tokens') {
      if (state.mode === 'tokens-forbidden') {
        res.writeHead(403)
        return res.end()
      }
      const session = /(?:^|;\s*)kellnr_session_id=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]
      const user = session ? sessionUser.get(session) : undefined
      if (!user) {
        res.writeHead(401)
        return res.end()
      }
      const { name } = JSON.parse(raw) as { name: string }
      const token = randomBytes(16).toString('hex')
      state.minted.push({ name, token, user })
      return json(res, 200, { name, token })
    }
    return webUi(res)
  }
  const server: Server = createServer((req, res) => {
    let raw = ''
    req.on('data', c => (raw += c))
    req.on('end', () => handle(req, res, raw))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return Object.assign(state, {
    url,
    close: () => new Promise<void>(resolve => server.close(() => resolve()))
  }) as Kellnr
}

async function userError(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof UserError) return error
    throw error
  }
  throw new Error('expected a UserError')
}

let kellnr: Kellnr
const now = () => Date.UTC(2026, 3, 17, 12, 30, 5)

beforeAll(async () => {
  kellnr = await startKellnr()
})
afterAll(() => kellnr.close())
afterEach(() => {
  kellnr.mode = 'normal'
})

describe('mintKellnrToken', () => {
  it('logs in, then creates a named token with the session cookie', async () => {
    const secrets: string[] = []
    const minted = await mintKellnrToken(kellnr.url, 'admin', 'admin', {
      now,
      secret: v => secrets.push(v)
    })
    expect(minted.name).toBe('shipper-rehearse-20260417T123005Z')
    expect(kellnr.minted.at(-1)).toEqual({ name: minted.name, token: minted.token, user: 'admin' })
    expect(secrets).toEqual([minted.token])
  })

  it('accepts the sparse index URL of the registry as well as its base URL', async () => {
    const minted = await mintKellnrToken(`sparse+${kellnr.url}/api/v1/crates/`, 'admin', 'admin', {
      now
    })
    expect(minted.token).toMatch(/^[0-9a-f]{32}$/)
  })

  it('says which user was refused and what to set instead, without the password', async () => {
    const error = await userError(mintKellnrToken(kellnr.url, 'admin', 'wrong-pw-123', { now }))
    expect(error.exitCode).toBe(1)
    expect(error.message).toBe("kellnr refused the login for user 'admin' (HTTP 401)")
    expect(error.hint).toMatch(/registry-token/)
    expect(error.hint).toMatch(/registry-user \/ registry-password/)
    expect(error.hint).toMatch(/KELLNR_SETUP__ADMIN_TOKEN/)
    expect(error.line).not.toContain('wrong-pw-123')
  })

  it('refuses a server that answers with its web UI instead of JSON', async () => {
    kellnr.mode = 'web-ui-only'
    const error = await userError(mintKellnrToken(kellnr.url, 'admin', 'admin', { now }))
    expect(error.exitCode).toBe(1)
    expect(error.message).toMatch(/not JSON/)
    expect(error.hint).toMatch(/registry-url/)
  })

  it('reports a refused token request', async () => {
    kellnr.mode = 'tokens-forbidden'
    const error = await userError(mintKellnrToken(kellnr.url, 'admin', 'admin', { now }))
    expect(error.message).toBe("kellnr refused to create a token for user 'admin' (HTTP 403)")
  })

  it('reports a login without a session cookie', async () => {
    kellnr.mode = 'no-cookie'
    const error = await userError(mintKellnrToken(kellnr.url, 'admin', 'admin', { now }))
    expect(error.message).toMatch(/set no session cookie/)
  })

  it('reports an unreachable kellnr as a user error', async () => {
    const error = await userError(mintKellnrToken('http://127.0.0.1:1', 'admin', 'admin', { now }))
    expect(error.exitCode).toBe(1)
    expect(error.message).toMatch(/could not reach kellnr at http:\/\/127\.0\.0\.1:1/)
  })
})

describe('kellnrBaseUrl', () => {
  it.each([
    ['http://localhost:8000', 'http://localhost:8000'],
    ['http://localhost:8000/', 'http://localhost:8000'],
    ['sparse+http://localhost:8000/api/v1/crates/', 'http://localhost:8000'],
    ['sparse+http://localhost:8000/api/v1/crates', 'http://localhost:8000']
  ])('%s → %s', (given, base) => {
    expect(kellnrBaseUrl(given)).toBe(base)
  })
})
