import { describe, expect, it } from '@jest/globals'
import { decideGate, gateFacts, type GateInput } from '../../src/publish/gate.js'
import type { Event, Fact } from '../../src/record/events.js'
import type { RehearsalReceipt } from '../../src/record/rehearsal.js'
import { TOOL } from '../../src/version.js'

const PLAN = '1'.repeat(64)
const OTHER_PLAN = '2'.repeat(64)
const DIGEST = 'd'.repeat(64)
const PER_CRATE = { a: 'a'.repeat(64), b: 'b'.repeat(64) }
const HOW = 'run shipper-rehearse rehearse (or the action with mode: rehearse) on this commit'
const PATH = '/ws/.shipper/rehearsal.json'

function receipt(overrides: Partial<RehearsalReceipt> = {}): RehearsalReceipt {
  return {
    schema_version: 'shipper.rehearsal.v1',
    plan_id: PLAN,
    registry: 'rehearsal',
    passed: true,
    packages_attempted: 2,
    packages_published: 2,
    summary: "rehearsed 2 packages against 'rehearsal' successfully",
    started_at: '2026-04-17T12:00:00.000Z',
    completed_at: '2026-04-17T12:01:00.000Z',
    content_digest: DIGEST,
    events_sha256: 'e'.repeat(64),
    events_bytes: 1000,
    packages: [
      {
        name: 'a',
        version: '0.1.0',
        cksum: 'c'.repeat(64),
        digest: PER_CRATE.a,
        status: 'published',
        duration_ms: 1
      },
      {
        name: 'b',
        version: '0.2.0',
        cksum: 'c'.repeat(64),
        digest: PER_CRATE.b,
        status: 'published',
        duration_ms: 1
      }
    ],
    ...overrides
  }
}

function input(overrides: Partial<GateInput> = {}): GateInput {
  return {
    skipRehearsal: false,
    bind: 'content',
    planId: PLAN,
    contentDigest: DIGEST,
    perCrateDigest: { ...PER_CRATE },
    receipt: { kind: 'ok', receipt: receipt() },
    receiptPath: PATH,
    events: { complete: { passed: true, plan_id: PLAN }, badLines: [], matchesReceipt: true },
    howToRehearse: HOW,
    ...overrides
  }
}

function refusal(gateInput: GateInput) {
  const decision = decideGate(gateInput)
  if (decision.decision !== 'refuse')
    throw new Error(`expected a refusal, got: ${decision.message}`)
  expect(decision.message).not.toContain('\n')
  expect(decision.hint).not.toContain('\n')
  return decision
}

describe('gate', () => {
  describe('step 1: skip-rehearsal', () => {
    it('proceeds as a bypass with a loud warning naming the plan_id', () => {
      const decision = decideGate(input({ skipRehearsal: true, receipt: { kind: 'missing' } }))
      expect(decision).toEqual({ decision: 'proceed', bypassed: true, message: expect.any(String) })
      expect(decision.message).toContain('WITHOUT a rehearsal')
      expect(decision.message).toContain(PLAN)
      expect(decision.message).toContain('event log will show no rehearsal')
    })

    it('bypasses even a failed, stale receipt', () => {
      const bad = receipt({ passed: false, plan_id: OTHER_PLAN })
      expect(
        decideGate(input({ skipRehearsal: true, receipt: { kind: 'ok', receipt: bad } }))
      ).toMatchObject({
        decision: 'proceed',
        bypassed: true
      })
    })
  })

  describe('step 2: no receipt', () => {
    it('refuses, saying where it looked and how to produce one', () => {
      const decision = refusal(input({ receipt: { kind: 'missing' } }))
      expect(decision.reason).toBe('no_receipt')
      expect(decision.message).toContain(PATH)
      expect(decision.hint).toContain(HOW)
    })
  })

  describe('step 2: a proof the artifact service could not serve', () => {
    it('refuses, saying the proof could not be fetched and why, not that none was made', () => {
      const decision = refusal(
        input({
          receipt: { kind: 'missing' },
          receiptPath: "artifact 'proof' of run 9",
          unavailable: 'Failed to ListArtifacts: (503) Service Unavailable\nretry later'
        })
      )
      expect(decision.reason).toBe('no_receipt')
      expect(decision.message).toBe(
        "the rehearsal proof (artifact 'proof' of run 9) could not be fetched: Failed to ListArtifacts: (503) Service Unavailable retry later"
      )
      expect(decision.hint).toMatch(/^nothing was published; re-run this job/)
      expect(decision.hint).toContain(HOW)
    })
  })

  describe('step 3: unreadable receipt', () => {
    it.each([
      'foreign schema: schema_version is "x.v9", expected \'shipper.rehearsal.v1\'',
      "missing required field 'passed'",
      'oversized: 2000000 bytes, more than the 1048576-byte limit'
    ])('refuses, naming the problem: %s', problem => {
      const decision = refusal(input({ receipt: { kind: 'invalid', problem } }))
      expect(decision.reason).toBe('invalid_receipt')
      expect(decision.message).toContain(problem)
      expect(decision.message).toContain(PATH)
      expect(decision.hint).toContain(HOW)
    })
  })

  describe('step 4: plan_id', () => {
    it('refuses a receipt whose plan_id is stale, showing both ids', () => {
      const decision = refusal(
        input({ receipt: { kind: 'ok', receipt: receipt({ plan_id: OTHER_PLAN }) } })
      )
      expect(decision.reason).toBe('stale_plan')
      expect(decision.message).toContain(`made for plan_id ${OTHER_PLAN}`)
      expect(decision.message).toContain(`current plan_id is ${PLAN}`)
      expect(decision.hint).toContain(HOW)
    })
  })

  describe('step 5: passed', () => {
    it('refuses a failed rehearsal, quoting its summary on one line', () => {
      const summary = 'rehearsal stopped at 1/2: b@0.2.0: could not compile\n  see log'
      const decision = refusal(
        input({ receipt: { kind: 'ok', receipt: receipt({ passed: false, summary }) } })
      )
      expect(decision.reason).toBe('failed_rehearsal')
      expect(decision.message).toContain(
        '"rehearsal stopped at 1/2: b@0.2.0: could not compile see log"'
      )
    })
  })

  describe('step 6: bind content', () => {
    it('refuses stale content, naming the crates whose sources changed', () => {
      const decision = refusal(
        input({
          contentDigest: 'e'.repeat(64),
          perCrateDigest: { ...PER_CRATE, b: 'f'.repeat(64) }
        })
      )
      expect(decision.reason).toBe('stale_content')
      expect(decision.message).toContain('changed: b')
      expect(decision.message).not.toMatch(/changed: a\b/)
      expect(decision.message).toContain(DIGEST)
      expect(decision.message).toContain('e'.repeat(64))
    })

    it('names Cargo.lock when it is what changed, before the crates it changed', () => {
      const decision = refusal(
        input({
          receipt: { kind: 'ok', receipt: receipt({ cargo_lock_sha256: '1'.repeat(64) }) },
          contentDigest: 'e'.repeat(64),
          perCrateDigest: { a: 'f'.repeat(64), b: 'f'.repeat(64) },
          lockSha256: '2'.repeat(64)
        })
      )
      expect(decision.reason).toBe('stale_content')
      expect(decision.message).toMatch(
        /Cargo\.lock changed since the rehearsal \(every crate packages it.*\); changed: a, b$/
      )
    })

    it('does not blame Cargo.lock when it is the one rehearsed', () => {
      const decision = refusal(
        input({
          receipt: { kind: 'ok', receipt: receipt({ cargo_lock_sha256: '1'.repeat(64) }) },
          contentDigest: 'e'.repeat(64),
          perCrateDigest: { ...PER_CRATE, b: 'f'.repeat(64) },
          lockSha256: '1'.repeat(64)
        })
      )
      expect(decision.message).not.toContain('Cargo.lock')
    })

    it('names crates added to or removed from the rehearsed set', () => {
      const decision = refusal(
        input({
          contentDigest: 'e'.repeat(64),
          perCrateDigest: { a: PER_CRATE.a, c: 'c'.repeat(64) }
        })
      )
      expect(decision.message).toContain('not rehearsed: c')
      expect(decision.message).toContain('no longer planned: b')
    })

    it('still refuses when no single crate differs, saying so', () => {
      const decision = refusal(input({ contentDigest: 'e'.repeat(64) }))
      expect(decision.reason).toBe('stale_content')
      expect(decision.message).toContain('every per-crate digest matches')
    })

    it('refuses a receipt without content_digest (as shipper writes) with a hint to use bind: plan', () => {
      const { content_digest: _digest, packages: _packages, ...plain } = receipt()
      const decision = refusal(
        input({ receipt: { kind: 'ok', receipt: plain as RehearsalReceipt } })
      )
      expect(decision.reason).toBe('stale_content')
      expect(decision.message).toContain('no content_digest')
      expect(decision.hint).toContain('bind: plan')
    })

    it('is not checked with bind: plan', () => {
      const { content_digest: _digest, ...plain } = receipt()
      const noDigest = input({
        bind: 'plan',
        receipt: { kind: 'ok', receipt: plain as RehearsalReceipt }
      })
      expect(decideGate(noDigest).decision).toBe('proceed')
      expect(decideGate(input({ bind: 'plan', contentDigest: 'e'.repeat(64) })).decision).toBe(
        'proceed'
      )
    })
  })

  describe('step 7: events.jsonl', () => {
    it('refuses when the last rehearsal_complete says the rehearsal failed', () => {
      const decision = refusal(
        input({
          events: { complete: { passed: false, plan_id: PLAN }, badLines: [], matchesReceipt: true }
        })
      )
      expect(decision.reason).toBe('inconsistent')
      expect(decision.message).toContain('passed=true')
      expect(decision.message).toContain('passed=false')
    })

    it('refuses when the last rehearsal_complete is for another plan_id', () => {
      const decision = refusal(
        input({
          events: {
            complete: { passed: true, plan_id: OTHER_PLAN },
            badLines: [],
            matchesReceipt: true
          }
        })
      )
      expect(decision.reason).toBe('inconsistent')
      expect(decision.message).toContain(OTHER_PLAN)
    })

    it('refuses when the events file has no rehearsal_complete at all, mentioning unreadable lines', () => {
      const decision = refusal(
        input({ events: { complete: null, badLines: [3, 9], matchesReceipt: true } })
      )
      expect(decision.reason).toBe('inconsistent')
      expect(decision.message).toContain('no rehearsal_complete')
      expect(decision.message).toContain('3, 9')
    })

    it('is skipped for a plan-only receipt when there is no events file', () => {
      const { content_digest: _d, events_sha256: _e, events_bytes: _b, ...plain } = receipt()
      const decision = decideGate(
        input({ bind: 'plan', events: undefined, receipt: { kind: 'ok', receipt: plain } })
      )
      expect(decision.decision).toBe('proceed')
    })

    it('refuses a receipt with a content_digest without its events, whatever its tool says', () => {
      for (const tool of [undefined, { name: 'shipper-rеhearse', version: '1' }]) {
        const stripped = { ...receipt(), tool }
        const decision = decideGate(
          input({ events: undefined, receipt: { kind: 'ok', receipt: stripped } })
        )
        expect(decision).toMatchObject({ decision: 'refuse', reason: 'inconsistent' })
      }
    })

    it('refuses an event log that is not the one the receipt was written with', () => {
      const decision = decideGate(
        input({
          events: { complete: { passed: true, plan_id: PLAN }, badLines: [], matchesReceipt: false }
        })
      )
      expect(decision).toMatchObject({ decision: 'refuse', reason: 'inconsistent' })
      if (decision.decision === 'refuse') expect(decision.message).toMatch(/events_sha256/)
    })

    it('refuses a content-bound receipt that names no events_sha256', () => {
      const { events_sha256: _e, ...unbound } = receipt()
      const decision = decideGate(input({ receipt: { kind: 'ok', receipt: unbound } }))
      expect(decision).toMatchObject({ decision: 'refuse', reason: 'inconsistent' })
    })

    it('refuses an event line with a key twice, and an oversized log, in one line each', () => {
      const complete = { passed: true, plan_id: PLAN }
      for (const events of [
        { complete, badLines: [], matchesReceipt: true, duplicateKeyLines: [3] },
        { complete: null, badLines: [], oversized: { bytes: 70_000_000, cap: 67_108_864 } }
      ]) {
        const decision = decideGate(input({ events }))
        expect(decision).toMatchObject({ decision: 'refuse', reason: 'inconsistent' })
        if (decision.decision === 'refuse') {
          expect(decision.message).toMatch(/line 3|over the 67108864-byte limit/)
          expect(decision.message).not.toContain('\n')
        }
      }
    })
  })

  describe('step 8: accept', () => {
    it('proceeds, logging packages, registry, plan_id and when', () => {
      const decision = decideGate(input())
      expect(decision).toEqual({
        decision: 'proceed',
        bypassed: false,
        message: expect.any(String)
      })
      expect(decision.message).toContain('a@0.1.0, b@0.2.0')
      expect(decision.message).toContain("'rehearsal'")
      expect(decision.message).toContain(PLAN)
      expect(decision.message).toContain('2026-04-17T12:01:00.000Z')
      expect(decision.message).not.toContain('\n')
    })

    it('accepts a shipper-written receipt with bind: plan, counting its packages', () => {
      const { content_digest: _digest, packages: _packages, ...plain } = receipt()
      const decision = decideGate(
        input({ bind: 'plan', receipt: { kind: 'ok', receipt: plain as RehearsalReceipt } })
      )
      expect(decision.decision).toBe('proceed')
      expect(decision.message).toContain('2 packages')
    })

    it('mentions unreadable event lines it skipped', () => {
      const decision = decideGate(
        input({
          events: { complete: { passed: true, plan_id: PLAN }, badLines: [4], matchesReceipt: true }
        })
      )
      expect(decision.decision).toBe('proceed')
      expect(decision.message).toContain('line 4')
    })
  })

  describe('order of the steps', () => {
    it('reports a stale plan before a failed rehearsal (step 4 precedes 5)', () => {
      const stale = receipt({ plan_id: OTHER_PLAN, passed: false })
      expect(refusal(input({ receipt: { kind: 'ok', receipt: stale } })).reason).toBe('stale_plan')
    })

    it('reports a failed rehearsal before stale content (step 5 precedes 6)', () => {
      const failed = receipt({ passed: false })
      const decision = refusal(
        input({ receipt: { kind: 'ok', receipt: failed }, contentDigest: 'e'.repeat(64) })
      )
      expect(decision.reason).toBe('failed_rehearsal')
    })

    it('reports stale content before an inconsistent event log (step 6 precedes 7)', () => {
      const decision = refusal(
        input({
          contentDigest: 'e'.repeat(64),
          events: { complete: null, badLines: [], matchesReceipt: true }
        })
      )
      expect(decision.reason).toBe('stale_content')
    })

    it('reports a stale plan before an inconsistent event log (step 4 precedes 7)', () => {
      const stale = receipt({ plan_id: OTHER_PLAN })
      const decision = refusal(
        input({
          receipt: { kind: 'ok', receipt: stale },
          events: { complete: { passed: false, plan_id: PLAN }, badLines: [], matchesReceipt: true }
        })
      )
      expect(decision.reason).toBe('stale_plan')
    })
  })

  describe('receipts edited by hand', () => {
    it('refuses a passing receipt whose counts say a crate was not published', () => {
      const d = refusal(
        input({ receipt: { kind: 'ok', receipt: receipt({ packages_published: 1 }) } })
      )
      expect(d.reason).toBe('inconsistent')
      expect(d.message).toMatch(/packages_published is 1 of packages_attempted 2/)
    })

    it('refuses a passing receipt that lists a failed crate', () => {
      const edited = receipt()
      edited.packages = edited.packages?.map(p => (p.name === 'b' ? { ...p, status: 'failed' } : p))
      const d = refusal(input({ receipt: { kind: 'ok', receipt: edited } }))
      expect(d.reason).toBe('inconsistent')
      expect(d.message).toMatch(/b@0\.2\.0 failed/)
    })

    it('refuses a receipt of this tool whose events.jsonl is missing', () => {
      const ours = receipt({ tool: { name: 'shipper-rehearse', version: '0.1.0' } })
      const { events: _dropped, ...noEvents } = input({ receipt: { kind: 'ok', receipt: ours } })
      const d = refusal(noEvents)
      expect(d.reason).toBe('inconsistent')
      expect(d.message).toMatch(/events\.jsonl .* is missing/)
    })

    it("accepts shipper's own receipt without events (shipper may not ship them)", () => {
      const shippers = receipt()
      for (const key of ['content_digest', 'events_sha256', 'events_bytes', 'packages'] as const) {
        delete shippers[key]
      }
      const { events: _dropped, ...noEvents } = input({
        bind: 'plan',
        receipt: { kind: 'ok', receipt: shippers }
      })
      expect(decideGate(noEvents).decision).toBe('proceed')
    })
  })
})

describe('the facts beside the log (rehearse-events.jsonl)', () => {
  const at = (timestamp: string, eventType: Fact['event_type']): Fact => ({
    timestamp,
    event_type: eventType,
    package: 'all'
  })
  const started = (timestamp: string): Event => ({
    timestamp,
    event_type: { type: 'rehearsal_started', registry: 'r', plan_id: PLAN, package_count: 2 },
    package: 'all'
  })
  const skip = (name: string, version: string, timestamp = '2026-04-17T12:00:30.000Z') =>
    at(timestamp, { type: 'rehearsal_package_skipped', name, version, reason: 'same bytes' })

  it("keeps only the last rehearsal's facts, whatever their timestamp precision", () => {
    const facts = gateFacts(
      [started('2026-04-17T11:00:00Z'), started('2026-04-17T12:00:00.000000001Z')],
      [
        skip('a', '0.1.0', '2026-04-17T11:00:01.000Z'),
        at('2026-04-17T11:30:00.000Z', { type: 'rehearsal_bypassed', reason: 'skip' }),
        skip('b', '0.2.0'),
        at('2026-04-17T12:00:40.000Z', { type: 'gate_decision', decision: 'proceed', reason: 'ok' })
      ]
    )
    expect(facts).toEqual({ skipped: ['b@0.2.0'] })
  })

  it('says the missing receipt is missing because that rehearsal was bypassed', () => {
    const facts = gateFacts(
      [],
      [at('2026-04-17T12:00:00.000Z', { type: 'rehearsal_bypassed', reason: 'skip-rehearsal' })]
    )
    const decision = refusal(input({ receipt: { kind: 'missing' }, facts }))
    expect(decision.reason).toBe('no_receipt')
    expect(decision.message).toBe(
      `no rehearsal receipt at ${PATH}: the rehearsal recorded beside it was bypassed with skip-rehearsal at 2026-04-17T12:00:00.000Z, so nothing was rehearsed`
    )
  })

  it("refuses this action's receipt calling a crate skipped that the facts do not record", () => {
    const ours = receipt({ tool: { name: TOOL.name, version: TOOL.version } })
    ours.packages![1]!.status = 'skipped'
    const decision = refusal(
      input({ receipt: { kind: 'ok', receipt: ours }, facts: { skipped: [] } })
    )
    expect(decision.reason).toBe('inconsistent')
    expect(decision.message).toBe(
      `the receipt at ${PATH} says b@0.2.0 was already in the rehearsal registry, but the rehearse-events.jsonl beside it records no such skip`
    )
    const recorded = decideGate(
      input({ receipt: { kind: 'ok', receipt: ours }, facts: { skipped: ['b@0.2.0'] } })
    )
    expect(recorded.decision).toBe('proceed')
  })

  it("does not ask another tool's receipt for facts only this action writes", () => {
    const foreign = receipt()
    foreign.packages![1]!.status = 'skipped'
    const decision = decideGate(
      input({ receipt: { kind: 'ok', receipt: foreign }, facts: { skipped: [] } })
    )
    expect(decision.decision).toBe('proceed')
  })
})

describe('gate: the toolchain under bind: content', () => {
  const toolchain = {
    cargo: 'cargo 1.95.0 (f2d3ce0bd 2026-03-21)',
    rustc: 'rustc 1.95.0\nrelease: 1.95.0'
  }

  it('proceeds with the toolchain the rehearsal recorded', () => {
    const decision = decideGate(
      input({ toolchain, receipt: { kind: 'ok', receipt: receipt({ toolchain }) } })
    )
    expect(decision.decision).toBe('proceed')
  })

  it('refuses another rustc, saying what differs and what to do', () => {
    const nightly = { ...toolchain, rustc: 'rustc 1.97.0-nightly\nrelease: 1.97.0-nightly' }
    const decision = decideGate(
      input({ toolchain: nightly, receipt: { kind: 'ok', receipt: receipt({ toolchain }) } })
    )
    expect(decision).toMatchObject({ decision: 'refuse', reason: 'stale_content' })
    if (decision.decision === 'refuse') {
      expect(decision.message).toContain('"rustc 1.95.0"')
      expect(decision.message).toContain('"rustc 1.97.0-nightly"')
      expect(decision.hint).toMatch(/rust-toolchain\.toml/)
    }
  })

  it('refuses a content-bound receipt that records no toolchain', () => {
    const decision = decideGate(input({ toolchain }))
    expect(decision).toMatchObject({ decision: 'refuse', reason: 'stale_content' })
  })
})
