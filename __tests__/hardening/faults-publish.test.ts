import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Options } from '../../src/options/types.js'
import { publish } from '../../src/publish/index.js'
import type { RunResult } from '../../src/result.js'
import {
  CRATES,
  readFactLines,
  RehearsedFixture,
  testContext,
  type TestContext
} from '../publish/helpers.js'
import {
  ALL_VERSIONS,
  expectIntactEvents,
  expectUploadedOnce,
  NO_CARGO_INDEX_WAIT,
  typesOf
} from './helpers.js'

/**
 * The fault matrix in publish mode, in process: real cargo uploading to the embedded "live"
 * registry with faults injected, the engine on a fake clock so retries and readiness waits cost
 * nothing. Every row checks the outcome, that each version was stored exactly once (after a rerun
 * where the first run had to stop), and that events.jsonl has no torn or lost line.
 */
let fixture: RehearsedFixture

beforeAll(async () => {
  fixture = await RehearsedFixture.create('sr-hard-pub-')
}, 120_000)

afterAll(async () => {
  await fixture?.close()
})

afterEach(async () => {
  await fixture.freshLive()
})

const live = () => fixture.live

async function run(
  ws: string,
  overrides: Partial<Options> = {},
  env: Record<string, string> = {}
): Promise<{ result: RunResult; ctx: TestContext }> {
  const ctx = testContext({ ...fixture.env(), ...env })
  const result = await publish(fixture.options(ws, overrides), ctx)
  return { result, ctx }
}

function statuses(result: RunResult): [string, string][] {
  return result.packages.map(p => [p.name, p.status])
}

/** What a rerun after a stop must do: finish the plan, uploading only what is missing. */
async function rerunCompletes(ws: string, env: Record<string, string> = {}): Promise<RunResult> {
  live().faults.clear()
  const { result } = await run(ws, {}, env)
  expect(result.failure).toBeUndefined()
  expect(result.outcome).toBe('published')
  expect(result.packages.every(p => p.status === 'published' || p.status === 'skipped')).toBe(true)
  return result
}

/**
 * Forgets every .crate cargo downloaded: the live registry keeps its port, so its crates would
 * otherwise come from CARGO_HOME's cache and a download fault would never be hit.
 */
function forgetDownloads(): void {
  for (const dir of ['cache', 'src'])
    rmSync(join(fixture.sandbox.cargoHome, 'registry', dir), { recursive: true, force: true })
}

/** Whether cargo fetched `name` 0.1.0 from the registry since forgetDownloads(). */
function downloaded(name: string): boolean {
  const cache = join(fixture.sandbox.cargoHome, 'registry', 'cache')
  if (!existsSync(cache)) return false
  return readdirSync(cache).some(index => existsSync(join(cache, index, `${name}-0.1.0.crate`)))
}

function eventsOf(ws: string) {
  return expectIntactEvents(join(ws, '.shipper', 'events.jsonl'))
}

describe('fault matrix, publish mode: transient registry errors are retried', () => {
  it('5xx on upload: two 503s, then the upload goes through once', async () => {
    const ws = fixture.workspace()
    live().faults.failPublish('shr-util', { times: 2, status: 503, body: 'service unavailable' })
    const { result, ctx } = await run(ws)
    expect(result.outcome).toBe('published')
    expect(result.packages.find(p => p.name === 'shr-util')?.attempts).toBe(3)
    expect(ctx.clock.sleeps).toHaveLength(2)
    expectUploadedOnce([live().faults.uploads()])
    expect(typesOf(eventsOf(ws)).filter(t => t === 'retry_scheduled')).toHaveLength(2)
  })

  it('5xx on the index: two 503s while reading shr-util, and the release still completes', async () => {
    const ws = fixture.workspace()
    live().faults.failIndex('shr-util', { times: 2, status: 503, body: 'index unavailable' })
    const { result } = await run(ws)
    expect(result.failure).toBeUndefined()
    expect(result.outcome).toBe('published')
    expectUploadedOnce([live().faults.uploads()])
    eventsOf(ws)
  })

  it('5xx on the index mid-release: the engine’s reads of shr-app fail twice, and are retried', async () => {
    const ws = fixture.workspace()
    const ctx = testContext(fixture.env())
    const realFetch = ctx.fetch
    let armed = false
    // Armed once the first crate is stored, so the plan's first look at the index is not hit.
    ctx.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      if (!armed && live().faults.uploads()['shr-core@0.1.0']) {
        armed = true
        live().faults.failIndex('shr-app', { times: 2, status: 503, body: 'index unavailable' })
      }
      return realFetch(input, init)
    }) as typeof fetch
    const result = await publish(fixture.options(ws), ctx)
    expect(result.failure).toBeUndefined()
    expect(result.outcome).toBe('published')
    expect(armed).toBe(true)
    expectUploadedOnce([live().faults.uploads()])
    const app = eventsOf(ws).filter(e => e.package === 'shr-app@0.1.0')
    expect(typesOf(app).filter(t => t === 'retry_scheduled')).toHaveLength(2)
  })

  it('5xx on download: cargo retries the download its verification needs', async () => {
    const ws = fixture.workspace()
    // shr-core goes out first; shr-util is refused for good, so the rerun has to verify shr-app
    // against the shr-core it downloads from the live registry.
    live().faults.failPublish('shr-util', {
      times: 1,
      status: 400,
      body: { errors: [{ detail: 'missing or empty metadata fields: readme' }] }
    })
    const first = await run(ws)
    expect(first.result.outcome).toBe('failed')
    expect(live().faults.uploads()).toEqual({ 'shr-core@0.1.0': 1 })

    forgetDownloads()
    live().faults.failDownload('shr-core', { times: 1, status: 503, body: 'try again' })
    // cargo's default net.retry is 3; the sandbox turns it off, a real runner does not.
    const { result } = await run(ws, {}, { CARGO_NET_RETRY: '2' })
    expect(result.failure).toBeUndefined()
    expect(statuses(result)).toEqual([
      ['shr-core', 'skipped'],
      ['shr-util', 'published'],
      ['shr-app', 'published']
    ])
    expect(downloaded('shr-core')).toBe(true)
    expectUploadedOnce([live().faults.uploads()])
    eventsOf(ws)
  })

  it('5xx on download beyond cargo’s retries: stops before any upload, and a rerun completes', async () => {
    const ws = fixture.workspace()
    live().faults.failPublish('shr-util', {
      times: 1,
      status: 400,
      body: { errors: [{ detail: 'missing or empty metadata fields: readme' }] }
    })
    expect((await run(ws)).result.outcome).toBe('failed')
    forgetDownloads()
    live().faults.failDownload('shr-core', { times: 5, status: 503, body: 'try again' })
    const { result } = await run(ws)
    expect(result.outcome).toBe('failed')
    expect(result.failure?.message).toMatch(/before any upload: .*failed to download from/)
    expect(result.failure?.stderrTail).toMatch(/503/)
    expect(result.failure?.hint).toMatch(/rerun/)
    expect(result.published).toEqual([])
    expect(live().faults.uploads()).toEqual({ 'shr-core@0.1.0': 1 })

    const second = await rerunCompletes(ws)
    expect(second.published.map(p => p.name)).toEqual(['shr-util', 'shr-app'])
    expectUploadedOnce([live().faults.uploads()])
    eventsOf(ws)
  })

  it('429 with Retry-After in seconds: waits that long, then uploads once', async () => {
    const ws = fixture.workspace()
    live().faults.failPublish('shr-core', {
      times: 1,
      status: 429,
      body: 'slow down',
      retryAfter: 1800
    })
    const { result, ctx } = await run(ws)
    expect(result.outcome).toBe('published')
    expect(ctx.clock.sleeps).toEqual([1_800_000])
    expectUploadedOnce([live().faults.uploads()])
    const limit = eventsOf(ws).find(e => e.event_type.type === 'rate_limit_observed')
    expect(limit?.event_type.retry_after_ms).toBe(1_800_000)
  })

  it('429 with Retry-After as an HTTP date: waits until then, then uploads once', async () => {
    const ws = fixture.workspace()
    const ctx = testContext(fixture.env())
    const until = new Date(ctx.clock.now() + 20 * 60_000)
    live().faults.failPublish('shr-core', {
      times: 1,
      status: 429,
      body: 'slow down',
      retryAfter: until
    })
    const result = await publish(fixture.options(ws), ctx)
    expect(result.outcome).toBe('published')
    // An HTTP date has whole seconds.
    expect(ctx.clock.sleeps).toHaveLength(1)
    expect(ctx.clock.sleeps[0]).toBeGreaterThan(20 * 60_000 - 2000)
    expect(ctx.clock.sleeps[0]).toBeLessThanOrEqual(20 * 60_000)
    expectUploadedOnce([live().faults.uploads()])
    eventsOf(ws)
  })
})

describe('fault matrix, publish mode: answers lost or late', () => {
  it('connection dropped after the upload was stored: reconciled from the index, not uploaded again', async () => {
    const ws = fixture.workspace()
    live().faults.dropAfterStore('shr-util')
    const { result } = await run(ws)
    expect(result.outcome).toBe('published')
    expect(result.published.map(p => p.name)).toEqual([...CRATES])
    expectUploadedOnce([live().faults.uploads()])
    const util = eventsOf(ws).filter(e => e.package === 'shr-util@0.1.0')
    expect(typesOf(util)).toContain('publish_reconciled')
  })

  it('index lag beyond the readiness timeout: stops naming the crate, and a rerun does not upload it again', async () => {
    const ws = fixture.workspace()
    live().faults.hideIndex('shr-util', '0.1.0')
    const { result } = await run(ws, { readinessTimeoutMs: 5000 }, NO_CARGO_INDEX_WAIT)
    expect(result.outcome).toBe('failed')
    expect(statuses(result)).toEqual([
      ['shr-core', 'published'],
      ['shr-util', 'failed'],
      ['shr-app', 'pending']
    ])
    expect(result.failure?.crate?.name).toBe('shr-util')
    expect(result.failure?.message).toMatch(/not visible in the live index after 5s/)
    expect(result.failure?.hint).toMatch(/rerun/)
    expect(typesOf(eventsOf(ws))).toContain('readiness_timeout')

    const second = await rerunCompletes(ws)
    expect(second.published).toEqual([{ name: 'shr-app', version: '0.1.0' }])
    expectUploadedOnce([live().faults.uploads()])
    eventsOf(ws)
  })

  it('registry down at start: fails with one clear line before anything, and a rerun completes', async () => {
    const ws = fixture.workspace()
    await live().close()
    const error = await run(ws).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toMatchObject({ name: 'UserError', exitCode: 1 })
    expect((error as Error).message).toContain(`127.0.0.1:${live().port}`)
    expect((error as Error).message).not.toMatch(/\n/)

    await fixture.freshLive()
    const result = await rerunCompletes(ws)
    expect(result.published.map(p => p.name)).toEqual([...CRATES])
    expectUploadedOnce([live().faults.uploads()])
    eventsOf(ws)
  })
})

describe('fault matrix, publish mode: bookkeeping', () => {
  it('a run that stops and a run that finishes share one log: gate, plan and execution per run', async () => {
    const ws = fixture.workspace()
    live().faults.failPublish('shr-app', { times: 1, status: 400, body: 'no' })
    await run(ws)
    await rerunCompletes(ws)
    const types = typesOf(eventsOf(ws))
    const facts = readFactLines(join(ws, '.shipper', 'events.jsonl'))
    expect(facts.filter(f => f.event_type.type === 'gate_decision')).toHaveLength(2)
    expect(types.filter(t => t === 'execution_started')).toHaveLength(2)
    expect(types.filter(t => t === 'execution_finished')).toHaveLength(2)
    expectUploadedOnce([live().faults.uploads()], ALL_VERSIONS)
  })
})
