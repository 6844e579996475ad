import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { createHmac, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fakeClock, type Clock } from '../../src/clock.js'
import { UserError } from '../../src/errors.js'
import { publish } from '../../src/publish/index.js'
import { encodePublishBody } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import { afterGate, readEventLines, receiptOf, RehearsedFixture, testContext } from './helpers.js'

const ISSUER = 'https://token.actions.test'
const SECRET = 'oidc-test-signing-secret'
const REQUEST_TOKEN = 'actions-id-token-request-token'

/**
 * GitHub's OIDC token endpoint, standing in for ACTIONS_ID_TOKEN_REQUEST_URL: answers
 * `GET /token?audience=X` (bearer REQUEST_TOKEN) with a fresh HS256 JWT the embedded registry's
 * trusted-publishing exchange accepts, dated by the test's clock.
 */
async function oidcStandIn(
  clock: Clock
): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = []
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const audience = url.searchParams.get('audience') ?? ''
    requests.push(audience)
    if (req.headers.authorization !== `bearer ${REQUEST_TOKEN}`) {
      res.writeHead(401).end('bad request token')
      return
    }
    const now = Math.floor(clock.now() / 1000)
    const head = b64({ alg: 'HS256', typ: 'JWT' })
    const claims = b64({
      iss: ISSUER,
      aud: audience,
      iat: now,
      nbf: now,
      exp: now + 300,
      jti: randomUUID(),
      repository: 'octo/widgets'
    })
    const signature = createHmac('sha256', SECRET).update(`${head}.${claims}`).digest('base64url')
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ value: `${head}.${claims}.${signature}` }))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/token?api-version=2.0`,
    requests,
    close: () => new Promise<void>(resolve => server.close(() => resolve()))
  }
}

/** Records the exchange's answers and the revocations, passing everything through. */
function watchedFetch() {
  const minted: string[] = []
  const revoked: string[] = []
  const fn = (async (input: string | URL | Request, init?: RequestInit) => {
    const response = await fetch(input, init)
    if (String(input).endsWith('/api/v1/trusted_publishing/tokens')) {
      if (init?.method === 'POST' && response.ok) {
        const body = (await response.clone().json()) as { token: string }
        minted.push(body.token)
      }
      if (init?.method === 'DELETE') {
        revoked.push(
          String((init.headers as Record<string, string>).authorization).replace(/^Bearer /, '')
        )
      }
    }
    return response
  }) as typeof fetch
  return { fetch: fn, minted, revoked }
}

/** Puts an older version of a crate on the live registry, as a first release with a regular token did. */
async function seed(registry: EmbeddedRegistry, name: string): Promise<void> {
  const metadata = {
    name,
    vers: '0.0.1',
    deps: [],
    features: {},
    authors: [],
    description: 'seed',
    license: 'MIT',
    keywords: [],
    categories: []
  }
  const response = await fetch(`${registry.url}/api/v1/crates/new`, {
    method: 'PUT',
    headers: { authorization: registry.token },
    body: encodePublishBody(metadata, Buffer.from(`seed ${name}`))
  })
  expect(response.status).toBe(200)
}

let fixture: RehearsedFixture
let oidc: Awaited<ReturnType<typeof oidcStandIn>>
let clock: ReturnType<typeof fakeClock>
let live: EmbeddedRegistry

beforeAll(async () => {
  fixture = await RehearsedFixture.create('sr-trusted-')
}, 120_000)

afterAll(async () => {
  await fixture?.close()
})

beforeEach(async () => {
  clock = fakeClock(Date.now())
  oidc = await oidcStandIn(clock)
  live = await fixture.freshLive({
    clock,
    trustedPublishing: { issuer: ISSUER, secret: SECRET, audience: '127.0.0.1' }
  })
})

afterEach(async () => {
  await oidc.close()
})

function trustedContext(watch: ReturnType<typeof watchedFetch>) {
  const ctx = testContext(
    {
      ...fixture.env(),
      ACTIONS_ID_TOKEN_REQUEST_URL: oidc.url,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN
    },
    clock
  )
  return { ...ctx, fetch: watch.fetch }
}

describe('trusted publishing against the registry’s exchange', () => {
  it('mints a token from the job’s OIDC identity, publishes with it, and revokes it', async () => {
    for (const name of ['shr-core', 'shr-util', 'shr-app']) await seed(live, name)
    const ws = fixture.workspace()
    const watch = watchedFetch()
    const ctx = trustedContext(watch)
    const result = await publish(fixture.options(ws, { token: '', trustedPublishing: 'auto' }), ctx)
    expect(result.failure).toBeUndefined()
    expect(result.outcome).toBe('published')
    expect(oidc.requests).toEqual(['127.0.0.1'])
    expect(watch.minted).toHaveLength(1)
    expect(watch.revoked).toEqual(watch.minted)

    // A revoked token publishes nothing.
    const reuse = await fetch(`${live.url}/api/v1/crates/new`, {
      method: 'PUT',
      headers: { authorization: watch.minted[0]! },
      body: encodePublishBody(
        { name: 'shr-core', vers: '0.2.0', deps: [], features: {} },
        Buffer.from('x')
      )
    })
    expect(reuse.status).toBe(403)

    const events = afterGate(readEventLines(join(ws, '.shipper', 'events.jsonl')))
    expect(events.find(e => e.event_type.type === 'auth_evidence_recorded')!.event_type).toEqual({
      type: 'auth_evidence_recorded',
      evidence: { method: 'trusted_publishing', source: 'oidc', detail: live.url }
    })
    for (const file of ['events.jsonl', 'receipt.json']) {
      const text = readFileSync(join(ws, '.shipper', file), 'utf8')
      expect(text).not.toContain(watch.minted[0]!)
      expect(text).not.toContain(REQUEST_TOKEN)
    }
  })

  it('mints again before the 30-minute token expires during a long release', async () => {
    for (const name of ['shr-core', 'shr-util', 'shr-app']) await seed(live, name)
    // 31 minutes of rate limiting: the first token has expired when shr-util is retried.
    live.faults.failPublish('shr-util', {
      times: 1,
      status: 429,
      body: 'slow down',
      retryAfter: 31 * 60
    })
    const ws = fixture.workspace()
    const watch = watchedFetch()
    // One upload at a time: the fake clock jumps 31 minutes during shr-util's wait, and an upload
    // in flight beside it would meet a token expired by that jump, which no real clock does.
    const result = await publish(
      fixture.options(ws, { token: '', trustedPublishing: 'true', maxConcurrency: 1 }),
      trustedContext(watch)
    )
    expect(result.failure).toBeUndefined()
    expect(result.outcome).toBe('published')
    expect(clock.sleeps).toContain(31 * 60 * 1000)
    expect(watch.minted).toHaveLength(2)
    expect(new Set(watch.revoked)).toEqual(new Set(watch.minted))
    expect(receiptOf(ws).packages.find(p => p.name === 'shr-util')).toMatchObject({
      state: 'published',
      attempts: 2
    })
  })

  it('refuses before uploading anything when a crate is brand-new, saying what to do', async () => {
    await seed(live, 'shr-core')
    await seed(live, 'shr-util')
    const before = live.faults.uploads()
    const ws = fixture.workspace()
    const watch = watchedFetch()
    const result = await publish(
      fixture.options(ws, { token: '', trustedPublishing: 'auto' }),
      trustedContext(watch)
    )
    expect(result.outcome).toBe('failed')
    expect(result.failure?.message).toMatch(/trusted publishing cannot create new crates.*shr-app/)
    expect(result.failure?.hint).toMatch(/first version of shr-app with a regular token/)
    expect(live.faults.uploads()).toEqual(before)
    expect(watch.minted).toEqual([])
    expect(result.published).toEqual([])
  })

  it('with trusted-publishing: true and no OIDC identity, stops and says how to grant one', async () => {
    const ws = fixture.workspace()
    const error = await publish(
      fixture.options(ws, { token: live.token, trustedPublishing: 'true' }),
      testContext(fixture.env(), clock)
    ).catch(e => e as UserError)
    expect(error).toBeInstanceOf(UserError)
    expect((error as UserError).hint).toMatch(/id-token: write/)
    expect(live.faults.uploads()).toEqual({})
  })
})
