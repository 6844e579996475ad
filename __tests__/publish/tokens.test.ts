import { describe, expect, it } from '@jest/globals'
import { fakeClock } from '../../src/clock.js'
import { UserError } from '../../src/errors.js'
import { memoryLogger } from '../../src/log.js'
import { liveTarget } from '../../src/target/live.js'
import {
  chooseAuth,
  oidcAudience,
  REMINT_AFTER_MS,
  staticCredentials,
  trustedCredentials,
  type AuthChoice
} from '../../src/publish/tokens.js'

const cratesIo = liveTarget({ targetRegistry: 'crates-io', targetRegistryUrl: '' })
const privateRegistry = liveTarget({
  targetRegistry: 'my-reg',
  targetRegistryUrl: 'https://reg.example'
})
const OIDC = {
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.actions.example/x?api-version=2.0',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-secret'
}

describe('liveTarget', () => {
  it('uses crates.io’s sparse index and CARGO_REGISTRY_TOKEN for crates-io', () => {
    expect(cratesIo).toMatchObject({
      indexUrl: 'sparse+https://index.crates.io/',
      registryArgs: []
    })
    expect(cratesIo.cargoEnv('t')).toEqual({ CARGO_REGISTRY_TOKEN: 't' })
  })

  it('configures another live registry through CARGO_REGISTRIES_<NAME>_* only', () => {
    expect(privateRegistry.registryArgs).toEqual(['--registry', 'my-reg'])
    expect(privateRegistry.cargoEnv('t')).toEqual({
      CARGO_REGISTRIES_MY_REG_INDEX: 'sparse+https://reg.example/api/v1/crates/',
      CARGO_REGISTRIES_MY_REG_CREDENTIAL_PROVIDER: 'cargo:token',
      CARGO_REGISTRIES_MY_REG_TOKEN: 't'
    })
  })

  it('refuses a URL for crates-io and a named registry without one', () => {
    expect(() =>
      liveTarget({ targetRegistry: 'crates-io', targetRegistryUrl: 'https://x' })
    ).toThrow(UserError)
    expect(() => liveTarget({ targetRegistry: 'other', targetRegistryUrl: '' }, {})).toThrow(
      /has no URL/
    )
  })

  it("takes a named registry's index from its cargo env var when no URL is given", () => {
    const target = liveTarget(
      { targetRegistry: 'other', targetRegistryUrl: '' },
      { CARGO_REGISTRIES_OTHER_INDEX: 'sparse+https://reg.example/index/' }
    )
    expect(target.indexUrl).toBe('sparse+https://reg.example/index/')
    expect(target.registryArgs).toEqual(['--registry', 'other'])
  })
})

describe('chooseAuth', () => {
  const choose = (
    options: { token?: string; trustedPublishing?: 'auto' | 'true' | 'false' },
    env = {}
  ) =>
    chooseAuth(
      { token: options.token ?? '', trustedPublishing: options.trustedPublishing ?? 'auto' },
      cratesIo,
      'https://crates.io',
      env
    )

  it('prefers the token input, then the registry’s env var', () => {
    expect(choose({ token: 'in' }, { CARGO_REGISTRY_TOKEN: 'env', ...OIDC })).toMatchObject({
      kind: 'token',
      token: 'in',
      evidence: { method: 'token', source: 'input' }
    })
    expect(choose({}, { CARGO_REGISTRY_TOKEN: 'env', ...OIDC })).toMatchObject({
      kind: 'token',
      token: 'env',
      evidence: { method: 'token', source: 'env', detail: 'CARGO_REGISTRY_TOKEN' }
    })
  })

  it('reads CARGO_REGISTRIES_<NAME>_TOKEN for another registry', () => {
    const choice = chooseAuth(
      { token: '', trustedPublishing: 'false' },
      privateRegistry,
      'https://reg.example',
      {
        CARGO_REGISTRY_TOKEN: 'for-crates-io',
        CARGO_REGISTRIES_MY_REG_TOKEN: 'mine'
      }
    )
    expect(choice).toMatchObject({ kind: 'token', token: 'mine' })
  })

  it('auto: uses the job’s OIDC identity only when no token is given', () => {
    expect(choose({}, OIDC)).toMatchObject({
      kind: 'oidc',
      audience: 'crates.io',
      evidence: { method: 'trusted_publishing', source: 'oidc' }
    })
  })

  it('true: requires an OIDC identity, even when a token exists', () => {
    expect(choose({ token: 'in', trustedPublishing: 'true' }, OIDC)).toMatchObject({ kind: 'oidc' })
    const none = choose({ token: 'in', trustedPublishing: 'true' }, {})
    expect(none).toMatchObject({ kind: 'none' })
    expect((none as Extract<AuthChoice, { kind: 'none' }>).hint).toMatch(/id-token: write/)
  })

  it('false: never uses OIDC', () => {
    expect(choose({ trustedPublishing: 'false' }, OIDC)).toMatchObject({ kind: 'none' })
  })

  it('derives the audience from the registry host', () => {
    expect(oidcAudience('https://crates.io')).toBe('crates.io')
    expect(oidcAudience('http://127.0.0.1:8123')).toBe('127.0.0.1')
  })
})

interface Call {
  method: string
  url: string
  headers: Record<string, string>
  body?: string
}

/** An OIDC endpoint and a registry exchange in one fake fetch. */
function fakeServices(options: { exchangeStatus?: number; oidcStatus?: number } = {}) {
  const calls: Call[] = []
  let minted = 0
  const fetchFn = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input)
    const headers = Object.fromEntries(
      Object.entries((init.headers ?? {}) as Record<string, string>)
    )
    calls.push({
      method: init.method ?? 'GET',
      url,
      headers,
      ...(init.body ? { body: String(init.body) } : {})
    })
    if (url.startsWith('https://token.actions.example')) {
      if (options.oidcStatus) return new Response('no', { status: options.oidcStatus })
      return Response.json({ value: `jwt-${calls.length}` })
    }
    if (init.method === 'POST') {
      if (options.exchangeStatus) {
        const jwt = (JSON.parse(String(init.body)) as { jwt: string }).jwt
        return Response.json(
          { errors: [{ detail: `No matching Trusted Publishing config found for ${jwt}` }] },
          { status: options.exchangeStatus }
        )
      }
      minted += 1
      return Response.json({ token: `cio_tp_${minted}` })
    }
    return new Response(null, { status: 204 })
  }) as typeof fetch
  return { calls, fetch: fetchFn }
}

function oidcChoice(): Extract<AuthChoice, { kind: 'oidc' }> {
  const choice = chooseAuth(
    { token: '', trustedPublishing: 'auto' },
    cratesIo,
    'https://crates.io',
    OIDC
  )
  if (choice.kind !== 'oidc') throw new Error('expected oidc')
  return choice
}

describe('trusted publishing credentials', () => {
  it('exchanges an OIDC JWT for a token, minting again once the token is 25 minutes old', async () => {
    const clock = fakeClock()
    const services = fakeServices()
    const logger = memoryLogger()
    const secrets: string[] = []
    const creds = trustedCredentials(oidcChoice(), 'https://crates.io', {
      fetch: services.fetch,
      clock,
      logger,
      onSecret: s => void secrets.push(s)
    })
    expect(await creds.current()).toBe('cio_tp_1')
    await clock.sleep(REMINT_AFTER_MS - 1)
    expect(await creds.current()).toBe('cio_tp_1')
    await clock.sleep(1)
    expect(await creds.current()).toBe('cio_tp_2')

    const oidcCall = services.calls[0]!
    expect(new URL(oidcCall.url).searchParams.get('audience')).toBe('crates.io')
    expect(new URL(oidcCall.url).searchParams.get('api-version')).toBe('2.0')
    expect(oidcCall.headers.authorization).toBe('bearer request-secret')
    const exchange = services.calls[1]!
    expect(exchange).toMatchObject({
      method: 'POST',
      url: 'https://crates.io/api/v1/trusted_publishing/tokens'
    })
    expect(JSON.parse(exchange.body!)).toEqual({ jwt: 'jwt-1' })
    expect(secrets).toEqual(expect.arrayContaining(['jwt-1', 'cio_tp_1', 'cio_tp_2']))

    await creds.revoke()
    const deletes = services.calls.filter(c => c.method === 'DELETE')
    expect(deletes.map(d => d.headers.authorization)).toEqual([
      'Bearer cio_tp_1',
      'Bearer cio_tp_2'
    ])
  })

  it('shares one mint between concurrent uploads', async () => {
    const services = fakeServices()
    const creds = trustedCredentials(oidcChoice(), 'https://crates.io', {
      fetch: services.fetch,
      clock: fakeClock(),
      logger: memoryLogger(),
      onSecret: () => undefined
    })
    const tokens = await Promise.all([creds.current(), creds.current(), creds.current()])
    expect(new Set(tokens)).toEqual(new Set(['cio_tp_1']))
    expect(services.calls.filter(c => c.method === 'POST')).toHaveLength(1)
  })

  it('explains a refused exchange without echoing secrets', async () => {
    const services = fakeServices({ exchangeStatus: 400 })
    const creds = trustedCredentials(oidcChoice(), 'https://crates.io', {
      fetch: services.fetch,
      clock: fakeClock(),
      logger: memoryLogger(),
      onSecret: () => undefined
    })
    const error = await creds.current().catch(e => e as UserError)
    expect(error).toBeInstanceOf(UserError)
    expect((error as UserError).message).toMatch(/HTTP 400 .*No matching Trusted Publishing config/)
    expect((error as UserError).hint).toMatch(/configure trusted publishing/)
    expect((error as UserError).message).not.toMatch(/jwt-1|request-secret/)
  })

  it('tells the user to grant id-token: write when GitHub gives no JWT', async () => {
    const services = fakeServices({ oidcStatus: 403 })
    const creds = trustedCredentials(oidcChoice(), 'https://crates.io', {
      fetch: services.fetch,
      clock: fakeClock(),
      logger: memoryLogger(),
      onSecret: () => undefined
    })
    await expect(creds.current()).rejects.toMatchObject({
      hint: expect.stringMatching(/id-token: write/)
    })
  })

  it('revokes nothing and never throws when nothing was minted', async () => {
    const services = fakeServices()
    const creds = trustedCredentials(oidcChoice(), 'https://crates.io', {
      fetch: services.fetch,
      clock: fakeClock(),
      logger: memoryLogger(),
      onSecret: () => undefined
    })
    await creds.revoke()
    expect(services.calls).toEqual([])
  })
})

describe('static credentials', () => {
  it('masks the token and never revokes it', async () => {
    const logger = memoryLogger()
    const seen: string[] = []
    const creds = staticCredentials(
      's3cret',
      { method: 'token', source: 'input' },
      {
        fetch: fakeServices().fetch,
        clock: fakeClock(),
        logger,
        onSecret: s => void seen.push(s)
      }
    )
    expect(await creds.current()).toBe('s3cret')
    logger.info('token is s3cret')
    expect(logger.lines).toEqual(['token is ***'])
    expect(seen).toEqual(['s3cret'])
    expect(creds.trustedPublishing).toBe(false)
  })
})
