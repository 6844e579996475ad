import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Options } from '../../src/options/types.js'
import { gateCommand } from '../../src/cli/gate.js'
import { publishCommand } from '../../src/cli/publish.js'
import { publish } from '../../src/publish/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import {
  afterGate,
  CRATES,
  eventTypes,
  MemoryArtifacts,
  readEventLines,
  readFactLines,
  receiptOf,
  RehearsedFixture,
  testContext
} from './helpers.js'

let fixture: RehearsedFixture
let live: EmbeddedRegistry
let rehearsed: string

const env = () => fixture.env()
const workspace = () => fixture.workspace()
const options = (ws: string, overrides: Partial<Options> = {}) => fixture.options(ws, overrides)
async function freshLive(): Promise<void> {
  live = await fixture.freshLive()
}

beforeAll(async () => {
  fixture = await RehearsedFixture.create('sr-publish-')
  live = fixture.live
  rehearsed = fixture.rehearsed
}, 120_000)

afterAll(async () => {
  await fixture?.close()
})

describe('publish after a rehearsal', () => {
  afterEach(async () => {
    await freshLive()
  })

  it('publishes the rehearsed plan to the live registry in dependency order', async () => {
    const ws = workspace()
    const ctx = testContext(env())
    const result = await publish(options(ws), ctx)
    expect(result.failure).toBeUndefined()
    expect(result.outcome).toBe('published')
    expect(result.packages.map(p => [p.name, p.status, p.attempts])).toEqual(
      CRATES.map(n => [n, 'published', 1])
    )
    expect(result.published).toEqual(CRATES.map(name => ({ name, version: '0.1.0' })))
    expect(live.faults.uploads()).toEqual({
      'shr-core@0.1.0': 1,
      'shr-util@0.1.0': 1,
      'shr-app@0.1.0': 1
    })

    const events = readEventLines(join(ws, '.shipper', 'events.jsonl'))
    const types = eventTypes(events)
    // The same log carries the rehearsal, then the publish; our own facts go beside it.
    expect(types.indexOf('rehearsal_complete')).toBeLessThan(types.indexOf('plan_created'))
    expect(eventTypes(afterGate(events)).slice(0, 3)).toEqual([
      'plan_created',
      'auth_evidence_recorded',
      'execution_started'
    ])
    const facts = readFactLines(join(ws, '.shipper', 'events.jsonl'))
    expect(facts.map(f => f.event_type)).toEqual([
      {
        type: 'gate_decision',
        decision: 'proceed',
        reason: expect.stringMatching(/^rehearsal accepted/)
      },
      { type: 'auth_selected', method: 'token', source: 'input' }
    ])
    expect(types.at(-1)).toBe('execution_finished')
    expect(events.at(-1)!.event_type).toEqual({ type: 'execution_finished', result: 'success' })
    expect(eventTypes(afterGate(events), 'shr-app@0.1.0')).toEqual([
      'package_started',
      'package_attempted',
      'package_output',
      'package_uploaded',
      'readiness_started',
      'readiness_poll',
      'readiness_complete',
      'package_published'
    ])
    const auth = events.find(e => e.event_type.type === 'auth_evidence_recorded')!
    expect(auth.event_type).toEqual({
      type: 'auth_evidence_recorded',
      evidence: {
        schema_version: 'shipper.auth_evidence.v1',
        registry: 'live',
        auth_mode: 'cargo_token',
        token_detected: true,
        oidc_request_url_present: false,
        oidc_request_token_present: false
      }
    })
    const text = readFileSync(join(ws, '.shipper', 'events.jsonl'), 'utf8')
    expect(text).not.toContain(live.token)

    const receipt = receiptOf(ws)
    expect(receipt).toMatchObject({
      plan_id: result.plan!.planId,
      registry: 'live',
      content_digest: result.digest!.digest,
      result: 'success',
      gate: { decision: 'proceed', bypassed: false }
    })
    expect(receipt.packages.map(p => [p.name, p.state, p.attempts])).toEqual(
      CRATES.map(n => [n, 'published', 1])
    )
  })
})

/** Loads, edits and writes back a JSON file of the state dir. */
function editJson(path: string, edit: (value: Record<string, unknown>) => void): void {
  const value = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
  edit(value)
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`)
}

describe('the gate refuses, uploading nothing', () => {
  afterEach(async () => {
    expect(live.faults.uploads()).toEqual({})
    await freshLive()
  })

  async function refused(
    ws: string,
    overrides: Partial<Options> = {},
    artifacts?: MemoryArtifacts
  ) {
    const result = await publish(
      options(ws, overrides),
      testContext(env()),
      artifacts ? { artifacts } : {}
    )
    expect(result.outcome).toBe('refused')
    expect(result.failure?.class).toBe('refused')
    expect(result.published).toEqual([])
    expect(result.packages.map(p => p.status)).toEqual(['pending', 'pending', 'pending'])
    expect(receiptOf(ws)).toMatchObject({ result: 'refused', gate: { decision: 'refuse' } })
    const eventsPath = join(ws, '.shipper', 'events.jsonl')
    expect(eventTypes(afterGate(readEventLines(eventsPath)))).toEqual([])
    expect(
      readFactLines(eventsPath)
        .map(f => f.event_type.type)
        .at(-1)
    ).toBe('gate_decision')
    return result.failure!
  }

  it('refuses a receipt whose plan_id is stale, showing both ids', async () => {
    const ws = workspace()
    const manifest = join(ws, 'app', 'Cargo.toml')
    writeFileSync(
      manifest,
      readFileSync(manifest, 'utf8').replace('version.workspace = true', 'version = "0.2.0"')
    )
    const receipt = JSON.parse(readFileSync(join(ws, '.shipper', 'rehearsal.json'), 'utf8')) as {
      plan_id: string
    }
    const failure = await refused(ws)
    expect(failure.message).toMatch(/stale/)
    expect(failure.message).toContain(receipt.plan_id)
    expect(failure.hint).toMatch(/rehearse/)
  })

  it('refuses a receipt of a failed rehearsal, quoting its summary', async () => {
    const ws = workspace()
    editJson(join(ws, '.shipper', 'rehearsal.json'), r => {
      r.passed = false
      r.summary = 'rehearsal stopped at 1/3: shr-util does not compile'
    })
    const failure = await refused(ws)
    expect(failure.message).toContain('rehearsal stopped at 1/3: shr-util does not compile')
  })

  it('refuses under bind: content when sources changed, naming the crate', async () => {
    const ws = workspace()
    writeFileSync(join(ws, 'core', 'src', 'lib.rs'), 'pub fn core() -> u32 { 42 }\n')
    const failure = await refused(ws)
    expect(failure.message).toMatch(/sources changed/)
    expect(failure.message).toMatch(/changed: shr-core\b/)
  })

  it('refuses when there is no receipt, saying where it looked and how to make one', async () => {
    const ws = workspace()
    rmSync(join(ws, '.shipper', 'rehearsal.json'))
    const failure = await refused(ws)
    expect(failure.message).toContain(join(ws, '.shipper', 'rehearsal.json'))
    expect(failure.hint).toMatch(/shipper-rehearse rehearse/)
  })

  it('refuses an event log edited to disagree with the receipt beside it', async () => {
    const ws = workspace()
    const path = join(ws, '.shipper', 'events.jsonl')
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n')
    const edited = lines.map(line =>
      line.includes('"rehearsal_complete"') ? line.replace('"passed":true', '"passed":false') : line
    )
    expect(edited).not.toEqual(lines)
    writeFileSync(path, `${edited.join('\n')}\n`)
    const failure = await refused(ws)
    expect(failure.message).toMatch(/not the log the receipt was written with/)
  })

  it('refuses when the rehearsal artifact is missing, naming the run and the artifact', async () => {
    const ws = workspace()
    const artifacts = new MemoryArtifacts()
    const failure = await refused(ws, { rehearsalRunId: 4242, githubToken: 'gh-token' }, artifacts)
    expect(failure.message).toContain("artifact 'shipper-rehearsal'")
    expect(failure.message).toContain('run 4242')
    expect(artifacts.downloads).toEqual([
      { name: 'shipper-rehearsal', runId: 4242, token: 'gh-token', dest: join(ws, '.shipper') }
    ])
    // The local copy of the proof did not stand in for the missing artifact, and nothing was uploaded.
    expect(existsSync(join(ws, '.shipper', 'rehearsal.json'))).toBe(false)
    expect(artifacts.uploaded).toEqual([])
  })
})

describe('the proof as a workflow artifact', () => {
  afterEach(async () => {
    await freshLive()
  })

  it('downloads the rehearsal artifact of another run into the state dir and uploads the publish record', async () => {
    const ws = workspace()
    const artifacts = new MemoryArtifacts()
    artifacts.put(
      'shipper-rehearsal',
      join(rehearsed, '.shipper'),
      ['rehearsal.json', 'events.jsonl'],
      777
    )
    rmSync(join(ws, '.shipper'), { recursive: true })
    const result = await publish(
      options(ws, { rehearsalRunId: 777, githubToken: 'gh-token', retentionDays: 5 }),
      testContext(env()),
      { artifacts }
    )
    expect(result.outcome).toBe('published')
    expect(result.artifactId).toBe(1001)
    expect(artifacts.uploaded.map(u => [u.name, [...u.files.keys()].sort()])).toEqual([
      [
        'shipper-rehearsal-publish',
        [
          'cargo.log',
          'events.jsonl',
          'publish-record.json',
          'rehearsal.json',
          'rehearse-events.jsonl'
        ]
      ]
    ])
    const uploadedEvents = artifacts.uploaded[0]!.files.get('events.jsonl')!.toString('utf8')
    expect(uploadedEvents).toContain('"rehearsal_complete"')
    expect(uploadedEvents).toContain('"execution_finished"')
  })
})

describe('operator bypass and dry run', () => {
  afterEach(async () => {
    await freshLive()
  })

  it('skip-rehearsal publishes without a receipt, loudly, and records the bypass', async () => {
    const ws = workspace()
    rmSync(join(ws, '.shipper'), { recursive: true })
    const ctx = testContext(env())
    const result = await publish(options(ws, { skipRehearsal: true }), ctx)
    expect(result.outcome).toBe('published')
    expect(result.gate).toMatchObject({ decision: 'proceed', bypassed: true })
    expect(ctx.logger.lines.join('\n')).toMatch(
      /warning: skip-rehearsal is set: publishing is proceeding WITHOUT a rehearsal/
    )
    const eventsPath = join(ws, '.shipper', 'events.jsonl')
    expect(readEventLines(eventsPath)[0]!.event_type.type).toBe('plan_created')
    expect(readFactLines(eventsPath)[0]!.event_type).toMatchObject({
      type: 'gate_bypassed',
      plan_id: result.plan!.planId
    })
    expect(receiptOf(ws).gate).toMatchObject({ decision: 'proceed', bypassed: true })
  })

  it('dry-run gates, plans, verifies and reads the index, but uploads nothing', async () => {
    const ws = workspace()
    const artifacts = new MemoryArtifacts()
    artifacts.put('shipper-rehearsal', join(rehearsed, '.shipper'), [
      'rehearsal.json',
      'events.jsonl'
    ])
    const result = await publish(options(ws, { dryRun: true }), testContext(env()), { artifacts })
    expect(result.outcome).toBe('dry-run')
    expect(result.packages.map(p => p.status)).toEqual(['dry-run', 'dry-run', 'dry-run'])
    expect(result.published).toEqual([])
    expect(live.faults.uploads()).toEqual({})
    expect(artifacts.uploaded).toEqual([])
    expect(receiptOf(ws).result).toBe('dry_run')
  })

  it('a live index host that does not resolve fails the run at once, naming the host', async () => {
    const ws = workspace()
    // The registry answers its config.json; its index is then read from a host that cannot
    // resolve (a real DNS failure: `.invalid` never resolves).
    const unresolvable = (async (input: string | URL | Request, init?: RequestInit) =>
      String(input).endsWith('/config.json')
        ? fetch(input, init)
        : fetch(String(input).replace('127.0.0.1', 'live-index.invalid'), init)) as typeof fetch
    const ctx = { ...testContext(env()), fetch: unresolvable }
    const result = await publish(options(ws, { dryRun: true, bind: 'plan' }), ctx)
    expect(result.outcome).toBe('failed')
    expect(result.failure?.message).toMatch(
      /^cannot resolve live-index\.invalid, the host of '.*' \(DNS\)/
    )
    expect(result.failure?.hint).toMatch(/check the network/)
    expect(ctx.clock.sleeps).toEqual([])
    expect(live.faults.uploads()).toEqual({})
  })

  it('a dry run fails when verification fails', async () => {
    const ws = workspace()
    writeFileSync(join(ws, 'util', 'src', 'lib.rs'), 'pub fn util() -> u32 { not_rust }\n')
    const result = await publish(options(ws, { dryRun: true, bind: 'plan' }), testContext(env()))
    expect(result.outcome).toBe('failed')
    expect(result.failure?.message).toMatch(/verification failed before any upload/)
    expect(result.failure?.stderrTail).toMatch(/not_rust/)
    expect(live.faults.uploads()).toEqual({})
  })
})

/**
 * A fetch that shows the live index lagging behind the registry's storage, as a CDN does: once
 * `name@version` appears, the next `polls` index reads still omit it. cargo reads the index over
 * its own connection, so only this process sees the lag.
 */
function laggingFetch(name: string, version: string, polls: number): typeof fetch {
  let left = polls
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const response = await fetch(input, init)
    if (!String(input).endsWith(`/${name}`) || response.status !== 200) return response
    const text = await response.text()
    const lines = text.split('\n').filter(Boolean)
    const listed = lines.some(l => (JSON.parse(l) as { vers: string }).vers === version)
    if (listed && left > 0) {
      left -= 1
      const kept = lines.filter(l => (JSON.parse(l) as { vers: string }).vers !== version)
      return kept.length > 0
        ? new Response(`${kept.join('\n')}\n`, { status: 200 })
        : new Response('', { status: 404 })
    }
    return new Response(text, { status: 200, headers: response.headers })
  }) as typeof fetch
}

describe('failures on the live registry', () => {
  afterEach(async () => {
    await freshLive()
  })

  it('a rerun after a partial release continues without uploading anything twice', async () => {
    const ws = workspace()
    live.faults.failPublish('shr-app', {
      times: 1,
      status: 400,
      body: { errors: [{ detail: 'missing or empty metadata fields: readme' }] }
    })
    const first = await publish(options(ws), testContext(env()))
    expect(first.outcome).toBe('failed')
    expect(first.packages.map(p => [p.name, p.status])).toEqual([
      ['shr-core', 'published'],
      ['shr-util', 'published'],
      ['shr-app', 'failed']
    ])
    expect(first.failure).toMatchObject({
      class: 'permanent',
      crate: { name: 'shr-app', version: '0.1.0' }
    })
    expect(first.failure!.message).toContain('uploaded by this run: shr-core@0.1.0, shr-util@0.1.0')
    expect(first.failure!.message).toContain('not published: shr-app@0.1.0')
    expect(first.failure!.hint).toMatch(/rerunning is safe/)
    expect(first.failure!.stderrTail).toContain('missing or empty metadata fields')
    expect(receiptOf(ws).result).toBe('partial_failure')

    const second = await publish(options(ws), testContext(env()))
    expect(second.outcome).toBe('published')
    expect(second.packages.map(p => [p.name, p.status, p.reason ?? ''])).toEqual([
      ['shr-core', 'skipped', 'already published'],
      ['shr-util', 'skipped', 'already published'],
      ['shr-app', 'published', '']
    ])
    expect(second.published).toEqual([{ name: 'shr-app', version: '0.1.0' }])
    expect(live.faults.uploads()).toEqual({
      'shr-core@0.1.0': 1,
      'shr-util@0.1.0': 1,
      'shr-app@0.1.0': 1
    })
  })

  it('retries two 503s with backoff on the injected clock', async () => {
    const ws = workspace()
    live.faults.failPublish('shr-core', { times: 2, status: 503, body: 'service unavailable' })
    const ctx = testContext(env())
    const result = await publish(options(ws), ctx)
    expect(result.outcome).toBe('published')
    expect(result.packages[0]).toMatchObject({ name: 'shr-core', status: 'published', attempts: 3 })
    // Equal jitter, random pinned at 0.5, base 2 s: 1.5 s then 3 s.
    expect(ctx.clock.sleeps).toEqual([1500, 3000])
    expect(live.faults.uploads()['shr-core@0.1.0']).toBe(1)
    const retries = afterGate(readEventLines(join(ws, '.shipper', 'events.jsonl'))).filter(
      e => e.event_type.type === 'retry_scheduled'
    )
    expect(retries.map(e => e.event_type)).toEqual([
      expect.objectContaining({ attempt: 1, delay_ms: 1500, reason: 'retryable' }),
      expect.objectContaining({ attempt: 2, delay_ms: 3000, reason: 'retryable' })
    ])
  })

  it('waits as long as a 429 Retry-After asks', async () => {
    const ws = workspace()
    live.faults.failPublish('shr-core', {
      times: 1,
      status: 429,
      body: 'too many requests',
      retryAfter: 900
    })
    const ctx = testContext(env())
    const result = await publish(options(ws), ctx)
    expect(result.outcome).toBe('published')
    expect(ctx.clock.sleeps).toEqual([900_000])
    const events = afterGate(readEventLines(join(ws, '.shipper', 'events.jsonl')))
    expect(events.find(e => e.event_type.type === 'rate_limit_observed')!.event_type).toEqual({
      type: 'rate_limit_observed',
      is_new_crate: true,
      retry_after_ms: 900_000,
      message: 'rate limited by the registry (HTTP 429)'
    })
  })

  it('waits out crates.io’s new-crate window after a 429 on a brand-new crate', async () => {
    const ws = workspace()
    live.faults.failPublish('shr-core', {
      times: 1,
      status: 429,
      body: 'too many requests',
      retryAfter: 30
    })
    const ctx = testContext(env())
    await publish(options(ws), ctx)
    expect(ctx.clock.sleeps).toEqual([600_000])
  })

  it('reconciles an upload that was stored but never answered, instead of uploading it again', async () => {
    const ws = workspace()
    live.faults.dropAfterStore('shr-core')
    const result = await publish(options(ws), testContext(env()))
    expect(result.outcome).toBe('published')
    expect(result.published.map(p => p.name)).toEqual([...CRATES])
    expect(live.faults.uploads()).toEqual({
      'shr-core@0.1.0': 1,
      'shr-util@0.1.0': 1,
      'shr-app@0.1.0': 1
    })
    const core = afterGate(readEventLines(join(ws, '.shipper', 'events.jsonl'))).filter(
      e => e.package === 'shr-core@0.1.0'
    )
    expect(core.map(e => e.event_type.type)).toEqual([
      'package_started',
      'package_attempted',
      'package_output',
      'publish_reconciling',
      'publish_reconciled',
      'package_published'
    ])
  })

  it('waits out index lag before publishing dependents', async () => {
    const ws = workspace()
    const ctx = { ...testContext(env()), fetch: laggingFetch('shr-core', '0.1.0', 3) }
    const result = await publish(options(ws), ctx)
    expect(result.outcome).toBe('published')
    const polls = afterGate(readEventLines(join(ws, '.shipper', 'events.jsonl')))
      .filter(e => e.package === 'shr-core@0.1.0' && e.event_type.type === 'readiness_poll')
      .map(e => (e.event_type as { visible: boolean }).visible)
    expect(polls).toEqual([false, false, false, true])
    expect(ctx.clock.sleeps).toEqual([100, 200, 400])
  })

  it('stops with the crates that went out when a version never shows up', async () => {
    const ws = workspace()
    const ctx = { ...testContext(env()), fetch: laggingFetch('shr-util', '0.1.0', 10_000) }
    const result = await publish(options(ws, { readinessTimeoutMs: 5000 }), ctx)
    expect(result.outcome).toBe('failed')
    expect(result.packages.map(p => [p.name, p.status])).toEqual([
      ['shr-core', 'published'],
      ['shr-util', 'failed'],
      ['shr-app', 'pending']
    ])
    expect(result.published.map(p => p.name)).toEqual(['shr-core', 'shr-util'])
    expect(result.failure!.message).toMatch(/not visible in the live index/)
  })

  it('refuses to start without a token for the live registry', async () => {
    const ws = workspace()
    await expect(publish(options(ws, { token: '' }), testContext(env()))).rejects.toMatchObject({
      message: "no token for the live registry 'live'",
      hint: expect.stringContaining('CARGO_REGISTRIES_LIVE_TOKEN')
    })
  })

  it('takes the token from CARGO_REGISTRIES_<NAME>_TOKEN', async () => {
    const ws = workspace()
    const result = await publish(
      options(ws, { token: '' }),
      testContext({ ...env(), CARGO_REGISTRIES_LIVE_TOKEN: live.token })
    )
    expect(result.outcome).toBe('published')
    const eventsPath = join(ws, '.shipper', 'events.jsonl')
    const auth = readEventLines(eventsPath).find(
      e => e.event_type.type === 'auth_evidence_recorded'
    )!
    expect(auth.event_type).toMatchObject({
      evidence: { auth_mode: 'cargo_token', token_detected: true, registry: 'live' }
    })
    expect(
      readFactLines(eventsPath).find(f => f.event_type.type === 'auth_selected')!.event_type
    ).toEqual({
      type: 'auth_selected',
      method: 'token',
      source: 'env',
      detail: 'CARGO_REGISTRIES_LIVE_TOKEN'
    })
  })
})

describe('command line', () => {
  afterEach(async () => {
    await freshLive()
  })

  function terminal() {
    const out: string[] = []
    const err: string[] = []
    return {
      out,
      err,
      term: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) }
    }
  }

  it('`gate` prints a proceed decision and exits 0', async () => {
    const ws = workspace()
    const t = terminal()
    const code = await gateCommand(options(ws), testContext(env()), t.term)
    expect(code).toBe(0)
    expect(t.out.at(-1)).toMatch(/^gate: proceed: rehearsal accepted: 3 packages/)
    expect(live.faults.uploads()).toEqual({})
  })

  it('`gate` prints a refusal with its hint and exits 1', async () => {
    const ws = workspace()
    rmSync(join(ws, '.shipper', 'rehearsal.json'))
    const t = terminal()
    const code = await gateCommand(options(ws), testContext(env()), t.term)
    expect(code).toBe(1)
    expect(t.out.slice(-2)).toEqual([
      `gate: refuse (no_receipt): no rehearsal receipt at ${join(ws, '.shipper', 'rehearsal.json')}`,
      expect.stringMatching(/^hint: produce one by rehearsing this plan first/)
    ])
  })

  it('`publish` gates, publishes and exits 0; a refusal exits 1', async () => {
    const ws = workspace()
    const t = terminal()
    expect(await publishCommand(options(ws), testContext(env()), t.term)).toBe(0)
    expect(t.out).toContain('outcome: published')
    expect(t.out.at(-1)).toBe('uploaded by this run: shr-core@0.1.0, shr-util@0.1.0, shr-app@0.1.0')

    const stale = workspace()
    writeFileSync(join(stale, 'core', 'src', 'lib.rs'), 'pub fn core() -> u32 { 7 }\n')
    const r = terminal()
    expect(await publishCommand(options(stale), testContext(env()), r.term)).toBe(1)
    expect(r.out.join('\n')).toMatch(/refused: publish refused: sources changed/)
  })
})
