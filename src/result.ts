import type { CrateStatus } from './engine/status.js'
import type { ContentDigest, Plan } from './plan/types.js'

export interface Failure {
  /** The crate that failed, when the failure belongs to one. */
  crate?: { name: string; version: string; manifestPath: string }
  class: 'retryable' | 'permanent' | 'ambiguous' | 'input' | 'refused'
  message: string
  hint: string
  /** cargo's stderr tail, secrets scrubbed. */
  stderrTail?: string
}

/** One smoke check of a rehearsal: `cargo install` of a binary crate, or the consumer build. */
export interface SmokeCheck {
  kind: 'install' | 'build'
  name: string
  version: string
  ok: boolean
  durationMs: number
}

export type Outcome = 'passed' | 'failed' | 'skipped' | 'published' | 'refused' | 'dry-run'

/** What one run of either mode produced: the front doors turn it into outputs, summary, status. */
export interface RunResult {
  mode: 'rehearse' | 'publish'
  outcome: Outcome
  plan?: Plan
  digest?: ContentDigest
  /** In plan order. */
  packages: CrateStatus[]
  /** Publish mode: what this run uploaded. */
  published: { name: string; version: string }[]
  stateDir: string
  receiptPath?: string
  eventsPath?: string
  failure?: Failure
  /** The full cargo log of the run (state dir; carried in the artifact). */
  cargoLog?: string
  /** Rehearse mode: the smoke checks that ran, in order. */
  smoke?: SmokeCheck[]
  /** Registry the rehearsal used (name and API base), for the summary. */
  registry?: { name: string; url: string; embedded: boolean }
  /** Publish mode: the gate's decision; `bypassed` = skip-rehearsal (the summary says so loudly). */
  gate?: { decision: 'proceed' | 'refuse'; bypassed: boolean; message: string }
  /** Id of the artifact this run uploaded (the `artifact-id` output). */
  artifactId?: number
  startedAt: string
  completedAt: string
}
