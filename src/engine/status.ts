import type { FailureClass } from '../cargo/classify.js'
import type { PlannedCrate } from '../plan/types.js'

/** Where a crate stands; `dry-run` = checked, would have been uploaded. */
export type CrateState = 'published' | 'skipped' | 'failed' | 'pending' | 'dry-run'

export interface CrateFailure {
  class: FailureClass
  message: string
  /** What to do about it, where the engine knows better than the run's general advice. */
  hint?: string
  /** cargo's stderr tail (the recorders scrub it). */
  stderrTail?: string
}

/**
 * One crate of a run, in both modes and all the way out: the engines fill it in, the records
 * (rehearsal.json, receipt.json), the job summary and the outputs read it.
 */
export interface CrateStatus {
  name: string
  version: string
  level: number
  status: CrateState
  durationMs: number
  /** Publish mode: uploads tried. */
  attempts?: number
  /** sha256 of the .crate the registry lists for the version (uploaded or found), when known. */
  cksum?: string
  /** Why a crate was skipped (e.g. "already published"). */
  reason?: string
  failure?: CrateFailure
}

/** The status of a crate nothing has happened to yet. */
export function pendingStatus(
  crate: Pick<PlannedCrate, 'name' | 'version' | 'level'>
): CrateStatus {
  return {
    name: crate.name,
    version: crate.version,
    level: crate.level,
    status: 'pending',
    durationMs: 0
  }
}

/** The status as RunResult reports it: the failure is told once, as the run's own. */
export function reported({ failure: _failure, ...status }: CrateStatus): CrateStatus {
  return { ...status, durationMs: Math.round(status.durationMs) }
}
