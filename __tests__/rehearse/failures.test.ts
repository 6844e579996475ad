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

/** Past the preflight: the crate crates.io would refuse gets its description. */
function describeThird(): void {
  const manifest = join(ws, 'third', 'Cargo.toml')
  const text = readFileSync(manifest, 'utf8')
  if (!text.includes('description')) {
    writeFileSync(
      manifest,
      text.replace('license = "MIT"', 'license = "MIT"\ndescription = "third"')
    )
  }
}

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

  it('refuses a crate without description before any upload, naming crate, field and fix', async () => {
    const ctx = testContext(sandbox.env, systemClock)
    const result = await rehearse(options(), ctx)

    expect(result.outcome).toBe('failed')
    expect(result.packages.map(p => p.status)).toEqual(['pending', 'pending', 'pending'])
    expect(registry.faults.uploads()).toEqual({})
    expect(result.failure?.class).toBe('permanent')
    expect(result.failure?.message).toMatch(
      /^1 problem in 1 crate that 'crates-io' would refuse, found before any upload: third@0\.1\.0: package\.description: missing or empty metadata fields: description.* — fix: add `description = "\.\.\."`.* in third\/Cargo\.toml$/
    )
    expect(ctx.logger.lines.filter(l => l.startsWith('error: '))).toEqual([
      expect.stringMatching(/^error: third@0\.1\.0: package\.description: /)
    ])
    const receipt = readReceipt(stateDir)
    expect(receipt.passed).toBe(false)
    expect(receipt.summary).toMatch(/^rehearsal stopped at 0\/3: 1 problem in 1 crate/)
  })

  it('stops at a failed upload mid-plan, records it, and leaves no passing receipt behind', async () => {
    describeThird()
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
    describeThird()
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

  it('goes on when cargo gives up on its own index wait: the index proof decides and cargo runs again for the rest', async () => {
    describeThird()
    // first shows up 1 s after its upload; cargo's own wait is cut to nothing, so it gives up
    // at once with "unable to publish second and third due to a timeout".
    registry.faults.delayIndex('first', '0.1.0', 1000)
    const env = {
      ...sandbox.env,
      __CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS: 'nightly',
      CARGO_UNSTABLE_PUBLISH_TIMEOUT: 'true',
      CARGO_PUBLISH_TIMEOUT: '0'
    }
    const ctx = testContext(env, systemClock)
    const result = await rehearse(options({ readinessTimeoutMs: 20_000 }), ctx)

    expect(result.outcome).toBe('passed')
    expect(result.packages.map(p => [p.name, p.status])).toEqual([
      ['first', 'published'],
      ['second', 'published'],
      ['third', 'published']
    ])
    expect(registry.faults.uploads()).toEqual({
      'first@0.1.0': 1,
      'second@0.1.0': 1,
      'third@0.1.0': 1
    })
    expect(result.packages[0]?.durationMs).toBeGreaterThanOrEqual(1000)
  })
})
