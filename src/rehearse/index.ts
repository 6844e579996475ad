/**
 * The rehearse engine: publish the plan to a throwaway registry exactly as it will be published
 * to the live one, prove every version is visible, smoke-check the result, and record it all.
 *
 * Steps: registry (registry-target.ts) → scratch copy with rewritten manifests (scratch.ts,
 * manifest.ts) → package and verify the whole plan once (package.ts) → upload on the shared
 * schedule and prove visibility (upload.ts) → smoke install / consumer build (smoke.ts) → rehearsal.json and
 * events.jsonl (record.ts, src/record/).
 *
 * Decisions worth knowing:
 * - Plain http is accepted for loopback hosts and single-label host names (service containers,
 *   `http://kellnr:8000`); any other host needs https. crates.io hosts and the live target are
 *   refused as rehearsal registries.
 * - Only versioned path dependencies on planned crates get `registry = "<rehearsal>"`; path-only
 *   dev-dependencies are left alone (cargo strips them), and so are the cycle-closing
 *   dev-dependencies the plan dropped: they resolve from the live registry, as at publish time.
 * - The copy is the workspace root's subtree only: a path dependency reaching outside it is not
 *   copied, and cargo then fails in the copy as it would on a fresh checkout of that subtree.
 * - `cargo publish --no-verify` re-packages, and within one run its .crate is byte-identical to
 *   the one `cargo package` verified (the packaged Cargo.toml and Cargo.lock embed the rehearsal
 *   index URL, so they differ from what crates.io will get, but not between the two commands):
 *   the index must list exactly the packaged sha256.
 */
import { execFile } from 'node:child_process'
import { statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { anchorLocation, cargoEvidence, inCheckout } from '../cargo/diagnostics.js'
import { InterruptedError } from '../cargo/interrupt.js'
import { CARGO_LOG, CargoLog } from '../cargo/log.js'
import type { RunContext } from '../context.js'
import { UserError } from '../errors.js'
import { prepareStateDir, resolveStateDir } from '../options/parse.js'
import { secretValues } from '../options/secrets.js'
import type { Options } from '../options/types.js'
import {
  assertPlanNotEmpty,
  checkDroppedDevEdges,
  computeContentDigest,
  computePlan
} from '../plan/index.js'
import type { ContentDigest, Plan, PlannedCrate } from '../plan/types.js'
import { cargoErrorLine } from '../plan/cargo-error.js'
import { classifyCargoFailure } from '../cargo/classify.js'
import { ALL_PACKAGES, EVENTS_FILE, packageKey, type EventType } from '../record/events.js'
import { FACTS_FILE } from '../record/facts.js'
import { uploadRecord, type ArtifactStore } from '../record/artifacts.js'
import { REHEARSAL_FILE, removeRehearsal, writeRehearsal } from '../record/rehearsal.js'
import { RunRecorder } from '../record/recorder.js'
import { scrubDeep } from '../record/scrub.js'
import type { Failure, RunResult, SmokeCheck } from '../result.js'
import { fetchIndexEntries, waitForVersion } from '../sparse/client.js'
import { describeProblem, oversizeCrates, preflight, preflightFailure } from '../preflight/index.js'
import { liveTarget } from '../target/live.js'
import {
  readIndexSnapshot,
  readSparseSnapshot,
  type IndexRead,
  type IndexSnapshot
} from '../target/snapshot.js'
import { registryEnv, registryEnvKey } from '../cargo/env.js'
import { count, formatSeconds } from '../util/format.js'
import { packagePlan } from './package.js'
import { buildReceipt, verdict } from './record.js'
import {
  checkRegistryName,
  checkRegistryPolicy,
  connectRegistry,
  policyEvidence,
  registryEndpoint,
  type RegistryEndpoint,
  type RehearsalRegistry
} from '../target/rehearsal.js'
import { manifestFromRoot, rewriteScratchManifests } from './scratch.js'
import { copyForCargo } from '../bind/copy.js'
import { fileEvidence } from '../bind/evidence.js'
import { currentToolchain } from '../bind/toolchain.js'
import { checkRehearsedCrates } from './bound.js'
import {
  CONSUMER_NAME,
  CONSUMER_VERSION,
  consumerCrates,
  smokeBuild,
  smokeInstall,
  smokeInstallCrates,
  type SmokeResult
} from './smoke.js'
import { indexState, uploadPlan, type IndexState } from './upload.js'
import { withUnsentProof } from './unsent-proof.js'
import { pendingStatus, reported, type CrateStatus } from '../engine/status.js'

const run = promisify(execFile)

export interface RehearseDeps {
  /** A plan computed already (by the caller, for the same options). */
  plan?: Plan
  /** The workflow artifact service, handed in by the front door; none outside an Actions job. */
  artifacts?: ArtifactStore
  /** This phase's reading of the live index (the action shares it with its release preview). */
  liveIndex?: Promise<IndexSnapshot>
}

/**
 * Rehearses the release of the plan (computed from `options` when not given) and hands the record
 * to the artifact store. Input errors throw a UserError (exit 2) before anything is touched; every
 * later failure is recorded — a failing rehearsal.json, a `rehearsal_complete` event — and
 * returned as outcome `failed`.
 */
export async function rehearse(
  options: Options,
  ctx: RunContext,
  deps: RehearseDeps = {}
): Promise<RunResult> {
  const result = await rehearseOnly(options, ctx, deps)
  const upload = await uploadRecord(
    deps.artifacts,
    {
      name: options.artifactName,
      stateDir: result.stateDir,
      files: [REHEARSAL_FILE, EVENTS_FILE, FACTS_FILE, CARGO_LOG],
      ...(options.retentionDays !== undefined ? { retentionDays: options.retentionDays } : {})
    },
    ctx.logger
  )
  if (upload.kind === 'uploaded') return { ...result, artifactId: upload.id }
  if (upload.kind === 'none') return result
  const judged = withUnsentProof(result, options.artifactName, upload.cause)
  if (judged === result) {
    ctx.logger.warning(`artifact: uploading ${options.artifactName} failed: ${upload.cause}`)
  }
  return judged
}

async function rehearseOnly(
  options: Options,
  ctx: RunContext,
  { plan, liveIndex }: RehearseDeps
): Promise<RunResult> {
  const startedAt = isoTime(ctx.clock.now())
  const endpoint = options.registryUrl.trim() ? registryEndpoint(options.registryUrl) : undefined
  checkRegistryName(options)
  registryEnvKey(options.registryName)
  if (endpoint) checkRegistryPolicy(endpoint, options)

  const thePlan =
    plan ??
    (await computePlan(
      {
        manifestPath: options.manifestPath,
        packages: options.packages,
        targetRegistry: options.targetRegistry,
        targetRegistryUrl: options.targetRegistryUrl
      },
      { cargo: ctx.cargo, fetch: ctx.fetch, env: ctx.env }
    ))
  assertPlanNotEmpty(thePlan)
  await checkLiveDevEdges(thePlan, options, ctx, liveIndex)
  const smokeCrates = options.skipRehearsal ? [] : smokeInstallCrates(options.smokeInstall, thePlan)
  for (const crate of thePlan.packages) manifestFromRoot(thePlan.workspaceRoot, crate.manifestPath)
  const stateDir = await prepareStateDir(options, thePlan.workspaceRoot)

  if (options.skipRehearsal) return bypass(thePlan, stateDir, startedAt, ctx)

  await removeRehearsal(stateDir)
  const toolchain = currentToolchain(thePlan.workspaceRoot, ctx.cargo, ctx.env)
  toolchain.catch(() => undefined)
  const recorder = await RunRecorder.open(stateDir, ctx.clock, secretValues(options))
  const cargoLog = await CargoLog.create(
    stateDir,
    `cargo log of the rehearsal of plan ${thePlan.planId} (${startedAt})`
  )
  // Nothing the run started may outlive it: the toolchain probe and the cargo log settle first.
  const settle = async () => {
    await toolchain.catch(() => undefined)
    await cargoLog.flush()
  }
  return recorder
    .during(async (): Promise<RunResult> => {
      const session = new Session(
        options,
        { ...ctx, cargo: cargoLog.wrap(ctx.cargo, () => ctx.clock.now()) },
        thePlan,
        recorder,
        smokeCrates,
        cargoLog
      )
      const outcome = await session.run(endpoint)
      const completedAt = isoTime(ctx.clock.now())
      const v = verdict(thePlan, outcome.crates, options.registryName, outcome.failure?.message)
      await recorder.emit({
        type: 'rehearsal_complete',
        passed: v.passed,
        registry: options.registryName,
        plan_id: thePlan.planId,
        summary: v.summary
      })
      const receiptPath = await writeRehearsal(
        stateDir,
        buildReceipt({
          plan: thePlan,
          registryName: options.registryName,
          registryUrl: outcome.registry?.indexUrl,
          verdict: v,
          outcomes: outcome.crates,
          cksums: outcome.cksums,
          digest: outcome.digest,
          startedAt,
          completedAt,
          commit: await commitOf(thePlan.workspaceRoot, ctx.env),
          failure: outcome.failure,
          toolchain: await toolchain.catch(() => undefined),
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
        plan: thePlan,
        digest: outcome.digest,
        packages: outcome.crates.map(reported),
        published: [],
        stateDir,
        receiptPath,
        eventsPath: recorder.eventsPath,
        failure: outcome.failure,
        cargoLog: cargoLog.path,
        smoke: outcome.smoke,
        registry: outcome.registry && {
          name: outcome.registry.name,
          url: outcome.registry.apiBase,
          embedded: outcome.registry.embedded
        },
        startedAt,
        completedAt
      }
    })
    .finally(settle)
}

/**
 * A dropped dev-dependency edge resolves from the live registry at publish time, so a version it
 * can resolve to must be there already (publish mode checks the same before uploading).
 */
async function checkLiveDevEdges(
  plan: Plan,
  options: Options,
  ctx: RunContext,
  liveIndex: Promise<IndexSnapshot> | undefined
): Promise<void> {
  if (plan.droppedDevEdges.length === 0) return
  const snapshot = await (liveIndex ??
    readSparseSnapshot(
      liveTarget(options).indexUrl,
      plan.droppedDevEdges.map(e => e.to),
      { fetch: ctx.fetch }
    ))
  const warnings = await checkDroppedDevEdges(plan, async name => snapshot.resolvableVersions(name))
  for (const warning of warnings) ctx.logger.warning(warning)
}

/** `skip-rehearsal`: nothing is rehearsed, no receipt may vouch for this plan, and it is loud. */
async function bypass(
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

interface SessionOutcome {
  crates: CrateStatus[]
  cksums: Map<string, string>
  digest?: ContentDigest
  registry?: RehearsalRegistry
  failure?: Failure
  /** An input error found after recording started: recorded, then thrown to the front door. */
  rethrow?: UserError
  smoke: SmokeCheck[]
}

/** One rehearsal run: owns the registry and the scratch dir, and releases both whatever happens. */
class Session {
  private crates: CrateStatus[]
  private cksums = new Map<string, string>()
  private digest?: ContentDigest
  private digesting?: Promise<ContentDigest>
  private registry?: RehearsalRegistry
  private smokeChecks: SmokeCheck[] = []
  /** The scratch copy of the workspace, once made: messages name the checkout instead. */
  private copy?: string

  constructor(
    private readonly options: Options,
    private readonly ctx: RunContext,
    private readonly plan: Plan,
    private readonly recorder: RunRecorder,
    private readonly smokeCrates: PlannedCrate[],
    cargoLog: CargoLog
  ) {
    cargoLog.rewrite = text => this.scrub(text)
    this.crates = plan.packages.map(pendingStatus)
  }

  async run(endpoint: RegistryEndpoint | undefined): Promise<SessionOutcome> {
    let scratch: string | undefined
    let failure: Failure | undefined
    let rethrow: UserError | undefined
    try {
      await this.event(
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
      const digesting = computeContentDigest(this.plan, {
        cargo: this.ctx.cargo,
        env: this.ctx.env,
        stateDir: resolveStateDir(this.options, this.plan.workspaceRoot)
      })
      digesting.catch(() => undefined)
      this.digesting = digesting
      this.registry = await connectRegistry(this.options, endpoint, {
        fetch: this.ctx.fetch,
        clock: this.ctx.clock,
        logger: this.ctx.logger,
        progress: this.ctx.progress
      })
      this.recorder.addSecret(this.registry.token)
      await this.event(
        { type: 'registry_policy_applied', evidence: policyEvidence(this.registry) },
        ALL_PACKAGES
      )
      scratch = await mkdtemp(join(tmpdir(), 'shipper-rehearse-'))
      failure = await this.rehearseIn(scratch, this.registry)
    } catch (error) {
      failure = this.unexpected(error)
      if (error instanceof UserError && error.exitCode === 2) rethrow = error
    } finally {
      // A run that stopped early still waits for the digest's cargo processes: none outlives it.
      await this.digesting?.catch(() => undefined)
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
      failure: failure && this.inUserTerms(scrubDeep(failure, this.recorder.secrets)),
      rethrow,
      smoke: this.smokeChecks
    }
  }

  private async rehearseIn(
    scratch: string,
    registry: RehearsalRegistry
  ): Promise<Failure | undefined> {
    const refused = await this.checkBeforeUpload()
    if (refused) return refused
    // The copy holds what the digest lists, so the digest comes first.
    const digest = await (this.digesting as Promise<ContentDigest>)
    this.digest = digest
    const stateDir = resolveStateDir(this.options, this.plan.workspaceRoot)
    const listed = await copyForCargo(this.plan, digest, join(scratch, 'workspace'), stateDir)
    const copy = listed.workspaceRoot
    this.copy = copy
    const rewrite = rewriteScratchManifests(this.plan, copy, registry.name)
    this.ctx.progress(
      `copied ${count(listed.copied, 'file')} of the workspace (${listed.via === 'git' ? 'as git lists them' : 'all but target/ and .git'}); rewrote ${count(rewrite.manifests.length, 'manifest')}`
    )
    for (const change of rewrite.changes) this.ctx.logger.debug(change)

    const targetDir = this.targetDir(scratch)
    // Builds run the workspace's build scripts and its dependencies' (third-party code): they get
    // the registry token only when the registry will not even serve its index without one.
    const uploadEnv = { ...this.ctx.env, ...registryEnv(registry), CARGO_TARGET_DIR: targetDir }
    const env = registry.authRequired
      ? uploadEnv
      : { ...this.ctx.env, ...registryEnv({ ...registry, token: '' }), CARGO_TARGET_DIR: targetDir }

    this.ctx.progress(
      `packaging and verifying ${count(this.plan.packages.length, 'crate')} in one cargo run`
    )
    const packaged = await packagePlan(
      this.plan,
      registry.name,
      { cargo: this.ctx.cargo, cwd: copy, env, targetDir },
      () => this.ctx.clock.now()
    )
    if (!packaged.ok) return this.packageFailed(packaged.result.stderr, packaged.crate)
    this.cksums = packaged.cksums
    const oversize = await oversizeCrates(this.plan, targetDir)
    if (oversize.length > 0) return preflightFailure(oversize, this.plan.registry)
    const mismatch = await checkRehearsedCrates(this.plan, targetDir, digest, rewrite.manifests)
    if (mismatch) {
      const crate = this.plan.packages.find(c => c.name === mismatch.crate.name) as PlannedCrate
      const outcome = this.crates.find(c => c.name === crate.name) as CrateStatus
      outcome.status = 'failed'
      await this.event(
        {
          type: 'rehearsal_package_failed',
          name: crate.name,
          version: crate.version,
          class: 'permanent',
          message: mismatch.message
        },
        packageKey(crate.name, crate.version)
      )
      return {
        crate: { name: crate.name, version: crate.version, manifestPath: crate.manifestPath },
        class: 'permanent',
        message: mismatch.message,
        hint: mismatch.hint
      }
    }

    const states = await this.indexStates(registry)
    this.crates = await uploadPlan(this.plan, packaged.cksums, states, {
      clock: this.ctx.clock,
      maxConcurrency: this.options.maxConcurrency,
      readinessTimeoutMs: this.options.readinessTimeoutMs,
      publish: crates =>
        this.ctx.cargo(
          [
            'publish',
            ...crates.flatMap(c => ['-p', c.name]),
            '--registry',
            registry.name,
            '--no-verify',
            '--allow-dirty',
            '--locked'
          ],
          { cwd: copy, env: uploadEnv }
        ),
      waitVisible: (crate, cksum) =>
        waitForVersion(registry.indexUrl, crate.name, crate.version, {
          cksum,
          timeoutMs: this.options.readinessTimeoutMs,
          clock: this.ctx.clock,
          token: registry.token || undefined,
          fetch: this.ctx.fetch
        }),
      onStart: crates =>
        this.ctx.progress(`uploading ${crates.map(c => `${c.name}@${c.version}`).join(', ')}`),
      onSettled: outcome => this.settled(outcome)
    })
    const failed = this.crates.find(c => c.status === 'failed')
    if (failed?.failure) {
      const crate = this.plan.packages.find(c => c.name === failed.name) as PlannedCrate
      return {
        crate: { name: crate.name, version: crate.version, manifestPath: crate.manifestPath },
        class: failed.failure.class,
        message: failed.failure.message,
        hint: failed.failure.hint ?? '',
        ...(failed.failure.stderrTail ? { stderrTail: failed.failure.stderrTail } : {})
      }
    }
    return this.smoke(scratch, env, registry)
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

  private targetDir(scratch: string): string {
    const given = this.ctx.env.CARGO_TARGET_DIR ?? process.env.CARGO_TARGET_DIR
    return given ? resolve(given) : join(scratch, 'target')
  }

  private async indexStates(registry: RehearsalRegistry): Promise<Map<string, IndexState>> {
    const snapshot = await readIndexSnapshot(
      this.plan.packages.map(c => c.name),
      name =>
        fetchIndexEntries(registry.indexUrl, name, {
          token: registry.token || undefined,
          fetch: this.ctx.fetch
        })
    )
    return new Map(
      this.plan.packages.map(crate => {
        const read = snapshot.read(crate.name) as IndexRead
        const state: IndexState =
          'error' in read
            ? { kind: 'unreadable', message: read.error.message }
            : indexState(read.entries, crate.version, this.cksums.get(crate.name) as string)
        return [crate.name, state]
      })
    )
  }

  private async settled(outcome: CrateStatus): Promise<void> {
    const key = packageKey(outcome.name, outcome.version)
    if (outcome.status === 'published') {
      this.ctx.progress(
        `${key} is in the rehearsal registry's index (${formatSeconds(Math.round(outcome.durationMs))})`
      )
      await this.event(
        {
          type: 'rehearsal_package_published',
          name: outcome.name,
          version: outcome.version,
          duration_ms: Math.round(outcome.durationMs)
        },
        key
      )
    } else if (outcome.status === 'skipped') {
      this.ctx.progress(`${key} skipped: ${outcome.reason}`)
      await this.event(
        {
          type: 'rehearsal_package_skipped',
          name: outcome.name,
          version: outcome.version,
          reason: outcome.reason ?? 'skipped'
        },
        key
      )
    } else if (outcome.status === 'failed' && outcome.failure) {
      this.ctx.progress(`${key}: upload failed (${outcome.failure.class}; reported below)`)
      await this.event(
        {
          type: 'rehearsal_package_failed',
          name: outcome.name,
          version: outcome.version,
          class: outcome.failure.class,
          message: this.scrub(outcome.failure.message)
        },
        key
      )
    }
  }

  private async packageFailed(stderr: string, crate: PlannedCrate | undefined): Promise<Failure> {
    const classified = classifyCargoFailure(stderr, { now: this.ctx.clock.now() })
    const what = crate ? `packaging ${crate.name}@${crate.version}` : 'packaging the plan'
    const error = cargoErrorLine(stderr)
    const located = crate
      ? anchorLocation(error, dirname(crate.manifestPath), this.plan.workspaceRoot, isFile)
      : error
    const message = `${what} failed: ${located}`
    if (crate) {
      const outcome = this.crates.find(c => c.name === crate.name) as CrateStatus
      outcome.status = 'failed'
      await this.event(
        {
          type: 'rehearsal_package_failed',
          name: crate.name,
          version: crate.version,
          class: classified.class,
          message: this.scrub(message)
        },
        packageKey(crate.name, crate.version)
      )
    }
    return {
      crate: crate && {
        name: crate.name,
        version: crate.version,
        manifestPath: crate.manifestPath
      },
      class: classified.class,
      message: this.scrub(message),
      hint: this.packageHint(stderr, classified),
      stderrTail: this.scrub(cargoEvidence(stderr))
    }
  }

  /** A cycle-closing dev-dependency missing from the live registry deserves the plan's own advice. */
  private packageHint(
    stderr: string,
    classified: { class: string; reason: string; fix?: string }
  ): string {
    for (const edge of this.plan.droppedDevEdges) {
      if (stderr.includes(`no matching package named \`${edge.to}\``)) {
        return `${edge.from} dev-depends on ${edge.to} ${edge.req} through a cycle, which resolves from versions already on ${this.plan.registry}; drop the version from that dev-dependency (keep only its path) so cargo strips it`
      }
    }
    if (classified.fix) return `${classified.reason}: ${classified.fix}`
    if (classified.class === 'permanent') {
      return `${classified.reason}; a publish of this plan would fail the same way`
    }
    if (classified.class === 'retryable') {
      return `${classified.reason}; packaging could not reach a registry it needs: run the rehearsal again once it answers`
    }
    return `${classified.reason}; cargo's output below says more`
  }

  private async smoke(
    scratch: string,
    env: Record<string, string | undefined>,
    registry: RehearsalRegistry
  ): Promise<Failure | undefined> {
    const smokeRun = {
      cargo: this.ctx.cargo,
      env,
      registryName: registry.name,
      dir: join(scratch, 'smoke')
    }
    const now = () => this.ctx.clock.now()
    for (const crate of this.smokeCrates) {
      this.ctx.progress(
        `smoke: cargo install ${crate.name}@${crate.version} from the rehearsal registry`
      )
      const result = await this.smokeCheck(
        crate.name,
        crate.version,
        packageKey(crate.name, crate.version),
        () => smokeInstall(crate, smokeRun, now)
      )
      if (result)
        return {
          ...result,
          crate: { name: crate.name, version: crate.version, manifestPath: crate.manifestPath }
        }
    }
    if (!this.options.smokeBuild) return undefined
    const libs = consumerCrates(this.plan)
    if (libs.length === 0) {
      this.ctx.logger.warning('smoke-build: the plan has no library crate to build a consumer of')
      return undefined
    }
    this.ctx.progress(
      `smoke: building a consumer of ${count(libs.length, 'library crate')} from the rehearsal registry`
    )
    return this.smokeCheck(CONSUMER_NAME, CONSUMER_VERSION, ALL_PACKAGES, () =>
      smokeBuild(libs, smokeRun, now)
    )
  }

  private async smokeCheck(
    name: string,
    version: string,
    key: string,
    check: () => Promise<SmokeResult>
  ): Promise<Failure | undefined> {
    const registryName = this.options.registryName
    await this.event(
      { type: 'rehearsal_smoke_check_started', name, version, registry: registryName },
      key
    )
    const result = await check()
    this.smokeChecks.push({
      kind: name === CONSUMER_NAME ? 'build' : 'install',
      name,
      version,
      ok: result.ok,
      durationMs: Math.round(result.durationMs)
    })
    if (result.ok) {
      await this.event(
        {
          type: 'rehearsal_smoke_check_succeeded',
          name,
          version,
          duration_ms: Math.round(result.durationMs)
        },
        key
      )
      return undefined
    }
    const what = name === CONSUMER_NAME ? 'the consumer build' : `cargo install ${name}@${version}`
    const message = this.scrub(
      `smoke check failed: ${what}: ${result.problem ?? cargoErrorLine(result.result.stderr)}`
    )
    await this.event({ type: 'rehearsal_smoke_check_failed', name, version, message }, key)
    return {
      class: 'permanent',
      message,
      hint: 'users installing or depending on these versions from crates.io would hit the same failure',
      stderrTail: this.scrub(cargoEvidence(result.result.stderr))
    }
  }

  private unexpected(error: unknown): Failure {
    if (error instanceof InterruptedError) {
      return { class: 'ambiguous', message: error.message, hint: error.hint }
    }
    if (error instanceof UserError) {
      return {
        class: error.exitCode === 2 ? 'input' : 'permanent',
        message: this.scrub(error.message),
        hint: error.hint
      }
    }
    this.ctx.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
    return {
      class: 'ambiguous',
      message: this.scrub(
        `rehearsal aborted: ${error instanceof Error ? error.message : String(error)}`
      ),
      hint: 'this is unexpected; the log above has the details'
    }
  }

  private scrub(text: string): string {
    return inCheckout(this.recorder.scrub(text), this.copy, this.plan.workspaceRoot)
  }

  private inUserTerms(failure: Failure): Failure {
    return {
      ...failure,
      message: this.scrub(failure.message),
      hint: this.scrub(failure.hint),
      ...(failure.stderrTail ? { stderrTail: this.scrub(failure.stderrTail) } : {})
    }
  }

  private event(eventType: EventType, pkg: string): Promise<void> {
    return this.recorder.emit(eventType, pkg)
  }
}

/** The rehearsed commit: HEAD of the workspace's repository, else the workflow's GITHUB_SHA. */
async function commitOf(
  workspaceRoot: string,
  env: Record<string, string | undefined>
): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', ['rev-parse', 'HEAD'], { cwd: workspaceRoot })
    const sha = stdout.trim()
    if (/^[0-9a-f]{40,64}$/.test(sha)) return sha
  } catch {
    // not a git checkout, or no commit yet
  }
  return env.GITHUB_SHA ?? process.env.GITHUB_SHA ?? undefined
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString()
}
