import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fakeClock } from '../../src/clock.js'
import {
  EVENT_FIELDS,
  EventLog,
  lastRehearsalComplete,
  readEvents,
  readFacts,
  type EventType
} from '../../src/record/events.js'

const PLAN = 'a'.repeat(64)

/**
 * shipper's EventType (shipper-types/src/lib.rs at 3202772), field lists written out from its
 * source independently of the implementation, in declaration order.
 */
const SHIPPER_FIELDS: Record<string, string[]> = {
  plan_created: ['plan_id', 'package_count'],
  execution_started: [],
  execution_finished: ['result'],
  auth_evidence_recorded: ['evidence'],
  registry_policy_applied: ['evidence'],
  package_started: ['name', 'version'],
  package_uploaded: [],
  package_attempted: ['attempt', 'command', 'max_attempts'],
  package_output: ['stdout_tail', 'stderr_tail'],
  package_published: ['duration_ms'],
  package_failed: ['class', 'message'],
  package_skipped: ['reason'],
  publish_waiting: ['reason', 'delay_ms', 'until'],
  rate_limit_observed: ['is_new_crate', 'retry_after_ms', 'message'],
  publish_reconciling: ['method'],
  publish_reconciled: ['outcome'],
  state_event_drift_detected: ['drift'],
  package_yanked: ['crate_name', 'version', 'reason', 'exit_code'],
  rehearsal_started: ['registry', 'plan_id', 'package_count'],
  rehearsal_package_published: ['name', 'version', 'duration_ms'],
  rehearsal_package_failed: ['name', 'version', 'class', 'message'],
  rehearsal_complete: ['passed', 'registry', 'plan_id', 'summary'],
  rehearsal_smoke_check_started: ['name', 'version', 'registry'],
  rehearsal_smoke_check_succeeded: ['name', 'version', 'duration_ms'],
  rehearsal_smoke_check_failed: ['name', 'version', 'message'],
  retry_backoff_started: [
    'attempt',
    'max_attempts',
    'delay_ms',
    'next_attempt_at',
    'reason',
    'message'
  ],
  retry_scheduled: ['attempt', 'max_attempts', 'delay_ms', 'next_attempt_at', 'reason', 'message'],
  readiness_started: ['method'],
  readiness_poll: ['attempt', 'visible'],
  readiness_poll_scheduled: ['attempt', 'delay_ms', 'next_poll_at'],
  readiness_complete: ['duration_ms', 'attempts'],
  readiness_timeout: ['max_wait_ms'],
  readiness_error: ['duration_ms'],
  index_readiness_started: ['crate_name', 'version'],
  index_readiness_check: ['crate_name', 'version', 'found'],
  index_readiness_complete: ['crate_name', 'version', 'visible'],
  preflight_started: [],
  preflight_workspace_verify: ['passed', 'output'],
  preflight_new_crate_detected: ['crate_name'],
  preflight_ownership_check: ['crate_name', 'verified'],
  preflight_complete: ['finishability']
}

/** This action's facts, which go to rehearse-events.jsonl. */
const FACT_FIELDS: Record<string, string[]> = {
  rehearsal_package_skipped: ['name', 'version', 'reason'],
  rehearsal_bypassed: ['reason'],
  gate_bypassed: ['plan_id', 'reason'],
  gate_decision: ['decision', 'reason'],
  auth_selected: ['method', 'source', 'detail']
}

const SPEC_FIELDS = { ...SHIPPER_FIELDS, ...FACT_FIELDS }
const T = '2026-01-01T00:00:02.000Z'

/** One valid sample per variant, with its keys deliberately in reverse order. */
const SAMPLES: Record<string, Record<string, unknown>> = {
  plan_created: { package_count: 2, plan_id: PLAN },
  execution_started: {},
  execution_finished: { result: 'success' },
  auth_evidence_recorded: {
    evidence: {
      oidc_request_token_present: false,
      oidc_request_url_present: false,
      token_detected: true,
      auth_mode: 'cargo_token',
      registry: 'crates-io',
      schema_version: 'shipper.auth_evidence.v1'
    }
  },
  registry_policy_applied: {
    evidence: {
      index_authority: 'http://127.0.0.1:8000',
      credential_authority: 'http://127.0.0.1:8000',
      allow_loopback: true,
      allow_private: false,
      posture: 'rehearsal_or_test'
    }
  },
  package_started: { version: '0.1.0', name: 'a' },
  package_uploaded: {},
  package_attempted: { max_attempts: 6, command: 'cargo publish -p a', attempt: 1 },
  package_output: { stderr_tail: 'err', stdout_tail: 'out' },
  package_published: { duration_ms: 100 },
  package_failed: { message: 'boom', class: 'retryable' },
  package_skipped: { reason: 'already published' },
  publish_waiting: { until: T, delay_ms: 2000, reason: 'rate limit' },
  rate_limit_observed: { message: '429', retry_after_ms: 600000, is_new_crate: true },
  publish_reconciling: { method: 'index' },
  publish_reconciled: { outcome: { elapsed_ms: 40, attempts: 2, outcome: 'published' } },
  state_event_drift_detected: { drift: { in_state_only: [], in_events_only: ['a@0.1.0'] } },
  package_yanked: { exit_code: 0, reason: 'CVE', version: '0.1.0', crate_name: 'a' },
  rehearsal_started: { package_count: 3, plan_id: PLAN, registry: 'rehearsal' },
  rehearsal_package_published: { duration_ms: 12, version: '0.1.0', name: 'a' },
  rehearsal_package_failed: { message: 'boom', class: 'permanent', version: '0.1.0', name: 'a' },
  rehearsal_complete: { summary: 'ok', plan_id: PLAN, registry: 'rehearsal', passed: true },
  rehearsal_smoke_check_started: { registry: 'rehearsal', version: '0.1.0', name: 'a' },
  rehearsal_smoke_check_succeeded: { duration_ms: 5, version: '0.1.0', name: 'a' },
  rehearsal_smoke_check_failed: { message: 'no bin', version: '0.1.0', name: 'a' },
  retry_backoff_started: {
    message: 'HTTP 503',
    reason: 'retryable',
    next_attempt_at: T,
    delay_ms: 2000,
    max_attempts: 6,
    attempt: 1
  },
  retry_scheduled: {
    message: 'HTTP 503',
    reason: 'retryable',
    next_attempt_at: T,
    delay_ms: 2000,
    max_attempts: 6,
    attempt: 1
  },
  readiness_started: { method: 'index' },
  readiness_poll: { visible: false, attempt: 1 },
  readiness_poll_scheduled: { next_poll_at: T, delay_ms: 1000, attempt: 2 },
  readiness_complete: { attempts: 2, duration_ms: 1500 },
  readiness_timeout: { max_wait_ms: 300000 },
  readiness_error: { duration_ms: 10 },
  index_readiness_started: { version: '0.1.0', crate_name: 'a' },
  index_readiness_check: { found: true, version: '0.1.0', crate_name: 'a' },
  index_readiness_complete: { visible: true, version: '0.1.0', crate_name: 'a' },
  preflight_started: {},
  preflight_workspace_verify: { output: 'ok', passed: true },
  preflight_new_crate_detected: { crate_name: 'a' },
  preflight_ownership_check: { verified: true, crate_name: 'a' },
  preflight_complete: { finishability: 'proven' },
  rehearsal_package_skipped: { reason: 'already there', version: '0.1.0', name: 'a' },
  rehearsal_bypassed: { reason: 'skip-rehearsal' },
  gate_bypassed: { reason: 'skip-rehearsal', plan_id: PLAN },
  gate_decision: { reason: 'accepted', decision: 'proceed' },
  auth_selected: { detail: 'CARGO_REGISTRY_TOKEN', source: 'env', method: 'token' }
}

function sample(type: string): EventType {
  return { ...SAMPLES[type], type } as unknown as EventType
}

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sr-events-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function lines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8')
  expect(text.endsWith('\n')).toBe(true)
  return text.slice(0, -1).split('\n')
}

describe('event schemas', () => {
  it("list exactly shipper's 41 variants and our facts, each field in on-disk order after `type`", () => {
    expect(Object.keys(SHIPPER_FIELDS)).toHaveLength(41)
    const actual = Object.fromEntries(
      Object.entries(EVENT_FIELDS).map(([type, fields]) => [type, fields.slice(1)])
    )
    expect(actual).toEqual(SPEC_FIELDS)
    for (const fields of Object.values(EVENT_FIELDS)) expect(fields[0]).toBe('type')
  })
})

describe('EventLog', () => {
  it('writes timestamp, event_type, package in that order, with type first in event_type', async () => {
    const clock = fakeClock(Date.UTC(2026, 3, 17, 12, 0, 0, 123))
    const log = await EventLog.open(join(dir, 'events.jsonl'), clock)
    await log.append(sample('rehearsal_started'), 'all')
    await log.close()
    expect(await lines(join(dir, 'events.jsonl'))).toEqual([
      `{"timestamp":"2026-04-17T12:00:00.123Z","event_type":{"type":"rehearsal_started",` +
        `"registry":"rehearsal","plan_id":"${PLAN}","package_count":3},"package":"all"}`
    ])
  })

  it("puts every variant in canonical key order, shipper's in events.jsonl and ours beside it", async () => {
    const path = join(dir, 'events.jsonl')
    const log = await EventLog.open(path, fakeClock())
    for (const type of Object.keys(SPEC_FIELDS)) await log.append(sample(type), 'a@0.1.0')
    await log.close()
    const shipperLines = await lines(path)
    const factLines = await lines(join(dir, 'rehearse-events.jsonl'))
    expect(shipperLines.map(l => JSON.parse(l).event_type.type)).toEqual(
      Object.keys(SHIPPER_FIELDS)
    )
    expect(factLines.map(l => JSON.parse(l).event_type.type)).toEqual(Object.keys(FACT_FIELDS))
    for (const line of [...shipperLines, ...factLines]) {
      const event = JSON.parse(line)
      expect(Object.keys(event)).toEqual(['timestamp', 'event_type', 'package'])
      expect(Object.keys(event.event_type)).toEqual([
        'type',
        ...SPEC_FIELDS[event.event_type.type]!
      ])
    }
  })

  it("nests the reconciliation outcome and the auth evidence in shipper's key order", async () => {
    const path = join(dir, 'events.jsonl')
    const log = await EventLog.open(path, fakeClock())
    await log.append(sample('publish_reconciled'), 'a@0.1.0')
    await log.append(sample('auth_evidence_recorded'), 'all')
    await log.close()
    const [reconciled, auth] = (await lines(path)).map(l => JSON.parse(l).event_type)
    expect(Object.keys(reconciled.outcome)).toEqual(['outcome', 'attempts', 'elapsed_ms'])
    expect(Object.keys(auth.evidence)).toEqual([
      'schema_version',
      'registry',
      'auth_mode',
      'token_detected',
      'oidc_request_url_present',
      'oidc_request_token_present'
    ])
  })

  it('creates no facts file while a run records only shipper variants', async () => {
    const path = join(dir, 'events.jsonl')
    const log = await EventLog.open(path, fakeClock())
    await log.append(sample('plan_created'), 'all')
    await log.close()
    expect(existsSync(join(dir, 'rehearse-events.jsonl'))).toBe(false)
  })

  it('refuses a registry policy without authorities, which shipper cannot read', async () => {
    const log = await EventLog.open(join(dir, 'events.jsonl'), fakeClock())
    const evidence = {
      ...(SAMPLES.registry_policy_applied!.evidence as object),
      index_authority: null
    }
    await expect(
      log.append({ type: 'registry_policy_applied', evidence } as unknown as EventType, 'all')
    ).rejects.toThrow(/index_authority/)
    await log.close()
  })

  it('orders the nested registry policy evidence as shipper does', async () => {
    const path = join(dir, 'events.jsonl')
    const log = await EventLog.open(path, fakeClock())
    await log.append(sample('registry_policy_applied'), 'all')
    await log.close()
    const [line] = await lines(path)
    expect(Object.keys(JSON.parse(line!).event_type.evidence)).toEqual([
      'posture',
      'allow_private',
      'allow_loopback',
      'credential_authority',
      'index_authority'
    ])
  })

  it('stamps RFC 3339 UTC with milliseconds and Z from the injected clock', async () => {
    const clock = fakeClock(Date.UTC(2026, 0, 2, 3, 4, 5, 6))
    const path = join(dir, 'events.jsonl')
    const log = await EventLog.open(path, clock)
    await log.append(sample('execution_started'), 'all')
    await clock.sleep(1500)
    await log.append(sample('execution_finished'), 'all')
    await log.close()
    const stamps = (await lines(path)).map(l => JSON.parse(l).timestamp)
    expect(stamps).toEqual(['2026-01-02T03:04:05.006Z', '2026-01-02T03:04:06.506Z'])
  })

  it('keeps 100 concurrent appends as 100 whole lines, in call order', async () => {
    const path = join(dir, 'events.jsonl')
    const log = await EventLog.open(path, fakeClock())
    // Alternating big and tiny lines: unserialized writes would finish out of order.
    const body = (i: number) => `${i} ${'x'.repeat(i % 2 === 0 ? 300_000 : 10)}`
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        log.append(
          {
            message: body(i),
            version: '0.1.0',
            name: `c${i}`,
            type: 'rehearsal_smoke_check_failed'
          },
          `c${i}@0.1.0`
        )
      )
    )
    await log.close()
    const written = await lines(path)
    expect(written).toHaveLength(100)
    written.forEach((line, i) => {
      const event = JSON.parse(line)
      expect(Object.keys(event)).toEqual(['timestamp', 'event_type', 'package'])
      expect(Object.keys(event.event_type)).toEqual(['type', 'name', 'version', 'message'])
      expect(event.package).toBe(`c${i}@0.1.0`)
      expect(event.event_type.message).toBe(body(i))
    })
  })

  it('waits for every pending append before closing the file', async () => {
    const path = join(dir, 'events.jsonl')
    const log = await EventLog.open(path, fakeClock())
    const pending = Array.from({ length: 50 }, () =>
      log.append(sample('readiness_poll'), 'a@0.1.0')
    )
    await log.close()
    await Promise.all(pending)
    expect(await lines(path)).toHaveLength(50)
  })

  it('makes each event readable as soon as its append resolves, before close', async () => {
    const path = join(dir, 'events.jsonl')
    const log = await EventLog.open(path, fakeClock())
    await log.append(sample('plan_created'), 'all')
    expect((await readEvents(path)).events.map(e => e.event_type.type)).toEqual(['plan_created'])
    await log.append(sample('execution_started'), 'all')
    expect((await readEvents(path)).events).toHaveLength(2)
    await log.close()
  })

  it('creates the state dir and appends to an existing log instead of truncating it', async () => {
    const path = join(dir, 'nested', 'state', 'events.jsonl')
    const first = await EventLog.open(path, fakeClock())
    await first.append(sample('execution_started'), 'all')
    await first.close()
    const second = await EventLog.open(path, fakeClock())
    await second.append(sample('execution_finished'), 'all')
    await second.close()
    expect((await readEvents(path)).events.map(e => e.event_type.type)).toEqual([
      'execution_started',
      'execution_finished'
    ])
  })

  it('rejects an invalid event without writing it, and keeps accepting valid ones', async () => {
    const path = join(dir, 'events.jsonl')
    const log = await EventLog.open(path, fakeClock())
    const broken = { type: 'package_published' } as unknown as EventType
    await expect(log.append(broken, 'a@0.1.0')).rejects.toThrow(/duration_ms/)
    await log.append(sample('package_published'), 'a@0.1.0')
    await log.close()
    expect(await lines(path)).toHaveLength(1)
  })

  it('refuses appends after close', async () => {
    const log = await EventLog.open(join(dir, 'events.jsonl'), fakeClock())
    await log.close()
    await expect(log.append(sample('execution_started'), 'all')).rejects.toThrow(/closed/)
  })

  it('masks registered secrets and credential-shaped text in every field', async () => {
    const path = join(dir, 'events.jsonl')
    const log = await EventLog.open(path, fakeClock())
    log.addSecret('cio-SECRET-123')
    await log.append(
      {
        type: 'package_output',
        stdout_tail: 'token cio-SECRET-123 leaked',
        stderr_tail: 'Authorization: rawtoken\nnext line'
      },
      'a@0.1.0'
    )
    await log.close()
    const text = await readFile(path, 'utf8')
    expect(text).not.toContain('cio-SECRET-123')
    expect(text).not.toContain('rawtoken')
    expect(JSON.parse(text).event_type).toEqual({
      type: 'package_output',
      stdout_tail: 'token *** leaked',
      stderr_tail: 'Authorization: ***\nnext line'
    })
  })
})

describe('readEvents', () => {
  it('round-trips what EventLog wrote', async () => {
    const path = join(dir, 'events.jsonl')
    const log = await EventLog.open(path, fakeClock(Date.UTC(2026, 0, 1)))
    await log.append(sample('rehearsal_complete'), 'all')
    await log.close()
    expect(await readEvents(path)).toEqual({
      events: [
        {
          timestamp: '2026-01-01T00:00:00.000Z',
          event_type: {
            type: 'rehearsal_complete',
            passed: true,
            registry: 'rehearsal',
            plan_id: PLAN,
            summary: 'ok'
          },
          package: 'all'
        }
      ],
      badLines: [],
      duplicateKeyLines: [],
      missing: false
    })
  })

  it('skips unknown types silently and reports garbage lines by number', async () => {
    const path = join(dir, 'events.jsonl')
    const good = (type: string) =>
      JSON.stringify({
        timestamp: '2026-01-01T00:00:00.000Z',
        event_type: sample(type),
        package: 'all'
      })
    await writeFile(
      path,
      [
        good('execution_started'),
        'not json at all',
        JSON.stringify({
          timestamp: 't',
          event_type: { type: 'shipper_future_event', x: 1 },
          package: 'all'
        }),
        JSON.stringify({
          timestamp: 't',
          event_type: { type: 'package_published' },
          package: 'a@1.0.0'
        }),
        '',
        '[1,2,3]',
        good('execution_finished'),
        '{"timestamp":"2026-01-01T00:00:00.000Z","event_ty'
      ].join('\n')
    )
    const result = await readEvents(path)
    expect(result.events.map(e => e.event_type.type)).toEqual([
      'execution_started',
      'execution_finished'
    ])
    expect(result.badLines).toEqual([2, 4, 6, 8])
  })

  it('reads what shipper writes: nanosecond timestamps, no max_attempts, tagged outcomes', async () => {
    const path = join(dir, 'events.jsonl')
    await writeFile(
      path,
      [
        '{"timestamp":"2026-04-17T12:00:00.123456789Z","event_type":{"type":"package_attempted","attempt":1,"command":"cargo publish -p a"},"package":"a@0.1.0"}',
        '{"timestamp":"2026-04-17T12:00:01.5Z","event_type":{"type":"publish_reconciled","outcome":{"outcome":"still_unknown","attempts":3,"elapsed_ms":9000,"reason":"index unreadable"}},"package":"a@0.1.0"}',
        '{"timestamp":"2026-04-17T12:00:02Z","event_type":{"type":"rate_limit_observed","is_new_crate":false,"message":"429"},"package":"a@0.1.0"}',
        '{"timestamp":"2026-04-17T12:00:03.000000001Z","event_type":{"type":"preflight_complete","finishability":"not_proven"},"package":"all"}',
        ''
      ].join('\n')
    )
    const result = await readEvents(path)
    expect(result.badLines).toEqual([])
    expect(result.events.map(e => e.event_type)).toEqual([
      { type: 'package_attempted', attempt: 1, command: 'cargo publish -p a', max_attempts: 0 },
      {
        type: 'publish_reconciled',
        outcome: {
          outcome: 'still_unknown',
          attempts: 3,
          elapsed_ms: 9000,
          reason: 'index unreadable'
        }
      },
      { type: 'rate_limit_observed', is_new_crate: false, retry_after_ms: null, message: '429' },
      { type: 'preflight_complete', finishability: 'not_proven' }
    ])
    expect(result.events[0]!.timestamp).toBe('2026-04-17T12:00:00.123456789Z')
  })

  it('reads the facts file beside events.jsonl, and events.jsonl skips our facts', async () => {
    const path = join(dir, 'events.jsonl')
    const log = await EventLog.open(path, fakeClock())
    await log.append(sample('gate_decision'), 'all')
    await log.append(sample('plan_created'), 'all')
    await log.close()
    const facts = await readFacts(join(dir, 'rehearse-events.jsonl'))
    expect(facts.events.map(e => e.event_type)).toEqual([
      { type: 'gate_decision', decision: 'proceed', reason: 'accepted' }
    ])
    await writeFile(path, await readFile(join(dir, 'rehearse-events.jsonl'), 'utf8'), { flag: 'a' })
    expect((await readEvents(path)).events.map(e => e.event_type.type)).toEqual(['plan_created'])
  })

  it('reports a missing file instead of throwing', async () => {
    expect(await readEvents(join(dir, 'nope.jsonl'))).toEqual({
      events: [],
      badLines: [],
      duplicateKeyLines: [],
      missing: true
    })
  })

  it('reports a line with a key twice instead of reading either value', async () => {
    const path = join(dir, 'events.jsonl')
    const log = await EventLog.open(path, fakeClock(Date.UTC(2026, 0, 1)))
    await log.append(sample('rehearsal_complete'), 'all')
    await log.close()
    const line = readFileSync(path, 'utf8').trimEnd()
    const doubled = line.replace('"passed":true', '"passed":false,"passed":true')
    expect(doubled).not.toBe(line)
    writeFileSync(path, `${line}\n${doubled}\n`)
    const result = await readEvents(path)
    expect(result.duplicateKeyLines).toEqual([2])
    expect(result.events).toHaveLength(1)
  })

  it('refuses to read a log over the cap, reporting its size', async () => {
    const path = join(dir, 'events.jsonl')
    writeFileSync(path, 'x'.repeat(2048))
    expect(await readEvents(path, 1024)).toMatchObject({ oversized: 2048, events: [] })
  })
})

describe('lastRehearsalComplete', () => {
  it('returns the last rehearsal_complete event, or null when there is none', async () => {
    const path = join(dir, 'events.jsonl')
    const log = await EventLog.open(path, fakeClock())
    expect(lastRehearsalComplete((await readEvents(path)).events)).toBeNull()
    await log.append(
      { type: 'rehearsal_complete', passed: false, registry: 'r', plan_id: 'old', summary: 's' },
      'all'
    )
    await log.append(sample('rehearsal_started'), 'all')
    await log.append(
      { type: 'rehearsal_complete', passed: true, registry: 'r', plan_id: PLAN, summary: 's' },
      'all'
    )
    await log.close()
    expect(lastRehearsalComplete((await readEvents(path)).events)).toMatchObject({
      passed: true,
      plan_id: PLAN
    })
  })
})
