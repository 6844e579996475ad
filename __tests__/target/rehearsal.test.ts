import { describe, expect, it } from '@jest/globals'
import { fakeClock } from '../../src/clock.js'
import { UserError } from '../../src/errors.js'
import { memoryLogger } from '../../src/log.js'
import {
  authority,
  checkRegistryName,
  checkRegistryPolicy,
  connectRegistry,
  httpAllowed,
  policyEvidence,
  registryEndpoint,
  waitForRegistry
} from '../../src/target/rehearsal.js'

const CONFIG = JSON.stringify({
  dl: 'http://localhost:8000/api/v1/crates/dl',
  api: 'http://localhost:8000',
  'auth-required': false
})

type Handler = (url: string, init?: RequestInit) => Response | Promise<Response>

/** A fetch that answers from a handler and remembers every request. */
function fakeFetch(handler: Handler) {
  const calls: { url: string; init?: RequestInit }[] = []
  const fn = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input)
    calls.push({ url, init })
    return handler(url, init)
  }) as typeof fetch
  return Object.assign(fn, { calls })
}

const refused = () => {
  throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:8000') })
}

function thrown(fn: () => unknown): UserError {
  try {
    fn()
  } catch (error) {
    if (error instanceof UserError) return error
    throw error
  }
  throw new Error('expected a UserError')
}

describe('registryEndpoint', () => {
  it('reads a kellnr base URL: index, config.json and health route', () => {
    expect(registryEndpoint('http://localhost:8000')).toEqual({
      indexUrl: 'sparse+http://localhost:8000/api/v1/crates/',
      configUrl: 'http://localhost:8000/api/v1/crates/config.json',
      healthUrl: 'http://localhost:8000/api/v1/health',
      kellnrBase: 'http://localhost:8000',
      protocol: 'http:',
      hostname: 'localhost'
    })
  })

  it('reads a sparse index URL, with a health route only in kellnr’s layout', () => {
    expect(registryEndpoint('sparse+https://kellnr.example/api/v1/crates/')).toMatchObject({
      indexUrl: 'sparse+https://kellnr.example/api/v1/crates/',
      healthUrl: 'https://kellnr.example/api/v1/health'
    })
    const other = registryEndpoint('sparse+https://Registry.Example/index')
    expect(other).toEqual({
      indexUrl: 'sparse+https://Registry.Example/index/',
      configUrl: 'https://Registry.Example/index/config.json',
      protocol: 'https:',
      hostname: 'registry.example'
    })
  })

  it('refuses what is not an http(s) URL (exit 2)', () => {
    expect(thrown(() => registryEndpoint('ftp://x')).exitCode).toBe(2)
    expect(thrown(() => registryEndpoint('localhost:8000 oops')).exitCode).toBe(2)
  })
})

describe('registry policy', () => {
  const input = { registryName: 'rehearsal', targetRegistry: 'crates-io', targetRegistryUrl: '' }

  it.each([
    'https://crates.io',
    'sparse+https://index.crates.io/',
    'https://static.crates.io',
    'http://CRATES.IO'
  ])('refuses a crates.io host: %s', url => {
    const error = thrown(() => checkRegistryPolicy(registryEndpoint(url), input))
    expect(error.exitCode).toBe(2)
    expect(error.message).toContain('crates.io')
  })

  it('refuses the live target registry, in either URL form', () => {
    const live = {
      ...input,
      targetRegistry: 'company',
      targetRegistryUrl: 'https://reg.example.com'
    }
    for (const url of [
      'https://reg.example.com/',
      'sparse+https://REG.example.com/api/v1/crates'
    ]) {
      const error = thrown(() => checkRegistryPolicy(registryEndpoint(url), live))
      expect(error.message).toBe(
        "registry-url is the live target registry 'company' (sparse+https://reg.example.com/api/v1/crates/)"
      )
    }
    expect(() =>
      checkRegistryPolicy(registryEndpoint('https://reg.example.com/rehearsal'), live)
    ).not.toThrow()
  })

  it('allows plain http only on loopback and single-label (service container) hosts', () => {
    for (const host of [
      'localhost',
      '127.0.0.1',
      '127.1.2.3',
      '[::1]',
      'kellnr',
      'registry-svc',
      'app.localhost'
    ]) {
      expect(() =>
        checkRegistryPolicy(registryEndpoint(`http://${host}:8000`), input)
      ).not.toThrow()
    }
    for (const host of ['kellnr.example.com', '10.0.0.5', '172.17.0.2', '[2001:db8::1]']) {
      const error = thrown(() =>
        checkRegistryPolicy(registryEndpoint(`http://${host}:8000`), input)
      )
      expect(error.exitCode).toBe(2)
      expect(error.message).toContain('plain http')
    }
    expect(() =>
      checkRegistryPolicy(registryEndpoint('https://kellnr.example.com'), input)
    ).not.toThrow()
    expect(httpAllowed('kellnr')).toBe(true)
    expect(httpAllowed('kellnr.internal')).toBe(false)
  })

  it('refuses a rehearsal registry named like the live one', () => {
    expect(
      thrown(() => checkRegistryName({ registryName: 'crates-io', targetRegistry: 'crates-io' }))
        .exitCode
    ).toBe(2)
    expect(() => checkRegistryName({ registryName: 'company', targetRegistry: 'company' })).toThrow(
      UserError
    )
    expect(() =>
      checkRegistryName({ registryName: 'rehearsal', targetRegistry: 'crates-io' })
    ).not.toThrow()
  })
})

describe('policy evidence', () => {
  it('records the authorities as scheme://host:port, default ports spelled out', () => {
    expect(authority('sparse+https://kellnr.example/api/v1/crates/')).toBe(
      'https://kellnr.example:443'
    )
    expect(authority('http://localhost')).toBe('http://localhost:80')
    expect(
      policyEvidence({
        indexUrl: 'sparse+http://127.0.0.1:4000/api/v1/crates/',
        apiBase: 'http://127.0.0.1:4000'
      })
    ).toEqual({
      posture: 'rehearsal_or_test',
      allow_private: true,
      allow_loopback: true,
      credential_authority: 'http://127.0.0.1:4000',
      index_authority: 'http://127.0.0.1:4000'
    })
  })
})

describe('waitForRegistry', () => {
  const endpoint = registryEndpoint('http://localhost:8000')

  it('polls the health route until it answers', async () => {
    const clock = fakeClock()
    let up = false
    const fetch = fakeFetch(url => {
      if (!up) return refused()
      return new Response(url.endsWith('/health') ? 'OK' : CONFIG)
    })
    const waiting: string[] = []
    const wait = waitForRegistry(endpoint, {
      fetch,
      clock: {
        now: clock.now,
        sleep: async ms => {
          await clock.sleep(ms)
          if (clock.sleeps.length === 3) up = true
        }
      },
      timeoutMs: 120_000,
      onWaiting: url => waiting.push(url)
    })
    await expect(wait).resolves.toBeUndefined()
    expect(clock.sleeps).toEqual([1000, 1000, 1000])
    expect(fetch.calls.map(c => c.url)).toEqual(
      Array(4).fill('http://localhost:8000/api/v1/health')
    )
    expect(waiting).toEqual(['http://localhost:8000/api/v1/health'])
  })

  it('says which URL did not answer and what usually causes it', async () => {
    const clock = fakeClock()
    const error = await waitForRegistry(endpoint, {
      fetch: fakeFetch(refused),
      clock,
      timeoutMs: 2500
    }).catch(e => e)
    expect(error).toBeInstanceOf(UserError)
    expect(error.exitCode).toBe(1)
    expect(error.message).toBe(
      'the rehearsal registry did not answer at http://localhost:8000/api/v1/health within 2.5s (fetch failed (connect ECONNREFUSED 127.0.0.1:8000))'
    )
    expect(error.hint).toContain('"8000:8000"')
    expect(error.hint).toContain('every 5 minutes')
    expect(error.hint).toContain('registry-wait')
    expect(clock.sleeps).toEqual([1000, 1000, 500])
  })

  it('falls back to config.json when there is no health route', async () => {
    const fetch = fakeFetch(url =>
      url.endsWith('/health') ? new Response('not found', { status: 404 }) : new Response(CONFIG)
    )
    await waitForRegistry(endpoint, { fetch, clock: fakeClock(), timeoutMs: 1000 })
    expect(fetch.calls.map(c => c.url)).toEqual([
      'http://localhost:8000/api/v1/health',
      'http://localhost:8000/api/v1/crates/config.json'
    ])
  })

  it('fails at once on a 200 that is an HTML page, not a registry', async () => {
    const clock = fakeClock()
    const fetch = fakeFetch(
      () => new Response('<!doctype html><html>web ui</html>', { status: 200 })
    )
    const error = await waitForRegistry(registryEndpoint('sparse+https://web.example/index/'), {
      fetch,
      clock,
      timeoutMs: 60_000
    }).catch(e => e)
    expect(error).toBeInstanceOf(UserError)
    expect(error.message).toContain('does not serve a cargo registry')
    expect(clock.sleeps).toEqual([])
  })
})

describe('connectRegistry (URL registry)', () => {
  const options = {
    registryUrl: 'http://localhost:8000',
    registryName: 'rehearsal',
    registryToken: '',
    registryWaitMs: 5000,
    registryUser: 'admin',
    registryPassword: 'admin'
  }

  it('mints a token when none is given, masks it, and takes the API base from config.json', async () => {
    const fetch = fakeFetch(url => {
      if (url.endsWith('/health')) return new Response('OK')
      if (url.endsWith('/auth/login')) {
        return new Response('{}', { headers: { 'set-cookie': 'kellnr_session_id=1; Path=/' } })
      }
      if (url.endsWith('/users/me/tokens')) {
        return new Response(JSON.stringify({ name: 'ci', token: 'tok-123' }))
      }
      return new Response(JSON.stringify({ dl: 'x', api: 'http://127.0.0.1:8000/' }))
    })
    const logger = memoryLogger()
    const registry = await connectRegistry(options, registryEndpoint(options.registryUrl), {
      fetch,
      clock: fakeClock(),
      logger,
      progress: () => undefined
    })
    expect(registry).toMatchObject({
      name: 'rehearsal',
      indexUrl: 'sparse+http://localhost:8000/api/v1/crates/',
      apiBase: 'http://127.0.0.1:8000',
      token: 'tok-123',
      embedded: false
    })
    logger.info('token tok-123')
    expect(logger.lines).toContain('token ***')
    const configRead = fetch.calls.find(c => c.url.endsWith('config.json'))
    expect((configRead?.init?.headers as Record<string, string>).authorization).toBe('tok-123')
  })

  it('says how to give a token when the kellnr login is refused', async () => {
    const fetch = fakeFetch(url =>
      url.endsWith('/health') ? new Response('OK') : new Response('', { status: 401 })
    )
    const error = await connectRegistry(options, registryEndpoint(options.registryUrl), {
      fetch,
      clock: fakeClock(),
      logger: memoryLogger(),
      progress: () => undefined
    }).catch(e => e)
    expect(error).toBeInstanceOf(UserError)
    expect(error.message).toBe("kellnr refused the login for user 'admin' (HTTP 401)")
    expect(error.hint).toContain('registry-token')
    expect(fetch.calls.map(c => c.url)).toEqual([
      'http://localhost:8000/api/v1/health',
      'http://localhost:8000/api/v1/auth/login'
    ])
  })

  it('uses a given token as is, without minting', async () => {
    const fetch = fakeFetch(url => new Response(url.endsWith('/health') ? 'OK' : CONFIG))
    const registry = await connectRegistry(
      { ...options, registryToken: 'given' },
      registryEndpoint(options.registryUrl),
      { fetch, clock: fakeClock(), logger: memoryLogger(), progress: () => undefined }
    )
    expect(registry.token).toBe('given')
    expect(fetch.calls.map(c => c.url)).toEqual([
      'http://localhost:8000/api/v1/health',
      'http://localhost:8000/api/v1/crates/config.json'
    ])
  })
})
