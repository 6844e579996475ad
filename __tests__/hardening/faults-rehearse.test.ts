import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Options } from '../../src/options/types.js'
import { startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import { rehearse } from '../../src/rehearse/index.js'
import type { RunResult } from '../../src/result.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { LIVE_WS, publishOptions, testContext } from '../publish/helpers.js'
import { expectIntactEvents, expectUploadedOnce, NO_CARGO_INDEX_WAIT, typesOf } from './helpers.js'

/**
 * The fault matrix in rehearse mode, in process: real cargo publishing the fixture to an embedded
 * rehearsal registry given as `registry-url` (so the test can inject faults into it), the engine
 * on a fake clock. A rehearsal does not retry: a registry fault must fail it cleanly, record why,
 * leave no passing receipt, and a rerun against the same registry must pass without uploading
 * any version a second time.
 */
let sandbox: CargoSandbox
let live: EmbeddedRegistry
let ws: string
let registry: EmbeddedRegistry

beforeAll(async () => {
  sandbox = cargoSandbox('sr-hard-reh-')
  live = await startRegistry()
  ws = sandbox.copyFixture(LIVE_WS, 'ws')
})

afterAll(async () => {
  await live?.close()
  sandbox?.cleanup()
})

beforeEach(async () => {
  registry = await startRegistry()
  rmSync(join(ws, '.shipper'), { recursive: true, force: true })
})

afterEach(async () => {
  await registry.close()
})

const stateDir = () => join(ws, '.shipper')

function options(overrides: Partial<Options> = {}): Options {
  return publishOptions(join(ws, 'Cargo.toml'), live.url, {
    mode: 'rehearse',
    registryUrl: registry.url,
    registryToken: registry.token,
    readinessTimeoutMs: 5000,
    ...overrides
  })
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { ...sandbox.env, CARGO_REGISTRIES_LIVE_INDEX: live.indexUrl, ...extra }
}

async function run(
  overrides: Partial<Options> = {},
  extraEnv: Record<string, string> = {}
): Promise<RunResult> {
  return rehearse(options(overrides), testContext(env(extraEnv)))
}

function receipt(): { passed: boolean; summary: string } {
  return JSON.parse(readFileSync(join(stateDir(), 'rehearsal.json'), 'utf8')) as {
    passed: boolean
    summary: string
  }
}

/** A stopped rehearsal: a failing receipt that says why, and a log that ends with the verdict. */
function expectRecordedFailure(result: RunResult, pattern: RegExp): void {
  expect(result.outcome).toBe('failed')
  expect(result.failure?.message).toMatch(pattern)
  expect(result.failure?.message).not.toMatch(/\n/)
  expect(result.failure?.hint).toBeTruthy()
  expect(receipt().passed).toBe(false)
  const events = expectIntactEvents(join(stateDir(), 'events.jsonl'))
  expect(events.at(-1)?.event_type).toMatchObject({ type: 'rehearsal_complete', passed: false })
}

/** The rerun against the same registry passes, and the registry holds each version once. */
async function rerunPasses(
  overrides: Partial<Options> = {},
  extraEnv: Record<string, string> = {}
): Promise<RunResult> {
  registry.faults.clear()
  const result = await run(overrides, extraEnv)
  expect(result.failure).toBeUndefined()
  expect(result.outcome).toBe('passed')
  expect(receipt().passed).toBe(true)
  expectUploadedOnce([registry.faults.uploads()])
  const types = typesOf(expectIntactEvents(join(stateDir(), 'events.jsonl')))
  expect(types.filter(t => t === 'rehearsal_complete')).toHaveLength(2)
  return result
}

describe('fault matrix, rehearse mode: a registry error fails the rehearsal cleanly', () => {
  it('5xx on upload', async () => {
    registry.faults.failPublish('shr-util', {
      times: 1,
      status: 503,
      body: { errors: [{ detail: 'registry is restarting' }] }
    })
    const result = await run({ maxConcurrency: 1 })
    expectRecordedFailure(result, /uploading shr-util@0\.1\.0 failed: .*registry is restarting/)
    expect(result.failure?.class).toBe('retryable')
    expect(registry.faults.uploads()).toEqual({ 'shr-core@0.1.0': 1 })
    const second = await rerunPasses()
    expect(second.packages.map(p => [p.name, p.status])).toEqual([
      ['shr-core', 'skipped'],
      ['shr-util', 'published'],
      ['shr-app', 'published']
    ])
  })

  it('5xx on the index', async () => {
    registry.faults.failIndex('shr-util', { times: 1, status: 500, body: 'index store down' })
    const result = await run()
    // cargo hits the fault first, resolving shr-app's dependency while packaging.
    expectRecordedFailure(result, /packaging shr-app@0\.1\.0 failed: .*`shr-util`/)
    expect(result.failure?.class).toBe('retryable')
    expect(result.failure?.stderrTail).toContain('got 500')
    // A transient registry error is not something "a publish of this plan would fail the same
    // way" on; the hint says to run the rehearsal again.
    expect(result.failure?.hint).toMatch(/HTTP 500/)
    expect(result.failure?.hint).not.toMatch(/would fail the same way/)
    expect(registry.faults.uploads()).toEqual({})
    await rerunPasses()
  })

  it('5xx on download (the smoke build fetches every crate)', async () => {
    for (const dir of ['cache', 'src'])
      rmSync(join(sandbox.cargoHome, 'registry', dir), { recursive: true, force: true })
    registry.faults.failDownload('shr-core', { times: 1, status: 502, body: 'bad gateway' })
    const result = await run({ smokeBuild: true })
    expectRecordedFailure(result, /smoke check failed: the consumer build: .*download/)
    expectUploadedOnce([registry.faults.uploads()])
    const rerun = await rerunPasses({ smokeBuild: true })
    expect(rerun.packages.every(p => p.status === 'skipped')).toBe(true)
  })

  it('429 with Retry-After in seconds', async () => {
    registry.faults.failPublish('shr-core', { times: 1, status: 429, retryAfter: 60 })
    const result = await run({ maxConcurrency: 1 })
    expectRecordedFailure(result, /shr-core@0\.1\.0 failed: .*429/)
    expect(result.failure?.class).toBe('retryable')
    await rerunPasses()
  })

  it('429 with Retry-After as an HTTP date', async () => {
    registry.faults.failPublish('shr-core', {
      times: 1,
      status: 429,
      retryAfter: new Date(Date.now() + 120_000)
    })
    const result = await run({ maxConcurrency: 1 })
    expectRecordedFailure(result, /shr-core@0\.1\.0 failed: .*429/)
    expect(result.failure?.class).toBe('retryable')
    await rerunPasses()
  })

  it('connection dropped after the upload was stored: the rerun finds it and does not upload again', async () => {
    registry.faults.dropAfterStore('shr-core')
    const result = await run({ maxConcurrency: 1 })
    expectRecordedFailure(result, /shr-core@0\.1\.0/)
    expect(registry.faults.uploads()).toEqual({ 'shr-core@0.1.0': 1 })
    const second = await rerunPasses()
    expect(second.packages[0]).toMatchObject({ name: 'shr-core', status: 'skipped' })
  })

  it('index lag beyond the readiness timeout', async () => {
    registry.faults.hideIndex('shr-core', '0.1.0')
    const result = await run({ maxConcurrency: 1, readinessTimeoutMs: 3000 }, NO_CARGO_INDEX_WAIT)
    expectRecordedFailure(result, /shr-core@0\.1\.0 was uploaded but did not appear .* within 3s/)
    expect(result.failure?.class).toBe('ambiguous')
    // shr-util shares shr-core's level, so it went out in the same cargo invocation.
    expect(registry.faults.uploads()).toMatchObject({ 'shr-core@0.1.0': 1 })
    expect(Object.values(registry.faults.uploads()).every(n => n === 1)).toBe(true)
    await rerunPasses()
  })

  it('registry down at start: the rehearsal says which URL did not answer', async () => {
    const port = registry.port
    const token = registry.token
    const dataDir = join(sandbox.root, `registry-${port}`)
    await registry.close()
    const result = await run({ registryWaitMs: 3000 })
    expectRecordedFailure(result, new RegExp(`127\\.0\\.0\\.1:${port}.* within 3s`))
    expect(existsSync(dataDir)).toBe(false)

    registry = await startRegistry({ port, token, dataDir })
    await rerunPasses()
  })
})
