/**
 * The registry's HTTP API in kellnr's URL layout: health, the sparse index with
 * config.json, publish, download, yank/unyank, owners, search, and crates.io's trusted-publishing
 * token exchange. Faults are consulted after authentication, before the real answer.
 */
import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { z } from 'zod'
import type { Clock } from '../clock.js'
import { indexFilePath, type IndexEntry } from '../sparse/client.js'
import { AUTH_INVALID, AUTH_MISSING, identify, tokenFromHeader, type Caller } from './auth.js'
import type { Faults } from './faults.js'
import { readBody, readJsonBody, send, sendError, sendInjected, sendJson } from './http.js'
import { buildIndexEntry } from './index-line.js'
import { parsePublishBody } from './publish-body.js'
import { compareVersions, isSemver } from '../util/semver.js'
import { renderIndexFile, type CrateRecord, type Mutex, type Storage } from './storage.js'
import { TRUSTED_TOKEN_PREFIX, type TrustedPublishing } from './trusted.js'
import {
  canonicalName,
  checkAgainstRegistry,
  checkIdentity,
  checkMetadataStrict,
  MAX_BODY_BYTES,
  MAX_UPLOAD_BYTES,
  tooLarge,
  type Rejection
} from './validate.js'

export interface RegistryState {
  storage: Storage
  faults: Faults
  trusted: TrustedPublishing
  mutex: Mutex
  clock: Clock
  token: string
  strict: boolean
  authRequired: boolean
  /** `http://127.0.0.1:PORT`, known once the server listens. */
  url: string
}

const TRUSTED_NEW_CRATE =
  'Trusted Publishing tokens do not support creating new crates. Publish the crate manually, first'
const TRUSTED_NOT_PUBLISH = 'Trusted Publishing tokens can only be used to publish new versions'
const NAME = /^[A-Za-z0-9_-]+$/
const CRATES = '/api/v1/crates'

const ownersBodySchema = z.object({ users: z.array(z.string()).min(1) })
const exchangeBodySchema = z.object({ jwt: z.string() })

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void> | void

function segment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw)
  } catch {
    return undefined
  }
}

function maxVersion(record: CrateRecord): string {
  const live = record.entries.filter(e => !e.yanked)
  const pool = live.length > 0 ? live : record.entries
  return pool.map(e => e.vers).reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b), '0.0.0')
}

export function createApi(state: RegistryState) {
  const renderCache = new WeakMap<CrateRecord, { body: string; etag: string }>()

  const caller = (req: IncomingMessage): Caller =>
    identify(req.headers.authorization, state.token, state.trusted)

  /** Rejects (and answers) unless the caller holds the owner token. */
  function requireOwner(req: IncomingMessage, res: ServerResponse): boolean {
    const who = caller(req)
    if (who.kind === 'owner') return true
    if (who.kind === 'anonymous') sendError(res, 401, AUTH_MISSING)
    else if (who.kind === 'trusted') sendError(res, 403, TRUSTED_NOT_PUBLISH)
    else sendError(res, 403, AUTH_INVALID)
    return false
  }

  /** In auth-required mode, every read needs a valid token too. */
  function allowRead(req: IncomingMessage, res: ServerResponse): boolean {
    if (!state.authRequired) return true
    const who = caller(req)
    if (who.kind === 'owner' || who.kind === 'trusted') return true
    if (who.kind === 'anonymous') sendError(res, 401, AUTH_MISSING)
    else sendError(res, 403, AUTH_INVALID)
    return false
  }

  function reject(res: ServerResponse, rejection: Rejection): void {
    sendError(res, rejection.status, rejection.detail)
  }

  const indexUrl = () => `sparse+${state.url}${CRATES}/`

  const health: Handler = (_req, res) =>
    send(res, 200, 'OK', { 'content-type': 'text/plain; charset=utf-8' })

  const config: Handler = (req, res) => {
    if (!allowRead(req, res)) return
    sendJson(res, 200, {
      dl: `${state.url}${CRATES}/dl`,
      api: state.url,
      'auth-required': state.authRequired
    })
  }

  function renderVisible(record: CrateRecord): { body: string; etag: string } | null {
    const { faults } = state
    if (!faults.filtersIndex) {
      const cached = renderCache.get(record)
      if (cached) return cached
    }
    const entries: IndexEntry[] = faults.filtersIndex
      ? record.entries.filter(e => faults.isVisible(e.name, e.vers, e.pubtime))
      : record.entries
    if (entries.length === 0) return null
    const body = renderIndexFile(entries)
    const rendered = { body, etag: `"${createHash('sha256').update(body).digest('hex')}"` }
    if (!faults.filtersIndex) renderCache.set(record, rendered)
    return rendered
  }

  const indexFile = (req: IncomingMessage, res: ServerResponse, name: string) => {
    if (!allowRead(req, res)) return
    const injected = state.faults.takeFailure('index', name)
    if (injected) return sendInjected(res, injected)
    const record = state.storage.get(name)
    const rendered = record ? renderVisible(record) : null
    if (!rendered) return sendError(res, 404, 'Not Found')
    const headers = { etag: rendered.etag, 'cache-control': 'no-cache' }
    if (req.headers['if-none-match'] === rendered.etag) return send(res, 304, '', headers)
    send(res, 200, rendered.body, { 'content-type': 'text/plain; charset=utf-8', ...headers })
  }

  const download: Handler = async (req, res, [name = '', version = '']) => {
    if (!allowRead(req, res)) return
    const injected = state.faults.takeFailure('download', name)
    if (injected) return sendInjected(res, injected)
    const bytes = isSemver(version) ? await state.storage.readCrate(name, version) : null
    if (!bytes)
      return sendError(res, 404, `crate \`${name}\` does not have a version \`${version}\``)
    send(res, 200, bytes, { 'content-type': 'application/x-tar' })
  }

  const publish: Handler = async (req, res) => {
    const read = await readBody(req, MAX_BODY_BYTES)
    if (!read.ok) return reject(res, tooLarge)
    const parsed = parsePublishBody(read.body)
    if (!parsed.ok) return sendError(res, 400, parsed.detail)
    const { metadata, crate } = parsed
    const identity = checkIdentity(metadata, state.strict)
    if (identity) return reject(res, identity)

    const who = caller(req)
    if (who.kind === 'anonymous') return sendError(res, 401, AUTH_MISSING)
    if (who.kind === 'invalid') return sendError(res, 403, AUTH_INVALID)
    const find = (n: string) =>
      state.strict ? state.storage.getCanonical(n) : state.storage.get(n)
    if (who.kind === 'trusted' && !find(metadata.name)) {
      return sendError(res, 403, TRUSTED_NEW_CRATE)
    }

    const injected = state.faults.takeFailure('publish', metadata.name)
    if (injected) return sendInjected(res, injected)

    if (state.strict) {
      const problem = checkMetadataStrict(metadata, crate.length, indexUrl())
      if (problem) return reject(res, problem)
    } else if (crate.length > MAX_UPLOAD_BYTES) {
      return reject(res, tooLarge)
    }

    const outcome = await state.mutex.run(async (): Promise<Rejection | { drop: boolean }> => {
      const problem = checkAgainstRegistry(
        metadata,
        {
          find: n => {
            const r = find(n)
            return r && { name: r.name, versions: r.entries.map(e => e.vers) }
          },
          hasExact: n => state.storage.get(n)?.name === n
        },
        state.strict
      )
      if (problem) return problem
      const cksum = createHash('sha256').update(crate).digest('hex')
      const entry = buildIndexEntry(metadata, cksum, state.clock.now())
      await state.storage.addVersion(entry, crate, metadata.description ?? null)
      return { drop: state.faults.recordUpload(metadata.name, metadata.vers) }
    })
    if ('detail' in outcome) return reject(res, outcome)
    if (outcome.drop) {
      req.socket.destroy()
      return
    }
    sendJson(res, 200, { warnings: { invalid_categories: [], invalid_badges: [], other: [] } })
  }

  const yank =
    (yanked: boolean): Handler =>
    async (req, res, [name = '', version = '']) => {
      if (!requireOwner(req, res)) return
      const record = state.storage.get(name)
      if (!record) return sendError(res, 404, `crate \`${name}\` does not exist`)
      const done = await state.mutex.run(() => state.storage.setYanked(name, version, yanked))
      if (!done) {
        return sendError(res, 404, `crate \`${name}\` does not have a version \`${version}\``)
      }
      sendJson(res, 200, { ok: true })
    }

  const owners: Handler = async (req, res, [name = '']) => {
    const record = state.storage.get(name)
    if (req.method === 'GET') {
      if (!allowRead(req, res)) return
      if (!record) return sendError(res, 404, `crate \`${name}\` does not exist`)
      return sendJson(res, 200, {
        users: record.owners.map((login, i) => ({ id: i + 1, login, name: login, kind: 'user' }))
      })
    }
    if (!requireOwner(req, res)) return
    const body = await readJsonBody(req, 64 * 1024)
    const parsed = ownersBodySchema.safeParse(body)
    if (!parsed.success) return sendError(res, 400, 'invalid json request')
    if (!record) return sendError(res, 404, `crate \`${name}\` does not exist`)
    const adding = req.method === 'PUT'
    const logins = parsed.data.users
    const next = adding
      ? [...new Set([...record.owners, ...logins])]
      : record.owners.filter(o => !logins.includes(o))
    if (next.length === 0)
      return sendError(res, 400, 'cannot remove all individual owners of a crate')
    await state.mutex.run(() => state.storage.setOwners(name, next))
    const msg = adding
      ? logins.map(l => `user ${l} has been added as an owner of crate ${record.name}`).join(',')
      : 'owners successfully removed'
    sendJson(res, 200, { ok: true, msg })
  }

  const search: Handler = (req, res) => {
    if (!allowRead(req, res)) return
    const params = new URL(req.url ?? '/', 'http://localhost').searchParams
    const q = canonicalName(params.get('q') ?? '')
    const perPage = Math.min(Math.max(Number(params.get('per_page')) || 10, 1), 100)
    const hits = state.storage
      .all()
      .filter(r => canonicalName(r.name).includes(q))
      .sort((a, b) => a.name.localeCompare(b.name))
    sendJson(res, 200, {
      crates: hits.slice(0, perPage).map(r => ({
        name: r.name,
        max_version: maxVersion(r),
        description: r.description
      })),
      meta: { total: hits.length }
    })
  }

  const crateInfo: Handler = (req, res, [name = '']) => {
    if (!allowRead(req, res)) return
    const record = state.storage.get(name)
    if (!record) return sendError(res, 404, `crate \`${name}\` does not exist`)
    sendJson(res, 200, {
      crate: {
        id: record.name,
        name: record.name,
        max_version: maxVersion(record),
        description: record.description
      },
      versions: record.entries.map(e => ({
        crate: record.name,
        num: e.vers,
        yanked: e.yanked,
        checksum: e.cksum
      }))
    })
  }

  const exchangeToken: Handler = async (req, res) => {
    const body = await readJsonBody(req, 64 * 1024)
    const parsed = exchangeBodySchema.safeParse(body)
    if (!parsed.success) {
      return sendError(res, 400, 'Failed to deserialize the JSON body into the target type: jwt')
    }
    const result = state.trusted.exchange(parsed.data.jwt)
    if (!result.ok) return sendError(res, 400, result.detail)
    sendJson(res, 200, { token: result.token })
  }

  const revokeToken: Handler = (req, res) => {
    const token = tokenFromHeader(req.headers.authorization)
    if (token === undefined) return sendError(res, 401, AUTH_MISSING)
    if (!token.startsWith(TRUSTED_TOKEN_PREFIX)) {
      return sendError(res, 401, 'Invalid `Authorization` header: Failed to parse token')
    }
    state.trusted.revoke(token)
    res.writeHead(204)
    res.end()
  }

  const routes: Array<[string, RegExp, Handler]> = [
    ['GET', /^\/api\/v1\/health$/, health],
    ['GET', /^\/api\/v1\/crates\/config\.json$/, config],
    ['PUT', /^\/api\/v1\/crates\/new$/, publish],
    ['GET', /^\/api\/v1\/crates\/dl\/([^/]+)\/([^/]+)\/download$/, download],
    ['DELETE', /^\/api\/v1\/crates\/([^/]+)\/([^/]+)\/yank$/, yank(true)],
    ['PUT', /^\/api\/v1\/crates\/([^/]+)\/([^/]+)\/unyank$/, yank(false)],
    ['GET', /^\/api\/v1\/crates\/([^/]+)\/owners$/, owners],
    ['PUT', /^\/api\/v1\/crates\/([^/]+)\/owners$/, owners],
    ['DELETE', /^\/api\/v1\/crates\/([^/]+)\/owners$/, owners],
    ['GET', /^\/api\/v1\/crates$/, search],
    ['GET', /^\/api\/v1\/crates\/([^/]+)$/, crateInfo],
    ['POST', /^\/api\/v1\/trusted_publishing\/tokens$/, exchangeToken],
    ['DELETE', /^\/api\/v1\/trusted_publishing\/tokens$/, revokeToken]
  ]

  /** `/api/v1/crates/<prefix>/<name>` with exactly the prefix cargo computes, else undefined. */
  function indexName(pathname: string): string | undefined {
    if (!pathname.startsWith(`${CRATES}/`)) return undefined
    const rest = pathname.slice(CRATES.length + 1)
    const name = rest.slice(rest.lastIndexOf('/') + 1)
    if (!NAME.test(name)) return undefined
    return indexFilePath(name) === rest ? name : undefined
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname
    const method = req.method ?? 'GET'
    const indexed = method === 'GET' ? indexName(pathname) : undefined
    if (indexed !== undefined) return indexFile(req, res, indexed)
    let pathKnown = false
    for (const [m, pattern, handler] of routes) {
      const match = pattern.exec(pathname)
      if (!match) continue
      pathKnown = true
      if (m !== method) continue
      const params = match.slice(1).map(segment)
      if (params.some(p => p === undefined || !/^[A-Za-z0-9_.+-]+$/.test(p))) {
        return sendError(res, 404, 'Not Found')
      }
      return handler(req, res, params as string[])
    }
    // A GET that matches nothing is a 404 even where other methods exist: a wrong index prefix
    // must look like an unknown file.
    if (pathKnown && method !== 'GET') {
      return sendError(res, 405, `method ${method} not allowed here`)
    }
    sendError(res, 404, 'Not Found')
  }

  function request(req: IncomingMessage, res: ServerResponse): void {
    dispatch(req, res).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) {
        res.destroy()
        return
      }
      const message = error instanceof Error ? error.message : String(error)
      sendError(res, 500, `internal error: ${message}`)
    })
  }

  /** curl asks before sending a large upload: refuse an oversized one without receiving it. */
  function checkContinue(req: IncomingMessage, res: ServerResponse): void {
    const length = Number(req.headers['content-length'])
    if (req.method === 'PUT' && Number.isFinite(length) && length > MAX_BODY_BYTES) {
      sendError(res, 413, tooLarge.detail, { connection: 'close' })
      return
    }
    res.writeContinue()
    request(req, res)
  }

  return { request, checkContinue }
}
