import { describe, expect, it } from '@jest/globals'
import { formatPlanText, planToJson, shipperPlanCommand } from '../../src/plan/format.js'
import { buildPlan } from '../../src/plan/plan.js'
import { planIdOf } from '../../src/plan/index.js'
import type { ContentDigest, Plan } from '../../src/plan/types.js'
import { metadataFixture } from './fixtures.js'

function planOf(
  fixture: string,
  packages: string[] = [],
  target = { registry: 'crates-io', apiBase: 'https://crates.io' }
): Plan {
  const draft = buildPlan(metadataFixture(fixture), { packages, targetRegistry: target.registry })
  return { ...draft, apiBase: target.apiBase, planId: planIdOf(target.apiBase, draft) }
}

const digest: ContentDigest = {
  digest: 'd'.repeat(64),
  perCrate: { pub_both: 'x', 'pub-both': 'b'.repeat(64), 'pub-open': 'o'.repeat(64) }
}

describe('planToJson', () => {
  it('writes the plan in snake_case with levels, per-crate digests, skipped and dropped edges', () => {
    const plan = planOf('publish')
    const json = planToJson(plan, digest)
    expect(json).toMatchObject({
      plan_id: plan.planId,
      content_digest: 'd'.repeat(64),
      registry: 'crates-io',
      api_base: 'https://crates.io',
      levels: [['pub-both', 'pub-open'], ['pub-app']],
      skipped: [
        { name: 'pub-false', version: '0.1.0', reason: 'publish = false' },
        { name: 'pub-other', version: '0.1.0', reason: expect.stringContaining('["other"]') }
      ],
      dropped_dev_dependencies: [{ from: 'pub-app', to: 'pub-false', req: '^0.1.0' }]
    })
    expect(json.packages[0]).toEqual({
      name: 'pub-both',
      version: '0.1.0',
      level: 0,
      manifest_path: '/ws/publish/pub-both/Cargo.toml',
      dependencies: [],
      digest: 'b'.repeat(64)
    })
    expect(json.packages[2]).toMatchObject({ name: 'pub-app', dependencies: ['pub-open'] })
  })

  it('leaves digests null when the sources were not hashed', () => {
    const json = planToJson(planOf('chain'))
    expect(json.content_digest).toBeNull()
    expect(json.packages.map(p => p.digest)).toEqual([null, null, null])
  })

  it('survives a JSON round trip unchanged', () => {
    const json = planToJson(planOf('serde-like'), digest)
    expect(JSON.parse(JSON.stringify(json))).toEqual(json)
  })
})

describe('formatPlanText', () => {
  it('shows the order with levels, skipped crates, dropped dev-dependencies and both ids', () => {
    const plan = planOf('publish')
    const text = formatPlanText(plan, digest)
    expect(text.split('\n')).toEqual([
      'Publish plan for crates-io (https://crates.io)',
      '  1. pub-both 0.1.0  (level 0)',
      '  2. pub-open 0.1.0  (level 0)',
      '  3. pub-app 0.1.0  (level 1, after pub-open)',
      'Skipped:',
      '  pub-false 0.1.0: publish = false',
      `  pub-other 0.1.0: publish = ["other"] does not include 'crates-io'`,
      'Dev-dependencies left to versions already on crates-io:',
      '  pub-app -> pub-false ^0.1.0',
      `plan_id: ${plan.planId}`,
      `content digest: ${'d'.repeat(64)}`,
      ''
    ])
  })

  it('lists what the live registry would refuse, each with its fix', () => {
    const plan = planOf('chain')
    const text = formatPlanText(
      plan,
      undefined,
      [],
      [
        {
          crate: 'a',
          version: '0.1.0',
          field: 'package.description',
          message: 'missing',
          fix: 'add one'
        }
      ]
    )
    expect(text).toContain(
      "Problems 'crates-io' would refuse (a rehearsal fails on them):\n  a@0.1.0: package.description: missing\n    fix: add one\n"
    )
    expect(planToJson(plan).problems).toEqual([])
  })

  it('says when there is nothing to publish', () => {
    const plan = planOf('chain')
    const empty: Plan = { ...plan, packages: [], levels: [] }
    expect(formatPlanText(empty)).toContain('nothing to publish')
    expect(formatPlanText(empty)).not.toContain('content digest')
  })
})

describe("agreeing with shipper's plan_id", () => {
  it("shows shipper's order under the plan_id when the publish order differs", () => {
    const text = formatPlanText(planOf('dev-reorder'))
    expect(text).toContain('  1. zebra 0.1.0  (level 0)')
    expect(text).toContain(
      "  hashed in shipper's order (normal and build dependencies only): aardvark, zebra;"
    )
    expect(planToJson(planOf('dev-reorder')).plan_id_order).toEqual(['aardvark', 'zebra'])
    expect(formatPlanText(planOf('chain'))).not.toContain("shipper's order")
  })

  it('says when a selection closed over a dev-dependency gives shipper another plan_id, and how to match it', () => {
    const plan = planOf('dev-reorder', ['aardvark'])
    const text = formatPlanText(plan, undefined, ['aardvark'])
    expect(text).toContain(
      "  differs from shipper's plan_id for the same --package selection: shipper does not follow dev-dependencies, so it leaves out zebra (dev-dependency of aardvark)"
    )
    expect(text).toContain(
      '  same plan_id with shipper: shipper plan --package aardvark --package zebra'
    )
    expect(planToJson(plan, undefined, ['aardvark'])).toMatchObject({
      dev_only_selection: [{ name: 'zebra', dependents: ['aardvark'] }],
      shipper_command: 'shipper plan --package aardvark --package zebra'
    })
  })

  it('names the live registry with --registry and --api-base, which shipper reads for its plan_id', () => {
    const plan = planOf('chain', [], { registry: 'corp', apiBase: 'https://crates.corp.example/' })
    expect(shipperPlanCommand(plan, [])).toBe(
      'shipper plan --registry corp --api-base https://crates.corp.example'
    )
    expect(formatPlanText(plan)).toContain(
      '  same plan_id with shipper: shipper plan --registry corp --api-base https://crates.corp.example'
    )
  })

  it('prints no command where a plain `shipper plan` already agrees', () => {
    expect(shipperPlanCommand(planOf('chain'), [])).toBeUndefined()
    expect(planToJson(planOf('chain')).shipper_command).toBeNull()
    expect(formatPlanText(planOf('chain'))).not.toContain('same plan_id with shipper')
  })
})
