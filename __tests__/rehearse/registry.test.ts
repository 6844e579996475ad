import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { systemClock } from '../../src/clock.js'
import { testContext } from '../helpers/context.js'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { UserError } from '../../src/errors.js'
import { startRegistry } from '../../src/registry/index.js'
import { rehearse } from '../../src/rehearse/index.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { eventTypes, FIXTURES, readEventLines, readReceipt, rehearseOptions } from './helpers.js'

let sandbox: CargoSandbox
let ws: string

beforeAll(() => {
  sandbox = cargoSandbox('sr-rehearse-registry-')
  ws = sandbox.copyFixture(join(FIXTURES, 'chain'), 'chain')
})

afterAll(() => sandbox.cleanup())

/** A port nothing listens on: bind one, then close it. */
async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise(resolve => server.close(resolve))
  return port
}

describe('rehearse: the rehearsal registry', () => {
  it('refuses crates.io as the rehearsal registry before touching anything (exit 2)', async () => {
    const stateDir = join(sandbox.root, 'state-cratesio')
    const error = await rehearse(
      rehearseOptions(join(ws, 'Cargo.toml'), { registryUrl: 'https://crates.io', stateDir }),
      testContext(sandbox.env, systemClock)
    ).catch(e => e)
    expect(error).toBeInstanceOf(UserError)
    expect(error.exitCode).toBe(2)
    expect(existsSync(stateDir)).toBe(false)
  })

  it('records a failed rehearsal naming the URL when the registry never answers', async () => {
    const port = await deadPort()
    const ctx = testContext(sandbox.env, systemClock)

    const result = await rehearse(
      rehearseOptions(join(ws, 'Cargo.toml'), {
        registryUrl: `http://127.0.0.1:${port}`,
        registryToken: 'never-printed-token',
        registryWaitMs: 1200
      }),
      ctx
    )

    expect(result.outcome).toBe('failed')
    expect(result.failure?.message).toMatch(
      new RegExp(
        `^the rehearsal registry did not answer at http://127\\.0\\.0\\.1:${port}/api/v1/health within 1\\.2s `
      )
    )
    expect(result.failure?.hint).toContain('8000:8000')
    expect(result.packages.map(p => p.status)).toEqual(['pending', 'pending', 'pending'])
    const receipt = readReceipt(join(ws, '.shipper'))
    expect(receipt.passed).toBe(false)
    expect(receipt.summary).toMatch(
      /^rehearsal stopped at 0\/3: the rehearsal registry did not answer/
    )
    const events = readEventLines(join(ws, '.shipper', 'events.jsonl'))
    expect(eventTypes(events).slice(-2)).toEqual(['rehearsal_started', 'rehearsal_complete'])
    expect(ctx.lines.some(l => l.includes('does not answer yet'))).toBe(true)
  })

  it('fails at once when registry-url serves a web page instead of a registry', async () => {
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<!doctype html><html><body>some web app</body></html>')
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const result = await rehearse(
        rehearseOptions(join(ws, 'Cargo.toml'), {
          registryUrl: `http://localhost:${port}`,
          registryToken: 'a-token-for-the-web-page',
          registryWaitMs: 60_000
        }),
        testContext(sandbox.env, systemClock)
      )
      expect(result.outcome).toBe('failed')
      expect(result.failure?.message).toContain('does not serve a cargo registry')
      expect(result.failure?.message).toContain(
        `http://localhost:${port}/api/v1/crates/config.json`
      )
    } finally {
      await new Promise(resolve => server.close(resolve))
    }
  })

  it('rehearses the selected crates from a member manifest against a registry that requires auth to read', async () => {
    const registry = await startRegistry({ authRequired: true })
    try {
      const result = await rehearse(
        rehearseOptions(join(ws, 'second', 'Cargo.toml'), {
          packages: ['second'],
          registryUrl: `sparse+${registry.url}/api/v1/crates/`,
          registryToken: registry.token
        }),
        testContext(sandbox.env, systemClock)
      )

      expect(result.failure).toBeUndefined()
      expect(result.packages.map(p => [p.name, p.status])).toEqual([
        ['first', 'published'],
        ['second', 'published']
      ])
      expect(result.stateDir).toBe(join(ws, '.shipper'))
      expect(readReceipt(result.stateDir).summary).toBe(
        "rehearsed 2 packages against 'rehearsal' successfully"
      )
      const anonymous = await fetch(`${registry.url}/api/v1/crates/fi/rs/first`)
      expect(anonymous.status).toBe(401)
    } finally {
      await registry.close()
    }
  })
})
