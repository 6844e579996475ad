import { describe, expect, it } from '@jest/globals'
import type { PlannedCrate } from '../../src/plan/types.js'
import { rehearsalReceiptSchema } from '../../src/record/rehearsal.js'
import { buildReceipt, verdict } from '../../src/rehearse/record.js'
import type { CrateStatus } from '../../src/engine/status.js'
import { TOOL } from '../../src/version.js'

const crate = (name: string): PlannedCrate => ({
  name,
  version: '0.3.0',
  level: 0,
  manifestPath: `/ws/${name}/Cargo.toml`,
  dependencies: [],
  bins: [],
  hasLib: true
})
const plan = { planId: 'a'.repeat(64), packages: [crate('x'), crate('y'), crate('z')] }
const outcome = (
  name: string,
  status: CrateStatus['status'],
  extra: Partial<CrateStatus> = {}
): CrateStatus => ({
  name,
  version: '0.3.0',
  level: 0,
  status,
  durationMs: 0,
  ...extra
})
const hex = (c: string) => c.repeat(64)

describe('verdict', () => {
  it("uses shipper's wording for a pass", () => {
    const outcomes = [outcome('x', 'published'), outcome('y', 'skipped'), outcome('z', 'published')]
    expect(verdict(plan, outcomes, 'rehearsal', undefined)).toEqual({
      passed: true,
      summary: "rehearsed 3 packages against 'rehearsal' successfully",
      packagesAttempted: 2,
      packagesPublished: 2
    })
  })

  it('never counts a crate skipped as already present as attempted or published', () => {
    const outcomes = plan.packages.map(c => outcome(c.name, 'skipped'))
    expect(verdict(plan, outcomes, 'rehearsal', undefined)).toMatchObject({
      passed: true,
      packagesAttempted: 0,
      packagesPublished: 0
    })
  })

  it('stops at the plan position of the first failed crate, with the first line of the failure', () => {
    const outcomes = [outcome('x', 'published'), outcome('y', 'failed'), outcome('z', 'pending')]
    expect(
      verdict(plan, outcomes, 'rehearsal', 'uploading y@0.3.0 failed: boom\nmore detail')
    ).toEqual({
      passed: false,
      summary: 'rehearsal stopped at 2/3: uploading y@0.3.0 failed: boom',
      packagesAttempted: 2,
      packagesPublished: 1
    })
  })

  it('counts the crates that got through when the failure is no crate’s (a smoke check)', () => {
    const outcomes = plan.packages.map(c => outcome(c.name, 'published'))
    expect(verdict(plan, outcomes, 'r', 'smoke check failed: x').summary).toBe(
      'rehearsal stopped at 3/3: smoke check failed: x'
    )
    const none = plan.packages.map(c => outcome(c.name, 'pending'))
    expect(verdict(plan, none, 'r', 'registry down').summary).toBe(
      'rehearsal stopped at 0/3: registry down'
    )
  })
})

describe('buildReceipt', () => {
  const digest = { digest: hex('d'), perCrate: { x: hex('1'), y: hex('2'), z: hex('3') } }

  it('writes the nine shipper fields, then the content digest, per-crate records, commit and tool', () => {
    const outcomes = [
      outcome('x', 'published', { cksum: hex('e'), durationMs: 1234.6 }),
      outcome('y', 'failed'),
      outcome('z', 'pending')
    ]
    const receipt = buildReceipt({
      plan,
      registryName: 'rehearsal',
      registryUrl: 'sparse+http://127.0.0.1:9/api/v1/crates/',
      verdict: verdict(plan, outcomes, 'rehearsal', 'y broke'),
      outcomes,
      cksums: new Map([
        ['x', hex('e')],
        ['y', hex('f')]
      ]),
      digest,
      startedAt: '2026-01-01T00:00:00.000Z',
      completedAt: '2026-01-01T00:01:00.000Z',
      commit: 'c'.repeat(40),
      failure: {
        crate: { name: 'y', version: '0.3.0', manifestPath: '/ws/y/Cargo.toml' },
        class: 'permanent',
        message: 'y broke',
        hint: 'fix y',
        stderrTail: 'error: y broke'
      }
    })

    expect(rehearsalReceiptSchema.parse(receipt)).toEqual(receipt)
    expect(Object.keys(receipt)).toEqual([
      'schema_version',
      'plan_id',
      'registry',
      'passed',
      'packages_attempted',
      'packages_published',
      'summary',
      'started_at',
      'completed_at',
      'publish_order',
      'content_digest',
      'packages',
      'commit',
      'tool',
      'registry_url',
      'failure'
    ])
    expect(receipt).toMatchObject({
      schema_version: 'shipper.rehearsal.v1',
      plan_id: plan.planId,
      passed: false,
      summary: 'rehearsal stopped at 2/3: y broke',
      publish_order: plan.packages.map(p => `${p.name}@${p.version}`),
      content_digest: hex('d'),
      tool: { name: TOOL.name, version: TOOL.version },
      failure: {
        package: 'y@0.3.0',
        class: 'permanent',
        message: 'y broke',
        hint: 'fix y',
        stderr_tail: 'error: y broke'
      }
    })
    expect(receipt.packages).toEqual([
      {
        name: 'x',
        version: '0.3.0',
        cksum: hex('e'),
        digest: hex('1'),
        status: 'published',
        duration_ms: 1235
      },
      {
        name: 'y',
        version: '0.3.0',
        cksum: hex('f'),
        digest: hex('2'),
        status: 'failed',
        duration_ms: 0
      },
      {
        name: 'z',
        version: '0.3.0',
        cksum: null,
        digest: hex('3'),
        status: 'not_attempted',
        duration_ms: 0
      }
    ])
  })

  it('leaves out per-crate records when no content digest was computed', () => {
    const receipt = buildReceipt({
      plan,
      registryName: 'rehearsal',
      verdict: verdict(plan, [], 'rehearsal', 'cargo metadata failed'),
      outcomes: [],
      cksums: new Map(),
      startedAt: '2026-01-01T00:00:00.000Z',
      completedAt: '2026-01-01T00:00:01.000Z'
    })
    expect(rehearsalReceiptSchema.parse(receipt)).toEqual(receipt)
    expect(receipt.packages).toBeUndefined()
    expect(receipt.content_digest).toBeUndefined()
    expect(receipt.commit).toBeUndefined()
  })
})
