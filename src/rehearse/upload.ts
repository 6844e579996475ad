import type { CargoResult } from '../cargo/run.js'
import { cargoEvidence } from '../cargo/diagnostics.js'
import type { Clock } from '../clock.js'
import { drive, Schedule } from '../engine/schedule.js'
import { pendingStatus, type CrateFailure, type CrateStatus } from '../engine/status.js'
import { cargoErrorLine } from '../plan/cargo-error.js'
import type { Plan, PlannedCrate } from '../plan/types.js'
import { classifyCargoFailure } from '../cargo/classify.js'
import type { IndexEntry, WaitResult } from '../sparse/client.js'
import { formatSeconds } from '../util/format.js'

/** What the rehearsal registry's index already says about a planned version. */
export type IndexState =
  | { kind: 'absent' }
  | { kind: 'same' }
  | { kind: 'different'; cksum: string }
  | { kind: 'unreadable'; message: string }

/** Pure: the planned version against the crate's index entries (null = crate unknown). */
export function indexState(
  entries: readonly IndexEntry[] | null,
  version: string,
  cksum: string
): IndexState {
  const entry = entries?.find(e => e.vers === version)
  if (!entry) return { kind: 'absent' }
  return entry.cksum === cksum ? { kind: 'same' } : { kind: 'different', cksum: entry.cksum }
}

export interface UploadDeps {
  clock: Clock
  maxConcurrency: number
  /**
   * `cargo publish -p A -p B … --no-verify` for crates of one level: cargo uploads them one after
   * another and then waits for the index once, as `cargo publish --workspace` does per level.
   */
  publish(crates: PlannedCrate[]): Promise<CargoResult>
  /** Polls the index until the version is listed with `cksum` (or gives up). */
  waitVisible(crate: PlannedCrate, cksum: string): Promise<WaitResult>
  readinessTimeoutMs: number
  /** Told about every crate as soon as it is settled (published, skipped or failed). */
  onSettled?(outcome: CrateStatus): void | Promise<void>
  /** Told just before the uploads of a batch start. */
  onStart?(crates: PlannedCrate[]): void
}

export const DIFFERENT_CONTENTS_HINT =
  'a rehearsal registry must be throwaway: start a fresh one (or leave registry-url empty)'

/** The refusal for a version the registry holds with other bytes; shared with the tests. */
export function differentContentsMessage(name: string, version: string): string {
  return `the rehearsal registry already holds ${name}@${version} with different contents; use a fresh registry`
}

/**
 * Uploads the plan on the shared schedule: a crate goes out as soon as every in-plan dependency is
 * visible. Crates that become ready together are split into at most `maxConcurrency` batches, each
 * uploaded through one cargo invocation, so a batch waits for a lagging index about once instead of
 * once per crate. Versions already in the index with the packaged checksum are skipped (a rehearsal
 * can be rerun); one held with other bytes fails the rehearsal before anything is uploaded. The
 * first failure stops the plan once the batches already running have settled; crates never started
 * stay `pending`.
 */
export async function uploadPlan(
  plan: Pick<Plan, 'packages'>,
  cksums: ReadonlyMap<string, string>,
  states: ReadonlyMap<string, IndexState>,
  deps: UploadDeps
): Promise<CrateStatus[]> {
  const outcomes = new Map<string, CrateStatus>(plan.packages.map(c => [c.name, pendingStatus(c)]))
  const inPlanOrder = () => plan.packages.map(c => outcomes.get(c.name) as CrateStatus)
  const settle = async (name: string, update: Partial<CrateStatus>) => {
    const outcome = outcomes.get(name) as CrateStatus
    Object.assign(outcome, update)
    await deps.onSettled?.(outcome)
  }

  const blocking = plan.packages.filter(c => {
    const state = states.get(c.name)
    return state?.kind === 'different' || state?.kind === 'unreadable'
  })
  if (blocking.length > 0) {
    for (const crate of blocking) {
      await settle(crate.name, {
        status: 'failed',
        failure: preflightFailure(crate, states.get(crate.name) as IndexState)
      })
    }
    return inPlanOrder()
  }

  const present = plan.packages.filter(c => states.get(c.name)?.kind === 'same')
  for (const crate of present) {
    await settle(crate.name, {
      status: 'skipped',
      cksum: cksums.get(crate.name) as string,
      reason: 'already in the rehearsal registry with the same contents'
    })
  }
  const schedule = new Schedule(
    plan.packages,
    present.map(c => c.name)
  )
  await drive(plan.packages, schedule, {
    maxConcurrency: deps.maxConcurrency,
    batch: true,
    task: (batch, done) =>
      uploadBatch(batch, cksums, deps, async (name, update) => {
        await settle(name, update)
        done(name, update.status === 'published')
      })
  })
  return inPlanOrder()
}

/** Pure: which crates of a batch cargo reported as uploaded (`Uploaded NAME vVERSION`). */
export function uploadedByCargo(stderr: string): Set<string> {
  return new Set([...stderr.matchAll(/^\s*Uploaded (\S+) v\S+/gm)].map(m => m[1] as string))
}

/**
 * One cargo invocation for the batch, then the index decides, crate by crate; each crate is
 * settled as soon as it is decided, so its dependents need not wait for the rest of the batch.
 */
async function uploadBatch(
  batch: PlannedCrate[],
  cksums: ReadonlyMap<string, string>,
  deps: UploadDeps,
  settle: (name: string, update: Partial<CrateStatus>) => Promise<void>
): Promise<void> {
  const start = deps.clock.now()
  deps.onStart?.(batch)
  const result = await deps.publish(batch)
  const uploaded = result.exitCode === 0 ? undefined : uploadedByCargo(result.stderr)
  // cargo stops at the first failed upload: that crate failed, the rest were never sent. The
  // failure is settled first so that nothing new starts while the uploaded ones are proven.
  const sent = uploaded ? batch.filter(c => uploaded.has(c.name)) : batch
  const failed = uploaded ? batch.find(c => !uploaded.has(c.name)) : undefined
  if (failed) {
    const classified = classifyCargoFailure(result.stderr, { now: deps.clock.now() })
    await settle(failed.name, {
      status: 'failed',
      durationMs: deps.clock.now() - start,
      failure: {
        class: classified.class,
        message: `uploading ${failed.name}@${failed.version} failed: ${cargoErrorLine(result.stderr)}`,
        hint: uploadHint(classified.class, classified.reason),
        stderrTail: cargoEvidence(result.stderr)
      }
    })
  }
  for (const crate of sent) {
    await settle(
      crate.name,
      await proveVisible(crate, cksums.get(crate.name) as string, start, deps)
    )
  }
}

/** cargo's exit code proves nothing: the index must list the exact packaged checksum. */
async function proveVisible(
  crate: PlannedCrate,
  cksum: string,
  start: number,
  deps: UploadDeps
): Promise<Partial<CrateStatus>> {
  const seen = await deps.waitVisible(crate, cksum)
  const durationMs = deps.clock.now() - start
  if (seen.visible) return { status: 'published', durationMs, cksum }
  if (seen.cksumMismatch) {
    return {
      status: 'failed',
      durationMs,
      cksum: seen.entry?.cksum,
      failure: {
        class: 'permanent',
        message: `the rehearsal registry lists ${crate.name}@${crate.version} with checksum ${seen.entry?.cksum}, not the packaged ${cksum}`,
        hint: 'something else published this version, or the registry altered the upload; use a fresh registry'
      }
    }
  }
  return {
    status: 'failed',
    durationMs,
    failure: {
      class: 'ambiguous',
      message: `${crate.name}@${crate.version} was uploaded but did not appear in the rehearsal registry's index within ${formatSeconds(deps.readinessTimeoutMs)} (${seen.attempts} polls)`,
      hint: "cargo's exit code proves nothing: the index must list the version; check the registry's index, or raise readiness-timeout"
    }
  }
}

function preflightFailure(crate: PlannedCrate, state: IndexState): CrateFailure {
  if (state.kind === 'unreadable') {
    return {
      class: 'ambiguous',
      message: `cannot read ${crate.name} from the rehearsal registry's index: ${state.message}`,
      hint: 'check that the registry is up and that registry-token may read its index'
    }
  }
  return {
    class: 'permanent',
    message: differentContentsMessage(crate.name, crate.version),
    hint: DIFFERENT_CONTENTS_HINT
  }
}

function uploadHint(cls: CrateFailure['class'], reason: string): string {
  if (cls === 'permanent')
    return `${reason}; crates.io would refuse this upload too: fix it before releasing`
  if (cls === 'retryable') {
    return `${reason}; a transient problem of the rehearsal registry: run the rehearsal again`
  }
  return `${reason}; check the rehearsal registry, then run the rehearsal again`
}
