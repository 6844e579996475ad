/**
 * What a rehearsal step tells as it goes: progress lines for the person watching and events for
 * the record, both scrubbed of secrets and scratch paths.
 */
import type { RunContext } from '../context.js'
import type { Options } from '../options/types.js'
import type { Plan, PlannedCrate } from '../plan/types.js'
import { packageKey } from '../record/events.js'
import type { RunRecorder } from '../record/recorder.js'
import type { FailureClass } from '../cargo/classify.js'
import type { CrateStatus } from '../engine/status.js'
import { formatSeconds } from '../util/format.js'

/** What every step of one rehearsal works with. */
export interface StepContext {
  options: Options
  ctx: RunContext
  plan: Plan
  recorder: RunRecorder
  /** Secrets out, and scratch-copy paths turned into checkout paths. */
  scrub: (text: string) => string
}

/** A crate found broken before its upload: marked failed in `crates` and recorded. */
export async function markPackageFailed(
  step: StepContext,
  crates: readonly CrateStatus[],
  crate: PlannedCrate,
  failureClass: FailureClass,
  message: string
): Promise<void> {
  const status = crates.find(c => c.name === crate.name) as CrateStatus
  status.status = 'failed'
  await step.recorder.emit(
    {
      type: 'rehearsal_package_failed',
      name: crate.name,
      version: crate.version,
      class: failureClass,
      message
    },
    packageKey(crate.name, crate.version)
  )
}

/** A crate's upload settled: say so, and record it. */
export async function reportSettled(step: StepContext, outcome: CrateStatus): Promise<void> {
  const key = packageKey(outcome.name, outcome.version)
  const { name, version } = outcome
  if (outcome.status === 'published') {
    const durationMs = Math.round(outcome.durationMs)
    step.ctx.progress(`${key} is in the rehearsal registry's index (${formatSeconds(durationMs)})`)
    await step.recorder.emit(
      { type: 'rehearsal_package_published', name, version, duration_ms: durationMs },
      key
    )
  } else if (outcome.status === 'skipped') {
    step.ctx.progress(`${key} skipped: ${outcome.reason}`)
    await step.recorder.emit(
      { type: 'rehearsal_package_skipped', name, version, reason: outcome.reason ?? 'skipped' },
      key
    )
  } else if (outcome.status === 'failed' && outcome.failure) {
    step.ctx.progress(`${key}: upload failed (${outcome.failure.class}; reported below)`)
    await step.recorder.emit(
      {
        type: 'rehearsal_package_failed',
        name,
        version,
        class: outcome.failure.class,
        message: step.scrub(outcome.failure.message)
      },
      key
    )
  }
}
