import type { CargoResult } from '../cargo/run.js'
import { cargoEvidence } from '../cargo/diagnostics.js'
import type { Clock } from '../clock.js'
import { pendingStatus, type CrateFailure, type CrateStatus } from '../engine/status.js'
import { cargoErrorLine } from '../plan/cargo-error.js'
import type { DroppedDevEdge, Plan, PlannedCrate } from '../plan/types.js'
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
  /**
   * One `cargo publish -p A -p B … --no-verify` for every crate still to upload. cargo orders
   * them itself and uploads a crate once its dependencies are visible in its view of the index,
   * as `cargo publish --workspace` does, so the whole plan costs one cargo process. `onLine` is
   * told each line cargo prints on stderr as it prints it; aborting `signal` stops cargo.
   */
  publish(crates: PlannedCrate[], watch: CargoWatch): Promise<CargoResult>
  /**
   * Polls the index until the version is listed with `cksum` (or gives up), pausing between polls
   * with `pause`, which ends early once cargo reports the version visible.
   */
  waitVisible(
    crate: PlannedCrate,
    cksum: string,
    pause: (ms: number) => Promise<void>
  ): Promise<WaitResult>
  readinessTimeoutMs: number
  /** Told about every crate as soon as it is settled (published, skipped or failed). */
  onSettled?(outcome: CrateStatus): void | Promise<void>
  /** Told when cargo starts uploading a crate. */
  onStart?(crate: PlannedCrate): void
}

export interface CargoWatch {
  onLine(line: string): void
  signal: AbortSignal
}

export const DIFFERENT_CONTENTS_HINT =
  'a rehearsal registry must be throwaway: start a fresh one (or leave registry-url empty)'

/** The refusal for a version the registry holds with other bytes; shared with the tests. */
export function differentContentsMessage(name: string, version: string): string {
  return `the rehearsal registry already holds ${name}@${version} with different contents; use a fresh registry`
}

/**
 * Uploads the plan through as few cargo invocations as cargo can order (one for a workspace
 * without dev-dependency cycles) and proves each crate visible in the index as soon as cargo
 * reports it uploaded (cargo's `Uploaded NAME vVERSION` line), while cargo goes on with the rest.
 * Versions already in the index with the packaged checksum are skipped (a rehearsal can be
 * rerun); one held with other bytes fails the rehearsal before anything is uploaded. The first
 * failure stops cargo; crates it never uploaded stay `pending`.
 *
 * Why not our own schedule, as publish mode has: a rehearsal neither retries nor reconciles, so
 * per-crate control buys nothing here, while every cargo process costs ~60 ms of start-up per
 * dependency level (a 50-deep chain paid 2.95 s where `cargo publish --workspace` pays 0.18 s).
 */
export async function uploadPlan(
  plan: Pick<Plan, 'packages'> & Partial<Pick<Plan, 'droppedDevEdges'>>,
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
  const remaining = plan.packages.filter(c => states.get(c.name)?.kind !== 'same')
  for (const part of cargoOrderable(remaining, plan.droppedDevEdges ?? [])) {
    let todo = part
    while (todo.length > 0) {
      const run = await uploadThroughCargo(todo, cksums, deps, settle)
      if (run.stopped) return inPlanOrder()
      todo = todo.filter(c => !run.sent.has(c.name))
    }
  }
  return inPlanOrder()
}

/**
 * Pure: the crates to upload (in plan order) cut into consecutive parts that cargo can order on
 * its own. cargo orders a multi-crate publish by every in-plan dependency, versioned
 * dev-dependencies included, so both ends of a cycle-closing dev-dependency (one the plan drops)
 * in one invocation would make cargo wait for a crate it can never publish first. Such a pair
 * goes to two invocations, one after the other, in plan order (which honours every kept edge).
 */
export function cargoOrderable(
  crates: readonly PlannedCrate[],
  dropped: readonly Pick<DroppedDevEdge, 'from' | 'to'>[]
): PlannedCrate[][] {
  const apart = (a: string, b: string) =>
    dropped.some(e => (e.from === a && e.to === b) || (e.from === b && e.to === a))
  const parts: PlannedCrate[][] = []
  let current: PlannedCrate[] = []
  for (const crate of crates) {
    if (current.some(c => apart(c.name, crate.name))) {
      parts.push(current)
      current = []
    }
    current.push(crate)
  }
  if (current.length > 0) parts.push(current)
  return parts
}

const UPLOADING = /^\s*Uploading (\S+) v(\S+)/
const UPLOADED = /^\s*Uploaded (\S+) v(\S+)/
const PUBLISHED = /^\s*Published (.+) at registry /

/**
 * Pure: the crate a line of cargo's stderr says it started (`Uploading`) or finished (`Uploaded`)
 * uploading, or the crates it saw in its view of the index (`Published a v1, b v1 and c v1 at
 * registry …`).
 */
export function uploadLine(
  line: string
):
  { step: 'uploading' | 'uploaded'; name: string } | { step: 'seen'; names: string[] } | undefined {
  const uploading = UPLOADING.exec(line)
  if (uploading) return { step: 'uploading', name: uploading[1] as string }
  const uploaded = UPLOADED.exec(line)
  if (uploaded) return { step: 'uploaded', name: uploaded[1] as string }
  const published = PUBLISHED.exec(line)
  if (published) {
    const names = [...(published[1] as string).matchAll(/(?:^|, | and )(\S+) v[^\s,]+/g)]
    return { step: 'seen', names: names.map(m => m[1] as string) }
  }
  return undefined
}

/**
 * Pauses between index polls that end early when poked: once cargo says it saw a version in the
 * index (or has exited), its proof polls again at once instead of finishing a backoff pause.
 */
class Pauses {
  private readonly sleeping = new Map<string, Set<AbortController>>()

  constructor(private readonly clock: Clock) {}

  for(name: string): (ms: number) => Promise<void> {
    return async ms => {
      const cut = new AbortController()
      const mine = this.sleeping.get(name) ?? new Set<AbortController>()
      this.sleeping.set(name, mine.add(cut))
      try {
        await this.clock.sleep(ms, cut.signal)
      } finally {
        mine.delete(cut)
      }
    }
  }

  /** Ends the pauses of `names` (all, by default) now. */
  poke(names: Iterable<string> = this.sleeping.keys()): void {
    for (const name of [...names]) for (const cut of this.sleeping.get(name) ?? []) cut.abort()
  }
}

/**
 * One cargo invocation, watched line by line: `Uploading X` starts X's clock, `Uploaded X` starts
 * X's proof, and a failed proof stops cargo. Once cargo is done and every proof has settled:
 * - a failed proof is the failure (cargo stopping is its consequence);
 * - exit code 0 means cargo uploaded every crate (one it did not announce in a form we read is
 *   proven all the same);
 * - cargo stopping between two uploads after it sent something (it gave up on its own index wait,
 *   its `publish.timeout` of 60 s, or it was killed) is no failure: our own proofs, bounded by
 *   `readiness-timeout`, decided what it sent, and the caller runs cargo again for the rest (each
 *   run must send at least one crate, so this ends);
 * - any other failure is the crate cargo was uploading, or, when it failed before an upload
 *   started (packaging), the first crate not yet uploaded.
 */
async function uploadThroughCargo(
  crates: PlannedCrate[],
  cksums: ReadonlyMap<string, string>,
  deps: UploadDeps,
  settle: (name: string, update: Partial<CrateStatus>) => Promise<void>
): Promise<{ sent: Set<string>; stopped: boolean }> {
  const start = deps.clock.now()
  const byName = new Map(crates.map(c => [c.name, c]))
  const startedAt = new Map<string, number>()
  const sent = new Set<string>()
  const proofs: Promise<boolean>[] = []
  const stop = new AbortController()
  const pauses = new Pauses(deps.clock)
  let uploading: PlannedCrate | undefined
  const prove = (crate: PlannedCrate) => {
    sent.add(crate.name)
    const since = startedAt.get(crate.name) ?? start
    const cksum = cksums.get(crate.name) as string
    const proof = proveVisible(crate, cksum, since, deps, pauses.for(crate.name)).then(
      async update => {
        if (update.status === 'failed') stop.abort()
        await settle(crate.name, update)
        return update.status !== 'failed'
      }
    )
    proofs.push(proof)
  }
  const onLine = (line: string) => {
    const seen = uploadLine(line)
    if (seen?.step === 'seen') return pauses.poke(seen.names)
    const crate = seen && byName.get(seen.name)
    if (!seen || !crate || sent.has(crate.name)) return
    if (seen.step === 'uploading') {
      uploading = crate
      startedAt.set(crate.name, deps.clock.now())
      deps.onStart?.(crate)
    } else {
      uploading = undefined
      prove(crate)
    }
  }
  const result = await deps.publish(crates, { onLine, signal: stop.signal })
  // cargo has seen whatever it waited for: no proof needs to finish its pause.
  pauses.poke()
  if (result.exitCode === 0) {
    for (const crate of crates) if (!sent.has(crate.name)) prove(crate)
  }
  const proven = (await Promise.all(proofs)).every(Boolean)
  if (!proven) return { sent, stopped: true }
  if (result.exitCode === 0) return { sent, stopped: false }
  if (!uploading && sent.size > 0) return { sent, stopped: false }
  const failed = uploading ?? crates.find(c => !sent.has(c.name))
  if (failed) {
    await settle(
      failed.name,
      uploadFailure(failed, result, startedAt.get(failed.name) ?? start, deps)
    )
  }
  return { sent, stopped: true }
}

function uploadFailure(
  crate: PlannedCrate,
  result: CargoResult,
  since: number,
  deps: UploadDeps
): Partial<CrateStatus> {
  const classified = classifyCargoFailure(result.stderr, { now: deps.clock.now() })
  return {
    status: 'failed',
    durationMs: deps.clock.now() - since,
    failure: {
      class: classified.class,
      message: `uploading ${crate.name}@${crate.version} failed: ${cargoErrorLine(result.stderr)}`,
      hint: uploadHint(classified.class, classified.reason),
      stderrTail: cargoEvidence(result.stderr)
    }
  }
}

/** cargo's exit code proves nothing: the index must list the exact packaged checksum. */
async function proveVisible(
  crate: PlannedCrate,
  cksum: string,
  start: number,
  deps: UploadDeps,
  pause: (ms: number) => Promise<void>
): Promise<Partial<CrateStatus>> {
  const seen = await deps.waitVisible(crate, cksum, pause)
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
