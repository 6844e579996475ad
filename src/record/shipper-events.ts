import { z } from 'zod'
import { fieldsOf, variant } from './variant.js'

/**
 * shipper's `EventType` (crates/shipper-types/src/lib.rs at shipper commit 3202772): an
 * internally tagged enum (`tag = "type"`, snake_case) with no catch-all. shipper fails reading a
 * whole events.jsonl on one line it does not know, so this file lists exactly its 41 variants in
 * its shapes, and only these are ever written to events.jsonl.
 *
 * The shape's key order IS the on-disk field order (serde writes struct fields in declaration
 * order), so never reorder the keys below.
 */

const u64 = z.number().int().nonnegative()
const i32 = z.number().int()
/** chrono's `DateTime<Utc>`: RFC 3339; shipper writes nanoseconds, this action milliseconds. */
const dateTime = z.iso.datetime({ offset: true })

export const errorClassSchema = z.enum(['retryable', 'permanent', 'ambiguous'])
export const readinessMethodSchema = z.enum(['api', 'index', 'both'])
export const executionResultSchema = z.enum(['success', 'partial_failure', 'complete_failure'])
const finishability = z.enum(['proven', 'not_proven', 'failed'])

/** shipper's `AuthEvidence`: non-secret facts about the run's authentication context. */
export const authEvidenceSchema = z.object({
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
export type ShipperAuthEvidence = z.infer<typeof authEvidenceSchema>
export const AUTH_EVIDENCE_SCHEMA = 'shipper.auth_evidence.v1'

/** shipper's `RegistryPolicyEvidence`; both authorities are `scheme://host:port` strings. */
export const registryPolicyEvidenceSchema = z.object({
  posture: z.enum(['public_default', 'private_opt_in', 'rehearsal_or_test']),
  allow_private: z.boolean(),
  allow_loopback: z.boolean(),
  credential_authority: z.string(),
  index_authority: z.string()
})

/** shipper's `ReconciliationOutcome`: internally tagged by `outcome`. */
export const reconciliationOutcomeSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('published'), attempts: u64, elapsed_ms: u64 }),
  z.object({ outcome: z.literal('not_published'), attempts: u64, elapsed_ms: u64 }),
  z.object({
    outcome: z.literal('still_unknown'),
    attempts: u64,
    elapsed_ms: u64,
    reason: z.string()
  })
])
export type ReconciliationOutcome = z.infer<typeof reconciliationOutcomeSchema>

const nameVersion = { name: z.string(), version: z.string() }
const retryShape = {
  attempt: u64,
  max_attempts: u64,
  delay_ms: u64,
  next_attempt_at: dateTime,
  reason: errorClassSchema,
  message: z.string()
}

/** The 41 variants, in shipper's declaration order. */
export const SHIPPER_VARIANTS = [
  variant('plan_created', { plan_id: z.string(), package_count: u64 }),
  variant('execution_started', {}),
  variant('execution_finished', { result: executionResultSchema }),
  variant('auth_evidence_recorded', { evidence: authEvidenceSchema }),
  variant('registry_policy_applied', { evidence: registryPolicyEvidenceSchema }),
  variant('package_started', nameVersion),
  variant('package_uploaded', {}),
  // shipper omits max_attempts when it is 0 and reads a missing one as 0.
  variant('package_attempted', { attempt: u64, command: z.string(), max_attempts: u64 }),
  variant('package_output', { stdout_tail: z.string(), stderr_tail: z.string() }),
  variant('package_published', { duration_ms: u64 }),
  variant('package_failed', { class: errorClassSchema, message: z.string() }),
  variant('package_skipped', { reason: z.string() }),
  variant('publish_waiting', { reason: z.string(), delay_ms: u64, until: dateTime }),
  variant('rate_limit_observed', {
    is_new_crate: z.boolean(),
    retry_after_ms: u64.nullable(),
    message: z.string()
  }),
  variant('publish_reconciling', { method: readinessMethodSchema }),
  variant('publish_reconciled', { outcome: reconciliationOutcomeSchema }),
  variant('state_event_drift_detected', {
    drift: z.object({ in_events_only: z.array(z.string()), in_state_only: z.array(z.string()) })
  }),
  variant('package_yanked', {
    crate_name: z.string(),
    version: z.string(),
    reason: z.string(),
    exit_code: i32
  }),
  variant('rehearsal_started', { registry: z.string(), plan_id: z.string(), package_count: u64 }),
  // shipper declares this duration_ms as u128, which serde cannot read back inside an
  // internally tagged enum; a plain JSON integer is what both sides can agree on.
  variant('rehearsal_package_published', { ...nameVersion, duration_ms: u64 }),
  variant('rehearsal_package_failed', {
    ...nameVersion,
    class: errorClassSchema,
    message: z.string()
  }),
  variant('rehearsal_complete', {
    passed: z.boolean(),
    registry: z.string(),
    plan_id: z.string(),
    summary: z.string()
  }),
  variant('rehearsal_smoke_check_started', { ...nameVersion, registry: z.string() }),
  variant('rehearsal_smoke_check_succeeded', { ...nameVersion, duration_ms: u64 }),
  variant('rehearsal_smoke_check_failed', { ...nameVersion, message: z.string() }),
  variant('retry_backoff_started', retryShape),
  variant('retry_scheduled', retryShape),
  variant('readiness_started', { method: readinessMethodSchema }),
  variant('readiness_poll', { attempt: u64, visible: z.boolean() }),
  variant('readiness_poll_scheduled', { attempt: u64, delay_ms: u64, next_poll_at: dateTime }),
  variant('readiness_complete', { duration_ms: u64, attempts: u64 }),
  variant('readiness_timeout', { max_wait_ms: u64 }),
  variant('readiness_error', { duration_ms: u64 }),
  variant('index_readiness_started', { crate_name: z.string(), version: z.string() }),
  variant('index_readiness_check', {
    crate_name: z.string(),
    version: z.string(),
    found: z.boolean()
  }),
  variant('index_readiness_complete', {
    crate_name: z.string(),
    version: z.string(),
    visible: z.boolean()
  }),
  variant('preflight_started', {}),
  variant('preflight_workspace_verify', { passed: z.boolean(), output: z.string() }),
  variant('preflight_new_crate_detected', { crate_name: z.string() }),
  variant('preflight_ownership_check', { crate_name: z.string(), verified: z.boolean() }),
  variant('preflight_complete', { finishability })
] as const

export const shipperEventTypeSchema = z.discriminatedUnion('type', SHIPPER_VARIANTS)
export type ShipperEventType = z.infer<typeof shipperEventTypeSchema>
export type ShipperEventName = ShipperEventType['type']

/** `type` first, then each variant's fields in shipper's order. */
export const SHIPPER_EVENT_FIELDS = fieldsOf(SHIPPER_VARIANTS)

/**
 * What shipper itself may write and this action must still read: a `package_attempted` without
 * `max_attempts`, a `rate_limit_observed` without `retry_after_ms` (serde reads a missing Option
 * as None).
 */
const READ_OVERRIDES: Partial<Record<string, z.ZodType>> = {
  package_attempted: variant('package_attempted', {
    attempt: u64,
    command: z.string(),
    max_attempts: u64.default(0)
  }),
  rate_limit_observed: variant('rate_limit_observed', {
    is_new_crate: z.boolean(),
    retry_after_ms: u64.nullable().default(null),
    message: z.string()
  })
}

/** The schema that reads variant `type` as shipper would, or undefined for a variant it lacks. */
export function shipperReadSchema(type: string): z.ZodType | undefined {
  if (!(type in SHIPPER_EVENT_FIELDS)) return undefined
  return READ_OVERRIDES[type] ?? SHIPPER_VARIANTS.find(v => v.shape.type.value === type)
}
