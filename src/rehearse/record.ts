import type { Toolchain } from '../bind/toolchain.js'
import type { ContentDigest, Plan } from '../plan/types.js'
import type { Failure } from '../result.js'
import {
  REHEARSAL_SCHEMA,
  rehearsalSummaryFailed,
  rehearsalSummaryPassed,
  type RehearsalReceipt,
  type RehearsedPackage
} from '../record/rehearsal.js'
import { TOOL } from '../version.js'
import type { CrateStatus } from '../engine/status.js'

export interface Verdict {
  passed: boolean
  summary: string
  packagesAttempted: number
  /** Versions this run uploaded and saw in the index; one found there already is not counted. */
  packagesPublished: number
}

/**
 * shipper's summary and counts. On failure, K in "stopped at K/N" is the plan position of the
 * first failed crate (what a sequential run would have reached), or the number of crates that
 * got through when the failure belongs to no crate (a smoke check, the registry). Pure.
 */
export function verdict(
  plan: Pick<Plan, 'packages'>,
  outcomes: readonly CrateStatus[],
  registryName: string,
  firstFailure: string | undefined
): Verdict {
  const n = plan.packages.length
  const done = outcomes.filter(o => o.status === 'published' || o.status === 'skipped').length
  const published = outcomes.filter(o => o.status === 'published').length
  const failed = outcomes.filter(o => o.status === 'failed').length
  // Skipped crates (already in the registry with the same bytes) were neither attempted nor
  // published by this run: counting them would claim uploads that never happened.
  const counts = { packagesAttempted: published + failed, packagesPublished: published }
  if (firstFailure === undefined) {
    return { passed: true, summary: rehearsalSummaryPassed(n, registryName), ...counts }
  }
  const position = plan.packages.findIndex(c =>
    outcomes.some(o => o.name === c.name && o.status === 'failed')
  )
  const k = position === -1 ? done : position + 1
  return { passed: false, summary: rehearsalSummaryFailed(k, n, oneLine(firstFailure)), ...counts }
}

export function oneLine(text: string): string {
  return (
    text
      .split(/\r?\n/)
      .find(l => l.trim() !== '')
      ?.trim() ?? text.trim()
  )
}

export interface ReceiptFacts {
  plan: Pick<Plan, 'planId' | 'packages'> & Partial<Pick<Plan, 'registry' | 'apiBase'>>
  registryName: string
  registryUrl?: string
  verdict: Verdict
  outcomes: readonly CrateStatus[]
  /** Packaged checksums, for crates packaged but never uploaded. */
  cksums: ReadonlyMap<string, string>
  digest?: ContentDigest
  startedAt: string
  completedAt: string
  commit?: string
  /** What stopped the rehearsal, already scrubbed of secrets. */
  failure?: Failure
  toolchain?: Toolchain
  /** events.jsonl as the receipt is written: the gate checks the log is the same one. */
  events?: { sha256: string; bytes: number }
}

/**
 * rehearsal.json: shipper's nine fields, then this action's; a failed one also says what failed
 * (`failure`: package, class, message, hint, stderr_tail). Pure.
 */
export function buildReceipt(facts: ReceiptFacts): RehearsalReceipt {
  const receipt: RehearsalReceipt = {
    schema_version: REHEARSAL_SCHEMA,
    plan_id: facts.plan.planId,
    registry: facts.registryName,
    passed: facts.verdict.passed,
    packages_attempted: facts.verdict.packagesAttempted,
    packages_published: facts.verdict.packagesPublished,
    summary: facts.verdict.summary,
    started_at: facts.startedAt,
    completed_at: facts.completedAt,
    publish_order: facts.plan.packages.map(p => `${p.name}@${p.version}`)
  }
  if (facts.digest) {
    const digest = facts.digest
    receipt.content_digest = digest.digest
    receipt.packages = facts.plan.packages.map((crate): RehearsedPackage => {
      const outcome = facts.outcomes.find(o => o.name === crate.name)
      return {
        name: crate.name,
        version: crate.version,
        cksum: outcome?.cksum ?? facts.cksums.get(crate.name) ?? null,
        digest: digest.perCrate[crate.name] as string,
        status: receiptStatus(outcome?.status),
        duration_ms: Math.max(0, Math.round(outcome?.durationMs ?? 0))
      }
    })
  }
  if (facts.digest?.lockSha256) receipt.cargo_lock_sha256 = facts.digest.lockSha256
  if (facts.commit) receipt.commit = facts.commit
  receipt.tool = { name: TOOL.name, version: TOOL.version }
  if (facts.registryUrl) receipt.registry_url = facts.registryUrl
  if (facts.plan.registry && facts.plan.apiBase) {
    receipt.target = { name: facts.plan.registry, api_base: facts.plan.apiBase }
  }
  if (facts.toolchain) receipt.toolchain = facts.toolchain
  if (facts.events) {
    receipt.events_sha256 = facts.events.sha256
    receipt.events_bytes = facts.events.bytes
  }
  if (facts.failure) {
    const crate = facts.failure.crate
    receipt.failure = {
      package: crate ? `${crate.name}@${crate.version}` : null,
      class: facts.failure.class,
      message: facts.failure.message,
      hint: facts.failure.hint,
      stderr_tail: facts.failure.stderrTail ?? null
    }
  }
  return receipt
}

function receiptStatus(status: CrateStatus['status'] | undefined): string {
  return status === undefined || status === 'pending' ? 'not_attempted' : status
}
