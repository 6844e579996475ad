import type { ContentDigest, Plan } from '../plan/types.js'
import {
  RECEIPT_SCHEMA,
  type PackageState,
  type PublishReceipt,
  type PublishResult
} from '../record/receipt.js'
import type { PackageOutcome, PackageStatus } from '../result.js'
import { TOOL } from '../version.js'
import type { CrateRun } from './executor.js'

/** One crate as the run ends, in the shape both the receipt and RunResult are made from. */
export interface CrateRecord {
  name: string
  version: string
  level: number
  status: PackageStatus
  attempts: number
  durationMs: number
  reason?: string
  cksum?: string
  error?: { class: 'retryable' | 'permanent' | 'ambiguous'; message: string }
}

export function recordFromRun(run: CrateRun): CrateRecord {
  return {
    name: run.crate.name,
    version: run.crate.version,
    level: run.crate.level,
    status: run.state,
    attempts: run.attempts,
    durationMs: run.durationMs,
    ...(run.reason ? { reason: run.reason } : {}),
    ...(run.cksum ? { cksum: run.cksum } : {}),
    ...(run.error ? { error: { class: run.error.class, message: run.error.message } } : {})
  }
}

export function toPackageOutcome(record: CrateRecord): PackageOutcome {
  return {
    name: record.name,
    version: record.version,
    level: record.level,
    status: record.status,
    durationMs: record.durationMs,
    attempts: record.attempts,
    ...(record.reason ? { reason: record.reason } : {}),
    ...(record.cksum ? { cksum: record.cksum } : {})
  }
}

const STATE: Record<PackageStatus, PackageState> = {
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
  records: readonly CrateRecord[],
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
  records: readonly CrateRecord[]
  gate: { decision: 'proceed' | 'refuse'; reason: string; bypassed: boolean }
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
      attempts: r.attempts,
      duration_ms: Math.max(0, Math.round(r.durationMs)),
      ...(r.error ? { error: r.error } : {})
    })),
    gate: input.gate,
    tool: { name: TOOL.name, version: TOOL.version }
  }
}
