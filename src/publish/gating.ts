/**
 * The gate: plan and content digest, the rehearsal proof (proof.ts) and what it says (the receipt,
 * its event log and facts), then the decision (gate.ts). Touches nothing but the proof files.
 */
import { join } from 'node:path'
import { currentToolchain } from '../bind/toolchain.js'
import { mergeEnv } from '../cargo/run.js'
import type { RunContext } from '../context.js'
import { prepareStateDir, resolveStateDir } from '../options/parse.js'
import type { Options } from '../options/types.js'
import { assertPlanNotEmpty, computeContentDigest, computePlan } from '../plan/index.js'
import type { ContentDigest, Plan } from '../plan/types.js'
import { EVENTS_FILE, lastRehearsalComplete, readEvents, readFacts } from '../record/events.js'
import { FACTS_FILE } from '../record/facts.js'
import type { ArtifactStore } from '../record/artifacts.js'
import { readRehearsal, type ReadRehearsalResult } from '../record/rehearsal.js'
import { liveTarget, type LiveTarget } from '../target/live.js'
import { proofEvidence } from './bound.js'
import { decideGate, gateFacts, type GateDecision } from './gate.js'
import { obtainProof, type ProofLocation } from './proof.js'
import { targetFlags } from './target-proof.js'

export interface GateDeps {
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

/** Plans, fetches the proof and evaluates the gate; touches nothing but the proof files. */
export async function gateOnly(
  options: Options,
  ctx: RunContext,
  deps: GateDeps = {}
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
    git: ctx.git,
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
