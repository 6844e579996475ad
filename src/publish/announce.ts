import { mergeEnv } from '../cargo/run.js'
import type { RunContext } from '../context.js'
import type { Options } from '../options/types.js'
import type { ContentDigest, Plan } from '../plan/types.js'
import { shipperAuthEvidence } from '../record/auth-evidence.js'
import type { RunRecorder } from '../record/recorder.js'
import type { LiveTarget } from '../target/live.js'
import type { GateDecision } from './gate.js'
import type { AuthChoice } from './tokens.js'

/**
 * The gate let the release through: log and record that (loudly when it was bypassed), the plan,
 * how the run authenticates, and what it is about to publish.
 */
export async function announceRelease(
  { options, ctx, plan, target, recorder }: ReleaseContext,
  decision: Extract<GateDecision, { decision: 'proceed' }>,
  auth: AuthChoice,
  digest: ContentDigest
): Promise<void> {
  if (decision.bypassed) {
    ctx.logger.warning(decision.message)
    await recorder.emit({ type: 'gate_bypassed', plan_id: plan.planId, reason: decision.message })
  } else {
    ctx.logger.info(decision.message)
    await recorder.emit({ type: 'gate_decision', decision: 'proceed', reason: decision.message })
  }
  await recorder.emit({
    type: 'plan_created',
    plan_id: plan.planId,
    package_count: plan.packages.length
  })
  const env = mergeEnv(ctx.env)
  const tokenDetected = Boolean(options.token.trim() || env[target.tokenEnvVar]?.trim())
  await recorder.emit({
    type: 'auth_evidence_recorded',
    evidence: shipperAuthEvidence(target.name, tokenDetected, env)
  })
  await recorder.emit({ type: 'auth_selected', ...auth.evidence })
  ctx.progress(
    `publishing plan ${plan.planId} (content ${digest.digest.slice(0, 12)}) to '${target.name}'${options.dryRun ? ' — dry run' : ''}`
  )
}

/** What the steps of one publish run work with. */
export interface ReleaseContext {
  options: Options
  ctx: RunContext
  plan: Plan
  target: LiveTarget
  recorder: RunRecorder
}
