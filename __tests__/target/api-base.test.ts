import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { UserError } from '../../src/errors.js'
import { resolveApiBase } from '../../src/target/api-base.js'
import { configJsonUrlFor, indexUrlFor } from '../../src/target/url.js'

const noFetch: typeof fetch = () => {
  throw new Error('no request expected')
}

async function rejection(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  if (error instanceof UserError) return error
  throw new Error(`expected a UserError, got ${String(error)}`)
}

describe('indexUrlFor', () => {
  it.each([
    ['http://localhost:8000', 'sparse+http://localhost:8000/api/v1/crates/'],
    ['http://localhost:8000/', 'sparse+http://localhost:8000/api/v1/crates/'],
    ['https://reg.example/kellnr', 'sparse+https://reg.example/kellnr/api/v1/crates/'],
    ['sparse+https://index.crates.io/', 'sparse+https://index.crates.io/'],
    ['sparse+http://127.0.0.1:9/index', 'sparse+http://127.0.0.1:9/index/'],
    ['  sparse+http://127.0.0.1:9/index/ ', 'sparse+http://127.0.0.1:9/index/']
  ])('turns %p into %p', (given, expected) => {
    expect(indexUrlFor(given)).toBe(expected)
  })

  it.each(['localhost:8000', 'ftp://host/', 'sparse+git://host/index', ''])(
    'rejects %p as bad input',
    given => {
      expect(() => indexUrlFor(given)).toThrow(UserError)
    }
  )

  it('finds config.json at the root of the index', () => {
    expect(configJsonUrlFor('http://localhost:8000')).toBe(
      'http://localhost:8000/api/v1/crates/config.json'
    )
    expect(configJsonUrlFor('sparse+https://h/index/')).toBe('https://h/index/config.json')
  })
})

describe('resolveApiBase', () => {
  let server: Server
  let base: string
  const seen: string[] = []

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '')
      const configs: Record<string, unknown> = {
        '/api/v1/crates/config.json': { dl: 'http://x/dl', api: 'http://kellnr.example:8000/' },
        '/index/config.json': { dl: 'http://x/dl', api: 'https://live.example' },
        '/no-api/config.json': { dl: 'http://x/dl' },
        '/garbage/config.json': 'not json {'
      }
      const body = configs[req.url ?? '']
      if (body === undefined) {
        res.writeHead(404).end('not found')
      } else {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(typeof body === 'string' ? body : JSON.stringify(body))
      }
    })
    await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    await new Promise(done => server.close(done))
  })

  it('uses https://crates.io for crates-io without asking anyone', async () => {
    await expect(resolveApiBase('crates-io', '', { fetch: noFetch, env: {} })).resolves.toBe(
      'https://crates.io'
    )
  })

  it("reads the api of a kellnr-layout base URL's config.json, without its trailing slash", async () => {
    await expect(resolveApiBase('kellnr', base, { fetch, env: {} })).resolves.toBe(
      'http://kellnr.example:8000'
    )
    expect(seen).toContain('/api/v1/crates/config.json')
  })

  it('reads the api of a sparse+ index URL', async () => {
    await expect(resolveApiBase('live', `sparse+${base}/index/`, { fetch, env: {} })).resolves.toBe(
      'https://live.example'
    )
  })

  it('reads the index URL of a named registry from CARGO_REGISTRIES_<NAME>_INDEX', async () => {
    const env = { CARGO_REGISTRIES_MY_LIVE_INDEX: `sparse+${base}/index/` }
    await expect(resolveApiBase('my-live', '', { fetch, env })).resolves.toBe(
      'https://live.example'
    )
  })

  it('asks for target-registry-url when a named registry has no known index', async () => {
    const error = await rejection(resolveApiBase('my-live', '', { fetch: noFetch, env: {} }))
    expect(error.message).toContain("'my-live'")
    expect(error.hint).toContain('target-registry-url')
    expect(error.hint).toContain('CARGO_REGISTRIES_MY_LIVE_INDEX')
    expect(error.exitCode).toBe(2)
  })

  it('refuses a git index in CARGO_REGISTRIES_<NAME>_INDEX', async () => {
    const env = { CARGO_REGISTRIES_OLD_INDEX: 'https://github.com/org/index' }
    const error = await rejection(resolveApiBase('old', '', { fetch: noFetch, env }))
    expect(error.message).toContain('not a sparse index URL')
  })

  it('fails with the URL it tried when config.json is missing', async () => {
    const error = await rejection(resolveApiBase('live', `sparse+${base}/nowhere/`, { fetch }))
    expect(error.message).toContain(`${base}/nowhere/config.json answered 404`)
    expect(error.exitCode).toBe(1)
  })

  it('fails when config.json has no api (a registry that takes no publishes)', async () => {
    const error = await rejection(resolveApiBase('live', `sparse+${base}/no-api/`, { fetch }))
    expect(error.message).toContain('no "api" field')
  })

  it('fails when config.json is not JSON', async () => {
    const error = await rejection(resolveApiBase('live', `sparse+${base}/garbage/`, { fetch }))
    expect(error.message).toContain('is not a cargo registry')
  })

  it('fails when nothing answers', async () => {
    const closed = createServer()
    await new Promise<void>(done => closed.listen(0, '127.0.0.1', done))
    const port = (closed.address() as AddressInfo).port
    await new Promise(done => closed.close(done))
    const error = await rejection(resolveApiBase('live', `http://127.0.0.1:${port}`, { fetch }))
    expect(error.message).toContain('could not read')
    expect(error.exitCode).toBe(1)
  })

  it('names the host when it does not resolve (a real DNS failure: .invalid never resolves)', async () => {
    const error = await rejection(
      resolveApiBase('live', 'https://live-registry.invalid', { fetch: globalThis.fetch })
    )
    expect(error.message).toBe(
      'could not read https://live-registry.invalid/api/v1/crates/config.json: cannot resolve live-registry.invalid (DNS; is this machine offline?)'
    )
  })
})
