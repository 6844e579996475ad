import { describe, expect, it } from '@jest/globals'
import { buildReceipt } from '../../src/rehearse/record.js'
import { decideGate } from '../../src/publish/gate.js'
import { targetFlags } from '../../src/publish/target-proof.js'

const PLAN = '1'.repeat(64)
const OTHER_PLAN = '2'.repeat(64)
const LIVE_URL = 'http://127.0.0.1:41000'

const receipt = buildReceipt({
  plan: { planId: OTHER_PLAN, packages: [], registry: 'crates-io', apiBase: 'https://crates.io' },
  registryName: 'rehearsal',
  verdict: { passed: true, packagesAttempted: 0, packagesPublished: 0, summary: 'ok' },
  outcomes: [],
  cksums: new Map(),
  startedAt: '2026-04-17T12:00:00.000Z',
  completedAt: '2026-04-17T12:01:00.000Z'
})

const gate = (target = { name: 'live', apiBase: LIVE_URL }) =>
  decideGate({
    skipRehearsal: false,
    bind: 'plan',
    planId: PLAN,
    contentDigest: 'd'.repeat(64),
    perCrateDigest: {},
    receipt: { kind: 'ok', receipt },
    receiptPath: '/ws/.shipper/rehearsal.json',
    howToRehearse: 'run shipper-rehearse rehearse',
    target: {
      ...target,
      flags: targetFlags({ targetRegistry: target.name, targetRegistryUrl: target.apiBase })
    }
  })

describe('the live target in the proof', () => {
  it('records the target (name and API base) in rehearsal.json', () => {
    expect(receipt.target).toEqual({ name: 'crates-io', api_base: 'https://crates.io' })
  })

  it('says a plan_id refusal comes from another target, and shows the flags that rehearse for this one', () => {
    const decision = gate()
    expect(decision).toMatchObject({ decision: 'refuse', reason: 'stale_plan' })
    if (decision.decision !== 'refuse') throw new Error('expected a refusal')
    expect(decision.message).toContain(
      "rehearsal receipt is stale: it was made for another live registry, 'crates-io' (https://crates.io), but this publish goes to 'live' (http://127.0.0.1:41000)"
    )
    expect(decision.hint).toContain(`\`--target-registry live --target-registry-url ${LIVE_URL}\``)
    expect(decision.hint).toContain(`target-registry-url: ${LIVE_URL}`)
  })

  it('keeps the plain stale-plan refusal when the target is the same', () => {
    const decision = gate({ name: 'crates-io', apiBase: 'https://crates.io' })
    if (decision.decision !== 'refuse') throw new Error('expected a refusal')
    expect(decision.message).toMatch(/^rehearsal receipt is stale: it was made for plan_id 2{64}/)
  })
})
