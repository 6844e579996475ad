import type { RunContext } from '../context.js'
import type { Plan } from '../plan/types.js'
import { removeRehearsal } from '../record/rehearsal.js'
import { RunRecorder } from '../record/recorder.js'
import type { RunResult } from '../result.js'
import { isoTime } from '../util/format.js'

/** `skip-rehearsal`: nothing is rehearsed, no receipt may vouch for this plan, and it is loud. */
export async function bypass(
  plan: Plan,
  stateDir: string,
  startedAt: string,
  ctx: RunContext
): Promise<RunResult> {
  await removeRehearsal(stateDir)
  const recorder = await RunRecorder.open(stateDir, ctx.clock, [])
  const reason = 'skip-rehearsal is set: the operator bypassed the rehearsal'
  await recorder.during(r => r.emit({ type: 'rehearsal_bypassed', reason }))
  ctx.logger.warning(
    `skip-rehearsal is set: NOTHING was rehearsed for plan ${plan.planId}; no rehearsal.json was written and any older one was removed`
  )
  return {
    mode: 'rehearse',
    outcome: 'skipped',
    plan,
    packages: plan.packages.map(c => ({
      name: c.name,
      version: c.version,
      level: c.level,
      status: 'skipped',
      durationMs: 0,
      reason: 'rehearsal bypassed'
    })),
    published: [],
    stateDir,
    eventsPath: recorder.eventsPath,
    startedAt,
    completedAt: isoTime(ctx.clock.now())
  }
}
