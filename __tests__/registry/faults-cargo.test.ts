import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import { fetchIndexEntries } from '../../src/sparse/client.js'
import { cargoSandbox } from '../helpers/sandbox.js'
import { cargo, cargoEnv, makeCrate } from './helpers.js'

const sandbox = cargoSandbox()
let registry: EmbeddedRegistry
let env: Record<string, string>

beforeAll(async () => {
  registry = await startRegistry()
  env = cargoEnv(sandbox, { rehearsal: { registry } })
})
afterAll(async () => {
  await registry.close()
  sandbox.cleanup()
})

function publish(name: string, version = '0.1.0') {
  return cargo(
    ['publish', '--registry', 'rehearsal', '--no-verify'],
    makeCrate(sandbox, { name, version }),
    env
  )
}

/** A crate depending on `name` from the registry, to make cargo read the index and download. */
function consumer(name: string): string {
  return makeCrate(sandbox, {
    name: `use-${name}`,
    tail: ['[dependencies]', `${name} = { version = "0.1.0", registry = "rehearsal" }`]
  })
}

describe('fault injection, as cargo experiences it', () => {
  it('fails a publish N times with a JSON error cargo prints, then lets it through', async () => {
    registry.faults.failPublish('sr-flaky', {
      times: 1,
      status: 503,
      body: { errors: [{ detail: 'the registry is being maintained' }] }
    })
    const first = await publish('sr-flaky')
    expect(first.exitCode).not.toBe(0)
    expect(first.stderr).toContain(
      'the remote server responded with an error (status 503 Service Unavailable): the registry is being maintained'
    )
    expect(registry.faults.uploads()['sr-flaky@0.1.0']).toBeUndefined()
    const second = await publish('sr-flaky')
    expect([second.exitCode, second.stderr]).toEqual([
      0,
      expect.stringContaining('Published sr-flaky')
    ])
  })

  it('fails a publish with a plain-text body', async () => {
    registry.faults.failPublish('sr-text', { times: 1, status: 502, body: 'upstream went away' })
    const result = await publish('sr-text')
    expect(result.stderr).toContain('failed to get a 200 OK response, got 502')
    expect(result.stderr).toContain('upstream went away')
  })

  it('answers 429 with Retry-After the way crates.io rate-limits', async () => {
    const when = new Date(Date.UTC(2030, 5, 1, 8, 30, 0))
    registry.faults.failPublish('sr-limited', {
      times: 1,
      status: 429,
      retryAfter: when,
      body: {
        errors: [
          {
            detail: `You have published too many new crates in a short period of time. Please try again after ${when.toUTCString()}`
          }
        ]
      }
    })
    const result = await publish('sr-limited')
    expect(result.stderr).toContain('status 429 Too Many Requests')
    expect(result.stderr).toContain('Please try again after Sat, 01 Jun 2030 08:30:00 GMT')
  })

  it('delays index visibility: cargo waits for the version, then succeeds', async () => {
    registry.faults.delayIndex('sr-slow', '0.1.0', 1500)
    const started = Date.now()
    const result = await publish('sr-slow')
    expect([result.exitCode, result.stderr]).toEqual([
      0,
      expect.stringContaining('Published sr-slow')
    ])
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500)
    expect((await fetchIndexEntries(registry.indexUrl, 'sr-slow'))?.map(e => e.vers)).toEqual([
      '0.1.0'
    ])
  })

  it('hides a version from cargo until cleared', async () => {
    expect((await publish('sr-ghost')).exitCode).toBe(0)
    registry.faults.hideIndex('sr-ghost', '0.1.0')
    const dir = consumer('sr-ghost')
    const hidden = await cargo(['generate-lockfile'], dir, env)
    expect(hidden.exitCode).not.toBe(0)
    expect(hidden.stderr).toContain('no matching package named `sr-ghost` found')
    registry.faults.clear()
    expect((await cargo(['generate-lockfile'], dir, env)).exitCode).toBe(0)
  })

  it('fails index fetches for one crate, then serves them', async () => {
    expect((await publish('sr-idx')).exitCode).toBe(0)
    registry.faults.failIndex('sr-idx', { times: 1, status: 500, body: 'index store unavailable' })
    const dir = consumer('sr-idx')
    const failed = await cargo(['generate-lockfile'], dir, env)
    expect(failed.exitCode).not.toBe(0)
    expect(failed.stderr).toContain('got 500')
    expect(failed.stderr).toContain('index store unavailable')
    expect((await cargo(['generate-lockfile'], dir, env)).exitCode).toBe(0)
  })

  it('fails downloads for one crate, then serves them', async () => {
    expect((await publish('sr-dl')).exitCode).toBe(0)
    const dir = consumer('sr-dl')
    expect((await cargo(['generate-lockfile'], dir, env)).exitCode).toBe(0)
    registry.faults.failDownload('sr-dl', {
      times: 1,
      status: 500,
      body: { errors: [{ detail: 'disk error' }] }
    })
    const failed = await cargo(['fetch'], dir, env)
    expect(failed.exitCode).not.toBe(0)
    expect(failed.stderr).toContain('failed to download from')
    expect(failed.stderr).toContain('got 500')
    expect(failed.stderr).toContain('disk error')
    const ok = await cargo(['fetch'], dir, env)
    expect([ok.exitCode, ok.stderr]).toEqual([
      0,
      expect.stringContaining('Downloaded sr-dl v0.1.0')
    ])
  })

  it('stores an upload, then drops the connection: cargo fails but the version exists', async () => {
    registry.faults.dropAfterStore('sr-dropped')
    const first = await publish('sr-dropped')
    expect(first.exitCode).not.toBe(0)
    expect(first.stderr).toContain('Empty reply from server')
    expect(registry.faults.uploads()['sr-dropped@0.1.0']).toBe(1)
    expect((await fetchIndexEntries(registry.indexUrl, 'sr-dropped'))?.map(e => e.vers)).toEqual([
      '0.1.0'
    ])
    const retry = await publish('sr-dropped')
    expect(retry.exitCode).not.toBe(0)
    expect(retry.stderr).toContain('already exists')
    expect(registry.faults.uploads()['sr-dropped@0.1.0']).toBe(1)
  })
})
