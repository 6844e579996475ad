import { describe, expect, it } from '@jest/globals'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { UserError } from '../../src/errors.js'
import {
  artifactServiceAvailable,
  artifactStoreFrom,
  artifactStoreFromEnv,
  type ArtifactClientLike,
  type FindBy
} from '../../src/github/artifact.js'

class ArtifactNotFoundError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ArtifactNotFoundError'
  }
}

/** @actions/artifact's client, reduced to what the wrapper calls, recording every call. */
function fakeClient(artifacts: Record<string, number> = {}) {
  const calls: {
    op: string
    name?: string
    id?: number
    findBy?: FindBy
    path?: string
    files?: string[]
  }[] = []
  const client: ArtifactClientLike = {
    async uploadArtifact(name, files) {
      calls.push({ op: 'upload', name, files })
      return { id: 99 }
    },
    async getArtifact(name, options) {
      calls.push({ op: 'get', name, ...(options?.findBy ? { findBy: options.findBy } : {}) })
      const id = artifacts[name]
      if (id === undefined) throw new ArtifactNotFoundError(`Artifact not found for name: ${name}`)
      return { artifact: { id, name } }
    },
    async downloadArtifact(id, options) {
      calls.push({
        op: 'download',
        id,
        ...(options?.findBy ? { findBy: options.findBy } : {}),
        ...(options?.path ? { path: options.path } : {})
      })
      return { downloadPath: options?.path }
    },
    async deleteArtifact(name) {
      calls.push({ op: 'delete', name })
      if (artifacts[name] === undefined)
        throw new ArtifactNotFoundError(`Artifact not found for name: ${name}`)
      return { id: artifacts[name]! }
    }
  }
  return { client, calls }
}

const ENV = { GITHUB_REPOSITORY: 'octo/widgets' }

describe('ArtifactStore over @actions/artifact', () => {
  it('downloads from the current run without a token or findBy', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'sr-art-'))
    try {
      const { client, calls } = fakeClient({ proof: 7 })
      const result = await artifactStoreFrom(client, ENV).download('proof', {}, join(dest, 'state'))
      expect(result).toEqual({ kind: 'downloaded', id: 7, path: join(dest, 'state') })
      expect(calls).toEqual([
        { op: 'get', name: 'proof' },
        { op: 'download', id: 7, path: join(dest, 'state') }
      ])
      expect(existsSync(join(dest, 'state'))).toBe(true)
    } finally {
      rmSync(dest, { recursive: true, force: true })
    }
  })

  it('looks up another run in the same repository only, with the token', async () => {
    const { client, calls } = fakeClient({ proof: 7 })
    await artifactStoreFrom(client, ENV).download(
      'proof',
      { runId: 1234, token: 'gh-token' },
      tmpdir()
    )
    const findBy = {
      token: 'gh-token',
      workflowRunId: 1234,
      repositoryOwner: 'octo',
      repositoryName: 'widgets'
    }
    expect(calls.map(c => c.findBy)).toEqual([findBy, findBy])
  })

  it('reports a missing artifact as a result naming the run, not an error', async () => {
    const { client } = fakeClient()
    expect(
      await artifactStoreFrom(client, ENV).download('proof', { runId: 5, token: 't' }, tmpdir())
    ).toEqual({
      kind: 'missing',
      message: "no artifact 'proof' in run 5"
    })
  })

  it('reads the REST API’s 404 for a run this repository lacks as missing', async () => {
    const { client } = fakeClient()
    client.getArtifact = async () => {
      throw Object.assign(new Error('Not Found'), { name: 'HttpError', status: 404 })
    }
    expect(
      await artifactStoreFrom(client, ENV).download('proof', { runId: 5, token: 't' }, tmpdir())
    ).toEqual({ kind: 'missing', message: "no artifact 'proof' in run 5" })
  })

  it('lets a failing results service surface as an error, even one saying Not Found', async () => {
    const { client } = fakeClient()
    const broken = new Error(
      'Failed to ListArtifacts: Received non-retryable error: (404) Not Found'
    )
    client.getArtifact = async () => {
      throw broken
    }
    await expect(artifactStoreFrom(client, ENV).download('proof', {}, tmpdir())).rejects.toBe(
      broken
    )
  })

  it('needs a token and GITHUB_REPOSITORY to read another run', async () => {
    const { client } = fakeClient({ proof: 1 })
    await expect(
      artifactStoreFrom(client, ENV).download('proof', { runId: 5 }, tmpdir())
    ).rejects.toBeInstanceOf(UserError)
    await expect(
      artifactStoreFrom(client, {}).download('proof', { runId: 5, token: 't' }, tmpdir())
    ).rejects.toThrow(/GITHUB_REPOSITORY/)
  })

  it('replaces an artifact of the same name from an earlier attempt of the run', async () => {
    const { client, calls } = fakeClient({ 'proof-publish': 3 })
    const result = await artifactStoreFrom(client, ENV).upload(
      'proof-publish',
      ['/s/a.json'],
      '/s',
      {}
    )
    expect(result).toEqual({ id: 99 })
    expect(calls.map(c => c.op)).toEqual(['delete', 'upload'])
  })

  it('uploads when there was nothing to replace', async () => {
    const { client, calls } = fakeClient()
    await artifactStoreFrom(client, ENV).upload('fresh', ['/s/a.json'], '/s', { retentionDays: 3 })
    expect(calls.map(c => c.op)).toEqual(['delete', 'upload'])
  })

  it('exists only where the runner provides the artifact service', async () => {
    expect(artifactServiceAvailable({})).toBe(false)
    expect(artifactServiceAvailable({ ACTIONS_RUNTIME_TOKEN: 'x' })).toBe(false)
    expect(
      artifactServiceAvailable({ ACTIONS_RUNTIME_TOKEN: 'x', ACTIONS_RESULTS_URL: 'https://r' })
    ).toBe(true)
    expect(await artifactStoreFromEnv({})).toBeUndefined()
    const real = await artifactStoreFromEnv({
      ACTIONS_RUNTIME_TOKEN: 'x',
      ACTIONS_RESULTS_URL: 'https://r'
    })
    expect(typeof real?.download).toBe('function')
  })
})
