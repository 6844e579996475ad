import { randomBytes, randomUUID } from 'node:crypto'
import { startAzurite, type Azurite } from './azurite.js'
import { listen, type Listening } from './http.js'
import { signJwt } from './jwt.js'
import { OidcIssuer } from './oidc.js'
import { RestApi } from './rest.js'
import { ResultsService, type StoredArtifact } from './results.js'

export { OIDC_ISSUER } from './oidc.js'
export type { Fault } from './http.js'

/** A workflow run of a repository. */
export interface WorkflowRun {
  repository: string
  runId: number
  runBackendId: string
}

/** One job of one attempt of a run: what the runner hands a step. */
export interface Job extends WorkflowRun {
  attempt: number
  jobBackendId: string
  runtimeToken: string
  idTokenRequestToken: string
  sha: string
}

/**
 * GitHub's services for one test file, on loopback: the results service (artifacts and cache)
 * with azurite behind its signed URLs, the REST API, and the OIDC token endpoint. Start it in
 * beforeAll and close it in afterAll; nothing stays listening.
 */
export class GitHubStandIn {
  private readonly runs: WorkflowRun[] = []
  private readonly jobs: Job[] = []
  private readonly tokens = new Map<string, string>()
  private nextRunId = 900_001
  readonly results: ResultsService
  readonly api: RestApi
  readonly oidc: OidcIssuer

  private constructor(
    readonly storage: Azurite,
    private readonly servers: { results: Listening; api: Listening; oidc: Listening },
    parts: { results: ResultsService; api: RestApi; oidc: OidcIssuer },
    /** Signs runtime tokens; only the results service stand-in knows it. */
    private readonly runtimeSecret: string
  ) {
    this.results = parts.results
    this.api = parts.api
    this.oidc = parts.oidc
  }

  static async start(options: { now?: () => number } = {}): Promise<GitHubStandIn> {
    const storage = await startAzurite()
    const opened: Listening[] = []
    try {
      await storage.createContainer('actions-results')
      const runtimeSecret = randomBytes(32).toString('hex')
      // The services look runs, jobs and tokens up in the stand-in that owns them, made last.
      const owner: { self?: GitHubStandIn } = {}
      const results = new ResultsService(storage, runtimeSecret, id =>
        owner.self?.runs.find(r => r.runBackendId === id)
      )
      const api = new RestApi(
        storage,
        () => results.artifacts,
        token => owner.self?.tokens.get(token),
        runId => owner.self?.runs.find(r => r.runId === runId)?.repository
      )
      const oidc = new OidcIssuer(
        randomBytes(32).toString('hex'),
        token => owner.self?.jobs.find(j => j.idTokenRequestToken === token),
        options.now
      )
      const servers = {
        results: await listen((req, res) => results.handle(req, res)),
        api: await listen((req, res) => api.handle(req, res)),
        oidc: await listen((req, res) => oidc.handle(req, res))
      }
      opened.push(servers.results, servers.api, servers.oidc)
      owner.self = new GitHubStandIn(storage, servers, { results, api, oidc }, runtimeSecret)
      return owner.self
    } catch (error) {
      await Promise.all(opened.map(s => s.close()))
      await storage.close()
      throw error
    }
  }

  newRun(repository = 'octo/widgets'): WorkflowRun {
    const run = { repository, runId: this.nextRunId++, runBackendId: randomUUID() }
    this.runs.push(run)
    return run
  }

  /** A job of `run`; a re-run attempt gets a job of its own in the same run, as on GitHub. */
  job(run: WorkflowRun, attempt = 1, sha = 'a'.repeat(40)): Job {
    const jobBackendId = randomUUID()
    const job: Job = {
      ...run,
      attempt,
      jobBackendId,
      sha,
      idTokenRequestToken: `id-token-request-${randomBytes(8).toString('hex')}`,
      runtimeToken: signJwt(
        {
          scp: `Actions.GenericRead:${run.runBackendId} Actions.Results:${run.runBackendId}:${jobBackendId}`,
          iat: Math.floor(Date.now() / 1000),
          exp: Math.floor(Date.now() / 1000) + 6 * 3600
        },
        this.runtimeSecret
      )
    }
    this.jobs.push(job)
    return job
  }

  /** A runtime token this stand-in signed, with any `scp` claim: for testing its checks. */
  signedRuntimeToken(scp: string): string {
    const now = Math.floor(Date.now() / 1000)
    return signJwt({ scp, iat: now, exp: now + 3600 }, this.runtimeSecret)
  }

  /** Where the services listen. */
  get urls(): { results: string; api: string; oidc: string } {
    return {
      results: this.servers.results.url,
      api: this.servers.api.url,
      oidc: this.servers.oidc.url
    }
  }

  /** The `${{ github.token }}` of a repository's workflow runs. */
  githubToken(repository = 'octo/widgets'): string {
    for (const [token, repo] of this.tokens) if (repo === repository) return token
    const token = `ghs_${randomBytes(18).toString('hex')}`
    this.tokens.set(token, repository)
    return token
  }

  /** The variables the runner gives a JavaScript action's step of `job`. */
  runnerEnv(job: Job): Record<string, string> {
    const [owner] = job.repository.split('/')
    return {
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      GITHUB_REPOSITORY: job.repository,
      GITHUB_REPOSITORY_OWNER: owner as string,
      GITHUB_RUN_ID: String(job.runId),
      GITHUB_RUN_ATTEMPT: String(job.attempt),
      GITHUB_SHA: job.sha,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: this.servers.api.url,
      ACTIONS_RUNTIME_TOKEN: job.runtimeToken,
      ACTIONS_RESULTS_URL: `${this.servers.results.url}/`,
      ACTIONS_CACHE_SERVICE_V2: 'True',
      ACTIONS_ID_TOKEN_REQUEST_URL: `${this.servers.oidc.url}/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: job.idTokenRequestToken,
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64'
    }
  }

  /**
   * Puts a copy of `artifact` into `run`, as if that run had uploaded the same files: how a test
   * gets a valid proof into another repository without rehearsing there.
   */
  copyArtifact(artifact: StoredArtifact, run: WorkflowRun): StoredArtifact {
    const copy = { ...artifact, ...run, id: this.results.allocateId() }
    this.results.artifacts.push(copy)
    return copy
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.servers).map(s => s.close()))
    await this.storage.close()
  }
}
