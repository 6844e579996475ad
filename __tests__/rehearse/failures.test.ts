import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { systemClock } from '../../src/clock.js'
import { testContext } from '../helpers/context.js'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startRegistry, type EmbeddedRegistry } from '../../src/registry/index.js'
import { rehearse } from '../../src/rehearse/index.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { eventTypes, FIXTURES, readEventLines, readReceipt, rehearseOptions } from './helpers.js'

// One compiled fixture for the whole file: first <- second <- third, third without description.
let sandbox: CargoSandbox
let ws: string
let stateDir: string

beforeAll(() => {
  sandbox = cargoSandbox('sr-rehearse-failures-')
  ws = sandbox.copyFixture(join(FIXTURES, 'chain'), 'chain')
  stateDir = join(ws, '.shipper')
})

afterAll(() => sandbox.cleanup())

describe('rehearse failures (chain workspace)', () => {
  let registry: EmbeddedRegistry
  beforeEach(async () => {
    registry = await startRegistry()
  })
  afterEach(() => registry.close())

  const options = (overrides = {}) =>
    rehearseOptions(join(ws, 'Cargo.toml'), {
      registryUrl: registry.url,
      registryToken: registry.token,
      ...overrides
    })

  it("fails a crate without description with crates.io's message, after publishing the crates before it", async () => {
    const result = await rehearse(options(), testContext(sandbox.env, systemClock))

    expect(result.outcome).toBe('failed')
    expect(result.packages.map(p => [p.name, p.status])).toEqual([
      ['first', 'published'],
      ['second', 'published'],
      ['third', 'failed']
    ])
    expect(result.failure).toMatchObject({
      crate: { name: 'third', version: '0.1.0' },
      class: 'permanent'
    })
    expect(result.failure?.message).toMatch(
      /^uploading third@0\.1\.0 failed: .*missing or empty metadata fields: description/
    )
    expect(result.failure?.stderrTail).toContain('missing or empty metadata fields: description')
    expect(result.failure?.stderrTail).not.toContain(registry.token)

    const receipt = readReceipt(stateDir)
    expect(receipt.passed).toBe(false)
    expect(receipt.packages_attempted).toBe(3)
    expect(receipt.packages_published).toBe(2)
    expect(receipt.summary).toMatch(/^rehearsal stopped at 3\/3: uploading third@0\.1\.0 failed: /)
    const failed = readEventLines(join(stateDir, 'events.jsonl')).filter(
      e => e.event_type.type === 'rehearsal_package_failed'
    )
    expect(failed.at(-1)?.package).toBe('third@0.1.0')
    expect(failed.at(-1)?.event_type).toMatchObject({ class: 'permanent' })
    expect(JSON.stringify(failed.at(-1))).toContain('missing or empty metadata fields: description')
  })

  it('stops at a failed upload mid-plan, records it, and leaves no passing receipt behind', async () => {
    mkdirSync(stateDir, { recursive: true })
    writeFileSync(
      join(stateDir, 'rehearsal.json'),
      '{"schema_version":"shipper.rehearsal.v1","passed":true}\n'
    )
    registry.faults.failPublish('second', {
      times: 1,
      status: 503,
      body: { errors: [{ detail: 'the registry is having a bad day' }] }
    })

    const result = await rehearse(options(), testContext(sandbox.env, systemClock))

    expect(result.outcome).toBe('failed')
    expect(result.packages.map(p => [p.name, p.status])).toEqual([
      ['first', 'published'],
      ['second', 'failed'],
      ['third', 'pending']
    ])
    expect(result.failure?.crate?.name).toBe('second')
    expect(result.failure?.message).toContain('the registry is having a bad day')
    expect(registry.faults.uploads()).toEqual({ 'first@0.1.0': 1 })

    const receipt = readReceipt(stateDir)
    expect(receipt.passed).toBe(false)
    expect(receipt.summary).toMatch(/^rehearsal stopped at 2\/3: /)
    expect(receipt.packages?.map(p => p.status)).toEqual(['published', 'failed', 'not_attempted'])
    expect(receipt.failure).toMatchObject({ package: 'second@0.1.0', class: 'retryable' })
    expect(JSON.stringify(receipt.failure)).toContain('the registry is having a bad day')
    expect(JSON.stringify(receipt)).not.toContain(registry.token)

    const events = readEventLines(join(stateDir, 'events.jsonl'))
    const thisRun = events.slice(
      events.map(e => e.event_type.type).lastIndexOf('rehearsal_started')
    )
    expect(eventTypes(thisRun)).toEqual([
      'rehearsal_started',
      'registry_policy_applied',
      'rehearsal_package_published',
      'rehearsal_package_failed',
      'rehearsal_complete'
    ])
    expect(thisRun[3]?.package).toBe('second@0.1.0')
    expect(thisRun[4]?.event_type).toMatchObject({ passed: false, summary: receipt.summary })
  })

  it('fails clearly when an uploaded version never shows up in the index before the readiness timeout', async () => {
    registry.faults.hideIndex('first', '0.1.0')
    const env = {
      ...sandbox.env,
      // cargo itself waits 60 s for the index after an upload; only a nightly setting turns that
      // off, and this test is about the engine's own readiness wait, so skip cargo's.
      __CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS: 'nightly',
      CARGO_UNSTABLE_PUBLISH_TIMEOUT: 'true',
      CARGO_PUBLISH_TIMEOUT: '0'
    }

    const result = await rehearse(
      options({ readinessTimeoutMs: 1500 }),
      testContext(env, systemClock)
    )

    expect(result.outcome).toBe('failed')
    expect(result.packages.map(p => [p.name, p.status])).toEqual([
      ['first', 'failed'],
      ['second', 'pending'],
      ['third', 'pending']
    ])
    expect(result.failure?.class).toBe('ambiguous')
    expect(result.failure?.message).toMatch(
      /^first@0\.1\.0 was uploaded but did not appear in the rehearsal registry's index within 1\.5s \(\d+ polls\)$/
    )
    expect(result.packages[0]?.durationMs).toBeGreaterThanOrEqual(1500)
    expect(registry.faults.uploads()).toEqual({ 'first@0.1.0': 1 })
    expect(readReceipt(stateDir).passed).toBe(false)
    expect(readFileSync(join(stateDir, 'events.jsonl'), 'utf8')).toContain(
      '"type":"rehearsal_package_failed","name":"first","version":"0.1.0","class":"ambiguous"'
    )
  })
})
