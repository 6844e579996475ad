import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fakeClock } from '../../src/clock.js'
import { EventLog, type EventType } from '../../src/record/events.js'
import { SHIPPER_VARIANTS } from '../../src/record/shipper-events.js'
import { readAsShipper, SHIPPER_VARIANT_COUNT } from '../helpers/shipper-reader.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sr-shipper-reader-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const line = (eventType: Record<string, unknown>) =>
  JSON.stringify({
    timestamp: '2026-08-03T10:00:00.123456789Z',
    event_type: eventType,
    package: 'all'
  })

describe("shipper's reader, rebuilt from its definitions", () => {
  it('knows exactly 41 variants, the ones this action may write to events.jsonl', () => {
    expect(SHIPPER_VARIANT_COUNT).toBe(41)
    expect(SHIPPER_VARIANTS).toHaveLength(41)
  })

  it('fails on the lines this action used to write, as shipper does', () => {
    const old = [
      { type: 'gate_decision', decision: 'proceed', reason: 'ok' },
      { type: 'rehearsal_bypassed', reason: 'skip' },
      { type: 'publish_reconciled', outcome: 'published' },
      { type: 'auth_evidence_recorded', evidence: { method: 'token', source: 'input' } },
      {
        type: 'registry_policy_applied',
        evidence: {
          posture: 'rehearsal_or_test',
          allow_private: true,
          allow_loopback: true,
          credential_authority: null,
          index_authority: 'http://127.0.0.1:8000'
        }
      }
    ]
    for (const eventType of old) expect(() => readAsShipper(line(eventType))).toThrow(/line 1/)
  })

  it('takes a line shipper writes without max_attempts', () => {
    expect(
      readAsShipper(line({ type: 'package_attempted', attempt: 1, command: 'cargo publish -p a' }))
    ).toHaveLength(1)
  })

  it('reads every line EventLog writes, one per variant', async () => {
    const path = join(dir, 'events.jsonl')
    const log = await EventLog.open(path, fakeClock())
    const samples: EventType[] = [
      { type: 'plan_created', plan_id: 'p', package_count: 1 },
      { type: 'execution_started' },
      {
        type: 'publish_reconciled',
        outcome: { outcome: 'still_unknown', attempts: 2, elapsed_ms: 10, reason: 'no answer' }
      },
      {
        type: 'retry_scheduled',
        attempt: 1,
        max_attempts: 6,
        delay_ms: 1500,
        next_attempt_at: '2026-01-01T00:00:01.500Z',
        reason: 'retryable',
        message: '503'
      },
      { type: 'rate_limit_observed', is_new_crate: true, retry_after_ms: null, message: '429' },
      { type: 'gate_decision', decision: 'refuse', reason: 'stale' }
    ]
    for (const sample of samples) await log.append(sample, 'all')
    await log.close()
    const read = readAsShipper(readFileSync(path, 'utf8'))
    // The fact went beside it, so shipper's reader never sees it.
    expect(read.map(e => e.event_type.type)).toEqual(samples.slice(0, -1).map(s => s.type))
  })
})
