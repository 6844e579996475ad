import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Azurite } from './azurite.js'
import { bearer, delay, Faults, readBody, sendJson, type Call } from './http.js'
import { verifyJwt } from './jwt.js'

/**
 * The Actions results service, as the Twirp JSON endpoints @actions/artifact 6 and @actions/cache 6
 * call (`POST /twirp/github.actions.results.api.v1.<Service>/<Method>`, snake_case JSON), with
 * the checks that matter to a caller: the runtime token must be signed by this service and carry
 * an `Actions.Results:<run>:<job>` scope, artifact calls must name that run and job, an artifact
 * name is unique within a run, and an upload is only finalized once the blob it claims is in
 * storage with the size and digest it claims. Blobs live in azurite, reached through signed URLs.
 */

export const ARTIFACT_SERVICE = 'github.actions.results.api.v1.ArtifactService'
export const CACHE_SERVICE = 'github.actions.results.api.v1.CacheService'
export const CONTAINER = 'actions-results'

/** One workflow run attempt's job, as the runtime token identifies it. */
export interface JobIdentity {
  repository: string
  runId: number
  runBackendId: string
  jobBackendId: string
}

export interface StoredArtifact {
  id: number
  name: string
  repository: string
  runId: number
  runBackendId: string
  jobBackendId: string
  blob: string
  size: number
  digest?: string
  createdAt: Date
  expiresAt?: Date
  finalized: boolean
}

export interface CacheEntry {
  id: number
  key: string
  version: string
  repository: string
  blob: string
  size: number
  createdAt: Date
  finalized: boolean
}

const TWIRP_CODES: Record<number, string> = {
  400: 'invalid_argument',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  409: 'already_exists',
  429: 'resource_exhausted',
  500: 'internal',
  501: 'unimplemented',
  503: 'unavailable'
}

class TwirpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

/** Twirp JSON sends int64 as strings and wrapper types (StringValue, Int64Value) as bare values. */
function int(value: unknown): number {
  const n = typeof value === 'string' || typeof value === 'number' ? Number(value) : NaN
  if (!Number.isSafeInteger(n)) throw new TwirpError(400, `not an integer: ${String(value)}`)
  return n
}

export class ResultsService {
  readonly artifacts: StoredArtifact[] = []
  readonly cacheEntries: CacheEntry[] = []
  readonly calls: Call[] = []
  readonly faults = new Faults()
  private nextId = 7001

  constructor(
    private readonly storage: Azurite,
    private readonly secret: string,
    /** Which repository a run belongs to, by its backend id. */
    private readonly runs: (
      runBackendId: string
    ) => { repository: string; runId: number } | undefined
  ) {}

  allocateId(): number {
    return this.nextId++
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/twirp\/([\w.]+)\/(\w+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname)
    const operation = match?.[2] ?? 'unknown'
    const reply = (status: number, body: unknown) => {
      this.calls.push({ operation, status })
      sendJson(res, status, body)
    }
    try {
      if (req.method !== 'POST' || !match) throw new TwirpError(404, 'no such route')
      const body = JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>
      const job = this.authenticate(req)
      const fault = this.faults.take(operation)
      if (fault?.delayMs) await delay(fault.delayMs)
      if (fault?.status) throw new TwirpError(fault.status, fault.message ?? 'injected failure')
      const service = match[1]
      const answer =
        service === ARTIFACT_SERVICE
          ? await this.artifactCall(operation, body, job)
          : service === CACHE_SERVICE
            ? await this.cacheCall(operation, body, job)
            : undefined
      if (answer === undefined) throw new TwirpError(404, `no method ${service}/${operation}`)
      reply(200, answer)
    } catch (error) {
      const status = error instanceof TwirpError ? error.status : 500
      const msg = error instanceof Error ? error.message : String(error)
      reply(status, { code: TWIRP_CODES[status] ?? 'unknown', msg })
    }
  }

  private authenticate(req: IncomingMessage): JobIdentity {
    const claims = verifyJwt(bearer(req) ?? '', this.secret)
    if (!claims) throw new TwirpError(401, 'invalid runtime token')
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) {
      throw new TwirpError(401, 'runtime token expired')
    }
    const scope = text(claims.scp)
      .split(' ')
      .map(s => s.split(':'))
      .find(parts => parts[0] === 'Actions.Results' && parts.length === 3)
    const run = scope ? this.runs(scope[1] as string) : undefined
    if (!scope || !run) throw new TwirpError(403, 'the runtime token has no Actions.Results scope')
    return { ...run, runBackendId: scope[1] as string, jobBackendId: scope[2] as string }
  }

  /**
   * Artifact calls name a run and a job. The run must be the token's; an upload must come from
   * the token's own job, while reading or deleting names the job that uploaded the artifact,
   * which may be another job (or attempt) of the same run.
   */
  private sameRun(body: Record<string, unknown>, job: JobIdentity, ownJob: boolean): void {
    if (
      body.workflow_run_backend_id !== job.runBackendId ||
      (ownJob && body.workflow_job_run_backend_id !== job.jobBackendId)
    ) {
      throw new TwirpError(403, 'the backend ids do not match the runtime token')
    }
  }

  private live(job: JobIdentity): StoredArtifact[] {
    return this.artifacts.filter(a => a.runBackendId === job.runBackendId)
  }

  private async artifactCall(
    method: string,
    body: Record<string, unknown>,
    job: JobIdentity
  ): Promise<unknown> {
    this.sameRun(body, job, method === 'CreateArtifact' || method === 'FinalizeArtifact')
    const name = text(body.name)
    switch (method) {
      case 'CreateArtifact': {
        if (!name) throw new TwirpError(400, 'name is required')
        if (this.live(job).some(a => a.name === name)) {
          throw new TwirpError(409, `an artifact with this name already exists on the workflow run`)
        }
        const id = this.allocateId()
        const artifact: StoredArtifact = {
          id,
          name,
          repository: job.repository,
          runId: job.runId,
          runBackendId: job.runBackendId,
          jobBackendId: job.jobBackendId,
          blob: `${job.runBackendId}/${id}.zip`,
          size: 0,
          createdAt: new Date(),
          finalized: false,
          ...(body.expires_at ? { expiresAt: new Date(text(body.expires_at)) } : {})
        }
        this.artifacts.push(artifact)
        return {
          ok: true,
          signed_upload_url: this.storage.signedUrl(CONTAINER, artifact.blob, 'cw')
        }
      }
      case 'FinalizeArtifact': {
        const artifact = this.live(job).find(a => a.name === name && !a.finalized)
        if (!artifact) throw new TwirpError(404, `no artifact '${name}' is being uploaded`)
        const bytes = await this.storage.read(CONTAINER, artifact.blob)
        const size = int(body.size)
        if (!bytes || bytes.length !== size) {
          throw new TwirpError(400, `the uploaded blob is not ${size} bytes`)
        }
        const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
        if (body.hash !== undefined && body.hash !== digest) {
          throw new TwirpError(400, 'the uploaded blob does not match its hash')
        }
        Object.assign(artifact, { size, digest, finalized: true })
        return { ok: true, artifact_id: String(artifact.id) }
      }
      case 'ListArtifacts': {
        const nameFilter = body.name_filter === undefined ? undefined : text(body.name_filter)
        const idFilter = body.id_filter === undefined ? undefined : int(body.id_filter)
        return {
          artifacts: this.live(job)
            .filter(a => a.finalized)
            .filter(a => nameFilter === undefined || a.name === nameFilter)
            .filter(a => idFilter === undefined || a.id === idFilter)
            .map(a => ({
              workflow_run_backend_id: a.runBackendId,
              workflow_job_run_backend_id: a.jobBackendId,
              database_id: String(a.id),
              name: a.name,
              size: String(a.size),
              created_at: a.createdAt.toISOString(),
              ...(a.digest ? { digest: a.digest } : {})
            }))
        }
      }
      case 'GetSignedArtifactURL': {
        const artifact = this.live(job).find(a => a.name === name && a.finalized)
        if (!artifact) throw new TwirpError(404, `no artifact '${name}'`)
        return { signed_url: this.storage.signedUrl(CONTAINER, artifact.blob, 'r') }
      }
      case 'DeleteArtifact': {
        const artifact = this.live(job).find(a => a.name === name && a.finalized)
        if (!artifact) throw new TwirpError(404, `no artifact '${name}'`)
        this.artifacts.splice(this.artifacts.indexOf(artifact), 1)
        return { ok: true, artifact_id: String(artifact.id) }
      }
      default:
        return undefined
    }
  }

  /** The cache is scoped to the repository of the token's run. */
  private async cacheCall(
    method: string,
    body: Record<string, unknown>,
    job: JobIdentity
  ): Promise<unknown> {
    const key = text(body.key)
    const version = text(body.version)
    if (!key || !version) throw new TwirpError(400, 'key and version are required')
    const entries = this.cacheEntries.filter(
      e => e.repository === job.repository && e.version === version
    )
    switch (method) {
      case 'GetCacheEntryDownloadURL': {
        const done = entries.filter(e => e.finalized).sort((a, b) => b.id - a.id)
        const restoreKeys = Array.isArray(body.restore_keys) ? body.restore_keys.map(text) : []
        const hit =
          done.find(e => e.key === key) ??
          restoreKeys.map(prefix => done.find(e => e.key.startsWith(prefix))).find(Boolean)
        if (!hit) return { ok: false }
        return {
          ok: true,
          signed_download_url: this.storage.signedUrl(CONTAINER, hit.blob, 'r'),
          matched_key: hit.key
        }
      }
      case 'CreateCacheEntry': {
        if (entries.some(e => e.key === key)) {
          throw new TwirpError(
            409,
            'cache entry with the same key, version, and scope already exists'
          )
        }
        const id = this.allocateId()
        const blob = `cache/${id}.tar`
        this.cacheEntries.push({
          id,
          key,
          version,
          repository: job.repository,
          blob,
          size: 0,
          createdAt: new Date(),
          finalized: false
        })
        return { ok: true, signed_upload_url: this.storage.signedUrl(CONTAINER, blob, 'cw') }
      }
      case 'FinalizeCacheEntryUpload': {
        const entry = entries.find(e => e.key === key && !e.finalized)
        if (!entry) throw new TwirpError(404, `no cache entry '${key}' is being uploaded`)
        const bytes = await this.storage.read(CONTAINER, entry.blob)
        const size = int(body.size_bytes)
        if (!bytes || bytes.length !== size) {
          throw new TwirpError(400, `the uploaded cache archive is not ${size} bytes`)
        }
        Object.assign(entry, { size, finalized: true })
        return { ok: true, entry_id: String(entry.id) }
      }
      default:
        return undefined
    }
  }
}
