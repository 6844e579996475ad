/**
 * One publish run after the gate: what is recorded about the decision and the credentials, then
 * the release — what the live index already has, the checks before the first upload, the
 * verification build, and the uploads on the shared schedule (executor.ts).
 */
import type { RunContext } from '../context.js'
import { pendingStatus, type CrateStatus } from '../engine/status.js'
import { resolveStateDir } from '../options/parse.js'
import type { Options } from '../options/types.js'
import type { ContentDigest, Plan, PlannedCrate } from '../plan/types.js'
import { ALL_PACKAGES, type EventType } from '../record/events.js'
import type { PublishResult } from '../record/receipt.js'
import type { RunRecorder } from '../record/recorder.js'
import type { Failure, RunResult } from '../result.js'
import type { LiveTarget } from '../target/live.js'
import { PublishCopies } from './bound.js'
import { executePlan, type CrateRun } from './executor.js'
import type { GateDecision } from './gate.js'
import { liveRegistry } from './live.js'
import {
  checkDevEdges,
  checkNewCrates,
  chooseVerification,
  firstLook,
  inputCheck,
  verifyRemaining,
  type Verification
} from './preflight.js'
import { executionResult, statusOfRun } from './record.js'
import { describeStop } from './stop.js'
import { credentialsFor, type AuthChoice, type Credentials, type TokenDeps } from './tokens.js'
import { checkLiveRules, checkUploadBytes } from './upload-checks.js'
import { announceRelease, type ReleaseContext } from './announce.js'
import { liveRuns } from './live-deps.js'

/** Looking for a version once more after an unclear upload answer: the index may lag storage. */
const RECONCILE_WINDOW_MS = 60_000

export interface SessionOutcome {
  outcome: RunResult['outcome']
  result: PublishResult
  records: CrateStatus[]
  runs: CrateRun[]
  failure?: Failure
  verification?: Verification
}

function pendingRecord(crate: PlannedCrate): CrateStatus {
  return { ...pendingStatus(crate), attempts: 0 }
}

/** One publish run after the plan: recording as it goes. */
export class Session implements ReleaseContext {
  constructor(
    readonly options: Options,
    readonly ctx: RunContext,
    readonly plan: Plan,
    readonly target: LiveTarget,
    readonly recorder: RunRecorder
  ) {}

  private emit(e: EventType, pkg = ALL_PACKAGES): Promise<void> {
    return this.recorder.emit(e, pkg)
  }

  private scrub(text: string): string {
    return this.recorder.scrub(text)
  }

  async refuse(decision: GateDecision): Promise<SessionOutcome> {
    const reason = decision.decision === 'refuse' ? decision.message : 'refused'
    const hint = decision.decision === 'refuse' ? decision.hint : ''
    await this.emit({ type: 'gate_decision', decision: 'refuse', reason })
    return {
      outcome: 'refused',
      result: 'refused',
      records: this.plan.packages.map(pendingRecord),
      runs: [],
      failure: { class: 'refused', message: `publish refused: ${reason}`, hint }
    }
  }

  async proceed(
    decision: Extract<GateDecision, { decision: 'proceed' }>,
    auth: AuthChoice,
    digest: ContentDigest
  ): Promise<SessionOutcome> {
    const { plan, options, ctx } = this
    await announceRelease(this, decision, auth, digest)
    const tokenDeps: TokenDeps = {
      fetch: ctx.fetch,
      clock: ctx.clock,
      logger: ctx.logger,
      onSecret: value => this.recorder.addSecret(value)
    }
    const credentials = credentialsFor(auth, plan.apiBase, tokenDeps)
    if (auth.kind === 'none')
      ctx.logger.warning(`${auth.message}: a real run would stop here (${auth.hint})`)
    const verification = chooseVerification(options, decision.bypassed)
    if (!verification.built) {
      ctx.progress(`verification build skipped (verify: auto): ${verification.reason}`)
    }
    const copies = await PublishCopies.create(
      plan,
      digest,
      options.manifestPath,
      resolveStateDir(options, plan.workspaceRoot),
      ctx.env,
      ctx.git
    )
    try {
      const token = auth.kind === 'token' ? auth.token : undefined
      return { ...(await this.release(credentials, token, copies, verification)), verification }
    } finally {
      await credentials.revoke()
      await copies.dispose()
    }
  }

  private async release(
    credentials: Credentials,
    staticToken: string | undefined,
    copies: PublishCopies,
    verification: Verification
  ): Promise<SessionOutcome> {
    const { plan, options, ctx, target } = this
    const runs = await liveRuns(this, copies, staticToken)
    const live = liveRegistry(runs.upload)
    const records = plan.packages.map(pendingRecord)
    const stop = (failure: Failure): SessionOutcome => ({
      outcome: 'failed',
      result: executionResult(records, true),
      records,
      runs: [],
      failure
    })

    const look = await firstLook(plan, live, target, options, ctx, text => this.scrub(text))
    if (!look.ok) return stop(look.failure)
    const snapshot = look.value
    const present = new Map(
      plan.packages.map(c => [c.name, snapshot.entries(c.name)?.find(e => e.vers === c.version)])
    )
    for (const record of records) {
      const entry = present.get(record.name)
      if (entry)
        Object.assign(record, {
          status: 'skipped',
          reason: 'already published',
          cksum: entry.cksum
        })
    }
    const remaining = plan.packages.filter(c => !present.get(c.name))
    const scrub = (text: string) => this.scrub(text)
    const checks = { plan, options, ctx, targetName: target.name, scrub }
    const stopped =
      (await checkLiveRules(checks, { live: false })) ??
      (await checkDevEdges(plan, snapshot, ctx)) ??
      checkNewCrates(remaining, snapshot, credentials.trustedPublishing, target) ??
      (verification.built
        ? await verifyRemaining(
            remaining,
            runs.verify,
            { plan, target, manifestPath: options.manifestPath },
            ctx,
            text => this.scrub(text)
          )
        : undefined) ??
      // After the build, so a download the build needs is not consumed by the comparison first.
      (await checkLiveRules(checks, { manifests: false, liveToken: staticToken })) ??
      (await checkUploadBytes(remaining, copies, runs.checkRun, scrub))
    if (stopped) return stop(stopped)

    if (options.dryRun) {
      for (const record of records) if (record.status === 'pending') record.status = 'dry-run'
      ctx.progress(
        `dry run: ${remaining.length} crate${remaining.length === 1 ? '' : 's'} would be uploaded; nothing was`
      )
      return { outcome: 'dry-run', result: 'dry_run', records, runs: [] }
    }

    const noToken = await inputCheck(() => credentials.current())
    if (noToken) return stop(noToken)

    await this.emit({ type: 'execution_started' })
    const execution = await executePlan(
      plan.packages,
      {
        maxConcurrency: options.maxConcurrency,
        maxAttempts: options.maxAttempts,
        readinessTimeoutMs: options.readinessTimeoutMs,
        retryBaseMs: options.retryBaseMs,
        retryMaxMs: options.retryMaxMs,
        reconcileWindowMs: Math.min(RECONCILE_WINDOW_MS, options.readinessTimeoutMs)
      },
      {
        live,
        events: this.recorder.log,
        clock: ctx.clock,
        random: ctx.random,
        token: () => credentials.current(),
        scrub: text => this.scrub(text),
        progress: line => ctx.progress(line)
      }
    )
    const finalRecords = execution.runs.map(statusOfRun)
    const failed = execution.stoppedBy !== undefined
    const result = executionResult(finalRecords, failed)
    await this.emit({ type: 'execution_finished', result })
    return {
      outcome: failed ? 'failed' : 'published',
      result,
      records: finalRecords,
      runs: execution.runs,
      ...(execution.stoppedBy
        ? {
            failure: describeStop(execution.stoppedBy, execution.runs, finalRecords, target.name)
          }
        : {})
    }
  }
}
