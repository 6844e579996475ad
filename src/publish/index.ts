/**
 * Publish mode: get the rehearsal proof, enforce the gate, then publish the very plan that was
 * rehearsed to the live registry, without rewriting a manifest.
 *
 * Steps: plan and content digest → proof (proof.ts) → gate (gate.ts) → credentials (tokens.ts) →
 * what the live index already has → one verification build of everything left (live.ts) →
 * uploads on the shared schedule with retries and reconciliation (executor.ts) → events.jsonl,
 * rehearse-events.jsonl, publish-record.json, cargo.log and the `<artifact-name>-publish` artifact.
 */
import { join } from 'node:path'
import { currentToolchain } from '../bind/toolchain.js'
import { CARGO_LOG, CargoLog } from '../cargo/log.js'
import { mergeEnv } from '../cargo/run.js'
import type { RunContext } from '../context.js'
import { UserError } from '../errors.js'
import { prepareStateDir, resolveStateDir } from '../options/parse.js'
import type { Options } from '../options/types.js'
import { assertPlanNotEmpty, computeContentDigest, computePlan } from '../plan/index.js'
import type { ContentDigest, Plan, PlannedCrate } from '../plan/types.js'
import {
  ALL_PACKAGES,
  EVENTS_FILE,
  lastRehearsalComplete,
  readEvents,
  readFacts,
  type EventType
} from '../record/events.js'
import { shipperAuthEvidence } from '../record/auth-evidence.js'
import { FACTS_FILE } from '../record/facts.js'
import { uploadRecord, type ArtifactStore } from '../record/artifacts.js'
import { RECEIPT_FILE, writeReceipt, type PublishResult } from '../record/receipt.js'
import { readRehearsal, REHEARSAL_FILE, type ReadRehearsalResult } from '../record/rehearsal.js'
import { RunRecorder } from '../record/recorder.js'
import type { Failure, RunResult } from '../result.js'
import { fetchRegistryConfig } from '../sparse/client.js'
import {
  describeProblem,
  preflight,
  preflightFailure,
  type PreflightSteps
} from '../preflight/index.js'
import { proofEvidence, PublishCopies } from './bound.js'
import { pendingStatus, reported, type CrateStatus } from '../engine/status.js'
import { executePlan, type CrateRun } from './executor.js'
import {
  checkDevEdges,
  checkNewCrates,
  firstLook,
  inputCheck,
  chooseVerification,
  verifyRemaining,
  type Verification
} from './preflight.js'
import { decideGate, gateFacts, type GateDecision } from './gate.js'
import { liveRegistry, type LiveDeps } from './live.js'
import { obtainProof, type ProofLocation } from './proof.js'
import { buildReceipt, executionResult, statusOfRun } from './record.js'
import { liveTarget, type LiveTarget } from '../target/live.js'
import { targetFlags } from './target-proof.js'
import {
  chooseAuth,
  staticCredentials,
  trustedCredentials,
  type AuthChoice,
  type Credentials,
  type TokenDeps
} from './tokens.js'

export interface PublishDeps {
  /** The workflow artifact service, handed in by the front door; none outside an Actions job. */
  artifacts?: ArtifactStore
  /** A plan computed already (by the caller, for the same options). */
  plan?: Plan
}

/** What the gate decided, and everything it looked at. */
export interface GateReport {
  decision: GateDecision
  plan: Plan
  digest: ContentDigest
  stateDir: string
  proof: ProofLocation
  target: LiveTarget
  artifacts: ArtifactStore | undefined
}

/** Looking for a version once more after an unclear upload answer: the index may lag storage. */
const RECONCILE_WINDOW_MS = 60_000

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

/** Plans, fetches the proof and evaluates the gate; touches nothing but the proof files. */
export async function gateOnly(
  options: Options,
  ctx: RunContext,
  deps: PublishDeps = {}
): Promise<GateReport> {
  const target = liveTarget(options)
  // Manifests of a private-registry workspace name the live registry: cargo must know it.
  const cargoEnv = { ...ctx.env, ...target.cargoEnv(undefined) }
  const plan =
    deps.plan ??
    (await computePlan(
      {
        manifestPath: options.manifestPath,
        packages: options.packages,
        targetRegistry: options.targetRegistry,
        targetRegistryUrl: options.targetRegistryUrl
      },
      { cargo: ctx.cargo, fetch: ctx.fetch, env: cargoEnv }
    ))
  assertPlanNotEmpty(plan)
  const digest = await computeContentDigest(plan, {
    cargo: ctx.cargo,
    env: cargoEnv,
    stateDir: resolveStateDir(options, plan.workspaceRoot)
  })
  const stateDir = await prepareStateDir(options, plan.workspaceRoot)
  const env = mergeEnv(ctx.env)
  const { artifacts } = deps

  const proof = await obtainProof(
    {
      artifactName: options.artifactName,
      rehearsalRunId: options.rehearsalRunId,
      githubToken: options.githubToken,
      stateDir,
      manifestPath: options.manifestPath,
      env
    },
    // The bypass needs no proof: nothing is downloaded for it.
    options.skipRehearsal ? undefined : artifacts
  )
  const receipt: ReadRehearsalResult = proof.missing
    ? { kind: 'missing' }
    : await readRehearsal(stateDir)
  const eventsFile = join(stateDir, EVENTS_FILE)
  const read = proof.missing ? undefined : await readEvents(eventsFile)
  const evidence = await proofEvidence(receipt, read, eventsFile)
  const toolchain =
    options.bind === 'content'
      ? await currentToolchain(plan.workspaceRoot, ctx.cargo, cargoEnv)
      : undefined
  const facts = proof.missing ? undefined : await readFacts(join(stateDir, FACTS_FILE))
  const decision = decideGate({
    skipRehearsal: options.skipRehearsal,
    bind: options.bind,
    planId: plan.planId,
    contentDigest: digest.digest,
    perCrateDigest: digest.perCrate,
    ...(digest.lockSha256 ? { lockSha256: digest.lockSha256 } : {}),
    receipt,
    receiptPath: proof.receiptPath,
    ...(read && !read.missing
      ? {
          events: {
            complete: lastRehearsalComplete(read.events),
            badLines: read.badLines,
            ...evidence
          }
        }
      : {}),
    ...(toolchain ? { toolchain } : {}),
    lockCommitted: digest.lockFile !== false,
    ...(read && facts ? { facts: gateFacts(read.events, facts.events) } : {}),
    howToRehearse: proof.howToRehearse,
    ...(proof.unavailable !== undefined ? { unavailable: proof.unavailable } : {}),
    target: { name: plan.registry, apiBase: plan.apiBase, flags: targetFlags(options) }
  })
  return { decision, plan, digest, stateDir, proof, target, artifacts }
}

/** Gates, then publishes the plan to the live registry (or, in a dry run, checks everything but uploads). */
export async function publish(
  options: Options,
  ctx: RunContext,
  deps: PublishDeps = {}
): Promise<RunResult> {
  const startedAt = iso(ctx.clock.now())
  const report = await gateOnly(options, ctx, deps)
  const { decision, plan, digest, stateDir, target } = report
  const env = mergeEnv(ctx.env)
  const auth =
    decision.decision === 'proceed' ? chooseAuth(options, target, plan.apiBase, env) : undefined
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
  let outcome: SessionOutcome
  try {
    outcome = await recorder.during(() =>
      decision.decision === 'refuse' || !auth
        ? session.refuse(decision)
        : session.proceed(decision, auth, digest)
    )
  } finally {
    await cargoLog.flush()
  }

  const completedAt = iso(ctx.clock.now())
  const receiptPath = await writeReceipt(
    stateDir,
    buildReceipt({
      plan,
      digest,
      startedAt,
      completedAt,
      result: outcome.result,
      records: outcome.records,
      gate:
        decision.decision === 'refuse'
          ? {
              decision: 'refuse',
              reason: `${decision.message} (${decision.hint})`,
              bypassed: false
            }
          : { decision: 'proceed', reason: decision.message, bypassed: decision.bypassed },
      ...(outcome.verification ? { verification: outcome.verification } : {})
    }),
    recorder.secrets
  )
  // A refusal uploads nothing; a dry run leaves no record that could be mistaken for a release.
  const upload =
    outcome.result === 'refused' || outcome.result === 'dry_run'
      ? undefined
      : await uploadRecord(
          report.artifacts,
          {
            name: `${options.artifactName}-publish`,
            stateDir,
            files: [REHEARSAL_FILE, EVENTS_FILE, FACTS_FILE, RECEIPT_FILE, CARGO_LOG],
            ...(options.retentionDays !== undefined ? { retentionDays: options.retentionDays } : {})
          },
          ctx.logger
        )
  // The crates are out either way: a record that could not be uploaded is a warning.
  if (upload?.kind === 'failed') {
    ctx.logger.warning(
      `artifact: uploading ${options.artifactName}-publish failed: ${upload.cause}`
    )
  }
  const artifactId = upload?.kind === 'uploaded' ? upload.id : undefined

  const published = outcome.runs
    .filter(r => r.uploaded)
    .map(r => ({ name: r.crate.name, version: r.crate.version }))
  if (outcome.outcome === 'published' && published.length === 0)
    ctx.progress(
      `already published, nothing uploaded: every planned version is on '${target.name}'`
    )
  return {
    mode: 'publish',
    outcome: outcome.outcome,
    plan,
    digest,
    packages: outcome.records.map(reported),
    published,
    stateDir,
    receiptPath,
    eventsPath: recorder.eventsPath,
    ...(outcome.failure ? { failure: outcome.failure } : {}),
    cargoLog: cargoLog.path,
    registry: { name: target.name, url: plan.apiBase, embedded: false },
    gate:
      decision.decision === 'refuse'
        ? { decision: 'refuse', bypassed: false, message: decision.message }
        : { decision: 'proceed', bypassed: decision.bypassed, message: decision.message },
    ...(artifactId !== undefined ? { artifactId } : {}),
    startedAt,
    completedAt
  }
}

interface SessionOutcome {
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

function listOf(records: readonly CrateStatus[], status: CrateStatus['status']): string {
  const names = records.filter(r => r.status === status).map(r => `${r.name}@${r.version}`)
  return names.length > 0 ? names.join(', ') : 'none'
}

/** One publish run after the plan: recording as it goes. */
class Session {
  constructor(
    private readonly options: Options,
    private readonly ctx: RunContext,
    private readonly plan: Plan,
    private readonly target: LiveTarget,
    private readonly recorder: RunRecorder
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
    if (decision.bypassed) {
      ctx.logger.warning(decision.message)
      await this.emit({ type: 'gate_bypassed', plan_id: plan.planId, reason: decision.message })
    } else {
      ctx.logger.info(decision.message)
      await this.emit({ type: 'gate_decision', decision: 'proceed', reason: decision.message })
    }
    await this.emit({
      type: 'plan_created',
      plan_id: plan.planId,
      package_count: plan.packages.length
    })
    const env = mergeEnv(ctx.env)
    const tokenDetected = Boolean(options.token.trim() || env[this.target.tokenEnvVar]?.trim())
    await this.emit({
      type: 'auth_evidence_recorded',
      evidence: shipperAuthEvidence(this.target.name, tokenDetected, env)
    })
    await this.emit({ type: 'auth_selected', ...auth.evidence })
    ctx.progress(
      `publishing plan ${plan.planId} (content ${digest.digest.slice(0, 12)}) to '${this.target.name}'${options.dryRun ? ' — dry run' : ''}`
    )

    const tokenDeps: TokenDeps = {
      fetch: ctx.fetch,
      clock: ctx.clock,
      logger: ctx.logger,
      onSecret: value => this.recorder.addSecret(value)
    }
    const credentials: Credentials =
      auth.kind === 'oidc'
        ? trustedCredentials(auth, plan.apiBase, tokenDeps)
        : staticCredentials(
            auth.kind === 'token' ? auth.token : undefined,
            auth.evidence,
            tokenDeps
          )
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
      ctx.env
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
    const checkRun = {
      cargo: ctx.cargo,
      env: { ...ctx.env, ...target.cargoEnv(undefined) },
      registryArgs: target.registryArgs,
      allowDirty: options.allowDirty
    }
    // Uploads come from a copy no code ever ran in, each checked against the accepted digest
    // right before it goes; the verification build runs in a second copy.
    const liveDeps: LiveDeps = {
      target,
      manifestPath: copies.upload.manifestPath,
      workspaceRoot: copies.upload.root,
      allowDirty: options.allowDirty,
      locked: copies.locked,
      beforeUpload: crate => copies.check([crate], checkRun),
      cargo: ctx.cargo,
      fetch: ctx.fetch,
      clock: ctx.clock,
      env: { ...ctx.env, CARGO_TARGET_DIR: copies.upload.targetDir },
      indexToken: target.isCratesIo ? undefined : staticToken,
      authRequired:
        !target.isCratesIo &&
        (await fetchRegistryConfig(target.indexUrl, {
          fetch: ctx.fetch,
          ...(staticToken ? { token: staticToken } : {})
        }).then(
          config => config['auth-required'] === true,
          () => false
        ))
    }
    const live = liveRegistry(liveDeps)
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
    const verifyDeps: LiveDeps = {
      ...liveDeps,
      manifestPath: copies.verify.manifestPath,
      workspaceRoot: copies.verify.root,
      env: { ...ctx.env, CARGO_TARGET_DIR: copies.verify.targetDir }
    }
    const stopped =
      (await this.checkBeforeUpload({ live: false })) ??
      (await checkDevEdges(plan, snapshot, ctx)) ??
      checkNewCrates(remaining, snapshot, credentials.trustedPublishing, target) ??
      (verification.built
        ? await verifyRemaining(
            remaining,
            verifyDeps,
            { plan, target, manifestPath: options.manifestPath },
            ctx,
            text => this.scrub(text)
          )
        : undefined) ??
      // After the build, so a download the build needs is not consumed by the comparison first.
      (await this.checkBeforeUpload({ manifests: false, liveToken: staticToken })) ??
      (await this.checkUploadBytes(remaining, copies, checkRun))
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
        ? { failure: this.describeStop(execution.stoppedBy, execution.runs, finalRecords) }
        : {})
    }
  }

  /**
   * The live registry's manifest rules, and the planned versions it already has compared with
   * the local sources: a changed version that was not bumped is refused before any upload.
   */
  private async checkBeforeUpload(steps: PreflightSteps): Promise<Failure | undefined> {
    const report = await preflight(this.plan, this.options, this.ctx, steps)
    for (const line of report.resumed) this.ctx.progress(line)
    if (report.problems.length > 0) {
      for (const problem of report.problems) {
        this.ctx.logger.error(describeProblem(problem), { file: problem.manifestPath })
      }
      return preflightFailure(report.problems, this.target.name)
    }
    if (report.unknown.length === 0) return undefined
    return {
      class: 'retryable',
      message: `nothing was uploaded: ${this.scrub(report.unknown.join('; '))}`,
      hint: `a version already on '${this.target.name}' must be compared with the local sources before the release goes on; rerun when the registry answers`
    }
  }

  /**
   * Before the first upload, the bytes of every upload are checked at once (cargo packages the
   * selection into a local overlay, so dependents resolve their unpublished siblings).
   */
  private async checkUploadBytes(
    remaining: readonly PlannedCrate[],
    copies: PublishCopies,
    checkRun: Parameters<PublishCopies['check']>[1]
  ): Promise<Failure | undefined> {
    if (remaining.length === 0) return undefined
    const problem = await copies.check([...remaining], checkRun)
    if (!problem) return undefined
    return {
      class: 'permanent',
      message: `what would be uploaded differs from what the gate checked: ${this.scrub(problem)}`,
      hint: 'nothing was uploaded; rehearse the current checkout again and publish that'
    }
  }

  /** Which crates went out, which did not, and that a rerun is safe. */
  private describeStop(
    stopped: CrateRun,
    runs: readonly CrateRun[],
    records: readonly CrateStatus[]
  ): Failure {
    const key = `${stopped.crate.name}@${stopped.crate.version}`
    const error = stopped.failure ?? { class: 'permanent' as const, message: 'failed' }
    const uploaded = runs.filter(r => r.uploaded).map(r => `${r.crate.name}@${r.crate.version}`)
    const notOut = records.filter(
      r =>
        r.status === 'pending' ||
        (r.status === 'failed' && !runs.find(x => x.crate.name === r.name)?.uploaded)
    )
    const parts = [
      `uploaded by this run: ${uploaded.length > 0 ? uploaded.join(', ') : 'none'}`,
      `already there: ${listOf(records, 'skipped')}`,
      `not published: ${notOut.length > 0 ? notOut.map(r => `${r.name}@${r.version}`).join(', ') : 'none'}`
    ]
    return {
      crate: {
        name: stopped.crate.name,
        version: stopped.crate.version,
        manifestPath: stopped.crate.manifestPath
      },
      class: error.class,
      message: `${key}: ${error.message}. ${parts.join('; ')}`,
      hint: `fix the cause and rerun the publish: versions already on '${this.target.name}' are skipped, so rerunning is safe`,
      ...(stopped.failure?.stderrTail ? { stderrTail: stopped.failure.stderrTail } : {})
    }
  }
}
