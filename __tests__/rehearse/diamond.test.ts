import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { systemClock } from '../../src/clock.js'
import { testContext } from '../helpers/context.js'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { UserError } from '../../src/errors.js'
import {
  startRegistry,
  encodePublishBody,
  type EmbeddedRegistry
} from '../../src/registry/index.js'
import { rehearse } from '../../src/rehearse/index.js'
import { fetchIndexEntries } from '../../src/sparse/client.js'
import { TOOL } from '../../src/version.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import {
  eventTypes,
  FIXTURES,
  readEventLines,
  readFactLines,
  readReceipt,
  rehearseOptions
} from './helpers.js'

/** Every file of a tree with its sha256, to prove the user's checkout is never written. */
function snapshot(root: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of readdirSync(join(root, rel))) {
    const path = rel ? `${rel}/${name}` : name
    if (path === 'target' || path === '.shipper') continue
    if (statSync(join(root, path)).isDirectory()) Object.assign(out, snapshot(root, path))
    else
      out[path] = createHash('sha256')
        .update(readFileSync(join(root, path)))
        .digest('hex')
  }
  return out
}

let sandbox: CargoSandbox
let ws: string

beforeAll(() => {
  sandbox = cargoSandbox('sr-rehearse-diamond-')
  ws = sandbox.copyFixture(join(FIXTURES, 'diamond'), 'diamond')
})

afterAll(() => sandbox.cleanup())

describe('rehearse (diamond workspace)', () => {
  it('publishes every crate to a fresh embedded registry, smoke-installs the binary, builds a consumer, and stops the registry', async () => {
    const before = snapshot(ws)
    const ctx = testContext(sandbox.env, systemClock)
    const options = rehearseOptions(join(ws, 'Cargo.toml'), {
      smokeInstall: ['delta'],
      smokeBuild: true
    })

    const result = await rehearse(options, ctx)

    expect(result.failure).toBeUndefined()
    expect(result.outcome).toBe('passed')
    expect(result.packages.map(p => [p.name, p.level, p.status])).toEqual([
      ['alpha', 0, 'published'],
      ['beta', 1, 'published'],
      ['gamma', 1, 'published'],
      ['delta', 2, 'published']
    ])
    expect(result.registry?.embedded).toBe(true)
    await expect(fetch(`${result.registry?.url}/api/v1/health`)).rejects.toThrow()
    expect(snapshot(ws)).toEqual(before)

    const stateDir = join(ws, '.shipper')
    expect(result.stateDir).toBe(stateDir)
    const receipt = readReceipt(stateDir)
    expect(receipt).toMatchObject({
      plan_id: result.plan?.planId,
      registry: 'rehearsal',
      passed: true,
      packages_attempted: 4,
      packages_published: 4,
      summary: "rehearsed 4 packages against 'rehearsal' successfully",
      content_digest: result.digest?.digest,
      tool: { name: TOOL.name, version: TOOL.version }
    })
    expect(receipt.packages?.map(p => [p.name, p.status, p.digest])).toEqual(
      ['alpha', 'beta', 'gamma', 'delta'].map(n => [n, 'published', result.digest?.perCrate[n]])
    )
    for (const p of receipt.packages ?? []) expect(p.cksum).toMatch(/^[0-9a-f]{64}$/)

    const events = readEventLines(join(stateDir, 'events.jsonl'))
    const types = eventTypes(events)
    expect(types.slice(0, 2)).toEqual(['rehearsal_started', 'registry_policy_applied'])
    expect(types.filter(t => t === 'rehearsal_package_published')).toHaveLength(4)
    expect(types.slice(-5)).toEqual([
      'rehearsal_smoke_check_started',
      'rehearsal_smoke_check_succeeded',
      'rehearsal_smoke_check_started',
      'rehearsal_smoke_check_succeeded',
      'rehearsal_complete'
    ])
    expect(events[0]?.event_type).toEqual({
      type: 'rehearsal_started',
      registry: 'rehearsal',
      plan_id: result.plan?.planId,
      package_count: 4
    })
    const policy = events[1]?.event_type
    expect(policy).toMatchObject({
      evidence: { posture: 'rehearsal_or_test', allow_loopback: true }
    })
    expect(JSON.stringify(policy)).toMatch(/"index_authority":"http:\/\/127\.0\.0\.1:\d+"/)
    const installed = events.find(e => e.event_type.type === 'rehearsal_smoke_check_succeeded')
    expect(installed?.package).toBe('delta@0.1.0')
    expect(events.at(-1)?.event_type).toEqual({
      type: 'rehearsal_complete',
      passed: true,
      registry: 'rehearsal',
      plan_id: result.plan?.planId,
      summary: receipt.summary
    })
    const log = readFileSync(join(stateDir, 'events.jsonl'), 'utf8')
    expect(log).not.toContain('srt_')
  })

  describe('against a registry the test keeps', () => {
    let registry: EmbeddedRegistry
    beforeAll(async () => {
      registry = await startRegistry()
    })
    afterAll(() => registry.close())

    it('lists every version with the checksum of the .crate it packaged, and a rerun skips them all and passes', async () => {
      const options = rehearseOptions(join(ws, 'Cargo.toml'), {
        registryUrl: registry.url,
        registryToken: registry.token
      })
      const first = await rehearse(options, testContext(sandbox.env, systemClock))
      expect(first.outcome).toBe('passed')
      expect(first.registry).toEqual({ name: 'rehearsal', url: registry.url, embedded: false })
      for (const p of first.packages) {
        const entries = await fetchIndexEntries(registry.indexUrl, p.name)
        expect(entries?.find(e => e.vers === p.version)?.cksum).toBe(p.cksum)
      }

      const second = await rehearse(options, testContext(sandbox.env, systemClock))

      expect(second.outcome).toBe('passed')
      expect(second.packages.map(p => p.status)).toEqual([
        'skipped',
        'skipped',
        'skipped',
        'skipped'
      ])
      expect(second.packages.map(p => p.cksum)).toEqual(first.packages.map(p => p.cksum))
      expect(registry.faults.uploads()).toEqual({
        'alpha@0.1.0': 1,
        'beta@0.1.0': 1,
        'gamma@0.1.0': 1,
        'delta@0.1.0': 1
      })
      const receipt = readReceipt(join(ws, '.shipper'))
      expect(receipt.passed).toBe(true)
      expect(receipt.packages?.map(p => p.status)).toEqual([
        'skipped',
        'skipped',
        'skipped',
        'skipped'
      ])
      const facts = readFactLines(join(ws, '.shipper', 'events.jsonl'))
      const skipped = facts.filter(e => e.event_type.type === 'rehearsal_package_skipped')
      expect(skipped.map(e => e.package).slice(-4)).toEqual([
        'alpha@0.1.0',
        'beta@0.1.0',
        'gamma@0.1.0',
        'delta@0.1.0'
      ])
    })
  })

  it('fails before uploading anything when the registry holds a version with different contents', async () => {
    const registry = await startRegistry()
    try {
      const metadata = {
        name: 'alpha',
        vers: '0.1.0',
        deps: [],
        features: {},
        description: 'someone else',
        license: 'MIT'
      }
      const res = await fetch(`${registry.url}/api/v1/crates/new`, {
        method: 'PUT',
        headers: { authorization: registry.token },
        body: encodePublishBody(metadata, Buffer.from('not the same bytes'))
      })
      expect(res.status).toBe(200)

      const result = await rehearse(
        rehearseOptions(join(ws, 'Cargo.toml'), {
          registryUrl: registry.url,
          registryToken: registry.token
        }),
        testContext(sandbox.env, systemClock)
      )

      expect(result.outcome).toBe('failed')
      expect(result.failure?.message).toBe(
        'the rehearsal registry already holds alpha@0.1.0 with different contents; use a fresh registry'
      )
      expect(result.failure?.crate?.name).toBe('alpha')
      expect(result.packages.map(p => p.status)).toEqual([
        'failed',
        'pending',
        'pending',
        'pending'
      ])
      expect(registry.faults.uploads()).toEqual({ 'alpha@0.1.0': 1 })
      const receipt = readReceipt(join(ws, '.shipper'))
      expect(receipt.passed).toBe(false)
      expect(receipt.summary).toBe(
        'rehearsal stopped at 1/4: the rehearsal registry already holds alpha@0.1.0 with different contents; use a fresh registry'
      )
      expect(receipt.packages?.map(p => p.status)).toEqual([
        'failed',
        'not_attempted',
        'not_attempted',
        'not_attempted'
      ])
    } finally {
      await registry.close()
    }
  })

  it('rejects a smoke-install crate without a binary before publishing anything (exit 2)', async () => {
    const stateDir = join(sandbox.root, 'state-smoke')
    const options = rehearseOptions(join(ws, 'Cargo.toml'), { smokeInstall: ['alpha'], stateDir })
    const error = await rehearse(options, testContext(sandbox.env, systemClock)).catch(e => e)
    expect(error).toBeInstanceOf(UserError)
    expect((error as UserError).exitCode).toBe(2)
    expect((error as UserError).message).toContain("'alpha', which has no binary target")
    expect((error as UserError).hint).toBe('crates of this plan with a binary: delta')
    expect(existsSync(stateDir)).toBe(false)
  })

  it('with skip-rehearsal rehearses nothing, removes an older receipt and records the bypass', async () => {
    const stateDir = join(sandbox.root, 'state-skip')
    mkdirSync(stateDir, { recursive: true })
    writeFileSync(join(stateDir, 'rehearsal.json'), '{"passed": true}\n')
    const ctx = testContext(sandbox.env, systemClock)

    const result = await rehearse(
      rehearseOptions(join(ws, 'Cargo.toml'), { skipRehearsal: true, stateDir }),
      ctx
    )

    expect(result.outcome).toBe('skipped')
    expect(result.receiptPath).toBeUndefined()
    expect(existsSync(join(stateDir, 'rehearsal.json'))).toBe(false)
    // shipper has no word for a bypass: its log stays empty, the fact goes beside it.
    expect(readFileSync(join(stateDir, 'events.jsonl'), 'utf8')).toBe('')
    expect(readFactLines(join(stateDir, 'events.jsonl')).map(f => f.event_type.type)).toEqual([
      'rehearsal_bypassed'
    ])
    expect(
      ctx.logger.lines.some(l =>
        l.startsWith('warning: skip-rehearsal is set: NOTHING was rehearsed')
      )
    ).toBe(true)
  })
})
