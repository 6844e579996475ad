/** Checks that stop a release before its first upload, each returning the failure that stops it. */
import type { RunContext } from '../context.js'
import type { Options } from '../options/types.js'
import type { Plan, PlannedCrate } from '../plan/types.js'
import {
  describeProblem,
  preflight,
  preflightFailure,
  type PreflightSteps
} from '../preflight/index.js'
import type { Failure } from '../result.js'
import type { PublishCopies } from './bound.js'

export interface CheckContext {
  plan: Plan
  options: Options
  ctx: RunContext
  targetName: string
  scrub: (text: string) => string
}

/**
 * The live registry's manifest rules, and the planned versions it already has compared with
 * the local sources: a changed version that was not bumped is refused before any upload.
 */
export async function checkLiveRules(
  { plan, options, ctx, targetName, scrub }: CheckContext,
  steps: PreflightSteps
): Promise<Failure | undefined> {
  const report = await preflight(plan, options, ctx, steps)
  for (const line of report.resumed) ctx.progress(line)
  if (report.problems.length > 0) {
    for (const problem of report.problems) {
      ctx.logger.error(describeProblem(problem), { file: problem.manifestPath })
    }
    return preflightFailure(report.problems, targetName)
  }
  if (report.unknown.length === 0) return undefined
  return {
    class: 'retryable',
    message: `nothing was uploaded: ${scrub(report.unknown.join('; '))}`,
    hint: `a version already on '${targetName}' must be compared with the local sources before the release goes on; rerun when the registry answers`
  }
}

/**
 * Before the first upload, the bytes of every upload are checked at once (cargo packages the
 * selection into a local overlay, so dependents resolve their unpublished siblings).
 */
export async function checkUploadBytes(
  remaining: readonly PlannedCrate[],
  copies: PublishCopies,
  checkRun: Parameters<PublishCopies['check']>[1],
  scrub: (text: string) => string
): Promise<Failure | undefined> {
  if (remaining.length === 0) return undefined
  const problem = await copies.check([...remaining], checkRun)
  if (!problem) return undefined
  return {
    class: 'permanent',
    message: `what would be uploaded differs from what the gate checked: ${scrub(problem)}`,
    hint: 'nothing was uploaded; rehearse the current checkout again and publish that'
  }
}
