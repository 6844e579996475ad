import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  DESCRIPTION_MAX,
  STATUS_CONTEXT,
  pendingStatus,
  postCommitStatus,
  statusForResult
} from '../../src/github/status.js'
import { baseResult, outcomes } from './fixtures.js'

const HEAD = 'a'.repeat(40)
const MERGE = 'b'.repeat(40)
const TOKEN = 'ghs_secret_token_value'

interface Recorded {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: unknown
}

/** A stand-in for the statuses endpoint of the GitHub REST API that records what it receives. */
let server: Server
let base: string
const requests: Recorded[] = []
let reply: { status: number; body: string } = { status: 201, body: '{}' }
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sr-status-'))
  server = createServer((req, res) => {
    let raw = ''
    req.on('data', chunk => (raw += chunk))
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: raw ? JSON.parse(raw) : undefined
      })
      res.writeHead(reply.status, { 'content-type': 'application/json' })
      res.end(reply.body)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>(resolve => server.close(() => resolve()))
  rmSync(dir, { recursive: true, force: true })
})

afterEach(() => {
  requests.length = 0
  reply = { status: 201, body: '{}' }
})

function env(extra: Record<string, string> = {}) {
  return {
    GITHUB_API_URL: base,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/demo',
    GITHUB_RUN_ID: '4242',
    GITHUB_SHA: MERGE,
    GITHUB_EVENT_NAME: 'push',
    ...extra
  }
}

function prEnv(): Record<string, string> {
  const eventPath = join(dir, 'event.json')
  writeFileSync(eventPath, JSON.stringify({ pull_request: { number: 7, head: { sha: HEAD } } }))
  return env({ GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: eventPath })
}

describe('postCommitStatus', () => {
  it('posts shipper/rehearsal on the pull request head, with the run as target', async () => {
    const result = await postCommitStatus(
      { state: 'success', description: 'Rehearsal passed: 4 crates · plan 3f9a1c0d5e7b' },
      { env: prEnv(), token: TOKEN }
    )
    expect(result).toEqual({ posted: true, sha: HEAD })
    expect(requests).toHaveLength(1)
    const [req] = requests
    expect(req?.method).toBe('POST')
    expect(req?.url).toBe(`/repos/acme/demo/statuses/${HEAD}`)
    expect(req?.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(req?.headers.accept).toBe('application/vnd.github+json')
    expect(req?.body).toEqual({
      state: 'success',
      context: STATUS_CONTEXT,
      description: 'Rehearsal passed: 4 crates · plan 3f9a1c0d5e7b',
      target_url: 'https://github.com/acme/demo/actions/runs/4242'
    })
  })

  it('uses GITHUB_SHA outside pull requests', async () => {
    const result = await postCommitStatus(
      { state: 'pending', description: 'Rehearsing', targetUrl: 'https://example.test/x' },
      { env: env(), token: TOKEN }
    )
    expect(result).toEqual({ posted: true, sha: MERGE })
    expect(requests[0]?.url).toBe(`/repos/acme/demo/statuses/${MERGE}`)
    expect((requests[0]?.body as { target_url: string }).target_url).toBe('https://example.test/x')
  })

  it('degrades to a warning on 403 (a fork pull request gets a read-only token)', async () => {
    reply = {
      status: 403,
      body: JSON.stringify({ message: 'Resource not accessible by integration', status: '403' })
    }
    const result = await postCommitStatus(
      { state: 'failure', description: 'Rehearsal failed' },
      { env: prEnv(), token: TOKEN }
    )
    expect(result.posted).toBe(false)
    if (result.posted) throw new Error('unreachable')
    expect(result.warning).toMatch(/Resource not accessible by integration/)
    expect(result.warning).toMatch(/statuses: write/)
    expect(result.warning).not.toContain(TOKEN)
  })

  it('degrades to a warning on 404 and on other errors', async () => {
    reply = { status: 404, body: JSON.stringify({ message: 'Not Found' }) }
    const notFound = await postCommitStatus(
      { state: 'success', description: 'x' },
      { env: env(), token: TOKEN }
    )
    expect(notFound).toEqual({
      posted: false,
      warning: expect.stringMatching(/404: Not Found/)
    })
    reply = { status: 502, body: '<html>bad gateway</html>' }
    const bad = await postCommitStatus(
      { state: 'success', description: 'x' },
      { env: env(), token: TOKEN }
    )
    expect(bad).toEqual({ posted: false, warning: expect.stringMatching(/HTTP 502$/) })
  })

  it('warns instead of throwing when the API cannot be reached', async () => {
    const result = await postCommitStatus(
      { state: 'success', description: 'x' },
      { env: env({ GITHUB_API_URL: 'http://127.0.0.1:1' }), token: TOKEN }
    )
    expect(result.posted).toBe(false)
  })

  it('keeps the token out of warnings even when an error quotes it', async () => {
    const fetch = (async () => {
      throw new Error(`boom near ${TOKEN}`)
    }) as typeof globalThis.fetch
    const result = await postCommitStatus(
      { state: 'success', description: 'x' },
      { env: env(), token: TOKEN, fetch }
    )
    expect(result).toEqual({ posted: false, warning: expect.stringContaining('boom near ***') })
  })

  it('posts nothing without a repository, a head sha or a token', async () => {
    const noRepo = await postCommitStatus(
      { state: 'success', description: 'x' },
      { env: { ...env(), GITHUB_REPOSITORY: '' }, token: TOKEN }
    )
    const brokenEvent = await postCommitStatus(
      { state: 'success', description: 'x' },
      {
        env: env({
          GITHUB_EVENT_NAME: 'pull_request_target',
          GITHUB_EVENT_PATH: join(dir, 'none')
        }),
        token: TOKEN
      }
    )
    const noToken = await postCommitStatus(
      { state: 'success', description: 'x' },
      { env: env(), token: '' }
    )
    expect([noRepo.posted, brokenEvent.posted, noToken.posted]).toEqual([false, false, false])
    expect(requests).toHaveLength(0)
  })

  it('cuts a long description to 140 characters', async () => {
    await postCommitStatus(
      { state: 'failure', description: 'x'.repeat(300) },
      { env: env(), token: TOKEN }
    )
    const sent = (requests[0]?.body as { description: string }).description
    expect(sent).toHaveLength(DESCRIPTION_MAX)
    expect(sent.endsWith('…')).toBe(true)
  })
})

describe('statusForResult', () => {
  it('passes a passed rehearsal with the short plan id', () => {
    expect(statusForResult(baseResult({}))).toEqual({
      state: 'success',
      description: 'Rehearsal passed: 4 crates · plan 3f9a1c0d5e7b'
    })
  })

  it('fails a failed rehearsal, naming the crate, and keeps the plan id when cut', () => {
    const status = statusForResult(
      baseResult({
        outcome: 'failed',
        packages: outcomes(['published', 'published', 'failed', 'pending']),
        failure: {
          crate: { name: 'demo-app', version: '0.2.0', manifestPath: '/w/Cargo.toml' },
          class: 'permanent',
          message: `does not compile: ${'very long explanation '.repeat(10)}\nsecond line`,
          hint: ''
        }
      })
    )
    expect(status.state).toBe('failure')
    expect(status.description.length).toBeLessThanOrEqual(DESCRIPTION_MAX)
    expect(status.description).toMatch(/^Rehearsal failed at demo-app@0\.2\.0: does not compile/)
    expect(status.description).toMatch(/… · plan 3f9a1c0d5e7b$/)
    expect(status.description).not.toContain('second line')
  })

  it('reports a skipped rehearsal as error, never success', () => {
    const status = statusForResult(baseResult({ outcome: 'skipped', packages: [] }))
    expect(status).toEqual({
      state: 'error',
      description: 'Rehearsal skipped (skip-rehearsal): nothing was rehearsed · plan 3f9a1c0d5e7b'
    })
  })

  it('maps publish outcomes', () => {
    const publish = (outcome: 'published' | 'refused' | 'dry-run') =>
      statusForResult(
        baseResult({
          mode: 'publish',
          outcome,
          failure:
            outcome === 'refused'
              ? { class: 'refused', message: 'receipt is stale', hint: '' }
              : undefined
        })
      )
    expect(publish('published')).toEqual({
      state: 'success',
      description: 'Already published, nothing uploaded · plan 3f9a1c0d5e7b'
    })
    expect(publish('dry-run').state).toBe('success')
    expect(publish('refused')).toEqual({
      state: 'failure',
      description: 'Publish refused: receipt is stale · plan 3f9a1c0d5e7b'
    })
  })

  it('has a pending status for the start of a run', () => {
    expect(pendingStatus().state).toBe('pending')
  })
})
