import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Azurite } from './azurite.js'
import { bearer, delay, Faults, readBody, sendJson, type Call } from './http.js'
import { CONTAINER, type StoredArtifact } from './results.js'

/**
 * The REST API routes this action reaches (GITHUB_API_URL): a run's artifacts and the zip
 * redirect that a cross-run download uses, and commit statuses. A token works only for the
 * repository it was issued to, as a workflow's GITHUB_TOKEN does; another repository's runs and
 * artifacts answer 404, as GitHub answers for what a token cannot see.
 */

export interface PostedStatus {
  repository: string
  sha: string
  state: string
  context: string
  description?: string
  target_url?: string
}

export class RestApi {
  readonly statuses: PostedStatus[] = []
  readonly calls: Call[] = []
  readonly faults = new Faults()

  constructor(
    private readonly storage: Azurite,
    private readonly artifacts: () => StoredArtifact[],
    /** The repository a token was issued to. */
    private readonly repositoryOf: (token: string) => string | undefined,
    /** The repository a workflow run belongs to. */
    private readonly runRepository: (runId: number) => string | undefined
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    const route = this.route(req.method ?? 'GET', url.pathname)
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.calls.push({ operation: route?.name ?? 'unknown', status })
      sendJson(res, status, body, headers)
    }
    if (!route) return reply(404, { message: 'Not Found' })
    const body = await readBody(req)
    const tokenRepository = this.repositoryOf(bearer(req) ?? '')
    if (!tokenRepository) return reply(401, { message: 'Bad credentials' })
    if (tokenRepository !== route.repository) return reply(404, { message: 'Not Found' })
    const fault = this.faults.take(route.name)
    if (fault?.delayMs) await delay(fault.delayMs)
    if (fault?.status) return reply(fault.status, { message: fault.message ?? 'injected failure' })

    const mine = this.artifacts().filter(a => a.finalized && a.repository === route.repository)
    switch (route.name) {
      case 'list-run-artifacts': {
        const name = url.searchParams.get('name')
        if (this.runRepository(route.id) !== route.repository) {
          return reply(404, { message: 'Not Found' })
        }
        const found = mine.filter(a => a.runId === route.id && (!name || a.name === name))
        return reply(200, { total_count: found.length, artifacts: found.map(restArtifact) })
      }
      case 'download-artifact': {
        const artifact = mine.find(a => a.id === route.id)
        if (!artifact) return reply(404, { message: 'Not Found' })
        this.calls.push({ operation: route.name, status: 302 })
        res.writeHead(302, { location: this.storage.signedUrl(CONTAINER, artifact.blob, 'r') })
        res.end()
        return
      }
      case 'create-status': {
        const parsed = JSON.parse(body || '{}') as Omit<PostedStatus, 'repository' | 'sha'>
        if (!['pending', 'success', 'failure', 'error'].includes(parsed.state)) {
          return reply(422, { message: 'Validation Failed' })
        }
        this.statuses.push({ ...parsed, repository: route.repository, sha: route.sha ?? '' })
        return reply(201, { ...parsed, id: this.statuses.length })
      }
    }
  }

  private route(
    method: string,
    path: string
  ):
    | {
        name: 'list-run-artifacts' | 'download-artifact' | 'create-status'
        repository: string
        id: number
        sha?: string
      }
    | undefined {
    let m = /^\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)\/artifacts$/.exec(path)
    if (m && method === 'GET')
      return { name: 'list-run-artifacts', repository: m[1] as string, id: Number(m[2]) }
    m = /^\/repos\/([^/]+\/[^/]+)\/actions\/artifacts\/(\d+)\/zip$/.exec(path)
    if (m && method === 'GET')
      return { name: 'download-artifact', repository: m[1] as string, id: Number(m[2]) }
    m = /^\/repos\/([^/]+\/[^/]+)\/statuses\/([0-9a-f]{40})$/.exec(path)
    if (m && method === 'POST')
      return { name: 'create-status', repository: m[1] as string, id: 0, sha: m[2] as string }
    return undefined
  }
}

function restArtifact(a: StoredArtifact) {
  return {
    id: a.id,
    name: a.name,
    size_in_bytes: a.size,
    expired: false,
    created_at: a.createdAt.toISOString(),
    expires_at: a.expiresAt?.toISOString() ?? null,
    digest: a.digest ?? null,
    workflow_run: { id: a.runId }
  }
}
