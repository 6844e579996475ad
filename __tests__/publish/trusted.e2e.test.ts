import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fakeClock } from '../../src/clock.js'
import { UserError } from '../../src/errors.js'
import { publish } from '../../src/publish/index.js'
import { encodePublishBody } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import { OIDC_ISSUER, startOidcEndpoint } from '../helpers/github/oidc.js'
import {
  afterGate,
  readEventLines,
  readFactLines,
  receiptOf,
  RehearsedFixture,
  seedOlderVersion,
  testContext
} from './helpers.js'

// GitHub's OIDC endpoint (ACTIONS_ID_TOKEN_REQUEST_URL) is a stand-in dated by the test's clock.
const REQUEST_TOKEN = 'actions-id-token-request-token'

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

let fixture: RehearsedFixture
let oidc: Awaited<ReturnType<typeof startOidcEndpoint>>
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
  oidc = await startOidcEndpoint({ requestToken: REQUEST_TOKEN, now: () => clock.now() })
  live = await fixture.freshLive({
    clock,
    trustedPublishing: { issuer: OIDC_ISSUER, secret: oidc.issuer.secret, audience: '127.0.0.1' }
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
    for (const name of ['shr-core', 'shr-util', 'shr-app']) await seedOlderVersion(live, name)
    const ws = fixture.workspace()
    const watch = watchedFetch()
    const ctx = trustedContext(watch)
    const result = await publish(fixture.options(ws, { token: '', trustedPublishing: 'auto' }), ctx)
    expect(result.failure).toBeUndefined()
    expect(result.outcome).toBe('published')
    expect(oidc.issuer.audiences).toEqual(['127.0.0.1'])
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

    const eventsPath = join(ws, '.shipper', 'events.jsonl')
    const events = afterGate(readEventLines(eventsPath))
    expect(events.find(e => e.event_type.type === 'auth_evidence_recorded')!.event_type).toEqual({
      type: 'auth_evidence_recorded',
      evidence: {
        schema_version: 'shipper.auth_evidence.v1',
        registry: 'live',
        auth_mode: 'trusted_publishing_context',
        token_detected: false,
        oidc_request_url_present: true,
        oidc_request_token_present: true
      }
    })
    expect(
      readFactLines(eventsPath).find(f => f.event_type.type === 'auth_selected')!.event_type
    ).toEqual({
      type: 'auth_selected',
      method: 'trusted_publishing',
      source: 'oidc',
      detail: live.url
    })
    for (const file of ['events.jsonl', 'rehearse-events.jsonl', 'publish-record.json']) {
      const text = readFileSync(join(ws, '.shipper', file), 'utf8')
      expect(text).not.toContain(watch.minted[0]!)
      expect(text).not.toContain(REQUEST_TOKEN)
    }
  })

  it('mints again before the 30-minute token expires during a long release', async () => {
    for (const name of ['shr-core', 'shr-util', 'shr-app']) await seedOlderVersion(live, name)
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
    await seedOlderVersion(live, 'shr-core')
    await seedOlderVersion(live, 'shr-util')
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
