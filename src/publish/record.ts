import type { Verification } from './preflight.js'
import type { ContentDigest, Plan } from '../plan/types.js'
import {
  RECEIPT_SCHEMA,
  type PackageState,
  type PublishReceipt,
  type PublishResult
} from '../record/receipt.js'
import type { CrateState, CrateStatus } from '../engine/status.js'
import { TOOL } from '../version.js'
import type { CrateRun } from './executor.js'

/** A crate's status as the run ends, without what only the executor needs. */
export function statusOfRun({
  crate: _crate,
  uploaded: _uploaded,
  ...status
}: CrateRun): CrateStatus {
  return status
}

const STATE: Record<CrateState, PackageState> = {
  published: 'published',
  skipped: 'skipped',
  failed: 'failed',
  pending: 'pending',
  'dry-run': 'dry_run'
}

/**
 * The overall result shipper's `execution_finished` uses: anything of the plan in the registry
 * (uploaded now or before) makes a failure partial.
 */
export function executionResult(
  records: readonly CrateStatus[],
  failed: boolean
): 'success' | 'partial_failure' | 'complete_failure' {
  if (!failed) return 'success'
  return records.some(r => r.status === 'published' || r.status === 'skipped')
    ? 'partial_failure'
    : 'complete_failure'
}

export interface ReceiptInput {
  plan: Plan
  digest: ContentDigest | undefined
  startedAt: string
  completedAt: string
  result: PublishResult
  records: readonly CrateStatus[]
  gate: { decision: 'proceed' | 'refuse'; reason: string; bypassed: boolean }
  verification?: Verification
}

export function buildReceipt(input: ReceiptInput): PublishReceipt {
  return {
    schema_version: RECEIPT_SCHEMA,
    plan_id: input.plan.planId,
    registry: input.plan.registry,
    content_digest: input.digest?.digest ?? null,
    started_at: input.startedAt,
    completed_at: input.completedAt,
    result: input.result,
    packages: input.records.map(r => ({
      name: r.name,
      version: r.version,
      state: STATE[r.status],
      attempts: r.attempts ?? 0,
      duration_ms: Math.max(0, Math.round(r.durationMs)),
      ...(r.failure ? { error: { class: r.failure.class, message: r.failure.message } } : {})
    })),
    gate: input.gate,
    ...(input.verification ? { verification: input.verification } : {}),
    tool: { name: TOOL.name, version: TOOL.version }
  }
}
