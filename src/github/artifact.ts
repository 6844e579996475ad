import { mkdirSync } from 'node:fs'
import { UserError } from '../errors.js'
import type { ArtifactSource, ArtifactStore } from '../record/artifacts.js'

/** The subset of @actions/artifact's client this module calls; tests give a typed fake. */
export interface ArtifactClientLike {
  uploadArtifact(
    name: string,
    files: string[],
    rootDirectory: string,
    options?: { retentionDays?: number }
  ): Promise<{ id?: number }>
  getArtifact(
    name: string,
    options?: { findBy?: FindBy }
  ): Promise<{ artifact: { id: number; name: string } }>
  downloadArtifact(
    id: number,
    options?: { path?: string; findBy?: FindBy }
  ): Promise<{ downloadPath?: string }>
  deleteArtifact(name: string, options?: { findBy?: FindBy }): Promise<{ id: number }>
}

export interface FindBy {
  token: string
  workflowRunId: number
  repositoryOwner: string
  repositoryName: string
}

/** The runner hands these only to JavaScript actions; without them the service is unreachable. */
export function artifactServiceAvailable(env: Record<string, string | undefined>): boolean {
  return Boolean(env.ACTIONS_RUNTIME_TOKEN && env.ACTIONS_RESULTS_URL)
}

/**
 * An answer that the artifact is not there: the client's own not-found error, or the REST API's
 * 404 for a run this repository does not have. The results service answering 404 is a broken
 * call, not an answer, and must not read as "no proof was ever made".
 */
function isNotFound(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  if (error.name === 'ArtifactNotFoundError') return true
  return error.name === 'HttpError' && (error as Error & { status?: unknown }).status === 404
}

function currentRepository(env: Record<string, string | undefined>): {
  owner: string
  name: string
} {
  const [owner, name, ...rest] = (env.GITHUB_REPOSITORY ?? '').split('/')
  if (!owner || !name || rest.length > 0) {
    throw new UserError(
      'cannot download a rehearsal artifact from another run: GITHUB_REPOSITORY is not set',
      'run inside GitHub Actions, or leave `rehearsal-run-id` empty to use the current run',
      2
    )
  }
  return { owner, name }
}

/**
 * Wraps an @actions/artifact client. Another run is always looked up in GITHUB_REPOSITORY: no
 * input can point the proof at a different repository.
 */
export function artifactStoreFrom(
  client: ArtifactClientLike,
  env: Record<string, string | undefined>
): ArtifactStore {
  const findByFor = (from: ArtifactSource): FindBy | undefined => {
    if (from.runId === undefined) return undefined
    if (!from.token) {
      throw new UserError(
        `downloading the artifact of run ${from.runId} needs a token`,
        'pass `github-token` (the default ${{ github.token }} works with `actions: read`)',
        2
      )
    }
    const repo = currentRepository(env)
    return {
      token: from.token,
      workflowRunId: from.runId,
      repositoryOwner: repo.owner,
      repositoryName: repo.name
    }
  }
  return {
    async upload(name, files, root, options) {
      // A rerun of the job reuses the run: an artifact of the same name would make the upload fail.
      try {
        await client.deleteArtifact(name)
      } catch (error) {
        if (!isNotFound(error)) throw error
      }
      const response = await client.uploadArtifact(name, files, root, {
        ...(options.retentionDays !== undefined ? { retentionDays: options.retentionDays } : {})
      })
      return { id: response.id }
    },
    async download(name, from, destDir) {
      const findBy = findByFor(from)
      const where = from.runId === undefined ? 'the current run' : `run ${from.runId}`
      let id: number
      try {
        id = (await client.getArtifact(name, findBy ? { findBy } : {})).artifact.id
      } catch (error) {
        if (isNotFound(error))
          return { kind: 'missing', message: `no artifact '${name}' in ${where}` }
        throw error
      }
      mkdirSync(destDir, { recursive: true })
      const response = await client.downloadArtifact(
        id,
        findBy ? { path: destDir, findBy } : { path: destDir }
      )
      return { kind: 'downloaded', id, path: response.downloadPath ?? destDir }
    }
  }
}

/** The real store, or undefined outside an Actions job (CLI, local runs). */
export async function artifactStoreFromEnv(
  env: Record<string, string | undefined> = process.env
): Promise<ArtifactStore | undefined> {
  if (!artifactServiceAvailable(env)) return undefined
  const { DefaultArtifactClient } = await import('@actions/artifact')
  return artifactStoreFrom(new DefaultArtifactClient(), env)
}
