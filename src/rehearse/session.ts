/**
 * One rehearsal run, step by step: registry → pre-upload checks → scratch copy → package and
 * check → upload and prove visible → smoke checks. It owns the registry and the scratch dir and
 * releases both whatever happens; every step returns the failure that stops the run.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inCheckout } from '../cargo/diagnostics.js'
import type { CargoLog } from '../cargo/log.js'
import type { RunContext } from '../context.js'
import { pendingStatus, type CrateStatus } from '../engine/status.js'
import { UserError } from '../errors.js'
import { resolveStateDir } from '../options/parse.js'
import type { Options } from '../options/types.js'
import { computeContentDigest } from '../plan/index.js'
import type { ContentDigest, Plan, PlannedCrate } from '../plan/types.js'
import { describeProblem, preflight, preflightFailure } from '../preflight/index.js'
import { ALL_PACKAGES } from '../record/events.js'
import type { RunRecorder } from '../record/recorder.js'
import { scrubDeep } from '../record/scrub.js'
import type { Failure, SmokeCheck } from '../result.js'
import {
  connectRegistry,
  policyEvidence,
  type RegistryEndpoint,
  type RehearsalRegistry
} from '../target/rehearsal.js'
import { copyWorkspace, packageAndCheck } from './copy-and-package.js'
import { inUserTerms, unexpectedFailure, uploadFailure } from './failure.js'
import { uploadToRehearsal } from './registry-upload.js'
import type { StepContext } from './report.js'
import { runSmokeChecks } from './smoke-checks.js'

export interface SessionOutcome {
  crates: CrateStatus[]
  cksums: Map<string, string>
  digest?: ContentDigest
  registry?: RehearsalRegistry
  failure?: Failure
  /** An input error found after recording started: recorded, then thrown to the front door. */
  rethrow?: UserError
  smoke: SmokeCheck[]
}

export class Session {
  private crates: CrateStatus[]
  private cksums = new Map<string, string>()
  private digest?: ContentDigest
  private registry?: RehearsalRegistry
  private smokeChecks: SmokeCheck[] = []
  /** The scratch copy of the workspace, once made: messages name the checkout instead. */
  private copy?: string
  private readonly step: StepContext

  constructor(
    private readonly options: Options,
    private readonly ctx: RunContext,
    private readonly plan: Plan,
    private readonly recorder: RunRecorder,
    private readonly smokeCrates: PlannedCrate[],
    cargoLog: CargoLog
  ) {
    const scrub = (text: string) =>
      inCheckout(this.recorder.scrub(text), this.copy, this.plan.workspaceRoot)
    cargoLog.rewrite = scrub
    this.step = { options, ctx, plan, recorder, scrub }
    this.crates = plan.packages.map(pendingStatus)
  }

  async run(endpoint: RegistryEndpoint | undefined): Promise<SessionOutcome> {
    let scratch: string | undefined
    let failure: Failure | undefined
    let rethrow: UserError | undefined
    let digesting: Promise<ContentDigest> | undefined
    try {
      await this.recorder.emit(
        {
          type: 'rehearsal_started',
          registry: this.options.registryName,
          plan_id: this.plan.planId,
          package_count: this.plan.packages.length
        },
        ALL_PACKAGES
      )
      // The digest reads the original workspace only: it runs beside the registry start and the
      // packaging of the copy, and is awaited once those are done.
      digesting = computeContentDigest(this.plan, {
        cargo: this.ctx.cargo,
        git: this.ctx.git,
        env: this.ctx.env,
        stateDir: resolveStateDir(this.options, this.plan.workspaceRoot)
      })
      digesting.catch(() => undefined)
      this.registry = await connectRegistry(this.options, endpoint, {
        fetch: this.ctx.fetch,
        clock: this.ctx.clock,
        logger: this.ctx.logger,
        progress: this.ctx.progress
      })
      this.recorder.addSecret(this.registry.token)
      await this.recorder.emit(
        { type: 'registry_policy_applied', evidence: policyEvidence(this.registry) },
        ALL_PACKAGES
      )
      scratch = await mkdtemp(join(tmpdir(), 'shipper-rehearse-'))
      failure = await this.rehearseIn(scratch, this.registry, digesting)
    } catch (error) {
      failure = unexpectedFailure(error, this.step.scrub, this.ctx.logger)
      if (error instanceof UserError && error.exitCode === 2) rethrow = error
    } finally {
      // A run that stopped early still waits for the digest's cargo processes: none outlives it.
      await digesting?.catch(() => undefined)
      await this.registry
        ?.close()
        .catch(error => this.ctx.logger.warning(`closing the registry: ${String(error)}`))
      if (scratch) await rm(scratch, { recursive: true, force: true })
    }
    return {
      crates: this.crates,
      cksums: this.cksums,
      digest: this.digest,
      registry: this.registry,
      // One place scrubs every failure, whichever step produced it.
      failure: failure && inUserTerms(scrubDeep(failure, this.recorder.secrets), this.step.scrub),
      rethrow,
      smoke: this.smokeChecks
    }
  }

  private async rehearseIn(
    scratch: string,
    registry: RehearsalRegistry,
    digesting: Promise<ContentDigest>
  ): Promise<Failure | undefined> {
    const refused = await this.checkBeforeUpload()
    if (refused) return refused
    // The copy holds what the digest lists, so the digest comes first.
    const digest = await digesting
    this.digest = digest
    const where = await copyWorkspace(this.step, scratch, registry, digest)
    this.copy = where.copy

    const packaged = await packageAndCheck(this.step, where, registry, digest, this.crates)
    this.cksums = packaged.cksums
    if (packaged.failure) return packaged.failure

    this.crates = await uploadToRehearsal(this.step, {
      registry,
      copy: where.copy,
      env: where.uploadEnv,
      cksums: packaged.cksums
    })
    const failed = uploadFailure(this.plan, this.crates)
    if (failed) return failed

    const smokeWhere = { scratch, env: where.buildEnv, registry }
    return runSmokeChecks(this.step, this.smokeCrates, smokeWhere, this.smokeChecks)
  }

  /** The live registry's rules and its existing versions, for every crate, before any upload. */
  private async checkBeforeUpload(): Promise<Failure | undefined> {
    const report = await preflight(this.plan, this.options, this.ctx, {
      liveToken: this.options.token || undefined
    })
    for (const line of report.resumed) this.ctx.progress(line)
    for (const line of report.unknown) this.ctx.logger.warning(line)
    if (report.problems.length === 0) return undefined
    for (const problem of report.problems) {
      this.ctx.logger.error(describeProblem(problem), { file: problem.manifestPath })
    }
    return preflightFailure(report.problems, report.target.name)
  }
}
