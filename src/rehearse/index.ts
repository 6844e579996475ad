/**
 * The rehearse engine: publish the plan to a throwaway registry exactly as it will be published
 * to the live one, prove every version is visible, smoke-check the result, and record it all.
 *
 * This file is the orchestration; session.ts runs the steps: registry (target/rehearsal.ts) →
 * scratch copy with rewritten manifests, packaging and the rehearsed-crate check
 * (copy-and-package.ts) → upload on the shared schedule with visibility proof (registry-upload.ts)
 * → smoke install / consumer build (smoke-checks.ts); conclude.ts records rehearsal.json and
 * events.jsonl, failure.ts words what went wrong.
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
import type { RunContext } from '../context.js'
import { CARGO_LOG, CargoLog } from '../cargo/log.js'
import { registryEnvKey } from '../cargo/env.js'
import { currentToolchain } from '../bind/toolchain.js'
import { prepareStateDir } from '../options/parse.js'
import { secretValues } from '../options/secrets.js'
import type { Options } from '../options/types.js'
import { assertPlanNotEmpty, computePlan } from '../plan/index.js'
import type { Plan } from '../plan/types.js'
import { uploadRecord, type ArtifactStore } from '../record/artifacts.js'
import { EVENTS_FILE } from '../record/events.js'
import { FACTS_FILE } from '../record/facts.js'
import { REHEARSAL_FILE, removeRehearsal } from '../record/rehearsal.js'
import { RunRecorder } from '../record/recorder.js'
import type { RunResult } from '../result.js'
import { checkRegistryName, checkRegistryPolicy, registryEndpoint } from '../target/rehearsal.js'
import type { IndexSnapshot } from '../target/snapshot.js'
import { isoTime } from '../util/format.js'
import { bypass } from './bypass.js'
import { concludeRehearsal } from './conclude.js'
import { checkLiveDevEdges } from './live-edges.js'
import { manifestFromRoot } from './scratch.js'
import { Session } from './session.js'
import { smokeInstallCrates } from './smoke.js'
import { withUnsentProof } from './unsent-proof.js'

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
  const concluding = {
    options,
    ctx,
    plan: thePlan,
    recorder,
    stateDir,
    startedAt,
    cargoLogPath: cargoLog.path,
    toolchain
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
      return concludeRehearsal(concluding, await session.run(endpoint))
    })
    .finally(settle)
}
