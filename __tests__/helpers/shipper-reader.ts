import { readFileSync } from 'node:fs'
import { z } from 'zod'

/**
 * shipper's own reader, rebuilt for tests from shipper-types/src/lib.rs (shipper commit 3202772)
 * and independent of src/record: `PublishEvent { timestamp: DateTime<Utc>, event_type: EventType,
 * package: String }`, with `EventType` an internally tagged enum of exactly 41 variants and no
 * catch-all. Objects are strict, so a field shipper does not declare fails too: this reader is
 * stricter than serde (which would ignore it), never laxer.
 */
const u32 = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1)
const u64 = z.number().int().min(0)
const i32 = z
  .number()
  .int()
  .min(-(2 ** 31))
  .max(2 ** 31 - 1)
const dateTime = z.iso.datetime({ offset: true })
const errorClass = z.enum(['retryable', 'permanent', 'ambiguous'])
const readinessMethod = z.enum(['api', 'index', 'both'])

const v = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.strictObject({ type: z.literal(type), ...shape })

const retry = {
  attempt: u32,
  max_attempts: u32,
  delay_ms: u64,
  next_attempt_at: dateTime,
  reason: errorClass,
  message: z.string()
}

const eventType = z.discriminatedUnion('type', [
  v('plan_created', { plan_id: z.string(), package_count: u64 }),
  v('execution_started', {}),
  v('execution_finished', { result: z.enum(['success', 'partial_failure', 'complete_failure']) }),
  v('auth_evidence_recorded', {
    evidence: z.strictObject({
      schema_version: z.string(),
      registry: z.string(),
      auth_mode: z.enum([
        'cargo_token',
        'trusted_publishing_context',
        'cargo_token_with_oidc_context',
        'partial_oidc_context',
        'missing',
        'unknown'
      ]),
      token_detected: z.boolean(),
      oidc_request_url_present: z.boolean(),
      oidc_request_token_present: z.boolean()
    })
  }),
  v('registry_policy_applied', {
    evidence: z.strictObject({
      posture: z.enum(['public_default', 'private_opt_in', 'rehearsal_or_test']),
      allow_private: z.boolean(),
      allow_loopback: z.boolean(),
      credential_authority: z.string(),
      index_authority: z.string()
    })
  }),
  v('package_started', { name: z.string(), version: z.string() }),
  v('package_uploaded', {}),
  v('package_attempted', { attempt: u32, command: z.string(), max_attempts: u32.optional() }),
  v('package_output', { stdout_tail: z.string(), stderr_tail: z.string() }),
  v('package_published', { duration_ms: u64 }),
  v('package_failed', { class: errorClass, message: z.string() }),
  v('package_skipped', { reason: z.string() }),
  v('publish_waiting', { reason: z.string(), delay_ms: u64, until: dateTime }),
  v('rate_limit_observed', {
    is_new_crate: z.boolean(),
    retry_after_ms: u64.nullable().optional(),
    message: z.string()
  }),
  v('publish_reconciling', { method: readinessMethod }),
  v('publish_reconciled', {
    outcome: z.discriminatedUnion('outcome', [
      z.strictObject({ outcome: z.literal('published'), attempts: u32, elapsed_ms: u64 }),
      z.strictObject({ outcome: z.literal('not_published'), attempts: u32, elapsed_ms: u64 }),
      z.strictObject({
        outcome: z.literal('still_unknown'),
        attempts: u32,
        elapsed_ms: u64,
        reason: z.string()
      })
    ])
  }),
  v('state_event_drift_detected', {
    drift: z.strictObject({
      in_events_only: z.array(z.string()),
      in_state_only: z.array(z.string())
    })
  }),
  v('package_yanked', {
    crate_name: z.string(),
    version: z.string(),
    reason: z.string(),
    exit_code: i32
  }),
  v('rehearsal_started', { registry: z.string(), plan_id: z.string(), package_count: u64 }),
  v('rehearsal_package_published', { name: z.string(), version: z.string(), duration_ms: u64 }),
  v('rehearsal_package_failed', {
    name: z.string(),
    version: z.string(),
    class: errorClass,
    message: z.string()
  }),
  v('rehearsal_complete', {
    passed: z.boolean(),
    registry: z.string(),
    plan_id: z.string(),
    summary: z.string()
  }),
  v('rehearsal_smoke_check_started', {
    name: z.string(),
    version: z.string(),
    registry: z.string()
  }),
  v('rehearsal_smoke_check_succeeded', {
    name: z.string(),
    version: z.string(),
    duration_ms: u64
  }),
  v('rehearsal_smoke_check_failed', { name: z.string(), version: z.string(), message: z.string() }),
  v('retry_backoff_started', retry),
  v('retry_scheduled', retry),
  v('readiness_started', { method: readinessMethod }),
  v('readiness_poll', { attempt: u32, visible: z.boolean() }),
  v('readiness_poll_scheduled', { attempt: u32, delay_ms: u64, next_poll_at: dateTime }),
  v('readiness_complete', { duration_ms: u64, attempts: u32 }),
  v('readiness_timeout', { max_wait_ms: u64 }),
  v('readiness_error', { duration_ms: u64 }),
  v('index_readiness_started', { crate_name: z.string(), version: z.string() }),
  v('index_readiness_check', { crate_name: z.string(), version: z.string(), found: z.boolean() }),
  v('index_readiness_complete', {
    crate_name: z.string(),
    version: z.string(),
    visible: z.boolean()
  }),
  v('preflight_started', {}),
  v('preflight_workspace_verify', { passed: z.boolean(), output: z.string() }),
  v('preflight_new_crate_detected', { crate_name: z.string() }),
  v('preflight_ownership_check', { crate_name: z.string(), verified: z.boolean() }),
  v('preflight_complete', { finishability: z.enum(['proven', 'not_proven', 'failed']) })
])

export const SHIPPER_VARIANT_COUNT = eventType.options.length

const publishEvent = z.strictObject({
  timestamp: dateTime,
  event_type: eventType,
  package: z.string()
})
export type ShipperLine = z.infer<typeof publishEvent>

/**
 * Reads events.jsonl as shipper does: every line must be one of its variants in its shape, or
 * the whole read fails (the error names the line).
 */
export function readAsShipper(text: string): ShipperLine[] {
  return text
    .split('\n')
    .filter(line => line.trim() !== '')
    .map((line, i) => {
      const result = publishEvent.safeParse(JSON.parse(line))
      if (!result.success) {
        throw new Error(
          `shipper cannot read events.jsonl line ${i + 1}: ${z.prettifyError(result.error)}\n${line}`
        )
      }
      return result.data
    })
}

/** shipper's reader over the whole file at `path`: throws (failing the test) on any line it rejects. */
export function expectShipperReadable(path: string): ShipperLine[] {
  return readAsShipper(readFileSync(path, 'utf8'))
}
