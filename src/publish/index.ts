/**
 * Publish mode: get the rehearsal proof, enforce the gate, then publish the very plan that was
 * rehearsed to the live registry, without rewriting a manifest.
 *
 * This file is the orchestration. Steps: plan, content digest, proof and gate (gating.ts, with
 * proof.ts and gate.ts) → credentials (tokens.ts) → the session (session.ts): what the live index
 * already has, the checks before the first upload (preflight.ts, upload-checks.ts), one
 * verification build of everything left (live.ts), uploads on the shared schedule with retries and
 * reconciliation (executor.ts), and what a stop means (stop.ts) → publish-record.json and the
 * `<artifact-name>-publish` artifact (conclude.ts).
 */
import { CargoLog } from '../cargo/log.js'
import { mergeEnv } from '../cargo/run.js'
import type { RunContext } from '../context.js'
import { UserError } from '../errors.js'
import type { Options } from '../options/types.js'
import { RunRecorder } from '../record/recorder.js'
import type { RunResult } from '../result.js'
import { isoTime } from '../util/format.js'
import { concludePublish } from './conclude.js'
import { gateOnly, type GateDeps } from './gating.js'
import { Session } from './session.js'
import { chooseAuth } from './tokens.js'

export { gateOnly, type GateReport } from './gating.js'

export type PublishDeps = GateDeps

/** Gates, then publishes the plan to the live registry (or, in a dry run, checks everything but uploads). */
export async function publish(
  options: Options,
  ctx: RunContext,
  deps: PublishDeps = {}
): Promise<RunResult> {
  const startedAt = isoTime(ctx.clock.now())
  const report = await gateOnly(options, ctx, deps)
  const { decision, plan, digest, stateDir, target } = report
  const auth =
    decision.decision === 'proceed'
      ? chooseAuth(options, target, plan.apiBase, mergeEnv(ctx.env))
      : undefined
  if (auth?.kind === 'none' && !options.dryRun) throw new UserError(auth.message, auth.hint, 2)

  const recorder = await RunRecorder.open(
    stateDir,
    ctx.clock,
    [options.token, options.githubToken],
    value => ctx.logger.secret(value)
  )
  const cargoLog = await CargoLog.create(
    stateDir,
    `cargo log of the publish of plan ${plan.planId} (${startedAt})`
  )
  cargoLog.rewrite = text => recorder.scrub(text)
  const session = new Session(
    options,
    { ...ctx, cargo: cargoLog.wrap(ctx.cargo, () => ctx.clock.now()) },
    plan,
    target,
    recorder
  )
  const outcome = await recorder
    .during(() =>
      decision.decision === 'refuse' || !auth
        ? session.refuse(decision)
        : session.proceed(decision, auth, digest)
    )
    .finally(() => cargoLog.flush())
  const concluding = { options, ctx, report, recorder, startedAt, cargoLogPath: cargoLog.path }
  return concludePublish(concluding, outcome)
}
