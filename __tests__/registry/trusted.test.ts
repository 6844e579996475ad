import { afterEach, describe, expect, it } from '@jest/globals'
import { generateKeyPairSync } from 'node:crypto'
import { fakeClock } from '../../src/clock.js'
import { startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry, EmbeddedRegistryOptions } from '../../src/registry/types.js'
import { fetchIndexEntries } from '../../src/sparse/client.js'
import { cargoSandbox } from '../helpers/sandbox.js'
import {
  cargo,
  cargoEnv,
  errorDetail,
  fakeCrate,
  makeCrate,
  publishMetadata,
  rawPublish,
  signTestJwt
} from './helpers.js'

const ISSUER = 'https://token.actions.test'
const SECRET = 'oidc-test-secret'
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const PUBLIC_PEM = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString()

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')

function jwt(claims: Record<string, unknown>, alg: 'HS256' | 'RS256' = 'HS256', secret = SECRET) {
  return signTestJwt(claims, alg === 'HS256' ? { secret } : { privateKey: rsa.privateKey })
}

const open: EmbeddedRegistry[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map(r => r.close()))
})

async function start(extra: Partial<EmbeddedRegistryOptions> = {}) {
  const clock = fakeClock()
  const registry = await startRegistry({
    clock,
    token: 'owner-token',
    trustedPublishing: { issuer: ISSUER, secret: SECRET, publicKey: PUBLIC_PEM },
    ...extra
  })
  open.push(registry)
  const nowSec = () => Math.floor(clock.now() / 1000)
  const claims = (over: Record<string, unknown> = {}) => ({
    iss: ISSUER,
    aud: 'crates.io',
    exp: nowSec() + 300,
    iat: nowSec(),
    repository: 'octo/repo',
    ...over
  })
  return { registry, clock, claims }
}

function exchange(r: EmbeddedRegistry, body: unknown) {
  return fetch(`${r.url}/api/v1/trusted_publishing/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body)
  })
}

async function tokenFor(r: EmbeddedRegistry, token: string): Promise<string> {
  const res = await exchange(r, { jwt: token })
  expect(res.status).toBe(200)
  const body = (await res.json()) as { token: string }
  expect(body.token).toMatch(/^cio_tp_[0-9a-f]+$/)
  return body.token
}

describe('trusted publishing exchange', () => {
  it('exchanges an HS256 JWT from the test issuer for a token that publishes a new version', async () => {
    const { registry, claims } = await start()
    await rawPublish(registry, publishMetadata('tp-crate', '1.0.0'), fakeCrate('1'))
    const token = await tokenFor(registry, jwt(claims()))
    const res = await rawPublish(
      registry,
      publishMetadata('tp-crate', '1.1.0'),
      fakeCrate('2'),
      token
    )
    expect(res.status).toBe(200)
    expect((await fetchIndexEntries(registry.indexUrl, 'tp-crate'))?.map(e => e.vers)).toEqual([
      '1.0.0',
      '1.1.0'
    ])
  })

  it('accepts RS256 JWTs verified with the configured public key', async () => {
    const { registry, claims } = await start()
    await tokenFor(registry, jwt(claims(), 'RS256'))
  })

  it.each([
    ['a wrong issuer', { iss: 'https://evil.test' }, 'Unsupported JWT issuer: https://evil.test'],
    ['a wrong audience', { aud: 'somebody-else' }, 'Failed to decode JWT'],
    ['an expired JWT', { exp: 1 }, 'Failed to decode JWT'],
    ['a JWT not yet valid', { nbf: 4_000_000_000 }, 'Failed to decode JWT']
  ])('refuses %s', async (_what, over, detail) => {
    const { registry, claims } = await start()
    const res = await exchange(registry, { jwt: jwt(claims(over)) })
    expect([res.status, await errorDetail(res)]).toEqual([400, detail])
  })

  it('refuses a bad signature, an unsigned token and garbage', async () => {
    const { registry, claims } = await start()
    const forged = jwt(claims(), 'HS256', 'not-the-secret')
    const unsigned = `${b64({ alg: 'none' })}.${b64(claims())}.`
    for (const bad of [forged, unsigned, 'not.a.jwt', 'x']) {
      const res = await exchange(registry, { jwt: bad })
      expect([res.status, await errorDetail(res)]).toEqual([400, 'Failed to decode JWT'])
    }
    expect((await exchange(registry, { token: 'x' })).status).toBe(400)
  })

  it('accepts an audience list and refuses a reused jti', async () => {
    const { registry, claims } = await start()
    const once = jwt(claims({ aud: ['other', 'crates.io'], jti: 'run-1' }))
    await tokenFor(registry, once)
    const again = await exchange(registry, { jwt: once })
    expect([again.status, await errorDetail(again)]).toEqual([400, 'JWT has already been used'])
  })

  it('says nothing is accepted when no issuer is configured', async () => {
    const { registry, claims } = await start({ trustedPublishing: undefined })
    const res = await exchange(registry, { jwt: jwt(claims()) })
    expect([res.status, await errorDetail(res)]).toEqual([400, `Unsupported JWT issuer: ${ISSUER}`])
  })
})

describe('trusted publishing tokens', () => {
  it('may not create a new crate', async () => {
    const { registry, claims } = await start()
    const token = await tokenFor(registry, jwt(claims()))
    const res = await rawPublish(
      registry,
      publishMetadata('brand-new', '0.1.0'),
      fakeCrate('n'),
      token
    )
    expect(res.status).toBe(403)
    expect(await errorDetail(res)).toBe(
      'Trusted Publishing tokens do not support creating new crates. Publish the crate manually, first'
    )
    expect(await fetchIndexEntries(registry.indexUrl, 'brand-new')).toBeNull()
  })

  it('may not yank or change owners', async () => {
    const { registry, claims } = await start()
    await rawPublish(registry, publishMetadata('tp-owned', '1.0.0'), fakeCrate('1'))
    const token = await tokenFor(registry, jwt(claims()))
    const yank = await fetch(`${registry.url}/api/v1/crates/tp-owned/1.0.0/yank`, {
      method: 'DELETE',
      headers: { authorization: token }
    })
    expect(yank.status).toBe(403)
  })

  it('expire after 30 minutes on the injected clock', async () => {
    const { registry, clock, claims } = await start()
    await rawPublish(registry, publishMetadata('tp-exp', '1.0.0'), fakeCrate('1'))
    const token = await tokenFor(registry, jwt(claims()))
    await clock.sleep(30 * 60 * 1000 - 1)
    expect(
      (await rawPublish(registry, publishMetadata('tp-exp', '1.1.0'), fakeCrate('2'), token)).status
    ).toBe(200)
    await clock.sleep(1)
    const late = await rawPublish(
      registry,
      publishMetadata('tp-exp', '1.2.0'),
      fakeCrate('3'),
      token
    )
    expect([late.status, await errorDetail(late)]).toEqual([403, 'Invalid authentication token'])
  })

  it('honour a configured lifetime', async () => {
    const { registry, clock, claims } = await start({
      trustedPublishing: { issuer: ISSUER, secret: SECRET, tokenTtlMs: 1000 }
    })
    await rawPublish(registry, publishMetadata('tp-ttl', '1.0.0'), fakeCrate('1'))
    const token = await tokenFor(registry, jwt(claims()))
    await clock.sleep(1000)
    expect(
      (await rawPublish(registry, publishMetadata('tp-ttl', '1.1.0'), fakeCrate('2'), token)).status
    ).toBe(403)
  })

  it('are revoked by DELETE with the token in Authorization', async () => {
    const { registry, claims } = await start()
    await rawPublish(registry, publishMetadata('tp-rev', '1.0.0'), fakeCrate('1'))
    const token = await tokenFor(registry, jwt(claims()))
    const revoke = (auth?: string) =>
      fetch(`${registry.url}/api/v1/trusted_publishing/tokens`, {
        method: 'DELETE',
        headers: auth ? { authorization: auth } : {}
      })
    expect((await revoke()).status).toBe(401)
    expect((await revoke('owner-token')).status).toBe(401)
    expect((await revoke(`Bearer ${token}`)).status).toBe(204)
    const after = await rawPublish(
      registry,
      publishMetadata('tp-rev', '1.1.0'),
      fakeCrate('2'),
      token
    )
    expect(after.status).toBe(403)
  })
})

describe('trusted publishing with cargo', () => {
  it('publishes a new version with an exchanged token, and cargo shows why a new crate is refused', async () => {
    const sandbox = cargoSandbox()
    const registry = await startRegistry({ trustedPublishing: { issuer: ISSUER, secret: SECRET } })
    open.push(registry)
    try {
      const owner = cargoEnv(sandbox, { rehearsal: { registry } })
      const publish = (env: Record<string, string>, name: string, version: string) =>
        cargo(
          ['publish', '--registry', 'rehearsal', '--no-verify'],
          makeCrate(sandbox, { name, version }),
          env
        )
      expect((await publish(owner, 'sr-tp', '0.1.0')).exitCode).toBe(0)

      const now = Math.floor(Date.now() / 1000)
      const token = await tokenFor(
        registry,
        jwt({ iss: ISSUER, aud: 'crates.io', exp: now + 300, iat: now })
      )
      const trusted = cargoEnv(sandbox, { rehearsal: { registry, token } })
      const update = await publish(trusted, 'sr-tp', '0.2.0')
      expect([update.exitCode, update.stderr]).toEqual([
        0,
        expect.stringContaining('Published sr-tp v0.2.0')
      ])
      const created = await publish(trusted, 'sr-tp-new', '0.1.0')
      expect(created.exitCode).not.toBe(0)
      expect(created.stderr).toContain(
        'the remote server responded with an error (status 403 Forbidden): Trusted Publishing tokens do not support creating new crates. Publish the crate manually, first'
      )
    } finally {
      sandbox.cleanup()
    }
  })
})
