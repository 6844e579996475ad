import type { RunContext } from '../context.js'
import { reported } from '../engine/status.js'
import { fileEvidence } from '../bind/evidence.js'
import type { Toolchain } from '../bind/toolchain.js'
import type { Options } from '../options/types.js'
import type { Plan } from '../plan/types.js'
import { writeRehearsal } from '../record/rehearsal.js'
import type { RunRecorder } from '../record/recorder.js'
import type { RunResult } from '../result.js'
import { isoTime } from '../util/format.js'
import { commitOf } from './commit.js'
import { buildReceipt, verdict } from './record.js'
import type { SessionOutcome } from './session.js'

export interface Concluding {
  options: Options
  ctx: RunContext
  plan: Plan
  recorder: RunRecorder
  stateDir: string
  startedAt: string
  cargoLogPath: string
  toolchain: Promise<Toolchain | undefined>
}

/**
 * Judges the session, records the verdict (the `rehearsal_complete` event, then rehearsal.json)
 * and says what happened. An input error found during the run is thrown once it is recorded.
 */
export async function concludeRehearsal(
  run: Concluding,
  outcome: SessionOutcome
): Promise<RunResult> {
  const { options, ctx, plan, recorder, stateDir, startedAt } = run
  const completedAt = isoTime(ctx.clock.now())
  const v = verdict(plan, outcome.crates, options.registryName, outcome.failure?.message)
  await recorder.emit({
    type: 'rehearsal_complete',
    passed: v.passed,
    registry: options.registryName,
    plan_id: plan.planId,
    summary: v.summary
  })
  const receiptPath = await writeRehearsal(
    stateDir,
    buildReceipt({
      plan,
      registryName: options.registryName,
      registryUrl: outcome.registry?.indexUrl,
      verdict: v,
      outcomes: outcome.crates,
      cksums: outcome.cksums,
      digest: outcome.digest,
      startedAt,
      completedAt,
      commit: await commitOf(ctx.git, plan.workspaceRoot, ctx.env),
      failure: outcome.failure,
      toolchain: await run.toolchain.catch(() => undefined),
      events: await fileEvidence(recorder.eventsPath)
    }),
    recorder.secrets
  )
  // A failure is told once, by the front door; only a pass is announced here.
  if (v.passed) ctx.progress(v.summary)
  if (outcome.rethrow) throw outcome.rethrow
  return {
    mode: 'rehearse',
    outcome: v.passed ? 'passed' : 'failed',
    plan,
    digest: outcome.digest,
    packages: outcome.crates.map(reported),
    published: [],
    stateDir,
    receiptPath,
    eventsPath: recorder.eventsPath,
    failure: outcome.failure,
    cargoLog: run.cargoLogPath,
    smoke: outcome.smoke,
    registry: outcome.registry && {
      name: outcome.registry.name,
      url: outcome.registry.apiBase,
      embedded: outcome.registry.embedded
    },
    startedAt,
    completedAt
  }
}
