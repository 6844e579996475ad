import { cargoEvidence } from '../cargo/diagnostics.js'
import type { CargoResult } from '../cargo/run.js'
import { tail } from '../cargo/run.js'
import type { Clock } from '../clock.js'
import { drive, Schedule } from '../engine/schedule.js'
import { pendingStatus, type CrateState, type CrateStatus } from '../engine/status.js'
import type { PlannedCrate } from '../plan/types.js'
import { packageKey, type EventType } from '../record/events.js'
import type { IndexEntry, WaitResult } from '../sparse/client.js'
import { classifyCargoFailure, type Classification, type FailureClass } from '../cargo/classify.js'
import { retryDelayMs } from './retry.js'

/** The live registry as the executor sees it; the real one runs cargo and reads the sparse index. */
export interface LivePort {
  /** The crate's index entries, null when the registry does not know the crate; throws when unreadable. */
  entries(name: string): Promise<IndexEntry[] | null>
  /**
   * Checks the bytes about to be uploaded against what the gate accepted; a problem (one line)
   * fails the crate without an upload.
   */
  checkBeforeUpload?(crate: PlannedCrate): Promise<string | undefined>
  /** `cargo publish -p NAME --no-verify ...` with the given token. */
  upload(crate: PlannedCrate, token: string | undefined): Promise<CargoResult & { command: string }>
  /** Polls the index until the version is listed or `timeoutMs` passes on the clock. */
  waitVisible(
    name: string,
    version: string,
    timeoutMs: number,
    onPoll: (attempt: number, visible: boolean) => void
  ): Promise<WaitResult>
}

/** Where events go: the state dir's events.jsonl, or memory in tests. */
export interface EventSink {
  append(eventType: EventType, pkg: string): Promise<void>
}

export interface ExecutorSettings {
  maxConcurrency: number
  maxAttempts: number
  readinessTimeoutMs: number
  retryBaseMs: number
  retryMaxMs: number
  /**
   * How long to look for a version after an answer that may hide a stored upload (a dropped
   * connection): the index may lag behind the registry's storage, and a second upload of the
   * same version must never happen.
   */
  reconcileWindowMs: number
}

export interface ExecutorDeps {
  live: LivePort
  events: EventSink
  clock: Clock
  random: () => number
  /** The token for the next upload; throws when it cannot be had (e.g. trusted publishing refused). */
  token: () => Promise<string | undefined>
  /** Masks secrets in text kept in results (the event log masks its own). */
  scrub: (text: string) => string
  progress: (line: string) => void
}

/** A crate's status as the executor keeps it: the shared status, plus what only publishing knows. */
export interface CrateRun extends CrateStatus {
  crate: PlannedCrate
  /** This run's upload of the version is in the registry (published, or uploaded but not yet visible). */
  uploaded: boolean
  attempts: number
}

export interface ExecutionResult {
  runs: CrateRun[]
  /** The failure that stopped the plan, if any. */
  stoppedBy?: CrateRun
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function present(entries: IndexEntry[] | null, version: string): IndexEntry | undefined {
  return entries?.find(e => e.vers === version)
}

/**
 * Publishes the plan on the shared schedule: a crate starts once every in-plan dependency is in the
 * live index, and at most `maxConcurrency` uploads are in flight. Each crate is a small state
 * machine: look at the index, upload, wait for readiness; after a failure, look at the index again
 * before anything else, so a version is never uploaded twice. A failure that is not retried stops
 * the plan: nothing new starts, in-flight crates finish.
 */
export async function executePlan(
  crates: PlannedCrate[],
  settings: ExecutorSettings,
  deps: ExecutorDeps
): Promise<ExecutionResult> {
  const runs = new Map<string, CrateRun>(
    crates.map(crate => [
      crate.name,
      { ...pendingStatus(crate), crate, uploaded: false, attempts: 0 }
    ])
  )
  let stoppedBy: CrateRun | undefined
  await drive(crates, new Schedule(crates), {
    maxConcurrency: settings.maxConcurrency,
    task: async (crate, settle) => {
      const run = runs.get(crate.name)!
      await publishOne(run, settings, deps)
      if (run.status === 'failed') stoppedBy ??= run
      settle(run.status !== 'failed')
    }
  })
  return { runs: crates.map(c => runs.get(c.name)!), ...(stoppedBy ? { stoppedBy } : {}) }
}

async function publishOne(
  run: CrateRun,
  settings: ExecutorSettings,
  deps: ExecutorDeps
): Promise<void> {
  const { crate } = run
  const { live, clock } = deps
  const key = packageKey(crate.name, crate.version)
  const emit = (e: EventType) => deps.events.append(e, key)
  const started = clock.now()
  const finish = (status: CrateState, extra: Partial<CrateRun> = {}) => {
    Object.assign(run, { status, durationMs: clock.now() - started }, extra)
  }
  const fail = async (cls: FailureClass, message: string, stderrTail?: string) => {
    finish('failed', {
      failure: {
        class: cls,
        message: deps.scrub(message),
        ...(stderrTail ? { stderrTail: deps.scrub(stderrTail) } : {})
      }
    })
    await emit({ type: 'package_failed', class: cls, message })
    // The run's failure report tells what went wrong; saying it here too would say it twice.
    deps.progress(`${key}: failed (${cls}); the failure report says why`)
  }

  await emit({ type: 'package_started', name: crate.name, version: crate.version })
  let indexFailures = 0
  // Whether an earlier attempt of this run may have stored the upload (its answer was lost or
  // unclear): only then is a version found in the index ours.
  let mayHaveStored = false
  for (;;) {
    // Before every upload, and so after every failed one: is the version already there?
    let entries: IndexEntry[] | null
    try {
      entries = await live.entries(crate.name)
    } catch (error) {
      indexFailures += 1
      const message = `the live index could not be read: ${errorText(error)}`
      const verdict: Classification = {
        class: 'retryable',
        reason: 'the live index could not be read'
      }
      if (indexFailures >= settings.maxAttempts) return fail('retryable', message)
      await scheduleRetry(run, indexFailures, settings, deps, emit, verdict, message, false)
      continue
    }
    const found = present(entries, crate.version)
    if (found) {
      if (mayHaveStored) {
        finish('published', { uploaded: true, cksum: found.cksum })
        await emit({ type: 'package_published', duration_ms: run.durationMs })
        deps.progress(`${key}: found in the index after an unclear answer; not uploaded again`)
      } else {
        const reason =
          run.attempts === 0
            ? 'already published'
            : 'already published (it appeared in the index during this run, not uploaded by it)'
        finish('skipped', { reason, cksum: found.cksum })
        await emit({ type: 'package_skipped', reason })
        deps.progress(`${key}: ${reason}, skipped`)
      }
      return
    }
    const isNewCrate = entries === null || entries.length === 0

    const problem = await live.checkBeforeUpload?.(crate)
    if (problem !== undefined) return fail('permanent', problem)

    let token: string | undefined
    try {
      token = await deps.token()
    } catch (error) {
      return fail('permanent', errorText(error))
    }
    run.attempts += 1
    const result = await live.upload(crate, token)
    await emit({
      type: 'package_attempted',
      attempt: run.attempts,
      command: result.command,
      max_attempts: settings.maxAttempts
    })
    await emit({
      type: 'package_output',
      stdout_tail: tail(result.stdout, 20),
      stderr_tail: tail(result.stderr, 40)
    })

    if (result.exitCode === 0) {
      await emit({ type: 'package_uploaded' })
      run.uploaded = true
      return awaitReadiness(run, settings, deps, emit, finish, fail, started)
    }

    const verdict = classifyCargoFailure(result.stderr, { now: clock.now() })
    const stderrTail = cargoEvidence(result.stderr)
    if (verdict.alreadyExists) {
      // The version exists although the index did not list it a moment ago: an earlier attempt
      // of ours landed, or someone else published it. The index, read with patience, decides.
      if (await reconcile(run, settings.reconcileWindowMs, deps, emit)) continue
      return fail(
        'permanent',
        `${verdict.reason}, but the live index does not list ${key}`,
        stderrTail
      )
    }
    if (verdict.class === 'permanent') {
      const fix = verdict.fix ? ` (fix: ${verdict.fix})` : ''
      return fail('permanent', `${verdict.reason}${fix}`, stderrTail)
    }

    const rateLimited = /\b429\b/.test(verdict.reason)
    if (rateLimited) {
      await emit({
        type: 'rate_limit_observed',
        is_new_crate: isNewCrate,
        retry_after_ms: verdict.retryAfterMs ?? null,
        message: verdict.reason
      })
    } else {
      // A 5xx, a dropped connection or an unknown error may hide a stored upload.
      mayHaveStored = true
    }
    const window = verdict.class === 'ambiguous' ? settings.reconcileWindowMs : 0
    if (mayHaveStored && (await reconcile(run, window, deps, emit))) continue
    if (run.attempts >= settings.maxAttempts) {
      const tries = `${run.attempts} attempt${run.attempts === 1 ? '' : 's'}`
      return fail(verdict.class, `${verdict.reason} (gave up after ${tries})`, stderrTail)
    }
    await scheduleRetry(
      run,
      run.attempts,
      settings,
      deps,
      emit,
      verdict,
      verdict.reason,
      isNewCrate && rateLimited
    )
  }
}

/** Looks for the version in the index; true when it is there (the loop then records it). */
async function reconcile(
  run: CrateRun,
  windowMs: number,
  deps: ExecutorDeps,
  emit: (e: EventType) => Promise<void>
): Promise<boolean> {
  await emit({ type: 'publish_reconciling', method: 'index' })
  const seen = await deps.live.waitVisible(
    run.crate.name,
    run.crate.version,
    windowMs,
    () => undefined
  )
  await emit({
    type: 'publish_reconciled',
    outcome: {
      outcome: seen.visible ? 'published' : 'not_published',
      attempts: seen.attempts,
      elapsed_ms: Math.round(seen.durationMs)
    }
  })
  return seen.visible
}

async function scheduleRetry(
  run: CrateRun,
  attempt: number,
  settings: ExecutorSettings,
  deps: ExecutorDeps,
  emit: (e: EventType) => Promise<void>,
  verdict: Classification,
  message: string,
  newCrateRateLimited: boolean
): Promise<void> {
  const delay = retryDelayMs({
    attempt,
    baseMs: settings.retryBaseMs,
    maxMs: settings.retryMaxMs,
    random: deps.random,
    ...(verdict.retryAfterMs !== undefined ? { retryAfterMs: verdict.retryAfterMs } : {}),
    newCrateRateLimit: verdict.newCrateRateLimit === true || newCrateRateLimited
  })
  await emit({
    type: 'retry_scheduled',
    attempt,
    max_attempts: settings.maxAttempts,
    delay_ms: delay,
    next_attempt_at: new Date(deps.clock.now() + delay).toISOString(),
    reason: verdict.class,
    message
  })
  const key = packageKey(run.crate.name, run.crate.version)
  deps.progress(`${key}: ${deps.scrub(message)}; retrying in ${Math.ceil(delay / 1000)}s`)
  await deps.clock.sleep(delay)
}

async function awaitReadiness(
  run: CrateRun,
  settings: ExecutorSettings,
  deps: ExecutorDeps,
  emit: (e: EventType) => Promise<void>,
  finish: (status: CrateState, extra?: Partial<CrateRun>) => void,
  fail: (cls: FailureClass, message: string) => Promise<void>,
  started: number
): Promise<void> {
  const { crate } = run
  await emit({ type: 'readiness_started', method: 'index' })
  const polls: Promise<void>[] = []
  const seen = await deps.live.waitVisible(
    crate.name,
    crate.version,
    settings.readinessTimeoutMs,
    (attempt, visible) => {
      polls.push(emit({ type: 'readiness_poll', attempt, visible }))
    }
  )
  await Promise.all(polls)
  if (seen.visible) {
    await emit({
      type: 'readiness_complete',
      duration_ms: seen.durationMs,
      attempts: seen.attempts
    })
    finish('published', { ...(seen.entry ? { cksum: seen.entry.cksum } : {}) })
    await emit({ type: 'package_published', duration_ms: deps.clock.now() - started })
    deps.progress(`${packageKey(crate.name, crate.version)}: published`)
    return
  }
  await emit({ type: 'readiness_timeout', max_wait_ms: settings.readinessTimeoutMs })
  await fail(
    'retryable',
    `uploaded, but not visible in the live index after ${Math.round(settings.readinessTimeoutMs / 1000)}s; its dependents cannot be published until it is`
  )
}
